/**
 * Recommendations carry `withheld`: the scoring system's offers checked in the gateway by the one eligibility check
 * campaigns and rules use, so every consumer learns which offer would be wrong now and why, over GraphQL and SOAP.
 * A role that may not read billing may not learn arrears through it: `withheld` is denied to it, like the section.
 */
import { DEFAULT_ROLES } from '../gateway/config';
import { crmProfile, scoringEvaluation } from '../mocks/dataset/customers';
import { asRole, roleConsumer, startHarness, type Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    security: {
      roles: { ...DEFAULT_ROLES, 'no-billing': { fields: { 'Customer.billing': 'deny' } } },
      consumers: ['front-desk', 'no-billing'].map(roleConsumer),
    },
  });
}, 30_000);
afterAll(() => h.close());
beforeEach(() => h.mocks.resetAll());

const OFFERS = `query Offers($id: ID!) { customer(id: $id) { recommendations { offerCode withheld { reason label labelEn } } } }`;

it('the suspended customer in arrears: every upsell withheld, with the reason in Chinese and English', async () => {
  const { body } = await h.gql(OFFERS, { id: 'C00000002' }, asRole('front-desk'));
  expect(body.errors).toBeUndefined();
  const offers = scoringEvaluation('C00000002')!.offers;
  expect(offers.length).toBeGreaterThan(0);
  expect(body.data.customer.recommendations).toEqual(
    offers.map((o) => ({
      offerCode: o.offerCode,
      withheld: { reason: 'SUSPENDED', label: '客户已停机', labelEn: 'the line is suspended' },
    })),
  );
});

it('an ordinary customer and one with no billing account: nothing withheld (no account is an answer)', async () => {
  for (const id of ['C00000001', 'C00000004']) {
    const { body } = await h.gql(OFFERS, { id }, asRole('front-desk'));
    expect(body.errors).toBeUndefined();
    expect(body.data.customer.recommendations.length).toBeGreaterThan(0);
    for (const r of body.data.customer.recommendations) expect(r.withheld).toBeNull();
  }
});

it('the sections withheld reads are loaded with the recommendations and counted in the provenance', async () => {
  const { body } = await h.gql(
    `query Offers($id: ID!) { customer(id: $id) { recommendations { ...Check } sources { source status } } }
     fragment Check on Recommendation { offerCode withheld { reason } }`,
    { id: 'C00000012' },
    asRole('front-desk'),
  );
  expect(body.errors).toBeUndefined();
  const status = Object.fromEntries(
    body.data.customer.sources.map((s: { source: string; status: string }) => [s.source, s.status]),
  );
  expect(status).toEqual({ crm: 'LIVE', billing: 'LIVE', warehouse: 'SKIPPED', scoring: 'LIVE' });
  // Without withheld, only scoring is asked.
  const plain = await h.gql(
    `{ customer(id: "C00000013") { recommendations { offerCode } sources { source status } } }`,
    {},
    asRole('front-desk'),
  );
  expect(
    plain.body.data.customer.sources
      .filter((s: { status: string }) => s.status !== 'SKIPPED')
      .map((s: { source: string }) => s.source),
  ).toEqual(['scoring']);
});

it('billing down: an offer that cannot be checked is withheld as such, never offered blind', async () => {
  await h.mocks.billing.faults.set({ down: '503' });
  // A customer nobody has read yet: nothing cached to fall back on.
  const { body } = await h.gql(OFFERS, { id: 'C00000011' }, asRole('front-desk'));
  for (const r of body.data.customer.recommendations) expect(r.withheld?.reason).toBe('LIVE_DATA_UNAVAILABLE');
});

it('a role that may not read billing may not read withheld either: FORBIDDEN naming it, the offers still there', async () => {
  const { body } = await h.gql(OFFERS, { id: 'C00000002' }, asRole('no-billing'));
  expect(body.data.customer.recommendations.map((r: { offerCode: string }) => r.offerCode)).toEqual(
    scoringEvaluation('C00000002')!.offers.map((o) => o.offerCode),
  );
  for (const r of body.data.customer.recommendations) expect(r.withheld).toBeNull();
  expect(body.errors.map((e: { extensions: { code: string; field: string } }) => e.extensions)).toEqual([
    { code: 'FORBIDDEN', field: 'Recommendation.withheld' },
  ]);
});

it('over SOAP, the same withheld reason on the recommendation', async () => {
  const res = await fetch(`${h.url}/soap/CustomerView`, {
    method: 'POST',
    headers: {
      'content-type': 'text/xml; charset=utf-8',
      soapaction: '"urn:ucv:customer-view:v1#GetCustomerView"',
      authorization: `Basic ${Buffer.from('front-desk:front-desk-password').toString('base64')}`,
    },
    body: `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:v="urn:ucv:customer-view:v1"><soap:Body><v:GetCustomerView><v:customerId>C00000002</v:customerId><v:section>recommendations</v:section></v:GetCustomerView></soap:Body></soap:Envelope>`,
  });
  const xml = await res.text();
  expect(res.status).toBe(200);
  expect(xml).toMatch(/<source>billing<\/source><sections>billing<\/sections><status>(LIVE|CACHED)<\/status>/);
  expect(xml).toContain(
    '<withheld><reason>SUSPENDED</reason><label>客户已停机</label><labelEn>the line is suspended</labelEn></withheld>',
  );
  expect(crmProfile('C00000002')!.status).toBe('SUSPENDED');
});
