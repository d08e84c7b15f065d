/**
 * Runtime swaps under load: `npx tsx bench/swaps.ts` (Redis at REDIS_URL, default 127.0.0.1:6379).
 *
 * Two gateway instances share Redis; the network-events mock is registered through the admin API of the first.
 *   1. steady: the cached full view on instance A, autocannon (CONNECTIONS, SECONDS), no swap
 *   2. swaps: the same load while SWAPS changes of the registered adapter (its mapping) are made on A, one after
 *      the other; for each, the time from the admin call to both instances serving the new mapping
 *   3. JSONata: the cost of the compiled mapping per record (evaluate only)
 * Reports: req/s steady and while swapping, non-2xx and errors (must be 0), swap-to-served times (median, max).
 * STEADY_ONLY=1 runs only step 1 (to compare the hot path with an earlier commit).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import jsonata from 'jsonata';
import pino from 'pino';
import { parseConfig } from '../gateway/config';
import { createGateway } from '../gateway/app/server';
import { startMocks } from '../mocks';
import { BENCH_API_KEY, BENCH_SECURITY } from './support';

const QUERY = fs.readFileSync(path.join(__dirname, 'full-view.graphql'), 'utf8');
const SECONDS = Number(process.env.SECONDS ?? 6);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 20);
const SWAPS = Number(process.env.SWAPS ?? 20);
const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const ADMIN_KEY = 'bench-admin-key-0123456789';

const sha256 = (text: string): string =>
  require('node:crypto').createHash('sha256').update(text).digest('hex') as string; // eslint-disable-line @typescript-eslint/no-require-imports

function load(url: string, seconds: number): Promise<autocannon.Result> {
  return autocannon({
    url: `${url}/graphql`,
    method: 'POST',
    connections: CONNECTIONS,
    duration: seconds,
    headers: { 'content-type': 'application/json', 'x-api-key': BENCH_API_KEY },
    // A few customers, all cached after the first round: the cached view.
    requests: Array.from({ length: 8 }, (_, i) => ({
      body: JSON.stringify({ query: QUERY, variables: { id: `C0000001${i}` } }),
    })),
  });
}

async function main(): Promise<void> {
  const mocks = await startMocks();
  const prefix = `bench-swaps-${randomUUID()}:`;
  const steadyOnly = process.env.STEADY_ONLY === '1';
  const config = (allow: boolean) =>
    parseConfig(
      {
        port: 0,
        host: '127.0.0.1',
        logLevel: 'silent',
        rateLimit: { default: { requestsPerSecond: 1_000_000, costPerSecond: 1_000_000 } },
        security: {
          ...BENCH_SECURITY,
          consumers: [
            ...BENCH_SECURITY.consumers,
            { id: 'bench-admin', role: 'admin', apiKeySha256: sha256(ADMIN_KEY) },
          ],
        },
        ...(steadyOnly ? {} : { cache: { redisUrl: REDIS_URL, keyPrefix: prefix }, admin: { allowLoopback: allow } }),
        adapters: (['crm', 'billing', 'warehouse', 'scoring'] as const).map((name) => ({
          name,
          url: mocks.urls[name],
          policy: { cache: { ttlSeconds: 3600 } },
        })),
      },
      {},
    );
  const a = createGateway(config(true), { logger: pino({ level: 'silent' }) });
  await a.listen();
  await load(a.url, 1); // warm: records cached, the operation compiled
  const steady = await load(a.url, SECONDS);
  console.log(
    `steady cached view: ${steady.requests.average.toFixed(0)} req/s (p99 ${steady.latency.p99} ms), non-2xx ${steady.non2xx}, errors ${steady.errors}`,
  );
  if (steadyOnly) {
    await a.close(100);
    await mocks.close();
    return;
  }

  const b = createGateway(config(true), { logger: pino({ level: 'silent' }) });
  await b.listen();
  const networkEvents = (mocks as unknown as { networkEvents: { url: string } }).networkEvents;
  const definition = (tag: string) => ({
    name: 'network',
    description: 'Network events platform',
    type: 'rest',
    baseUrl: networkEvents.url,
    typeDefs:
      'extend type Customer { networkState: NetworkState }\ntype NetworkState { area: String! roaming: String! poweredOn: Boolean! mappedBy: String! }',
    resources: {
      state: {
        path: '/nep/v2/subscribers/{key}/state',
        mapping: `{ "area": location.area, "roaming": roaming.state, "poweredOn": handset.powered, "mappedBy": "${tag}" }`,
      },
    },
    fields: { networkState: { resource: 'state' } },
  });
  const put = async (tag: string): Promise<void> => {
    const res = await fetch(`${a.url}/admin/adapters/network`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', 'x-api-key': ADMIN_KEY },
      body: JSON.stringify(definition(tag)),
    });
    if (res.status !== 200) throw new Error(`PUT answered ${res.status}: ${await res.text()}`);
  };
  const serves = async (url: string, tag: string): Promise<boolean> => {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-api-key': ADMIN_KEY },
      body: JSON.stringify({ query: '{ customer(id: "C00000010") { networkState { mappedBy } } }' }),
    });
    const body = (await res.json()) as { data?: { customer?: { networkState?: { mappedBy?: string } } } };
    return body.data?.customer?.networkState?.mappedBy === tag;
  };

  const running = load(a.url, SECONDS);
  const times: number[] = [];
  const started = Date.now();
  for (let i = 0; i < SWAPS && Date.now() - started < (SECONDS - 1) * 1000; i++) {
    const tag = `v${i}`;
    const t0 = performance.now();
    await put(tag);
    const pending = new Set([a.url, b.url]);
    while (pending.size > 0) {
      for (const url of [...pending]) if (await serves(url, tag)) pending.delete(url);
      if (performance.now() - t0 > 10_000) throw new Error(`swap ${tag} not served everywhere within 10 s`);
    }
    times.push(performance.now() - t0);
  }
  const during = await running;
  times.sort((x, y) => x - y);
  console.log(
    `while swapping (${times.length} swaps): ${during.requests.average.toFixed(0)} req/s (p99 ${during.latency.p99} ms), non-2xx ${during.non2xx}, errors ${during.errors}`,
  );
  console.log(
    `admin call → both instances serve the new mapping: median ${times[Math.floor(times.length / 2)]?.toFixed(0)} ms, max ${times.at(-1)?.toFixed(0)} ms`,
  );

  const record = await (await fetch(`${networkEvents.url}/nep/v2/subscribers/C00000010/state`)).json();
  const mapping = jsonata(definition('x').resources.state.mapping);
  const n = 20_000;
  for (let i = 0; i < 1000; i++) await mapping.evaluate(record);
  const t0 = performance.now();
  for (let i = 0; i < n; i++) await mapping.evaluate(record);
  console.log(`JSONata mapping (compiled once): ${(((performance.now() - t0) / n) * 1000).toFixed(1)} µs per record`);

  await Promise.all([a.close(100), b.close(100)]);
  await mocks.close();
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
