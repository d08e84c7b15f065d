/**
 * A consumer over its rate limit gets 429 RATE_LIMITED with Retry-After, over GraphQL and as a SOAP fault with the
 * same code, and two gateway instances sharing Redis share its allowance: what one instance spent, the other refuses.
 * Real HTTP, real SOAP, real Redis; the limiter's own behaviour (costs, fail-open) is in rate-limit.test.ts.
 */
import pino from 'pino';
import { createGateway, type Gateway } from '../gateway/app/server';
import { startMocks, type Mocks } from '../mocks';
import { soapViewEnvelope } from '../bench/support';
import { postGraphQL, sha256, testConfig } from './support/harness';
import { REDIS_URL, requireRedis, uniquePrefix } from './support/redis';
import { waitFor } from './support/wait';

const KEY = 'kiosk-key-0123456789abcdef';
const USER = { username: 'kiosk', password: 'kiosk-password-0123' };
const LIMIT = 5;
let mocks: Mocks;
let a: Gateway;
let b: Gateway;
beforeAll(async () => {
  await requireRedis();
  mocks = await startMocks();
  const config = testConfig(mocks, {
    cache: { redisUrl: REDIS_URL, keyPrefix: uniquePrefix('rate-http') },
    // A self-service kiosk: a few requests per second; the admin test consumer keeps the harness's wide limits.
    rateLimit: {
      default: { requestsPerSecond: 1_000_000, costPerSecond: 1_000_000 },
      roles: { 'self-service': { requestsPerSecond: LIMIT, costPerSecond: 1000 } },
      redisTimeoutMs: 200,
    },
    security: { consumers: [{ id: 'kiosk', role: 'self-service', apiKeySha256: sha256(KEY), ...USER }] },
  });
  a = createGateway(config, { logger: pino({ level: 'silent' }) });
  b = createGateway(config, { logger: pino({ level: 'silent' }) });
  await Promise.all([a.listen(), b.listen()]);
  // Both limiters reach Redis before the allowance is counted (a check while connecting fails open, by design).
  await Promise.all([a, b].map(limiterConnected));
});

/** The fail-open count for "Redis not connected yet" on one instance's /metrics. */
const failedOpen = async (g: Gateway): Promise<number> =>
  Number(
    /^ucv_rate_limit_fail_open_total\{reason="redis_unavailable"\} (\d+)/m.exec(
      await (await fetch(`${g.url}/metrics`)).text(),
    )?.[1] ?? 0,
  );

/** Waits until a request (the harness's admin consumer, wide limits) is checked against Redis, not let through. */
const limiterConnected = (g: Gateway) =>
  waitFor(
    async () => {
      const before = await failedOpen(g);
      await postGraphQL(g.url, '{ __typename }');
      return (await failedOpen(g)) === before;
    },
    { what: `the rate limiter of ${g.url} connected to Redis` },
  );
afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await mocks?.close();
});

const QUERY = '{ customer(id: "C00000001") { profile { name } } }';
const asKiosk = { 'x-api-key': KEY };

/**
 * The allowance is a window of one second that starts at the consumer's first request. The requests of a round are
 * sent at once, so they all reach the limiter within a few milliseconds: one after the other, a loaded machine could
 * stretch the round past the window and the allowance would rightly renew in the middle of it.
 */
it('past its allowance in one second, across two instances sharing Redis, the consumer gets 429 with Retry-After', async () => {
  // Alternate instances: each sees only half the requests, the shared allowance is still LIMIT.
  const answers = await Promise.all(
    Array.from({ length: LIMIT * 2 }, (_, i) => postGraphQL((i % 2 ? b : a).url, QUERY, undefined, asKiosk)),
  );
  const refused = answers.filter((r) => r.status === 429);
  expect(answers.filter((r) => r.status === 200).length).toBeLessThanOrEqual(LIMIT);
  expect(refused.length).toBeGreaterThanOrEqual(LIMIT);
  const [first] = refused;
  expect(first!.body.errors[0].extensions.code).toBe('RATE_LIMITED');
  expect(Number(first!.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
  expect(first!.body.data).toBeUndefined();
});

it('SOAP: the same consumer over its allowance gets a fault with RATE_LIMITED and Retry-After', async () => {
  // No wait for a fresh window: the previous test's window may still hold (then every request is refused) or end
  // during this round (then at most LIMIT of those after its end pass); either way at least LIMIT are refused.
  const basic = `Basic ${Buffer.from(`${USER.username}:${USER.password}`).toString('base64')}`;
  const statuses: number[] = [];
  let fault = '';
  let retryAfter: string | null = null;
  await Promise.all(
    Array.from({ length: LIMIT * 2 }, async (_, i) => {
      const res = await fetch(`${(i % 2 ? b : a).url}/soap/CustomerView`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8', authorization: basic },
        body: soapViewEnvelope('C00000001'),
      });
      statuses.push(res.status);
      const text = await res.text();
      if (res.status === 429) [fault, retryAfter] = [text, res.headers.get('retry-after')];
    }),
  );
  expect(statuses.filter((s) => s === 429).length).toBeGreaterThanOrEqual(LIMIT);
  expect(fault).toContain('<tns:code>RATE_LIMITED</tns:code>');
  expect(fault).toContain('<faultcode>soap:Client</faultcode>');
  expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
});
