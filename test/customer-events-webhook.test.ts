/**
 * A customer event by signed webhook triggers the matching rule's offer on the customer's preferred electronic
 * channel (the channel gateway mock's counters say so), recorded as a touchpoint; a redelivered event is handled
 * once; a rule changed through /admin/rules applies to the next event without a restart; frequency caps, quiet
 * hours and the suppression list hold; a channel gateway that fails leaves nothing sent and the event retryable.
 * Real HTTP, on PGlite and PostgreSQL.
 */
import { startMocks, type Mocks } from '../mocks';
import { startChannelsMock, type ChannelsMock } from '../mocks/channels';
import type { Store } from '../gateway/store';
import { offersSent, suppression } from '../gateway/store/schema';
import { AUTH, json } from './support/harness';
import { signEvent } from '../gateway/inbound/events/signature';
import { HK_RULE, NETWORK_SECRET, roamingEvent, startMarketing, type MarketingHarness } from './support/marketing';
import { ENGINES, testStores } from './support/store';

const stores = testStores();
let mocks: Mocks;
let channels: ChannelsMock;
beforeAll(async () => {
  [mocks, channels] = await Promise.all([startMocks(), startChannelsMock()]);
});
afterAll(async () => {
  await Promise.all([mocks.close(), channels.close()]);
  await stores.cleanup();
});

/** Local "HH:MM" in Shanghai, `offsetMinutes` from now (computed here, independently of the gateway's code). */
function shanghai(offsetMinutes: number): string {
  const at = new Date(Date.now() + offsetMinutes * 60_000);
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Asia/Shanghai',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(at);
}

describe.each(ENGINES)('on %s', (engine) => {
  let store: Store;
  let h: MarketingHarness;
  beforeAll(async () => {
    store = await stores.open(engine);
    h = await startMarketing(
      store,
      { marketing: { caps: { perCustomerPerDay: 2, perCustomerPerWeek: 3, perChannelPerDay: 1 } } },
      { mocks, channels },
    );
  }, 60_000);
  afterAll(() => h.close());
  beforeEach(() => channels.clear());

  it('sends the offer of a matching rule to the preferred channel and records the touchpoint', async () => {
    // C00000027: tagged a frequent traveller to Hong Kong/Macau; web hall STRONGEST, SMS weak, WAP medium → EMAIL.
    const event = roamingEvent('C00000027', 'Macau');
    const res = await h.send(event);
    expect(res.status).toBe(202);
    expect(res.body).toEqual({
      eventId: event.id,
      duplicate: false,
      viewLoaded: true,
      offer: {
        ruleId: 'hk-roaming-data',
        offerCode: 'DATA-HKMO',
        channel: 'EMAIL',
        status: 'SENT',
        touchpoint: 'RECORDED',
      },
    });
    expect(channels.sent()).toEqual({ SMS: 0, PUSH: 0, EMAIL: 1 });
    expect(channels.messages()[0]).toMatchObject({
      customerId: 'C00000027',
      offerCode: 'DATA-HKMO',
      message: 'Welcome to Macau: 1 GB for 30 CNY (DATA-HKMO).',
    });
    expect(h.touchpoints.recorded.find((t) => t.key === `rule:${event.id}:hk-roaming-data`)?.touchpoint).toMatchObject({
      customerId: 'C00000027',
      channel: 'WEB_HALL',
      type: 'CAMPAIGN_OFFER',
      outcome: 'SENT',
      offerCode: 'DATA-HKMO',
      origin: 'rule',
      ruleId: 'hk-roaming-data',
    });
  });

  it('picks the strongest electronic channel: the WAP hall (app) → PUSH, the SMS hall → SMS', async () => {
    const wap = await h.send(roamingEvent('C00000038')); // WAP_HALL STRONG, others WEAK
    const sms = await h.send(roamingEvent('C00000011')); // SMS_HALL MEDIUM, others WEAK
    expect([wap.body.offer.channel, sms.body.offer.channel]).toEqual(['PUSH', 'SMS']);
    expect(channels.sent()).toEqual({ SMS: 1, PUSH: 1, EMAIL: 0 });
  });

  it('sends nothing when the view does not satisfy the rule, or the event does not', async () => {
    const notTraveller = await h.send(roamingEvent('C00000004')); // no Hong Kong/Macau traveller tag
    const elsewhere = await h.send(roamingEvent('C00000059', 'Japan'));
    expect(notTraveller.body).toMatchObject({ offer: null, viewLoaded: true });
    // The event's own conditions fail first: the view is not even loaded.
    expect(elsewhere.body).toMatchObject({ offer: null, viewLoaded: false });
    expect(channels.messages()).toHaveLength(0);
  });

  it('handles a redelivered event once: the same answer, no second message, no second touchpoint', async () => {
    const event = roamingEvent('C00000044');
    // A sender's redelivery is signed again (the harness gives a body sent again a timestamp of its own): the
    // signature check lets it in, the event id does not.
    const first = await h.send(event);
    const again = await h.send(event);
    expect(first.body.offer.status).toBe('SENT');
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ eventId: event.id, duplicate: true, offer: first.body.offer });
    expect(channels.messages()).toHaveLength(1);
    expect(h.touchpoints.recorded.filter((t) => t.key.startsWith(`rule:${event.id}:`))).toHaveLength(1);
  });

  it('applies a rule put through /admin/rules (kind rule) to the next event, and a deleted rule no more, without a restart', async () => {
    const rule = {
      id: 'directory-enquiry-app',
      priority: 20,
      when: {
        all: [
          { fact: 'event', path: '$.type', operator: 'equal', value: 'DIRECTORY_ENQUIRY' },
          { fact: 'view', path: '$.insights.churnProbability', operator: 'greaterThan', value: 0.5 },
        ],
      },
      then: {
        offerCode: 'APP-114',
        channel: 'SMS',
        message: 'Find numbers faster in the app ({{view.insights.segment}}).',
        // A service to a customer about to leave, not an upsell: allowed to a suspended customer in arrears.
        kind: 'care',
      },
    };
    const event = () => ({
      version: 1,
      id: `evt-114-${Date.now()}-${Math.random()}`,
      type: 'DIRECTORY_ENQUIRY',
      customerId: 'C00000002',
      at: new Date().toISOString(),
      data: { number: '114' },
    });
    const before = await h.send(event());
    expect(before.body.offer).toBeNull();
    const put = await h.putRule(rule);
    expect(put.status).toBe(200);
    expect(put.body).toMatchObject({
      kind: 'rule',
      name: 'directory-enquiry-app',
      definition: rule,
      version: expect.any(Number),
      by: 'test',
      at: expect.any(String),
    });
    const after = await h.send(event()); // C00000002: churn 0.797
    expect(after.body.offer).toMatchObject({
      ruleId: 'directory-enquiry-app',
      offerCode: 'APP-114',
      channel: 'SMS',
      status: 'SENT',
    });
    expect(channels.messages().at(-1)?.message).toBe('Find numbers faster in the app (SMALL_BUSINESS).');
    const listed = await json(await fetch(`${h.url}/admin/rules`, { headers: AUTH }));
    expect(listed.items.map((e: { name: string }) => e.name)).toEqual(['directory-enquiry-app']);
    expect(listed.inForce.map((r: { id: string; origin: string }) => `${r.id}:${r.origin}`).sort()).toEqual([
      'directory-enquiry-app:registered',
      'hk-roaming-data:config',
    ]);
    const deleted = await fetch(`${h.url}/admin/rules/directory-enquiry-app`, { method: 'DELETE', headers: AUTH });
    expect(deleted.status).toBe(200);
    const gone = await h.send(event());
    expect(gone.body.offer).toBeNull();
  });

  it('holds the frequency caps: per channel per day, per customer per day and per week', async () => {
    const fixed = (id: string, channel: string) => ({
      ...HK_RULE,
      id,
      priority: 50,
      then: { ...HK_RULE.then, channel },
    });
    await h.putRule(fixed('cap-sms', 'SMS'));
    const first = await h.send(roamingEvent('C00000001'));
    const second = await h.send(roamingEvent('C00000001'));
    expect(first.body.offer).toMatchObject({ channel: 'SMS', status: 'SENT' });
    expect(second.body.offer).toMatchObject({ channel: 'SMS', status: 'CAPPED', cap: 'perChannelPerDay' });
    await h.putRule(fixed('cap-sms', 'EMAIL'));
    const third = await h.send(roamingEvent('C00000001'));
    expect(third.body.offer).toMatchObject({ channel: 'EMAIL', status: 'SENT' });
    await h.putRule(fixed('cap-sms', 'PUSH'));
    const fourth = await h.send(roamingEvent('C00000001'));
    expect(fourth.body.offer).toMatchObject({ channel: 'PUSH', status: 'CAPPED', cap: 'perCustomerPerDay' });
    expect(channels.messages().map((m) => m.channel)).toEqual(['SMS', 'EMAIL']);

    // Three offers in the last week (two and three days ago): the weekly cap (3) refuses a fourth.
    const daysAgo = (n: number) => new Date(Date.now() - n * 24 * 3600_000);
    await store.db.insert(offersSent).values(
      [2, 3, 4].map((n) => ({
        eventId: `old-${n}`,
        ruleId: 'old',
        customerId: 'C00000043',
        channel: 'SMS',
        offerCode: 'OLD',
        sentAt: daysAgo(n),
        status: 'sent',
      })),
    );
    const weekly = await h.send(roamingEvent('C00000043'));
    expect(weekly.body.offer).toMatchObject({ status: 'CAPPED', cap: 'perCustomerPerWeek' });
    await fetch(`${h.url}/admin/rules/cap-sms`, { method: 'DELETE', headers: AUTH });
  });

  it('sends nothing to a customer on the suppression list', async () => {
    await store.db
      .insert(suppression)
      .values({ customerId: 'C00000059', reason: 'opted out by SMS', createdAt: new Date() });
    const res = await h.send(roamingEvent('C00000059'));
    expect(res.body.offer).toMatchObject({ ruleId: 'hk-roaming-data', status: 'SUPPRESSED' });
    expect(channels.messages()).toHaveLength(0);
  });

  it('answers 503 EVENT_NOT_HANDLED while the channel gateway fails, sends once when retried after it recovers', async () => {
    channels.faults.set({ down: '503' });
    const event = roamingEvent('C00000071');
    try {
      const failed = await h.send(event);
      expect(failed.status).toBe(503);
      expect(failed.body.errors[0].extensions.code).toBe('EVENT_NOT_HANDLED');
    } finally {
      channels.faults.reset();
    }
    const retried = await h.send(event);
    expect(retried.body).toMatchObject({ duplicate: false, offer: { status: 'SENT' } });
    expect(channels.messages()).toHaveLength(1);
  });

  it('refuses an unsigned event (401) and one outside the schema (400 with the paths), without handling them', async () => {
    const unsigned = await fetch(`${h.url}/events/network`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(roamingEvent('C00000027')),
    });
    expect(unsigned.status).toBe(401);
    const bad = await h.send({
      version: 1,
      id: 'x',
      type: 'ROAMING_ENTERED',
      customerId: 'C00000027',
      at: 'yesterday',
      data: {},
    });
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].extensions.code).toBe('BAD_REQUEST');
    expect(bad.body.errors[0].message).toMatch(/at: .*; data\.region: Required/);
    expect(channels.messages()).toHaveLength(0);
  });

  it('refuses a body over 16 KB (413), not JSON (415), or not parsable (400), with the catalog codes', async () => {
    const big = await h.send({ ...roamingEvent('C00000027'), padding: 'x'.repeat(20_000) });
    expect([big.status, big.body.errors[0].extensions.code]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    const text = await fetch(`${h.url}/events/network`, {
      method: 'POST',
      headers: { 'content-type': 'text/plain' },
      body: 'hello',
    });
    expect(text.status).toBe(415);
    const broken = await fetch(`${h.url}/events/network`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-ucv-signature': signEvent(NETWORK_SECRET, '{"version":') },
      body: '{"version":',
    });
    expect([broken.status, (await json(broken)).errors[0].extensions.code]).toEqual([400, 'BAD_REQUEST']);
    // Unsigned, the same bytes are refused for the signature: nothing of an unsigned body is parsed.
    const unsigned = await fetch(`${h.url}/events/network`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: '{"version":',
    });
    expect([unsigned.status, (await json(unsigned)).errors[0].extensions.code]).toEqual([401, 'UNAUTHENTICATED']);
    expect(channels.messages()).toHaveLength(0);
  });

  it('sends nothing inside the quiet hours (Asia/Shanghai)', async () => {
    const quiet = await startMarketing(
      store,
      { marketing: { quietHours: { start: shanghai(-60), end: shanghai(60), timeZone: 'Asia/Shanghai' } } },
      { mocks, channels },
    );
    try {
      const res = await quiet.send(roamingEvent('C00000041'));
      expect(res.body.offer).toMatchObject({ status: 'QUIET_HOURS' });
      expect(channels.messages()).toHaveLength(0);
    } finally {
      await quiet.close();
    }
  });
});
