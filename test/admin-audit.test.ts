/**
 * `GET /admin/audit` serves one customer's audit trail to an admin, newest first, a page at a time, filtered by time;
 * refuses callers without credentials (401 UNAUTHENTICATED with WWW-Authenticate) or without the admin role
 * (403 FORBIDDEN), and bad parameters (400 BAD_REQUEST): real HTTP, on PGlite and PostgreSQL.
 */
import { Registry } from 'prom-client';
import { AuditSink } from '../gateway/audit/sink';
import { parseConfig } from '../gateway/config';
import { auditMetrics } from '../gateway/metrics';
import { createGateway, type Gateway } from '../gateway/app/server';
import type { Store } from '../gateway/store';
import { sha256 } from './support/harness';
import { ENGINES, testStores } from './support/store';

const stores = testStores();
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const json = (res: Response): Promise<any> => res.json();
afterAll(() => stores.cleanup());

/** The data-protection officer (role admin) and a front-desk agent, as configured consumers with API keys. */
const config = parseConfig({
  port: 0,
  host: '127.0.0.1',
  logLevel: 'silent',
  adapters: ['crm', 'billing', 'warehouse', 'scoring'].map((name) => ({ name, url: 'http://127.0.0.1:9' })),
  security: {
    consumers: [
      { id: 'dpo', role: 'admin', apiKeySha256: sha256('dpo-token') },
      { id: 'desk-1', role: 'front-desk', apiKeySha256: sha256('desk-token') },
    ],
  },
});

describe.each(ENGINES)('on %s', (engine) => {
  let store: Store;
  let gateway: Gateway;
  const get = (query: string, token?: string) =>
    fetch(`${gateway.url}/admin/audit${query}`, { headers: token ? { 'x-api-key': token } : {} });

  beforeAll(async () => {
    store = await stores.open(engine);
    gateway = createGateway(config, { store });
    await gateway.listen();
    // 5 reads of C1 a minute apart, and one of C2.
    const sink = new AuditSink(store, {
      maxQueue: 100,
      maxBatch: 100,
      commitTimeoutMs: 30_000,
      metrics: auditMetrics(new Registry()),
    });
    const base = Date.parse('2026-11-20T10:00:00Z');
    await sink.record(
      [0, 1, 2, 3, 4].map((i) => ({
        at: new Date(base + i * 60_000),
        requestId: `r${i}`,
        facade: i % 2 ? 'soap' : 'graphql',
        consumerId: 'desk-1',
        role: 'front-desk',
        customerId: 'C1',
        fields: ['profile.name'],
      })),
    );
    await sink.record([
      {
        at: new Date(base),
        requestId: 'other',
        facade: 'graphql',
        consumerId: 'mk-1',
        role: 'marketing',
        customerId: 'C2',
        fields: ['insights.segment'],
      },
    ]);
  }, 60_000);
  afterAll(() => gateway.close());

  it('answers an admin with the customer\'s records, newest first, and pages through them with "next"', async () => {
    const first = await get('?customerId=C1&limit=2', 'dpo-token');
    expect(first.status).toBe(200);
    expect(first.headers.get('content-type')).toMatch(/application\/json/);
    const page1 = await json(first);
    expect(page1.records).toEqual([
      {
        at: '2026-11-20T10:04:00.000Z',
        requestId: 'r4',
        facade: 'graphql',
        consumer: { id: 'desk-1', role: 'front-desk' },
        customerId: 'C1',
        fields: ['profile.name'],
      },
      expect.objectContaining({ requestId: 'r3', facade: 'soap' }),
    ]);
    const page2 = await json(await get(`?customerId=C1&limit=2&cursor=${page1.next}`, 'dpo-token'));
    const page3 = await json(await get(`?customerId=C1&limit=2&cursor=${page2.next}`, 'dpo-token'));
    expect(page2.records.map((r: { requestId: string }) => r.requestId)).toEqual(['r2', 'r1']);
    expect(page3.records.map((r: { requestId: string }) => r.requestId)).toEqual(['r0']);
    expect(page3.next).toBeNull();
  });

  it('reports the store in /readyz', async () => {
    const ready = await json(await fetch(`${gateway.url}/readyz`));
    expect(ready.store).toEqual({ backend: engine, reachable: true });
  });

  it('filters by time: from inclusive, to exclusive', async () => {
    const page = await json(await get('?customerId=C1&from=2026-11-20T10:01:00Z&to=2026-11-20T10:03:00Z', 'dpo-token'));
    expect(page.records.map((r: { requestId: string }) => r.requestId)).toEqual(['r2', 'r1']);
    expect(page.next).toBeNull();
  });

  it('refuses a caller without credentials: 401 UNAUTHENTICATED with WWW-Authenticate, no records', async () => {
    for (const token of [undefined, 'wrong-token']) {
      const res = await get('?customerId=C1', token);
      expect(res.status).toBe(401);
      expect(res.headers.get('www-authenticate')).toMatch(/^Bearer /);
      const body = await json(res);
      expect(body.errors[0].extensions.code).toBe('UNAUTHENTICATED');
      expect(JSON.stringify(body)).not.toContain('desk-1');
    }
  });

  it('refuses a consumer whose role is not admin: 403 FORBIDDEN', async () => {
    const res = await get('?customerId=C1', 'desk-token');
    expect(res.status).toBe(403);
    expect((await json(res)).errors[0]).toEqual({
      message: 'Reading the audit trail needs the role "admin".',
      extensions: { code: 'FORBIDDEN' },
    });
  });

  it.each([
    ['', /customerId is required/],
    ['?customerId=C1%27%20OR%201=1', /customerId is required/],
    ['?customerId=C1&limit=0', /limit must be/],
    ['?customerId=C1&limit=5000', /limit must be/],
    ['?customerId=C1&from=yesterday', /from must be/],
    ['?customerId=C1&to=2026-11-20T10:00:00', /to must be/],
    ['?customerId=C1&cursor=bm9wZQ', /cursor is not one/],
    ['?customerId=C1&customerId=C2', /more than once/],
    ['?customerid=C1', /Unknown parameter "customerid"/],
  ])('refuses %s with 400 BAD_REQUEST naming the mistake', async (query, message) => {
    const res = await get(query, 'dpo-token');
    expect(res.status).toBe(400);
    const body = await json(res);
    expect(body.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(body.errors[0].message).toMatch(message);
  });
});

it('without a store the gateway has no /admin/audit route; with no authenticate wired it refuses everyone; a store down is degraded', async () => {
  const bare = createGateway(config);
  await bare.listen();
  try {
    expect((await fetch(`${bare.url}/admin/audit?customerId=C1`)).status).toBe(404);
  } finally {
    await bare.close();
  }
  const store = await stores.open('postgres');
  const unwired = createGateway(config, { store });
  await unwired.listen();
  try {
    const res = await fetch(`${unwired.url}/admin/audit?customerId=C1`, {
      headers: { authorization: 'Bearer dpo-token' },
    });
    expect(res.status).toBe(401);
    // A store that no longer answers makes the gateway degraded (its personal reads would be refused).
    await store.close();
    const ready = await json(await fetch(`${unwired.url}/readyz`));
    expect(ready).toMatchObject({ status: 'degraded', store: { backend: 'postgres', reachable: false } });
  } finally {
    await unwired.close();
  }
});
