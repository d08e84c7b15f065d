/**
 * The default cache: in-process LRU, bounded by entry count and by bytes, each entry with its own TTL. An entry's
 * size is the length of its record as JSON, measured once when it is stored: one big record cannot grow the
 * process without bound, and `bytes()` (metric ucv_cache_local_bytes) says what the cache holds.
 */
import { LRUCache } from 'lru-cache';
import type { Cache, CacheEntry } from './cache';

export interface MemoryCacheOptions {
  /** Most entries kept. */
  maxEntries: number;
  /** Most bytes kept (records' JSON length); a record larger than this is not kept. */
  maxBytes: number;
}

/** The size an entry is counted for: its record's JSON length, plus a little for the entry itself. */
export const entrySize = (entry: CacheEntry): number => (JSON.stringify(entry.value)?.length ?? 4) + 32;

export function memoryCache(options: MemoryCacheOptions): Cache {
  const lru = new LRUCache<string, CacheEntry>({
    max: options.maxEntries,
    maxSize: options.maxBytes,
    sizeCalculation: entrySize,
    ttlAutopurge: false,
  });
  return {
    kind: 'memory',
    get: async (key) => lru.get(key),
    peek: (key) => lru.peek(key),
    set: async (key, entry, ttlMs) => {
      if (ttlMs > 0) lru.set(key, entry, { ttl: ttlMs });
    },
    delete: async (keys) => {
      for (const key of keys) lru.delete(key);
      return true;
    },
    reachable: async () => true,
    bytes: () => lru.calculatedSize,
    close: async () => lru.clear(),
  };
}
