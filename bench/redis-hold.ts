/**
 * Does the Redis cache hold under load? The cached full view on a gateway with the in-memory cache (A) and on one
 * sharing Redis (B), side by side, at several concurrency levels, each warmed over the same hot set first: req/s,
 * the gateway's CPU per view, and the backend calls the gateway made during the measurement, from its own
 * `ucv_source_calls_total` (after the warm-up a cached view makes none: every call is a record the cache failed to
 * hold). The mocks' own counter is printed too, but it counts every gateway: a gateway's queued requests still
 * reach the mocks after its round has ended. With BASELINE (another checkout's tree with
 * node_modules, e.g. the commit before a change), a third gateway on Redis (C) runs that code in the same rounds.
 * Rounds alternate the gateways; medians of RUNS rounds. The machine's load average is printed before and after:
 * run it with the machine to itself (`flock /tmp/ucv-bench.lock`).
 *
 *   RUNS=3 DURATION=8 HOT=10000 CONNECTIONS=32,128,256 [BASELINE=/tmp/ucv-base] npx tsx bench/redis-hold.ts
 *
 * (make BASELINE with `git archive <commit> | tar -x -C /tmp/ucv-base && ln -s "$PWD/node_modules" /tmp/ucv-base/`)
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import {
  CACHE_LONG,
  forAll,
  gatewayEnv,
  id,
  median,
  resetMocks,
  scrapeMetrics,
  startServer,
  totalCalls,
  WARM_READS,
  type MockUrls,
  type Server,
} from './support';

const RUNS = Number(process.env.RUNS ?? 3);
const DURATION = Number(process.env.DURATION ?? 8);
const HOT = Number(process.env.HOT ?? 10_000);
const LEVELS = (process.env.CONNECTIONS ?? '32,128,256').split(',').map(Number);
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';
const BASELINE = process.env.BASELINE;
const FULL = fs.readFileSync(path.join(__dirname, 'full-view.graphql'), 'utf8');
const hotId = (): string => id(1 + Math.floor(Math.random() * HOT));

interface Row {
  rps: number;
  cpuUs: number;
  /** Calls this gateway made (its /metrics: success, not_found, failure; not its own refusals). */
  backendCalls: number;
  /** Calls the mocks served meanwhile, from any gateway. */
  mockCalls: number;
  failed: number;
  localBytes: number;
  failOpen: number;
}

const metric = (metrics: Map<string, number>, prefix: string): number =>
  [...metrics].filter(([name]) => name.startsWith(prefix)).reduce((sum, [, value]) => sum + value, 0);
const ownCalls = (metrics: Map<string, number>): number =>
  [...metrics]
    .filter(([name]) => name.startsWith('ucv_source_calls_total') && !name.includes('result="rejected"'))
    .reduce((sum, [, value]) => sum + value, 0);

async function measure(target: Server, mocks: MockUrls, connections: number): Promise<Row> {
  const cpuBefore = target.cpuSeconds();
  const callsBefore = await totalCalls(mocks);
  const before = await scrapeMetrics(target.url);
  const failOpenBefore = metric(before, 'ucv_rate_limit_fail_open_total');
  const result = await autocannon({
    url: `${target.url}/graphql`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections,
    duration: DURATION,
    requests: [
      {
        setupRequest: (req: Record<string, unknown>) => ({
          ...req,
          body: JSON.stringify({ query: FULL, variables: { id: hotId() } }),
        }),
      },
    ],
  } as unknown as autocannon.Options);
  const after = await scrapeMetrics(target.url);
  return {
    rps: result.requests.average,
    cpuUs: ((target.cpuSeconds() - cpuBefore) * 1e6) / Math.max(1, result.requests.total),
    backendCalls: ownCalls(after) - ownCalls(before),
    mockCalls: (await totalCalls(mocks)) - callsBefore,
    failed: result.non2xx + result.errors,
    localBytes: metric(after, 'ucv_cache_local_bytes'),
    failOpen: metric(after, 'ucv_rate_limit_fail_open_total') - failOpenBefore,
  };
}

/** Every hot customer read twice: records cached (and kept locally), answers kept. */
async function warm(target: Server): Promise<void> {
  const pending = new Set<Promise<void>>();
  for (let n = 0; n < HOT * WARM_READS; n++) {
    const once = fetch(`${target.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: FULL, variables: { id: id((n % HOT) + 1) } }),
    }).then(async (res) => void (await res.text()));
    pending.add(once);
    void once.finally(() => pending.delete(once));
    if (pending.size >= 32) await Promise.race(pending);
  }
  await Promise.all(pending);
}

async function main(): Promise<void> {
  const loadBefore = os.loadavg();
  const mockServer = await startServer('mocks');
  const mocks = mockServer.urls;
  const env = gatewayEnv(mocks, forAll(CACHE_LONG));
  const gateways: Array<[string, Server]> = [
    ['A memory', await startServer('ucv', env)],
    ['B redis', await startServer('ucv', { ...env, STACK_REDIS_URL: REDIS_URL })],
  ];
  if (BASELINE)
    gateways.push([
      'C redis (baseline)',
      await startServer('ucv', { ...env, STACK_REDIS_URL: REDIS_URL }, [], path.join(BASELINE, 'bench')),
    ]);
  const servers = [mockServer, ...gateways.map(([, server]) => server)];
  process.on('exit', () => servers.forEach((server) => server.child.kill('SIGKILL')));
  for (const [name, server] of gateways) {
    console.log(`warming ${name} over ${HOT} customers…`);
    await warm(server);
    await warm(server);
  }
  const rows = new Map<string, Row[]>();
  for (let run = 1; run <= RUNS; run++) {
    for (const connections of LEVELS) {
      await resetMocks(mocks);
      for (const [name, server] of gateways) {
        const row = await measure(server, mocks, connections);
        const key = `${connections}\u0000${name}`;
        rows.set(key, [...(rows.get(key) ?? []), row]);
        console.log(
          `run ${run} c=${connections} ${name.padEnd(20)} ${row.rps.toFixed(0).padStart(6)} req/s ${row.cpuUs.toFixed(0).padStart(5)} µs/view  backend calls ${row.backendCalls} (mocks ${row.mockCalls})  failed ${row.failed}  local ${(row.localBytes / 1048576).toFixed(1)} MiB  fail-open ${row.failOpen}`,
        );
      }
    }
  }
  const loadAfter = os.loadavg();
  console.log(
    `\nload average before ${loadBefore.map((l) => l.toFixed(2)).join(' ')}, after ${loadAfter.map((l) => l.toFixed(2)).join(' ')}`,
  );
  console.log('medians: connections | gateway | req/s | µs/view | backend calls | vs A (req/s, per-run ratio median)');
  for (const connections of LEVELS) {
    const base = rows.get(`${connections}\u0000A memory`) ?? [];
    for (const [name] of gateways) {
      const list = rows.get(`${connections}\u0000${name}`) ?? [];
      const ratios = list.map((row, i) => row.rps / Math.max(1, base[i]?.rps ?? 1));
      console.log(
        `${String(connections).padStart(4)} | ${name.padEnd(20)} | ${median(list.map((r) => r.rps)).toFixed(0)} | ${median(list.map((r) => r.cpuUs)).toFixed(0)} | ${median(list.map((r) => r.backendCalls))} (max ${Math.max(...list.map((r) => r.backendCalls))}) | ${median(ratios).toFixed(2)}`,
      );
    }
  }
  process.exit(0);
}

void main();
