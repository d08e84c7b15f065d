/**
 * The WS-Security nonce memory is bounded by its time window, not by a count it evicts from: a signed-in caller who
 * floods it with valid tokens cannot make it forget a captured nonce and then replay that. Past its size, new tokens
 * are refused (429 RATE_LIMITED, Retry-After) until the oldest nonces expire. Real SOAP over HTTP.
 */
import pino from 'pino';
import { createGateway, type Gateway } from '../gateway/app/server';
import { startMocks, type Mocks } from '../mocks';
import { testConfig } from './support/harness';
import { usernameToken } from './support/wsse';

const LEGACY = { username: 'legacy', password: 'legacy-password-0123' };
let mocks: Mocks;
let gateway: Gateway;

const call = async (header: string) => {
  const res = await fetch(`${gateway.url}/soap/CustomerView`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml; charset=utf-8' },
    body: `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:v="urn:ucv:customer-view:v1"><soap:Header>${header}</soap:Header><soap:Body><v:GetBillingSummary><v:customerId>C00000001</v:customerId></v:GetBillingSummary></soap:Body></soap:Envelope>`,
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
};

beforeAll(async () => {
  mocks = await startMocks();
  gateway = createGateway(
    testConfig(mocks, {
      security: {
        consumers: [{ id: 'legacy', role: 'legacy-billing', ...LEGACY }],
        // Nonces kept 2 × 3 s; at most 20 of them in memory.
        wsSecurity: { windowSeconds: 3, maxNonces: 20 },
      },
    }),
    { logger: pino({ level: 'silent' }) },
  );
  await gateway.listen();
});

afterAll(async () => {
  await gateway.close(100);
  await mocks.close();
});

it('a flood of valid tokens never evicts a captured nonce: past the bound new tokens are refused, the replay too', async () => {
  const captured = usernameToken(LEGACY.username, LEGACY.password);
  expect((await call(captured)).status).toBe(200);
  const statuses: number[] = [];
  let refusal: Awaited<ReturnType<typeof call>> | undefined;
  for (let i = 0; i < 30; i++) {
    const res = await call(usernameToken(LEGACY.username, LEGACY.password));
    statuses.push(res.status);
    if (res.status === 429) refusal ??= res;
  }
  expect(statuses.filter((s) => s === 200)).toHaveLength(19);
  expect(statuses.slice(19).every((s) => s === 429)).toBe(true);
  expect(refusal?.body).toContain('RATE_LIMITED');
  expect(Number(refusal?.retryAfter)).toBeGreaterThan(0);
  // The captured token, replayed inside its window: still remembered.
  const replay = await call(captured);
  expect(replay.status).toBe(401);
  expect(replay.body).toContain('already used');
});

it('once the oldest nonces have expired, new tokens are accepted again', async () => {
  let status = 0;
  // Wait for the condition (the nonces' window passing), not for a fixed time.
  for (let i = 0; i < 100 && status !== 200; i++) {
    await new Promise((resolve) => setTimeout(resolve, 100));
    status = (await call(usernameToken(LEGACY.username, LEGACY.password))).status;
  }
  expect(status).toBe(200);
});
