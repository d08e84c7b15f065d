/**
 * Failed authentication is throttled per source address and per claimed identity (API key, Basic user, WS-Security
 * user), shared by two instances through real Redis, answered 429 RATE_LIMITED with Retry-After; another address's
 * failures never block a caller beyond its own identity's counter. And SOAP passwords must be strong enough to be
 * configured. Real HTTP (each "address" is a loopback source address of its own), real SOAP, real Redis.
 */
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { Agent, fetch } from 'undici';
import { createGateway, type Gateway } from '../gateway/app/server';
import { parseConfig } from '../gateway/config';
import { startMocks, type Mocks } from '../mocks';
import { sha256, testConfig } from './support/harness';
import { usernameToken } from './support/wsse';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const DESK_KEY = 'desk-key-0123456789abcdef';
const LEGACY = { username: 'legacy', password: 'legacy-password-0123' };
const WS_USER = { username: 'wsuser', password: 'ws-password-0123' };

let mocks: Mocks;
let a: Gateway;
let b: Gateway;
let proxied: Gateway;
const agents = new Map<string, Agent>();

/** A dispatcher whose connections come from `address` (any of 127.0.0.0/8 reaches the gateway on 127.0.0.1). */
const from = (address: string): Agent => {
  let agent = agents.get(address);
  if (!agent) {
    agent = new Agent({ localAddress: address });
    agents.set(address, agent);
  }
  return agent;
};

/** For testConfig, which adds the test consumer (testSecurity). */
const security = (extra: Record<string, unknown> = {}) => ({
  consumers: [
    { id: 'desk', role: 'front-desk', apiKeySha256: sha256(DESK_KEY) },
    { id: 'legacy', role: 'legacy-billing', ...LEGACY },
    { id: 'ws', role: 'legacy-billing', ...WS_USER },
  ],
  loginThrottle: {
    perAddress: { failures: 8, windowSeconds: 600 },
    perIdentity: { failures: 4, windowSeconds: 600 },
    ...extra,
  },
});

async function graphql(gateway: Gateway, address: string, apiKey: string) {
  const res = await fetch(`${gateway.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': apiKey },
    body: JSON.stringify({ query: '{ customer(id: "C00000001") { id } }' }),
    dispatcher: from(address),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const envelope = (header = '') =>
  `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:v="urn:ucv:customer-view:v1"><soap:Header>${header}</soap:Header><soap:Body><v:GetBillingSummary><v:customerId>C00000001</v:customerId></v:GetBillingSummary></soap:Body></soap:Envelope>`;

async function soap(gateway: Gateway, address: string, options: { basic?: [string, string]; header?: string }) {
  const headers: Record<string, string> = { 'content-type': 'text/xml; charset=utf-8' };
  if (options.basic) headers.authorization = `Basic ${Buffer.from(options.basic.join(':')).toString('base64')}`;
  const res = await fetch(`${gateway.url}/soap/CustomerView`, {
    method: 'POST',
    headers,
    body: envelope(options.header),
    dispatcher: from(address),
  });
  return { status: res.status, retryAfter: res.headers.get('retry-after'), body: await res.text() };
}

beforeAll(async () => {
  mocks = await startMocks();
  const shared = { cache: { redisUrl: REDIS_URL, keyPrefix: `test-login-${randomUUID()}:` } };
  const start = async (extra: Record<string, unknown> = {}) => {
    const gateway = createGateway(testConfig(mocks, { ...shared, security: security(extra) }), {
      logger: pino({ level: 'silent' }),
    });
    await gateway.listen();
    return gateway;
  };
  a = await start();
  b = await start();
  // Behind a load balancer at 127.0.0.9: its X-Forwarded-For names the source.
  proxied = await start({ trustedProxies: ['127.0.0.9'] });
});

afterAll(async () => {
  await Promise.all([a, b, proxied].map((g) => g?.close(100)));
  await Promise.all([...agents.values()].map((agent) => agent.close()));
  await mocks.close();
});

describe('per claimed identity, shared by the instances', () => {
  it('a Basic user guessed at from two addresses is refused 429 with Retry-After on both instances, right password too', async () => {
    for (const [i, address] of ['127.0.0.2', '127.0.0.3', '127.0.0.2', '127.0.0.3'].entries()) {
      const wrong = await soap(i % 2 ? b : a, address, { basic: [LEGACY.username, `wrong-${i}`] });
      expect(wrong.status).toBe(401);
    }
    const refused = await soap(b, '127.0.0.4', { basic: [LEGACY.username, 'wrong-again'] });
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(refused.body).toContain('RATE_LIMITED');
    // The identity's counter is full: its right password is refused too, from any address (the per-identity policy).
    const right = await soap(a, '127.0.0.5', { basic: [LEGACY.username, LEGACY.password] });
    expect(right.status).toBe(429);
  });

  it('another user signs in from the same addresses: their failures were not its own', async () => {
    const other = await soap(a, '127.0.0.2', { header: usernameToken(WS_USER.username, WS_USER.password) });
    expect(other.status).toBe(200);
    expect(other.body).toContain('GetBillingSummaryResponse');
  });

  it('a WS-Security user guessed at is refused 429, its right digest too', async () => {
    for (let i = 0; i < 4; i++) {
      const wrong = await soap(i % 2 ? b : a, '127.0.0.6', { header: usernameToken(WS_USER.username, `wrong-${i}`) });
      expect(wrong.status).toBe(401);
    }
    const right = await soap(b, '127.0.0.7', { header: usernameToken(WS_USER.username, WS_USER.password) });
    expect(right.status).toBe(429);
    expect(right.body).toContain('RATE_LIMITED');
  });
});

describe('per source address', () => {
  it('an address spraying API keys is refused 429 on GraphQL and the admin API, even with a valid key; other addresses are not', async () => {
    for (let i = 0; i < 8; i++) {
      const wrong = await graphql(i % 2 ? b : a, '127.0.0.10', `not-a-key-${i}-${randomUUID()}`);
      expect(wrong.status).toBe(401);
    }
    const refused = await graphql(a, '127.0.0.10', DESK_KEY);
    expect(refused.status).toBe(429);
    expect(Number(refused.retryAfter)).toBeGreaterThan(0);
    expect(refused.body.errors[0].extensions).toMatchObject({ code: 'RATE_LIMITED' });
    const admin = await fetch(`${b.url}/admin/adapters`, {
      headers: { 'x-api-key': DESK_KEY },
      dispatcher: from('127.0.0.10'),
    });
    expect(admin.status).toBe(429);
    expect(Number(admin.headers.get('retry-after'))).toBeGreaterThan(0);
    expect(((await admin.json()) as any).errors[0].extensions.code).toBe('RATE_LIMITED'); // eslint-disable-line @typescript-eslint/no-explicit-any
    // The same consumer from another address: the sprayer's failures are not its own.
    const elsewhere = await graphql(b, '127.0.0.11', DESK_KEY);
    expect(elsewhere.status).toBe(200);
    expect(elsewhere.body.data.customer.id).toBe('C00000001');
  });

  it('behind a trusted proxy, the address is the one its X-Forwarded-For names', async () => {
    const via = (forwardedFor: string, apiKey: string) =>
      fetch(`${proxied.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-api-key': apiKey, 'x-forwarded-for': forwardedFor },
        body: JSON.stringify({ query: '{ customer(id: "C00000001") { id } }' }),
        dispatcher: from('127.0.0.9'),
      });
    // A client's own X-Forwarded-For entries (left) are not believed: the proxy's (right-most) entry is the source.
    for (let i = 0; i < 8; i++)
      expect((await via(`10.9.9.${i}, 203.0.113.7`, `not-a-key-${randomUUID()}`)).status).toBe(401);
    expect((await via('203.0.113.7', DESK_KEY)).status).toBe(429);
    expect((await via('203.0.113.8', DESK_KEY)).status).toBe(200);
  });
});

describe('SOAP passwords', () => {
  const config = (password: string, username = 'legacy') =>
    parseConfig(
      {
        adapters: [{ name: 'crm', url: 'http://127.0.0.1:4101' }],
        security: { consumers: [{ id: 'l', role: 'legacy-billing', username, password }] },
      },
      {},
    );

  it.each([
    [
      'short',
      'Ab1-short',
      /security\.consumers\[0\]\.password: expected too short: 9 characters, at least 12 are required, got "\(hidden\)"/,
    ],
    [
      'of one kind',
      'abcdefghijklmnop',
      /security\.consumers\[0\]\.password: expected too weak: use at least two kinds/,
    ],
    [
      'of few characters',
      'ab12ab12ab12ab12',
      /security\.consumers\[0\]\.password: expected too weak: at least 6 different/,
    ],
    [
      'the user name',
      'Legacy-User-01',
      /security\.consumers\[0\]\.password: expected too weak: the password must not be the user name/,
    ],
  ])('refuses a password %s, naming the key, never quoting it', (_, password, message) => {
    const refusal = (() => {
      try {
        config(password, password === 'Legacy-User-01' ? 'legacy-user-01' : 'legacy');
      } catch (err) {
        return (err as Error).message;
      }
      return 'accepted';
    })();
    expect(refusal).toMatch(message);
    expect(refusal).not.toContain(password);
  });

  it('accepts the demo, fixture and test passwords', () => {
    for (const password of ['demo-legacy-billing-key', 'demo-admin-key', 'legacy-password-0123', 'admin-password'])
      expect(() => config(password)).not.toThrow();
  });
});
