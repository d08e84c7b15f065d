/**
 * `npm start` stops the gateway first, then the mocks: a view in flight at SIGTERM is answered
 * whole, its slow section included, because the mocks are still up while the gateway drains. A real process.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { DEMO_CONSUMERS } from '../scripts/demo-consumers';
import { freePort } from './support/redis';
import { waitFor } from './support/wait';

jest.setTimeout(60_000);

const ROOT = path.join(__dirname, '..');

test('SIGTERM to npm start: the view in flight keeps its slow section, then the process exits 0', async () => {
  const [gatewayPort, crm, billing, warehouse, scoring] = [
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
    await freePort(),
  ];
  const adapters = Object.entries({ crm, billing, warehouse, scoring }).map(([name, port]) => ({
    name,
    url: `http://127.0.0.1:${port}`,
  }));
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ucv-start-')), 'config.json');
  fs.writeFileSync(file, JSON.stringify({ port: gatewayPort, host: '127.0.0.1', logLevel: 'silent', adapters }));
  const { PORT: _port, ...env } = process.env; // the config file's port, not an inherited one
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/start.ts')], {
    cwd: ROOT,
    env: { ...env, NODE_ENV: 'production', UCV_CONFIG: file, UCV_WORKERS: '1', REDIS_URL: '' },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    await new Promise<void>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (out.includes('UCV Gateway is up')) resolve();
      });
      child.stderr.resume();
      void exited.then((code) => reject(new Error(`npm start exited with ${code}`)));
    });
    const url = `http://127.0.0.1:${gatewayPort}`;
    await fetch(`http://127.0.0.1:${scoring}/__control/faults`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ latencyMs: 1500 }), // under scoring's 2 s deadline, long enough to signal meanwhile
    });
    const scoringCalls = async (): Promise<number> =>
      ((await (await fetch(`http://127.0.0.1:${scoring}/__control`)).json()) as { requests: { total: number } })
        .requests.total;
    const scoringBefore = await scoringCalls();
    const view = fetch(`${url}/graphql`, {
      method: 'POST',
      // As the demo's front-desk consumer, whose key npm start prints.
      headers: {
        'content-type': 'application/json',
        'x-api-key': DEMO_CONSUMERS.find((c) => c.role === 'front-desk')!.apiKey,
      },
      body: JSON.stringify({ query: '{ customer(id: "C00000021") { profile { name } score { creditScore } } }' }),
    }).then(async (res) => ({
      status: res.status,
      connection: res.headers.get('connection'),
      body: (await res.json()) as { data: { customer: { score: unknown } }; errors?: unknown },
    }));
    // In flight: scoring has the call (a fixed pause could end before it left the gateway on a loaded machine).
    await waitFor(async () => (await scoringCalls()) > scoringBefore, { what: 'the view at scoring' });
    child.kill('SIGTERM');
    const answer = await view;
    expect(answer.status).toBe(200);
    expect(answer.body.errors).toBeUndefined();
    expect(answer.body.data.customer.score).toEqual({ creditScore: expect.any(Number) });
    expect(answer.connection).toBe('close');
    expect(await exited).toBe(0);
  } finally {
    if (child.exitCode === null) child.kill('SIGKILL');
  }
});
