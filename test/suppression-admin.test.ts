/**
 * The suppression list's API, on both store engines: only an admin may read or change it; bad input is
 * a clear 400, an unknown customer a 404 SUPPRESSION_NOT_FOUND; a put records the reason, who and when; the list is
 * paged. A suppressed customer's event records the offer as SUPPRESSED and calls no channel; removal restores offers.
 */
import { eq, sql } from 'drizzle-orm';
import { events, offersSent } from '../gateway/store/schema';
import type { Store } from '../gateway/store';
import { AUTH, sha256 } from './support/harness';
import { roamingEvent, startMarketing, type MarketingHarness } from './support/marketing';
import { ENGINES, testStores } from './support/store';

describe.each(ENGINES)('/admin/suppressions on %s', (engine) => {
  const stores = testStores();
  let store: Store;
  let h: MarketingHarness;
  beforeAll(async () => {
    store = await stores.open(engine);
    h = await startMarketing(store, {
      security: { consumers: [{ id: 'desk-1', role: 'front-desk', apiKeySha256: sha256('desk-key-0123456789') }] },
      marketing: { caps: { perCustomerPerDay: 1000, perCustomerPerWeek: 1000, perChannelPerDay: 1000 } },
    });
  }, 60_000);
  afterAll(async () => {
    await h.close();
    await stores.cleanup();
  });

  it('refuses a caller without credentials (401, with a challenge) or without the admin role (403)', async () => {
    const anonymous = await fetch(`${h.url}/admin/suppressions`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBeTruthy();
    const desk = await h.admin(
      'PUT',
      '/admin/suppressions/C00000013',
      { reason: 'x' },
      { 'x-api-key': 'desk-key-0123456789' },
    );
    expect([desk.status, desk.body.errors[0].extensions.code]).toEqual([403, 'FORBIDDEN']);
    expect((await h.admin('GET', '/admin/suppressions/C00000013')).status).toBe(404);
  });

  it('answers bad input with a 400 naming it, and an unknown customer with 404 SUPPRESSION_NOT_FOUND', async () => {
    const code = (r: {
      status: number;
      body: { errors: Array<{ extensions: { code: string }; message: string }> };
    }) => [r.status, r.body.errors[0]?.extensions.code];
    expect(code(await h.admin('PUT', '/admin/suppressions/C00000013', {}))).toEqual([400, 'BAD_REQUEST']);
    expect(code(await h.admin('PUT', '/admin/suppressions/C00000013', { reason: '   ' }))).toEqual([
      400,
      'BAD_REQUEST',
    ]);
    expect(code(await h.admin('PUT', '/admin/suppressions/C00000013', { reason: 'x'.repeat(501) }))).toEqual([
      400,
      'BAD_REQUEST',
    ]);
    const badId = await h.admin('PUT', `/admin/suppressions/${encodeURIComponent('C1;DROP TABLE')}`, { reason: 'x' });
    expect(code(badId)).toEqual([400, 'BAD_REQUEST']);
    expect(badId.body.errors[0].message).toMatch(/customerId must be/);
    expect(code(await h.admin('GET', '/admin/suppressions?limit=0'))).toEqual([400, 'BAD_REQUEST']);
    expect(code(await h.admin('GET', '/admin/suppressions?page=2'))).toEqual([400, 'BAD_REQUEST']);
    expect(code(await h.admin('POST', '/admin/suppressions/C00000013', { reason: 'x' }))).toEqual([
      405,
      'METHOD_NOT_ALLOWED',
    ]);
    const missing = await h.admin('DELETE', '/admin/suppressions/C09999999');
    expect(code(missing)).toEqual([404, 'SUPPRESSION_NOT_FOUND']);
    expect(missing.body.errors[0].message).toBe('Customer C09999999 is not on the suppression list.');
    const text = await fetch(`${h.url}/admin/suppressions/C00000013`, {
      method: 'PUT',
      headers: { 'content-type': 'text/plain', 'x-api-key': 'test-key-0123456789abcdef' },
      body: 'opted out',
    });
    expect(text.status).toBe(415);
    // Nothing of that was stored.
    expect((await h.admin('GET', '/admin/suppressions')).body).toEqual({ items: [], next: null });
  });

  it('a customer id or definition name that is not valid percent-encoding is a 400, not a 500', async () => {
    for (const route of ['/admin/suppressions/%E0%A4%A', '/admin/rules/%E0%A4%A', '/admin/adapters/%ZZ/history']) {
      const res = await fetch(`${h.url}${route}`, { headers: AUTH });
      const body = (await res.json()) as { errors: Array<{ extensions: { code: string } }> };
      expect([route, res.status, body.errors[0]?.extensions.code]).toEqual([route, 400, 'BAD_REQUEST']);
    }
  });

  it('records the reason, who and when; a put again replaces them; the list is paged by customer id', async () => {
    const put = await h.admin('PUT', '/admin/suppressions/C00000021', { reason: 'complaint to the regulator' });
    expect(put.status).toBe(200);
    expect(put.body).toEqual({
      customerId: 'C00000021',
      reason: 'complaint to the regulator',
      by: 'test',
      at: expect.any(String),
    });
    expect(Math.abs(Date.parse(put.body.at) - Date.now())).toBeLessThan(60_000);
    expect((await h.admin('GET', '/admin/suppressions/C00000021')).body).toEqual(put.body);
    const again = await h.admin('PUT', '/admin/suppressions/C00000021', { reason: 'opted out by SMS' });
    expect(again.body).toMatchObject({ customerId: 'C00000021', reason: 'opted out by SMS', by: 'test' });
    await h.admin('PUT', '/admin/suppressions/C00000022', { reason: 'r2' });
    await h.admin('PUT', '/admin/suppressions/C00000020', { reason: 'r0' });

    const first = await h.admin('GET', '/admin/suppressions?limit=2');
    expect(first.body.items.map((e: { customerId: string }) => e.customerId)).toEqual(['C00000020', 'C00000021']);
    expect(first.body.next).toBe('C00000021');
    const second = await h.admin('GET', `/admin/suppressions?limit=2&after=${first.body.next}`);
    expect(second.body).toEqual({
      items: [{ customerId: 'C00000022', reason: 'r2', by: 'test', at: expect.any(String) }],
      next: null,
    });

    // A row written before migration 0003 (no author) reads as by: null.
    await store.db.execute(
      sql`INSERT INTO suppression (customer_id, reason, created_at) VALUES ('C00000029', 'legacy', now())`,
    );
    expect((await h.admin('GET', '/admin/suppressions/C00000029')).body).toMatchObject({ reason: 'legacy', by: null });

    for (const id of ['C00000020', 'C00000021', 'C00000022', 'C00000029']) {
      const removed = await h.admin('DELETE', `/admin/suppressions/${id}`);
      expect([removed.status, removed.body.customerId]).toEqual([200, id]);
    }
    expect((await h.admin('GET', '/admin/suppressions')).body).toEqual({ items: [], next: null });
  });

  it("a suppressed customer's event records the offer as SUPPRESSED and calls no channel; removal restores offers", async () => {
    // C00000027 is a frequent traveller to Hong Kong/Macau: the configured roaming rule matches its events.
    expect(
      (await h.admin('PUT', '/admin/suppressions/C00000027', { reason: 'opted out at the front desk' })).status,
    ).toBe(200);
    const calls = h.channels.faults.requests().total;
    const sent = h.channels.messages().length;
    const event = roamingEvent('C00000027');
    const suppressed = await h.send(event);
    expect(suppressed.status).toBe(202);
    expect(suppressed.body.offer).toMatchObject({ ruleId: 'hk-roaming-data', status: 'SUPPRESSED' });
    // Recorded so in the store: the event is handled, its outcome SUPPRESSED, and no offer counts against the caps.
    const [row] = await store.db.select().from(events).where(eq(events.id, event.id));
    expect(row?.handledAt).toBeInstanceOf(Date);
    expect(JSON.stringify(row?.outcomes)).toContain('"status":"SUPPRESSED"');
    expect(await store.db.select().from(offersSent).where(eq(offersSent.eventId, event.id))).toEqual([]);
    expect(h.channels.faults.requests().total).toBe(calls);
    expect(h.channels.messages()).toHaveLength(sent);

    expect((await h.admin('DELETE', '/admin/suppressions/C00000027')).status).toBe(200);
    const restored = await h.send(roamingEvent('C00000027'));
    expect(restored.body.offer).toMatchObject({ ruleId: 'hk-roaming-data', status: 'SENT' });
    expect(h.channels.faults.requests().total).toBe(calls + 1);
    expect(h.channels.messages().at(-1)).toMatchObject({
      message: 'Welcome to Hong Kong: 1 GB for 30 CNY (DATA-HKMO).',
    });
  });
});
