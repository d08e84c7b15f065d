/**
 * A busy event loop is not a slow Redis. Under load, a gateway on two cores can hold its loop past a command's
 * deadline while Redis's reply already sits in the socket; the deadline is judged only after the loop has read
 * what arrived, so such a reply is taken, not counted as a stall (which would send reads to the backends). A Redis
 * that really does not answer still misses its deadline. Against the real Redis at REDIS_URL (default 6379).
 */
import pino from 'pino';
import { connectRedis, RedisDeadlineError, withDeadline } from '../gateway/backends/redis';
import { redisCache } from '../gateway/backends/cache/redis-cache';
import { waitFor } from './support/wait';

const URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const logger = pino({ level: 'silent' });
const client = connectRedis(URL, logger);
beforeAll(() => waitFor(() => client.isReady, { timeoutMs: 10_000, what: 'Redis to be ready' }));
afterAll(() => client.destroy());

/**
 * How long the loop is held: far past the 50 ms deadline, and long enough that Redis has answered meanwhile even on
 * a loaded machine (its reply takes well under a millisecond when it gets the CPU).
 */
const HELD_MS = 1000;

/** Holds the event loop, as a burst of requests on a busy machine does. */
const hold = (ms: number): void => {
  const until = performance.now() + ms;
  while (performance.now() < until);
};

it('a reply that arrived while the loop was held past the deadline is taken', async () => {
  await client.set('ucv-test:busy-loop', 'value');
  const reply = withDeadline(client.get('ucv-test:busy-loop'), 50);
  hold(HELD_MS); // the reply arrives in the socket meanwhile; the 50 ms timer is due long before the loop looks
  await expect(reply).resolves.toBe('value');
});

it('a command Redis does not answer in time still misses its deadline', async () => {
  // BLPOP on an empty list holds the reply for 2 s: Redis, not the loop, is late.
  const blocked = connectRedis(URL, logger);
  await waitFor(() => blocked.isReady, { timeoutMs: 10_000, what: 'a second connection' });
  try {
    await expect(withDeadline(blocked.blPop('ucv-test:never-pushed', 2), 50)).rejects.toBeInstanceOf(
      RedisDeadlineError,
    );
  } finally {
    blocked.destroy();
  }
});

it('the cache keeps serving, and keeps its local copies, through a held loop', async () => {
  const cache = redisCache({
    url: URL,
    commandTimeoutMs: 50,
    keyPrefix: 'ucv-test:',
    logger,
    localEntries: 100,
    localBytes: 1 << 20,
  });
  try {
    await waitFor(() => cache.reachable(), { timeoutMs: 10_000, what: 'the cache to reach Redis' });
    await cache.set('held', { value: 1, fetchedAt: Date.now() }, 60_000);
    expect(cache.peek('held')).toEqual({ value: 1, fetchedAt: expect.any(Number) });
    const miss = cache.get('not-held');
    hold(HELD_MS);
    await expect(miss).resolves.toBeUndefined(); // answered by Redis (nothing there), not abandoned
    expect(await cache.reachable()).toBe(true); // not marked stalled
    expect(cache.peek('held')).toBeDefined();
  } finally {
    await cache.close();
  }
});
