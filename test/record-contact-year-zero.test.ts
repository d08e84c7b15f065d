/**
 * A contact time the store cannot hold is the caller's input error, BAD_USER_INPUT, never STORE_UNAVAILABLE ("retry",
 * which a client would do forever): the year 0000 is a well-formed ISO 8601 date-time that both facades accept as
 * one, and PostgreSQL has no year 0. The first year it has, and a time given with an offset, are recorded. Real
 * HTTP, real SOAP, the CRM mock, PGlite and PostgreSQL.
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
const SOAP_DESK = { username: 'desk', password: 'desk-password-0123' };
const RECORD = `mutation Record($input: ContactInput!, $key: String) {
  recordContact(input: $input, idempotencyKey: $key) { status }
}`;
const contact = (at: string) => ({
  customerId: 'C00000034',
  channel: 'CALL_CENTER',
  type: 'COMPLAINT',
  outcome: 'RESOLVED',
  at,
});

describe.each(ENGINES)('on %s', (engine) => {
  let gateway: Gateway;
  beforeAll(async () => {
    const store = await stores.open(engine);
    gateway = createGateway(
      testConfig(mocks, {
        security: {
          consumers: [{ id: 'desk-1', role: 'front-desk', apiKeySha256: sha256(DESK['x-api-key']), ...SOAP_DESK }],
        },
      }),
      { logger: pino({ level: 'silent' }), store },
    );
    await gateway.listen();
  });
  afterAll(() => gateway.close());

  it.each(['0000-01-01T00:00:00Z', '0000-12-31T23:30:00-01:00'])(
    'GraphQL: at %s is BAD_USER_INPUT naming at',
    async (at) => {
      const { status, body } = await postGraphQL(
        gateway.url,
        RECORD,
        { input: contact(at), key: `y0-${engine}-${at}` },
        DESK,
      );
      expect(status).toBe(200);
      expect(body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
      expect(body.errors[0].message).toMatch(/^at /);
    },
  );

  it('SOAP: at 0000-01-01T00:00:00Z is a BAD_USER_INPUT fault', async () => {
    const res = await fetch(`${gateway.url}/soap/CustomerView`, {
      method: 'POST',
      headers: {
        'content-type': 'text/xml; charset=utf-8',
        authorization: `Basic ${Buffer.from(`${SOAP_DESK.username}:${SOAP_DESK.password}`).toString('base64')}`,
      },
      body:
        '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:v="urn:ucv:customer-view:v1"><soap:Body>' +
        '<v:RecordContact><v:customerId>C00000034</v:customerId><v:channel>CALL_CENTER</v:channel><v:type>COMPLAINT</v:type>' +
        `<v:outcome>RESOLVED</v:outcome><v:at>0000-01-01T00:00:00Z</v:at><v:idempotencyKey>y0-soap-${engine}</v:idempotencyKey>` +
        '</v:RecordContact></soap:Body></soap:Envelope>',
    });
    const text = await res.text();
    expect(res.status).toBe(500);
    expect(text).toContain('<faultcode>soap:Client</faultcode>');
    expect(text).toContain('<tns:code>BAD_USER_INPUT</tns:code>');
  });

  it('the year 1 and a time with an offset are recorded', async () => {
    for (const at of ['0001-01-01T00:00:00Z', '2026-11-30T09:15:00+08:00']) {
      const { body } = await postGraphQL(gateway.url, RECORD, { input: contact(at), key: `y1-${engine}-${at}` }, DESK);
      expect(body.errors).toBeUndefined();
      expect(body.data.recordContact.status).toBe('RECORDED');
    }
  });
});
