/**
 * Trusted documents: operations known in advance by the SHA-256 of their text. Registered at run time as the
 * definitions kind `document` (checked against the schema in force), run by `documentId` (POST or GET) or Apollo's
 * persisted-query hash; with `security.trustedDocuments: "registered"` a gateway runs nothing else from the network,
 * while the desk page's operations (web/desk/operations.json) and SOAP keep working. Real HTTP, SOAP, the mocks.
 */
import fs from 'node:fs';
import path from 'node:path';
import { documentId } from '../gateway/pipeline/documents';
import { AUTH, SOAP_AUTH, startHarness, type Harness } from './support/harness';

const VIEW = 'query TrustedView($id: ID!) { customer(id: $id) { id profile { name } billing { balance } } }';
const DESK = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', 'web', 'desk', 'operations.json'), 'utf8'),
) as Record<string, string>;

let open: Harness;
let strict: Harness;
beforeAll(async () => {
  open = await startHarness();
  strict = await startHarness({ security: { trustedDocuments: 'registered' } }, { mocks: open.mocks });
  for (const h of [open, strict]) {
    const res = await register(h, 'trusted-view', { query: VIEW });
    expect(res.status).toBe(200);
  }
});
afterAll(async () => {
  await strict.close();
  await open.close();
});

const register = (h: Harness, name: string, definition: unknown) =>
  fetch(`${h.url}/admin/documents/${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...AUTH },
    body: JSON.stringify(definition),
  });
const post = async (h: Harness, body: object, headers: Record<string, string> = AUTH) => {
  const res = await fetch(`${h.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify(body),
  });
  return {
    status: res.status,
    body: (await res.json()) as { data?: unknown; errors?: Array<{ extensions: { code: string } }> },
  };
};

it('a registered document runs by its id, as its text does', async () => {
  const byText = await post(open, { query: VIEW, variables: { id: 'C00000001' } });
  const byId = await post(open, { documentId: documentId(VIEW), variables: { id: 'C00000001' } });
  expect(byId.status).toBe(200);
  expect(byId.body.data).toEqual(byText.body.data);
  expect(byId.body.errors).toBeUndefined();
});

it('by GET, with its variables in the URL, and by the persisted-query hash of Apollo clients', async () => {
  const url = `${open.url}/graphql?documentId=${encodeURIComponent(documentId(VIEW))}&variables=${encodeURIComponent(JSON.stringify({ id: 'C00000001' }))}`;
  const res = await fetch(url, { headers: { ...AUTH, accept: 'application/json' } });
  expect(res.status).toBe(200);
  expect(((await res.json()) as { data: { customer: { id: string } } }).data.customer.id).toBe('C00000001');
  const hash = documentId(VIEW).slice('sha256:'.length);
  const apq = await post(open, {
    extensions: { persistedQuery: { version: 1, sha256Hash: hash } },
    variables: { id: 'C00000001' },
  });
  expect(apq.body.data).toMatchObject({ customer: { id: 'C00000001' } });
});

it('an unknown id: 400 PERSISTED_DOCUMENT_NOT_FOUND, and only once the caller is known (401 before)', async () => {
  const unknown = await post(open, { documentId: documentId('{ __typename }x'), variables: {} });
  expect(unknown.status).toBe(400);
  expect(unknown.body.errors?.[0]?.extensions.code).toBe('PERSISTED_DOCUMENT_NOT_FOUND');
  const anonymous = await post(open, { documentId: 'sha256:00' }, {});
  expect(anonymous.status).toBe(401);
});

it('a document that does not fit the schema in force is refused when put, with the path', async () => {
  const res = await register(open, 'broken', { query: '{ customer(id: "C00000001") { nothingHere } }' });
  expect(res.status).toBe(422);
  const body = (await res.json()) as {
    errors: Array<{ extensions: { code: string; problems: Array<{ path: string }> } }>;
  };
  expect(body.errors[0]?.extensions.code).toBe('DEFINITION_REFUSED');
  expect(body.errors[0]?.extensions.problems[0]?.path).toBe('query');
  expect((await register(open, 'not-text', { query: 42 })).status).toBe(422);
  expect((await register(open, 'extra', { query: VIEW, note: 'x' })).status).toBe(422);
});

describe('a gateway that runs only trusted documents', () => {
  it('refuses any other query with PERSISTED_DOCUMENTS_ONLY, and never calls a backend for it', async () => {
    strict.mocks.resetAll();
    const res = await post(strict, { query: '{ customer(id: "C00000001") { id profile { name } } }' });
    expect(res.status).toBe(400);
    expect(res.body.errors?.[0]?.extensions.code).toBe('PERSISTED_DOCUMENTS_ONLY');
    expect(strict.counts()).toEqual({ crm: 0, billing: 0, warehouse: 0, scoring: 0 });
  });

  it("runs a registered one by id or by its exact text, and the desk page's operations", async () => {
    expect((await post(strict, { documentId: documentId(VIEW), variables: { id: 'C00000001' } })).status).toBe(200);
    expect((await post(strict, { query: VIEW, variables: { id: 'C00000001' } })).body.errors).toBeUndefined();
    const desk = await post(strict, { query: DESK.DeskById, variables: { id: 'C00000001' } });
    expect(desk.status).toBe(200);
    expect(desk.body.data).toMatchObject({ customer: { id: 'C00000001' } });
  });

  it("runs the desk's guide: where to steer for the service picked, and the best time to contact when there is a store", async () => {
    const steering = await post(strict, { query: DESK.DeskSteering, variables: { id: 'C00000001', service: null } });
    expect(steering.status).toBe(200);
    expect(steering.body.errors).toBeUndefined();
    const lines = (steering.body.data as { customer: { steering: { services: Array<{ service: string }> } } }).customer
      .steering.services;
    expect(lines.length).toBeGreaterThan(1);
    // Without a store the gateway has no best time to contact: refused as not fitting the schema, not as untrusted.
    const time = await post(strict, { query: DESK.DeskContactTime, variables: { id: 'C00000001' } });
    expect(time.body.errors?.[0]?.extensions.code).not.toBe('PERSISTED_DOCUMENTS_ONLY');
  });

  it('SOAP, whose operations the gateway builds itself, is not affected', async () => {
    const res = await fetch(`${strict.url}/soap/CustomerView`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml', ...SOAP_AUTH },
      body:
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:v="urn:ucv:customer-view:v1">' +
        '<soap:Body><v:GetCustomerView><v:customerId>C00000001</v:customerId></v:GetCustomerView></soap:Body></soap:Envelope>',
    });
    expect(res.status).toBe(200);
    expect(await res.text()).toContain('<name>');
  });

  it("revalidates the desk's script and operations on every load, so a release's documents replace the old at once", async () => {
    for (const file of ['operations.json', 'desk.js']) {
      const first = await fetch(`${strict.url}/desk/${file}`);
      expect(first.status).toBe(200);
      expect(first.headers.get('cache-control')).toBe('public, max-age=0');
      const etag = first.headers.get('etag') as string;
      expect(etag).toBeTruthy();
      await first.arrayBuffer();
      // As a browser revalidates (fetch would add "no-cache" to a conditional request without a Cache-Control).
      const again = await fetch(`${strict.url}/desk/${file}`, {
        headers: { 'if-none-match': etag, 'cache-control': 'max-age=0' },
      });
      expect(again.status).toBe(304);
    }
  });
});
