/**
 * Per-consumer rate limits: requests per second and backend cost per second, per role (config `rateLimit`), each a
 * fixed one-second window. In memory with rate-limiter-flexible; shared by every gateway instance through Redis when
 * `cache.redisUrl` is set, where both counters are charged by one script in one round trip (EVALSHA).
 *
 * Why not rate-limiter-flexible on Redis too: it charges one key per call and sends its whole script with EVAL each
 * time, so a request cost two round trips one after the other, each carrying the script, on the hot path of every
 * cached view. The script below is its own `incrTtl` script applied to the two keys in order (the cost is charged
 * only when the request counter allows it, as before), run by its SHA-1.
 *
 * The limiter never fails a request for its own sake: Redis down, slow or stalled, the request goes through
 * (fail open) within `redisTimeoutMs`, and `ucv_rate_limit_fail_open_total` counts it. A rate limit protects the
 * backends from one greedy consumer; refusing everyone while Redis is away would be the outage it exists to prevent.
 */
import { createHash } from 'node:crypto';
import type { Counter } from 'prom-client';
import { RateLimiterMemory, RateLimiterRes, type RateLimiterAbstract } from 'rate-limiter-flexible';
import type { Logger } from 'pino';
import { connectRedis, RedisDeadlineError, withDeadline } from '../backends/redis';

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

/**
 * KEYS: the request counter, the cost counter. ARGV: the cost's points, requests allowed, cost allowed, the window in
 * seconds. Each counter is made at 0 with the window's TTL if absent (an old one without a TTL gets it), then
 * charged. Returns {0, 0} allowed, or {1 | 2, ms before the window ends} for the request or the cost limit.
 */
const CHARGE_SCRIPT = `
local function charge(key, points, allowed, window)
  redis.call('set', key, 0, 'EX', window, 'NX')
  local consumed = redis.call('incrby', key, points)
  local ttl = redis.call('pttl', key)
  if ttl == -1 then
    redis.call('expire', key, window)
    ttl = 1000 * window
  end
  if consumed > allowed then return ttl end
  return nil
end
local late = charge(KEYS[1], 1, tonumber(ARGV[2]), ARGV[4])
if late then return {1, late} end
late = charge(KEYS[2], tonumber(ARGV[1]), tonumber(ARGV[3]), ARGV[4])
if late then return {2, late} end
return {0, 0}
`;
const CHARGE_SHA1 = createHash('sha1').update(CHARGE_SCRIPT).digest('hex');

type Outcome =
  { kind: 'ok' } | { kind: 'exceeded'; msBeforeNext: number } | { kind: 'redis_timeout' } | { kind: 'redis_error' };

interface RoleLimiters {
  /** In memory only (without Redis). */
  requests: RateLimiterAbstract;
  cost: RateLimiterAbstract;
  rate: Rate;
  /** The role's name in the counters' keys ('' for the default limits). */
  name: string;
}

export function createRateLimiter(options: RateLimiterOptions): ConsumerRateLimiter {
  const { settings } = options;
  // Its commands race their own deadline (withDeadline); while Redis is stalled, connectRedis bounds the queue.
  const client = options.redisUrl ? connectRedis(options.redisUrl, options.logger) : undefined;
  const make = (name: string, points: number): RateLimiterAbstract =>
    new RateLimiterMemory({ keyPrefix: name, points, duration: 1 });
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
        name,
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

  /** Both counters on Redis in one round trip within the deadline: the script by its SHA-1, loaded once if absent. */
  const chargeOnRedis = async (
    redis: NonNullable<typeof client>,
    limiters: RoleLimiters,
    consumerKey: string,
    points: number,
  ): Promise<RateDecision> => {
    const script = {
      keys: [
        `${options.keyPrefix}req:${limiters.name}:${consumerKey}`,
        `${options.keyPrefix}cost:${limiters.name}:${consumerKey}`,
      ],
      arguments: [String(points), String(limiters.rate.requestsPerSecond), String(limiters.rate.costPerSecond), '1'],
    };
    const run = async (): Promise<unknown> => {
      try {
        return await redis.evalSha(CHARGE_SHA1, script);
      } catch (err) {
        // A Redis that restarted or flushed its scripts: load it with this one call; later calls find it by SHA.
        if (err instanceof Error && err.message.startsWith('NOSCRIPT')) return redis.eval(CHARGE_SCRIPT, script);
        throw err;
      }
    };
    try {
      const [which, ms] = (await withDeadline(run(), settings.redisTimeoutMs)) as [number, number];
      if (which === 0) return { allowed: true };
      return decide({ kind: 'exceeded', msBeforeNext: Number(ms) }, which === 1 ? 'requests' : 'cost') as RateDecision;
    } catch (err) {
      return decide(
        { kind: err instanceof RedisDeadlineError ? 'redis_timeout' : 'redis_error' },
        'requests',
      ) as RateDecision;
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
      // An operation dearer than a second's budget takes the whole second, rather than being refused forever.
      const points = Math.min(limiters.rate.costPerSecond, Math.max(1, Math.ceil(Number.isFinite(cost) ? cost : 1)));
      if (client) return chargeOnRedis(client, limiters, consumerKey, points);
      const onRequests = decide(await consume(limiters.requests, consumerKey, 1), 'requests');
      if (onRequests) return onRequests;
      return decide(await consume(limiters.cost, consumerKey, points), 'cost') ?? { allowed: true };
    },
    async close() {
      client?.destroy();
    },
  };
}
