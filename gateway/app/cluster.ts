/**
 * Runs the gateway in this process, or on every core: `workers` (UCV_WORKERS) gateway processes behind one port with
 * node:cluster. Used by `npm run gateway` (main.ts) and `npm start` (scripts/start.ts, whose mocks stay in the
 * primary process: only the gateway is forked).
 *
 * The primary only supervises: it forks the workers, replaces one that dies (at once the first time, then with a
 * doubling backoff so a crash loop does not spin), and on SIGTERM or SIGINT asks every worker to drain (each runs
 * `Gateway.close()`: readyz 503, `Connection: close`, requests in flight finish), waits for them, then stops.
 *
 * With no drain delay (`shutdown.delayMs` 0) the stop has two steps. The primary holds the port and hands each new
 * connection to a worker; it closes the port only once every worker has stopped listening, and a connection it
 * accepted before then, with no worker left to take it, is reset with its request unread. A keep-alive client told
 * to leave (`Connection: close`) by a worker that drains early reconnects at once, into that gap. So every worker
 * first stops listening and says so, and only then does any of them drain: a client that reconnects is refused,
 * which it may safely retry elsewhere. (With a delay, the port stays open during it, for a balancer to notice.)
 * Workers share what Redis holds (cache and change events) when `cache.redisUrl` is set; without it each worker has
 * its own cache, which the start says.
 */
import cluster, { type Worker } from 'node:cluster';
import os from 'node:os';
import { ConfigError, type GatewayConfig } from '../config';
import { createGateway, openConfiguredStore, type Gateway, type GatewayOptions } from './server';
import type { Store } from '../store';
import { startTracing, type Tracing } from '../telemetry';

export interface ServeHooks {
  /** Once the gateway listens (in the primary, once every worker listens), with its base URL. */
  onReady?(url: string): void;
  /** After the gateway has stopped, before the process exits (npm start closes the mocks here). */
  onStopped?(): Promise<void>;
  /** Where the primary reports workers that die and warnings; default console.warn. */
  log?(line: string): void;
}

/** Deaths within this window count towards the backoff; a worker that lived longer resets it. */
const DEATH_WINDOW_MS = 60_000;
/** A worker that has not exited this long after its drain's grace period is killed. */
const KILL_MARGIN_MS = 5_000;

export function workerCount(config: Pick<GatewayConfig, 'workers'>): number {
  return config.workers === 'auto' ? os.availableParallelism() : config.workers;
}

/** Wait before replacing a dead worker, given the deaths in the last minute (this one included), in ms. */
export function respawnDelayMs(recentDeaths: number): number {
  return recentDeaths <= 1 ? 0 : Math.min(30_000, 250 * 2 ** (recentDeaths - 2));
}

/** The caching caveat of a cluster without Redis, or undefined when there is none. */
export function cacheWarning(config: Pick<GatewayConfig, 'workers' | 'cache'>): string | undefined {
  const n = workerCount(config);
  if (n <= 1 || config.cache.redisUrl) return undefined;
  return (
    `${n} workers without Redis: each worker caches alone (up to ${n} backend calls for one customer's record), ` +
    `and a change event posted to /events reaches one worker only, so the others serve the old record until its TTL. ` +
    `Set REDIS_URL to share one cache.`
  );
}

/** What `serve` passes to createGateway besides the store, which each gateway process opens for itself. */
export type ServeOptions = Omit<GatewayOptions, 'store' | 'logger'>;

export async function serve(
  config: Readonly<GatewayConfig>,
  hooks: ServeHooks = {},
  options: ServeOptions = {},
): Promise<void> {
  const log = hooks.log ?? ((line: string) => console.warn(line));
  const n = workerCount(config);
  // The embedded store is one process's folder (PGlite): workers would each need their own, and the audit trail
  // would be split between them. Several workers share PostgreSQL instead.
  if (n > 1 && !config.store.url)
    throw new ConfigError(
      `workers: ${n} workers need a shared durable store: set DATABASE_URL (the embedded store in ${config.store.dataDir} is one process's)`,
    );
  if (cluster.isWorker) return runWorker(config, options);
  if (n <= 1) return runAlone(config, hooks, options);
  return runPrimary(config, n, hooks, log);
}

/** Opens this process's store and its gateway; `stop` drains the gateway, then closes the store. */
async function startGateway(
  config: Readonly<GatewayConfig>,
  options: ServeOptions,
): Promise<{ gateway: Gateway; store: Store }> {
  // Traces when the standard OTEL_* variables ask for them (telemetry/): before the gateway, so every span is kept.
  tracingOfProcess ??= startTracing();
  const store = await openConfiguredStore(config);
  return { gateway: createGateway(config, { ...options, store }), store };
}

/** This process's tracing (null: off), flushed when the process stops. */
let tracingOfProcess: Tracing | null | undefined;

/** Runs `stop` on the first SIGTERM or SIGINT; later signals (Ctrl-C reaches every process) do not kill it. */
function onSignals(stop: () => void): void {
  let stopping = false;
  const once = (): void => {
    if (stopping) return;
    stopping = true;
    stop();
  };
  process.on('SIGTERM', once).on('SIGINT', once);
}

async function runAlone(config: Readonly<GatewayConfig>, hooks: ServeHooks, options: ServeOptions): Promise<void> {
  const { gateway, store } = await startGateway(config, options);
  const url = await gateway.listen();
  hooks.onReady?.(url);
  onSignals(() => void stopAndExit(gateway, store, hooks.onStopped));
}

/** The primary's request to a worker to stop listening (first step of the stop), and the worker's answer. */
const STOP_LISTENING = 'ucv:stop-listening';
const LISTENER_CLOSED = 'ucv:listener-closed';
/** Longest wait for the workers' answers to STOP_LISTENING before the drain goes on regardless, in ms. */
const STOP_LISTENING_WAIT_MS = 10_000;

async function runWorker(config: Readonly<GatewayConfig>, options: ServeOptions): Promise<void> {
  const { gateway, store } = await startGateway(config, options);
  await gateway.listen();
  onSignals(() => void stopAndExit(gateway, store));
  process.on('message', (message: unknown) => {
    if (message !== STOP_LISTENING) return;
    // The listener's close is a message to the primary on this same channel, so the primary reads it before this
    // answer: by then it has taken this worker off the port.
    gateway.stopListening();
    process.send?.(LISTENER_CLOSED);
  });
  // The primary is gone (killed): nobody would replace or stop this worker, so drain and go.
  process.once('disconnect', () => process.emit('SIGTERM'));
}

async function stopAndExit(gateway: Gateway, store: Store, then?: () => Promise<void>): Promise<void> {
  try {
    await gateway.close();
    await store.close();
    await tracingOfProcess?.shutdown();
    await then?.();
  } finally {
    process.exit(0);
  }
}

function runPrimary(
  config: Readonly<GatewayConfig>,
  n: number,
  hooks: ServeHooks,
  log: (line: string) => void,
): Promise<void> {
  const warning = cacheWarning(config);
  if (warning) log(`ucv-gateway: ${warning}`);
  const deaths: number[] = [];
  let stopping = false;
  let ready = false;
  const listening = new Set<Worker>();

  return new Promise((resolve, reject) => {
    cluster.on('listening', (worker, address) => {
      log(`ucv-gateway: worker ${worker.process.pid} listening`);
      listening.add(worker);
      if (!ready && listening.size === n) {
        ready = true;
        const host = config.host === '0.0.0.0' ? '127.0.0.1' : config.host;
        hooks.onReady?.(`http://${host}:${address.port}`);
        resolve();
      }
    });
    cluster.on('exit', (worker, code, signal) => {
      listening.delete(worker);
      if (stopping) return;
      const how = signal ? `signal ${signal}` : `code ${code}`;
      if (!ready) {
        // A worker that cannot even start (port taken, bad adapter module) will not start on a second try either.
        reject(new Error(`worker ${worker.process.pid} exited with ${how} before the gateway was up`));
        return stopWorkers(config).then(() => process.exit(1));
      }
      const now = Date.now();
      deaths.push(now);
      while (deaths.length > 0 && (deaths[0] as number) < now - DEATH_WINDOW_MS) deaths.shift();
      const delay = respawnDelayMs(deaths.length);
      log(
        `ucv-gateway: worker ${worker.process.pid} died (${how}); replacing it in ${delay} ms (${deaths.length} death(s) in the last minute)`,
      );
      setTimeout(() => {
        if (!stopping) cluster.fork();
      }, delay);
    });
    for (let i = 0; i < n; i++) cluster.fork();
    onSignals(() => {
      stopping = true;
      void stopWorkers(config)
        .then(() => hooks.onStopped?.())
        .finally(() => process.exit(0));
    });
  });
}

/**
 * Asks every worker to drain, and waits until all have exited (killing any that outlive the grace period). With no
 * drain delay, every worker stops listening first (see the top of this file).
 */
async function stopWorkers(config: Readonly<GatewayConfig>): Promise<void> {
  const workers = Object.values(cluster.workers ?? {}).filter((w): w is Worker => w !== undefined && !w.isDead());
  if (config.shutdown.delayMs === 0) await Promise.all(workers.map(stopListening));
  await Promise.all(
    workers.map(
      (worker) =>
        new Promise<void>((resolve) => {
          const kill = setTimeout(() => worker.process.kill('SIGKILL'), config.shutdown.graceMs + KILL_MARGIN_MS);
          worker.once('exit', () => {
            clearTimeout(kill);
            resolve();
          });
          worker.process.kill('SIGTERM');
        }),
    ),
  );
}

/** Resolves once `worker` says it no longer listens, has exited, or has not answered in STOP_LISTENING_WAIT_MS. */
function stopListening(worker: Worker): Promise<void> {
  return new Promise((resolve) => {
    const done = (): void => {
      clearTimeout(timer);
      worker.off('message', onMessage).off('exit', done);
      resolve();
    };
    const onMessage = (message: unknown): void => {
      if (message === LISTENER_CLOSED) done();
    };
    const timer = setTimeout(done, STOP_LISTENING_WAIT_MS);
    worker.on('message', onMessage).once('exit', done);
    // A worker whose channel is gone cannot answer: the drain goes on at once.
    worker.send(STOP_LISTENING, undefined, (err) => {
      if (err) done();
    });
  });
}
