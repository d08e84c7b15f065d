/**
 * What every answer of the GraphQL and SOAP facades guarantees, whatever the request: answers that may carry
 * personal data are never stored by a cache in front (Cache-Control: no-store, and Vary for the credentials); a
 * production gateway suggests no names ("Did you mean") for fields, enum values or input fields, whether in the
 * query or in variables; variables nested past any input type's depth are a request error, never a 500; a
 * mutation sent with GET is refused with the catalog's code. Real HTTP, real SOAP, the mocks, PGlite.
 */
import pino from 'pino';
import { startMocks, type Mocks } from '../mocks';
import { createGateway, type Gateway } from '../gateway/app/server';
import { AUTH, SOAP_AUTH, postGraphQL, testConfig } from './support/harness';
import { testStores } from './support/store';
import { SETUP_TIMEOUT_MS } from './support/patient';

const stores = testStores();
let mocks: Mocks;
let gateway: Gateway;
let url: string;

beforeAll(async () => {
  mocks = await startMocks();
  const store = await stores.open('pglite');
  // Production's defaults: no introspection, no suggestions.
  gateway = createGateway(testConfig(mocks, { security: { introspection: false } }), {
    logger: pino({ level: 'silent' }),
    store,
  });
  url = await gateway.listen();
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await gateway.close();
  await mocks.close();
  await stores.cleanup();
});

const VIEW = 'query($id: ID!) { customer(id: $id) { profile { name idCardNumber } } }';
const RECORD = `mutation($input: ContactInput!) { recordContact(input: $input) { status } }`;
const soapView = (id: string) =>
  '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:v="urn:ucv:customer-view:v1">' +
  `<soap:Body><v:GetCustomerView><v:customerId>${id}</v:customerId></v:GetCustomerView></soap:Body></soap:Envelope>`;

describe('answers that may carry personal data are never stored by a shared cache', () => {
  const expectNoStore = (headers: Headers, vary: string[]) => {
    expect(headers.get('cache-control')).toBe('no-store');
    const given = (headers.get('vary') ?? '').split(',').map((v) => v.trim().toLowerCase());
    for (const name of vary) expect(given).toContain(name);
  };

  it('GraphQL POST, answered and refused', async () => {
    const ok = await postGraphQL(url, VIEW, { id: 'C00000001' });
    expect(ok.body.data.customer.profile.name).toEqual(expect.any(String));
    expectNoStore(ok.headers, ['authorization', 'x-api-key', 'accept']);
    const refused = await postGraphQL(url, VIEW, { id: 'C00000001' }, { 'x-api-key': 'wrong-key-0123456789' });
    expect(refused.status).toBe(401);
    expectNoStore(refused.headers, ['authorization', 'x-api-key']);
  });

  it('GraphQL GET: the URL alone would be a cache key for an unmasked answer', async () => {
    const query = encodeURIComponent(VIEW);
    const variables = encodeURIComponent(JSON.stringify({ id: 'C00000001' }));
    const res = await fetch(`${url}/graphql?query=${query}&variables=${variables}`, {
      headers: { ...AUTH, accept: 'application/json' },
    });
    expect(res.status).toBe(200);
    expectNoStore(res.headers, ['authorization', 'x-api-key', 'accept']);
  });

  it('SOAP POST', async () => {
    const res = await fetch(`${url}/soap/CustomerView`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml', ...SOAP_AUTH },
      body: soapView('C00000001'),
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<name>');
    expectNoStore(res.headers, ['authorization']);
  });

  it('the admin API', async () => {
    const res = await fetch(`${url}/admin/audit?customerId=C00000001`, { headers: AUTH });
    expect(res.status).toBe(200);
    expect(res.headers.get('cache-control')).toBe('no-store');
  });
});

describe('production suggests no names', () => {
  const noSuggestion = (body: { errors?: Array<{ message: string }> }) => {
    expect(body.errors?.length).toBeGreaterThan(0);
    for (const e of body.errors ?? []) expect(e.message).not.toMatch(/did you mean/i);
  };

  it('a misspelt field', async () => {
    noSuggestion((await postGraphQL(url, '{ customer(id: "C00000001") { profil { name } } }')).body);
  });

  it('a misspelt enum value in the query', async () => {
    const query =
      'mutation { recordContact(input: { customerId: "C00000001", channel: CALL_CENTRE, type: "X", outcome: "Y" }) { status } }';
    noSuggestion((await postGraphQL(url, query)).body);
  });

  it('a misspelt enum value in variables', async () => {
    const input = { customerId: 'C00000001', channel: 'CALL_CENTRE', type: 'X', outcome: 'Y' };
    noSuggestion((await postGraphQL(url, RECORD, { input })).body);
  });

  it('a misspelt input field in variables', async () => {
    const input = { customerId: 'C00000001', chanel: 'CALL_CENTER', type: 'X', outcome: 'Y' };
    const { body } = await postGraphQL(url, RECORD, { input });
    noSuggestion(body);
    expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  });
});

it('variables nested 5,000 deep are a request error, not a 500', async () => {
  // Written as text: JSON.stringify itself runs out of stack on such a value.
  const deep = `${'{"a":'.repeat(5000)}"x"${'}'.repeat(5000)}`;
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...AUTH },
    body: `{"query":${JSON.stringify(RECORD)},"variables":{"input":${deep}}}`,
  });
  const text = await res.text();
  expect(res.status).toBe(400);
  expect(JSON.parse(text).errors[0].extensions.code).toBe('BAD_USER_INPUT');
  expect(text).not.toMatch(/stack|RangeError/);
  // The gateway is whole: the next request is answered.
  expect((await postGraphQL(url, VIEW, { id: 'C00000001' })).status).toBe(200);
});

it('a mutation sent with GET: 405 METHOD_NOT_ALLOWED with Allow: POST, nothing recorded', async () => {
  const before = mocks.crm.faults.requests().total;
  const query = encodeURIComponent(
    'mutation { recordContact(input: { customerId: "C00000001", channel: CALL_CENTER, type: "X", outcome: "Y" }) { status } }',
  );
  const res = await fetch(`${url}/graphql?query=${query}`, { headers: { ...AUTH, accept: 'application/json' } });
  expect(res.status).toBe(405);
  expect(res.headers.get('allow')).toBe('POST');
  const body = (await res.json()) as { errors: Array<{ extensions: { code: string } }> };
  expect(body.errors[0]?.extensions.code).toBe('METHOD_NOT_ALLOWED');
  expect(mocks.crm.faults.requests().total).toBe(before);
});
