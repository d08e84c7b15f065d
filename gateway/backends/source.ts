/**
 * A Source is one backend system behind its adapter, and `load` is the only way the gateway calls it. Every load
 * goes through the same protections, in this order:
 *
 *   coalescing   identical loads in flight in this instance share one call
 *   cache        a fresh cached record is served without calling the backend (cache-aside)
 *   bulkhead     at most `maxConcurrent` calls in flight to this backend; more wait in a short bounded queue
 *                (`queue` calls, `queueTimeoutMs` each), then are refused (bulkhead.ts)
 *   breaker      while open, fail fast without calling the backend; slow calls count (breaker.ts)
 *   retry        failed idempotent reads are retried with jittered backoff, within a budget
 *   deadline     each attempt is aborted (AbortController) when `timeoutMs` passes
 *   adapter      the fetch, its answer capped at `maxResponseBytes` while read, then checked against the
 *                resource's schema and turned into the record
 *   stale        when all that fails, the last cached record within the stale window is served, marked STALE
 *
 * Writes take the same path without the read-only steps: `command` (an adapter command, e.g. recording a contact)
 * goes through a bulkhead and a breaker of its own (`policy.commands`), a deadline, and retries ONLY when it carries
 * an idempotency key; a backend's refusal (4xx) is an answer, never retried and never a breaker failure.
 *
 * Whatever happens, `load` resolves (never rejects) to an Outcome. A backend's "not found" is an answer: it is
 * cached (briefly) and never counts as a breaker failure. An answer of the wrong shape is a failure: never cached.
 */
import {
  failed,
  NO_TRACE,
  SpanKind,
  traceHeaders,
  traced,
  tracing,
  UNTRACED,
  type InSpan,
  type TraceContext,
} from '../telemetry';
import type { Logger } from 'pino';
import {
  BadResponseError,
  checkShape,
  CommandRejectedError,
  type AdapterDefinition,
  type BadResponseDetail,
  type CommandContext,
  type FetchContext,
} from './adapter';
import { Breaker, type BreakerState } from './breaker';
import { Bulkhead } from './bulkhead';
import type { Cache, CacheEntry } from './cache/cache';
import type { AdapterEntry, Policy } from '../config';
import type { UnavailableReason } from '../errors';
import type { Metrics } from '../metrics';

export type { BreakerState } from './breaker';

export type Outcome =
  | {
      ok: true;
      /** The record, or null when the backend does not know the key. */
      value: unknown;
      status: 'LIVE' | 'CACHED' | 'STALE';
      /** When the record was fetched from the backend (epoch ms). */
      fetchedAt: number;
      /** Duration of the backend call made for this outcome, in ms; null when none was made. */
      latencyMs: number | null;
      /** For STALE: why the backend could not give a fresh record. */
      reason?: UnavailableReason;
    }
  | {
      ok: false;
      reason: UnavailableReason;
      latencyMs: number | null;
      /** For bad_response: what was wrong with the answer (too_large, wrong_shape, unreadable, mapping_limit). */
      detail?: BadResponseDetail;
    };

/** What a command came to; `command` never rejects. */
export type CommandOutcome =
  | { ok: true; value: unknown; latencyMs: number }
  /** The backend refused it for good (CommandRejectedError), or its payload failed the command's schema. */
  | { ok: false; rejected: true; detail: 'not_found' | 'invalid'; message: string; latencyMs: number | null }
  /** It failed or was not sent (breaker open, bulkhead full): it may be sent again later with the same key. */
  | { ok: false; rejected: false; reason: UnavailableReason; latencyMs: number | null };

export interface SourceDeps {
  cache: Cache;
  /**
   * Added to the cache keys of this source's records: a registered adapter whose definition (its mapping) changed
   * must not be served the records the previous definition made. Default none (configured adapters).
   */
  cacheScope?: string;
  metrics: Metrics;
  logger: Logger;
}

const BREAKER_GAUGE: Record<BreakerState, number> = { CLOSED: 0, HALF_OPEN: 1, OPEN: 2 };

export class Source {
  readonly name: string;
  readonly adapter: AdapterDefinition;
  readonly policy: Policy;
  /** The Customer fields this source serves (reported in its provenance). */
  readonly sections: readonly string[];
  private readonly client: unknown;
  private readonly breaker: Breaker;
  private readonly bulkhead: Bulkhead;
  private readonly retries: RetryBudget;
  private readonly commandBreaker: Breaker;
  private readonly commandBulkhead: Bulkhead;
  private readonly inflight = new Map<string, Promise<Outcome>>();
  /** Source of invalidation generations: only ever increases, so an evicted counter can never be seen again. */
  private epoch = 0;
  /** Bumped when a key is invalidated, so that a fetch started before the change does not cache its old answer. */
  private readonly generations = new Map<string, number>();
  /** The highest generation forgotten from `generations`: a key no longer listed may have had any up to it. */
  private forgotten = 0;
  /** When each key was last invalidated (epoch ms), evicted with `generations`; `forgottenAt`: the latest evicted. */
  private readonly invalidatedAt = new Map<string, number>();
  private forgottenAt = 0;

  constructor(
    adapter: AdapterDefinition,
    entry: AdapterEntry,
    private readonly deps: SourceDeps,
  ) {
    this.name = adapter.name;
    this.adapter = adapter;
    this.policy = entry.policy;
    this.sections = Object.freeze(Object.keys(adapter.fields));
    this.client = adapter.connect({
      url: entry.url,
      timeoutMs: entry.policy.timeoutMs,
      maxResponseBytes: entry.policy.maxResponseBytes,
    });
    this.retries = new RetryBudget(entry.policy.retry.budgetRatio);
    const { bulkhead } = entry.policy;
    this.bulkhead = new Bulkhead(bulkhead.maxConcurrent, bulkhead.queue, bulkhead.queueTimeoutMs);
    const gauge = (state: BreakerState): void =>
      void deps.metrics.breakerState.set({ source: this.name }, BREAKER_GAUGE[state]);
    this.breaker = new Breaker(entry.policy.breaker, (state) => {
      gauge(state);
      deps.logger.warn({ source: this.name, breaker: state }, 'circuit breaker state changed');
    });
    gauge('CLOSED');
    const commands = entry.policy.commands;
    this.commandBulkhead = new Bulkhead(
      commands.bulkhead.maxConcurrent,
      commands.bulkhead.queue,
      commands.bulkhead.queueTimeoutMs,
    );
    this.commandBreaker = new Breaker(commands.breaker, (state) => {
      deps.metrics.breakerState.set({ source: `${this.name}:commands` }, BREAKER_GAUGE[state]);
      deps.logger.warn({ source: this.name, commands: true, breaker: state }, 'command circuit breaker state changed');
    });
  }

  /** The state of the commands' own breaker (writes). */
  commandBreakerState(): BreakerState {
    return this.commandBreaker.current();
  }

  /**
   * Sends one adapter command: payload checked against the command's schema, then bulkhead → breaker → attempts
   * (a retry only with `idempotencyKey`, never after a timeout or a refusal) → deadline → the adapter's `send`.
   * Evicting what it changed is the caller's (it knows the invalidation path shared by every instance).
   */
  async command(
    name: string,
    key: string,
    payload: unknown,
    options: { requestId: string; idempotencyKey?: string; trace?: TraceContext },
  ): Promise<CommandOutcome> {
    const definition = this.adapter.commands?.[name];
    if (!definition) throw new Error(`adapter ${this.name} has no command ${name}`);
    const { metrics } = this.deps;
    const count = (result: string): void => void metrics.commands.inc({ source: this.name, command: name, result });
    let checked = payload;
    if (definition.schema) {
      const parsed = checkShape(definition.schema, payload);
      if (!parsed.ok) {
        count('rejected');
        return {
          ok: false,
          rejected: true,
          detail: 'invalid',
          message: `${parsed.path || 'payload'}: ${parsed.message}`,
          latencyMs: null,
        };
      }
      checked = parsed.value;
    }
    const policy = this.policy.commands;
    const started = performance.now();
    try {
      await this.commandBulkhead.acquire();
    } catch (err) {
      count('unsent');
      return { ok: false, rejected: false, reason: classify(err), latencyMs: null };
    }
    try {
      let permit: ReturnType<Breaker['acquire']>;
      try {
        permit = this.commandBreaker.acquire();
      } catch (err) {
        count('unsent');
        return { ok: false, rejected: false, reason: classify(err), latencyMs: null };
      }
      for (let attempt = 0; ; attempt++) {
        try {
          const value = await this.sendOnce(definition.send.bind(definition), key, checked, options, policy.timeoutMs);
          permit.success();
          count('success');
          return { ok: true, value, latencyMs: performance.now() - started };
        } catch (err) {
          if (err instanceof CommandRejectedError) {
            // The backend answered: it works, it just said no.
            permit.success();
            count('rejected');
            return {
              ok: false,
              rejected: true,
              detail: err.detail,
              message: err.message,
              latencyMs: performance.now() - started,
            };
          }
          const reason = classify(err);
          // Without a key a second attempt could record twice; after a timeout the first may still land.
          if (!options.idempotencyKey || attempt >= policy.retry.attempts || reason === 'timeout') {
            permit.failure();
            count('failure');
            metrics.errors.inc({ source: this.name, reason });
            return { ok: false, rejected: false, reason, latencyMs: performance.now() - started };
          }
          metrics.retries.inc({ source: this.name });
          await sleep(Math.random() * policy.retry.backoffMs * 2 ** attempt);
        }
      }
    } finally {
      this.commandBulkhead.release();
    }
  }

  private async sendOnce(
    send: (client: unknown, key: string, payload: unknown, ctx: CommandContext) => Promise<unknown>,
    key: string,
    payload: unknown,
    options: { requestId: string; idempotencyKey?: string; trace?: TraceContext },
    timeoutMs: number,
  ): Promise<unknown> {
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new TimeoutError()), timeoutMs);
    const ctx: CommandContext = {
      signal: controller.signal,
      requestId: options.requestId,
      maxResponseBytes: this.policy.maxResponseBytes,
      trace: traceHeaders(options.trace),
      ...(options.idempotencyKey ? { idempotencyKey: options.idempotencyKey } : {}),
    };
    try {
      return await Promise.race([
        send(this.client, key, payload, ctx),
        new Promise<never>((_, reject) =>
          controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true }),
        ),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  breakerState(): BreakerState {
    return this.breaker.current();
  }

  cacheKey(resource: string, key: string): string {
    return `${this.name}${this.deps.cacheScope ?? ''}:${resource}:${key}`;
  }

  /**
   * One load of a record, shared by every caller asking for it while it runs (coalescing). `trace` is the caller's
   * span (telemetry/): the load's span is its child; a load joined by later callers stays the first one's.
   */
  load(resource: string, key: string, requestId: string, trace: TraceContext = NO_TRACE): Promise<Outcome> {
    const cacheKey = this.cacheKey(resource, key);
    const shared = this.inflight.get(cacheKey);
    if (shared) {
      this.deps.metrics.coalesced.inc({ source: this.name });
      return shared;
    }
    const pending = this.loadOnce(resource, key, requestId, cacheKey, trace).finally(() => {
      if (this.inflight.get(cacheKey) === pending) this.inflight.delete(cacheKey);
    });
    this.inflight.set(cacheKey, pending);
    return pending;
  }

  /**
   * Forgets a record in this instance (the in-flight call, and a fetch racing the change) and returns its cache
   * key for the caller to delete from the shared cache.
   */
  invalidate(resource: string, key: string): string {
    const cacheKey = this.cacheKey(resource, key);
    this.inflight.delete(cacheKey);
    this.generations.set(cacheKey, ++this.epoch);
    this.invalidatedAt.set(cacheKey, Date.now());
    if (this.generations.size > 10_000) {
      const [oldest, generation] = this.generations.entries().next().value as [string, number];
      this.forgotten = Math.max(this.forgotten, generation);
      this.forgottenAt = Math.max(this.forgottenAt, this.invalidatedAt.get(oldest) ?? 0);
      this.generations.delete(oldest);
      this.invalidatedAt.delete(oldest);
    }
    return cacheKey;
  }

  /**
   * The invalidation generation of a record: it changes whenever the record is invalidated (a change event, here
   * or from a peer), so a rendered answer built from the record can tell it is out of date. A key whose counter was
   * forgotten reports the highest forgotten one: never a value it had before an invalidation.
   */
  generation(resource: string, key: string): number {
    return this.generations.get(this.cacheKey(resource, key)) ?? this.forgotten;
  }

  /**
   * When the record was last invalidated (epoch ms; 0: never, as far as this instance remembers). A copy fetched
   * before that is the old record, even when a read raced the deletion and found it still in the cache.
   */
  lastInvalidated(resource: string, key: string): number {
    return this.invalidatedAt.get(this.cacheKey(resource, key)) ?? this.forgottenAt;
  }

  /** The record as this process holds it in its cache, without a round trip (Cache.peek). */
  held(resource: string, key: string): CacheEntry | undefined {
    return this.deps.cache.peek(this.cacheKey(resource, key));
  }

  /** Whether a record fetched at `fetchedAt` would still be served from the cache without calling the backend. */
  isFresh(found: boolean, fetchedAt: number, now = Date.now()): boolean {
    const { ttlSeconds, notFoundTtlSeconds } = this.policy.cache;
    return now - fetchedAt < (found ? ttlSeconds : notFoundTtlSeconds) * 1000;
  }

  /** How long an entry is served without calling the backend, in ms. */
  private freshFor(entry: CacheEntry): number {
    const { ttlSeconds, notFoundTtlSeconds } = this.policy.cache;
    return (entry.value === null ? notFoundTtlSeconds : ttlSeconds) * 1000;
  }

  /** How long an entry is kept at all: fresh, then servable as stale when the backend fails, in ms. */
  private keptFor(entry: CacheEntry): number {
    return this.freshFor(entry) + this.policy.cache.staleSeconds * 1000;
  }

  /** One load, traced: a span per source load with its cache result, breaker state, attempts and outcome. */
  private loadOnce(
    resource: string,
    key: string,
    requestId: string,
    cacheKey: string,
    parent: TraceContext,
  ): Promise<Outcome> {
    if (!tracing()) return this.loadUntraced(resource, key, requestId, cacheKey, UNTRACED);
    return traced(
      `source ${this.name}`,
      {
        kind: SpanKind.CLIENT,
        parent,
        attributes: {
          'ucv.source': this.name,
          'ucv.resource': resource,
          'ucv.breaker': this.breaker.current(),
          'ucv.deadline_ms': this.policy.timeoutMs,
        },
      },
      async (span, context) => {
        const outcome = await this.loadUntraced(resource, key, requestId, cacheKey, { span, context });
        span.setAttribute('ucv.status', outcome.ok ? outcome.status : 'FAILED');
        if (!outcome.ok) failed(span, outcome.reason);
        else if (outcome.reason) span.setAttribute('ucv.stale_because', outcome.reason);
        return outcome;
      },
    );
  }

  private async loadUntraced(
    resource: string,
    key: string,
    requestId: string,
    cacheKey: string,
    scope: InSpan,
  ): Promise<Outcome> {
    const { metrics } = this.deps;
    const source = this.name;
    const cached = await this.deps.cache.get(cacheKey);
    // A copy fetched before this instance was told the record changed is the old record, never a hit: the shared
    // cache may still hold it when the deletion could not reach it (Redis stalled or away when this one was told).
    const current = cached !== undefined && cached.fetchedAt > this.lastInvalidated(resource, key);
    if (cached && current && Date.now() - cached.fetchedAt < this.freshFor(cached)) {
      metrics.cache.inc({ source, result: 'hit' });
      scope.span.setAttribute('ucv.cache', 'hit');
      return { ok: true, value: cached.value, status: 'CACHED', fetchedAt: cached.fetchedAt, latencyMs: null };
    }
    metrics.cache.inc({ source, result: 'miss' });
    scope.span.setAttribute('ucv.cache', cached ? 'expired' : 'miss');
    const generation = this.generations.get(cacheKey) ?? 0;
    const started = performance.now();
    try {
      const value = await this.fire(resource, key, requestId, scope);
      const latencyMs = performance.now() - started;
      const fetchedAt = Date.now();
      if ((this.generations.get(cacheKey) ?? 0) === generation) {
        const entry: CacheEntry = { value, fetchedAt };
        void this.deps.cache.set(cacheKey, entry, this.keptFor(entry));
      }
      metrics.calls.inc({ source, result: value === null ? 'not_found' : 'success' });
      return { ok: true, value, status: 'LIVE', fetchedAt, latencyMs };
    } catch (err) {
      const reason = classify(err);
      const detail = err instanceof BadResponseError ? err.detail : undefined;
      const reachedBackend = reason !== 'circuit_open' && reason !== 'overloaded';
      const latencyMs = reachedBackend ? performance.now() - started : null;
      metrics.calls.inc({ source, result: reachedBackend ? 'failure' : 'rejected' });
      metrics.errors.inc({ source, reason });
      if (reason === 'overloaded') metrics.bulkheadRejections.inc({ source });
      if (detail)
        this.deps.logger.warn(
          { source, resource, detail, err: (err as Error).message, requestId },
          'backend answer refused',
        );
      if (cached && Date.now() - cached.fetchedAt < this.keptFor(cached)) {
        metrics.cache.inc({ source, result: 'stale' });
        return { ok: true, value: cached.value, status: 'STALE', fetchedAt: cached.fetchedAt, latencyMs, reason };
      }
      return detail ? { ok: false, reason, latencyMs, detail } : { ok: false, reason, latencyMs };
    }
  }

  /**
   * The bulkhead sits in front of the breaker: a refusal for lack of room says the gateway is busy, not that the
   * backend fails, so it must not count for the breaker either way. The time spent waiting in the bulkhead's queue
   * is not part of the call's deadline: `timeoutMs` is the backend's own budget.
   */
  private async fire(resource: string, key: string, requestId: string, scope: InSpan): Promise<unknown> {
    await this.bulkhead.acquire();
    try {
      const permit = this.breaker.acquire();
      try {
        const value = await this.callWithRetries(resource, key, requestId, scope);
        permit.success();
        return value;
      } catch (err) {
        permit.failure();
        throw err;
      }
    } finally {
      this.bulkhead.release();
    }
  }

  /** Runs inside the breaker: the breaker counts one call, however many attempts it took. */
  private async callWithRetries(resource: string, key: string, requestId: string, scope: InSpan): Promise<unknown> {
    const { attempts, backoffMs } = this.policy.retry;
    this.retries.deposit();
    for (let attempt = 0; ; attempt++) {
      const started = performance.now();
      try {
        const value = await this.call(resource, key, requestId, scope.context);
        this.deps.metrics.latency.observe({ source: this.name }, (performance.now() - started) / 1000);
        return value;
      } catch (err) {
        this.deps.metrics.latency.observe({ source: this.name }, (performance.now() - started) / 1000);
        // A timed-out backend is not helped by a second call, and the caller's deadline is spent.
        if (attempt >= attempts || classify(err) === 'timeout' || !this.retries.withdraw()) throw err;
        this.deps.metrics.retries.inc({ source: this.name });
        scope.span.addEvent('retry', { attempt: attempt + 1, reason: classify(err) });
        await sleep(Math.random() * backoffMs * 2 ** attempt);
      }
    }
  }

  /** One attempt with a real deadline: the request is aborted, not left running. Its answer is checked here. */
  private async call(resource: string, key: string, requestId: string, trace: TraceContext): Promise<unknown> {
    const definition = this.adapter.resources[resource];
    if (!definition) throw new Error(`adapter ${this.name} has no resource ${resource}`);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new TimeoutError()), this.policy.timeoutMs);
    const ctx: FetchContext = {
      signal: controller.signal,
      requestId,
      maxResponseBytes: this.policy.maxResponseBytes,
      trace: traceHeaders(trace),
    };
    let raw: unknown;
    try {
      raw = await Promise.race([
        definition.fetch(this.client, key, ctx),
        // An adapter that ignores its signal still cannot hold the request past the deadline.
        new Promise<never>((_, reject) =>
          controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true }),
        ),
      ]);
    } finally {
      clearTimeout(timer);
    }
    if (raw === null || raw === undefined) return null;
    let checked = raw;
    if (definition.schema) {
      const result = checkShape(definition.schema, raw);
      if (!result.ok)
        throw new BadResponseError(
          `${resource} answer of the wrong shape at ${result.path || '(root)'}: ${result.message}`,
          'wrong_shape',
        );
      checked = result.value;
    }
    if (!definition.toRecord) return checked;
    try {
      return definition.toRecord(checked);
    } catch (err) {
      // A shape the schema let through but the mapping could not read is the answer's fault, not the gateway's.
      throw new BadResponseError(`${resource} answer could not be read: ${(err as Error).message}`, 'wrong_shape');
    }
  }

  async close(): Promise<void> {
    await this.adapter.close?.(this.client);
  }
}

/**
 * Retries may be at most `ratio` of calls: every call earns `ratio` of a token, every retry spends one, and at most
 * 10 tokens are saved, so a failing backend sees at most ~(1 + ratio)× its normal load, never a retry storm.
 */
class RetryBudget {
  private tokens = 0;
  constructor(private readonly ratio: number) {}
  deposit(): void {
    this.tokens = Math.min(10, this.tokens + this.ratio);
  }
  withdraw(): boolean {
    if (this.tokens < 1) return false;
    this.tokens -= 1;
    return true;
  }
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

export class TimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor() {
    super('backend call timed out');
  }
}

export function classify(err: unknown): UnavailableReason {
  const code = (err as { code?: unknown } | null)?.code;
  if (code === 'EOPENBREAKER') return 'circuit_open';
  if (code === 'EBULKHEAD') return 'overloaded';
  if (err instanceof TimeoutError || code === 'ETIMEDOUT' || code === 'ECONNABORTED') return 'timeout';
  if (code === 'EBADRESPONSE' || err instanceof SyntaxError) return 'bad_response';
  return 'error';
}
