/**
 * Redis slow or down never fails or stalls a request: what the instance holds locally is served from its copies,
 * anything else from the backends, and the cache is used again by itself once Redis is back. Runs its own
 * redis-server, so stopping it disturbs nothing else.
 */
import { startHarness, type Harness } from './support/harness';
import { freePort, OwnRedis } from './support/redis';
import { waitFor } from './support/wait';

const COMMAND_DEADLINE_MS = 10_000;
let h: Harness;
let redis: OwnRedis;
beforeAll(async () => {
  redis = new OwnRedis(await freePort());
  await redis.start();
  h = await startHarness({
    // A long command deadline, so that a request which waited on Redis at all would take seconds, far beyond
    // anything machine load adds to a request answered from this process's own copies.
    cache: { redisUrl: redis.url, keyPrefix: 'ucv:', commandTimeoutMs: COMMAND_DEADLINE_MS, maxEntries: 1000 },
  });
});
afterAll(async () => {
  await h.close();
  await redis.stop();
});

const QUERY = '{ customer(id: "C00000042") { insights { segment } sources { source status } } }';
const COLD = '{ customer(id: "C00000043") { insights { segment } sources { source status } } }';
const warehouseStatus = (body: { data: { customer: { sources: Array<{ source: string; status: string }> } } }) =>
  body.data.customer.sources.find((s) => s.source === 'warehouse')?.status;
const readyz = async () =>
  (await fetch(`${h.url}/readyz`)).json() as Promise<{
    status: string;
    cache: { backend: string; reachable: boolean };
  }>;

it('keeps answering while Redis is down, and uses the cache again when it is back', async () => {
  expect(warehouseStatus((await h.gql(QUERY)).body)).toBe('LIVE');
  expect(warehouseStatus((await h.gql(QUERY)).body)).toBe('CACHED');
  expect(await readyz()).toMatchObject({ status: 'ok', cache: { backend: 'redis', reachable: true } });

  await redis.stop();
  h.mocks.resetAll();
  for (let i = 0; i < 5; i++) {
    const started = performance.now();
    const { status, body } = await h.gql(QUERY);
    expect(status).toBe(200);
    expect(body.data.customer.insights.segment).toEqual(expect.any(String));
    expect(warehouseStatus(body)).toBe('CACHED'); // held in this instance: its local copy, the backend spared
    expect(performance.now() - started).toBeLessThan(COMMAND_DEADLINE_MS / 2); // never waited on Redis
  }
  expect(h.counts().warehouse).toBe(0);
  for (let i = 0; i < 5; i++) {
    const { status, body } = await h.gql(COLD);
    expect(status).toBe(200);
    expect(warehouseStatus(body)).toBe('LIVE'); // not held: no shared cache, every request reaches the warehouse
  }
  expect(h.counts().warehouse).toBe(5);
  expect(await readyz()).toMatchObject({ status: 'degraded', cache: { backend: 'redis', reachable: false } });

  await redis.start();
  // The client reconnects by itself (backoff capped at 2 s); then the cache is filled and used again.
  await waitFor(async () => warehouseStatus((await h.gql(COLD)).body) === 'CACHED', {
    timeoutMs: 15_000,
    intervalMs: 100,
    what: 'the cache used again',
  });
  expect((await readyz()).cache.reachable).toBe(true);
});
