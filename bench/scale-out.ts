/**
 * `npm run bench:scale-out`: two gateway instances (separate processes, `gateway/main.ts` as `npm run gateway` runs
 * it) behind a real load balancer, HAProxy, sharing a private Redis. Under a steady load through HAProxy it sends
 * SIGTERM to instance A, starts A again, then SIGKILLs instance B, and reports for each event the requests that
 * failed and how fast HAProxy's health check (`GET /readyz`) took the instance out. Writes
 * bench/results/scale-out.{md,json}.
 *
 * Needs Debian's `haproxy` (`apt-get install -y haproxy`) and `redis-server`; it checks and says so. The gateways
 * inherit this process's environment, so settings such as UCV_WORKERS or a drain grace reach them unchanged.
 *
 * Env (defaults in brackets):
 *   PORTBASE [5500]          ports PORTBASE+50 (HAProxy), +51/+52 (instances), +53 (Redis), +54 (HAProxy stats)
 *   RATE [100]               views per second sent through HAProxy, at even intervals (an open loop)
 *   HOT [1000]               customers 1…HOT, each viewed once through HAProxy before the load starts
 *   CONNECTIONS [32]         keep-alive connections to HAProxy
 *   STEADY_SECONDS [5]       load before the first event and between events
 *   DRAIN_WAIT_SECONDS [40]  how long to wait for an instance to exit after SIGTERM before giving up (and SIGKILL it)
 *   GATEWAY_ENTRY [gateway/main.ts]       what `npm run gateway` runs, started with `node --import tsx`
 *   CHECK_INTER_MS [500]     HAProxy's health check interval; FALL [2] and RISE [2] checks to go down / up
 *   HAPROXY_BIN [/usr/sbin/haproxy, else `haproxy` on PATH]; REDIS_SERVER_BIN [redis-server]
 *   UCV_CONFIG_BASE [config/default.json]  the config the instances start from (port, host, Redis set here)
 *   SCALE_REQUEST_TIMEOUT_MS [10000]       a request with no answer by then counts as failed (timeout)
 *   RETRY_ON [conn-failure]  HAProxy's `retry-on` (its default): a request is retried, on the other instance, only
 *                            when the connection to a server could not be made. "conn-failure empty-response"
 *                            also retries a request whose server closed without answering (a killed instance's
 *                            in-flight requests): safe for GraphQL queries, not for mutations
 *   REPORT_NAME [scale-out]  bench/results/REPORT_NAME.{md,json}
 */
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Agent, request } from 'undici';
import { answerCounter, classifyUcv, share, type Answers } from './answers';
import { BENCH_SECURITY, drive, id, machine, percentile, startServer } from './support';

const ROOT = path.join(__dirname, '..');
const PORTBASE = Number(process.env.PORTBASE ?? 5500);
const PORTS = {
  haproxy: PORTBASE + 50,
  a: PORTBASE + 51,
  b: PORTBASE + 52,
  redis: PORTBASE + 53,
  stats: PORTBASE + 54,
};
const RATE = Number(process.env.RATE ?? 100);
const HOT = Number(process.env.HOT ?? 1000);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 32);
const STEADY_SECONDS = Number(process.env.STEADY_SECONDS ?? 5);
const DRAIN_WAIT_SECONDS = Number(process.env.DRAIN_WAIT_SECONDS ?? 40);
const GATEWAY_ENTRY = path.resolve(ROOT, process.env.GATEWAY_ENTRY ?? path.join('gateway', 'main.ts'));
const CHECK_INTER_MS = Number(process.env.CHECK_INTER_MS ?? 500);
const FALL = Number(process.env.FALL ?? 2);
const RISE = Number(process.env.RISE ?? 2);
const REQUEST_TIMEOUT_MS = Number(process.env.SCALE_REQUEST_TIMEOUT_MS ?? 10_000);
const RETRY_ON = process.env.RETRY_ON ?? 'conn-failure';
const REPORT_NAME = process.env.REPORT_NAME ?? 'scale-out';
const QUERY = fs.readFileSync(path.join(__dirname, 'full-view.graphql'), 'utf8');

/** An executable by absolute path or on PATH, or null. */
function which(candidates: string[]): string | null {
  for (const candidate of candidates) {
    if (candidate.includes('/')) {
      if (fs.existsSync(candidate)) return candidate;
      continue;
    }
    try {
      return (
        execFileSync('sh', ['-c', `command -v ${candidate}`])
          .toString()
          .trim() || null
      );
    } catch {
      /* not on PATH */
    }
  }
  return null;
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** Waits until `probe` is true, polling every 50 ms; false after `ms`. */
async function until(probe: () => Promise<boolean>, ms: number): Promise<boolean> {
  const deadline = Date.now() + ms;
  while (Date.now() < deadline) {
    if (await probe().catch(() => false)) return true;
    await sleep(50);
  }
  return false;
}

interface Sample {
  /** ms since the load started */
  at: number;
  status: number;
  /** null: answered; otherwise why there was no answer */
  error: string | null;
  latencyMs: number;
  body: string;
}

interface Instance {
  name: 'a' | 'b';
  port: number;
  child: ChildProcess;
  exited: Promise<number | null>;
}

async function main(): Promise<void> {
  const haproxy = which([process.env.HAPROXY_BIN ?? '/usr/sbin/haproxy', 'haproxy']);
  const redisServer = which([process.env.REDIS_SERVER_BIN ?? 'redis-server']);
  if (!haproxy || !redisServer) {
    console.error(
      `bench:scale-out needs ${[!haproxy && 'HAProxy', !redisServer && 'redis-server'].filter(Boolean).join(' and ')}: on Debian, ` +
        `apt-get install -y ${[!haproxy && 'haproxy', !redisServer && 'redis-server'].filter(Boolean).join(' ')} (or set HAPROXY_BIN / REDIS_SERVER_BIN).`,
    );
    process.exit(2);
  }
  const haproxyVersion = execFileSync(haproxy, ['-v']).toString().split('\n')[0] ?? '';
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ucv-scale-out-'));
  const children: ChildProcess[] = [];
  process.on('exit', () => children.forEach((c) => c.exitCode === null && c.kill('SIGKILL')));

  // A private Redis: this test kills gateways, never the shared server, and must not see others' keys.
  const redis = spawn(
    redisServer,
    ['--port', String(PORTS.redis), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'],
    { stdio: 'ignore' },
  );
  children.push(redis);

  const mocks = await startServer('mocks');
  children.push(mocks.child);

  const base = JSON.parse(
    fs.readFileSync(process.env.UCV_CONFIG_BASE ?? path.join(ROOT, 'config', 'default.json'), 'utf8'),
  ) as Record<string, unknown>;
  // One config per instance: the embedded store (PGlite) is one process's folder, so each instance gets its own under
  // this run's folder (DATABASE_URL, when set, is the one store both share and overrides it).
  const configFor = (name: 'a' | 'b'): string => {
    const file = path.join(dir, `gateway-${name}.json`);
    const store = { ...(base.store as object), dataDir: path.join(dir, `store-${name}`) };
    // The benchmarks' security (anonymous requests get the admin role) and rate limit (the load generator stands for
    // many clients), as bench/servers.ts: the load sends no key, and its rate must not be what fails.
    const rateLimit = { default: { requestsPerSecond: 1_000_000, costPerSecond: 1_000_000 } };
    fs.writeFileSync(
      file,
      JSON.stringify({
        ...base,
        host: '127.0.0.1',
        logLevel: 'warn',
        store,
        security: BENCH_SECURITY,
        rateLimit,
        cache: { ...(base.cache as object), keyPrefix: `scale-out:${process.pid}:` },
      }),
    );
    return file;
  };

  const startInstance = async (name: 'a' | 'b'): Promise<Instance> => {
    const port = PORTS[name];
    const configFile = configFor(name);
    const child = spawn(process.execPath, ['--import', 'tsx', GATEWAY_ENTRY], {
      cwd: ROOT,
      env: {
        ...process.env,
        NODE_ENV: 'production',
        UCV_CONFIG: configFile,
        PORT: String(port),
        REDIS_URL: `redis://127.0.0.1:${PORTS.redis}`,
        ...Object.fromEntries(Object.entries(mocks.urls).map(([k, v]) => [`UCV_${k.toUpperCase()}_URL`, v])),
      },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    child.stderr?.on('data', (chunk: Buffer) => fs.appendFileSync(path.join(dir, `gateway-${name}.log`), chunk));
    children.push(child);
    const exited = new Promise<number | null>((resolve) =>
      child.once('exit', (code, signal) => resolve(code ?? (signal ? -1 : null))),
    );
    const ready = await until(async () => (await fetch(`http://127.0.0.1:${port}/readyz`)).ok, 30_000);
    if (!ready) throw new Error(`gateway ${name} did not become ready on port ${port}; see ${dir}/gateway-${name}.log`);
    return { name, port, child, exited };
  };

  let a = await startInstance('a');
  const b = await startInstance('b');

  const haproxyConfig = path.join(dir, 'haproxy.cfg');
  fs.writeFileSync(
    haproxyConfig,
    `global
  maxconn 4096
defaults
  mode http
  timeout connect 2s
  timeout client 30s
  timeout server 30s
  timeout http-keep-alive 30s
  # A request is retried (twice), on the other server (redispatch), for the failures RETRY_ON names.
  retries 2
  retry-on ${RETRY_ON}
  option redispatch
frontend gateways
  bind 127.0.0.1:${PORTS.haproxy}
  default_backend ucv
backend ucv
  balance roundrobin
  option httpchk GET /readyz
  http-check expect status 200
  default-server inter ${CHECK_INTER_MS} fall ${FALL} rise ${RISE}
  server a 127.0.0.1:${PORTS.a} check
  server b 127.0.0.1:${PORTS.b} check
listen stats
  bind 127.0.0.1:${PORTS.stats}
  stats enable
  stats uri /stats
`,
  );
  execFileSync(haproxy, ['-c', '-q', '-f', haproxyConfig]);
  const lb = spawn(haproxy, ['-db', '-f', haproxyConfig], { stdio: ['ignore', 'ignore', 'pipe'] });
  lb.stderr?.on('data', (chunk: Buffer) => fs.appendFileSync(path.join(dir, 'haproxy.log'), chunk));
  children.push(lb);
  const lbUrl = `http://127.0.0.1:${PORTS.haproxy}`;
  /** The servers' states as HAProxy sees them (its CSV stats: `status` UP, DOWN, "UP 1/2", …). */
  const states = async (): Promise<Record<string, string>> => {
    const csv = await (await fetch(`http://127.0.0.1:${PORTS.stats}/stats;csv`)).text();
    const lines = csv.split('\n');
    const header = (lines[0] ?? '').replace(/^# /, '').split(',');
    const [px, sv, st] = ['pxname', 'svname', 'status'].map((n) => header.indexOf(n)) as [number, number, number];
    const out: Record<string, string> = {};
    for (const line of lines.slice(1)) {
      const cols = line.split(',');
      if (cols[px] === 'ucv' && (cols[sv] === 'a' || cols[sv] === 'b')) out[cols[sv] as string] = cols[st] as string;
    }
    return out;
  };
  if (!(await until(async () => Object.values(await states()).filter((s) => s === 'UP').length === 2, 15_000)))
    throw new Error(`HAProxy did not see both instances UP: ${JSON.stringify(await states())}`);

  // Warm both instances' shared cache (and each one's WSDL and connections), so the steady phase is steady.
  await drive(HOT, 16, async (i) => {
    await fetch(`${lbUrl}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: QUERY, variables: { id: id(i + 1) } }),
    }).then((r) => r.arrayBuffer());
  });

  // The load: RATE views/s at even intervals over keep-alive connections, each answer recorded with its time.
  const agent = new Agent({ connections: CONNECTIONS, keepAliveTimeout: 30_000, pipelining: 1 });
  const samples: Sample[] = [];
  const t0 = performance.now();
  let running = true;
  const inFlight = new Set<Promise<void>>();
  const load = (async () => {
    for (let i = 0; running; i++) {
      const due = t0 + (i * 1000) / RATE;
      const wait = due - performance.now();
      if (wait > 0) await sleep(wait);
      const at = performance.now() - t0;
      const body = JSON.stringify({ query: QUERY, variables: { id: id(1 + Math.floor(Math.random() * HOT)) } });
      const p = request(`${lbUrl}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body,
        dispatcher: agent,
        headersTimeout: REQUEST_TIMEOUT_MS,
        bodyTimeout: REQUEST_TIMEOUT_MS,
      })
        .then(async (res) =>
          samples.push({
            at,
            status: res.statusCode,
            error: null,
            latencyMs: performance.now() - t0 - at,
            body: await res.body.text(),
          }),
        )
        .catch((err: unknown) =>
          samples.push({
            at,
            status: 0,
            error: (err as { code?: string }).code ?? (err as Error).message,
            latencyMs: performance.now() - t0 - at,
            body: '',
          }),
        )
        .then(() => undefined);
      inFlight.add(p);
      void p.then(() => inFlight.delete(p));
    }
  })();
  const now = (): number => performance.now() - t0;

  /** Polls HAProxy until `server` reaches `state` (DOWN or UP); ms from `since`, or null after `ms`. */
  const watch = async (server: 'a' | 'b', state: 'DOWN' | 'UP', since: number, ms: number): Promise<number | null> => {
    const deadline = Date.now() + ms;
    while (Date.now() < deadline) {
      if ((await states().catch(() => ({}) as Record<string, string>))[server] === state) return now() - since;
      await sleep(20);
    }
    return null;
  };

  interface Event {
    name: string;
    at: number;
    /** ms until HAProxy marked the instance DOWN (or UP, for a restart) */
    detectedMs: number | null;
    /** ms until the instance's process exited (SIGTERM: the drain), when it did */
    exitedMs?: number | null;
    exitCode?: number | null;
    /** ms until a restarted instance answered /readyz itself */
    readyMs?: number;
  }
  const events: Event[] = [];

  await sleep(STEADY_SECONDS * 1000);
  // 1. SIGTERM instance A: today's shutdown, or a drain once the gateway has one.
  {
    const at = now();
    a.child.kill('SIGTERM');
    const down = watch('a', 'DOWN', at, DRAIN_WAIT_SECONDS * 1000);
    const exited = Promise.race([
      a.exited.then((code) => ({ code, ms: now() - at })),
      sleep(DRAIN_WAIT_SECONDS * 1000).then(() => null),
    ]);
    const [detectedMs, exit] = await Promise.all([down, exited]);
    if (!exit) a.child.kill('SIGKILL');
    events.push({ name: 'SIGTERM a', at, detectedMs, exitedMs: exit?.ms ?? null, exitCode: exit?.code ?? null });
  }
  await sleep(STEADY_SECONDS * 1000);
  // 2. A comes back: HAProxy sends it traffic again once RISE checks passed.
  {
    const at = now();
    a = await startInstance('a');
    const readyMs = now() - at;
    events.push({ name: 'restart a', at, readyMs, detectedMs: await watch('a', 'UP', at, 30_000) });
  }
  await sleep(STEADY_SECONDS * 1000);
  // 3. SIGKILL instance B: what is in flight on it is lost; HAProxy's check must take it out.
  {
    const at = now();
    b.child.kill('SIGKILL');
    events.push({ name: 'SIGKILL b', at, detectedMs: await watch('b', 'DOWN', at, 30_000) });
  }
  await sleep(STEADY_SECONDS * 1000);
  running = false;
  await load;
  await Promise.all(inFlight);
  const end = now();

  // Each phase runs from its event to the next (the baseline from the start to the first event); a request belongs
  // to the phase in which its answer (or its failure) came back.
  const bounds = [0, ...events.map((e) => e.at), end];
  /** Requests sent before the event and answered (or failed) after it: in flight through either instance. */
  const inFlightAt = (t: number): number => samples.filter((s) => s.at < t && s.at + s.latencyMs > t).length;
  const phases = ['steady, both up', ...events.map((e) => e.name)].map((name, i) => {
    const from = bounds[i] as number;
    const to = bounds[i + 1] as number;
    const inPhase = samples.filter(
      (s) => s.at + s.latencyMs >= from && (s.at + s.latencyMs < to || i === events.length),
    );
    const counter = answerCounter(classifyUcv, 1);
    const byError: Record<string, number> = {};
    for (const s of inPhase) {
      if (s.error) {
        counter.answers.total++;
        counter.answers.network++;
        byError[s.error] = (byError[s.error] ?? 0) + 1;
      } else {
        counter.onResponse(s.status, s.body);
        if (s.status < 200 || s.status >= 300) byError[`HTTP ${s.status}`] = (byError[`HTTP ${s.status}`] ?? 0) + 1;
      }
    }
    const failedAt = inPhase
      .filter((s) => s.error || s.status < 200 || s.status >= 300)
      .map((s) => s.at + s.latencyMs - from);
    const latencies = inPhase.map((s) => s.latencyMs);
    return {
      name,
      fromMs: Math.round(from),
      toMs: Math.round(to),
      answers: counter.answers,
      failedBy: byError,
      /** when the failures happened, ms after the phase's event */
      failuresBetweenMs:
        failedAt.length > 0 ? [Math.round(Math.min(...failedAt)), Math.round(Math.max(...failedAt))] : null,
      p50: Math.round(percentile(latencies, 50)),
      p99: Math.round(percentile(latencies, 99)),
    };
  });

  const report = {
    machine: machine(),
    haproxy: haproxyVersion,
    rate: RATE,
    connections: CONNECTIONS,
    healthCheck: { path: '/readyz', interMs: CHECK_INTER_MS, fall: FALL, rise: RISE },
    retryOn: RETRY_ON,
    passedEnv: Object.fromEntries(
      Object.entries(process.env).filter(([k]) => k.startsWith('UCV_') && k !== 'UCV_CONFIG'),
    ),
    events: events.map((e) => ({ ...e, inFlight: inFlightAt(e.at) })),
    phases,
  };
  const out = path.join(__dirname, 'results');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, `${REPORT_NAME}.json`), JSON.stringify(report, null, 2) + '\n');
  const failed = (x: Answers): number => x.non2xx + x.network;
  const fmt = (ms: number | null | undefined): string =>
    ms === null || ms === undefined ? 'not within the wait' : `${(ms / 1000).toFixed(2)} s`;
  const md = `# Scale-out: two instances behind HAProxy, one stopped, one killed

\`npm run bench:scale-out\` (bench/scale-out.ts), commit ${report.machine.commit}, ${report.machine.cores} cores (${report.machine.cpu}), Node
${report.machine.node}, ${haproxyVersion}. Two gateway instances (\`${path.relative(ROOT, GATEWAY_ENTRY)}\`, separate processes, ports
${PORTS.a} and ${PORTS.b}) share a private Redis (port ${PORTS.redis}); HAProxy balances them round-robin with a health check
\`GET /readyz\` every ${CHECK_INTER_MS} ms (down after ${FALL} failures, up after ${RISE} successes), \`retries 2\`,
\`retry-on ${RETRY_ON}\`${RETRY_ON === 'conn-failure' ? ' (its default: only a connection that could not be made is retried)' : ''} and \`option redispatch\` (the retry goes to the other instance). Load: ${RATE} full views/s
at even intervals (an open loop) over ${CONNECTIONS} keep-alive connections, customers drawn from 1…${HOT.toLocaleString('en-US')}, each viewed once before (the cache warm; the CRM's records live 5 s, so CRM calls go on). Everything,
the load generator included, shares the machine's cores.${
    Object.keys(report.passedEnv).length > 0
      ? ` Gateway environment: ${Object.entries(report.passedEnv)
          .map(([k, v]) => `\`${k}=${v}\``)
          .join(', ')}.`
      : ''
  }

| event | requests in flight at the event (both instances) | HAProxy marked it DOWN (UP for the restart) after | the process exited (was ready, for the restart) after |
|---|---|---|---|
${events.map((e) => `| ${e.name} | ${inFlightAt(e.at)} | ${fmt(e.detectedMs)} | ${e.readyMs !== undefined ? `ready ${fmt(e.readyMs)}` : e.exitedMs === undefined ? '' : `${fmt(e.exitedMs)}${e.exitCode !== null && e.exitCode !== undefined ? ` (code ${e.exitCode})` : ''}`} |`).join('\n')}

| phase (from its event to the next; a request counts where its answer came back) | requests | complete | partial | failed | failures by kind | failures between (ms after the event) | p50 / p99 ms |
|---|---|---|---|---|---|---|---|
${phases
  .map(
    (p) =>
      `| ${p.name} | ${p.answers.total.toLocaleString('en-US')} | ${share(p.answers.complete, p.answers.total)} | ${share(p.answers.partial, p.answers.total)}${
        p.answers.partial > 0
          ? ` (${Object.entries(p.answers.partialBy)
              .map(([k, v]) => `${k} ${v}`)
              .join(', ')})`
          : ''
      } | **${failed(p.answers)}** | ${
        Object.entries(p.failedBy)
          .map(([k, v]) => `${k} ${v}`)
          .join(', ') || '–'
      } | ${p.failuresBetweenMs ? `${p.failuresBetweenMs[0]}–${p.failuresBetweenMs[1]}` : '–'} | ${p.p50} / ${p.p99} |`,
  )
  .join('\n')}

Targets: no failed request on SIGTERM; on SIGKILL only those in flight on the killed instance.
`;
  fs.writeFileSync(path.join(out, `${REPORT_NAME}.md`), md);
  console.log(md);
  console.log(`logs: ${dir}`);
  await agent.close();
  for (const c of children) if (c.exitCode === null) c.kill('SIGKILL');
  process.exit(0);
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
