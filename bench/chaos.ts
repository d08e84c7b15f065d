/**
 * The fault matrix as a suite: `npm run chaos` runs each fault against real processes (the mocks
 * and a gateway each in their own process, bench/servers.ts, the gateway's cache on a private redis-server this
 * runner starts) and writes bench/results/chaos.md and chaos.json.
 *
 * Every scenario starts a fresh mock process and a fresh gateway, injects its fault through the mocks' `/__control`,
 * sends full views of cold customers at a fixed rate (open loop: a gateway that hangs does not slow the load down),
 * and sorts every answer:
 *   complete  200, the customer and every section there (a section NOT_FOUND is a business answer, not a fault)
 *   partial   200 with sections missing, by `code/source/reason` (a section null with no error counts as "no error")
 *   failed    non-2xx, a network error (reset, refused) or no answer within the request timeout ("hung")
 * with p50/p99 of the answers, backend calls per view (the mocks' counters), the gateway's RSS before, peak and after,
 * and whether it survived. The issue's figures are marked met or missed at the end.
 *
 * The runner never hangs on a misbehaving gateway: every request has a timeout, a watchdog kills a gateway whose
 * RSS passes RSS_LIMIT_MB, and every child process (mocks, gateway, redis-server) is killed on exit.
 *
 * Usage: npm run chaos                        all scenarios (a few minutes)
 *        SCENARIOS=redis-stall,sigterm npm run chaos
 *        RATE=100 (views/s)  RSS_LIMIT_MB=1536  CHAOS_OUT=bench/results/chaos
 */
// A private redis-server, so it can be frozen (SIGSTOP) and killed without touching the machine's shared one.
import { freePort, OwnRedis } from '../test/support/redis';
import fs from 'node:fs';
import net from 'node:net';
import path from 'node:path';
import { Agent, request } from 'undici';
import {
  ADAPTERS,
  control,
  gatewayEnv,
  id,
  machine,
  mockCounts,
  percentile,
  startServer,
  type Server,
} from './support';

const RATE = Number(process.env.RATE ?? 100);
const RSS_LIMIT_MB = Number(process.env.RSS_LIMIT_MB ?? 1536);
const OUT = process.env.CHAOS_OUT ?? path.join(__dirname, 'results', 'chaos');
/** An answer slower than this counts as hung in the Redis scenarios: 50 ms cache deadline + backends, with room. */
const HUNG_MS = 1000;
const REQUEST_TIMEOUT_MS = 15_000;

const VIEW = `query($id: ID!) { customer(id: $id) { id profile { name } products { code } contacts { type } billing { balance } insights { segment } score { creditScore } recommendations { offerCode } sources { source status reason } } }`;
const SECTIONS = ['profile', 'products', 'contacts', 'billing', 'insights', 'score', 'recommendations'] as const;

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

const portOpen = (port: number): Promise<boolean> =>
  new Promise((resolve) => {
    const socket = net.connect(port, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });

// ---------------------------------------------------------------------------------------------------------------
// Load and the sorting of answers.

interface Tally {
  sent: number;
  complete: number;
  partial: Record<string, number>;
  partialTotal: number;
  failed: Record<string, number>;
  failedTotal: number;
  /** Answers (of any kind) slower than HUNG_MS, and requests with no answer within REQUEST_TIMEOUT_MS. */
  slowerThanHungMs: number;
  latencies: number[];
}

const newTally = (): Tally => ({
  sent: 0,
  complete: 0,
  partial: {},
  partialTotal: 0,
  failed: {},
  failedTotal: 0,
  slowerThanHungMs: 0,
  latencies: [],
});
const bump = (map: Record<string, number>, key: string): void => void (map[key] = (map[key] ?? 0) + 1);

interface ViewError {
  message?: string;
  path?: unknown[];
  extensions?: { code?: string; source?: string; reason?: string };
}

function sortAnswer(tally: Tally, status: number, body: unknown): void {
  if (status < 200 || status >= 300) {
    tally.failedTotal++;
    bump(tally.failed, `HTTP ${status}`);
    return;
  }
  const { data, errors = [] } = (body ?? {}) as {
    data?: { customer?: Record<string, unknown> | null };
    errors?: ViewError[];
  };
  const faults = errors.filter((e) => e.extensions?.code !== 'NOT_FOUND');
  const customer = data?.customer;
  const missing = customer
    ? SECTIONS.filter((s) => customer[s] === null && !errors.some((e) => e.path?.[1] === s))
    : [];
  if (customer && faults.length === 0 && missing.length === 0) {
    tally.complete++;
    return;
  }
  tally.partialTotal++;
  const keys = new Set(
    faults.map((e) =>
      [e.extensions?.code ?? 'no code', e.extensions?.source, e.extensions?.reason].filter(Boolean).join('/'),
    ),
  );
  missing.forEach((s) => keys.add(`no error/${s}`));
  if (!customer && keys.size === 0) keys.add('customer null');
  keys.forEach((k) => bump(tally.partial, k));
}

function sortFailure(tally: Tally, err: unknown): void {
  tally.failedTotal++;
  const e = err as { name?: string; code?: string; cause?: { code?: string } };
  const code =
    e.name === 'TimeoutError' || e.code === 'UND_ERR_ABORTED'
      ? 'hung (no answer in time)'
      : (e.code ?? e.cause?.code ?? e.name ?? 'error');
  if (code.startsWith('hung')) tally.slowerThanHungMs++;
  bump(tally.failed, code === 'UND_ERR_SOCKET' || code === 'ECONNRESET' || code === 'EPIPE' ? `reset (${code})` : code);
}

interface LoadOptions {
  /** Views per second. Default RATE. */
  rate?: number;
  seconds: number;
  /** The customer of the i-th request; default a new cold customer each time. */
  customer?: (i: number) => string;
}

class Stack {
  /** Up to 512 connections: a gateway that stalls sees the load pile up, as it would from many clients. */
  agent = new Agent({ keepAliveTimeout: 30_000, connections: 512 });
  private nextCustomer: number;
  constructor(
    readonly gateway: Server,
    readonly mocks: Server,
    readonly redis: OwnRedis,
    firstCustomer: number,
  ) {
    this.nextCustomer = firstCustomer;
  }

  /** One full view; sorted into the tally. */
  async view(tally: Tally, customerId: string): Promise<void> {
    tally.sent++;
    const started = performance.now();
    try {
      const res = await request(`${this.gateway.url}/graphql`, {
        method: 'POST',
        dispatcher: this.agent,
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: VIEW, variables: { id: customerId } }),
        signal: AbortSignal.timeout(REQUEST_TIMEOUT_MS),
      });
      const text = await res.body.text();
      const latency = performance.now() - started;
      tally.latencies.push(latency);
      if (latency > HUNG_MS) tally.slowerThanHungMs++;
      let body: unknown;
      try {
        body = JSON.parse(text);
      } catch {
        body = undefined;
      }
      sortAnswer(tally, res.statusCode, body);
    } catch (err) {
      sortFailure(tally, err);
    }
  }

  /** Open loop: `rate` views a second at even intervals for `seconds`; resolves when every answer is in. */
  async load(tally: Tally, { rate = RATE, seconds, customer }: LoadOptions): Promise<void> {
    const pending: Array<Promise<void>> = [];
    const started = performance.now();
    const total = Math.round(rate * seconds);
    for (let i = 0; i < total; i++) {
      const wait = started + (i * 1000) / rate - performance.now();
      if (wait > 0) await sleep(wait);
      pending.push(this.view(tally, customer ? customer(i) : id(this.nextCustomer++)));
    }
    await Promise.all(pending);
  }

  /** `n` views of one customer at the same instant. */
  async burst(tally: Tally, n: number, customerId: string): Promise<void> {
    await Promise.all(Array.from({ length: n }, () => this.view(tally, customerId)));
  }

  async faults(mock: (typeof ADAPTERS)[number], patch: object): Promise<void> {
    const res = await fetch(`${this.mocks.urls[mock]}/__control/faults`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(patch),
      signal: AbortSignal.timeout(10_000),
    });
    if (!res.ok)
      throw new Unsupported(
        `the ${mock} mock refused ${JSON.stringify(patch)}: ${((await res.json().catch(() => ({}))) as { error?: string }).error ?? res.status}`,
      );
  }
}

/** A fault these mocks cannot inject (e.g. wrongShape before the mocks learnt it): reported, not crashed on. */
class Unsupported extends Error {}

// ---------------------------------------------------------------------------------------------------------------
// The scenarios.

interface Scenario {
  name: string;
  fault: string;
  /** Gateway policies per adapter (STACK_POLICIES); default the gateway's defaults. */
  policies?: Record<string, object>;
  run(stack: Stack, tally: Tally, notes: string[]): Promise<void>;
}

const FLAP_MS = 2000;

const SCENARIOS: Scenario[] = [
  {
    name: 'healthy',
    fault: 'none: the baseline for backend calls per view',
    run: (s, t) => s.load(t, { seconds: 4 }),
  },
  {
    name: 'slow',
    fault: 'billing answers in 2,500 ms (its deadline is 2,000 ms)',
    run: async (s, t) => {
      await s.faults('billing', { latencyMs: 2500 });
      await s.load(t, { seconds: 5 });
    },
  },
  {
    name: 'down-503',
    fault: 'billing answers 503 to everything',
    run: async (s, t) => {
      await s.faults('billing', { down: '503' });
      await s.load(t, { seconds: 4 });
    },
  },
  {
    name: 'down-reset',
    fault: 'billing resets every connection without an answer',
    run: async (s, t) => {
      await s.faults('billing', { down: 'reset' });
      await s.load(t, { seconds: 4 });
    },
  },
  {
    name: 'errors-30',
    fault: 'every backend answers 500 to 30% of calls',
    run: async (s, t) => {
      for (const mock of ADAPTERS) await s.faults(mock, { errorRate: 0.3 });
      await s.load(t, { seconds: 5 });
    },
  },
  {
    name: 'garbage',
    fault: 'scoring and billing answer 200 with a truncated body to 50% of calls (malformedRate)',
    run: async (s, t) => {
      await s.faults('scoring', { malformedRate: 0.5 });
      await s.faults('billing', { malformedRate: 0.5 });
      await s.load(t, { seconds: 4 });
    },
  },
  {
    name: 'wrong-shape',
    fault: 'scoring answers 200 with a record of the wrong shape (wrongShape: true)',
    run: async (s, t) => {
      await s.faults('scoring', { wrongShape: true });
      await s.load(t, { seconds: 4 });
    },
  },
  {
    name: 'huge-answer',
    fault: 'scoring answers a valid 50 MB JSON body (oversizeBytes: 52428800); 40 cold customers, 4 a second',
    run: async (s, t) => {
      await s.faults('scoring', { oversizeBytes: 52_428_800 });
      await s.load(t, { rate: 4, seconds: 10 });
    },
  },
  {
    name: 'trickle',
    fault: 'billing sends its answer 64 bytes every 50 ms',
    run: async (s, t) => {
      await s.faults('billing', { trickleBytes: 64, trickleIntervalMs: 50 });
      await s.load(t, { seconds: 5 });
    },
  },
  {
    name: 'flapping',
    fault: `billing toggles between down (503) and up every ${FLAP_MS} ms, for 10 s`,
    run: async (s, t, notes) => {
      let down = false;
      let toggles = 0;
      const timer = setInterval(() => {
        down = !down;
        toggles++;
        void s.faults('billing', { down: down ? '503' : false }).catch(() => undefined);
      }, FLAP_MS);
      try {
        await s.load(t, { seconds: 10 });
      } finally {
        clearInterval(timer);
      }
      notes.push(`${toggles} toggles`);
    },
  },
  {
    name: 'redis-stall',
    fault: 'the redis-server is frozen (SIGSTOP) for 5 s in the middle of the load, then resumed',
    run: async (s, t, notes) => {
      const load = s.load(t, { seconds: 8 });
      await sleep(1500);
      s.redis.signal('SIGSTOP');
      try {
        await sleep(5000);
      } finally {
        s.redis.signal('SIGCONT');
      }
      await load;
      notes.push(`answers slower than ${HUNG_MS} ms or never: ${t.slowerThanHungMs}`);
    },
  },
  {
    name: 'redis-killed',
    fault: 'the redis-server is killed (SIGKILL) in the middle of the load and restarted on the same port 2 s later',
    run: async (s, t) => {
      const load = s.load(t, { seconds: 7 });
      await sleep(1500);
      await s.redis.stop();
      await sleep(2000);
      await s.redis.start();
      await load;
    },
  },
  {
    name: 'stampede',
    fault: '500 concurrent views of one cold customer',
    run: (s, t) => s.burst(t, 500, id(99_001)),
  },
  {
    name: 'cold-300',
    fault: 'healthy backends, 300 cold views/s for 4 s (target: no overloaded refusals)',
    run: (s, t) => s.load(t, { rate: 300, seconds: 4 }),
  },
  {
    name: 'sigterm',
    fault:
      'SIGTERM to the gateway 1.5 s into a keep-alive load: it must answer what it accepted, reset nothing, and exit (connections refused once it stopped listening are what a balancer sends elsewhere)',
    run: async (s, t, notes) => {
      // 32 kept-alive connections, as from a balancer's pool or a set of client SDKs. Without a cap the open loop
      // opens new connections as fast as the gateway slows down, and those queued in the kernel, not yet accepted,
      // when the listener closes are reset by the kernel: a balancer that reads /readyz (shutdown.delayMs) sends
      // none by then.
      s.agent = new Agent({ keepAliveTimeout: 30_000, connections: 32 });
      const load = s.load(t, { seconds: 4 });
      await sleep(1500);
      const signalled = performance.now();
      const exited = new Promise<number | null>((resolve) => s.gateway.child.once('exit', (code) => resolve(code)));
      let said = '';
      s.gateway.child.stdout?.on('data', (chunk: Buffer) => (said += chunk.toString()));
      s.gateway.child.kill('SIGTERM');
      const code = await Promise.race([exited, sleep(20_000).then(() => 'still running after 20 s' as const)]);
      notes.push(
        `gateway exit: ${code === 'still running after 20 s' ? code : `code ${code}`} ${Math.round(performance.now() - signalled)} ms after SIGTERM`,
      );
      const drain = said.match(/\{"drain":(\{[^}]*\})\}/)?.[1];
      notes.push(drain ? `gateway's drain: ${drain}` : 'the gateway reported no drain');
      await load;
    },
  },
];

// ---------------------------------------------------------------------------------------------------------------
// Running one scenario.

interface Result {
  name: string;
  fault: string;
  status: 'ran' | 'unsupported' | 'error';
  sent: number;
  complete: number;
  partial: Record<string, number>;
  partialTotal: number;
  failed: Record<string, number>;
  failedTotal: number;
  slowerThanHungMs: number;
  p50Ms: number;
  p99Ms: number;
  backendCalls: Record<string, number>;
  backendCallsPerView: number;
  rssMb: { before: number; peak: number; after: number | null };
  gatewaySurvived: boolean;
  notes: string[];
  seconds: number;
}

const rssMb = (pid: number | undefined): number | null => {
  try {
    const line = fs.readFileSync(`/proc/${pid}/status`, 'utf8').match(/VmRSS:\s+(\d+) kB/);
    return line ? Math.round(Number(line[1]) / 1024) : null;
  } catch {
    return null;
  }
};

/** Child processes running now: killed if the runner exits early. */
const live = new Set<Server>();

async function runScenario(scenario: Scenario, redis: OwnRedis, index: number): Promise<Result> {
  const began = performance.now();
  const notes: string[] = [];
  const tally = newTally();
  const mocks = await startServer('mocks');
  live.add(mocks);
  const gateway = await startServer('ucv', {
    ...gatewayEnv(mocks.urls, scenario.policies ?? {}),
    STACK_REDIS_URL: redis.url,
  });
  live.add(gateway);
  const stack = new Stack(gateway, mocks, redis, 10_000 + index * 5_000);
  let status: Result['status'] = 'ran';
  let peak = 0;
  let killedByWatchdog = false;
  const watchdog = setInterval(() => {
    const rss = rssMb(gateway.child.pid) ?? 0;
    peak = Math.max(peak, rss);
    if (rss > RSS_LIMIT_MB && gateway.child.exitCode === null) {
      killedByWatchdog = true;
      notes.push(`killed by the runner's watchdog at ${rss} MB RSS (limit RSS_LIMIT_MB=${RSS_LIMIT_MB})`);
      gateway.child.kill('SIGKILL');
    }
  }, 100);
  let exitedOnItsOwn = false;
  let stopping = false;
  gateway.child.once('exit', (code, signal) => {
    if (scenario.name !== 'sigterm' && !killedByWatchdog && !stopping) {
      exitedOnItsOwn = true;
      notes.push(`the gateway died (${signal ? `signal ${signal}` : `code ${code}`})`);
    }
  });
  try {
    // The billing client's WSDL is fetched on first use: warm it, so the first views do not pay for it.
    await stack.view(newTally(), id(1));
    await Promise.all(Object.values(mocks.urls).map((url) => control(url, '/reset', 'POST')));
    const before = rssMb(gateway.child.pid) ?? 0;
    peak = before;
    try {
      await scenario.run(stack, tally, notes);
    } catch (err) {
      if (err instanceof Unsupported) {
        status = 'unsupported';
        notes.push(`${err.message}: not measured on this branch`);
      } else {
        status = 'error';
        notes.push(`runner error: ${(err as Error).message}`);
      }
    }
    const calls = await mockCounts(mocks.urls).catch(() => ({}) as Record<string, number>);
    const totalCalls = Object.values(calls).reduce((a, b) => a + b, 0);
    const after =
      gateway.child.exitCode === null && gateway.child.signalCode === null ? rssMb(gateway.child.pid) : null;
    return {
      name: scenario.name,
      fault: scenario.fault,
      status,
      sent: tally.sent,
      complete: tally.complete,
      partial: tally.partial,
      partialTotal: tally.partialTotal,
      failed: tally.failed,
      failedTotal: tally.failedTotal,
      slowerThanHungMs: tally.slowerThanHungMs,
      p50Ms: Math.round(percentile(tally.latencies, 50)),
      p99Ms: Math.round(percentile(tally.latencies, 99)),
      backendCalls: calls,
      backendCallsPerView: tally.sent ? Math.round((totalCalls / tally.sent) * 100) / 100 : 0,
      rssMb: { before, peak, after },
      gatewaySurvived: !exitedOnItsOwn && !killedByWatchdog,
      notes,
      seconds: Math.round((performance.now() - began) / 100) / 10,
    };
  } finally {
    stopping = true;
    clearInterval(watchdog);
    redis.signal('SIGCONT');
    await stack.agent.destroy().catch(() => undefined);
    await Promise.all([gateway.stop(), mocks.stop()]);
    live.delete(gateway);
    live.delete(mocks);
  }
}

/** A scenario whose processes could not even start: reported, and the suite goes on. */
function failedToRun(scenario: Scenario, err: unknown): Result {
  const none = {
    sent: 0,
    complete: 0,
    partial: {},
    partialTotal: 0,
    failed: {},
    failedTotal: 0,
    slowerThanHungMs: 0,
    p50Ms: NaN,
    p99Ms: NaN,
  };
  return {
    name: scenario.name,
    fault: scenario.fault,
    status: 'error',
    ...none,
    backendCalls: {},
    backendCallsPerView: 0,
    rssMb: { before: 0, peak: 0, after: null },
    gatewaySurvived: false,
    notes: [`could not run: ${(err as Error).message}`],
    seconds: 0,
  };
}

// ---------------------------------------------------------------------------------------------------------------
// The figures, and the report.

interface Figure {
  figure: string;
  target: string;
  measured: string;
  verdict: 'met' | 'missed' | 'not measured';
}

function figures(results: Result[]): Figure[] {
  const by = (name: string): Result | undefined => results.find((r) => r.name === name && r.status === 'ran');
  const out: Figure[] = [];
  const stall = by('redis-stall');
  out.push(
    stall
      ? {
          figure: 'hung requests with Redis stalled',
          target: `0 answers slower than ${HUNG_MS} ms or never`,
          measured: `${stall.slowerThanHungMs} of ${stall.sent} (p99 ${stall.p99Ms} ms)`,
          verdict: stall.slowerThanHungMs === 0 ? 'met' : 'missed',
        }
      : { figure: 'hung requests with Redis stalled', target: '0', measured: '-', verdict: 'not measured' },
  );
  const huge = by('huge-answer');
  const hugeBounded = huge ? huge.gatewaySurvived && huge.rssMb.peak - huge.rssMb.before <= 256 : false;
  out.push(
    huge
      ? {
          figure: 'crashes and RSS with 50 MB answers',
          target: 'no crash, RSS grows ≤ 256 MB',
          measured: `${huge.gatewaySurvived ? 'survived' : 'died'}; RSS ${huge.rssMb.before} → peak ${huge.rssMb.peak} MB`,
          verdict: hugeBounded ? 'met' : 'missed',
        }
      : {
          figure: 'crashes and RSS with 50 MB answers',
          target: 'no crash, bounded RSS',
          measured: results.find((r) => r.name === 'huge-answer')?.notes.join('; ') || '-',
          verdict: 'not measured',
        },
  );
  const cold = by('cold-300');
  const overloaded = cold
    ? Object.entries(cold.partial)
        .filter(([k]) => k.endsWith('/overloaded'))
        .reduce((a, [, n]) => a + n, 0)
    : 0;
  out.push(
    cold
      ? {
          figure: '`overloaded` answers against healthy backends at 300 cold views/s',
          target: '0',
          measured: `${overloaded} of ${cold.sent} views`,
          verdict: overloaded === 0 ? 'met' : 'missed',
        }
      : { figure: '`overloaded` at 300 cold views/s', target: '0', measured: '-', verdict: 'not measured' },
  );
  const term = by('sigterm');
  const resets = term
    ? Object.entries(term.failed)
        .filter(([k]) => k.startsWith('reset') || k.startsWith('hung'))
        .reduce((a, [, n]) => a + n, 0)
    : 0;
  const exitedClean = term?.notes.some((n) => n.startsWith('gateway exit: code 0')) ?? false;
  const cut = Number(term?.notes.join(' ').match(/"unanswered":(\d+)/)?.[1] ?? NaN);
  const idleClosed = Number(term?.notes.join(' ').match(/"idleClosed":(\d+)/)?.[1] ?? NaN);
  out.push(
    term
      ? {
          figure: 'requests reset on SIGTERM',
          target: '0, and the gateway exits 0',
          measured:
            `${resets} of ${term.sent} reset or unanswered at the client; the gateway left ${Number.isNaN(cut) ? '?' : cut} of the requests it had accepted unanswered` +
            (resets > 0 && cut === 0 && idleClosed === 0
              ? ' (so the resets were connections still queued in the kernel, never accepted, when the listener closed)'
              : '') +
            `; ${term.notes.join('; ')}`,
          verdict: resets === 0 && cut === 0 && exitedClean ? 'met' : 'missed',
        }
      : { figure: 'requests reset on SIGTERM', target: '0', measured: '-', verdict: 'not measured' },
  );
  const healthy = by('healthy');
  const errors = by('errors-30');
  if (healthy && errors && healthy.backendCallsPerView > 0) {
    const ratio = Math.round((errors.backendCallsPerView / healthy.backendCallsPerView) * 100) / 100;
    out.push({
      figure: 'upstream calls per view under 30% errors, relative to healthy',
      target: '≤ 1.2',
      measured: `${ratio} (${errors.backendCallsPerView} against ${healthy.backendCallsPerView} calls per view)`,
      verdict: ratio <= 1.2 ? 'met' : 'missed',
    });
  } else {
    out.push({
      figure: 'upstream calls per view under 30% errors',
      target: '≤ 1.2',
      measured: '-',
      verdict: 'not measured',
    });
  }
  return out;
}

const ms = (value: number): string => (Number.isFinite(value) ? String(value) : '-');
const pct = (n: number, of: number): string => (of ? `${((100 * n) / of).toFixed(1)}%` : '-');
const list = (map: Record<string, number>): string =>
  Object.entries(map)
    .sort((a, b) => b[1] - a[1])
    .map(([k, n]) => `${k} ${n}`)
    .join('<br>') || '';

function markdown(results: Result[], figs: Figure[], meta: Record<string, unknown>): string {
  const lines = [
    '# Chaos suite: the fault matrix against real processes',
    '',
    `Generated by \`npm run chaos\` (bench/chaos.ts) at ${meta.date}. Machine: ${JSON.stringify(meta.machine)}. Load: ${RATE} cold full views/s (open loop) unless the fault says otherwise; request timeout ${REQUEST_TIMEOUT_MS} ms. Mocks, gateway and a private redis-server each in their own process; everything shares the machine's cores.`,
    '',
    '## Figures',
    '',
    '| figure | target | measured | verdict |',
    '|---|---|---|---|',
    ...figs.map((f) => `| ${f.figure} | ${f.target} | ${f.measured} | **${f.verdict}** |`),
    '',
    '## Scenarios',
    '',
    'complete: every section there; partial: by `code/source/reason`; failed: non-2xx, network error or no answer. Calls per view: requests the four mocks received ÷ views sent. RSS: the gateway process, MB.',
    '',
    '| scenario | fault | views | complete | partial | failed | p50 / p99 ms | calls/view | RSS before → peak → after | notes |',
    '|---|---|---|---|---|---|---|---|---|---|',
    ...results.map((r) =>
      r.status !== 'ran'
        ? `| ${r.name} | ${r.fault} | - | - | - | - | - | - | - | ${r.notes.join('; ')} |`
        : `| ${r.name} | ${r.fault} | ${r.sent} | ${pct(r.complete, r.sent)} | ${pct(r.partialTotal, r.sent)}<br>${list(r.partial)} | ${pct(r.failedTotal, r.sent)}<br>${list(r.failed)} | ${ms(r.p50Ms)} / ${ms(r.p99Ms)} | ${r.backendCallsPerView} | ${r.rssMb.before} → ${r.rssMb.peak} → ${r.rssMb.after ?? 'gone'} | ${[r.gatewaySurvived ? '' : '**gateway did not survive**', ...r.notes].filter(Boolean).join('; ')} |`,
    ),
    '',
  ];
  return lines.join('\n');
}

async function main(): Promise<void> {
  const wanted = process.env.SCENARIOS?.split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = wanted?.filter((w) => !SCENARIOS.some((s) => s.name === w)) ?? [];
  if (unknown.length > 0) {
    console.error(`unknown scenario(s) ${unknown.join(', ')}; known: ${SCENARIOS.map((s) => s.name).join(', ')}`);
    process.exit(2);
  }
  const chosen = SCENARIOS.filter((s) => !wanted || wanted.includes(s.name));
  const redis = new OwnRedis(await freePort());
  await redis.start();
  // Whatever happens, no child outlives the runner, and the redis-server is never left frozen.
  const cleanup = (): void => {
    redis.signal('SIGKILL'); // ends a frozen server too
    live.forEach((server) => server.child.kill('SIGKILL'));
  };
  process.on('exit', cleanup);
  process.once('SIGINT', () => process.exit(130)).once('SIGTERM', () => process.exit(143));

  const results: Result[] = [];
  try {
    for (const scenario of chosen) {
      process.stdout.write(`${scenario.name}: ${scenario.fault}… `);
      const result = await runScenario(scenario, redis, SCENARIOS.indexOf(scenario)).catch((err: unknown) =>
        failedToRun(scenario, err),
      );
      results.push(result);
      console.log(
        result.status === 'ran'
          ? `${result.sent} views: ${pct(result.complete, result.sent)} complete, ${pct(result.partialTotal, result.sent)} partial, ${pct(result.failedTotal, result.sent)} failed; p99 ${ms(result.p99Ms)} ms; ${result.backendCallsPerView} calls/view (${result.seconds} s)${result.notes.length ? ` [${result.notes.join('; ')}]` : ''}`
          : `${result.status}: ${result.notes.join('; ')}`,
      );
      // A restarted redis-server (redis-killed) carries on for the next scenario; one that did not come back is started.
      if (!(await portOpen(redis.port))) await redis.start();
    }
  } finally {
    await redis.stop();
  }
  const figs = figures(results);
  const meta = {
    date: new Date().toISOString(),
    machine: machine(),
    rate: RATE,
    requestTimeoutMs: REQUEST_TIMEOUT_MS,
    hungMs: HUNG_MS,
  };
  fs.mkdirSync(path.dirname(OUT), { recursive: true });
  fs.writeFileSync(`${OUT}.json`, `${JSON.stringify({ ...meta, figures: figs, scenarios: results }, null, 2)}\n`);
  fs.writeFileSync(`${OUT}.md`, markdown(results, figs, meta));
  console.log(
    `\n${figs.map((f) => `${f.verdict.padEnd(12)} ${f.figure}: ${f.measured}`).join('\n')}\nwrote ${OUT}.md and .json`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
