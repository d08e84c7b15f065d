/**
 * What every benchmark shares: server roles started in their own processes (bench/servers.ts), the mocks' control
 * endpoints, a closed-loop driver, percentiles, and the machine's description for reports.
 */
import { execSync, spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';

export const ADAPTERS = ['crm', 'billing', 'warehouse', 'scoring'] as const;
export type MockUrls = Record<(typeof ADAPTERS)[number], string>;

export const id = (n: number): string => `C${String(n).padStart(8, '0')}`;

/** A GetCustomerView envelope for the SOAP facade: the whole view of one customer. */
export const soapViewEnvelope = (customerId: string): string =>
  `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:v="urn:ucv:customer-view:v1"><soap:Body><v:GetCustomerView><v:customerId>${customerId}</v:customerId></v:GetCustomerView></soap:Body></soap:Envelope>`;

/** The environment of a `ucv` role: the mocks' URLs and a policy per adapter. */
/** The bench's consumers: an API key and a JWT secret for the front-desk role (identity, rights and masking at work). */
export const BENCH_API_KEY = 'bench-front-desk-key';
export const BENCH_JWT = {
  secret: 'bench-jwt-secret-of-at-least-32-characters',
  issuer: 'bench',
  audience: 'ucv-gateway',
};
/** The same consumer on SOAP: HTTP Basic. */
export const BENCH_SOAP_USER = { username: 'bench', password: 'bench-soap-password' };
export const BENCH_SECURITY = {
  anonymous: { role: 'admin' },
  consumers: [
    {
      id: 'bench',
      role: 'front-desk',
      apiKeySha256: createHash('sha256').update(BENCH_API_KEY).digest('hex'),
      ...BENCH_SOAP_USER,
    },
  ],
  jwt: BENCH_JWT,
};

export const gatewayEnv = (mocks: MockUrls, policies: object = {}): Record<string, string> => ({
  MOCK_URLS: JSON.stringify(mocks),
  STACK_POLICIES: JSON.stringify(policies),
});

/** The same policy for every adapter, as STACK_POLICIES wants it. */
export const forAll = (policy: object): Record<string, object> =>
  Object.fromEntries(ADAPTERS.map((name) => [name, policy]));
export const CACHE_OFF = { cache: { ttlSeconds: 0, staleSeconds: 0, notFoundTtlSeconds: 0 } };
export const CACHE_LONG = { cache: { ttlSeconds: 3600, notFoundTtlSeconds: 3600 } };

export interface Server {
  /** The gateway's base URL (roles ucv, plain, bare, hive). */
  url: string;
  /** The mocks' base URLs (role mocks). */
  urls: MockUrls;
  child: ChildProcess;
  /** CPU time the process has used so far, in seconds (Linux /proc). */
  cpuSeconds(): number;
  stop(signal?: NodeJS.Signals): Promise<void>;
}

const TICKS_PER_SECOND = 100; // Linux USER_HZ for /proc/<pid>/stat

const HIVE_DIR = path.join(__dirname, 'hive');

/**
 * Starts one role of bench/servers.ts in its own process, with NODE_ENV=production as `npm start` runs it, so the
 * load generator, the mocks and the server under test do not share an event loop. Role `hive` is Hive Gateway
 * (bench/hive/serve.ts, env MOCK_URLS and HIVE_REDIS_URL), with its own dependencies: `npm ci` there the first time.
 * `benchDir` runs the role from another checkout's bench/ folder (default: this one).
 */
export async function startServer(
  role: 'mocks' | 'ucv' | 'plain' | 'bare' | 'fanout' | 'hive',
  env: Record<string, string> = {},
  nodeArgs: string[] = [],
  benchDir = __dirname,
): Promise<Server> {
  if (role === 'hive' && !fs.existsSync(path.join(HIVE_DIR, 'node_modules'))) {
    // Its own .npmrc lets packages that declare node>=22 install on Node 20; `npm run` would pass ours (engine-strict).
    execSync('npm ci', {
      cwd: HIVE_DIR,
      stdio: ['ignore', 'inherit', 'inherit'],
      env: { ...process.env, npm_config_engine_strict: 'false' },
    });
  }
  // benchDir: another checkout's bench/ (an A/B against a commit), its servers.ts and the code it imports.
  const script = role === 'hive' ? ['serve.ts'] : [path.join(benchDir, 'servers.ts'), role];
  const child = spawn(process.execPath, [...nodeArgs, '--import', 'tsx', ...script], {
    cwd: role === 'hive' ? HIVE_DIR : undefined,
    env: { ...process.env, NODE_ENV: 'production', ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      if (buffer.includes('\n')) resolve(buffer.slice(0, buffer.indexOf('\n')));
    });
    child.once('exit', (code) => reject(new Error(`${role} exited with ${code}`)));
  });
  const info = JSON.parse(line) as { url?: string; urls?: MockUrls };
  return {
    url: info.url ?? '',
    urls: info.urls ?? ({} as MockUrls),
    child,
    cpuSeconds: () => {
      const fields = fs.readFileSync(`/proc/${child.pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
      return (Number(fields[11]) + Number(fields[12])) / TICKS_PER_SECOND;
    },
    stop: (signal = 'SIGKILL') =>
      new Promise((resolve) => {
        // Gone already: exited (exitCode) or killed by a signal (signalCode), when 'exit' will not come again.
        if (child.exitCode !== null || child.signalCode !== null) return resolve();
        child.once('exit', () => resolve());
        child.kill(signal);
      }),
  };
}

/** The mocks and one gateway over them, each in its own process. */
export async function startStack(
  policies: object = {},
): Promise<{ gateway: string; mocks: MockUrls; stop(): Promise<void> }> {
  const mocks = await startServer('mocks');
  const gateway = await startServer('ucv', gatewayEnv(mocks.urls, policies));
  return {
    gateway: gateway.url,
    mocks: mocks.urls,
    stop: async () => void (await Promise.all([gateway.stop(), mocks.stop()])),
  };
}

export async function control(
  mockUrl: string,
  route: string,
  method: string,
  body?: unknown,
): Promise<{ requests?: { total: number } }> {
  // A deadline: a benchmark or the chaos suite must not hang on a mock that stopped answering.
  const res = await fetch(`${mockUrl}/__control${route}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
    signal: AbortSignal.timeout(10_000),
  });
  return (await res.json()) as { requests?: { total: number } };
}

/** Requests each mock received since its last reset. */
export async function mockCounts(mocks: MockUrls): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, url] of Object.entries(mocks)) out[name] = (await control(url, '', 'GET')).requests?.total ?? 0;
  return out;
}

export const totalCalls = async (mocks: MockUrls): Promise<number> =>
  Object.values(await mockCounts(mocks)).reduce((a, b) => a + b, 0);

/** Faults healthy and counters zero, on every mock. */
export async function resetMocks(mocks: MockUrls): Promise<void> {
  await Promise.all(Object.values(mocks).map((url) => control(url, '/reset', 'POST')));
}

export async function graphql(
  gateway: string,
  query: string,
  variables?: Record<string, unknown>,
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are inspected loosely
): Promise<{ status: number; body: any }> {
  const res = await fetch(`${gateway}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, body: await res.json() };
}

/** Runs `total` tasks with at most `concurrency` at once (a closed loop); returns each task's latency in ms. */
export async function drive(total: number, concurrency: number, task: (i: number) => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const started = performance.now();
        await task(i);
        latencies.push(performance.now() - started);
      }
    }),
  );
  return latencies;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export const median = (values: number[]): number => percentile(values, 50);

/** The median of the ratios a[i] / b[i], each taken within one run: a ratio between two runs would carry their drift. */
export const medianRatio = (a: number[], b: number[]): number => median(a.map((x, i) => x / (b[i] as number)));

/** `list` started at position `run` (modulo its length): the order turns each run, so no entry is always first. */
export const turned = <T>(list: readonly T[], run: number): T[] => [
  ...list.slice(run % list.length),
  ...list.slice(0, run % list.length),
];

/** One measurement of a view: throughput, the target process's CPU per view, answers that were not 2xx. */
export interface ViewLoad {
  rps: number;
  cpuMsPerView: number;
  non2xx: number;
}

/**
 * Drives `target`'s /graphql for `duration` seconds at 32 connections with `body(customerId)`, the customers taken
 * in turn from the first `ids`, and reads its CPU from /proc before and after.
 */
export async function loadView(
  target: Server,
  body: (customerId: string) => string,
  ids: number,
  duration: number,
): Promise<ViewLoad> {
  let n = 0;
  const cpu = target.cpuSeconds();
  const result = await autocannon({
    url: `${target.url}/graphql`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: 32,
    duration,
    requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, body: body(id((n++ % ids) + 1)) }) }],
  } as unknown as autocannon.Options);
  const views = Math.max(1, result.requests.total);
  return {
    rps: result.requests.average,
    cpuMsPerView: ((target.cpuSeconds() - cpu) * 1000) / views,
    non2xx: result.non2xx,
  };
}

/**
 * Reads per customer when warming a cached row: the first fetches the records, the second is the answer the gateway
 * keeps (cache.keepAnswers onReuse keeps an answer whose question was asked before; Hive Gateway keeps its first).
 * The rows then start where a hot set in use is: records and answers kept.
 */
export const WARM_READS = 2;

/** Reads the first `total` customers WARM_READS times each through `url`'s /graphql with `body(customerId)`, 16 at a time. */
export async function warmViews(url: string, total: number, body: (customerId: string) => string): Promise<void> {
  await drive(total * WARM_READS, 16, async (n) => {
    await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: body(id((n % total) + 1)),
    }).then((r) => r.arrayBuffer());
  });
}

/** A configuration's cached and live measurements, one of each per run. */
export interface CostRow {
  cached: ViewLoad[];
  live: ViewLoad[];
}

/**
 * The Markdown table of a same-run comparison: per configuration the medians of the cached and live req/s and CPU
 * per view, each beside the median of the runs' own ratios to the `base` configuration, and every non-2xx answer.
 */
export function costTable(
  label: string,
  rows: Record<string, CostRow>,
  names: readonly string[],
  base: string,
): string {
  const of = (loads: ViewLoad[], key: 'rps' | 'cpuMsPerView') => loads.map((l) => l[key]);
  const b = rows[base] as CostRow;
  const cells = (r: CostRow, kind: 'cached' | 'live') =>
    [
      median(of(r[kind], 'rps')).toFixed(0),
      medianRatio(of(r[kind], 'rps'), of(b[kind], 'rps')).toFixed(3),
      median(of(r[kind], 'cpuMsPerView')).toFixed(3),
      medianRatio(of(r[kind], 'cpuMsPerView'), of(b[kind], 'cpuMsPerView')).toFixed(3),
    ].join(' | ');
  const lines = names.map((name) => {
    const r = rows[name] as CostRow;
    const failed = [...r.cached, ...r.live].reduce((sum, l) => sum + l.non2xx, 0);
    return `| ${name} | ${cells(r, 'cached')} | ${cells(r, 'live')} | ${failed} |`;
  });
  return [
    `| ${label} | cached req/s | vs ${base} | cached CPU ms/view | vs ${base} | live req/s | vs ${base} | live CPU ms/view | vs ${base} | non-2xx |`,
    '|---|---|---|---|---|---|---|---|---|---|',
    ...lines,
  ].join('\n');
}

/** The 1-, 5- and 15-minute load averages, for a report. */
export const loadAverage = (l: number[] = os.loadavg()): string => l.map((x) => x.toFixed(2)).join(' ');

/** Writes a Markdown report to bench/results/<file> and prints it. */
export function writeReport(file: string, markdown: string): void {
  const out = path.join(__dirname, 'results');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, file), markdown);
  console.log(markdown);
}

export function machine(): Record<string, string | number> {
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: __dirname }).toString().trim();
  } catch {
    /* not a checkout */
  }
  return {
    cores: os.cpus().length,
    cpu: os.cpus()[0]?.model ?? 'unknown',
    memoryGiB: Math.round(os.totalmem() / 2 ** 30),
    node: process.version,
    commit,
  };
}

/** A Prometheus text exposition as `name{labels}` → value (comments and untyped lines skipped). */
export async function scrapeMetrics(url: string): Promise<Map<string, number>> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const out = new Map<string, number>();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const space = line.lastIndexOf(' ');
    out.set(line.slice(0, space), Number(line.slice(space + 1)));
  }
  return out;
}

/**
 * What the UCV gateway saw of its backends over a measurement, from two scrapes of its /metrics: bulkhead
 * refusals, the mean duration of a backend call as the gateway measured it (the mock's injected latency plus
 * whatever kept the gateway's event loop from reading the answer), and the event loop's lag at the end.
 */
export interface GatewaySeen {
  bulkheadRejections: Record<string, number>;
  meanCallMs: Record<string, number>;
  /** prom-client's nodejs_eventloop_lag_p99_seconds at the second scrape, in ms. */
  loopLagP99Ms: number;
}

export function gatewaySeen(before: Map<string, number>, after: Map<string, number>): GatewaySeen {
  const delta = (key: string): number => (after.get(key) ?? 0) - (before.get(key) ?? 0);
  const bulkheadRejections: Record<string, number> = {};
  const meanCallMs: Record<string, number> = {};
  for (const source of ADAPTERS) {
    bulkheadRejections[source] = delta(`ucv_bulkhead_rejections_total{source="${source}"}`);
    const count = delta(`ucv_source_call_duration_seconds_count{source="${source}"}`);
    meanCallMs[source] =
      count > 0 ? (1000 * delta(`ucv_source_call_duration_seconds_sum{source="${source}"}`)) / count : NaN;
  }
  return {
    bulkheadRejections,
    meanCallMs,
    loopLagP99Ms: 1000 * (after.get('ucv_nodejs_eventloop_lag_p99_seconds') ?? NaN),
  };
}
