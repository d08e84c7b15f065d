/**
 * Roles and field rights, one plugin for GraphQL and SOAP: masked fields come back masked, identically on both
 * facades; a denied field is null with FORBIDDEN naming it, or the whole request is refused (403) for a role so
 * configured; a section a role may not read never reaches its backend; the cache keeps raw records, so an answer
 * never carries another role's rights.
 */
import * as soap from 'soap';
import { DEFAULT_ROLES } from '../gateway/config';
import { MASKS } from '../gateway/pipeline/mask';
import { crmProfile } from '../mocks/dataset/customers';
import { FULL_VIEW, NO_CACHE, sha256, startHarness, type Harness } from './support/harness';

const ID = 'C00000001';
const raw = crmProfile(ID) as NonNullable<ReturnType<typeof crmProfile>>;
const consumer = (role: string) => ({
  id: role,
  role,
  apiKeySha256: sha256(`${role}-key-0123`),
  username: role,
  password: `${role}-password`,
});
const as = (role: string) => ({ 'x-api-key': `${role}-key-0123` });
const ROLES = ['front-desk', 'call-center', 'self-service', 'marketing', 'legacy-billing', 'admin', 'strict'];

let h: Harness;
let cached: Harness;
beforeAll(async () => {
  const security = {
    roles: {
      // The default roles, plus one that refuses a request asking for what it may not read.
      ...DEFAULT_ROLES,
      strict: { fields: { 'Customer.billing': 'deny' as const }, onDenied: 'refuse' as const },
    },
    consumers: ROLES.map(consumer),
  };
  h = await startHarness({ policies: NO_CACHE, security });
  cached = await startHarness({ security }, { mocks: h.mocks });
});
afterAll(async () => {
  await cached.close();
  await h.close();
});
beforeEach(() => h.mocks.resetAll());

const PROFILE = `query($id: ID!) { customer(id: $id) { profile { name msisdn idCardNumber address email } } }`;

describe('masking by role', () => {
  it('the masking rules', () => {
    expect(MASKS.idCard('110101199001011234')).toBe('110***********1234');
    expect(MASKS.msisdn('13812345678')).toBe('138****5678');
    expect(MASKS.cityOnly('广东省深圳市南山区科技路1号')).toBe('广东省深圳市');
    expect(MASKS.email('zhang1@163.com')).toBe('z***@163.com');
    for (const [rule, mask] of Object.entries(MASKS))
      expect([rule, mask(mask('广东省深圳市南山区科技路1号'))]).toEqual([rule, mask('广东省深圳市南山区科技路1号')]);
  });

  it('front desk: the whole profile, the ID-card number masked', async () => {
    const { body } = await h.gql(PROFILE, { id: ID }, as('front-desk'));
    expect(body.errors).toBeUndefined();
    expect(body.data.customer.profile).toEqual({
      name: raw.name,
      msisdn: raw.msisdn,
      idCardNumber: MASKS.idCard(raw.idCardNo),
      address: raw.address,
      email: raw.email,
    });
  });

  it('call center: city only, ID card and e-mail masked', async () => {
    const { body } = await h.gql(PROFILE, { id: ID }, as('call-center'));
    expect(body.data.customer.profile).toEqual({
      name: raw.name,
      msisdn: raw.msisdn,
      idCardNumber: MASKS.idCard(raw.idCardNo),
      address: MASKS.cityOnly(raw.address),
      email: MASKS.email(raw.email),
    });
    expect(body.data.customer.profile.address).not.toContain('区');
  });

  it('self service: name and masked MSISDN; the rest of the profile denied, by name', async () => {
    const ok = await h.gql(
      `query($id: ID!) { customer(id: $id) { profile { name msisdn } billing { balance } } }`,
      { id: ID },
      as('self-service'),
    );
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.data.customer.profile).toEqual({ name: raw.name, msisdn: MASKS.msisdn(raw.msisdn) });
    const denied = await h.gql(
      `query($id: ID!) { customer(id: $id) { profile { name email } } }`,
      { id: ID },
      as('self-service'),
    );
    expect(denied.status).toBe(200);
    expect(denied.body.data.customer.profile).toEqual({ name: raw.name, email: null });
    expect(denied.body.errors).toEqual([
      {
        message: 'The role self-service may not read Profile.email.',
        path: ['customer', 'profile', 'email'],
        extensions: { code: 'FORBIDDEN', field: 'Profile.email' },
      },
    ]);
  });

  it('a denied non-null field nulls its nearest nullable parent, as GraphQL does', async () => {
    const { body } = await h.gql(
      `query($id: ID!) { customer(id: $id) { id profile { name idCardNumber } } }`,
      { id: ID },
      as('self-service'),
    );
    expect(body.data.customer).toEqual({ id: ID, profile: null });
    expect(body.errors.map((e: { extensions: { field: string } }) => e.extensions.field)).toEqual([
      'Profile.idCardNumber',
    ]);
  });

  it('masks through aliases and fragments', async () => {
    const { body } = await h.gql(
      `query($id: ID!) { customer(id: $id) { p: profile { ...P card: idCardNumber } } } fragment P on Profile { idCardNumber ... on Profile { address } }`,
      { id: ID },
      as('call-center'),
    );
    expect(body.data.customer.p).toEqual({
      idCardNumber: MASKS.idCard(raw.idCardNo),
      address: MASKS.cityOnly(raw.address),
      card: MASKS.idCard(raw.idCardNo),
    });
  });
});

describe('sections a role may not read are never fetched', () => {
  it('marketing: insights, score, recommendations and the eligibility facts; identity data, contacts and payment behaviour denied', async () => {
    const eligibility = `query($id: ID!) { customer(id: $id) {
      profile { name gender status type region { name } customerSince }
      products { code status } billing { balance bills { status dueDate } }
      insights { segment } score { creditScore } } }`;
    const allowed = await h.gql(eligibility, { id: ID }, as('marketing'));
    expect(allowed.body.errors).toBeUndefined();
    const c = allowed.body.data.customer;
    expect(c.profile.name).toMatch(/^.\*+$/u); // the surname a message greets with, the rest masked
    expect(c.profile.status).toEqual(expect.any(String));
    expect(c.products.length).toBeGreaterThan(0);
    expect(c.billing.balance).toEqual(expect.any(Number));
    expect(c.insights.segment).toEqual(expect.any(String));

    const { body } = await h.gql(FULL_VIEW, { id: ID }, as('marketing'));
    expect(body.data.customer.contacts).toBeNull();
    expect(body.data.customer.score.creditScore).toEqual(expect.any(Number));
    const forbidden = body.errors
      .filter((e: { extensions: { code: string } }) => e.extensions.code === 'FORBIDDEN')
      .map((e: { extensions: { field: string } }) => e.extensions.field)
      .sort();
    expect(forbidden).toEqual(
      [
        'Billing.paymentBehaviour',
        'Customer.contacts',
        'Profile.address',
        'Profile.email',
        'Profile.idCardNumber',
        'Profile.lifestyle',
        'Profile.msisdn',
      ].sort(),
    );
  });

  it('legacy billing: billing only; the CRM, warehouse and scoring never called', async () => {
    const { body } = await h.gql(FULL_VIEW, { id: ID }, as('legacy-billing'));
    expect(body.data.customer.billing.balance).toEqual(expect.any(Number));
    expect(h.counts()).toEqual({ crm: 0, billing: 1, warehouse: 0, scoring: 0 });
  });

  it('a role that refuses: 403 FORBIDDEN naming the field, before any backend call', async () => {
    const res = await h.gql(FULL_VIEW, { id: ID }, as('strict'));
    expect(res.status).toBe(403);
    expect(res.body.data).toBeUndefined();
    expect(res.body.errors).toEqual([
      expect.objectContaining({
        message: 'The role strict may not read Customer.billing.',
        extensions: { code: 'FORBIDDEN', fields: ['Customer.billing'] },
      }),
    ]);
    expect(h.counts()).toEqual({ crm: 0, billing: 0, warehouse: 0, scoring: 0 });
  });
});

it('the cache keeps raw records: a masked answer never reaches another role, nor a raw one a masked role', async () => {
  const [frontDesk, admin, callCenter] = await Promise.all(
    [as('front-desk'), as('admin'), as('call-center')].map((headers) =>
      cached.gql(PROFILE, { id: 'C00000007' }, headers),
    ),
  );
  if (!frontDesk || !admin || !callCenter) throw new Error('three answers expected');
  const card = (crmProfile('C00000007') as NonNullable<ReturnType<typeof crmProfile>>).idCardNo;
  expect(admin.body.data.customer.profile.idCardNumber).toBe(card);
  expect(frontDesk.body.data.customer.profile.idCardNumber).toBe(MASKS.idCard(card));
  expect(callCenter.body.data.customer.profile.idCardNumber).toBe(MASKS.idCard(card));
  for (let i = 0; i < 3; i++) {
    expect((await cached.gql(PROFILE, { id: 'C00000007' }, as('admin'))).body.data.customer.profile.idCardNumber).toBe(
      card,
    );
    expect((await cached.gql(PROFILE, { id: 'C00000007' }, as('call-center'))).body.data.customer.profile.address).toBe(
      MASKS.cityOnly((crmProfile('C00000007') as { address: string }).address),
    );
  }
});

/** A SOAP view's section errors as `section:code`, sorted (node-soap gives one error as an object, several as a list). */
const sectionErrors = (view: { sectionError?: unknown }): string[] =>
  [view.sectionError]
    .flat()
    .filter((e): e is { section: string; code: string } => e !== undefined)
    .map((e) => `${e.section}:${e.code}`)
    .sort();

describe('SOAP gets the same rights and masks', () => {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  const client = async (role: string): Promise<any> => {
    const c = await soap.createClientAsync(`${h.url}/soap/CustomerView?wsdl`);
    c.setSecurity(new soap.BasicAuthSecurity(role, `${role}-password`));
    return c;
  };

  it.each(['front-desk', 'call-center'])('%s: the profile is masked exactly as on GraphQL', async (role) => {
    const { body } = await h.gql(
      `query($id: ID!) { customer(id: $id) { profile { name msisdn idCardNumber address email } } }`,
      { id: ID },
      as(role),
    );
    const [result] = await (await client(role)).GetCustomerViewAsync({ customerId: ID, section: ['profile'] });
    const { name, msisdn, idCardNumber, address, email } = result.customer.profile;
    expect({ name, msisdn, idCardNumber, address, email }).toEqual(body.data.customer.profile);
  });

  it('self-service: GetCustomerView answers what the role may read of each section, as GraphQL does', async () => {
    const { body } = await h.gql(
      `query($id: ID!) { customer(id: $id) { profile { name msisdn } billing { balance creditLimit } } }`,
      { id: ID },
      as('self-service'),
    );
    expect(body.errors).toBeUndefined();
    const [view] = await (await client('self-service')).GetCustomerViewAsync({ customerId: ID });
    const { profile, billing } = view.customer;
    expect({ name: profile.name, msisdn: profile.msisdn }).toEqual(body.data.customer.profile);
    expect(Object.keys(profile).sort()).toEqual(['msisdn', 'name']);
    expect(Number(billing.balance)).toBe(body.data.customer.billing.balance);
    expect(Number(billing.creditLimit)).toBe(body.data.customer.billing.creditLimit);
    expect(billing.bills).toBeUndefined();
    expect(billing.paymentBehaviour).toBeUndefined();
    expect(sectionErrors(view)).toEqual([
      'contacts:FORBIDDEN',
      'insights:FORBIDDEN',
      'products:FORBIDDEN',
      'recommendations:FORBIDDEN',
      'score:FORBIDDEN',
    ]);
  });

  it('legacy billing: GetBillingSummary answers; the denied sections are FORBIDDEN and never fetched', async () => {
    const c = await client('legacy-billing');
    const [billing] = await c.GetBillingSummaryAsync({ customerId: ID });
    expect(billing.billing.balance).toEqual(expect.anything());
    h.mocks.resetAll();
    const [view] = await c.GetCustomerViewAsync({ customerId: ID });
    expect(view.customer.profile).toBeUndefined();
    expect(sectionErrors(view)).toEqual([
      'contacts:FORBIDDEN',
      'insights:FORBIDDEN',
      'products:FORBIDDEN',
      'profile:FORBIDDEN',
      'recommendations:FORBIDDEN',
      'score:FORBIDDEN',
    ]);
    expect(h.counts()).toEqual({ crm: 0, billing: 1, warehouse: 0, scoring: 0 });
  });

  it('a role that refuses gets a FORBIDDEN fault (403), no backend called', async () => {
    const res = await fetch(`${h.url}/soap/CustomerView`, {
      method: 'POST',
      headers: {
        'content-type': 'text/xml',
        authorization: `Basic ${Buffer.from('strict:strict-password').toString('base64')}`,
      },
      body: `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:v="urn:ucv:customer-view:v1"><soap:Body><v:GetBillingSummary><v:customerId>${ID}</v:customerId></v:GetBillingSummary></soap:Body></soap:Envelope>`,
    });
    expect(res.status).toBe(403);
    expect(await res.text()).toContain('<tns:code>FORBIDDEN</tns:code>');
    expect(h.counts()).toEqual({ crm: 0, billing: 0, warehouse: 0, scoring: 0 });
  });
});
