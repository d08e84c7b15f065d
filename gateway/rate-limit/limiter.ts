/**
 * Per-consumer rate limits: requests per second and backend cost per second, per role (config `rateLimit`), with
 * rate-limiter-flexible. Shared by every gateway instance through Redis when `cache.redisUrl` is set (one counter
 * per consumer and second, updated by one Lua script), in memory otherwise.
 *
 * The limiter never fails a request for its own sake: Redis down, slow or stalled, the request goes through
 * (fail open) within `redisTimeoutMs`, and `ucv_rate_limit_fail_open_total` counts it. A rate limit protects the
 * backends from one greedy consumer; refusing everyone while Redis is away would be the outage it exists to prevent.
 */
import type { Counter } from 'prom-client';
import { RateLimiterMemory, RateLimiterRedis, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from 'pino';
import { connectRedis } from '../backends/redis';

export interface Rate {
  /** Requests per second; a burst of one second's worth is allowed. */
  requestsPerSecond: number;
  /** Backend cost per second (an operation's estimated backend calls). */
  costPerSecond: number;
}

export interface RateLimitSettings {
  /** For a role not listed in `roles`, and for requests with no consumer. */
  default: Rate;
  roles: Readonly<Record<string, Rate>>;
  /** Deadline of one Redis round trip, in milliseconds, past which the request fails open. */
  redisTimeoutMs: number;
}

export type RateDecision =
  | { allowed: true; failedOpen?: 'redis_unavailable' | 'redis_timeout' | 'redis_error' }
  | { allowed: false; limit: 'requests' | 'cost'; retryAfterSeconds: number };

export interface ConsumerRateLimiter {
  /**
   * Charges one request and `cost` to `consumerKey` under `role`'s limits. Never rejects: a store that cannot answer
   * in time lets the request through.
   */
  check(consumerKey: string, role: string | undefined, cost: number): Promise<RateDecision>;
  close(): Promise<void>;
}

export interface RateLimiterOptions {
  settings: RateLimitSettings;
  /** Shared store; memory when absent. */
  redisUrl?: string;
  /** Prefix of the Redis keys, e.g. "ucv:rl:". */
  keyPrefix: string;
  logger: Logger;
  /** ucv_rate_limit_fail_open_total, labelled by reason. */
  failOpen: Counter<'reason'>;
}

type Outcome =
  { kind: 'ok' } | { kind: 'exceeded'; msBeforeNext: number } | { kind: 'redis_timeout' } | { kind: 'redis_error' };

interface RoleLimiters {
  requests: RateLimiterAbstract;
  cost: RateLimiterAbstract;
  rate: Rate;
}

export function createRateLimiter(options: RateLimiterOptions): ConsumerRateLimiter {
  const { settings } = options;
  const client = options.redisUrl ? connectRedis(options.redisUrl, options.logger) : undefined;
  // Each consume races its own deadline (below); while Redis is stalled, commands are not queued without bound
  // (connectRedis bounds the connection's queue).
  // node-redis v4+ must be named (its client is no longer a "Commander"), else the limiter speaks ioredis to it.
  const make = (name: string, points: number): RateLimiterAbstract =>
    client
      ? new RateLimiterRedis({
          storeClient: client,
          useRedisPackage: true,
          keyPrefix: `${options.keyPrefix}${name}`,
          points,
          duration: 1,
        })
      : new RateLimiterMemory({ keyPrefix: name, points, duration: 1 });
  const byRole = new Map<string, RoleLimiters>();
  const limitersOf = (role: string | undefined): RoleLimiters => {
    const name = role !== undefined && Object.hasOwn(settings.roles, role) ? role : '';
    let limiters = byRole.get(name);
    if (!limiters) {
      const rate = name ? (settings.roles[name] as Rate) : settings.default;
      limiters = {
        requests: make(`req:${name}`, rate.requestsPerSecond),
        cost: make(`cost:${name}`, rate.costPerSecond),
        rate,
      };
      byRole.set(name, limiters);
    }
    return limiters;
  };

  /** One consume within the deadline: allowed, exceeded (and for how long), or why the store gave no verdict. */
  const consume = async (limiter: RateLimiterAbstract, key: string, points: number): Promise<Outcome> => {
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<Outcome>(
      (resolve) => (timer = setTimeout(() => resolve({ kind: 'redis_timeout' }), settings.redisTimeoutMs)),
    );
    try {
      return await Promise.race([limiter.consume(key, points).then((): Outcome => ({ kind: 'ok' })), deadline]);
    } catch (err) {
      // rate-limiter-flexible rejects with a RateLimiterRes when the points are spent, with an Error when the store failed.
      return err instanceof RateLimiterRes
        ? { kind: 'exceeded', msBeforeNext: err.msBeforeNext }
        : { kind: 'redis_error' };
    } finally {
      clearTimeout(timer);
    }
  };

  /** The decision an outcome forces, or undefined to go on to the next limit. */
  const decide = (outcome: Outcome, limit: 'requests' | 'cost'): RateDecision | undefined => {
    if (outcome.kind === 'ok') return undefined;
    if (outcome.kind === 'exceeded')
      return { allowed: false, limit, retryAfterSeconds: Math.max(1, Math.ceil(outcome.msBeforeNext / 1000)) };
    options.failOpen.inc({ reason: outcome.kind });
    return { allowed: true, failedOpen: outcome.kind };
  };

  return {
    async check(consumerKey, role, cost) {
      if (client && !client.isReady) {
        options.failOpen.inc({ reason: 'redis_unavailable' });
        return { allowed: true, failedOpen: 'redis_unavailable' };
      }
      const limiters = limitersOf(role);
      const onRequests = decide(await consume(limiters.requests, consumerKey, 1), 'requests');
      if (onRequests) return onRequests;
      // An operation dearer than a second's budget takes the whole second, rather than being refused forever.
      const points = Math.min(limiters.rate.costPerSecond, Math.max(1, Math.ceil(Number.isFinite(cost) ? cost : 1)));
      return decide(await consume(limiters.cost, consumerKey, points), 'cost') ?? { allowed: true };
    },
    async close() {
      client?.destroy();
    },
  };
}
