/**
 * A change this instance makes itself while Redis is stalled (recordContact: the CRM's contacts of the customer
 * change): it drops its own copy at once, but cannot delete the record from Redis (nothing is sent to a stalled
 * Redis; the outbox logs that the other instances' copies expire by TTL). When Redis answers again it still holds
 * the contacts as they were before; this instance knows they changed, so it must not serve that copy: the next view
 * calls the CRM and shows the new contact. Runs its own redis-server (frozen by SIGSTOP), on PGlite.
 */
import pino from 'pino';
import { startMocks, type Mocks } from '../mocks';
import { createGateway, type Gateway } from '../gateway/app/server';
import { postGraphQL, sha256, testConfig } from './support/harness';
import { freePort, OwnRedis } from './support/redis';
import { testStores } from './support/store';
import { waitFor } from './support/wait';
import { SETUP_TIMEOUT_MS } from './support/patient';

const DESK = { 'x-api-key': 'desk-key-0123456789abcdef' };
const ID = 'C00000301';
const stores = testStores();
let mocks: Mocks;
let redis: OwnRedis;
let gateway: Gateway;
let url: string;
beforeAll(async () => {
  mocks = await startMocks();
  redis = new OwnRedis(await freePort());
  await redis.start();
  const config = testConfig(mocks, {
    cache: { redisUrl: redis.url, keyPrefix: 'ucv:', commandTimeoutMs: 100, maxEntries: 1000 },
    security: { consumers: [{ id: 'desk-1', role: 'front-desk', apiKeySha256: sha256(DESK['x-api-key']) }] },
  });
  gateway = createGateway(config, { logger: pino({ level: 'silent' }), store: await stores.open('pglite') });
  url = await gateway.listen();
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  redis.resume();
  await gateway.close();
  await redis.stop();
  await mocks.close();
  await stores.cleanup();
});

const contacts = async (id: string) => {
  const { body } = await postGraphQL(
    url,
    `query($id: ID!) { customer(id: $id) { contacts { id } sources { source status } } }`,
    { id },
    DESK,
  );
  const crm = body.data.customer.sources.find((s: { source: string }) => s.source === 'crm')?.status as string;
  return { crm, count: (body.data.customer.contacts as unknown[]).length };
};

const contactReads = (): number => mocks.crm.faults.requests().byRoute['GET /api/v1/customers/:id/contacts'] ?? 0;

it('a record changed here while Redis was stalled is not served from Redis once it answers again', async () => {
  const before = await contacts(ID);
  expect((await contacts(ID)).crm).toBe('CACHED');

  redis.pause();
  await contacts('C00000302'); // a cold read misses its deadline: Redis is marked stalled
  const recorded = await postGraphQL(
    url,
    `mutation($input: ContactInput!) { recordContact(input: $input, idempotencyKey: "stall-1") { status } }`,
    {
      input: {
        customerId: ID,
        channel: 'CALL_CENTER',
        type: 'CAMPAIGN_OFFER',
        outcome: 'ACCEPTED',
        offerCode: 'DATA-10G',
        response: 'ACCEPTED',
      },
    },
    DESK,
  );
  expect(recorded.body.data.recordContact.status).toBe('RECORDED');

  redis.resume();
  // (The crm status covers the profile too, read along with the contacts.)
  await waitFor(async () => (await contacts('C00000303')).crm === 'CACHED', {
    timeoutMs: 15_000,
    intervalMs: 100,
    what: 'a record served from Redis again',
  });
  // Redis still holds the contacts as they were before the change this instance made.
  const reads = contactReads();
  expect((await contacts(ID)).count).toBe(before.count + 1);
  expect(contactReads()).toBe(reads + 1);
});
