/**
 * recordContact over GraphQL, on PGlite and on PostgreSQL: a retried key records once and answers what the first
 * answered; the CRM down → ACCEPTED, then delivered exactly once after recovery, in order per customer; the recorded
 * contact shows in the next view; a role that may not record gets FORBIDDEN. Real HTTP, real CRM mock, real stores.
 */
import pino from 'pino';
import { startMocks, type Mocks } from '../mocks';
import { createGateway, type Gateway } from '../gateway/app/server';
import { postGraphQL, sha256, testConfig } from './support/harness';
import { ENGINES, testStores } from './support/store';

const stores = testStores();
let mocks: Mocks;
beforeAll(async () => {
  mocks = await startMocks();
});
afterAll(async () => {
  await mocks.close();
  await stores.cleanup();
});

const DESK = { 'x-api-key': 'desk-key-0123456789abcdef' };
const SELF = { 'x-api-key': 'self-key-0123456789abcdef' };
const MARKETING = { 'x-api-key': 'mkt-key-0123456789abcdef' };

const RECORD = `mutation Record($input: ContactInput!, $key: String) {
  recordContact(input: $input, idempotencyKey: $key) { status contactId idempotencyKey acceptedAt }
}`;
const CONTACTS = `query($id: ID!) { customer(id: $id) { contacts { id channel at type outcome } } }`;

const contact = (customerId: string, type = 'CAMPAIGN_OFFER') => ({
  customerId,
  channel: 'CALL_CENTER',
  type,
  outcome: 'ACCEPTED',
  offerCode: 'DATA-10G',
  response: 'ACCEPTED',
});

/** What the CRM mock holds for the customer that was recorded through its POST (newest first). */
async function recordedInCrm(
  customerId: string,
): Promise<Array<{ contactId: string; contactType: string; agentId?: string }>> {
  const body = (await (await fetch(`${mocks.urls.crm}/api/v1/customers/${customerId}/contacts`)).json()) as {
    items: Array<{ contactId: string; contactType: string; agentId?: string }>;
  };
  return body.items.filter((c) => c.contactId.includes('-r'));
}
const crmPosts = (): number => mocks.crm.faults.requests().byRoute['POST /api/v1/customers/:id/contacts'] ?? 0;

async function until(check: () => Promise<boolean>, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > end) throw new Error('condition not met in time');
    await new Promise((r) => setTimeout(r, 50));
  }
}

describe.each(ENGINES)('on %s', (engine) => {
  let gateway: Gateway;
  let url: string;
  let prefix: string;
  beforeAll(async () => {
    // Customer ids of their own per engine: the CRM mock is shared by both runs.
    prefix = engine === 'pglite' ? 'C0000010' : 'C0000020';
    const store = await stores.open(engine);
    const config = testConfig(mocks, {
      policies: { crm: { commands: { timeoutMs: 500, breaker: { resetTimeoutMs: 100 } } } },
      touchpoints: { outbox: { pollMs: 50, backoffMs: 50, maxBackoffMs: 200 } },
      security: {
        consumers: [
          { id: 'desk-1', role: 'front-desk', apiKeySha256: sha256(DESK['x-api-key']) },
          { id: 'self-1', role: 'self-service', apiKeySha256: sha256(SELF['x-api-key']) },
          { id: 'mkt-1', role: 'marketing', apiKeySha256: sha256(MARKETING['x-api-key']) },
        ],
      },
    });
    gateway = createGateway(config, { logger: pino({ level: 'silent' }), store });
    url = await gateway.listen();
  }, 60_000); // a store on each engine, mocks and a gateway: as the other store-backed files allow
  afterAll(() => gateway.close());
  beforeEach(() => mocks.resetAll());

  it('records a contact (RECORDED), and a retry of its key records nothing more and answers the same', async () => {
    const id = `${prefix}1`;
    const first = await postGraphQL(url, RECORD, { input: contact(id), key: `k-${engine}-1` }, DESK);
    expect(first.status).toBe(200);
    expect(first.body.data.recordContact).toMatchObject({
      status: 'RECORDED',
      contactId: expect.any(String),
      idempotencyKey: `k-${engine}-1`,
    });
    const again = await postGraphQL(url, RECORD, { input: contact(id), key: `k-${engine}-1` }, DESK);
    expect(again.body.data.recordContact).toEqual(first.body.data.recordContact);
    expect(crmPosts()).toBe(1);
    const stored = await recordedInCrm(id);
    expect(stored).toHaveLength(1);
    // The consumer is the agent when none is given.
    expect(stored[0]?.agentId).toBe('desk-1');
  });

  it('records a contact whose time has its offset in the basic form (+0800) or the extended one (+08:00)', async () => {
    for (const [i, at] of ['2026-11-30T09:15:00+0800', '2026-11-30T09:16:00.5+08:00'].entries()) {
      const res = await postGraphQL(
        url,
        RECORD,
        { input: { ...contact(`${prefix}9`), at }, key: `at-${engine}-${i}` },
        DESK,
      );
      expect(res.body.errors).toBeUndefined();
      expect(res.body.data.recordContact.status).toBe('RECORDED');
    }
  });

  it('takes the key from the Idempotency-Key header, or derives one; the same key with other content is a conflict', async () => {
    const id = `${prefix}2`;
    const byHeader = await postGraphQL(
      url,
      RECORD,
      { input: contact(id) },
      { ...DESK, 'idempotency-key': `h-${engine}` },
    );
    expect(byHeader.body.data.recordContact.idempotencyKey).toBe(`h-${engine}`);
    const conflict = await postGraphQL(
      url,
      RECORD,
      { input: { ...contact(id), outcome: 'DECLINED' } },
      { ...DESK, 'idempotency-key': `h-${engine}` },
    );
    expect(conflict.status).toBe(409);
    expect(conflict.body.errors[0].extensions.code).toBe('IDEMPOTENCY_CONFLICT');
    const derived = await postGraphQL(url, RECORD, { input: contact(id, 'COMPLAINT') }, DESK);
    const derivedAgain = await postGraphQL(url, RECORD, { input: contact(id, 'COMPLAINT') }, DESK);
    expect(derived.body.data.recordContact.idempotencyKey).toMatch(/^derived-/);
    expect(derivedAgain.body.data.recordContact).toEqual(derived.body.data.recordContact);
    expect((await recordedInCrm(id)).map((c) => c.contactType).sort()).toEqual(['CAMPAIGN_OFFER', 'COMPLAINT']);
  });

  it('answers two identical requests sent at once the same, recording once (the second waits for the first)', async () => {
    const id = `${prefix}8`;
    mocks.crm.faults.set({ latencyMs: 150 });
    const [one, two] = await Promise.all(
      [0, 1].map(() => postGraphQL(url, RECORD, { input: contact(id, 'BILL_ENQUIRY'), key: `twin-${engine}` }, DESK)),
    );
    expect(one?.body.data.recordContact.status).toBe('RECORDED');
    expect(two?.body.data.recordContact).toEqual(one?.body.data.recordContact);
    expect(crmPosts()).toBe(1);
  });

  it('shows a recorded contact in the next view (its cache entry evicted)', async () => {
    const id = `${prefix}3`;
    const before = await postGraphQL(url, CONTACTS, { id }, DESK);
    const count = before.body.data.customer.contacts.length;
    const recorded = await postGraphQL(url, RECORD, { input: contact(id, 'TOP_UP'), key: `view-${engine}` }, DESK);
    expect(recorded.body.data.recordContact.status).toBe('RECORDED');
    const after = await postGraphQL(url, CONTACTS, { id }, DESK);
    expect(after.body.data.customer.contacts).toHaveLength(count + 1);
    expect(after.body.data.customer.contacts.map((c: { id: string }) => c.id)).toContain(
      recorded.body.data.recordContact.contactId,
    );
  });

  it('with the CRM down, accepts into the outbox, then delivers exactly once after recovery, in order per customer', async () => {
    const [a, b] = [`${prefix}4`, `${prefix}5`];
    mocks.crm.faults.set({ down: '503' });
    const order = ['BILL_ENQUIRY', 'TOP_UP', 'COMPLAINT'];
    const answers = [];
    for (const [i, type] of order.entries())
      answers.push(await postGraphQL(url, RECORD, { input: contact(a, type), key: `down-${engine}-${i}` }, DESK));
    answers.push(
      await postGraphQL(url, RECORD, { input: contact(b, 'PACKAGE_CHANGE'), key: `down-${engine}-b` }, DESK),
    );
    for (const answer of answers) expect(answer.body.data.recordContact.status).toBe('ACCEPTED');
    // A retry while it waits answers the same: ACCEPTED, recorded once.
    const retry = await postGraphQL(url, RECORD, { input: contact(a, 'BILL_ENQUIRY'), key: `down-${engine}-0` }, DESK);
    expect(retry.body.data.recordContact).toEqual(answers[0]?.body.data.recordContact);

    const metric = async (name: string): Promise<number> => {
      const text = await (await fetch(`${url}/metrics`)).text();
      return Number(new RegExp(`^${name} (\\S+)$`, 'm').exec(text)?.[1] ?? Number.NaN);
    };
    // The worker reports the backlog: the four contacts wait (one may be mid-delivery attempt, still pending).
    await until(async () => (await metric('ucv_outbox_depth')) === 4);
    expect(await metric('ucv_outbox_oldest_age_seconds')).toBeGreaterThan(0);

    mocks.crm.faults.set({ down: false });
    await until(async () => (await recordedInCrm(a)).length === 3 && (await recordedInCrm(b)).length === 1);
    await until(async () => (await metric('ucv_outbox_depth')) === 0);
    // Newest first in the CRM: reversed, the order of arrival is the order of recording.
    expect((await recordedInCrm(a)).map((c) => c.contactType).reverse()).toEqual(order);
    // Nothing more arrives later: exactly once.
    await new Promise((r) => setTimeout(r, 300));
    expect(await recordedInCrm(a)).toHaveLength(3);
    expect(await recordedInCrm(b)).toHaveLength(1);
  });

  it('refuses a role that may not record (self-service, marketing) with FORBIDDEN, recording nothing', async () => {
    const id = `${prefix}6`;
    for (const headers of [SELF, MARKETING]) {
      const res = await postGraphQL(url, RECORD, { input: contact(id), key: `forbidden-${engine}` }, headers);
      expect(res.body.errors[0].extensions.code).toBe('FORBIDDEN');
      expect(res.body.data?.recordContact ?? null).toBeNull();
    }
    expect(crmPosts()).toBe(0);
  });

  it('refuses an invalid contact and an unknown customer with catalog codes', async () => {
    const bad = await postGraphQL(
      url,
      RECORD,
      { input: { ...contact(`${prefix}7`), at: 'yesterday' }, key: `bad-${engine}` },
      DESK,
    );
    expect(bad.body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
    const unknown = await postGraphQL(url, RECORD, { input: contact('C99999999'), key: `unknown-${engine}` }, DESK);
    expect(unknown.body.errors[0].extensions.code).toBe('NOT_FOUND');
    const unknownAgain = await postGraphQL(
      url,
      RECORD,
      { input: contact('C99999999'), key: `unknown-${engine}` },
      DESK,
    );
    expect(unknownAgain.body.errors[0].extensions.code).toBe('NOT_FOUND');
    const badKey = await postGraphQL(url, RECORD, { input: contact(`${prefix}7`), key: 'has a space' }, DESK);
    expect(badKey.body.errors[0]).toMatchObject({
      message: 'The idempotency key must be 1 to 128 printable ASCII characters without spaces.',
      extensions: { code: 'BAD_USER_INPUT' },
    });
    expect(crmPosts()).toBe(1); // only the unknown customer's first request reached the CRM
  });
});
