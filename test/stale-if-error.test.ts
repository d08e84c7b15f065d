/**
 * Stale-if-error: when a backend fails, times out or its breaker is open, the last known record is served up to
 * the source's stale window, marked STALE with its age, while the other sections stay live.
 */
import { FULL_VIEW, startHarness, type Harness } from './support/harness';
import { REDIS_URL, requireRedis, uniquePrefix } from './support/redis';

let h: Harness;
beforeAll(async () => {
  await requireRedis();
  const fastExpiry = { cache: { ttlSeconds: 0.2, staleSeconds: 60 }, retry: { attempts: 0 } };
  h = await startHarness({
    cache: { redisUrl: REDIS_URL, keyPrefix: uniquePrefix('stale'), commandTimeoutMs: 200, maxEntries: 1000 },
    policies: {
      billing: { ...fastExpiry, timeoutMs: 300 },
      crm: fastExpiry,
      warehouse: fastExpiry,
      scoring: fastExpiry,
    },
  });
  // The billing client reads its WSDL on its first call: done here, so billing's tight 300 ms deadline measures
  // only the calls under test (on a busy machine the first call alone could take longer).
  await h.gql(FULL_VIEW, { id: 'C00000009' });
});
afterAll(() => h.close());

const statusOf = (body: { data: { customer: { sources: Array<{ source: string }> } } }, source: string) =>
  body.data.customer.sources.find((s) => s.source === source) as Record<string, unknown>;

it.each([
  ['is down', { down: '503' as const }, 'error'],
  ['times out', { latencyMs: 2000 }, 'timeout'],
])(
  'a backend that %s: its cached record is served as STALE with its age; the other sections are live',
  async (_what, faults, reason) => {
    const live = await h.gql(FULL_VIEW, { id: 'C00000001' });
    expect(statusOf(live.body, 'billing')).toMatchObject({ status: 'LIVE' });
    await new Promise((r) => setTimeout(r, 300)); // past billing's 0.2 s TTL, within its stale window

    h.mocks.billing.faults.set(faults);
    const { body } = await h.gql(FULL_VIEW, { id: 'C00000001' });
    h.mocks.billing.faults.reset();
    expect(body.errors).toBeUndefined();
    expect(body.data.customer.billing).toEqual(live.body.data.customer.billing);
    const billing = statusOf(body, 'billing');
    expect(billing).toMatchObject({ status: 'STALE', reason, fetchedAt: statusOf(live.body, 'billing').fetchedAt });
    expect(billing.ageMs).toBeGreaterThanOrEqual(300);
    for (const other of ['crm', 'warehouse', 'scoring'])
      expect(statusOf(body, other)).toMatchObject({ status: 'LIVE' });
  },
);

it('within the TTL the cached record is served without calling the backend, marked CACHED', async () => {
  // Its own gateway with the default TTL: the 0.2 s one above could pass between two requests on a busy machine.
  const g = await startHarness(
    { cache: { redisUrl: REDIS_URL, keyPrefix: uniquePrefix('cached'), commandTimeoutMs: 200, maxEntries: 1000 } },
    { mocks: h.mocks },
  );
  try {
    await g.gql('{ customer(id: "C00000005") { insights { segment } } }');
    h.mocks.resetAll();
    const { body } = await g.gql(
      '{ customer(id: "C00000005") { insights { segment } sources { source status ageMs } } }',
    );
    expect(g.counts().warehouse).toBe(0);
    expect(statusOf(body, 'warehouse')).toMatchObject({ status: 'CACHED', ageMs: expect.any(Number) });
  } finally {
    await g.close();
  }
});

it('nothing cached and the backend down: the section is UNAVAILABLE', async () => {
  h.mocks.scoring.faults.set({ down: '503' });
  const { body } = await h.gql(
    '{ customer(id: "C00000077") { score { creditScore } sources { source status reason } } }',
  );
  h.mocks.scoring.faults.reset();
  expect(body.data.customer.score).toBeNull();
  expect(statusOf(body, 'scoring')).toMatchObject({ status: 'UNAVAILABLE', reason: 'error' });
});
