/**
 * A Redis that stops answering on an open socket (frozen by SIGSTOP: a long fork, swap) never holds a request:
 * every command has a deadline of our own, raced against the reply (the client's own timeout is dropped once a
 * command is written). A stalled Redis reads as a miss within the deadline and is counted unreachable, but what the
 * instance holds locally is still served from its copy, never sent to the backends; /readyz and POST /events answer
 * within their deadlines; when Redis thaws, the cache is used again, and the requests served meanwhile left no
 * backlog that trips a bulkhead. Runs its own redis-server.
 */
import { signEvent } from '../gateway/inbound/events/signature';
import { startHarness, type Harness } from './support/harness';
import { freePort, OwnRedis } from './support/redis';
import { waitFor } from './support/wait';

let h: Harness;
let redis: OwnRedis;
const DEADLINE_MS = 100;
const SECRET = 'redis-stall-test-events-secret';
beforeAll(async () => {
  redis = new OwnRedis(await freePort());
  await redis.start();
  h = await startHarness({
    cache: { redisUrl: redis.url, keyPrefix: 'ucv:', commandTimeoutMs: DEADLINE_MS, maxEntries: 1000 },
    events: { secrets: { crm: SECRET }, redisTimeoutMs: DEADLINE_MS },
  });
});
afterAll(async () => {
  redis.resume();
  await h.close();
  await redis.stop();
});

const view = (id: string) =>
  h.gql(
    `{ customer(id: "${id}") { profile { name } products { code } insights { segment } sources { source status reason } } }`,
  );
const statusOf = (
  body: { data: { customer: { sources: Array<{ source: string; status: string }> } } },
  source: string,
) => body.data.customer.sources.find((s) => s.source === source)?.status;
const timed = async <T>(work: () => Promise<T>): Promise<[T, number]> => {
  const started = performance.now();
  const result = await work();
  return [result, performance.now() - started];
};
/** Sections a burst could not serve (a customer missing from the warehouse's batch is an answer, not a failure). */
const unavailable = (results: Array<{ body: { errors?: Array<{ extensions: { code: string } }> } }>) =>
  results.flatMap((r) => r.body.errors ?? []).filter((e) => e.extensions.code !== 'NOT_FOUND');
const overloaded = (body: { errors?: Array<{ extensions: { reason?: string } }> }) =>
  (body.errors ?? []).filter((e) => e.extensions.reason === 'overloaded').length;

it('a frozen Redis is a miss within the deadline, for views, /readyz and events; after it thaws the cache is used again', async () => {
  await view('C00000042');
  expect(statusOf((await view('C00000042')).body, 'warehouse')).toBe('CACHED');
  // The baseline for the burst below: the same burst of cold views, other customers, with Redis healthy, now.
  const [, healthyBurstMs] = await timed(() =>
    Promise.all(Array.from({ length: 60 }, (_, i) => view(`C000${String(51000 + i)}`))),
  );

  redis.pause();
  let slowest = 0;
  // Every request is answered within the deadline plus the backends' own time (mocks: a few ms), never the stall.
  // The bound leaves room for a busy machine; a hung request would wait for the whole test's timeout.
  for (const id of ['C00000043', 'C00000042', 'C00000044', 'C00000042']) {
    const before = h.mocks.warehouse.faults.requests().total;
    const [{ status, body }, ms] = await timed(() => view(id));
    expect(status).toBe(200);
    expect(body.errors).toBeUndefined();
    if (id === 'C00000042') {
      // Held in this instance: served from its local copy, the backend spared.
      expect(statusOf(body, 'warehouse')).toBe('CACHED');
      expect(h.mocks.warehouse.faults.requests().total).toBe(before);
    } else expect(statusOf(body, 'warehouse')).toBe('LIVE'); // a miss: the backend was called
    expect(ms).toBeLessThan(DEADLINE_MS + 900);
    slowest = Math.max(slowest, ms);
  }
  const [ready, readyMs] = await timed(async () => (await fetch(`${h.url}/readyz`)).json());
  expect(ready).toMatchObject({ status: 'degraded', cache: { backend: 'redis', reachable: false } });
  expect(readyMs).toBeLessThan(DEADLINE_MS + 900);
  const eventBody = JSON.stringify({ type: 'customer.products.changed', customerId: 'C00000042' });
  const [event, eventMs] = await timed(() =>
    fetch(`${h.url}/events/crm`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-ucv-signature': signEvent(SECRET, eventBody) },
      body: eventBody,
    }),
  );
  expect(event.status).toBe(503);
  expect(((await event.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code).toBe(
    'CACHE_UNAVAILABLE',
  );
  expect(eventMs).toBeLessThan(DEADLINE_MS + 900);

  // A burst of cold views while frozen: all answered complete, none waiting on Redis, none refused.
  const [burst, burstMs] = await timed(() =>
    Promise.all(Array.from({ length: 60 }, (_, i) => view(`C000${String(50000 + i)}`))),
  );
  expect(burst.map((r) => overloaded(r.body)).reduce((a, b) => a + b, 0)).toBe(0);
  expect(unavailable(burst)).toEqual([]);
  // Each view may spend a deadline or two on Redis, concurrently; waiting on the stalled Redis would take seconds.
  // Against the healthy burst measured above, so a loaded machine raises both.
  expect(burstMs).toBeLessThan(2 * healthyBurstMs + 10 * DEADLINE_MS);
  if (process.env.UCV_REPORT) {
    process.stdout.write(
      `redis frozen (deadline ${DEADLINE_MS} ms): slowest view ${slowest.toFixed(0)} ms, /readyz ${readyMs.toFixed(0)} ms, event ${eventMs.toFixed(0)} ms, 60 cold views ${burstMs.toFixed(0)} ms (healthy ${healthyBurstMs.toFixed(0)} ms)\n`,
    );
  }

  redis.resume();
  // Redis answers the probe once it has worked through the backlog; then entries are written and read again.
  await waitFor(async () => statusOf((await view('C00000045')).body, 'warehouse') === 'CACHED', {
    timeoutMs: 15_000,
    intervalMs: 100,
    what: 'a record served from Redis again',
  });
  expect(((await (await fetch(`${h.url}/readyz`)).json()) as { cache: { reachable: boolean } }).cache.reachable).toBe(
    true,
  );
  // The released backlog trips nothing: a burst right after the thaw is served whole.
  const after = await Promise.all(Array.from({ length: 60 }, (_, i) => view(`C000${String(51000 + i)}`)));
  expect(after.map((r) => overloaded(r.body)).reduce((a, b) => a + b, 0)).toBe(0);
  expect(unavailable(after)).toEqual([]);
});
