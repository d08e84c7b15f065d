/**
 * With Redis, each instance keeps the records it reads in process too (Redis server-assisted client-side caching):
 * a repeated read does not reach Redis, and Redis itself tells the instance when a record changes or is deleted,
 * whoever changed it. Runs its own redis-server, so its command counters are this file's alone.
 */
import { createClient } from 'redis';
import { startMocks, type Mocks } from '../mocks';
import { startHarness, type Harness } from './support/harness';
import { freePort, OwnRedis } from './support/redis';
import { waitFor } from './support/wait';

let redis: OwnRedis;
let mocks: Mocks;
let a: Harness;
let b: Harness;
let admin: ReturnType<typeof createClient>;

beforeAll(async () => {
  redis = new OwnRedis(await freePort());
  await redis.start();
  mocks = await startMocks();
  const cache = { redisUrl: redis.url, keyPrefix: 'ucv:', commandTimeoutMs: 200, maxEntries: 1000 };
  a = await startHarness({ cache }, { mocks });
  b = await startHarness({ cache }, { mocks });
  admin = createClient({ url: redis.url });
  admin.on('error', () => undefined); // the last test restarts Redis
  await admin.connect();
});
afterAll(async () => {
  admin.destroy();
  await a.close();
  await b.close();
  await mocks.close();
  await redis.stop();
});

const QUERY = '{ customer(id: "C00000021") { insights { segment } sources { source status } } }';
const warehouseStatus = (body: { data: { customer: { sources: Array<{ source: string; status: string }> } } }) =>
  body.data.customer.sources.find((s) => s.source === 'warehouse')?.status;
/** GET commands Redis has served so far. */
const redisGets = async (): Promise<number> =>
  Number(/cmdstat_get:calls=(\d+)/.exec(await admin.info('commandstats'))?.[1] ?? 0);

it('a repeated read is served in process, without a Redis command', async () => {
  expect(warehouseStatus((await a.gql(QUERY)).body)).toBe('LIVE');
  expect(warehouseStatus((await a.gql(QUERY)).body)).toBe('CACHED'); // read from Redis once, now kept locally
  const gets = await redisGets();
  expect(gets).toBeGreaterThan(0); // the counter is read: the second request's GET is in it
  for (let i = 0; i < 5; i++) expect(warehouseStatus((await a.gql(QUERY)).body)).toBe('CACHED');
  expect(await redisGets()).toBe(gets);
});

it('another instance sees the shared record, and keeps it locally too', async () => {
  mocks.resetAll();
  expect(warehouseStatus((await b.gql(QUERY)).body)).toBe('CACHED');
  expect(mocks.warehouse.faults.requests().total).toBe(0);
});

it('a record deleted in Redis, by anyone, is no longer served from any instance', async () => {
  await a.gql(QUERY);
  await b.gql(QUERY);
  // Deleted behind the gateways' backs: no change event, no pub/sub message; only Redis's own tracking tells them.
  expect(await admin.del('ucv:warehouse:insights:C00000021')).toBe(1);
  // The invalidation push travels on each instance's connection: wait until both have dropped their copies.
  await waitFor(
    async () =>
      (await Promise.all([a, b].map((g) => g.gateway.cache.get('warehouse:insights:C00000021')))).every(
        (entry) => entry === undefined,
      ),
    { what: 'both local copies dropped' },
  );
  mocks.resetAll();
  expect(warehouseStatus((await a.gql(QUERY)).body)).toBe('LIVE');
  expect(mocks.warehouse.faults.requests().total).toBe(1);
  // A's fresh fetch was written back to Redis, so B (whose copy was dropped) reads it from there.
  expect(warehouseStatus((await b.gql(QUERY)).body)).toBe('CACHED');
  expect(mocks.warehouse.faults.requests().total).toBe(1);
});

it('a lost connection drops the local copies: when Redis comes back empty, the record is fetched live', async () => {
  expect(warehouseStatus((await a.gql(QUERY)).body)).toBe('CACHED');
  await redis.stop();
  await redis.start(); // a new server, with nothing in it
  // The client reconnects by itself (backoff capped at 2 s).
  await waitFor(
    async () => ((await (await fetch(`${a.url}/readyz`)).json()) as { cache: { reachable: boolean } }).cache.reachable,
    { timeoutMs: 15_000, intervalMs: 100, what: 'Redis reachable again' },
  );
  mocks.resetAll();
  expect(warehouseStatus((await a.gql(QUERY)).body)).toBe('LIVE');
  expect(mocks.warehouse.faults.requests().total).toBe(1);
});

it('a read and a delete of the same key sent together: the old record is not kept locally', async () => {
  const { cache } = a.gateway;
  for (let i = 0; i < 20; i++) {
    const key = `race:${i}`;
    await cache.set(key, { value: 'old', fetchedAt: 1 }, 60_000);
    await Promise.all([cache.get(key), cache.delete([key])]);
    // The invalidation of the delete may be decoded before the read's reply is handled: either way, gone.
    expect(await cache.get(key)).toBeUndefined();
  }
});
