/**
 * A burst of guesses sent at once is throttled as a sequence is: however many wrong Basic passwords for one user
 * arrive together at two instances sharing Redis, only `perIdentity.failures` of them are checked (401) while Redis
 * answers in time, and as many per instance where it is late (each instance's own count is the floor); the rest are
 * RATE_LIMITED (429), and the right password is refused after them. A burst keeps the gateways' event loops busy
 * past the Redis deadline, so this holds only if a late Redis is not an open door. Real HTTP, real SOAP, real Redis.
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { Agent, fetch } from 'undici';
import { createGateway, type Gateway } from '../gateway/app/server';
import { startMocks, type Mocks } from '../mocks';
import { testConfig } from './support/harness';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const LEGACY = { username: 'legacy', password: 'legacy-password-0123' };
const FAILURES = 4;
const BURST = 1000;

let mocks: Mocks;
let gateways: Gateway[] = [];
// Enough connections that the burst arrives at once rather than queued in the client.
const agent = new Agent({ connections: 256 });

const envelope =
  '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:v="urn:ucv:customer-view:v1">' +
  '<soap:Body><v:GetBillingSummary><v:customerId>C00000001</v:customerId></v:GetBillingSummary></soap:Body></soap:Envelope>';

async function basic(gateway: Gateway, password: string): Promise<number> {
  const res = await fetch(`${gateway.url}/soap/CustomerView`, {
    method: 'POST',
    headers: {
      'content-type': 'text/xml; charset=utf-8',
      authorization: `Basic ${Buffer.from(`${LEGACY.username}:${password}`).toString('base64')}`,
    },
    body: envelope,
    dispatcher: agent,
  });
  await res.text();
  return res.status;
}

beforeAll(async () => {
  mocks = await startMocks();
  const config = testConfig(mocks, {
    cache: { redisUrl: REDIS_URL, keyPrefix: `test-login-burst-${randomUUID()}:` },
    security: {
      consumers: [{ id: 'legacy', role: 'legacy-billing', ...LEGACY }],
      // The address's counter out of the way: the identity's is the one under test.
      loginThrottle: {
        perAddress: { failures: 1_000_000, windowSeconds: 600 },
        perIdentity: { failures: FAILURES, windowSeconds: 600 },
      },
    },
  });
  gateways = await Promise.all(
    [0, 1].map(async () => {
      const gateway = createGateway(config, { logger: pino({ level: 'silent' }) });
      await gateway.listen();
      return gateway;
    }),
  );
});

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close(100)));
  await agent.close();
  await mocks.close();
});

it(`${BURST} wrong passwords sent at once to two instances: at most ${FAILURES} per instance are checked, the rest and the right one get 429`, async () => {
  const statuses = await Promise.all(
    Array.from({ length: BURST }, (_, i) => basic(gateways[i % 2] as Gateway, `wrong-${i}`)),
  );
  const checked = statuses.filter((s) => s === 401).length;
  expect(checked).toBeLessThanOrEqual(FAILURES * gateways.length);
  expect(statuses.filter((s) => s === 429).length).toBe(BURST - checked);
  expect(await basic(gateways[0] as Gateway, LEGACY.password)).toBe(429);
  expect(await basic(gateways[1] as Gateway, LEGACY.password)).toBe(429);
}, 60_000);
