/**
 * `npm run bench`: the performance suite. Starts the mocks, the gateway and the baselines itself (one process each),
 * drives load with autocannon from this process, and writes bench/results/latest.{json,md}: the median of RUNS runs
 * (default 3) with the machine's cores, Node version and the commit.
 *
 * Scenarios: cached full view (hot set of 10,000 warmed customers) against the bare-handler ceiling, the plain
 * stitched gateway and Hive Gateway with its response cache on Redis (bench/hive, warmed over the same hot set), the
 * UCV gateway both with its in-memory cache and on Redis;
 * live fan-out at fixed arrival rates with every source a miss; one backend down (breaker open); a stampede of 500
 * concurrent requests for one cold customer; SOAP against GraphQL for the same view.
 * Env: RUNS, DURATION (seconds per measurement, default 8), HOT (hot set size, default 10000), BENCH_REDIS_URL (Hive
 * Gateway's response cache and the UCV gateway's Redis cache, default redis://127.0.0.1:6379).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { CACHE_LONG, CACHE_OFF, control, drive, forAll, gatewayEnv, id, machine, median, percentile, resetMocks, soapViewEnvelope, startServer, totalCalls, type MockUrls, type Server } from './support';

const RUNS = Number(process.env.RUNS ?? 3);
const DURATION = Number(process.env.DURATION ?? 8);
const HOT = Number(process.env.HOT ?? 10_000);
/** Redis for Hive Gateway's response cache and the UCV gateway's shared cache. */
const REDIS_URL = process.env.BENCH_REDIS_URL ?? 'redis://127.0.0.1:6379';

const FULL = fs.readFileSync(path.join(__dirname, 'full-view.graphql'), 'utf8');
/** The plain baseline has no provenance: the same view without `sources`. */
const FULL_PLAIN = FULL.replace(/\n\s*sources \{[^}]*\}/, '');
/** The same view in Hive Gateway's schema (the sources' own shapes, no `sources`). */
const FULL_HIVE = fs.readFileSync(path.join(__dirname, 'hive', 'full-view.graphql'), 'utf8');
const hotId = (): string => id(1 + Math.floor(Math.random() * HOT));

interface Measurement {
  rps: number;
  p50: number;
  p99: number;
  cpuMsPerRequest: number;
  backendCallsPerRequest: number;
  non2xx: number;
  errors: number;
}

/** One autocannon measurement against `target`, with the server's CPU and the backend calls it caused. */
async function measure(
  target: Server,
  mocks: MockUrls,
  options: { path?: string; body: () => string; contentType?: string; connections?: number; rate?: number; duration?: number },
): Promise<Measurement> {
  const cpuBefore = target.cpuSeconds();
  const callsBefore = await totalCalls(mocks);
  const result = await autocannon({
    url: `${target.url}${options.path ?? '/graphql'}`,
    method: 'POST',
    headers: { 'content-type': options.contentType ?? 'application/json' },
    connections: options.connections ?? 32,
    duration: options.duration ?? DURATION,
    ...(options.rate ? { overallRate: options.rate } : {}),
    requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, body: options.body() }) }],
  } as unknown as autocannon.Options);
  const requests = result.requests.total;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuMsPerRequest: ((target.cpuSeconds() - cpuBefore) * 1000) / Math.max(1, requests),
    backendCallsPerRequest: ((await totalCalls(mocks)) - callsBefore) / Math.max(1, requests),
    non2xx: result.non2xx,
    errors: result.errors,
  };
}

const graphqlBody = (query: string, idOf: () => string) => () => JSON.stringify({ query, variables: { id: idOf() } });

interface Overhead {
  /** What the gateway adds over its slowest backend call, from its Server-Timing header (ms). */
  p50: number;
  p99: number;
  /** Time in the gateway, whatever the backends (ms). */
  totalP50: number;
  totalP99: number;
}

/**
 * Sends `rate` requests per second for `seconds`, at even intervals, and reads each answer's Server-Timing: the
 * gateway's own account of its time, free of the load generator's and the client's queueing on a shared machine.
 */
async function sampleOverhead(target: Server, rate: number, seconds: number, body: () => string): Promise<Overhead> {
  const overheads: number[] = [];
  const totals: number[] = [];
  const pending: Array<Promise<void>> = [];
  const started = performance.now();
  for (let i = 0; i < rate * seconds; i++) {
    const due = started + (i * 1000) / rate;
    const wait = due - performance.now();
    if (wait > 0) await new Promise((r) => setTimeout(r, wait));
    pending.push(
      fetch(`${target.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: body() }).then(async (res) => {
        await res.arrayBuffer();
        const timing = Object.fromEntries((res.headers.get('server-timing') ?? '').split(', ').map((m) => [m.split(';')[0], Number(m.split('dur=')[1])]));
        if (typeof timing.gateway === 'number' && typeof timing.backend === 'number') {
          overheads.push(timing.gateway - timing.backend);
          totals.push(timing.gateway);
        }
      }),
    );
  }
  await Promise.all(pending);
  return { p50: percentile(overheads, 50), p99: percentile(overheads, 99), totalP50: percentile(totals, 50), totalP99: percentile(totals, 99) };
}

/** Fetches the full view of customers 1…count once, 16 at a time, so they are in the gateway's cache. */
async function warm(target: Server, count: number, query = FULL): Promise<void> {
  await drive(count, 16, async (i) => {
    const body = JSON.stringify({ query, variables: { id: id(i + 1) } });
    await fetch(`${target.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body }).then((r) => r.arrayBuffer());
  });
}

async function main(): Promise<void> {
  const mockServer = await startServer('mocks');
  const mocks = mockServer.urls;
  const envFor = (policies: object = {}) => gatewayEnv(mocks, policies);
  // The cached scenario serves every source from the cache: TTLs longer than the run.
  const ucv = await startServer('ucv', envFor(forAll(CACHE_LONG)));
  // The same on Redis, as Hive Gateway's response cache is: every instance shares it, each keeps local copies.
  const ucvRedis = await startServer('ucv', { ...envFor(forAll(CACHE_LONG)), STACK_REDIS_URL: REDIS_URL });
  const plain = await startServer('plain', envFor());
  const view = await (await fetch(`${ucv.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: FULL, variables: { id: id(1) } }) })).text();
  const bodyFile = path.join(os.tmpdir(), `ucv-bench-view-${process.pid}.json`);
  fs.writeFileSync(bodyFile, view);
  const bare = await startServer('bare', { BARE_BODY_FILE: bodyFile });
  const hive = await startServer('hive', { MOCK_URLS: JSON.stringify(mocks), HIVE_REDIS_URL: REDIS_URL });
  const servers = [mockServer, ucv, ucvRedis, plain, bare, hive];
  process.on('exit', () => servers.forEach((server) => server.child.kill('SIGKILL')));

  console.log(`warming ${HOT} customers…`);
  await warm(ucv, HOT);
  await warm(ucvRedis, HOT);
  await warm(hive, HOT, FULL_HIVE);

  const runs: Array<Record<string, Measurement>> = [];
  const overheadRuns: Array<Record<string, Overhead>> = [];
  for (let run = 1; run <= RUNS; run++) {
    const r: Record<string, Measurement> = {};
    const o: Record<string, Overhead> = {};
    await resetMocks(mocks);
    r['cached.bare'] = await measure(bare, mocks, { body: graphqlBody(FULL, hotId) });
    r['cached.ucv'] = await measure(ucv, mocks, { body: graphqlBody(FULL, hotId) });
    r['cached.ucv.redis'] = await measure(ucvRedis, mocks, { body: graphqlBody(FULL, hotId) });
    r['cached.hive'] = await measure(hive, mocks, { body: graphqlBody(FULL_HIVE, hotId) });
    r['soap.ucv'] = await measure(ucv, mocks, { path: '/soap/CustomerView', contentType: 'text/xml; charset=utf-8', body: () => soapViewEnvelope(hotId()) });
    // Last: its requests still in flight when its measurement ends call backends for a while.
    r['cached.plain'] = await measure(plain, mocks, { body: graphqlBody(FULL_PLAIN, hotId) });

    // Live fan-out: every source a miss, fixed backend latencies, fixed arrival rates.
    const live = await startServer('ucv', envFor(forAll(CACHE_OFF)));
    const latencies: Record<string, number> = { crm: 20, billing: 20, warehouse: 20, scoring: 50 };
    for (const [name, url] of Object.entries(mocks)) await control(url, '/faults', 'PATCH', { latencyMs: latencies[name] });
    let cold = 200_000;
    for (const rate of [100, 300, 600]) {
      const options = { body: graphqlBody(FULL, () => id(20_000 + (cold++ % 80_000))), rate, connections: Math.ceil(rate * 0.2 + 10) };
      await measure(live, mocks, { ...options, duration: 2 }); // warm-up at this rate, not reported
      r[`live.${rate}`] = await measure(live, mocks, options);
      o[`live.${rate}`] = await sampleOverhead(live, rate, 3, options.body);
    }
    await live.stop();
    await resetMocks(mocks);

    // One backend down, its breaker open: the others served from the cache.
    await control(mocks.scoring, '/faults', 'PATCH', { down: '503' });
    const down = await startServer('ucv', envFor({ ...forAll(CACHE_LONG), scoring: { ...CACHE_OFF, breaker: { resetTimeoutMs: 600_000 } } }));
    await warm(down, 1000);
    const downOptions = { body: graphqlBody(FULL, () => id(1 + Math.floor(Math.random() * 1000))), rate: 300, connections: 40 };
    await measure(down, mocks, { ...downOptions, duration: 2 }); // warm-up
    r['down.ucv'] = await measure(down, mocks, downOptions);
    o['down.ucv'] = await sampleOverhead(down, 300, 3, downOptions.body);
    await down.stop();
    await resetMocks(mocks);

    // Stampede: 500 concurrent requests for one cold customer, through a fresh gateway.
    const stampede = await startServer('ucv', envFor());
    await fetch(`${stampede.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: '{ customer(id: "C00000001") { billing { balance } } }' }) }); // WSDL load
    await resetMocks(mocks);
    for (const url of Object.values(mocks)) await control(url, '/faults', 'PATCH', { latencyMs: 50 });
    const stampedeId = id(90_000 + run);
    await Promise.all(Array.from({ length: 500 }, () => fetch(`${stampede.url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: FULL, variables: { id: stampedeId } }) }).then((x) => x.arrayBuffer())));
    r['stampede'] = { rps: 0, p50: 0, p99: 0, cpuMsPerRequest: 0, backendCallsPerRequest: (await totalCalls(mocks)) / 500, non2xx: 0, errors: 0 };
    await stampede.stop();
    await resetMocks(mocks);
    runs.push(r);
    overheadRuns.push(o);
    console.log(`run ${run}/${RUNS}:`, Object.fromEntries(Object.entries(r).map(([k, m]) => [k, `${m.rps.toFixed(0)} req/s p50 ${m.p50} p99 ${m.p99} cpu ${m.cpuMsPerRequest.toFixed(3)} ms calls ${m.backendCallsPerRequest.toFixed(3)}`])));
  }

  const keys = Object.keys(runs[0] ?? {});
  const fields: Array<keyof Measurement> = ['rps', 'p50', 'p99', 'cpuMsPerRequest', 'backendCallsPerRequest', 'non2xx', 'errors'];
  // Failures are the worst run's, never a median that hides one run's failures.
  const across = (f: keyof Measurement, values: number[]): number => (f === 'non2xx' || f === 'errors' ? Math.max(...values) : median(values));
  const medians = Object.fromEntries(keys.map((k) => [k, Object.fromEntries(fields.map((f) => [f, across(f, runs.map((r) => r[k]?.[f] as number))]))])) as unknown as Record<string, Measurement>;
  const m = (k: string): Measurement => medians[k] as Measurement;
  const overheadKeys = Object.keys(overheadRuns[0] ?? {});
  const overheadFields: Array<keyof Overhead> = ['p50', 'p99', 'totalP50', 'totalP99'];
  const overheads = Object.fromEntries(overheadKeys.map((k) => [k, Object.fromEntries(overheadFields.map((f) => [f, median(overheadRuns.map((r) => r[k]?.[f] as number))]))])) as unknown as Record<string, Overhead>;
  const ov = (k: string): Overhead => overheads[k] as Overhead;
  /** A ratio of two scenarios taken within each run (same machine state), then the median over the runs. */
  const ratio = (a: string, b: string): number => median(runs.map((r) => (r[a]?.rps ?? NaN) / (r[b]?.rps ?? NaN)));
  const ratios = {
    cachedVsPlain: ratio('cached.ucv', 'cached.plain'),
    cachedVsHive: ratio('cached.ucv', 'cached.hive'),
    cachedRedisVsHive: ratio('cached.ucv.redis', 'cached.hive'),
    cachedVsBare: ratio('cached.ucv', 'cached.bare'),
    soapVsGraphql: ratio('soap.ucv', 'cached.ucv'),
    live300OverheadP50: m('live.300').p50 - 50,
    live300OverheadP99: m('live.300').p99 - 50,
  };
  const report = { machine: machine(), runs: RUNS, durationSeconds: DURATION, hotSet: HOT, medians, overheads, ratios, all: runs, allOverheads: overheadRuns };
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'latest.json'), JSON.stringify(report, null, 2) + '\n');
  const asked: Record<string, number> = { 'live.100': 100, 'live.300': 300, 'live.600': 600, 'down.ucv': 300 };
  const saturated = Object.entries(asked)
    .filter(([k, rate]) => m(k).rps < rate * 0.95)
    .map(([k, rate]) => `${k} (${m(k).rps.toFixed(0)} of ${rate} req/s)`);
  const row = (name: string, k: string) => {
    const x = m(k);
    return `| ${name} | ${x.rps.toFixed(0)} | ${x.p50} | ${x.p99} | ${x.cpuMsPerRequest.toFixed(3)} | ${x.backendCallsPerRequest.toFixed(3)} | ${x.non2xx} |`;
  };
  const md = `# Benchmark (median of ${RUNS} runs, ${DURATION} s each)

Machine: ${report.machine.cores} cores (${report.machine.cpu}), ${report.machine.memoryGiB} GiB, Node ${report.machine.node}, commit ${report.machine.commit}.
The load generator (autocannon), the mocks and the server under test are three processes sharing these cores, so
read the ratios (each the median of the ratios taken within each run) rather than the absolute numbers.

| scenario | req/s | p50 ms | p99 ms | server CPU ms/req | backend calls/req | non-2xx (worst run) |
|---|---|---|---|---|---|---|
${row('ceiling: bare handler, precomputed view', 'cached.bare')}
${row('cached full view: UCV (in-memory cache)', 'cached.ucv')}
${row('cached full view: UCV (Redis, local copies)', 'cached.ucv.redis')}
${row('cached full view: plain stitched gateway (no cache)', 'cached.plain')}
${row('cached full view: Hive Gateway (response cache on Redis)', 'cached.hive')}
${row('SOAP full view: UCV', 'soap.ucv')}
${row('live fan-out at 100 req/s (backends 20/20/20/50 ms)', 'live.100')}
${row('live fan-out at 300 req/s', 'live.300')}
${row('live fan-out at 600 req/s', 'live.600')}
${row('scoring down, breaker open, others cached, 300 req/s', 'down.ucv')}
${saturated.length > 0 ? `\nNot reached (under 95% of the rate asked, so the machine, not the rate, set the latency): ${saturated.join(', ')}.\n` : ''}
Stampede (500 concurrent requests, one cold customer): ${m('stampede').backendCallsPerRequest * 500} backend calls in all (6 resources: 3 CRM, billing, warehouse, scoring).

| ratio | value | target |
|---|---|---|
| cached UCV / plain stitched | ${ratios.cachedVsPlain.toFixed(2)}× | ≥ 3× |
| cached UCV on Redis / Hive Gateway on Redis | ${ratios.cachedRedisVsHive.toFixed(2)}× | ≥ 3× |
| cached UCV in memory / Hive Gateway on Redis | ${ratios.cachedVsHive.toFixed(2)}× | ≥ 3× |
| cached UCV / bare ceiling | ${(ratios.cachedVsBare * 100).toFixed(0)}% | ≥ 50% |
| SOAP / GraphQL | ${(ratios.soapVsGraphql * 100).toFixed(0)}% | ≥ 70% |
| live at 300 req/s: client p50 / p99 over the slowest backend (50 ms) | ${ratios.live300OverheadP50.toFixed(1)} / ${ratios.live300OverheadP99.toFixed(1)} ms | ≤ 2 / ≤ 10 ms |
| live at 300 req/s: gateway's own overhead over its slowest call (Server-Timing) p50 / p99 | ${ov('live.300').p50.toFixed(2)} / ${ov('live.300').p99.toFixed(2)} ms | ≤ 2 / ≤ 10 ms |
| breaker open: client p99, answered | ${m('down.ucv').p99} ms, ${m('down.ucv').non2xx + m('down.ucv').errors === 0 ? '100%' : `${m('down.ucv').non2xx} non-2xx, ${m('down.ucv').errors} errors in the worst run`} | < 2 ms, 100% |
| breaker open: time in the gateway (Server-Timing) p50 / p99 | ${ov('down.ucv').totalP50.toFixed(2)} / ${ov('down.ucv').totalP99.toFixed(2)} ms | p99 < 2 ms |

Gateway-side overhead, sampled at each fixed rate for 3 s (Server-Timing: time in the gateway minus its slowest backend call):

| rate | overhead p50 ms | overhead p99 ms | time in gateway p50 ms | p99 ms |
|---|---|---|---|---|
${overheadKeys.map((k) => `| ${k} | ${ov(k).p50.toFixed(2)} | ${ov(k).p99.toFixed(2)} | ${ov(k).totalP50.toFixed(2)} | ${ov(k).totalP99.toFixed(2)} |`).join('\n')}
`;
  fs.writeFileSync(path.join(dir, 'latest.md'), md);
  console.log(md);
  await Promise.all(servers.map((server) => server.stop()));
  process.exit(0);
}

void main();
