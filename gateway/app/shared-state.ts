/**
 * What the instances of one deployment share, chosen once, here: with `cache.redisUrl` set, Redis, so every
 * instance sees the same records, replay checks, rate-limit counters and definitions; without it, this process's
 * memory (and the definitions file, which the workers of one host share). No other module makes this choice: each
 * gets the store it uses from here. Every Redis connection is made by the one factory (backends/redis.ts).
 */
import path from 'node:path';
import type { Logger } from 'pino';
import type { Cache } from '../backends/cache/cache';
import { memoryCache } from '../backends/cache/memory-cache';
import { redisCache } from '../backends/cache/redis-cache';
import type { GatewayConfig } from '../config';
import { fileBackend, redisBackend, type DefinitionsBackend } from '../definitions/backends';
import { memoryReplayStore, redisReplayStore, type ReplayStore } from '../inbound/events/signature';
import type { Metrics } from '../metrics';
import { memoryNonceStore, redisNonceStore, type NonceStore } from '../pipeline/identity';
import { createRateLimiter, type ConsumerRateLimiter } from '../rate-limit/limiter';
import { createLoginThrottle, type LoginThrottle } from '../rate-limit/login-throttle';

export interface SharedState {
  readonly kind: 'redis' | 'memory';
  /** Redis's URL when shared through Redis (the invalidator publishes changes there). */
  readonly redisUrl?: string;
  /** Records read from the backends (local copies kept in process either way). */
  readonly cache: Cache;
  /** WS-Security nonces seen (replay check of SOAP credentials). */
  readonly nonces: NonceStore;
  /** Signatures of signed events seen (replay check of webhooks). */
  readonly replay: ReplayStore;
  /** Request and cost counters per consumer. */
  readonly rateLimiter: ConsumerRateLimiter;
  /** Failed logins per source address and per claimed identity. */
  readonly loginThrottle: LoginThrottle;
  /** The versioned definitions (adapters, rules…). */
  readonly definitions: DefinitionsBackend;
  close(): Promise<void>;
}

/** `root`: the folder relative paths of the config are read from (the repository's root). */
export function openSharedState(
  config: Readonly<GatewayConfig>,
  logger: Logger,
  metrics: Metrics,
  root: string,
): SharedState {
  const { redisUrl, keyPrefix } = config.cache;
  const rateLimiter = createRateLimiter({
    settings: config.rateLimit,
    redisUrl,
    keyPrefix: `${keyPrefix}rl:`,
    logger,
    failOpen: metrics.rateLimitFailOpen,
  });
  const loginThrottle = createLoginThrottle({
    settings: config.security.loginThrottle,
    redisUrl,
    keyPrefix: `${keyPrefix}login:`,
    logger,
    failOpen: metrics.rateLimitFailOpen,
  });
  const { maxNonces } = config.security.wsSecurity;
  const state: Omit<SharedState, 'close'> = redisUrl
    ? {
        kind: 'redis',
        redisUrl,
        cache: redisCache({
          url: redisUrl,
          commandTimeoutMs: config.cache.commandTimeoutMs,
          keyPrefix,
          logger,
          localEntries: config.cache.maxEntries,
          localBytes: config.cache.maxBytes,
        }),
        nonces: redisNonceStore(redisUrl, keyPrefix, config.security.wsSecurity.redisTimeoutMs, logger, maxNonces),
        replay: redisReplayStore(redisUrl, `${keyPrefix}event-signature:`, config.events.redisTimeoutMs, logger),
        rateLimiter,
        loginThrottle,
        definitions: redisBackend(redisUrl, keyPrefix, logger),
      }
    : {
        kind: 'memory',
        cache: memoryCache({ maxEntries: config.cache.maxEntries, maxBytes: config.cache.maxBytes }),
        nonces: memoryNonceStore(maxNonces),
        replay: memoryReplayStore(),
        rateLimiter,
        loginThrottle,
        definitions: fileBackend(path.resolve(root, config.admin.definitionsFile)),
      };
  metrics.watchCacheBytes(() => state.cache.bytes());
  return {
    ...state,
    // The definitions backend is closed by the definitions store, and the nonces and the login throttle by the
    // authenticator, which own them.
    close: async () => {
      await Promise.all([state.cache.close(), state.replay.close(), state.rateLimiter.close()]);
    },
  };
}
