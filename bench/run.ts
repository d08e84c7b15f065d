/**
 * `npm run bench`: the performance suite. Starts the mocks, the gateway and the baselines itself (one process each),
 * drives load with autocannon from this process, and writes bench/results/latest.{json,md}: the median of RUNS runs
 * (default 3) with the machine's cores, Node version and the commit.
 *
 * Scenarios: cached full view (hot set of 10,000 warmed customers) against the bare-handler ceiling, the plain
 * stitched gateway and Hive Gateway with its response cache on Redis (bench/hive, warmed over the same hot set), the
 * UCV gateway both with its in-memory cache and on Redis;
 * live fan-out at fixed arrival rates with every source a miss, for the UCV gateway and for Hive Gateway with its
 * response cache off (same rates, same mocks, same customers' sequence); one backend down (breaker open); a stampede
 * of 500 concurrent requests for one cold customer; SOAP against GraphQL for the same view; the cached and SOAP views
 * again through a secured gateway: an API key (SOAP: HTTP Basic) of the front-desk role, whose ID card is masked,
 * and every read recorded in the durable store's audit trail (PGlite in a temporary folder, or PostgreSQL with
 * DATABASE_URL), reported beside the anonymous rows with their ratios.
 * Every row also reports what its answers were (bench/answers.ts: complete, partial by code and source, failed, from
 * the worst run), the mocks' CPU per backend call, and for the UCV live rows what the gateway's /metrics saw
 * (bulkhead refusals, call durations, event-loop lag).
 * Env: RUNS, DURATION (seconds per measurement, default 8), HOT (hot set size, default 10000), BENCH_REDIS_URL (Hive
 * Gateway's response cache and the UCV gateway's Redis cache, default redis://127.0.0.1:6379), LIVE_RATES (views/s,
 * default 100,300,600), BODY_SAMPLE (one answer in this many without errors parsed whole, default 10),
 * BENCH_LIVE_POLICY (JSON merged into every adapter's policy of the live fan-out's UCV gateway, e.g.
 * '{"bulkhead":{"maxConcurrent":1000}}', for an A/B of a setting; default none), REPORT_NAME (results file name,
 * default latest).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import {
  answerCounter,
  answeredShare,
  costPerAnswerUs,
  classifyHive,
  classifyPlain,
  classifySoap,
  classifyUcv,
  degraded,
  share,
  type Answers,
  type Classifier,
} from './answers';
import {
  BENCH_API_KEY,
  BENCH_SOAP_USER,
  CACHE_LONG,
  CACHE_OFF,
  control,
  drive,
  forAll,
  gatewayEnv,
  gatewaySeen,
  id,
  machine,
  median,
  percentile,
  resetMocks,
  scrapeMetrics,
  soapViewEnvelope,
  startServer,
  totalCalls,
  WARM_READS,
  type GatewaySeen,
  type MockUrls,
  type Server,
} from './support';

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
/** Parse one answer in this many without errors whole, to find sections null without an error (bench/answers.ts). */
const BODY_SAMPLE = Number(process.env.BODY_SAMPLE ?? 10);
/** The fixed arrival rates of the live fan-out, views per second. */
const LIVE_RATES = (process.env.LIVE_RATES ?? '100,300,600').split(',').map(Number);
const LIVE_POLICY = JSON.parse(process.env.BENCH_LIVE_POLICY ?? '{}') as Record<string, unknown>;
const REPORT_NAME = process.env.REPORT_NAME ?? 'latest';
/** The secured rows' consumer: the front-desk role's API key on /graphql, HTTP Basic on SOAP. */
const SECURED_HEADERS = { 'x-api-key': BENCH_API_KEY };
const SECURED_SOAP_HEADERS = {
  authorization: `Basic ${Buffer.from(`${BENCH_SOAP_USER.username}:${BENCH_SOAP_USER.password}`).toString('base64')}`,
};
const AUDIT_STORE = process.env.DATABASE_URL ? 'PostgreSQL' : 'PGlite';

/** The mocks' process, for its CPU per backend call (set in main). */
let mockProcess: Server | undefined;

interface Measurement {
  rps: number;
  p50: number;
  p99: number;
  cpuMsPerRequest: number;
  backendCallsPerRequest: number;
  non2xx: number;
  errors: number;
  /** What the answers contained: complete, partial by cause, failed (bench/answers.ts). */
  answers: Answers;
  /** The mocks' process CPU per backend call it served (µs), and the share of one core it used over the run. */
  mockCpuUsPerCall: number;
  mockCores: number;
  /** The UCV gateway's own account of the live fan-out (its /metrics), for the rows that went partial. */
  seen?: GatewaySeen;
}

/**
 * One autocannon measurement against `target`, with the server's CPU, the backend calls it caused, the mocks' CPU
 * for them, and what its answers contained.
 */
async function measure(
  target: Server,
  mocks: MockUrls,
  options: {
    path?: string;
    body: () => string;
    contentType?: string;
    headers?: Record<string, string>;
    connections?: number;
    rate?: number;
    duration?: number;
    classify?: Classifier;
  },
): Promise<Measurement> {
  const counter = answerCounter(options.classify ?? classifyUcv, BODY_SAMPLE);
  const cpuBefore = target.cpuSeconds();
  const mockCpuBefore = mockProcess?.cpuSeconds() ?? 0;
  const callsBefore = await totalCalls(mocks);
  const started = performance.now();
  const result = await autocannon({
    url: `${target.url}${options.path ?? '/graphql'}`,
    method: 'POST',
    headers: { 'content-type': options.contentType ?? 'application/json', ...options.headers },
    connections: options.connections ?? 32,
    duration: options.duration ?? DURATION,
    ...(options.rate ? { overallRate: options.rate } : {}),
    requests: [
      {
        setupRequest: (req: Record<string, unknown>) => ({ ...req, body: options.body() }),
        onResponse: counter.onResponse,
      },
    ],
  } as unknown as autocannon.Options);
  const seconds = (performance.now() - started) / 1000;
  const requests = result.requests.total;
  const calls = (await totalCalls(mocks)) - callsBefore;
  const mockCpu = (mockProcess?.cpuSeconds() ?? 0) - mockCpuBefore;
  counter.answers.network = result.errors;
  counter.answers.total += result.errors;
  return {
    rps: result.requests.average,
    p50: result.latency.p50,
    p99: result.latency.p99,
    cpuMsPerRequest: ((target.cpuSeconds() - cpuBefore) * 1000) / Math.max(1, requests),
    backendCallsPerRequest: calls / Math.max(1, requests),
    non2xx: result.non2xx,
    errors: result.errors,
    answers: counter.answers,
    // Under 100 calls, the mocks' idle work (timers, control requests) would pass for the cost of a call.
    mockCpuUsPerCall: calls >= 100 ? (mockCpu * 1e6) / calls : 0,
    mockCores: mockCpu / seconds,
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
      fetch(`${target.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: body(),
      }).then(async (res) => {
        await res.arrayBuffer();
        const timing = Object.fromEntries(
          (res.headers.get('server-timing') ?? '')
            .split(', ')
            .map((m) => [m.split(';')[0], Number(m.split('dur=')[1])]),
        );
        if (typeof timing.gateway === 'number' && typeof timing.backend === 'number') {
          overheads.push(timing.gateway - timing.backend);
          totals.push(timing.gateway);
        }
      }),
    );
  }
  await Promise.all(pending);
  return {
    p50: percentile(overheads, 50),
    p99: percentile(overheads, 99),
    totalP50: percentile(totals, 50),
    totalP99: percentile(totals, 99),
  };
}

/** Reads the hot set through SOAP as `warm` does through GraphQL, so that both facades' rows start from kept answers. */
async function warmSoap(target: Server, count: number, headers: Record<string, string> = {}): Promise<void> {
  await drive(count * WARM_READS, 16, async (n) => {
    const i = n % count;
    await fetch(`${target.url}/soap/CustomerView`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml; charset=utf-8', ...headers },
      body: soapViewEnvelope(id(i + 1)),
    }).then((r) => r.arrayBuffer());
  });
}

/** Reads the full view of customers 1…count WARM_READS times each, 16 at a time, so they are in the gateway's caches. */
async function warm(target: Server, count: number, query = FULL, headers: Record<string, string> = {}): Promise<void> {
  await drive(count * WARM_READS, 16, async (n) => {
    const i = n % count;
    const body = JSON.stringify({ query, variables: { id: id(i + 1) } });
    await fetch(`${target.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body,
    }).then((r) => r.arrayBuffer());
  });
}

async function main(): Promise<void> {
  // The machine is shared: its load before and after says how much else ran during the measurement.
  const loadBefore = os.loadavg()[1] as number;
  const load1Before = os.loadavg()[0] as number;
  const mockServer = await startServer('mocks');
  mockProcess = mockServer;
  const mocks = mockServer.urls;
  const envFor = (policies: object = {}) => gatewayEnv(mocks, policies);
  // The cached scenario serves every source from the cache: TTLs longer than the run.
  const ucv = await startServer('ucv', envFor(forAll(CACHE_LONG)));
  // The same on Redis, as Hive Gateway's response cache is: every instance shares it, each keeps local copies.
  const ucvRedis = await startServer('ucv', { ...envFor(forAll(CACHE_LONG)), STACK_REDIS_URL: REDIS_URL });
  const plain = await startServer('plain', envFor());
  const view = await (
    await fetch(`${ucv.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: FULL, variables: { id: id(1) } }),
    })
  ).text();
  const bodyFile = path.join(os.tmpdir(), `ucv-bench-view-${process.pid}.json`);
  fs.writeFileSync(bodyFile, view);
  const bare = await startServer('bare', { BARE_BODY_FILE: bodyFile });
  // The load generator's own ceiling: the same requests answered with two bytes, so nothing but HTTP and the
  // generator's own work is measured. A row near it is limited by the generator, not by the server.
  const tinyFile = path.join(os.tmpdir(), `ucv-bench-tiny-${process.pid}.json`);
  fs.writeFileSync(tinyFile, '{}');
  const tiny = await startServer('bare', { BARE_BODY_FILE: tinyFile });
  // The live view's floor: the same six backend calls per view, in parallel, parsed, and the precomputed view sent.
  const fanout = await startServer('fanout', { MOCK_URLS: JSON.stringify(mocks), BARE_BODY_FILE: bodyFile });
  // What counting the answers costs the load generator, on a real complete view and a real partial one.
  const partialView = await (
    await fetch(`${ucv.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: FULL, variables: { id: id(3) } }),
    })
  ).text();
  const counting = {
    completeUs: costPerAnswerUs(classifyUcv, view, BODY_SAMPLE),
    partialUs: costPerAnswerUs(classifyUcv, partialView, BODY_SAMPLE),
    viewBytes: view.length,
  };
  const hive = await startServer('hive', { MOCK_URLS: JSON.stringify(mocks), HIVE_REDIS_URL: REDIS_URL });
  // The live fan-out's peer: Hive Gateway with its response cache off, every view a call to each source.
  const hiveLive = await startServer('hive', { MOCK_URLS: JSON.stringify(mocks), HIVE_RESPONSE_CACHE: 'off' });
  // Secured: an API key of the front-desk role (the ID card masked) and the audit trail in the durable store.
  const ucvSecured = await startServer('ucv', { ...envFor(forAll(CACHE_LONG)), STACK_AUDIT: '1' });
  // The same on Redis: the production set-up Hive Gateway's Redis response cache is compared with.
  const ucvSecuredRedis = await startServer('ucv', {
    ...envFor(forAll(CACHE_LONG)),
    STACK_AUDIT: '1',
    STACK_REDIS_URL: REDIS_URL,
  });
  const servers = [mockServer, ucv, ucvRedis, ucvSecured, ucvSecuredRedis, plain, bare, tiny, fanout, hive, hiveLive];
  process.on('exit', () => servers.forEach((server) => server.child.kill('SIGKILL')));

  console.log(`warming ${HOT} customers…`);
  await warm(ucv, HOT);
  await warm(ucvRedis, HOT);
  await warm(ucvSecured, HOT, FULL, SECURED_HEADERS);
  await warm(ucvSecuredRedis, HOT, FULL, SECURED_HEADERS);
  // The SOAP rows run on the same gateways: their answers are kept per facade, so they are warmed too (until
  // 49ce569 they were not, and the SOAP row measured mostly each customer's first SOAP read).
  await warmSoap(ucv, HOT);
  await warmSoap(ucvSecured, HOT, SECURED_SOAP_HEADERS);
  await warm(hive, HOT, FULL_HIVE);

  const runs: Array<Record<string, Measurement>> = [];
  const overheadRuns: Array<Record<string, Overhead>> = [];
  for (let run = 1; run <= RUNS; run++) {
    const r: Record<string, Measurement> = {};
    const o: Record<string, Overhead> = {};
    await resetMocks(mocks);
    // Its two bytes are no view: every 2xx counts as complete.
    r['ceiling.generator'] = await measure(tiny, mocks, { body: graphqlBody(FULL, hotId), classify: () => null });
    r['cached.bare'] = await measure(bare, mocks, { body: graphqlBody(FULL, hotId) });
    r['cached.ucv'] = await measure(ucv, mocks, { body: graphqlBody(FULL, hotId) });
    r['cached.ucv.redis'] = await measure(ucvRedis, mocks, { body: graphqlBody(FULL, hotId) });
    // The Redis row against the memory row at a second concurrency level (128 connections).
    r['cached.ucv.128'] = await measure(ucv, mocks, { body: graphqlBody(FULL, hotId), connections: 128 });
    r['cached.ucv.redis.128'] = await measure(ucvRedis, mocks, { body: graphqlBody(FULL, hotId), connections: 128 });
    r['cached.hive'] = await measure(hive, mocks, { body: graphqlBody(FULL_HIVE, hotId), classify: classifyHive });
    r['soap.ucv'] = await measure(ucv, mocks, {
      path: '/soap/CustomerView',
      contentType: 'text/xml; charset=utf-8',
      body: () => soapViewEnvelope(hotId()),
      classify: classifySoap,
    });
    r['cached.ucv.secured'] = await measure(ucvSecured, mocks, {
      body: graphqlBody(FULL, hotId),
      headers: SECURED_HEADERS,
    });
    r['cached.ucv.secured.redis'] = await measure(ucvSecuredRedis, mocks, {
      body: graphqlBody(FULL, hotId),
      headers: SECURED_HEADERS,
    });
    r['soap.ucv.secured'] = await measure(ucvSecured, mocks, {
      path: '/soap/CustomerView',
      contentType: 'text/xml; charset=utf-8',
      body: () => soapViewEnvelope(hotId()),
      headers: SECURED_SOAP_HEADERS,
      classify: classifySoap,
    });
    // Last: its requests still in flight when its measurement ends call backends for a while.
    r['cached.plain'] = await measure(plain, mocks, { body: graphqlBody(FULL_PLAIN, hotId), classify: classifyPlain });

    // Live fan-out: every source a miss, fixed backend latencies, fixed arrival rates.
    const live = await startServer('ucv', envFor(forAll({ ...CACHE_OFF, ...LIVE_POLICY })));
    const latencies: Record<string, number> = { crm: 20, billing: 20, warehouse: 20, scoring: 50 };
    for (const [name, url] of Object.entries(mocks))
      await control(url, '/faults', 'PATCH', { latencyMs: latencies[name] });
    let cold = 200_000;
    for (const rate of LIVE_RATES) {
      const options = {
        body: graphqlBody(FULL, () => id(20_000 + (cold++ % 80_000))),
        rate,
        connections: Math.ceil(rate * 0.2 + 10),
      };
      await measure(live, mocks, { ...options, duration: 2 }); // warm-up at this rate, not reported
      const metricsBefore = await scrapeMetrics(live.url);
      r[`live.${rate}`] = await measure(live, mocks, options);
      (r[`live.${rate}`] as Measurement).seen = gatewaySeen(metricsBefore, await scrapeMetrics(live.url));
      o[`live.${rate}`] = await sampleOverhead(live, rate, 3, options.body);
      // Hive Gateway at the same rate over the same mocks, the next customers of the same sequence.
      const hiveOptions = {
        ...options,
        body: graphqlBody(FULL_HIVE, () => id(20_000 + (cold++ % 80_000))),
        classify: classifyHive,
      };
      await measure(hiveLive, mocks, { ...hiveOptions, duration: 2 });
      r[`live.hive.${rate}`] = await measure(hiveLive, mocks, hiveOptions);
      // The floor at the same rate: the same calls, nothing else (servers.ts fanout).
      const floorOptions = { ...options, body: graphqlBody(FULL, () => id(20_000 + (cold++ % 80_000))) };
      await measure(fanout, mocks, { ...floorOptions, duration: 2 });
      r[`live.floor.${rate}`] = await measure(fanout, mocks, floorOptions);
    }
    await live.stop();
    await resetMocks(mocks);

    // One backend down, its breaker open: the others served from the cache.
    await control(mocks.scoring, '/faults', 'PATCH', { down: '503' });
    const down = await startServer(
      'ucv',
      envFor({ ...forAll(CACHE_LONG), scoring: { ...CACHE_OFF, breaker: { resetTimeoutMs: 600_000 } } }),
    );
    await warm(down, 1000);
    const downOptions = {
      body: graphqlBody(FULL, () => id(1 + Math.floor(Math.random() * 1000))),
      rate: 300,
      connections: 40,
    };
    await measure(down, mocks, { ...downOptions, duration: 2 }); // warm-up
    r['down.ucv'] = await measure(down, mocks, downOptions);
    o['down.ucv'] = await sampleOverhead(down, 300, 3, downOptions.body);
    await down.stop();
    await resetMocks(mocks);

    // Stampede: 500 concurrent requests for one cold customer, through a fresh gateway.
    const stampede = await startServer('ucv', envFor());
    await fetch(`${stampede.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: '{ customer(id: "C00000001") { billing { balance } } }' }),
    }); // WSDL load
    await resetMocks(mocks);
    for (const url of Object.values(mocks)) await control(url, '/faults', 'PATCH', { latencyMs: 50 });
    const stampedeId = id(90_000 + run);
    const stampedeCounter = answerCounter(classifyUcv, 1);
    await Promise.all(
      Array.from({ length: 500 }, () =>
        fetch(`${stampede.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({ query: FULL, variables: { id: stampedeId } }),
        })
          .then(async (x) => stampedeCounter.onResponse(x.status, await x.text()))
          .catch(() => {
            stampedeCounter.answers.network++;
            stampedeCounter.answers.total++;
          }),
      ),
    );
    const counter500 = stampedeCounter.answers;
    r['stampede'] = {
      rps: 0,
      p50: 0,
      p99: 0,
      cpuMsPerRequest: 0,
      backendCallsPerRequest: (await totalCalls(mocks)) / 500,
      non2xx: 0,
      errors: 0,
      answers: counter500,
      mockCpuUsPerCall: 0,
      mockCores: 0,
    };
    await stampede.stop();
    await resetMocks(mocks);
    runs.push(r);
    overheadRuns.push(o);
    console.log(
      `run ${run}/${RUNS}:`,
      Object.fromEntries(
        Object.entries(r).map(([k, m]) => [
          k,
          `${m.rps.toFixed(0)} req/s p50 ${m.p50} p99 ${m.p99} cpu ${m.cpuMsPerRequest.toFixed(3)} ms calls ${m.backendCallsPerRequest.toFixed(3)}`,
        ]),
      ),
    );
  }

  const keys = Object.keys(runs[0] ?? {});
  const fields: Array<keyof Measurement> = [
    'rps',
    'p50',
    'p99',
    'cpuMsPerRequest',
    'backendCallsPerRequest',
    'non2xx',
    'errors',
    'mockCpuUsPerCall',
    'mockCores',
  ];
  // Failures are the worst run's, never a median that hides one run's failures.
  const across = (f: keyof Measurement, values: number[]): number =>
    f === 'non2xx' || f === 'errors' ? Math.max(...values) : median(values);
  /** The worst run's measurement: the most degraded answers, then the fewest complete. */
  const worst = (all: Measurement[]): Measurement =>
    [...all].sort(
      (x, y) =>
        answeredShare(x.answers) - answeredShare(y.answers) ||
        x.answers.complete / Math.max(1, x.answers.total) - y.answers.complete / Math.max(1, y.answers.total),
    )[0] as Measurement;
  const medians = Object.fromEntries(
    keys.map((k) => {
      const w = worst(runs.map((r) => r[k] as Measurement));
      return [
        k,
        {
          ...Object.fromEntries(
            fields.map((f) => [
              f,
              across(
                f,
                runs.map((r) => r[k]?.[f] as number),
              ),
            ]),
          ),
          answers: w.answers,
          ...(w.seen ? { seen: w.seen } : {}),
        },
      ];
    }),
  ) as unknown as Record<string, Measurement>;
  const m = (k: string): Measurement => medians[k] as Measurement;
  const overheadKeys = Object.keys(overheadRuns[0] ?? {});
  const overheadFields: Array<keyof Overhead> = ['p50', 'p99', 'totalP50', 'totalP99'];
  const overheads = Object.fromEntries(
    overheadKeys.map((k) => [
      k,
      Object.fromEntries(overheadFields.map((f) => [f, median(overheadRuns.map((r) => r[k]?.[f] as number))])),
    ]),
  ) as unknown as Record<string, Overhead>;
  const ov = (k: string): Overhead => overheads[k] as Overhead;
  /** A ratio of two scenarios taken within each run (same machine state), then the median over the runs. */
  const ratio = (a: string, b: string, f: 'rps' | 'cpuMsPerRequest' = 'rps'): number =>
    median(runs.map((r) => (r[a]?.[f] ?? NaN) / (r[b]?.[f] ?? NaN)));
  /**
   * A comparison of two gateways holds only where both answered the same share: all the backends could give
   * (complete, or partial only because a system does not know the customer, which the random ids meet at slightly
   * different rates), within half a point.
   */
  const holds = (a: string, b: string): boolean =>
    Math.abs(answeredShare(m(a).answers) - answeredShare(m(b).answers)) <= 0.005;
  const ratios = {
    cachedVsPlain: ratio('cached.ucv', 'cached.plain'),
    cachedVsHive: ratio('cached.ucv', 'cached.hive'),
    cachedRedisVsHive: ratio('cached.ucv.redis', 'cached.hive'),
    cachedVsBare: ratio('cached.ucv', 'cached.bare'),
    bareVsGenerator: ratio('cached.bare', 'ceiling.generator'),
    redisVsMemory32: ratio('cached.ucv.redis', 'cached.ucv'),
    redisVsMemory128: ratio('cached.ucv.redis.128', 'cached.ucv.128'),
    securedRedisVsHive: ratio('cached.ucv.secured.redis', 'cached.hive'),
    securedRedisVsBare: ratio('cached.ucv.secured.redis', 'cached.bare'),
    soapVsGraphql: ratio('soap.ucv', 'cached.ucv'),
    securedVsAnonymous: ratio('cached.ucv.secured', 'cached.ucv'),
    securedVsHive: ratio('cached.ucv.secured', 'cached.hive'),
    securedVsBare: ratio('cached.ucv.secured', 'cached.bare'),
    soapSecuredVsGraphqlSecured: ratio('soap.ucv.secured', 'cached.ucv.secured'),
    live300OverheadP50: m('live.300').p50 - 50,
    live300OverheadP99: m('live.300').p99 - 50,
    ...Object.fromEntries(
      LIVE_RATES.map((rate) => [
        `liveCpu${rate}UcvOverHive`,
        ratio(`live.${rate}`, `live.hive.${rate}`, 'cpuMsPerRequest'),
      ]),
    ),
    ...Object.fromEntries(
      LIVE_RATES.map((rate) => [
        `liveCpu${rate}UcvOverFloor`,
        ratio(`live.${rate}`, `live.floor.${rate}`, 'cpuMsPerRequest'),
      ]),
    ),
  };
  const comparisons = {
    cachedVsHive: holds('cached.ucv', 'cached.hive'),
    cachedRedisVsHive: holds('cached.ucv.redis', 'cached.hive'),
    ...Object.fromEntries(LIVE_RATES.map((rate) => [`live${rate}`, holds(`live.${rate}`, `live.hive.${rate}`)])),
  };
  const loadAverage5m = { before: loadBefore, after: os.loadavg()[1] as number };
  const loadAverage1m = { before: load1Before, after: os.loadavg()[0] as number };
  const report = {
    machine: machine(),
    loadAverage5m,
    loadAverage1m,
    livePolicy: LIVE_POLICY,
    runs: RUNS,
    durationSeconds: DURATION,
    hotSet: HOT,
    bodySample: BODY_SAMPLE,
    counting,
    medians,
    overheads,
    ratios,
    comparisons,
    all: runs,
    allOverheads: overheadRuns,
  };
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, `${REPORT_NAME}.json`), JSON.stringify(report, null, 2) + '\n');
  const asked: Record<string, number> = {
    ...Object.fromEntries(
      LIVE_RATES.flatMap((rate) => [
        [`live.${rate}`, rate],
        [`live.hive.${rate}`, rate],
      ]),
    ),
    'down.ucv': 300,
  };
  const saturated = Object.entries(asked)
    .filter(([k, rate]) => m(k).rps < rate * 0.95)
    .map(([k, rate]) => `${k} (${m(k).rps.toFixed(0)} of ${rate} req/s)`);
  const int = (n: number): string => n.toLocaleString('en-US');
  const failed = (a: Answers): number => a.non2xx + a.network;
  const row = (name: string, k: string) => {
    const x = m(k);
    const a = x.answers;
    return `| ${name} | ${x.rps.toFixed(0)} | ${x.p50} | ${x.p99} | ${x.cpuMsPerRequest.toFixed(3)} | ${x.backendCallsPerRequest.toFixed(3)} | ${x.mockCpuUsPerCall > 0 ? x.mockCpuUsPerCall.toFixed(0) : '–'} | ${share(a.complete, a.total)} | ${share(a.partial, a.total)} | ${share(failed(a), a.total)}${failed(a) > 0 ? ` (${int(a.non2xx)} non-2xx, ${int(a.network)} no answer)` : ''} |`;
  };
  const rows: Array<[string, string]> = [
    ['ceiling of the load generator: a 2-byte answer to the same requests', 'ceiling.generator'],
    ['ceiling: bare handler, precomputed view', 'cached.bare'],
    ['cached full view: UCV (in-memory cache)', 'cached.ucv'],
    ['cached full view: UCV (Redis, local copies)', 'cached.ucv.redis'],
    ['cached full view: UCV (in-memory cache), 128 connections', 'cached.ucv.128'],
    ['cached full view: UCV (Redis, local copies), 128 connections', 'cached.ucv.redis.128'],
    ['cached full view: plain stitched gateway (no cache)', 'cached.plain'],
    ['cached full view: Hive Gateway (response cache on Redis)', 'cached.hive'],
    ['SOAP full view: UCV', 'soap.ucv'],
    [
      `cached full view: UCV secured (front-desk API key, ID card masked, audit in ${AUDIT_STORE})`,
      'cached.ucv.secured',
    ],
    [
      `cached full view: UCV secured on Redis (front-desk API key, ID card masked, audit in ${AUDIT_STORE})`,
      'cached.ucv.secured.redis',
    ],
    [`SOAP full view: UCV secured (front-desk, HTTP Basic, audit in ${AUDIT_STORE})`, 'soap.ucv.secured'],
    ...LIVE_RATES.flatMap((rate, i): Array<[string, string]> => [
      [
        i === 0 ? `live fan-out at ${rate} req/s: UCV (backends 20/20/20/50 ms)` : `live fan-out at ${rate} req/s: UCV`,
        `live.${rate}`,
      ],
      [`live fan-out at ${rate} req/s: Hive Gateway (response cache off)`, `live.hive.${rate}`],
      [`live fan-out at ${rate} req/s: floor (the same six calls, nothing else)`, `live.floor.${rate}`],
    ]),
    ['scoring down, breaker open, others cached, 300 req/s', 'down.ucv'],
    ['stampede: 500 concurrent requests, one cold customer', 'stampede'],
  ];
  const causes = (a: Answers): string =>
    Object.entries(a.partialBy)
      .sort((x, y) => y[1] - x[1])
      .map(([cause, n]) => `${cause} ${int(n)} (${share(n, a.total)})`)
      .join(', ') || 'none';
  const flagged = rows.filter(([, k]) => degraded(m(k).answers) > 0);
  /** Rows partial by design: the breaker scenario's down backend. */
  const expected: Record<string, string> = {
    'down.ucv': 'expected: scoring is down, its sections come back SOURCE_UNAVAILABLE',
  };
  const verdict = (ok: boolean): string =>
    ok ? 'holds (same share answered)' : '**does not hold** (different shares answered)';
  const md = `# Benchmark (median of ${RUNS} runs, ${DURATION} s each)

Machine: ${report.machine.cores} cores (${report.machine.cpu}), ${report.machine.memoryGiB} GiB, Node ${report.machine.node}, commit ${report.machine.commit}.
The load generator (autocannon), the mocks and the server under test are separate processes sharing these cores
(the load generator takes its share of them), so read the ratios (each the median of the ratios taken within each
run) rather than the absolute numbers. The machine's load average (1 / 5 minutes) was ${loadAverage1m.before.toFixed(1)} / ${loadAverage5m.before.toFixed(1)} before
the run and ${loadAverage1m.after.toFixed(1)} / ${loadAverage5m.after.toFixed(1)} after it (above ${report.machine.cores}: other work shared the cores too).
The load generator's own ceiling (the first row: the same requests, a 2-byte answer) bounds every row: the bare
handler reached ${(ratios.bareVsGenerator * 100).toFixed(0)}% of it, so a row near the bare handler measures the generator as much as the server.

${Object.keys(LIVE_POLICY).length > 0 ? `The live fan-out's UCV gateway ran with \`${JSON.stringify(LIVE_POLICY)}\` merged into every adapter's policy (BENCH_LIVE_POLICY).\n\n` : ''}Answers (bench/answers.ts) are from the worst run of each row: **complete** is HTTP 2xx, no \`errors\` and every
selected section present; **partial** is 2xx with a section missing (by cause below: \`NOT_FOUND/…\` is the data
set's customer unknown to one system, a business answer); **failed** is non-2xx or no answer. Mock CPU is the mocks'
process CPU per backend call it served (one process for the four systems).

| scenario | req/s | p50 ms | p99 ms | server CPU ms/req | backend calls/req | mock CPU µs/call | complete | partial | failed |
|---|---|---|---|---|---|---|---|---|---|
${rows.map(([name, k]) => row(name, k)).join('\n')}
${saturated.length > 0 ? `\nNot reached (under 95% of the rate asked, so the machine, not the rate, set the latency): ${saturated.join(', ')}.\n` : ''}
${flagged.length > 0 ? `**Rows whose answers are not complete** (partial for other reasons than a system not knowing the customer, or failed):\n\n${flagged.map(([name, k]) => `- ${name} (\`${k}\`): ${share(degraded(m(k).answers), m(k).answers.total)} not all the backends could give${expected[k] ? ` (${expected[k]})` : ''}; ${causes(m(k).answers)}; ${int(failed(m(k).answers))} failed of ${int(m(k).answers.total)}`).join('\n')}\n` : "Every row answered completely, but for the data set's customers unknown to one system.\n"}
Partial answers by cause (worst run; one answer in ${BODY_SAMPLE} without errors parsed whole to look for sections null without an error).
Counting costs the load generator ${counting.completeUs.toFixed(1)} µs of CPU per complete answer (${counting.viewBytes} bytes; a status check, one
\`indexOf\`, a whole parse one time in ${BODY_SAMPLE}) and ${counting.partialUs.toFixed(1)} µs per partial one (always parsed), on top of
autocannon's own body accumulation, which it does in any case: at ${m('cached.ucv').rps.toFixed(0)} req/s, ${((m('cached.ucv').rps * counting.completeUs) / 1e4).toFixed(1)}% of one core.

| scenario | answers | causes |
|---|---|---|
${rows.map(([, k]) => `| ${k} | ${int(m(k).answers.total)} | ${causes(m(k).answers)} |`).join('\n')}

What the UCV gateway saw in the live fan-out (its /metrics over the worst run's measurement; the mocks answer in
20/20/20/50 ms; a source's bulkhead refuses a call when it already has \`maxConcurrent\` in flight, default 100):

| rate | bulkhead refusals crm / billing / warehouse / scoring | mean call as the gateway measured it, ms (crm / billing / warehouse / scoring) | event-loop lag p99 ms | CRM calls in flight by Little's law (3 × rate × mean call) |
|---|---|---|---|---|
${LIVE_RATES.map((rate) => {
  const seen = m(`live.${rate}`).seen;
  if (!seen) return `| ${rate} | | | | |`;
  const srcs = ['crm', 'billing', 'warehouse', 'scoring'];
  return `| ${rate} | ${srcs.map((x) => int(seen.bulkheadRejections[x] ?? 0)).join(' / ')} | ${srcs.map((x) => (seen.meanCallMs[x] ?? NaN).toFixed(1)).join(' / ')} | ${seen.loopLagP99Ms.toFixed(1)} | ${((3 * Math.min(rate, m(`live.${rate}`).rps) * (seen.meanCallMs.crm ?? NaN)) / 1000).toFixed(0)} |`;
}).join('\n')}

Stampede (500 concurrent requests, one cold customer): ${m('stampede').backendCallsPerRequest * 500} backend calls in all (6 resources: 3 CRM, billing, warehouse, scoring).

Mocks: ${LIVE_RATES.map((rate) => `${m(`live.${rate}`).mockCpuUsPerCall.toFixed(0)} µs of CPU per backend call at ${rate} UCV views/s (${(m(`live.${rate}`).mockCores * 100).toFixed(0)}% of a core)`).join(', ')}; under Hive Gateway ${LIVE_RATES.map((rate) => `${m(`live.hive.${rate}`).mockCpuUsPerCall.toFixed(0)} µs at ${rate} (${(m(`live.hive.${rate}`).mockCores * 100).toFixed(0)}%)`).join(', ')}.

| ratio | value | target | comparison |
|---|---|---|---|
| cached UCV / plain stitched | ${ratios.cachedVsPlain.toFixed(2)}× | ≥ 3× | |
| cached UCV on Redis / Hive Gateway on Redis | ${ratios.cachedRedisVsHive.toFixed(2)}× | ≥ 3× | ${verdict(comparisons.cachedRedisVsHive)} |
| cached UCV in memory / Hive Gateway on Redis | ${ratios.cachedVsHive.toFixed(2)}× | ≥ 3× | ${verdict(comparisons.cachedVsHive)} |
| cached UCV / bare ceiling | ${(ratios.cachedVsBare * 100).toFixed(0)}% | ≥ 50% | |
| cached UCV on Redis / in memory, 32 and 128 connections | ${(ratios.redisVsMemory32 * 100).toFixed(0)}% / ${(ratios.redisVsMemory128 * 100).toFixed(0)}% | ≥ 90% | |
| secured cached UCV on Redis (API key, mask, audit in ${AUDIT_STORE}) / Hive Gateway on Redis | ${ratios.securedRedisVsHive.toFixed(2)}× | ≥ 3× | ${verdict(holds('cached.ucv.secured.redis', 'cached.hive'))} |
| secured cached UCV on Redis / bare ceiling | ${(ratios.securedRedisVsBare * 100).toFixed(0)}% | ≥ 25% | |
| SOAP / GraphQL | ${(ratios.soapVsGraphql * 100).toFixed(0)}% | ≥ 80% | |
| secured cached UCV (API key, mask, audit in ${AUDIT_STORE}) / anonymous cached UCV | ${(ratios.securedVsAnonymous * 100).toFixed(0)}% | | |
| secured cached UCV in memory / Hive Gateway on Redis | ${ratios.securedVsHive.toFixed(2)}× | ≥ 3× | ${verdict(holds('cached.ucv.secured', 'cached.hive'))} |
| secured cached UCV / bare ceiling | ${(ratios.securedVsBare * 100).toFixed(0)}% | ≥ 50% | |
| secured SOAP / secured GraphQL | ${(ratios.soapSecuredVsGraphqlSecured * 100).toFixed(0)}% | ≥ 80% | |
${LIVE_RATES.map((rate) => `| live at ${rate} req/s: gateway CPU per view, UCV / Hive Gateway (${m(`live.${rate}`).cpuMsPerRequest.toFixed(2)} / ${m(`live.hive.${rate}`).cpuMsPerRequest.toFixed(2)} ms) | ${(ratios as Record<string, number>)[`liveCpu${rate}UcvOverHive`]?.toFixed(2)}× | ≤ 0.5× | ${verdict((comparisons as Record<string, boolean>)[`live${rate}`] as boolean)} |`).join('\n')}
${LIVE_RATES.map((rate) => `| live at ${rate} req/s: gateway CPU per view, UCV / the floor (${m(`live.${rate}`).cpuMsPerRequest.toFixed(2)} / ${m(`live.floor.${rate}`).cpuMsPerRequest.toFixed(2)} ms) | ${(ratios as Record<string, number>)[`liveCpu${rate}UcvOverFloor`]?.toFixed(2)}× | ≤ 2× | |`).join('\n')}
| live at 300 req/s: client p50 / p99 over the slowest backend (50 ms) | ${ratios.live300OverheadP50.toFixed(1)} / ${ratios.live300OverheadP99.toFixed(1)} ms | ≤ 2 / ≤ 10 ms | |
| live at 300 req/s: gateway's own overhead over its slowest call (Server-Timing) p50 / p99 | ${ov('live.300').p50.toFixed(2)} / ${ov('live.300').p99.toFixed(2)} ms | ≤ 2 / ≤ 10 ms | |
| breaker open: client p99, answered | ${m('down.ucv').p99} ms, ${m('down.ucv').non2xx + m('down.ucv').errors === 0 ? '100%' : `${m('down.ucv').non2xx} non-2xx, ${m('down.ucv').errors} errors in the worst run`} | < 2 ms, 100% | |
| breaker open: time in the gateway (Server-Timing) p50 / p99 | ${ov('down.ucv').totalP50.toFixed(2)} / ${ov('down.ucv').totalP99.toFixed(2)} ms | p99 < 2 ms | |

Gateway-side overhead, sampled at each fixed rate for 3 s (Server-Timing: time in the gateway minus its slowest backend call):

| rate | overhead p50 ms | overhead p99 ms | time in gateway p50 ms | p99 ms |
|---|---|---|---|---|
${overheadKeys.map((k) => `| ${k} | ${ov(k).p50.toFixed(2)} | ${ov(k).p99.toFixed(2)} | ${ov(k).totalP50.toFixed(2)} | ${ov(k).totalP99.toFixed(2)} |`).join('\n')}
`;
  fs.writeFileSync(path.join(dir, `${REPORT_NAME}.md`), md);
  console.log(md);
  await ucvSecured.stop('SIGTERM'); // drains and removes its store's folder
  await Promise.all(servers.map((server) => server.stop()));
  process.exit(0);
}

void main();
