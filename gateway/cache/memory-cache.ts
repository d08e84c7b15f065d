/** The default cache: in-process, bounded by entry count (LRU), each entry with its own TTL. */
import { LRUCache } from 'lru-cache';
import type { Cache, CacheEntry } from './cache';

export function memoryCache(maxEntries: number): Cache {
  const lru = new LRUCache<string, CacheEntry>({ max: maxEntries, ttlAutopurge: false });
  return {
    kind: 'memory',
    get: async (key) => lru.get(key),
    set: async (key, entry, ttlMs) => {
      if (ttlMs > 0) lru.set(key, entry, { ttl: ttlMs });
    },
    delete: async (keys) => {
      for (const key of keys) lru.delete(key);
      return true;
    },
    reachable: async () => true,
    close: async () => lru.clear(),
  };
}
