/**
 * The shared cache: Redis through the `redis` package, so every gateway instance behind the load balancer sees the
 * same entries. Redis slow or down never fails or stalls a request: every command has a short deadline, commands
 * are refused at once while disconnected (no offline queue), failures read as misses, and the client reconnects
 * by itself with capped backoff.
 */
import { createClient } from 'redis';
import type { Logger } from 'pino';
import type { Cache, CacheEntry } from './cache';

export interface RedisOptions {
  url: string;
  /** Deadline of one command, in milliseconds. */
  commandTimeoutMs: number;
  keyPrefix: string;
  logger: Logger;
}

/** A client that never queues while offline and reconnects forever with backoff capped at 2 s. */
export function connectRedis(url: string, logger: Logger, connectTimeoutMs = 1000) {
  const client = createClient({
    url,
    disableOfflineQueue: true,
    socket: { connectTimeout: connectTimeoutMs, reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000) },
  });
  let down = false;
  client.on('error', (err: Error) => {
    // Logged once per outage; the client keeps reconnecting.
    if (!down) logger.warn({ err: err.message }, 'redis unavailable; serving without it until it is back');
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.info('redis is back');
    down = false;
  });
  client.connect().catch(() => undefined); // the first failure is reported by the error handler
  return client;
}

export type RedisClient = ReturnType<typeof connectRedis>;

export function redisCache(options: RedisOptions): Cache {
  const client = connectRedis(options.url, options.logger);
  const commands = client.withCommandOptions({ timeout: options.commandTimeoutMs });
  const prefixed = (key: string): string => options.keyPrefix + key;
  const quietly = async <T>(work: () => Promise<T>, fallback: T): Promise<T> => {
    if (!client.isReady) return fallback;
    try {
      return await work();
    } catch {
      return fallback;
    }
  };
  return {
    kind: 'redis',
    get: (key) =>
      quietly(async () => {
        const raw = await commands.get(prefixed(key));
        return typeof raw === 'string' ? (JSON.parse(raw) as CacheEntry) : undefined;
      }, undefined),
    set: (key, entry, ttlMs) =>
      quietly(async () => {
        if (ttlMs > 0) await commands.set(prefixed(key), JSON.stringify(entry), { expiration: { type: 'PX', value: Math.ceil(ttlMs) } });
      }, undefined),
    delete: (keys) =>
      quietly(async () => {
        if (keys.length > 0) await commands.del(keys.map(prefixed));
        return true;
      }, false),
    reachable: () => quietly(async () => (await commands.ping()) === 'PONG', false),
    close: async () => {
      client.destroy();
    },
  };
}
