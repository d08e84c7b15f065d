/**
 * A recorded contact shows in the next view through every gateway instance sharing the Redis, although the CRM's
 * contacts are cached for five minutes: the command's evictions take the invalidation path of change events. Two
 * gateways on PostgreSQL (one store, as instances share it), one real Redis (a prefix of its own), the CRM mock.
 */
import pino from 'pino';
import { createGateway, type Gateway } from '../gateway/app/server';
import { startMocks, type Mocks } from '../mocks';
import { postGraphQL, testConfig } from './support/harness';
import { REDIS_URL, requireRedis, uniquePrefix } from './support/redis';
import { testStores } from './support/store';

const stores = testStores();
let mocks: Mocks;
let a: Gateway;
let b: Gateway;
beforeAll(async () => {
  await requireRedis();
  mocks = await startMocks();
  const schema = (await stores.open('postgres')).schema;
  const overrides = {
    cache: { redisUrl: REDIS_URL, keyPrefix: uniquePrefix('record'), commandTimeoutMs: 200, maxEntries: 1000 },
    policies: { crm: { cache: { ttlSeconds: 300 } } },
  };
  a = createGateway(testConfig(mocks, overrides), {
    logger: pino({ level: 'silent' }),
    store: await stores.open('postgres', schema),
  });
  b = createGateway(testConfig(mocks, overrides), {
    logger: pino({ level: 'silent' }),
    store: await stores.open('postgres', schema),
  });
  await Promise.all([a.listen(), b.listen()]);
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
  await mocks.close();
  await stores.cleanup();
});

const CONTACTS = '{ customer(id: "C00000701") { contacts { id } } }';
const ids = async (g: Gateway): Promise<string[]> =>
  (await postGraphQL(g.url, CONTACTS)).body.data.customer.contacts.map((c: { id: string }) => c.id);

it('shows a contact recorded through one instance in the next view of the other', async () => {
  const before = await ids(b);
  expect(await ids(b)).toEqual(before); // cached now, in Redis and in b's local copy
  const gets = () => mocks.crm.faults.requests().byRoute['GET /api/v1/customers/:id/contacts'] ?? 0;
  const fetched = gets();
  const recorded = await postGraphQL(
    a.url,
    'mutation { recordContact(input: { customerId: "C00000701", channel: WEB_HALL, type: "TOP_UP", outcome: "RESOLVED" }, idempotencyKey: "instances-1") { status contactId } }',
  );
  expect(recorded.body.data.recordContact.status).toBe('RECORDED');
  // The eviction reaches b by Redis pub/sub: within a moment, b's next view fetches the contacts again.
  const end = Date.now() + 5000;
  let after = await ids(b);
  while (!after.includes(recorded.body.data.recordContact.contactId) && Date.now() < end) {
    await new Promise((r) => setTimeout(r, 20));
    after = await ids(b);
  }
  expect(after).toContain(recorded.body.data.recordContact.contactId);
  expect(after).toHaveLength(before.length + 1);
  expect(gets()).toBeGreaterThan(fetched);
});

it('drains one outbox from two instances without delivering any contact twice (SKIP LOCKED and leases)', async () => {
  mocks.resetAll();
  mocks.crm.faults.set({ down: '503' });
  const customers = Array.from({ length: 10 }, (_, i) => `C00000${710 + i}`);
  const record = (g: Gateway, id: string, n: number) =>
    postGraphQL(
      g.url,
      `mutation { recordContact(input: { customerId: "${id}", channel: IVR, type: "T${n}", outcome: "RESOLVED", system: "ivr" }, idempotencyKey: "drain-${id}-${n}") { status } }`,
    );
  const answers = await Promise.all(
    customers.flatMap((id, i) => [0, 1, 2].map((n) => record(i % 2 === 0 ? a : b, id, n))),
  );
  expect(answers.every((r) => r.body.data.recordContact.status === 'ACCEPTED')).toBe(true);
  const posts = () => mocks.crm.faults.requests().byRoute['POST /api/v1/customers/:id/contacts'] ?? 0;
  mocks.crm.faults.set({ down: false });
  const before = posts();
  const stored = async () =>
    (
      await Promise.all(
        customers.map(
          async (id) =>
            (
              (await (await fetch(`${mocks.urls.crm}/api/v1/customers/${id}/contacts`)).json()) as {
                items: Array<{ contactId: string }>;
              }
            ).items.filter((c) => c.contactId.includes('-r')).length,
        ),
      )
    ).reduce((x, y) => x + y, 0);
  const end = Date.now() + 15_000;
  while ((await stored()) < 30 && Date.now() < end) await new Promise((r) => setTimeout(r, 50));
  await new Promise((r) => setTimeout(r, 300));
  expect(await stored()).toBe(30);
  // The CRM was healthy throughout the drain: one POST per contact means no row was ever claimed by both instances.
  expect(posts() - before).toBe(30);
});
