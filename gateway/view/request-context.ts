/**
 * Everything one gateway request knows: its id, the Customer fields its operation selects, the backend loads it
 * made (each source, resource and key is loaded once per request, however many fields read it) and the provenance
 * of every source per customer, for `Customer.sources` and the response's `extensions.sources`.
 */
import type { Outcome, Source, BreakerState } from '../backends/source';
import type { UnavailableReason } from '../errors';
import { NO_TRACE, type TraceContext } from '../telemetry';

export type SourceState = 'LIVE' | 'CACHED' | 'STALE' | 'UNAVAILABLE' | 'SKIPPED';

export interface SourceStatus {
  source: string;
  sections: readonly string[];
  status: SourceState;
  fetchedAt: string | null;
  ageMs: number | null;
  latencyMs: number | null;
  breaker: BreakerState;
  found: boolean | null;
  reason: UnavailableReason | null;
}

const SEVERITY: Record<SourceState, number> = { SKIPPED: 0, LIVE: 1, CACHED: 2, STALE: 3, UNAVAILABLE: 4 };

interface Tally {
  status: SourceState;
  fetchedAt: number | null;
  latencyMs: number | null;
  found: boolean | null;
  reason: UnavailableReason | null;
}

/** One record a request loaded: what a rendered answer built from it depends on (gateway/pipeline/answer-cache.ts). */
export interface Loaded {
  source: Source;
  resource: string;
  key: string;
  customerId?: string;
  /** The record's invalidation generation when the load started: a change during the load makes it differ. */
  generation: number;
  outcome: Promise<Outcome>;
}

export class RequestContext {
  /** When the request started (performance.now()), for Server-Timing. */
  readonly startedAt = performance.now();
  /** Customer fields the current operation selects; set before execution. */
  customerFields: ReadonlySet<string> = new Set();
  /**
   * Set by a resolver whose answer depends on more than the records this request loaded (a table in force that may
   * change at any moment, the durable store): such an answer must not be kept by the rendered-answer cache.
   */
  volatile = false;
  private readonly loads = new Map<string, Promise<Outcome>>();
  /** Every record this request loaded, once each, in order. */
  readonly loaded: Loaded[] = [];
  private readonly tallies = new Map<string, Map<string, Tally>>();
  /** Loads counted in each customer's provenance, so `settled` can wait for them. */
  private readonly pendingByCustomer = new Map<string, Array<Promise<void>>>();

  constructor(
    readonly requestId: string,
    readonly sources: readonly Source[],
    /** The span the request's loads are children of: the operation's, then its execute phase's (telemetry/). */
    public trace: TraceContext = NO_TRACE,
  ) {}

  /**
   * Loads a resource once per request. With a `customerId`, the outcome counts in that customer's provenance.
   */
  load(source: Source, resource: string, key: string, customerId?: string): Promise<Outcome> {
    const memoKey = `${source.name}\u0000${resource}\u0000${key}`;
    let pending = this.loads.get(memoKey);
    if (!pending) {
      const generation = source.generation(resource, key);
      pending = source.load(resource, key, this.requestId, this.trace);
      this.loads.set(memoKey, pending);
      this.loaded.push({ source, resource, key, customerId, generation, outcome: pending });
      if (customerId !== undefined) {
        const recorded = pending.then((outcome) => this.record(customerId, source.name, outcome));
        const list = this.pendingByCustomer.get(customerId);
        if (list) list.push(recorded);
        else this.pendingByCustomer.set(customerId, [recorded]);
      }
    }
    return pending;
  }

  /**
   * Resolves once every load this request started has its outcome recorded, so the provenance is complete even
   * when a customer turned out unknown before its other sources answered. Each load has a deadline: this is bounded.
   */
  async allSettled(): Promise<void> {
    await Promise.all([...this.pendingByCustomer.values()].flat());
  }

  /** Resolves once every load started so far for this customer has its outcome recorded. */
  async settled(customerId: string): Promise<void> {
    const list = this.pendingByCustomer.get(customerId);
    if (list) await Promise.all(list);
  }

  /** Counts an outcome in a customer's provenance (e.g. the MSISDN lookup that found the customer). */
  record(customerId: string, source: string, outcome: Outcome): void {
    let bySource = this.tallies.get(customerId);
    if (!bySource) this.tallies.set(customerId, (bySource = new Map()));
    const next: Tally = outcome.ok
      ? {
          status: outcome.status,
          fetchedAt: outcome.fetchedAt,
          latencyMs: outcome.latencyMs,
          found: outcome.value !== null,
          reason: outcome.reason ?? null,
        }
      : { status: 'UNAVAILABLE', fetchedAt: null, latencyMs: outcome.latencyMs, found: null, reason: outcome.reason };
    const prev = bySource.get(source);
    if (!prev) return void bySource.set(source, next);
    // Several resources of one source: report the worst status, the oldest data, the slowest call.
    bySource.set(source, {
      status: SEVERITY[next.status] > SEVERITY[prev.status] ? next.status : prev.status,
      fetchedAt:
        prev.fetchedAt === null
          ? next.fetchedAt
          : next.fetchedAt === null
            ? prev.fetchedAt
            : Math.min(prev.fetchedAt, next.fetchedAt),
      latencyMs:
        Math.max(prev.latencyMs ?? -1, next.latencyMs ?? -1) < 0
          ? null
          : Math.max(prev.latencyMs ?? 0, next.latencyMs ?? 0),
      found: prev.found === false || next.found === false ? false : (prev.found ?? next.found),
      reason: prev.reason ?? next.reason,
    });
  }

  /** Provenance of one customer: every source of the gateway, SKIPPED when this request did not need it. */
  sourcesOf(customerId: string, now = Date.now()): SourceStatus[] {
    const bySource = this.tallies.get(customerId);
    return this.sources.map((source) => {
      const t = bySource?.get(source.name);
      return {
        source: source.name,
        sections: source.sections,
        status: t?.status ?? 'SKIPPED',
        fetchedAt: t?.fetchedAt ? new Date(t.fetchedAt).toISOString() : null,
        ageMs: t?.fetchedAt ? Math.max(0, now - t.fetchedAt) : null,
        latencyMs: t?.latencyMs === null || t?.latencyMs === undefined ? null : Math.round(t.latencyMs * 100) / 100,
        breaker: source.breakerState(),
        found: t?.found ?? null,
        reason: t?.reason ?? null,
      };
    });
  }

  /**
   * `Server-Timing` value: the request's time in the gateway so far and its slowest backend call, in ms. Their
   * difference is what the gateway adds over its slowest backend.
   */
  serverTiming(): string {
    let slowest = 0;
    for (const bySource of this.tallies.values())
      for (const t of bySource.values()) slowest = Math.max(slowest, t.latencyMs ?? 0);
    return `gateway;dur=${(performance.now() - this.startedAt).toFixed(2)}, backend;dur=${slowest.toFixed(2)}`;
  }

  /** `extensions.sources`: the provenance of every customer this request touched. */
  provenance(): Array<{ customerId: string; sources: SourceStatus[] }> {
    const now = Date.now();
    return [...this.tallies.keys()].map((customerId) => ({ customerId, sources: this.sourcesOf(customerId, now) }));
  }
}
