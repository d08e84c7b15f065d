/**
 * The rendered-answer cache (gateway/pipeline/answer-cache.ts), through real HTTP and SOAP over the real mocks: a hit
 * calls no backend and is the answer an uncached gateway gives (masks, provenance, ages rendered now); a change
 * event makes the next answer fresh; two roles never share an answer; an open breaker or a STALE record is never
 * served from it; the audit trail records every hit. A customer's first read, which fetches its records, is answered
 * and not kept (cache.keepAnswers onReuse); the next is kept, the one after a hit.
 */
import { eq } from 'drizzle-orm';
import pino from 'pino';
import { signEvent } from '../gateway/inbound/events/signature';
import { MASKS } from '../gateway/pipeline/mask';
import { crmProfile } from '../mocks/dataset/customers';
import type { Mocks } from '../mocks';
import { createGateway } from '../gateway/app/server';
import { tables } from '../gateway/store';
import {
  answerCacheCounts,
  asRole,
  FULL_VIEW,
  LONG_TTLS,
  postGraphQL,
  readUntilKept,
  ROLE_SECURITY,
  startAnswerCachePair,
  startHarness,
  testConfig,
  type Harness,
} from './support/harness';
import { waitFor } from './support/wait';
import { testStores } from './support/store';

const SECRET = 'answer-cache-test-secret';
const as = asRole;
const security = ROLE_SECURITY;
const policies = LONG_TTLS;

let mocks: Mocks;
/** The answer cache on (the default). */
let h: Harness;
/** The same gateway with the answer cache off: the reference answers. */
let plain: Harness;
let close: () => Promise<void>;
// Long TTLs (LONG_TTLS): within a test, only what the test does may make a record (and so an answer) out of date.
beforeAll(
  async () => ({ mocks, h, plain, close } = await startAnswerCachePair({ events: { secrets: { crm: SECRET } } })),
);
afterAll(() => close());

const answerCache = (g: Harness) => answerCacheCounts(g.url);
/** Waits until the answer of the last miss is kept (it is stored once its records' outcomes are in). */
const stored = async (g: Harness, count: number): Promise<void> =>
  void (await waitFor(async () => (await answerCache(g)).stored >= count, { what: `${count} answers kept` }));
// eslint-disable-next-line @typescript-eslint/no-explicit-any
const withoutAges = (body: any): any =>
  JSON.parse(JSON.stringify(body), (key, value) =>
    key === 'ageMs' || key === 'fetchedAt' || key === 'requestId' ? undefined : value,
  );

it('a hit calls no backend and answers what the gateway without the answer cache answers, ages rendered now', async () => {
  const id = 'C00000011';
  const { stored: keptBefore, first_read: passedBefore } = await answerCache(h);
  const first = await h.gql(FULL_VIEW, { id }, as('front-desk'));
  expect(first.body.errors).toBeUndefined();
  expect(first.body.data.customer.sources.find((s: { source: string }) => s.source === 'crm').status).toBe('LIVE');
  // A first read is not kept: it fetched its records for a question never asked. Asked again, it is.
  await waitFor(async () => (await answerCache(h)).first_read === passedBefore + 1, {
    what: 'the first read passed over',
  });
  expect((await answerCache(h)).stored).toBe(keptBefore);
  await h.gql(FULL_VIEW, { id }, as('front-desk'));
  await stored(h, keptBefore + 1);
  mocks.resetAll();
  await new Promise((r) => setTimeout(r, 30)); // time that must pass, for the age below: a load only makes it longer
  const hit = await h.gql(FULL_VIEW, { id }, as('front-desk'));
  expect(h.counts()).toEqual({ crm: 0, billing: 0, warehouse: 0, scoring: 0 });
  expect((await answerCache(h)).hit).toBe(1);
  // The reference: the same request twice through the gateway without it (the second from its record cache).
  await plain.gql(FULL_VIEW, { id }, as('front-desk'));
  const reference = await plain.gql(FULL_VIEW, { id }, as('front-desk'));
  expect(withoutAges(hit.body)).toEqual(withoutAges(reference.body));
  expect(hit.body.data.customer.profile.idCardNumber).toBe(
    MASKS.idCard((crmProfile(id) as { idCardNo: string }).idCardNo),
  );
  // Provenance says CACHED, and its ages are of now, not of the kept answer, in data and in extensions.
  const crm = (body: { data: { customer: { sources: Array<{ source: string; status: string; ageMs: number }> } } }) =>
    body.data.customer.sources.find((s) => s.source === 'crm');
  expect(crm(hit.body)).toMatchObject({ status: 'CACHED', latencyMs: null });
  expect(crm(hit.body)?.ageMs).toBeGreaterThanOrEqual(30);
  const inExtensions = hit.body.extensions.sources[0].sources.find((s: { source: string }) => s.source === 'crm')
    .ageMs as number;
  expect(inExtensions - (crm(hit.body)?.ageMs ?? 0)).toBeGreaterThanOrEqual(0); // rendered a moment later
  expect(inExtensions - (crm(hit.body)?.ageMs ?? 0)).toBeLessThan(1000);
});

it('two roles never share an answer: each gets its own masks, hit or not', async () => {
  const id = 'C00000012';
  const profile = crmProfile(id) as { address: string; idCardNo: string };
  const QUERY = `query($id: ID!) { customer(id: $id) { profile { idCardNumber address } } }`;
  const keptBefore = (await answerCache(h)).stored;
  for (let round = 0; round < 4; round++) {
    const [frontDesk, callCenter] = await Promise.all([
      h.gql(QUERY, { id }, as('front-desk')),
      h.gql(QUERY, { id }, as('call-center')),
    ]);
    expect(frontDesk.body.data.customer.profile).toEqual({
      idCardNumber: MASKS.idCard(profile.idCardNo),
      address: profile.address,
    });
    expect(callCenter.body.data.customer.profile).toEqual({
      idCardNumber: MASKS.idCard(profile.idCardNo),
      address: MASKS.cityOnly(profile.address),
    });
    // Each role's answer kept by the second round (the first read fetched the records), so the later rounds are hits.
    if (round === 1) await stored(h, keptBefore + 2);
  }
  // The later rounds were hits: each role's own.
  expect((await answerCache(h)).hit).toBeGreaterThanOrEqual(2);
});

it('a role with denied fields gets from a hit the same nulls and FORBIDDEN errors, once each', async () => {
  const id = 'C00000019';
  let first = await h.gql(FULL_VIEW, { id }, as('marketing'));
  expect(first.body.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toContain('FORBIDDEN');
  await readUntilKept(h.url, async () => (first = await h.gql(FULL_VIEW, { id }, as('marketing'))));
  const hits = (await answerCache(h)).hit;
  mocks.resetAll();
  const hit = await h.gql(FULL_VIEW, { id }, as('marketing'));
  expect(h.counts()).toEqual({ crm: 0, billing: 0, warehouse: 0, scoring: 0 });
  expect((await answerCache(h)).hit).toBe(hits + 1);
  await plain.gql(FULL_VIEW, { id }, as('marketing'));
  const reference = await plain.gql(FULL_VIEW, { id }, as('marketing'));
  expect(withoutAges(hit.body)).toEqual(withoutAges(reference.body));
  // Nothing doubled on the kept answer: the same errors as the first, executed answer.
  expect(hit.body.errors).toEqual(first.body.errors);
});

/**
 * Four reads of one view on a gateway auditing into PostgreSQL: the first fetches its records (not kept), the second
 * is kept before the next, the last two are hits. Each read's audit rows as [customer, role, fields].
 */
async function auditedReads(notPersonalData?: string[]): Promise<Array<Array<[string, string, string[]]>>> {
  const stores = testStores();
  try {
    const store = await stores.open('postgres');
    const audit = notPersonalData ? { audit: { notPersonalData } } : {};
    const g = createGateway(testConfig(mocks, { security, policies, ...audit }), {
      logger: pino({ level: 'silent' }),
      store,
    });
    const url = await g.listen();
    try {
      const QUERY = `query($id: ID!) { customer(id: $id) { id profile { name idCardNumber } sources { source status latencyMs } } }`;
      const prefix = `answer-cache-audit-${notPersonalData ? 'sources' : 'default'}`;
      for (let i = 0; i < 4; i++) {
        const res = await postGraphQL(
          url,
          QUERY,
          { id: 'C00000018' },
          { ...as('front-desk'), 'x-request-id': `${prefix}-${i}` },
        );
        expect(res.body.data.customer.profile.name).toEqual(expect.any(String));
        // The second answer kept before the next request (the first fetched its records), so the later ones are hits.
        if (i === 1)
          await waitFor(async () => (await answerCacheCounts(url)).stored === 1, { what: 'the second answer kept' });
      }
      expect((await answerCacheCounts(url)).hit).toBe(2);
      const reads: Array<Array<[string, string, string[]]>> = [];
      for (let i = 0; i < 4; i++) {
        const rows = await store.db
          .select()
          .from(tables.auditLog)
          .where(eq(tables.auditLog.requestId, `${prefix}-${i}`));
        reads.push(rows.map((r) => [r.customerId, r.role, r.fields]));
      }
      return reads;
    } finally {
      await g.close();
    }
  } finally {
    await stores.cleanup();
  }
}

it('the audit trail records every answered read, hits included, with the fields each carried', async () => {
  const row: [string, string, string[]] = ['C00000018', 'front-desk', ['profile.idCardNumber', 'profile.name']];
  expect(await auditedReads()).toEqual([[row], [row], [row], [row]]);
}, 60_000);

it('with provenance declared personal, each read records the provenance it carried (a cached one has no latency)', async () => {
  // The first read fetched its records (a latency each); the second was answered from the record cache, the rest hits.
  const [miss, ...hits] = await auditedReads(['id']);
  const personal = ['profile.idCardNumber', 'profile.name'];
  expect(miss).toEqual([
    ['C00000018', 'front-desk', [...personal, 'sources.latencyMs', 'sources.source', 'sources.status'].sort()],
  ]);
  for (const hit of hits)
    expect(hit).toEqual([['C00000018', 'front-desk', [...personal, 'sources.source', 'sources.status'].sort()]]);
}, 60_000);

it('a CRM change event makes the next answer fresh', async () => {
  const id = 'C00000013';
  const QUERY = `query($id: ID!) { customer(id: $id) { products { code } } }`;
  await readUntilKept(h.url, () => h.gql(QUERY, { id }, as('front-desk')));
  mocks.resetAll();
  await h.gql(QUERY, { id }, as('front-desk'));
  expect(h.counts().crm).toBe(0);
  // The CRM changes the customer's products and says so, signed.
  const before = (await (await fetch(`${mocks.crm.url}/api/v1/customers/${id}/products`)).json()) as {
    items: Array<{ code: string }>;
  };
  const offer = ['VAS-CLOUD', 'DATA-HKMO', 'VAS-NEWS'].find((c) => !before.items.some((p) => p.code === c)) as string;
  const order = await fetch(`${mocks.crm.url}/api/v1/customers/${id}/products`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ offerCode: offer }),
  });
  expect(order.status).toBe(201);
  const body = JSON.stringify({ type: 'customer.products.changed', customerId: id });
  const event = await fetch(`${h.url}/events/crm`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-ucv-signature': signEvent(SECRET, body) },
    body,
  });
  expect(event.status).toBeLessThan(300);
  mocks.resetAll();
  const keptBefore = (await answerCache(h)).stored;
  const fresh = await h.gql(QUERY, { id }, as('front-desk'));
  expect(h.counts().crm).toBeGreaterThan(0);
  expect(fresh.body.data.customer.products.map((p: { code: string }) => p.code)).toContain(offer);
  // The fresh answer fetched its records, but its question was asked before: it is kept at once, and served next.
  await stored(h, keptBefore + 1);
  mocks.resetAll();
  const next = await h.gql(QUERY, { id }, as('front-desk'));
  expect(h.counts().crm).toBe(0);
  expect(next.body.data.customer.products.map((p: { code: string }) => p.code)).toContain(offer);
});

it('SOAP: a hit calls no backend and answers as the gateway without the cache does', async () => {
  const envelope = `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:v="urn:ucv:customer-view:v1"><soap:Body><v:GetCustomerView><v:customerId>C00000014</v:customerId></v:GetCustomerView></soap:Body></soap:Envelope>`;
  const post = async (g: Harness): Promise<string> => {
    const res = await fetch(`${g.url}/soap/CustomerView`, {
      method: 'POST',
      headers: {
        'content-type': 'text/xml',
        authorization: `Basic ${Buffer.from('call-center:call-center-password').toString('base64')}`,
      },
      body: envelope,
    });
    expect(res.status).toBe(200);
    return res.text();
  };
  await readUntilKept(h.url, () => post(h));
  mocks.resetAll();
  const hits = (await answerCache(h)).hit;
  const hit = await post(h);
  expect(h.counts()).toEqual({ crm: 0, billing: 0, warehouse: 0, scoring: 0 });
  expect((await answerCache(h)).hit).toBe(hits + 1);
  await post(plain);
  const reference = await post(plain);
  const timeless = (xml: string) =>
    xml.replace(/<(ageMs|fetchedAt)>[^<]*<\/(ageMs|fetchedAt)>/g, '').replace(/[0-9a-f-]{36}/g, '');
  expect(timeless(hit)).toBe(timeless(reference));
  expect(hit).toContain(MASKS.cityOnly((crmProfile('C00000014') as { address: string }).address));
});

describe('never from the cache', () => {
  let f: Harness;
  beforeAll(async () => {
    // Scoring's breaker opens on the first failure and stays open; CRM's records are fresh for 1 s, then stale for a minute.
    f = await startHarness({
      security,
      policies: {
        ...policies,
        crm: { cache: { ttlSeconds: 1, staleSeconds: 60 }, retry: { attempts: 0 } },
        scoring: {
          cache: { ttlSeconds: 300 },
          retry: { attempts: 0 },
          breaker: { consecutiveFailures: 1, volumeThreshold: 1, resetTimeoutMs: 60_000 },
        },
      },
    });
  });
  afterAll(() => f.close());

  it('an answer with a STALE record is neither kept nor served', async () => {
    const id = 'C00000015';
    const QUERY = `query($id: ID!) { customer(id: $id) { profile { name } sources { source status } } }`;
    await readUntilKept(f.url, () => f.gql(QUERY, { id }, as('front-desk')));
    f.mocks.crm.faults.set({ down: '503' });
    await new Promise((r) => setTimeout(r, 1100)); // CRM's record is no longer fresh: its 1 s TTL must pass
    for (let i = 0; i < 2; i++) {
      f.mocks.resetAll();
      f.mocks.crm.faults.set({ down: '503' });
      const { body } = await f.gql(QUERY, { id }, as('front-desk'));
      expect(body.data.customer.sources.find((s: { source: string }) => s.source === 'crm').status).toBe('STALE');
      expect(f.counts().crm).toBeGreaterThan(0); // asked again: the stale answer was not kept
    }
    expect((await answerCache(f)).hit).toBe(0);
    f.mocks.resetAll();
  });

  it('an open breaker is never answered from it', async () => {
    const id = 'C00000016';
    const QUERY = `query($id: ID!) { customer(id: $id) { score { creditScore } sources { source breaker } } }`;
    await readUntilKept(f.url, () => f.gql(QUERY, { id }, as('front-desk')));
    await f.gql(QUERY, { id }, as('front-desk'));
    const hits = (await answerCache(f)).hit;
    expect(hits).toBeGreaterThan(0);
    // Another customer's scoring call fails: the breaker opens.
    f.mocks.scoring.faults.set({ down: '503' });
    await f.gql(QUERY, { id: 'C00000017' }, as('front-desk'));
    const { body } = await f.gql(QUERY, { id }, as('front-desk'));
    expect(body.data.customer.sources.find((s: { source: string }) => s.source === 'scoring').breaker).toBe('OPEN');
    expect((await answerCache(f)).hit).toBe(hits);
    f.mocks.resetAll();
  });
});

describe('which answers are kept (cache.keepAnswers)', () => {
  /** Room for a few full views only: what is kept decides what is pushed out. */
  const SMALL = { answerBytes: 24 * 1024 };
  const reads = async (g: Harness, ids: readonly string[]) => {
    for (const id of ids) await g.gql(FULL_VIEW, { id }, as('front-desk'));
  };
  // Customers whose views are whole (an answer with errors is never kept).
  const once = ['C00000101', 'C00000102', 'C00000103', 'C00000105', 'C00000106', 'C00000107', 'C00000108'];

  it('onReuse (the default): one-time reads are answered, not kept, and do not push out an answer read again', async () => {
    const g = await startHarness({ security, policies, cache: SMALL }, { mocks });
    try {
      await readUntilKept(g.url, () => g.gql(FULL_VIEW, { id: 'C00000100' }, as('front-desk')));
      const kept = (await answerCache(g)).stored;
      await reads(g, once);
      await waitFor(async () => (await answerCache(g)).first_read >= once.length + 1, { what: 'every first read' });
      expect((await answerCache(g)).stored).toBe(kept);
      const hits = (await answerCache(g)).hit;
      await reads(g, ['C00000100']);
      expect((await answerCache(g)).hit).toBe(hits + 1);
    } finally {
      await g.close();
    }
  });

  it('always: every first read is kept, and one-time reads push out the answer read again', async () => {
    const g = await startHarness({ security, policies, cache: { ...SMALL, keepAnswers: 'always' } }, { mocks });
    try {
      await g.gql(FULL_VIEW, { id: 'C00000100' }, as('front-desk'));
      await stored(g, 1);
      await reads(g, once);
      await stored(g, 1 + once.length);
      expect((await answerCache(g)).first_read).toBe(0);
      const hits = (await answerCache(g)).hit;
      await reads(g, ['C00000100']);
      expect((await answerCache(g)).hit).toBe(hits);
    } finally {
      await g.close();
    }
  });
});
