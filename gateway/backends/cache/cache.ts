/**
 * The cache the gateway keeps of source data: one small async interface, two implementations (in-memory LRU by
 * default, Redis when configured). It holds what a backend answered for a key (the adapter's record, or null for
 * "not found") with the time it was fetched, never data shaped or filtered for one consumer.
 *
 * A cache is an optimisation, never a dependency: `get` resolves undefined and `set`/`delete` resolve quietly
 * when the cache is slow or down, and the gateway calls the backend instead.
 */
export interface CacheEntry {
  /** The record, or null: the backend does not know the key. */
  value: unknown;
  /** When it was fetched from the backend (epoch ms). */
  fetchedAt: number;
}

export interface Cache {
  readonly kind: 'memory' | 'redis';
  get(key: string): Promise<CacheEntry | undefined>;
  /**
   * The entry as held in this process, without a round trip (the in-memory cache, or Redis's local copies, which
   * Redis's client tracking drops when anyone changes or deletes the key, or the connection is lost); undefined
   * when this process holds none. The rendered-answer cache checks its records with it.
   */
  peek(key: string): CacheEntry | undefined;
  /** Keeps the entry for `ttlMs` milliseconds (its freshness and its stale window together). */
  set(key: string, entry: CacheEntry, ttlMs: number): Promise<void>;
  /** Resolves whether the keys are gone (false: the cache could not be reached). */
  delete(keys: readonly string[]): Promise<boolean>;
  /** Whether the cache answers now (for /readyz); resolves within the cache's own deadline. */
  reachable(): Promise<boolean>;
  /** Bytes held in this process (the in-memory cache, or Redis's local copies), by records' JSON length. */
  bytes(): number;
  close(): Promise<void>;
}
