/**
 * Identity on every endpoint but /healthz: API keys and JWTs on /graphql, WS-Security UsernameToken and HTTP Basic on
 * SOAP. Missing or bad credentials get 401, `WWW-Authenticate` and UNAUTHENTICATED (a SOAP fault with that code),
 * never data, and no backend is called.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { exportJWK, generateKeyPair, SignJWT, type KeyLike } from 'jose';
import pino from 'pino';
import { redisNonceStore } from '../gateway/pipeline/identity';
import { createGateway, type Gateway } from '../gateway/app/server';
import { startMocks, type Mocks } from '../mocks';
import { freePort, OwnRedis } from './support/redis';
import { usernameToken } from './support/wsse';
import { AUTH, NO_CACHE, postGraphQL, sha256, startHarness, testConfig, type Harness } from './support/harness';

const SECRET = 'a-shared-hs256-secret-of-at-least-32-chars';
const JWT = { issuer: 'https://idp.example.com', audience: 'ucv-gateway' };
let h: Harness;
let rsa: { privateKey: KeyLike; publicKey: KeyLike };
let es: { privateKey: KeyLike; publicKey: KeyLike };
let dir: string;

beforeAll(async () => {
  rsa = await generateKeyPair('RS256');
  es = await generateKeyPair('ES256');
  dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ucv-jwks-'));
  const jwksFile = path.join(dir, 'jwks.json');
  fs.writeFileSync(
    jwksFile,
    JSON.stringify({ keys: [{ ...(await exportJWK(rsa.publicKey)), kid: 'rsa-1', alg: 'RS256' }] }),
  );
  h = await startHarness({
    policies: NO_CACHE,
    security: {
      consumers: [{ id: 'legacy', role: 'legacy-billing', username: 'legacy', password: 'legacy-password' }],
      jwt: {
        ...JWT,
        secret: SECRET,
        jwksFile,
        keys: [{ ...(await exportJWK(es.publicKey)), kid: 'ec-1', alg: 'ES256' }],
      },
      opsTokenSha256: sha256('ops-token'),
    },
  });
});
afterAll(async () => {
  await h.close();
  fs.rmSync(dir, { recursive: true, force: true });
});
beforeEach(() => h.mocks.resetAll());

const QUERY = '{ customer(id: "C00000001") { profile { name } billing { balance } } }';
const total = () => Object.values(h.counts()).reduce((a, b) => a + b, 0);

async function expectUnauthenticated(headers: Record<string, string>, message: RegExp) {
  const res = await postGraphQL(h.url, QUERY, undefined, { 'x-api-key': '', ...headers });
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toMatch(/^Bearer realm="ucv-gateway", ApiKey/);
  expect(res.body.data).toBeUndefined();
  expect(res.body.errors).toEqual([
    expect.objectContaining({ message: expect.stringMatching(message), extensions: { code: 'UNAUTHENTICATED' } }),
  ]);
  expect(total()).toBe(0);
}

const hs256 = (claims: Record<string, unknown> = {}, secret = SECRET) =>
  new SignJWT({ role: 'front-desk', ...claims })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(JWT.issuer)
    .setAudience(JWT.audience)
    .setSubject('agent-7')
    .setIssuedAt()
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(secret));

describe('GraphQL', () => {
  it('no credentials: 401 UNAUTHENTICATED with WWW-Authenticate, no backend called', async () => {
    const res = await fetch(`${h.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ query: QUERY }),
    });
    expect(res.status).toBe(401);
    expect(res.headers.get('www-authenticate')).toContain('Bearer');
    expect(await res.json()).toEqual({
      errors: [{ message: 'Credentials are required.', extensions: { code: 'UNAUTHENTICATED' } }],
    });
    expect(total()).toBe(0);
  });

  it('a wrong API key: 401', () => expectUnauthenticated({ 'x-api-key': 'not-a-key' }, /API key is not valid/));

  it('the right API key answers', async () => {
    const res = await postGraphQL(h.url, QUERY, undefined, AUTH);
    expect(res.status).toBe(200);
    expect(res.body.data.customer.profile.name).toEqual(expect.any(String));
  });

  it('a valid HS256 JWT answers, as the role its claim names', async () => {
    const res = await postGraphQL(h.url, '{ customer(id: "C00000001") { profile { idCardNumber } } }', undefined, {
      'x-api-key': '',
      authorization: `Bearer ${await hs256()}`,
    });
    expect(res.status).toBe(200);
    expect(res.body.data.customer.profile.idCardNumber).toMatch(/^\d{3}\*{11}\w{4}$/); // front-desk: masked
  });

  it('RS256 from the JWKS file and ES256 from the config keys answer', async () => {
    for (const [alg, key, kid] of [
      ['RS256', rsa.privateKey, 'rsa-1'],
      ['ES256', es.privateKey, 'ec-1'],
    ] as const) {
      const token = await new SignJWT({ role: 'admin' })
        .setProtectedHeader({ alg, kid })
        .setIssuer(JWT.issuer)
        .setAudience(JWT.audience)
        .setSubject('ops')
        .setExpirationTime('5m')
        .sign(key);
      const res = await postGraphQL(h.url, QUERY, undefined, { authorization: `Bearer ${token}` });
      expect([alg, res.status]).toEqual([alg, 200]);
    }
  });

  it('an expired JWT: 401', async () => {
    const expired = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(JWT.issuer)
      .setAudience(JWT.audience)
      .setSubject('x')
      .setExpirationTime(Math.floor(Date.now() / 1000) - 3600)
      .sign(new TextEncoder().encode(SECRET));
    await expectUnauthenticated({ authorization: `Bearer ${expired}` }, /expired/);
  });

  it('a tampered JWT (payload changed, signature kept): 401', async () => {
    const [header, , signature] = (await hs256()).split('.');
    const payload = Buffer.from(
      JSON.stringify({
        role: 'admin',
        sub: 'agent-7',
        iss: JWT.issuer,
        aud: JWT.audience,
        exp: Math.floor(Date.now() / 1000) + 300,
      }),
    ).toString('base64url');
    await expectUnauthenticated({ authorization: `Bearer ${header}.${payload}.${signature}` }, /signature/);
  });

  it('a JWT signed with another secret: 401', async () =>
    expectUnauthenticated(
      { authorization: `Bearer ${await hs256({}, 'another-secret-that-is-also-32-chars-long')}` },
      /signature/,
    ));

  it('a JWT for another audience: 401', async () => {
    const token = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(JWT.issuer)
      .setAudience('someone-else')
      .setSubject('x')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));
    await expectUnauthenticated({ authorization: `Bearer ${token}` }, /"aud" claim/);
  });

  it('a JWT from another issuer: 401', async () => {
    const token = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer('https://evil.example.com')
      .setAudience(JWT.audience)
      .setSubject('x')
      .setExpirationTime('5m')
      .sign(new TextEncoder().encode(SECRET));
    await expectUnauthenticated({ authorization: `Bearer ${token}` }, /"iss" claim/);
  });

  it('a JWT not valid yet (nbf in an hour): 401', async () => {
    const token = await new SignJWT({ role: 'admin' })
      .setProtectedHeader({ alg: 'HS256' })
      .setIssuer(JWT.issuer)
      .setAudience(JWT.audience)
      .setSubject('x')
      .setNotBefore('1h')
      .setExpirationTime('2h')
      .sign(new TextEncoder().encode(SECRET));
    await expectUnauthenticated({ authorization: `Bearer ${token}` }, /"nbf" claim/);
  });

  it('an unsigned JWT (alg none): 401', async () => {
    const none = `${Buffer.from('{"alg":"none"}').toString('base64url')}.${Buffer.from(JSON.stringify({ role: 'admin', sub: 'x', iss: JWT.issuer, aud: JWT.audience, exp: 9999999999 })).toString('base64url')}.`;
    await expectUnauthenticated({ authorization: `Bearer ${none}` }, /./);
  });

  it('a valid JWT whose role is unknown: 403 FORBIDDEN', async () => {
    const res = await postGraphQL(h.url, QUERY, undefined, {
      authorization: `Bearer ${await hs256({ role: 'root' })}`,
    });
    expect(res.status).toBe(403);
    expect(res.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect(total()).toBe(0);
  });
});

describe('ops endpoints', () => {
  it('/healthz is open; /metrics and /readyz want the ops token when one is configured', async () => {
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
    const refused = await fetch(`${h.url}/metrics`);
    expect(refused.status).toBe(401);
    expect(refused.headers.get('www-authenticate')).toContain('Bearer');
    expect((await fetch(`${h.url}/readyz`)).status).toBe(401);
    expect((await fetch(`${h.url}/metrics`, { headers: { authorization: 'Bearer ops-token' } })).status).toBe(200);
    expect((await fetch(`${h.url}/readyz`, { headers: { authorization: 'Bearer ops-token' } })).status).toBe(200);
  });
});

// ── SOAP ────────────────────────────────────────────────────────────────────────────────────────────────────────
const envelope = (header: string) =>
  `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:v="urn:ucv:customer-view:v1"><soap:Header>${header}</soap:Header><soap:Body><v:GetBillingSummary><v:customerId>C00000001</v:customerId></v:GetBillingSummary></soap:Body></soap:Envelope>`;
const soapPost = (url: string, header: string, headers: Record<string, string> = {}) =>
  fetch(`${url}/soap/CustomerView`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml; charset=utf-8', ...headers },
    body: envelope(header),
  });

async function expectSoapUnauthenticated(res: Response, message: RegExp) {
  expect(res.status).toBe(401);
  expect(res.headers.get('www-authenticate')).toBe('Basic realm="ucv-gateway"');
  const text = await res.text();
  expect(text).toContain('<tns:code>UNAUTHENTICATED</tns:code>');
  expect(text).toMatch(message);
  expect(text).not.toContain('<balance>');
}

describe('SOAP', () => {
  it('no credentials: 401 and an UNAUTHENTICATED fault, no backend called', async () => {
    await expectSoapUnauthenticated(await soapPost(h.url, ''), /Credentials are required/);
    expect(total()).toBe(0);
  });

  it('HTTP Basic with the right password answers; a wrong one is a 401 fault', async () => {
    const ok = await soapPost(h.url, '', {
      authorization: `Basic ${Buffer.from('legacy:legacy-password').toString('base64')}`,
    });
    expect(ok.status).toBe(200);
    expect(await ok.text()).toContain('<balance>');
    await expectSoapUnauthenticated(
      await soapPost(h.url, '', { authorization: `Basic ${Buffer.from('legacy:wrong-password').toString('base64')}` }),
      /not valid/,
    );
  });

  it('a UsernameToken with PasswordDigest answers once; the same token again is a replay', async () => {
    const token = usernameToken('legacy', 'legacy-password');
    const first = await soapPost(h.url, token);
    expect(first.status).toBe(200);
    expect(await first.text()).toContain('<balance>');
    h.mocks.resetAll();
    await expectSoapUnauthenticated(await soapPost(h.url, token), /already used/);
    expect(total()).toBe(0);
  });

  it('a UsernameToken with a wrong password, or created outside the window, is refused', async () => {
    await expectSoapUnauthenticated(await soapPost(h.url, usernameToken('legacy', 'not-the-password')), /not valid/);
    await expectSoapUnauthenticated(
      await soapPost(
        h.url,
        usernameToken('legacy', 'legacy-password', { created: new Date(Date.now() - 3600_000).toISOString() }),
      ),
      /Created/,
    );
  });
});

describe('replay shared through Redis', () => {
  let mocks: Mocks;
  let redis: OwnRedis;
  let a: Gateway;
  let b: Gateway;
  beforeAll(async () => {
    mocks = await startMocks();
    redis = new OwnRedis(await freePort());
    await redis.start();
    const config = () =>
      testConfig(mocks, {
        cache: { redisUrl: redis.url, keyPrefix: `ucv-id-${process.pid}:`, commandTimeoutMs: 200, maxEntries: 100 },
        security: {
          consumers: [{ id: 'legacy', role: 'legacy-billing', username: 'legacy', password: 'legacy-password' }],
          wsSecurity: { redisTimeoutMs: 1000 },
        },
      });
    a = createGateway(config(), { logger: pino({ level: 'silent' }) });
    b = createGateway(config(), { logger: pino({ level: 'silent' }) });
    await Promise.all([a.listen(), b.listen()]);
  });
  afterAll(async () => {
    await Promise.all([a.close(), b.close()]);
    redis.resume();
    await Promise.all([mocks.close(), redis.stop()]);
  });

  it('a token used on one instance is refused on the other', async () => {
    const token = usernameToken('legacy', 'legacy-password');
    expect((await soapPost(a.url, token)).status).toBe(200);
    await expectSoapUnauthenticated(await soapPost(b.url, token), /already used/);
  });

  it('a Redis that stalls does not hang the nonce check: past its deadline the nonce is checked in memory', async () => {
    const store = redisNonceStore(redis.url, `ucv-stall-${process.pid}:`, 100, pino({ level: 'silent' }));
    expect(await store.firstUse('n1', 60_000)).toBe(true);
    redis.pause();
    try {
      const started = Date.now();
      expect(await store.firstUse('n2', 60_000)).toBe(true);
      expect(await store.firstUse('n2', 60_000)).toBe(false); // remembered in memory meanwhile
      expect(Date.now() - started).toBeLessThan(2000);
    } finally {
      redis.resume();
      await store.close();
    }
  });
});
