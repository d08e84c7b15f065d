/**
 * A role may be denied a root field (here `Query.customerByMsisdn`: a lookup by id only). SOAP builds its own
 * selection (every field of each section) and leaves out silently what the role may not read inside a section, but
 * the root field is the caller's own choice of operation: it is answered FORBIDDEN (or refused, for a role that
 * refuses) as on GraphQL, never as an unexpected error. Real HTTP and SOAP, the mocks.
 */
import { crmProfile } from '../mocks/dataset/customers';
import { DEFAULT_ROLES } from '../gateway/config';
import { sha256, startHarness, type Harness } from './support/harness';

const ID = 'C00000001';
const MSISDN = (crmProfile(ID) as NonNullable<ReturnType<typeof crmProfile>>).msisdn;
const ROLES = {
  'by-id-only': { fields: { 'Query.customerByMsisdn': 'deny' as const } },
  'by-id-only-strict': { fields: { 'Query.customerByMsisdn': 'deny' as const }, onDenied: 'refuse' as const },
};
const consumer = (role: string) => ({
  id: role,
  role,
  apiKeySha256: sha256(`${role}-key-0123`),
  username: role,
  password: `${role}-password`,
});

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    security: { roles: { ...DEFAULT_ROLES, ...ROLES }, consumers: Object.keys(ROLES).map(consumer) },
  });
});
afterAll(() => h.close());

const soapByMsisdn = async (role: string) => {
  const res = await fetch(`${h.url}/soap/CustomerView`, {
    method: 'POST',
    headers: {
      'content-type': 'text/xml',
      authorization: `Basic ${Buffer.from(`${role}:${role}-password`).toString('base64')}`,
    },
    body:
      '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:v="urn:ucv:customer-view:v1">' +
      `<soap:Body><v:GetCustomerView><v:msisdn>${MSISDN}</v:msisdn></v:GetCustomerView></soap:Body></soap:Envelope>`,
  });
  return { status: res.status, text: await res.text() };
};

it.each(Object.keys(ROLES))('%s: a denied root field is FORBIDDEN over SOAP as over GraphQL', async (role) => {
  const query = 'query($m: String!) { customerByMsisdn(msisdn: $m) { id } }';
  const { body } = await h.gql(query, { m: MSISDN }, { 'x-api-key': `${role}-key-0123` });
  expect(body.errors?.[0]?.extensions.code).toBe('FORBIDDEN');
  h.mocks.resetAll();
  const soap = await soapByMsisdn(role);
  expect(soap.text).toContain('<tns:code>FORBIDDEN</tns:code>');
  // A fault is HTTP 500 in SOAP 1.1; a refusal of the whole request keeps its own status, as on /graphql.
  expect(soap.status).toBe(role.endsWith('strict') ? 403 : 500);
  expect(h.counts()).toEqual({ crm: 0, billing: 0, warehouse: 0, scoring: 0 });
});
