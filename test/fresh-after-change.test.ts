/**
 * Fresh after a change: a product ordered in the CRM is visible on the next request through every gateway instance
 * sharing the Redis, although the CRM's data is cached.
 */
import pino from 'pino';
import { signEvent } from '../gateway/inbound/events/signature';
import { createGateway, type Gateway } from '../gateway/app/server';
import { startMocks, type Mocks } from '../mocks';
import { postGraphQL, testConfig } from './support/harness';
import { freePort, REDIS_URL, requireRedis, uniquePrefix } from './support/redis';
import { waitFor } from './support/wait';

const SECRET = 'fresh-after-change-test-secret';
/** A change event as the CRM sends it: JSON, signed. */
const signed = (event: object): RequestInit => {
  const body = JSON.stringify(event);
  return {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-ucv-signature': signEvent(SECRET, body) },
    body,
  };
};

let mocks: Mocks;
let a: Gateway;
let b: Gateway;
beforeAll(async () => {
  await requireRedis();
  // The CRM signs its events with the secret the gateway holds for it.
  mocks = await startMocks({ crmWebhookSecret: SECRET });
  const overrides = {
    cache: { redisUrl: REDIS_URL, keyPrefix: uniquePrefix('fresh'), commandTimeoutMs: 200, maxEntries: 1000 },
    policies: { crm: { cache: { ttlSeconds: 300 } } },
    events: { secrets: { crm: SECRET } },
  };
  a = createGateway(testConfig(mocks, overrides), { logger: pino({ level: 'silent' }) });
  b = createGateway(testConfig(mocks, overrides), { logger: pino({ level: 'silent' }) });
  await Promise.all([a.listen(), b.listen()]);
  // The CRM's change events go to one instance, as through a load balancer.
  await fetch(`${mocks.crm.url}/api/v1/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url: `${a.url}/events/crm` }),
  });
});
afterAll(async () => {
  await Promise.all([a.close(), b.close()]);
  await mocks.close();
});

const PRODUCTS = '{ customer(id: "C00000001") { products { code } sources { source status } } }';
const codes = async (g: Gateway): Promise<string[]> =>
  (await postGraphQL(g.url, PRODUCTS)).body.data.customer.products.map((p: { code: string }) => p.code);

it('a product ordered in the CRM shows through both instances on the next request', async () => {
  const before = await codes(a);
  expect(await codes(b)).toEqual(before);
  const cached = await postGraphQL(b.url, PRODUCTS);
  expect(cached.body.data.customer.sources.find((s: { source: string }) => s.source === 'crm').status).toBe('CACHED');
  const offer = ['VAS-CLOUD', 'DATA-HKMO', 'VAS-NEWS'].find((c) => !before.includes(c)) as string;

  const order = await fetch(`${mocks.crm.url}/api/v1/customers/C00000001/products`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ offerCode: offer }),
  });
  expect(order.status).toBe(201);
  // The webhook is asynchronous, as in production; it lands within milliseconds (waited for up to 10 s).
  const seenByA = await waitFor(
    async () => {
      const now = await codes(a);
      return now.includes(offer) && now;
    },
    { what: 'the new product seen by A' },
  );
  expect(seenByA).toContain(offer);
  expect(await codes(b)).toContain(offer);
});

it('a change event the adapter does not understand is refused with BAD_REQUEST', async () => {
  const res = await fetch(`${a.url}/events/crm`, signed({ type: 'weather.changed' }));
  expect(res.status).toBe(400);
  expect((await res.json()) as unknown).toEqual({
    errors: [{ message: 'No source named "crm" understands this event.', extensions: { code: 'BAD_REQUEST' } }],
  });
});

it('a change event that cannot reach the shared cache is refused with 503, so the sender retries', async () => {
  // A gateway whose Redis is unreachable (nothing listens on the port).
  const port = await freePort();
  const offline = createGateway(
    testConfig(mocks, {
      cache: { redisUrl: `redis://127.0.0.1:${port}`, keyPrefix: 'x:', commandTimeoutMs: 50, maxEntries: 10 },
      events: { secrets: { crm: SECRET } },
    }),
    {
      logger: pino({ level: 'silent' }),
    },
  );
  await offline.listen();
  const res = await fetch(
    `${offline.url}/events/crm`,
    signed({ type: 'customer.products.changed', customerId: 'C00000001' }),
  );
  expect(res.status).toBe(503);
  expect(((await res.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code).toBe(
    'CACHE_UNAVAILABLE',
  );
  await offline.close();
});
