/**
 * The operator's six examples of event-triggered marketing, shipped as data (config/sample-rules.json, what
 * `npm start` runs), each proven end to end: signed events into /events/network, the rules with their conditions
 * over history (first time, dwell, date windows) in the durable store, the live view, the channel gateway mock's
 * messages. Then abnormal information (an unknown customer: no message, one exception, a final answer), event kinds
 * and sections registered at run time used by a rule, and every refusal of a condition that could never match.
 *
 * Two gateways share one PostgreSQL store (two instances): a first time seen by one is not a first time for the other.
 * Event times are given in the events (never read from the clock), so the edges (59 vs 60 minutes) are exact.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Store } from '../gateway/store';
import { startMocks, type Mocks } from '../mocks';
import { startChannelsMock, type ChannelsMock } from '../mocks/channels';
import { SAMPLE_RULES } from '../scripts/demo-consumers';
import { AUTH, asRole, roleConsumer } from './support/harness';
import { startMarketing, type MarketingHarness } from './support/marketing';
import { testStores } from './support/store';
import { PATIENT_MAPPINGS } from './support/patient';

const stores = testStores();
let mocks: Mocks;
let channels: ChannelsMock;
let a: MarketingHarness;
let b: MarketingHarness;

const CAPS = { perCustomerPerDay: 100, perCustomerPerWeek: 100, perChannelPerDay: 100 };
const security = {
  consumers: [roleConsumer('marketing'), roleConsumer('front-desk')],
};

beforeAll(async () => {
  [mocks, channels] = await Promise.all([startMocks(), startChannelsMock()]);
  const first: Store = await stores.open('postgres');
  const second: Store = await stores.open('postgres', first.schema);
  const overrides = {
    marketing: { rules: SAMPLE_RULES, caps: CAPS },
    admin: { allowLoopback: true, mappings: PATIENT_MAPPINGS },
    security,
  };
  a = await startMarketing(first, overrides, { mocks, channels });
  b = await startMarketing(second, overrides, { mocks, channels });
}, 90_000);
afterAll(async () => {
  await a?.close();
  await b?.close();
  await Promise.all([mocks.close(), channels.close()]);
  await stores.cleanup();
});

let n = 0;
const event = (customerId: string, type: string, data: Record<string, unknown>, at: string) => ({
  version: 1,
  id: `evt-sample-${process.pid}-${++n}`,
  type,
  customerId,
  at,
  data,
});
const messagesTo = (customerId: string) => channels.messages().filter((m) => m.customerId === customerId);

describe('the six sample rules', () => {
  it('114 → 12580, by SMS; another number → nothing', async () => {
    const other = await a.send(event('C00000010', 'DIRECTORY_ENQUIRY', { number: '118114' }, '2026-12-07T02:00:00Z'));
    expect(other.status).toBe(202);
    expect(other.body.offer).toBeNull();
    const res = await a.send(event('C00000010', 'DIRECTORY_ENQUIRY', { number: '114' }, '2026-12-07T02:01:00Z'));
    expect(res.status).toBe(202);
    expect(res.body.offer).toMatchObject({ ruleId: 'directory-114-12580', offerCode: 'VAS-12580', status: 'SENT' });
    expect(messagesTo('C00000010')).toEqual([
      expect.objectContaining({ channel: 'SMS', offerCode: 'VAS-12580', message: expect.stringContaining('12580') }),
    ]);
  });

  it('handset on after 3 missed calls → the missed-call reminder; after 2 → nothing', async () => {
    const two = await a.send(event('C00000011', 'HANDSET_ON', { missedCalls: 2 }, '2026-12-07T02:00:00Z'));
    expect(two.body.offer).toBeNull();
    const three = await a.send(event('C00000011', 'HANDSET_ON', { missedCalls: 3 }, '2026-12-07T02:05:00Z'));
    expect(three.body.offer).toMatchObject({ offerCode: 'VAS-MISSED-CALL', status: 'SENT' });
    expect(messagesTo('C00000011').map((m) => m.message)).toEqual([expect.stringContaining('3个未接来电')]);
  });

  it('the first long-distance call of the year → 12593 care offer; the second, on the other instance, → nothing', async () => {
    const local = await a.send(event('C00000012', 'CALL_MADE', { callType: 'LOCAL' }, '2026-03-01T02:00:00Z'));
    expect(local.body.offer).toBeNull();
    const first = await a.send(event('C00000012', 'CALL_MADE', { callType: 'LONG_DISTANCE' }, '2026-03-02T02:00:00Z'));
    expect(first.body.offer).toMatchObject({ ruleId: 'first-long-distance-12593', offerCode: 'LD-12593' });
    // The second, handled by the other instance, reads the first from the shared store.
    const second = await b.send(event('C00000012', 'CALL_MADE', { callType: 'LONG_DISTANCE' }, '2026-03-03T02:00:00Z'));
    expect(second.body.offer).toBeNull();
    // A new year: the first of 2027 is a first time again.
    const nextYear = await b.send(
      event('C00000012', 'CALL_MADE', { callType: 'LONG_DISTANCE' }, '2027-01-02T02:00:00Z'),
    );
    expect(nextYear.body.offer).toMatchObject({ offerCode: 'LD-12593' });
    expect(messagesTo('C00000012').map((m) => m.offerCode)).toEqual(['LD-12593', 'LD-12593']);
  });

  it('the first national roaming of the year → 12593 (the higher priority); the second → the roaming package', async () => {
    const first = await a.send(
      event('C00000013', 'ROAMING_ENTERED', { region: 'Guangdong', scope: 'NATIONAL' }, '2026-05-01T02:00:00Z'),
    );
    expect(first.body.offer).toMatchObject({ ruleId: 'first-long-distance-12593' });
    const second = await b.send(
      event('C00000013', 'ROAMING_ENTERED', { region: 'Beijing', scope: 'NATIONAL' }, '2026-05-09T02:00:00Z'),
    );
    expect(second.body.offer).toMatchObject({ ruleId: 'national-roaming-package', offerCode: 'ROAM-NATIONAL' });
    expect(messagesTo('C00000013').at(-1)?.message).toContain('欢迎来到Beijing');
  });

  it('60 minutes in a securities firm’s cells → mobile securities; 59 → nothing; a stay elsewhere breaks the dwell', async () => {
    const at = (minutes: number) => new Date(Date.parse('2026-12-07T01:00:00Z') + minutes * 60_000).toISOString();
    const cell = (minutes: number, site: string, instance = a) =>
      instance.send(event('C00000014', 'CELL_LOCATION', { cellId: `${site}-1`, site }, at(minutes)));
    // Entered a securities firm at 0, left at 20 (a mall), back at 30: the stay counts from 30.
    for (const [m, site] of [
      [0, 'SECURITIES_FIRM'],
      [20, 'SHOPPING_MALL'],
      [30, 'SECURITIES_FIRM'],
      [60, 'SECURITIES_FIRM'],
    ] as const)
      expect((await cell(m, site)).body.offer).toBeNull();
    // 59 minutes since 30, on the other instance: still nothing.
    expect((await cell(89, 'SECURITIES_FIRM', b)).body.offer).toBeNull();
    const sixty = await cell(90, 'SECURITIES_FIRM');
    expect(sixty.body.offer).toMatchObject({
      ruleId: 'securities-dwell-mobile-securities',
      offerCode: 'VAS-SECURITIES',
    });
    expect(messagesTo('C00000014').map((m) => m.offerCode)).toEqual(['VAS-SECURITIES']);
  });

  it('during the Spring Festival travel period at a station or a port → the local package; before it → nothing', async () => {
    const before = await a.send(
      event('C00000015', 'CELL_LOCATION', { cellId: 'RAI-1', site: 'RAILWAY_STATION' }, '2027-01-21T15:59:00Z'),
    );
    expect(before.body.offer).toBeNull();
    // 2027-01-22 00:00 in Asia/Shanghai is 2027-01-21 16:00 UTC: the first minute of the window.
    const during = await a.send(
      event('C00000015', 'CELL_LOCATION', { cellId: 'POR-1', site: 'PORT' }, '2027-01-21T16:00:00Z'),
    );
    expect(during.body.offer).toMatchObject({ ruleId: 'spring-festival-welcome-home', offerCode: 'LOCAL-HOME' });
    const mall = await a.send(
      event('C00000016', 'CELL_LOCATION', { cellId: 'SHO-1', site: 'SHOPPING_MALL' }, '2027-01-25T02:00:00Z'),
    );
    expect(mall.body.offer).toBeNull();
  });
});

describe('abnormal information', () => {
  it('an event for a customer no system knows: no message to anyone, one exception, the same final answer on redelivery', async () => {
    const sent = channels.messages().length;
    const unknown = event('C09999999', 'DIRECTORY_ENQUIRY', { number: '114' }, '2026-12-07T02:00:00Z');
    const res = await a.send(unknown);
    expect(res.status).toBe(202);
    expect(res.body.exceptionId).toMatch(/^exc-/);
    // The rule tests the products held: for a customer no system knows there are none to read, so it does not match.
    expect(res.body.offer).toBeNull();
    const again = await b.send(unknown);
    expect(again.status).toBe(202);
    expect(again.body).toMatchObject({ duplicate: true, exceptionId: res.body.exceptionId });
    expect(channels.messages().length).toBe(sent);

    const queue = await a.admin(
      'GET',
      '/marketing/exceptions?state=open&cause=UNKNOWN_CUSTOMER',
      undefined,
      asRole('marketing'),
    );
    expect(queue.status).toBe(200);
    expect(queue.body.items.filter((e: { ref: string }) => e.ref === unknown.id)).toEqual([
      expect.objectContaining({ id: res.body.exceptionId, customerId: 'C09999999', state: 'open' }),
    ]);
    const assigned = await b.admin(
      'POST',
      `/marketing/exceptions/${res.body.exceptionId}/assign`,
      { assignee: '李伟' },
      asRole('marketing'),
    );
    expect(assigned.body).toMatchObject({ state: 'assigned', assignee: '李伟' });
    const resolved = await a.admin(
      'POST',
      `/marketing/exceptions/${res.body.exceptionId}/resolve`,
      { resolution: '号码已转网，客户资料已注销' },
      asRole('marketing'),
    );
    expect(resolved.body).toMatchObject({
      state: 'resolved',
      resolvedBy: 'marketing',
      resolution: '号码已转网，客户资料已注销',
    });
    const twice = await a.admin(
      'POST',
      `/marketing/exceptions/${res.body.exceptionId}/resolve`,
      { resolution: 'x' },
      asRole('marketing'),
    );
    expect(twice.status).toBe(409);
    expect(twice.body.errors[0].extensions.code).toBe('EXCEPTION_RESOLVED');
    // The front desk has no business in the queue.
    const desk = await a.admin('GET', '/marketing/exceptions', undefined, asRole('front-desk'));
    expect(desk.status).toBe(403);
    const missing = await a.admin('GET', '/marketing/exceptions/exc-00000000-0000-0000-0000-000000000000');
    expect(missing.status).toBe(404);
    expect(missing.body.errors[0].extensions.code).toBe('EXCEPTION_NOT_FOUND');
  });
});

it('a contact record the CRM refuses for good is an exception too', async () => {
  const res = await fetch(`${a.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...asRole('front-desk') },
    body: JSON.stringify({
      query: `mutation($input: ContactInput!, $key: String) { recordContact(input: $input, idempotencyKey: $key) { status } }`,
      variables: {
        input: { customerId: 'C09999997', channel: 'CALL_CENTER', type: 'CAMPAIGN_OFFER', outcome: 'ACCEPTED' },
        key: 'unknown-contact-1',
      },
    }),
  });
  expect(((await res.json()) as { errors: Array<{ extensions: { code: string } }> }).errors[0]?.extensions.code).toBe(
    'NOT_FOUND',
  );
  const queue = await a.admin('GET', '/marketing/exceptions?cause=TOUCHPOINT_REJECTED', undefined, asRole('marketing'));
  expect(queue.body.items).toEqual([
    expect.objectContaining({ cause: 'TOUCHPOINT_REJECTED', customerId: 'C09999997', state: 'open' }),
  ]);
});

describe('event kinds and sections registered at run time', () => {
  const SMS_BURST = {
    type: 'SMS_BURST',
    label: { zh: '短信量激增', en: 'SMS burst' },
    source: 'network',
    data: {
      type: 'object',
      required: ['count'],
      properties: { count: { type: 'integer', minimum: 0 }, window: { type: 'string', enum: ['HOUR', 'DAY'] } },
    },
    labels: { count: { zh: '短信条数', en: 'messages' }, window: { zh: '统计窗口', en: 'window' } },
  };
  const burstRule = {
    id: 'sms-burst-bundle',
    on: 'SMS_BURST',
    when: {
      all: [
        { field: 'event.count', operator: 'greaterThanInclusive', value: 100 },
        { field: 'customer.networkState.poweredOn', operator: 'equal', value: true },
      ],
    },
    then: { offerCode: 'SMS-100', channel: 'SMS', message: '您本小时已发送{{event.data.count}}条短信。' },
  };

  it('a registered kind and a registered section are used by a rule; the kind cannot be deleted while the rule uses it', async () => {
    expect((await a.send(event('C00000017', 'SMS_BURST', { count: 120 }, '2026-12-07T02:00:00Z'))).status).toBe(400);
    const put = await a.admin('PUT', '/admin/event-kinds/SMS_BURST', SMS_BURST);
    expect(put.status).toBe(200);
    // The rule reads a section of an adapter registered now, not known at start.
    expect((await a.putRule(burstRule)).status).toBe(422);
    const example = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'examples', 'network-events.json'), 'utf8'));
    expect(
      (await a.admin('PUT', '/admin/adapters/network', { ...example, baseUrl: mocks.networkEvents.url })).status,
    ).toBe(200);
    const ruled = await a.putRule(burstRule);
    expect(ruled.status).toBe(200);
    const bad = await a.send(event('C00000017', 'SMS_BURST', { count: 'many' }, '2026-12-07T02:00:00Z'));
    expect(bad.status).toBe(400);
    expect(bad.body.errors[0].message).toContain('data.count');
    // Find a customer whose handset the network platform reports on.
    const { networkState } = await import('../mocks/network-events');
    const id = ['C00000017', 'C00000018', 'C00000019', 'C00000020'].find((c) => networkState(c)?.handset.powered);
    const res = await a.send(event(id as string, 'SMS_BURST', { count: 150, window: 'HOUR' }, '2026-12-07T02:00:00Z'));
    expect(res.status).toBe(202);
    expect(res.body.offer).toMatchObject({ ruleId: 'sms-burst-bundle', status: 'SENT' });
    expect(messagesTo(id as string).at(-1)?.message).toBe('您本小时已发送150条短信。');

    const deleted = await a.admin('DELETE', '/admin/event-kinds/SMS_BURST');
    expect(deleted.status).toBe(422);
    expect(JSON.stringify(deleted.body.errors[0].extensions.problems)).toContain('sms-burst-bundle');
    expect((await a.admin('DELETE', '/admin/rules/sms-burst-bundle')).status).toBe(200);
    expect((await a.admin('DELETE', '/admin/event-kinds/SMS_BURST')).status).toBe(200);
    // A rule on a kind no longer in force is refused, with the kinds there are.
    const orphan = await a.putRule({ ...burstRule, id: 'orphan' });
    expect(orphan.status).toBe(422);
    expect(orphan.body.errors[0].extensions.problems).toEqual(
      expect.arrayContaining([expect.objectContaining({ path: 'on', given: 'SMS_BURST' })]),
    );
  });

  it('refuses a kind that is not a bounded schema, with the paths', async () => {
    const res = await a.admin('PUT', '/admin/event-kinds/BAD_KIND', {
      type: 'BAD_KIND',
      label: { zh: '坏', en: 'bad' },
      source: 'network',
      data: { type: 'object', properties: { x: { type: 'string', pattern: '(a+)+$' }, y: { type: 'object' } } },
      labels: {},
    });
    expect(res.status).toBe(422);
    const paths = res.body.errors[0].extensions.problems.map((p: { path: string }) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['data.properties.x', 'data.properties.y']));
  });
});

describe('a condition that can never match is refused, naming the path, what was expected and what was given', () => {
  const rule = (when: unknown, on: unknown = 'DIRECTORY_ENQUIRY') => ({
    id: 'refused',
    on,
    when,
    then: { offerCode: 'X-1', message: 'x' },
  });
  const problemsOf = async (definition: unknown) => {
    const res = await a.putRule(definition as { id: string });
    expect(res.status).toBe(422);
    expect(res.body.errors[0].extensions.code).toBe('DEFINITION_REFUSED');
    return res.body.errors[0].extensions.problems as Array<{ path: string; expected?: string; given?: string }>;
  };

  it.each([
    [
      'an unknown path',
      { all: [{ fact: 'view', path: '$.products[0].code', operator: 'equal', value: 'A' }] },
      'when.all.0.path',
    ],
    [
      'an unknown field',
      { all: [{ field: 'customer.insights.segmnt', operator: 'equal', value: 'A' }] },
      'when.all.0.field',
    ],
    [
      'an event field of another kind',
      { all: [{ field: 'event.region', operator: 'equal', value: 'A' }] },
      'when.all.0.field',
    ],
    [
      'a wrong type',
      { all: [{ field: 'customer.insights.churnProbability', operator: 'lessThan', value: 'low' }] },
      'when.all.0.value',
    ],
    [
      'an operator that does not fit',
      { all: [{ field: 'customer.insights.tags', operator: 'lessThan', value: 1 }] },
      'when.all.0.operator',
    ],
    [
      'a history of an unknown kind',
      { all: [{ history: { event: 'NOPE', within: { days: 7 } }, operator: 'equal', value: 1 }] },
      'when.all.0.history.event',
    ],
    [
      'a window that is not one',
      { all: [{ history: { event: 'CALL_MADE', within: { weeks: 2 } }, operator: 'equal', value: 1 }] },
      'when.all.0.history.within',
    ],
    [
      'a count that is not a number',
      { all: [{ history: { event: 'CALL_MADE', within: { days: 7 } }, operator: 'equal', value: 'first' }] },
      'when.all.0.value',
    ],
    [
      'a dwell without where',
      { all: [{ dwell: { event: 'CELL_LOCATION' }, operator: 'greaterThan', value: 60 }] },
      'when.all.0.dwell.where',
    ],
    [
      'a date range backwards',
      { all: [{ during: { dates: [{ from: '2027-02-01', to: '2027-01-01' }] } }] },
      'when.all.0.during.dates.0',
    ],
    ['an hour that is not one', { all: [{ during: { start: '25:00', end: '08:00' } }] }, 'when.all.0.during.start'],
  ])('%s', async (_what, when, where) => {
    const problems = await problemsOf(rule(when));
    expect(problems.map((p) => p.path)).toContain(where);
    const problem = problems.find((p) => p.path === where);
    expect(problem?.given ?? problem?.expected).toBeDefined();
  });

  it('a rule on a kind that does not exist', async () => {
    const problems = await problemsOf(
      rule({ all: [{ field: 'event.at', operator: 'greaterThan', value: '2026-01-01' }] }, 'CELL_DWELL'),
    );
    expect(problems).toEqual(expect.arrayContaining([expect.objectContaining({ path: 'on', given: 'CELL_DWELL' })]));
  });

  it('a console request without the role: a front-desk key may not put a rule', async () => {
    const res = await a.admin(
      'PUT',
      '/admin/rules/refused',
      rule({ all: [{ field: 'event.number', operator: 'equal', value: '114' }] }),
      asRole('front-desk'),
    );
    expect(res.status).toBe(403);
  });
});

describe('dry run', () => {
  it('against a customer picked by mobile number, and against the last real events: which conditions held, what would be sent, nothing sent', async () => {
    const sent = channels.messages().length;
    const definition = SAMPLE_RULES.find((r) => r.id === 'directory-114-12580');
    const view = await fetch(`${a.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...AUTH },
      body: JSON.stringify({ query: '{ customer(id: "C00000019") { profile { msisdn } } }' }),
    });
    const msisdn = ((await view.json()) as { data: { customer: { profile: { msisdn: string } } } }).data.customer
      .profile.msisdn;
    const byNumber = await a.admin(
      'POST',
      '/admin/rules/directory-114-12580/validate',
      { definition, input: { msisdn } },
      AUTH,
    );
    expect(byNumber.status).toBe(200);
    expect(byNumber.body.valid).toBe(true);
    expect(byNumber.body.result.customerId).toBe('C00000019');
    const [tried] = byNumber.body.result.results;
    expect(tried).toMatchObject({ matched: true, offer: { offerCode: 'VAS-12580', channel: 'SMS' } });
    expect(tried.conditions).toEqual(
      expect.arrayContaining([
        expect.objectContaining({ fact: 'event', path: 'data.number', held: true, factResult: '114' }),
      ]),
    );
    const replay = await a.admin(
      'POST',
      '/admin/rules/directory-114-12580/validate',
      { definition, input: { lastEvents: 5 } },
      AUTH,
    );
    expect(replay.status).toBe(200);
    expect(replay.body.result.results.length).toBeGreaterThan(0);
    for (const r of replay.body.result.results) expect(r.event.type).toBe('DIRECTORY_ENQUIRY');
    expect(channels.messages().length).toBe(sent);
    const bad = await a.admin(
      'POST',
      '/admin/rules/directory-114-12580/validate',
      { definition, input: { lastEvents: 500 } },
      AUTH,
    );
    expect(bad.body.problems).toEqual([expect.objectContaining({ path: 'input.lastEvents' })]);
  });
});
