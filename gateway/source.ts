/**
 * A Source is one backend system behind its adapter, and `load` is the only way the gateway calls it.
 * Whatever happens, `load` resolves (never rejects) to an Outcome: a record (or null for "not found") with where it
 * came from, or the reason the source is unavailable. Sections turn Outcomes into values or errors.
 */
import type { AdapterDefinition, FetchContext } from './adapter';
import type { AdapterEntry, Policy } from './config';
import type { UnavailableReason } from './errors';

export type BreakerState = 'CLOSED' | 'OPEN' | 'HALF_OPEN';

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
    }
  | { ok: false; reason: UnavailableReason; latencyMs: number | null };

export class Source {
  readonly name: string;
  readonly adapter: AdapterDefinition;
  readonly policy: Policy;
  private readonly client: unknown;

  constructor(adapter: AdapterDefinition, entry: AdapterEntry) {
    this.name = adapter.name;
    this.adapter = adapter;
    this.policy = entry.policy;
    this.client = adapter.connect({ url: entry.url });
  }

  breakerState(): BreakerState {
    return 'CLOSED';
  }

  async load(resource: string, key: string, requestId: string): Promise<Outcome> {
    const started = performance.now();
    try {
      const value = await this.call(resource, key, requestId);
      return { ok: true, value, status: 'LIVE', fetchedAt: Date.now(), latencyMs: performance.now() - started };
    } catch (err) {
      return { ok: false, reason: classify(err), latencyMs: performance.now() - started };
    }
  }

  /** One backend call with a real deadline: the request is aborted, not left running. */
  private async call(resource: string, key: string, requestId: string): Promise<unknown> {
    const definition = this.adapter.resources[resource];
    if (!definition) throw new Error(`adapter ${this.name} has no resource ${resource}`);
    const controller = new AbortController();
    const timer = setTimeout(() => controller.abort(new TimeoutError()), this.policy.timeoutMs);
    const ctx: FetchContext = { signal: controller.signal, requestId };
    try {
      return await Promise.race([
        definition.fetch(this.client, key, ctx),
        // An adapter that ignores its signal still cannot hold the request past the deadline.
        new Promise<never>((_, reject) => controller.signal.addEventListener('abort', () => reject(controller.signal.reason), { once: true })),
      ]);
    } finally {
      clearTimeout(timer);
    }
  }

  async close(): Promise<void> {
    await this.adapter.close?.(this.client);
  }
}

export class TimeoutError extends Error {
  readonly code = 'ETIMEDOUT';
  constructor() {
    super('backend call timed out');
  }
}

export function classify(err: unknown): UnavailableReason {
  const code = (err as { code?: unknown } | null)?.code;
  if (err instanceof TimeoutError || code === 'ETIMEDOUT' || code === 'ECONNABORTED') return 'timeout';
  if (code === 'EBADRESPONSE') return 'bad_response';
  if (err instanceof SyntaxError) return 'bad_response';
  return 'error';
}
