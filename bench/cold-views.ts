/**
 * Cold views at a fixed rate against a freshly started `npm start` (mocks and gateway in one process, default
 * config): how many sections are refused by a bulkhead (`overloaded`) or otherwise unavailable, and the latency.
 * Open loop: a view is sent every 1/RATE s whatever the answers do, each for a customer not seen before.
 *
 * Usage: RATES=300,600 SECONDS=5 PORT_BASE=5100 npx tsx bench/cold-views.ts
 */
import { spawn } from 'node:child_process';
import path from 'node:path';
import { Pool } from 'undici';

const RATES = (process.env.RATES ?? '300,600').split(',').map(Number);
const SECONDS = Number(process.env.SECONDS ?? 5);
const BASE = Number(process.env.PORT_BASE ?? 5100);
const VIEW = `query($id: ID!) { customer(id: $id) { profile { name } products { code } contacts { type } billing { balance } insights { segment } score { creditScore } recommendations { offerCode } } }`;

async function startStack(): Promise<() => Promise<void>> {
  const env = {
    ...process.env,
    PORT: String(BASE),
    UCV_CRM_URL: `http://127.0.0.1:${BASE + 1}`,
    UCV_BILLING_URL: `http://127.0.0.1:${BASE + 2}`,
    UCV_WAREHOUSE_URL: `http://127.0.0.1:${BASE + 3}`,
    UCV_SCORING_URL: `http://127.0.0.1:${BASE + 4}`,
  };
  const root = path.join(__dirname, '..');
  const child = spawn(process.execPath, ['--import', 'tsx', 'scripts/start.ts'], {
    cwd: root,
    env: { ...env, NODE_ENV: 'production' },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await new Promise<void>((resolve, reject) => {
    child.stdout.on('data', (chunk: Buffer) => chunk.toString().includes('UCV Gateway is up') && resolve());
    child.once('exit', (code) => reject(new Error(`npm start exited with ${code}`)));
  });
  return () =>
    new Promise((resolve) => {
      child.once('exit', () => resolve());
      child.kill('SIGTERM');
    });
}

async function run(rate: number, offset: number): Promise<Record<string, number | string>> {
  const stop = await startStack();
  const pool = new Pool(`http://127.0.0.1:${BASE}`, { connections: 512 });
  try {
    const latencies: number[] = [];
    const refused = new Map<string, number>();
    let failed = 0;
    const total = rate * SECONDS;
    const started = performance.now();
    const pending: Array<Promise<void>> = [];
    for (let i = 0; i < total; i++) {
      const due = started + (i * 1000) / rate;
      const wait = due - performance.now();
      if (wait > 1) await new Promise((r) => setTimeout(r, wait));
      const id = `C${String(offset + i).padStart(8, '0')}`;
      pending.push(
        (async () => {
          const t = performance.now();
          try {
            const res = await pool.request({
              path: '/graphql',
              method: 'POST',
              headers: { 'content-type': 'application/json' },
              body: JSON.stringify({ query: VIEW, variables: { id } }),
            });
            const body = (await res.body.json()) as {
              errors?: Array<{ extensions?: { code?: string; source?: string; reason?: string } }>;
            };
            for (const e of body.errors ?? []) {
              if (e.extensions?.code !== 'SOURCE_UNAVAILABLE') continue;
              const key = `${e.extensions.source}:${e.extensions.reason}`;
              refused.set(key, (refused.get(key) ?? 0) + 1);
            }
          } catch {
            failed++;
          }
          latencies.push(performance.now() - t);
        })(),
      );
    }
    await Promise.all(pending);
    latencies.sort((a, b) => a - b);
    const overloaded = [...refused].filter(([k]) => k.endsWith(':overloaded')).reduce((n, [, v]) => n + v, 0);
    return {
      rate,
      views: total,
      overloaded,
      unavailable: [...refused].map(([k, v]) => `${k}=${v}`).join(' ') || 'none',
      failed,
      p50: Math.round(latencies[Math.floor(latencies.length * 0.5)] ?? 0),
      p99: Math.round(latencies[Math.floor(latencies.length * 0.99)] ?? 0),
    };
  } finally {
    await pool.close();
    await stop();
  }
}

async function main(): Promise<void> {
  const rows = [];
  for (const [i, rate] of RATES.entries()) rows.push(await run(rate, 20_000 + i * 10_000));
  process.stdout.write(
    `| views/s | views | overloaded sections | unavailable sections | failed | p50 ms | p99 ms |\n|---|---|---|---|---|---|---|\n`,
  );
  for (const r of rows)
    process.stdout.write(
      `| ${r.rate} | ${r.views} | ${r.overloaded} | ${r.unavailable} | ${r.failed} | ${r.p50} | ${r.p99} |\n`,
    );
}

void main();
