/**
 * Rate limits per consumer: requests and backend cost per second, per role, shared by every instance through Redis;
 * a Redis outage or stall fails open within the deadline and is counted. And the envelop plugin refuses with
 * RATE_LIMITED and `retryAfterSeconds` once the allowance is spent.
 */
import type http from 'node:http';
import { envelop, useEngine, useSchema } from '@envelop/core';
import { buildSchema, execute, GraphQLError, parse, specifiedRules, subscribe, validate } from 'graphql';
import pino from 'pino';
import { createClient } from 'redis';
import { createMetrics } from '../gateway/metrics';
import { useRateLimit } from '../gateway/pipeline/rate-limit';
import {
  createRateLimiter,
  type ConsumerRateLimiter,
  type RateDecision,
  type RateLimitSettings,
} from '../gateway/rate-limit/limiter';
import { freePort, OwnRedis, REDIS_URL, requireRedis, uniquePrefix } from './support/redis';
import { waitFor } from './support/wait';

const logger = pino({ level: 'silent' });
const SETTINGS: RateLimitSettings = {
  default: { requestsPerSecond: 50, costPerSecond: 500 },
  roles: { 'self-service': { requestsPerSecond: 5, costPerSecond: 10 } },
  redisTimeoutMs: 100,
};
const limiters: ConsumerRateLimiter[] = [];
const limiter = (redisUrl: string | undefined, keyPrefix: string, metrics = createMetrics()): ConsumerRateLimiter => {
  const made = createRateLimiter({
    settings: SETTINGS,
    redisUrl,
    keyPrefix,
    logger,
    failOpen: metrics.rateLimitFailOpen,
  });
  limiters.push(made);
  return made;
};
afterAll(async () => {
  await Promise.all(limiters.map((l) => l.close()));
});

/** Waits until a limiter's Redis client is connected (its first check would otherwise fail open). */
async function connected(l: ConsumerRateLimiter): Promise<void> {
  for (let i = 0; i < 100; i++) {
    if (!('failedOpen' in (await l.check(`warm-up-${i}`, undefined, 1)))) return;
    await new Promise((r) => setTimeout(r, 20));
  }
  throw new Error('the limiter never reached Redis');
}

/**
 * Runs `round` with a fresh consumer until it fits inside one second (a one-second window that closed midway on a
 * busy machine would let a second allowance through), at most 5 times.
 */
async function withinOneSecond<T>(round: (consumer: string) => Promise<T>): Promise<T> {
  for (let attempt = 0; ; attempt++) {
    const started = Date.now();
    const result = await round(`consumer-${process.pid}-${Date.now()}-${attempt}`);
    if (Date.now() - started < 700 || attempt === 4) return result;
  }
}

describe('with Redis: two gateway instances share each consumer allowance', () => {
  let a: ConsumerRateLimiter;
  let b: ConsumerRateLimiter;
  beforeAll(async () => {
    await requireRedis();
    const prefix = uniquePrefix('rate-limit');
    a = limiter(REDIS_URL, prefix);
    b = limiter(REDIS_URL, prefix);
    await Promise.all([connected(a), connected(b)]);
  });

  it('5 requests per second for self-service, counted across both instances', async () => {
    const decisions = await withinOneSecond((consumer) =>
      Promise.all(Array.from({ length: 10 }, (_, i) => (i % 2 ? a : b).check(consumer, 'self-service', 1))),
    );
    expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
    const refused = decisions.filter((d): d is Extract<RateDecision, { allowed: false }> => !d.allowed);
    expect(refused).toHaveLength(5);
    expect(refused.every((d) => d.limit === 'requests' && d.retryAfterSeconds === 1)).toBe(true);
    // Alone, each instance would have allowed 5: the total proves the counter is shared.
  });

  it('backend cost per second: three operations of cost 4 overrun an allowance of 10', async () => {
    const decisions = await withinOneSecond(async (consumer) => [
      await a.check(consumer, 'self-service', 4),
      await b.check(consumer, 'self-service', 4),
      await a.check(consumer, 'self-service', 4),
    ]);
    expect(decisions.map((d) => (d.allowed ? 'allowed' : d.limit))).toEqual(['allowed', 'allowed', 'cost']);
  });

  it('each consumer has its own allowance; a role without limits of its own gets the default', async () => {
    const decisions = await withinOneSecond((consumer) =>
      Promise.all(Array.from({ length: 20 }, (_, i) => a.check(`${consumer}-${i % 4}`, 'marketing', 1))),
    );
    expect(decisions.every((d) => d.allowed)).toBe(true);
  });
});

describe('with Redis: one round trip per request', () => {
  it('both counters are charged by one EVALSHA, the script sent once, and the limits still hold', async () => {
    const own = new OwnRedis(await freePort());
    await own.start();
    const admin = createClient({ url: own.url });
    try {
      await admin.connect();
      const l = limiter(own.url, 'one-trip:');
      await connected(l); // its first call loads the script (NOSCRIPT, then EVAL)
      const decisions = await withinOneSecond(async (consumer) => {
        await admin.configResetStat(); // the counts are the last round's
        const made: RateDecision[] = [];
        for (let i = 0; i < 7; i++) made.push(await l.check(consumer, 'self-service', 1));
        return made;
      });
      expect(decisions.filter((d) => d.allowed)).toHaveLength(5);
      expect(decisions.at(-1)).toMatchObject({ allowed: false, limit: 'requests' });
      const stats = await admin.info('commandstats');
      const calls = (command: string) => Number(new RegExp(`cmdstat_${command}:calls=(\\d+)`).exec(stats)?.[1] ?? 0);
      expect(calls('evalsha')).toBe(decisions.length);
      expect(calls('eval')).toBe(0);
    } finally {
      admin.destroy();
      await own.stop();
    }
  });
});

describe('without Redis: in memory, per instance', () => {
  it('refuses past the allowance', async () => {
    const l = limiter(undefined, 'memory:');
    const decisions = await withinOneSecond((consumer) =>
      Promise.all(Array.from({ length: 7 }, () => l.check(consumer, 'self-service', 1))),
    );
    expect(decisions.map((d) => d.allowed)).toEqual([true, true, true, true, true, false, false]);
  });
});

describe('Redis stalled or down: fails open fast, and counts it', () => {
  let redis: OwnRedis;
  beforeAll(async () => {
    redis = new OwnRedis(await freePort());
    await redis.start();
  });
  afterAll(async () => {
    redis.signal('SIGCONT');
    await redis.stop();
  });

  it('a frozen Redis (SIGSTOP): every check answers within the deadline, allowed, and the metric counts it', async () => {
    const metrics = createMetrics();
    const l = limiter(redis.url, 'frozen:', metrics);
    await connected(l);
    redis.signal('SIGSTOP');
    try {
      const started = Date.now();
      const decisions = await Promise.all(
        Array.from({ length: 20 }, () => l.check('frozen-consumer', 'self-service', 1)),
      );
      const elapsed = Date.now() - started;
      expect(decisions.every((d) => d.allowed && d.failedOpen === 'redis_timeout')).toBe(true);
      expect(elapsed).toBeLessThan(2000); // deadline 100 ms; generous room for a busy machine
      expect(await metrics.registry.getSingleMetricAsString('ucv_rate_limit_fail_open_total')).toContain(
        'ucv_rate_limit_fail_open_total{reason="redis_timeout"} 20',
      );
    } finally {
      redis.signal('SIGCONT');
    }
  });

  it('a Redis that is gone: allowed at once', async () => {
    const metrics = createMetrics();
    const l = limiter(redis.url, 'gone:', metrics);
    await connected(l);
    await redis.stop();
    // The client notices the closed connection: checks no longer reach Redis at all.
    await waitFor(
      async () => {
        const d = await l.check('gone-probe', 'self-service', 1);
        return 'failedOpen' in d && d.failedOpen !== 'redis_timeout';
      },
      { what: 'the limiter seeing Redis gone' },
    );
    const started = Date.now();
    const decision = await l.check('gone-consumer', 'self-service', 1);
    expect(decision).toMatchObject({
      allowed: true,
      failedOpen: expect.stringMatching(/redis_unavailable|redis_error/),
    });
    expect(Date.now() - started).toBeLessThan(1000);
  });
});

describe('the envelop plugin', () => {
  const schema = buildSchema('type Query { hello: String }');
  const rootValue = { hello: 'world' };
  const run = async (plugin: ReturnType<typeof useRateLimit>, context: object) => {
    const getEnveloped = envelop({
      plugins: [useEngine({ parse, validate, execute, subscribe, specifiedRules }), useSchema(schema), plugin],
    });
    const { parse: p, execute: e, contextFactory } = getEnveloped(context);
    const contextValue = await contextFactory(context);
    return e({ schema, document: p('{ hello }'), rootValue, contextValue });
  };
  const req = { socket: { remoteAddress: '127.0.0.1' } } as unknown as http.IncomingMessage;

  it('lets a request within the allowance execute, and refuses the next with RATE_LIMITED and retryAfterSeconds', async () => {
    const metrics = createMetrics();
    const plugin = useRateLimit(limiter(undefined, 'plugin:'), metrics.rateLimited);
    const consumer = { id: `plugin-${Date.now()}`, name: 'Self-service app', role: 'self-service', via: 'api-key' };
    const outcomes = await withinOneSecond(async () => {
      const results: unknown[] = [];
      for (let i = 0; i < 3; i++)
        results.push(await run(plugin, { req, consumer: { ...consumer }, cost: 4 }).catch((err: unknown) => err));
      return results;
    });
    expect(outcomes[0]).toEqual({ data: { hello: 'world' } });
    expect(outcomes[1]).toEqual({ data: { hello: 'world' } });
    expect(outcomes[2]).toBeInstanceOf(GraphQLError);
    expect((outcomes[2] as GraphQLError).extensions).toEqual({
      code: 'RATE_LIMITED',
      retryAfterSeconds: 1,
      limit: 'cost',
    });
    expect(await metrics.registry.getSingleMetricAsString('ucv_rate_limited_total')).toContain(
      'ucv_rate_limited_total{role="self-service",limit="cost"} 1',
    );
  });

  it('a request with no consumer is limited by its remote address under the default limits', async () => {
    const plugin = useRateLimit(limiter(undefined, 'plugin-anonymous:'));
    const result = await run(plugin, { req });
    expect(result).toEqual({ data: { hello: 'world' } });
  });
});
