/**
 * Hostile input to the marketing endpoints: event kinds, events, rules, the console's four eyes and dry runs, the
 * exception queue, traces. Every refusal is a 4xx with a catalog code and the paths, never a 500, a hang or a crash;
 * what the marketing role may not read stays out of its conditions and its messages; an approver publishes exactly
 * the version they read. Real servers, PGlite.
 */
import { InMemorySpanExporter, SimpleSpanProcessor } from '@opentelemetry/sdk-trace-node';
import { startTracing, type Tracing } from '../gateway/telemetry';
import type { Store } from '../gateway/store';
import { customerEventHistory, marketingExceptions } from '../gateway/store/schema';
import { startMocks, type Mocks } from '../mocks';
import { startChannelsMock, type ChannelsMock } from '../mocks/channels';
import { AUTH, asRole, roleConsumer } from './support/harness';
import { startMarketing, type MarketingHarness } from './support/marketing';
import { testStores } from './support/store';

const stores = testStores();
let mocks: Mocks;
let channels: ChannelsMock;
let h: MarketingHarness;
let store: Store;
const MARKETING = asRole('marketing');
/** A second approver: the test consumer (`AUTH`) and this one are two people of the admin role. */
const APPROVER = asRole('admin');

beforeAll(async () => {
  [mocks, channels] = await Promise.all([startMocks(), startChannelsMock()]);
  // PostgreSQL: the race of two publishes needs a server that runs two transactions at once (PGlite runs one).
  store = await stores.open('postgres');
  h = await startMarketing(
    store,
    {
      marketing: { caps: { perCustomerPerDay: 100, perCustomerPerWeek: 100, perChannelPerDay: 100 } },
      security: { consumers: [roleConsumer('marketing'), roleConsumer('admin'), roleConsumer('front-desk')] },
    },
    { mocks, channels },
  );
}, 60_000);
afterAll(async () => {
  await h?.close();
  await Promise.all([mocks.close(), channels.close()]);
  await stores.cleanup();
});

/** A request with a body as it is written (too deep or too odd for JSON.stringify); status and text. */
const raw = async (method: string, route: string, body: string, headers: Record<string, string> = AUTH) => {
  const res = await fetch(`${h.url}${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...headers },
    body,
  });
  return { status: res.status, text: await res.text() };
};
const codeOf = (body: { errors?: Array<{ extensions?: { code?: string } }> }) => body.errors?.[0]?.extensions?.code;
const problemsOf = (body: { errors?: Array<{ extensions?: { problems?: Array<{ path: string }> } }> }) =>
  (body.errors?.[0]?.extensions?.problems ?? []).map((p) => p.path);

const KIND = {
  type: 'HOSTILE_KIND',
  label: { zh: '探测', en: 'probe' },
  source: 'network',
  data: {
    type: 'object',
    properties: {
      count: { type: 'integer', minimum: 0 },
      tags: { type: 'array', items: { type: 'string' } },
      name: { type: 'string' },
    },
  },
  labels: { count: { zh: '条数', en: 'count' }, tags: { zh: '标签', en: 'tags' }, name: { zh: '名称', en: 'name' } },
};
const withProperty = (property: Record<string, unknown>) => ({
  ...KIND,
  data: { type: 'object', properties: { count: property } },
  labels: { count: KIND.labels.count },
});
const putKind = (kind: unknown) => h.admin('PUT', `/admin/event-kinds/${KIND.type}`, kind);

describe('event kinds', () => {
  it('refuses every schema that is not bounded, at its path: pattern, $ref, formats, nesting, lengths, huge enums', async () => {
    const refused: Array<[unknown, string]> = [
      [withProperty({ type: 'string', pattern: '(a+)+$' }), 'data.properties.count'],
      [withProperty({ $ref: '#/definitions/x' }), 'data.properties.count'],
      [withProperty({ type: 'string', format: 'regex' }), 'data.properties.count'],
      [withProperty({ type: 'object', properties: { a: { type: 'string' } } }), 'data.properties.count'],
      [withProperty({ type: 'string', maxLength: -1 }), 'data.properties.count.maxLength'],
      [withProperty({ type: 'string', maxLength: 1e9 }), 'data.properties.count.maxLength'],
      [
        withProperty({ type: 'string', enum: Array.from({ length: 10_000 }, (_, i) => `V${i}`) }),
        'data.properties.count.enum',
      ],
      [withProperty({ type: 'array', items: { type: 'array' } }), 'data.properties.count'],
    ];
    for (const [kind, path] of refused) {
      const res = await putKind(kind);
      expect([res.status, codeOf(res.body)]).toEqual([422, 'DEFINITION_REFUSED']);
      expect(problemsOf(res.body)).toContain(path);
    }
    // Bounds as large as a number goes are still bounds: accepted, and an event is checked against them.
    expect((await putKind(withProperty({ type: 'number', minimum: -1e308, maximum: 1e308 }))).status).toBe(200);
    // A body nested 20,000 deep is refused as a definition, not a crash.
    const deep = await raw(
      'PUT',
      `/admin/event-kinds/${KIND.type}`,
      `{"a":${'['.repeat(20_000)}${']'.repeat(20_000)}}`,
    );
    expect(deep.status).toBeGreaterThanOrEqual(400);
    expect(deep.status).toBeLessThan(500);
  });

  it('refuses names every object has (constructor, toString, __proto__) as fields, label keys or values', async () => {
    const proto = (json: string) => JSON.parse(json) as unknown;
    const cases: Array<[unknown, string]> = [
      // Without a label: the label lookup used to find Object's own `constructor` and let it through.
      [
        { ...KIND, data: { type: 'object', properties: { constructor: { type: 'string' } } }, labels: {} },
        'data.properties.constructor',
      ],
      [
        { ...KIND, data: { type: 'object', properties: { toString: { type: 'string' } } }, labels: {} },
        'data.properties.toString',
      ],
      [
        proto(JSON.stringify(KIND).replace('"labels":{', '"labels":{"__proto__":{"zh":"x","en":"x"},')),
        'labels.__proto__',
      ],
      [
        {
          ...withProperty({ type: 'string', enum: ['A'] }),
          labels: { count: { zh: 'c', en: 'c', values: proto('{"__proto__":{"zh":"x","en":"x"}}') } },
        },
        'labels.count.values.__proto__',
      ],
      [withProperty({ type: 'string', enum: ['A', 'constructor'] }), 'data.properties.count.enum.1'],
    ];
    for (const [kind, path] of cases) {
      const res = await putKind(kind);
      expect([res.status, codeOf(res.body)]).toEqual([422, 'DEFINITION_REFUSED']);
      expect(problemsOf(res.body)).toContain(path);
    }
  });
});

describe('a kind changed under a rule in force', () => {
  const kind = {
    ...KIND,
    type: 'HOSTILE_USED',
    data: { type: 'object', properties: { count: { type: 'integer' }, site: { type: 'string', enum: ['A', 'B'] } } },
    labels: { count: { zh: '条数', en: 'count' }, site: { zh: '场所', en: 'site' } },
  };
  const put = (k: unknown) => h.admin('PUT', '/admin/event-kinds/HOSTILE_USED', k);
  const rule = {
    id: 'hostile-used',
    on: 'HOSTILE_USED',
    when: {
      all: [
        { field: 'event.count', operator: 'greaterThan', value: 1 },
        {
          history: {
            event: 'HOSTILE_USED',
            within: { days: 3 },
            where: { field: 'event.site', operator: 'equal', value: 'B' },
          },
          operator: 'equal',
          value: 1,
        },
      ],
    },
    then: { offerCode: 'VAS-12580', channel: 'SMS', message: 'm' },
  };

  it('is refused when a rule would no longer fit it (a field gone, retyped, a value dropped), naming the rule', async () => {
    // Accepted, such a change left a rule that never matched here and that every instance started later refused,
    // with the whole set of registered rules.
    expect((await put(kind)).status).toBe(200);
    expect((await h.putRule(rule)).status).toBe(200);
    const changes = [
      {
        ...kind,
        data: { type: 'object', properties: { site: kind.data.properties.site } },
        labels: { site: kind.labels.site },
      },
      { ...kind, data: { type: 'object', properties: { ...kind.data.properties, count: { type: 'string' } } } },
      {
        ...kind,
        data: { type: 'object', properties: { ...kind.data.properties, site: { type: 'string', enum: ['A'] } } },
      },
    ];
    for (const change of changes) {
      const res = await put(change);
      expect([res.status, codeOf(res.body)]).toEqual([422, 'DEFINITION_REFUSED']);
      expect(res.body.errors[0].extensions.problems[0]).toMatchObject({
        given: 'hostile-used',
        message: expect.stringMatching(/^rule hostile-used would no longer fit \(when\.all\.\d/),
      });
    }
    // A change the rule still fits is fine; once the rule is gone, anything is.
    const more = {
      ...kind,
      data: { type: 'object', properties: { ...kind.data.properties, area: { type: 'string' } } },
      labels: { ...kind.labels, area: { zh: '区域', en: 'area' } },
    };
    expect((await put(more)).status).toBe(200);
    expect((await h.admin('DELETE', '/admin/rules/hostile-used')).status).toBe(200);
    expect((await put(changes[0])).status).toBe(200);
  });
});

describe('events against a registered kind', () => {
  let n = 0;
  const event = (data: unknown, more: Record<string, unknown> = {}) => ({
    version: 1,
    id: `evt-hostile-${process.pid}-${++n}`,
    type: KIND.type,
    customerId: 'C00000001',
    at: '2026-12-07T02:00:00Z',
    data,
    ...more,
  });
  beforeAll(async () => {
    expect((await putKind(KIND)).status).toBe(200);
  });

  it('refuses wrong types, extra fields, prototype keys, long strings and huge arrays with 4xx and their paths', async () => {
    const refused: Array<[unknown, number, string, RegExp]> = [
      [event({ count: 'x', tags: 'y', name: 5 }), 400, 'BAD_REQUEST', /data\.count.*data\.tags.*data\.name/],
      [event({ count: 1, nope: 1 }), 400, 'BAD_REQUEST', /additional properties \(nope\)/],
      [
        JSON.parse(JSON.stringify(event({ count: 1 })).replace('"data":{', '"data":{"__proto__":{"count":"x"},')),
        400,
        'BAD_REQUEST',
        /__proto__/,
      ],
      [event({ constructor: 'x' }), 400, 'BAD_REQUEST', /constructor/],
      [event({ name: 'x'.repeat(10_000) }), 400, 'BAD_REQUEST', /data\.name.*256/],
      [event({ tags: Array.from({ length: 100_000 }, () => 'x') }), 413, 'PAYLOAD_TOO_LARGE', /larger/],
      [event({ count: 1 }, { at: '2026-02-30T00:00:00Z' }), 400, 'BAD_REQUEST', /at/],
    ];
    for (const [e, status, code, message] of refused) {
      const res = await h.send(e);
      expect([res.status, codeOf(res.body)]).toEqual([status, code]);
      expect(res.body.errors[0].message).toMatch(message);
    }
  });

  it('refuses a NUL character in the data (no store can keep it) instead of failing the event for ever', async () => {
    for (const data of [{ name: 'a\u0000b' }, { tags: ['ok', '\u0000'] }]) {
      const res = await h.send(event(data));
      expect([res.status, codeOf(res.body)]).toEqual([400, 'BAD_REQUEST']);
      expect(res.body.errors[0].message).toMatch(/data\.(name|tags\.1): must not contain a NUL character/);
    }
  });

  it('takes events far in the past or future, and two at one instant', async () => {
    for (const at of ['9999-12-31T23:59:59Z', '0001-01-01T00:00:00Z'])
      expect((await h.send(event({ count: 1 }, { at }))).status).toBe(202);
    const [a, b] = [event({ count: 1 }), event({ count: 2 })];
    expect((await h.send(a)).status).toBe(202);
    expect((await h.send(b)).status).toBe(202);
  });
});

const RULE = {
  id: 'hostile-114',
  on: 'DIRECTORY_ENQUIRY',
  when: { all: [{ field: 'event.number', operator: 'equal', value: '114' }] },
  then: { offerCode: 'VAS-12580', channel: 'SMS', message: '试试12580。' },
};
const sentence = (definition: unknown) => h.admin('POST', '/marketing/console/sentence', { definition }, MARKETING);

describe('rules', () => {
  const leaf = { field: 'event.number', operator: 'equal', value: '114' };
  const whenOf = (condition: unknown) => ({ ...RULE, when: { all: [condition] } });

  it('refuses conditions out of bounds, with their paths: deep, many, odd windows and dates, wrong values', async () => {
    const cases: Array<[unknown, string]> = [
      [{ ...RULE, when: { all: Array.from({ length: 51 }, () => leaf) } }, 'when.all'],
      [
        whenOf({ history: { event: 'CALL_MADE', within: { days: 1e9 } }, operator: 'equal', value: 1 }),
        'when.all.0.history.within',
      ],
      [
        whenOf({ history: { event: 'CALL_MADE', within: { days: 401 } }, operator: 'equal', value: 1 }),
        'when.all.0.history.within',
      ],
      [
        whenOf({ history: { event: 'CALL_MADE', within: { days: 30 } }, operator: 'equal', value: 1e9 }),
        'when.all.0.value',
      ],
      [
        whenOf({
          dwell: { event: 'CELL_LOCATION', where: { field: 'event.nope', operator: 'equal', value: 'x' } },
          operator: 'greaterThan',
          value: 1,
        }),
        'when.all.0.dwell.where.field',
      ],
      [whenOf({ during: { dates: [{ from: '2027-02-30', to: '2027-03-01' }] } }), 'when.all.0.during.dates.0'],
      [whenOf({ during: { dates: [{ from: '2027-04-31', to: '2027-05-01' }] } }), 'when.all.0.during.dates.0'],
      [whenOf({ during: { start: '24:00', end: '09:00' } }), 'when.all.0.during.start'],
      [whenOf({ field: 'event.number', operator: 'equal', value: { a: 1 } }), 'when.all.0.value'],
      [whenOf({ field: 'event.number', operator: 'in', value: 'x' }), 'when.all.0.value'],
      [whenOf({ field: '__proto__', operator: 'equal', value: 'x' }), 'when.all.0.field'],
      [whenOf({ field: 'constructor', operator: 'equal', value: 'x' }), 'when.all.0.field'],
      [whenOf({ field: 'customer.__proto__', operator: 'equal', value: 'x' }), 'when.all.0.field'],
    ];
    for (const [definition, path] of cases) {
      const res = await sentence(definition);
      expect(res.status).toBe(200);
      expect(res.body.sentence).toBeNull();
      expect(res.body.problems.map((p: { path: string }) => p.path)).toContain(path);
    }
    // 3,000 deep: one problem, no stack overflow.
    const deep = '{"all":['.repeat(3000) + JSON.stringify(leaf) + ']}'.repeat(3000);
    const res = await raw(
      'POST',
      '/marketing/console/sentence',
      `{"definition":{"id":"x","on":"DIRECTORY_ENQUIRY","when":${deep},"then":{"offerCode":"A","message":"m"}}}`,
      MARKETING,
    );
    expect(res.status).toBe(200);
    expect(JSON.parse(res.text).sentence).toBeNull();
    // 10,000 leaves do not fit in a body.
    const many = await sentence({ ...RULE, when: { all: Array.from({ length: 10_000 }, () => leaf) } });
    expect([many.status, codeOf(many.body)]).toEqual([413, 'PAYLOAD_TOO_LARGE']);
    // The longest window is a window.
    const year = whenOf({ history: { event: 'CALL_MADE', within: { days: 400 } }, operator: 'equal', value: 1 });
    expect((await sentence(year)).body.problems).toEqual([]);
  });

  it('the marketing role can write no condition over a field it may not read, in either spelling', async () => {
    const catalog = await h.admin('GET', '/marketing/console/catalog', undefined, MARKETING);
    const offered = Object.keys(catalog.body.view);
    for (const denied of [
      'customer.contacts',
      'customer.profile.idCardNumber',
      'customer.profile.name',
      'customer.billing.paymentBehaviour',
    ])
      expect(offered.filter((f) => f.startsWith(denied))).toEqual([]);
    const conditions = [
      { field: 'customer.contacts.value', operator: 'contains', value: 'x' },
      { field: 'customer.profile.idCardNumber', operator: 'equal', value: 'x' },
      { field: 'customer.profile.name', operator: 'equal', value: 'x' },
      { field: 'customer.billing.paymentBehaviour.onTimeRate', operator: 'greaterThan', value: 1 },
      { fact: 'view', path: '$.profile.idCardNumber', operator: 'equal', value: 'x' },
      { fact: 'view', path: '$.profile.idCardNumber', operator: 'notEqual', value: null },
      { fact: 'view', path: '$..idCardNumber', operator: 'notEqual', value: null },
      { fact: 'view', path: '$.contacts', operator: 'notEqual', value: null },
      { fact: 'view', path: '$', operator: 'notEqual', value: null },
    ];
    for (const condition of conditions) {
      const res = await sentence(whenOf(condition));
      expect(res.body.sentence).toBeNull();
      expect(res.body.problems.map((p: { path: string }) => p.path)).toContain('when.all.0.field');
      const put = await h.admin(
        'PUT',
        `/marketing/console/rules/${RULE.id}/draft`,
        { definition: whenOf(condition) },
        MARKETING,
      );
      expect([put.status, codeOf(put.body)]).toEqual([422, 'DEFINITION_REFUSED']);
    }
  });

  it('refuses a message that reads a view field the role may not read, or none: it would break every view load', async () => {
    // Such a placeholder was selected by the one view operation of every rule: an unknown field made that operation
    // invalid (every event failed, retried for ever), a denied one nulled its section (every offer ineligible).
    for (const placeholder of [
      'view.nothingHere',
      'view.profile.idCardNumber',
      'view.contacts[0].value',
      'view.profile.name',
      'view.__proto__',
    ]) {
      const rule = { ...RULE, then: { ...RULE.then, message: `您好 {{${placeholder}}}` } };
      const put = await h.putRule(rule);
      expect([put.status, codeOf(put.body)]).toEqual([422, 'DEFINITION_REFUSED']);
      expect(problemsOf(put.body)).toContain('then.message');
      const draft = await h.admin('PUT', `/marketing/console/rules/${RULE.id}/draft`, { definition: rule }, MARKETING);
      expect(draft.status).toBe(422);
    }
    // What every object has is no value: the message says nothing there, not the source of a function.
    const odd = {
      ...RULE,
      id: 'hostile-odd',
      then: {
        ...RULE.then,
        message: '[{{event.constructor}}][{{event.data.toString}}]',
      },
    };
    const tried = await h.admin(
      'POST',
      '/marketing/console/rules/hostile-odd/dry-run',
      { definition: odd, input: { customerId: 'C00000004' } },
      MARKETING,
    );
    expect(tried.body.result.results[0].offer.message).toBe('[][]');
    // A field of the catalog, through a list too, is fine.
    const ok = {
      ...RULE,
      then: { ...RULE.then, message: '{{view.insights.segment}} {{view.insights.tags[0]}} {{view.products[0].code}}' },
    };
    expect((await sentence(ok)).body.problems).toEqual([]);
  });

  it('a dry run judges a view field no rule in force reads on the real value, and shows only what the role reads', async () => {
    const rule = {
      ...RULE,
      id: 'hostile-dry',
      when: {
        all: [
          { field: 'customer.profile.customerSince', operator: 'greaterThan', value: '1900-01-01' },
          { field: 'customer.score.creditScore', operator: 'greaterThanInclusive', value: 0 },
        ],
      },
    };
    const tried = await h.admin(
      'POST',
      '/marketing/console/rules/hostile-dry/dry-run',
      { definition: rule, input: { customerId: 'C00000004' } },
      MARKETING,
    );
    expect(tried.body).toMatchObject({ valid: true, result: { viewLoaded: true } });
    const since = tried.body.result.results[0].conditions.find(
      (c: { path?: string }) => c.path === 'profile.customerSince',
    );
    expect(since).toMatchObject({ held: true, factResult: expect.stringMatching(/^\d{4}-\d{2}-\d{2}/) });
    // Nothing was sent by trying it.
    expect(h.touchpoints.recorded.filter((t) => t.touchpoint.ruleId === 'hostile-dry')).toEqual([]);
    // Over the last real events of every customer: each view fact shown is a field of the role's catalog.
    const catalog = Object.keys((await h.admin('GET', '/marketing/console/catalog', undefined, MARKETING)).body.view);
    const last = await h.admin(
      'POST',
      '/marketing/console/rules/hostile-dry/dry-run',
      {
        definition: {
          ...rule,
          on: undefined,
          when: { all: [{ field: 'customer.insights.segment', operator: 'equal', value: 'X' }] },
        },
        input: { lastEvents: 50 },
      },
      MARKETING,
    );
    expect(last.status).toBe(200);
    for (const result of last.body.result.results)
      for (const c of result.conditions.filter((c: { fact: string }) => c.fact === 'view'))
        expect(catalog).toContain(`customer.${c.path}`);
  });
});

describe('conditions over history', () => {
  it('counts the matching events after a thousand that do not match: the first long-distance call is the first', async () => {
    const customer = 'C00000006';
    const now = Date.now();
    const row = (i: number, callType: string, at: number) => ({
      eventId: `hist-hostile-${process.pid}-${i}`,
      customerId: customer,
      type: 'CALL_MADE',
      at: new Date(at),
      data: { callType },
    });
    // 1,500 local calls over ten days, then one long-distance call an hour ago: all before this event.
    const rows = Array.from({ length: 1500 }, (_, i) => row(i, 'LOCAL', now - 10 * 86_400_000 + i * 60_000));
    await store.db.insert(customerEventHistory).values([...rows, row(9999, 'LONG_DISTANCE', now - 3_600_000)]);
    const rule = {
      id: 'hostile-first-ld',
      on: 'CALL_MADE',
      when: {
        all: [
          {
            history: {
              event: 'CALL_MADE',
              within: { days: 30 },
              where: { field: 'event.callType', operator: 'equal', value: 'LONG_DISTANCE' },
            },
            operator: 'equal',
            value: 1,
          },
        ],
      },
      then: { offerCode: 'LD-12593', channel: 'SMS', kind: 'care', message: '长途加拨12593。' },
    };
    const dry = await h.admin(
      'POST',
      `/marketing/console/rules/${rule.id}/dry-run`,
      { definition: rule, input: { customerId: customer } },
      MARKETING,
    );
    const count = dry.body.result.results[0].conditions.find((c: { fact: string }) => c.fact === 'history');
    // This call and the one an hour ago: the second of the month, not the first.
    expect(count).toMatchObject({ factResult: 2, held: false });
    // Without a where: at most 1,000 read and counted, this one on top.
    const all = {
      ...rule,
      when: { all: [{ history: { event: 'CALL_MADE', within: { days: 30 } }, operator: 'greaterThan', value: 0 }] },
    };
    const counted = await h.admin(
      'POST',
      `/marketing/console/rules/${rule.id}/dry-run`,
      { definition: all, input: { customerId: customer } },
      MARKETING,
    );
    expect(counted.body.result.results[0].conditions.find((c: { fact: string }) => c.fact === 'history')).toMatchObject(
      { factResult: 1001 },
    );
  });
});

describe('four eyes', () => {
  const R = { ...RULE, id: 'hostile-four-eyes' };
  const route = `/marketing/console/rules/${R.id}`;

  it('the author has no other way to publish: the admin API, enable, rollback are refused to the marketing role', async () => {
    expect((await h.admin('PUT', `/admin/rules/${R.id}`, R, MARKETING)).status).toBe(403);
    expect((await h.admin('PUT', `${route}/draft`, { definition: R }, MARKETING)).status).toBe(200);
    expect((await h.admin('POST', `${route}/publish`, undefined, MARKETING)).status).toBe(403);
    expect((await h.admin('POST', `${route}/enable`, undefined, MARKETING)).status).toBe(403);
    expect((await h.admin('POST', `${route}/rollback`, { version: 1 }, MARKETING)).status).toBe(403);
    // A draft's version is not a rule's: an approver cannot roll the rule "back" to a draft nobody approved.
    const history = await h.admin('GET', `${route}/history`, undefined, MARKETING);
    const draftVersion = history.body.items.find((i: { kind: string }) => i.kind === 'draft').version as number;
    const rolled = await h.admin('POST', `${route}/rollback`, { version: draftVersion }, APPROVER);
    expect([rolled.status, codeOf(rolled.body)]).toEqual([404, 'DEFINITION_NOT_FOUND']);
    expect((await h.admin('DELETE', `${route}/draft`, undefined, MARKETING)).status).toBe(200);
  });

  it('an approver publishes the version they read: a draft changed since is refused, and stays a draft', async () => {
    const read = await h.admin('PUT', `${route}/draft`, { definition: R }, MARKETING);
    const seen = read.body.draft.version as number;
    const changed = { ...R, then: { ...R.then, message: '改过了' } };
    expect((await h.admin('PUT', `${route}/draft`, { definition: changed }, MARKETING)).status).toBe(200);
    const stale = await h.admin('POST', `${route}/publish`, { version: seen }, APPROVER);
    expect([stale.status, codeOf(stale.body)]).toEqual([409, 'DEFINITION_CONFLICT']);
    const listed = await h.admin('GET', '/marketing/console/rules', undefined, MARKETING);
    const entry = listed.body.rules.find((r: { id: string }) => r.id === R.id);
    expect(entry).toMatchObject({ origin: 'draft', draft: { by: 'marketing', definition: changed } });
    const current = entry.draft.version as number;
    expect((await h.admin('POST', `${route}/publish`, { version: 'x' }, APPROVER)).status).toBe(400);
    const published = await h.admin('POST', `${route}/publish`, { version: current }, APPROVER);
    expect(published.status).toBe(200);
    expect(published.body.rule.definition.then.message).toBe('改过了');
  });

  it('two approvers publishing one draft at once: one publishes, the other is told, one rule version is made', async () => {
    expect((await h.admin('PUT', `${route}/draft`, { definition: { ...R, priority: 7 } }, MARKETING)).status).toBe(200);
    const before = (await h.admin('GET', `${route}/history`, undefined, MARKETING)).body.items.filter(
      (i: { kind: string }) => i.kind === 'rule',
    ).length;
    const answers = await Promise.all([
      h.admin('POST', `${route}/publish`, undefined, APPROVER),
      h.admin('POST', `${route}/publish`, undefined, AUTH),
    ]);
    expect(answers.map((a) => a.status).sort()).toEqual([200, 404]);
    const after = (await h.admin('GET', `${route}/history`, undefined, MARKETING)).body.items.filter(
      (i: { kind: string }) => i.kind === 'rule',
    ).length;
    expect(after).toBe(before + 1);
  });
});

describe('the exception queue', () => {
  let id = '';
  beforeAll(async () => {
    const unknown = await h.send({
      version: 1,
      id: `evt-hostile-unknown-${process.pid}`,
      type: 'DIRECTORY_ENQUIRY',
      customerId: 'C99999998',
      at: '2026-12-07T02:00:00Z',
      data: { number: '114' },
    });
    id = unknown.body.exceptionId as string;
    expect(id).toMatch(/^exc-/);
  });

  it('refuses paging parameters that are not, with 400 (never a store failure)', async () => {
    for (const query of [
      'before=garbage',
      'before=1',
      'before=99999-01-01T00:00:00Z',
      'limit=0',
      'limit=1e9',
      'limit=',
      'limit=5&limit=6',
      'state[]=open',
      'state=closed',
      'page=2',
    ]) {
      const res = await h.admin('GET', `/marketing/exceptions?${query}`, undefined, MARKETING);
      expect([query, res.status, codeOf(res.body)]).toEqual([query, 400, 'BAD_REQUEST']);
    }
    const ok = await h.admin('GET', `/marketing/exceptions?limit=1&before=2999-01-01T00:00:00Z`, undefined, MARKETING);
    expect(ok.status).toBe(200);
    expect(ok.body.items).toHaveLength(1);
  });

  it('pages through exceptions raised in one millisecond without skipping or repeating one', async () => {
    const at = new Date('2026-11-30T08:00:00.123Z');
    const ids = Array.from({ length: 5 }, (_, i) => `exc-00000000-0000-4000-8000-00000000000${i}`);
    await store.db.insert(marketingExceptions).values(
      ids.map((id, i) => ({
        id,
        cause: 'ORDER_FAILED',
        ref: `hostile-same-ms-${i}`,
        customerId: 'C00000007',
        detail: {},
        createdAt: at,
        state: 'open',
      })),
    );
    const seen: string[] = [];
    let before: string | null = '2026-11-30T08:00:01Z';
    while (before) {
      const page = await h.admin(
        'GET',
        `/marketing/exceptions?cause=ORDER_FAILED&limit=2&before=${encodeURIComponent(before)}`,
        undefined,
        MARKETING,
      );
      expect(page.status).toBe(200);
      seen.push(...page.body.items.map((e: { id: string }) => e.id));
      before = page.body.next as string | null;
    }
    expect(seen.filter((id) => ids.includes(id))).toEqual([...ids].reverse());
  });

  it('ids of the wrong shape are not found; bodies too large, not JSON or with control characters are refused', async () => {
    for (const bad of ['exc-zzz', 'x'.repeat(5000), '..%2F..%2Fadmin'])
      expect((await h.admin('GET', `/marketing/exceptions/${bad}`, undefined, MARKETING)).status).toBe(404);
    const post = (what: string, body: string) => raw('POST', `/marketing/exceptions/${id}/${what}`, body, MARKETING);
    expect((await post('assign', JSON.stringify({ assignee: 'a\u0007b' }))).status).toBe(400);
    expect((await post('assign', '{not json')).status).toBe(400);
    expect((await post('assign', '[]')).status).toBe(400);
    expect((await post('resolve', JSON.stringify({ resolution: 'x'.repeat(1_000_000) }))).status).toBe(413);
    expect((await post('resolve', JSON.stringify({ resolution: 'x'.repeat(501) }))).status).toBe(400);
    expect((await h.admin('GET', '/marketing/exceptions', undefined, asRole('front-desk'))).status).toBe(403);
    const resolved = await post('resolve', JSON.stringify({ resolution: '已人工处理\n客户已重新登记' }));
    expect(resolved.status).toBe(200);
    for (const [what, body] of [
      ['assign', { assignee: '李伟' }],
      ['resolve', { resolution: 'again' }],
    ] as const) {
      const res = await post(what, JSON.stringify(body));
      expect([res.status, codeOf(JSON.parse(res.text))]).toEqual([409, 'EXCEPTION_RESOLVED']);
    }
  });
});

describe('traces on', () => {
  const exporter = new InMemorySpanExporter();
  let tracing: Tracing | null = null;
  beforeAll(() => {
    // The spans kept in memory: what matters here is the gateway's answer to the client, and that no span takes the
    // malformed header as its parent.
    tracing = startTracing({ OTEL_TRACES_SAMPLER: 'parentbased_always_on' }, new SimpleSpanProcessor(exporter));
    expect(tracing).not.toBeNull();
  });
  afterAll(async () => {
    await tracing?.shutdown();
  });

  it('a malformed traceparent from a client breaks no request: it is ignored, a new trace starts', async () => {
    const malformed = [
      'garbage',
      '00-00000000000000000000000000000000-0000000000000000-01',
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01-extra',
      'ff-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01',
      `00-${'z'.repeat(32)}-${'z'.repeat(16)}-zz`,
      '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01,00-x',
      'x'.repeat(8000),
    ];
    for (const traceparent of malformed) {
      const res = await fetch(`${h.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...AUTH, traceparent, tracestate: '=,,=x' },
        body: JSON.stringify({ query: '{ customer(id: "C00000031") { id } }' }),
      });
      expect([traceparent.slice(0, 20), res.status]).toEqual([traceparent.slice(0, 20), 200]);
      expect(((await res.json()) as { data: { customer: { id: string } } }).data.customer.id).toBe('C00000031');
      const event = await h.send(
        {
          version: 1,
          id: `evt-hostile-trace-${process.pid}-${malformed.indexOf(traceparent)}`,
          type: 'DIRECTORY_ENQUIRY',
          customerId: 'C00000031',
          at: '2026-12-07T02:00:00Z',
          data: { number: '000' },
        },
        { traceparent },
      );
      expect(event.status).toBe(202);
    }
    await tracing?.flush();
    const operations = exporter.getFinishedSpans().filter((span) => span.name === 'operation graphql');
    expect(operations.length).toBeGreaterThanOrEqual(malformed.length);
    for (const span of operations) {
      expect(span.spanContext().traceId).toMatch(/^(?!0{32})[0-9a-f]{32}$/);
      expect(span.parentSpanContext?.spanId).toBeUndefined();
    }
  });
});
