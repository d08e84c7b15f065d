/**
 * An integrator signs an event by hand: `npm start` prints where each event secret is, and the openssl/curl lines of
 * docs/events.md ("Signing one by hand"), run as they are with that secret, get the event applied. A real `npm start`
 * process, real HTTP, the real openssl and curl.
 */
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { freePort } from './support/redis';

jest.setTimeout(60_000);

const ROOT = path.join(__dirname, '..');

/** The shell lines of the doc's "Signing one by hand" section, as a reader copies them. */
function docSnippet(): string {
  const doc = fs.readFileSync(path.join(ROOT, 'docs', 'events.md'), 'utf8');
  const section = doc.slice(doc.indexOf('## Signing one by hand'));
  const block = /```sh\n([\s\S]*?)```/.exec(section);
  if (!block?.[1]) throw new Error('docs/events.md has no sh block under "Signing one by hand"');
  return block[1];
}

test('npm start prints the crm event secret and where it came from; the doc lines sign an event with it', async () => {
  const [gatewayPort, crm, billing, warehouse, scoring, network, channels] = await Promise.all(
    Array.from({ length: 7 }, () => freePort()),
  );
  const adapters = Object.entries({ crm, billing, warehouse, scoring }).map(([name, port]) => ({
    name,
    url: `http://127.0.0.1:${port}`,
  }));
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ucv-start-')), 'config.json');
  fs.writeFileSync(file, JSON.stringify({ port: gatewayPort, host: '127.0.0.1', logLevel: 'silent', adapters }));
  const { PORT: _port, UCV_CRM_EVENTS_SECRET: _secret, ...env } = process.env;
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'scripts/start.ts')], {
    cwd: ROOT,
    env: {
      ...env,
      NODE_ENV: 'production',
      UCV_CONFIG: file,
      UCV_WORKERS: '1',
      REDIS_URL: '',
      UCV_NETWORK_EVENTS_PORT: String(network),
      UCV_CHANNELS_URL: `http://127.0.0.1:${channels}`,
      UCV_DEMO_EVENTS_PER_SECOND: '0',
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  try {
    const banner = await new Promise<string>((resolve, reject) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        if (/\n {4}network .*\n/.test(out.slice(out.indexOf('Event secrets')))) resolve(out);
      });
      child.stderr.resume();
      void exited.then((code) => reject(new Error(`npm start exited with ${code}`)));
    });
    const line = /\n {4}crm +([0-9a-f]{64}) +\(made up for this run; UCV_CRM_EVENTS_SECRET sets it\)/.exec(banner);
    expect(line).not.toBeNull();
    const { stdout } = await promisify(execFile)('bash', ['-ec', docSnippet()], {
      env: {
        PATH: process.env.PATH ?? '/usr/bin:/bin',
        UCV_CRM_EVENTS_SECRET: line?.[1],
        GATEWAY: `http://127.0.0.1:${gatewayPort}`,
      },
    });
    const [body, status] = stdout.trim().split('\n');
    expect(status).toBe('202');
    expect(JSON.parse(body ?? '')).toEqual({ evicted: expect.any(Number) });
  } finally {
    if (child.exitCode === null) child.kill('SIGTERM');
    await exited;
  }
});
