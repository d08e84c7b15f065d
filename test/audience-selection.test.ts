/**
 * Audiences are selected where the data lives: a gateway source whose adapter has an `audience` counts and pages the
 * customers a condition selects in the warehouse's nightly batch, through the protected command path. The answer
 * is exactly the customers the condition language's own `evaluate` selects over the batch's facts (the mock's data
 * set, computed again in this process); a wrong condition is refused with its path; a failing warehouse is a
 * failure, not an answer. Real HTTP against the warehouse mock, which builds its columns at the first extraction.
 */
import type { Source } from '../gateway/backends/source';
import { checkCondition, evaluate, sentence, type Condition, type FieldCatalog } from '../gateway/marketing/conditions';
import { CUSTOMER_COUNT } from '../mocks';
import { customerId } from '../mocks/dataset/identity';
import { batchFacts } from '../mocks/warehouse/audience';
import { startHarness, type Harness } from './support/harness';

/** The gateway's audience fields and the warehouse's columns they are (the adapter's documented translation). */
const COLUMN_OF: Record<string, string> = {
  segment: 'segment',
  tags: 'tags',
  valueTier: 'value_tier',
  churnProbability: 'churn_probability',
  lifetimeValue: 'lifetime_value',
  arpuAverage3m: 'arpu_3m_avg',
  arpuTrend: 'arpu_trend',
  dataPercent: 'data_pct',
  longDistancePercent: 'long_distance_pct',
  roamingDestinations: 'roaming_destinations',
  preferencePhoneHall: 'pref_phone_hall',
  preferenceSmsHall: 'pref_sms_hall',
  preferenceWebHall: 'pref_web_hall',
  preferenceWapHall: 'pref_wap_hall',
  preferenceSelfServiceTerminal: 'pref_self_service_terminal',
  region: 'region',
  products: 'products',
  status: 'status',
};

let h: Harness;
let source: Source;
let fields: FieldCatalog;
/** Every batch customer's facts under the gateway's field names, ascending by id. */
const batch: Array<{ id: string; facts: Record<string, unknown> }> = [];

// Each test walks the 100,000 customers of the data set, in this process and in the warehouse mock's: seconds on a
// quiet machine, more than the default 20 s with the machine loaded. The limit bounds a hang, not the work.
jest.setTimeout(180_000);

beforeAll(async () => {
  h = await startHarness({
    // The first extraction builds the batch's columns: a deadline no loaded machine reaches, and no slow-call count.
    policies: { warehouse: { commands: { timeoutMs: 120_000, breaker: { slowCallDurationMs: 120_000 } } } },
  });
  // Found by what it can do, as any consumer finds it: the gateway names no backend.
  source = h.gateway.sources.find((s) => s.adapter.audience)!;
  fields = source.adapter.audience!.fields;
  for (let n = 1; n <= CUSTOMER_COUNT; n++) {
    const id = customerId(n);
    const row = batchFacts(id);
    if (row)
      batch.push({ id, facts: Object.fromEntries(Object.entries(COLUMN_OF).map(([f, c]) => [f, row[c as never]])) });
  }
}, 180_000);
afterAll(() => h.close());
beforeEach(() => h.mocks.resetAll());

const selected = (where: Condition): string[] => batch.filter((c) => evaluate(where, c.facts)).map((c) => c.id);

async function count(where: unknown) {
  return source.command(source.adapter.audience!.count, 'audience', { where }, { requestId: 'count' });
}

/** Every page of the selection, in order; each page within its size, and `nextAfter` null only on the last. */
async function allIds(where: Condition, pageSize: number): Promise<{ ids: string[]; pages: number }> {
  const ids: string[] = [];
  let after: string | undefined;
  for (let pages = 1; ; pages++) {
    const outcome = await source.command(
      source.adapter.audience!.page,
      'audience',
      { where, pageSize, ...(after ? { after } : {}) },
      { requestId: `page-${pages}` },
    );
    if (!outcome.ok) throw new Error(`page ${pages}: ${JSON.stringify(outcome)}`);
    const page = outcome.value as { ids: string[]; nextAfter: string | null; batchDate: string };
    expect(page.ids.length).toBeLessThanOrEqual(pageSize);
    expect(page.batchDate).toMatch(/^\d{4}-\d{2}-\d{2}$/);
    ids.push(...page.ids);
    if (page.nextAfter === null) return { ids, pages };
    expect(page.nextAfter).toBe(page.ids[page.ids.length - 1]);
    after = page.nextAfter;
  }
}

const TARGET: Condition = {
  all: [
    { field: 'segment', operator: 'equal', value: 'YOUTH_DATA' },
    { field: 'churnProbability', operator: 'lessThan', value: 0.5 },
    { field: 'tags', operator: 'contains', value: 'frequent traveller to Hong Kong/Macau' },
  ],
};

const EVERY_KIND: Condition = {
  any: [
    {
      all: [
        { field: 'valueTier', operator: 'in', value: ['DIAMOND', 'PLATINUM'] },
        { field: 'arpuTrend', operator: 'equal', value: 'DOWN' },
        { field: 'preferenceSmsHall', operator: 'in', value: ['STRONGEST', 'STRONG'] },
      ],
    },
    {
      all: [
        { field: 'roamingDestinations', operator: 'contains', value: 'Japan' },
        { not: { field: 'products', operator: 'contains', value: 'DATA-HKMO' } },
        { field: 'region', operator: 'notIn', value: ['440100', '440300'] },
        { field: 'dataPercent', operator: 'greaterThanInclusive', value: 60 },
      ],
    },
    {
      all: [
        { field: 'status', operator: 'equal', value: 'SUSPENDED' },
        { field: 'lifetimeValue', operator: 'greaterThan', value: 5000 },
        { field: 'arpuAverage3m', operator: 'lessThanInclusive', value: 150 },
        { field: 'longDistancePercent', operator: 'lessThan', value: 30 },
        { field: 'tags', operator: 'doesNotContain', value: 'car lover' },
      ],
    },
  ],
};

it('counts and pages exactly the customers the condition selects', async () => {
  for (const where of [TARGET, EVERY_KIND]) {
    expect(checkCondition(where, fields)).toEqual([]);
    const expected = selected(where);
    expect(expected.length).toBeGreaterThan(100);
    const counted = await count(where);
    expect(counted).toMatchObject({ ok: true, value: { count: expected.length, batchDate: expect.any(String) } });
    // A page size that divides nothing: the page boundaries fall anywhere.
    const { ids, pages } = await allIds(where, 997);
    expect(pages).toBe(Math.max(1, Math.ceil(expected.length / 997)));
    expect(ids).toEqual(expected);
  }
});

it('extracts a broad audience in pages of 10,000', async () => {
  const where: Condition = { field: 'status', operator: 'equal', value: 'ACTIVE' };
  const expected = selected(where);
  expect(expected.length).toBeGreaterThan(90_000);
  const { ids, pages } = await allIds(where, 10_000);
  expect(pages).toBe(Math.ceil(expected.length / 10_000));
  expect(ids).toEqual(expected);
});

it('answers an empty selection with no ids and no next page', async () => {
  const where: Condition = { field: 'churnProbability', operator: 'greaterThan', value: 1 };
  expect(await count(where)).toMatchObject({ ok: true, value: { count: 0 } });
  expect(await allIds(where, 10)).toEqual({ ids: [], pages: 1 });
});

it('refuses a wrong condition with its path, in the gateway field names, as checkCondition does', async () => {
  const wrongOperator = {
    all: [TARGET, { field: 'roamingDestinations', operator: 'lessThan', value: 3 }],
  };
  expect(checkCondition(wrongOperator, fields)).toMatchObject([{ path: 'where.all.1.operator' }]);
  const refused = await count(wrongOperator);
  expect(refused).toMatchObject({ ok: false, rejected: true, detail: 'invalid' });
  expect(refused.ok === false && refused.rejected && refused.message).toMatch(
    /^where\.all\.1\.operator: .*"roamingDestinations"/,
  );
  expect(source.commandBreakerState()).toBe('CLOSED');

  const wrongValue = { field: 'churnProbability', operator: 'lessThan', value: '0.5' };
  expect(await count(wrongValue)).toMatchObject({ rejected: true, message: expect.stringMatching(/^where\.value: /) });

  // An unknown field is refused before anything is sent.
  const before = h.mocks.warehouse.faults.requests().total;
  const unknownField = { any: [{ field: 'segmnt', operator: 'equal', value: 'FAMILY' }] };
  expect(await count(unknownField)).toMatchObject({
    ok: false,
    rejected: true,
    detail: 'invalid',
    message: 'where.any.0.field: no audience field named "segmnt"',
  });
  expect(checkCondition(unknownField, fields)).toMatchObject([
    { path: 'where.any.0.field', expected: 'one of segment' },
  ]);
  expect(h.mocks.warehouse.faults.requests().total).toBe(before);

  const page = await source.command(
    source.adapter.audience!.page,
    'audience',
    { where: TARGET, pageSize: 20_000 },
    { requestId: 'too-big' },
  );
  expect(page).toMatchObject({
    ok: false,
    rejected: true,
    detail: 'invalid',
    message: expect.stringMatching(/^pageSize/),
  });
});

it('takes a failing or garbled warehouse as a failure of the command, not an answer', async () => {
  h.mocks.warehouse.faults.set({ failNext: 1 });
  expect(await count(TARGET)).toMatchObject({ ok: false, rejected: false, reason: 'error' });
  h.mocks.warehouse.faults.set({ wrongShape: true });
  expect(await count(TARGET)).toMatchObject({ ok: false, rejected: false, reason: 'bad_response' });
});

it('reads the selection as a sentence with the warehouse fields labels', () => {
  expect(sentence(TARGET, fields, 'zh')).toBe('客户分群为"年轻数据用户"，且流失概率小于 0.5，且标签含"港澳常旅客"');
  expect(sentence({ field: 'preferenceSmsHall', operator: 'in', value: ['STRONGEST', 'STRONG'] }, fields, 'en')).toBe(
    'SMS hall preference is one of "strongest", "strong"',
  );
});

it('answers the extraction API in the warehouse own terms, with the path of a bad condition', async () => {
  const post = async (route: string, body: unknown) => {
    const res = await fetch(`${h.mocks.warehouse.url}/edw/v1/extractions:${route}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
    return { status: res.status, body: (await res.json()) as Record<string, unknown> };
  };
  const where = { all: [{ field: 'value_tier', operator: 'equal', value: 'DIAMOND' }] };
  const expected = selected({ all: [{ field: 'valueTier', operator: 'equal', value: 'DIAMOND' }] });
  expect(await post('count', { where })).toEqual({
    status: 200,
    body: { count: expected.length, batch_date: expect.any(String) },
  });
  expect(await post('page', { where, page_size: 5, after: expected[2] })).toEqual({
    status: 200,
    body: { ids: expected.slice(3, 8), next_after: expected[7], batch_date: expect.any(String) },
  });
  expect(await post('count', { where: { all: [{ field: 'valueTier', operator: 'equal', value: 'GOLD' }] } })).toEqual({
    status: 400,
    body: { error_code: 'BAD_CONDITION', message: 'unknown column "valueTier"', path: 'where.all.0.field' },
  });
  expect(await post('count', { where: { not: { any: [] } } })).toMatchObject({
    status: 400,
    body: { error_code: 'BAD_CONDITION', path: 'where.not.any' },
  });
  expect(await post('page', { where, page_size: 0 })).toMatchObject({ status: 400, body: { path: 'page_size' } });
});
