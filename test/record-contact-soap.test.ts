/**
 * RecordContact over SOAP: the same pipeline as recordContact (a node-soap client built from the WSDL), a retried
 * idempotency key records once and answers the same, the Idempotency-Key header works, a role that may not record
 * gets a FORBIDDEN fault, and the WSDL describes the operation. Real HTTP, real SOAP, the CRM mock, PGlite.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino from 'pino';
import * as soap from 'soap';
import { startMocks, type Mocks } from '../mocks';
import { createGateway, type Gateway } from '../gateway/app/server';
import { testConfig } from './support/harness';
import { testStores } from './support/store';
import { SETUP_TIMEOUT_MS } from './support/patient';

const stores = testStores();
let mocks: Mocks;
let gateway: Gateway;
let url: string;
// eslint-disable-next-line @typescript-eslint/no-explicit-any
let client: any;

beforeAll(async () => {
  mocks = await startMocks();
  const store = await stores.open('pglite');
  const config = testConfig(mocks, {
    security: {
      consumers: [
        { id: 'desk-soap', role: 'front-desk', username: 'desk', password: 'desk-password-123' },
        { id: 'self-soap', role: 'self-service', username: 'self', password: 'self-password-123' },
      ],
    },
  });
  gateway = createGateway(config, { logger: pino({ level: 'silent' }), store });
  url = await gateway.listen();
  client = await soap.createClientAsync(`${url}/soap/CustomerView?wsdl`);
  client.setSecurity(new soap.BasicAuthSecurity('desk', 'desk-password-123'));
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await gateway.close();
  await mocks.close();
  await stores.cleanup();
});
beforeEach(() => mocks.resetAll());

const contact = {
  customerId: 'C00000301',
  channel: 'BUSINESS_HALL',
  type: 'PACKAGE_CHANGE',
  outcome: 'COMPLETED',
  offerCode: 'DATA-10G',
  response: 'ACCEPTED',
};
const recorded = async (id: string) =>
  (
    (await (await fetch(`${mocks.urls.crm}/api/v1/customers/${id}/contacts`)).json()) as {
      items: Array<{ contactId: string; agentId?: string }>;
    }
  ).items.filter((c) => c.contactId.includes('-r'));
const envelope = (body: string) =>
  `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:v="urn:ucv:customer-view:v1"><soap:Body>${body}</soap:Body></soap:Envelope>`;
const basic = (user: string, password: string) => `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}`;

it('records a contact, and a retry of its key records nothing more and answers the same', async () => {
  const [first] = await client.RecordContactAsync({ ...contact, idempotencyKey: 'soap-1' });
  expect(first).toMatchObject({ status: 'RECORDED', contactId: expect.any(String), idempotencyKey: 'soap-1' });
  const [again] = await client.RecordContactAsync({ ...contact, idempotencyKey: 'soap-1' });
  expect(again).toEqual(first);
  const stored = await recorded('C00000301');
  expect(stored).toHaveLength(1);
  expect(stored[0]?.agentId).toBe('desk-soap');
});

it('takes the key from the Idempotency-Key header, as GraphQL does', async () => {
  const body = envelope(
    '<v:RecordContact><v:customerId>C00000302</v:customerId><v:channel>CALL_CENTER</v:channel><v:type>COMPLAINT</v:type><v:outcome>RESOLVED</v:outcome></v:RecordContact>',
  );
  const post = () =>
    fetch(`${url}/soap/CustomerView`, {
      method: 'POST',
      headers: {
        'content-type': 'text/xml',
        authorization: basic('desk', 'desk-password-123'),
        'idempotency-key': 'soap-header-1',
      },
      body,
    });
  const first = await (await post()).text();
  const second = await (await post()).text();
  expect(first).toContain('<idempotencyKey>soap-header-1</idempotencyKey>');
  expect(first).toContain('<status>RECORDED</status>');
  expect(second).toBe(first);
  expect(await recorded('C00000302')).toHaveLength(1);
});

it('answers a role that may not record with a FORBIDDEN fault, and records nothing', async () => {
  const res = await fetch(`${url}/soap/CustomerView`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml', authorization: basic('self', 'self-password-123') },
    body: envelope(
      '<v:RecordContact><v:customerId>C00000303</v:customerId><v:channel>CALL_CENTER</v:channel><v:type>COMPLAINT</v:type><v:outcome>RESOLVED</v:outcome><v:idempotencyKey>f-1</v:idempotencyKey></v:RecordContact>',
    ),
  });
  const text = await res.text();
  expect(res.status).toBe(403);
  expect(text).toContain('<tns:code>FORBIDDEN</tns:code>');
  expect(mocks.crm.faults.requests().byRoute['POST /api/v1/customers/:id/contacts'] ?? 0).toBe(0);
});

it('answers an unknown channel with a BAD_USER_INPUT fault', async () => {
  const res = await fetch(`${url}/soap/CustomerView`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml', authorization: basic('desk', 'desk-password-123') },
    body: envelope(
      '<v:RecordContact><v:customerId>C00000304</v:customerId><v:channel>PIGEON</v:channel><v:type>COMPLAINT</v:type><v:outcome>RESOLVED</v:outcome></v:RecordContact>',
    ),
  });
  const text = await res.text();
  expect(text).toContain('<tns:code>BAD_USER_INPUT</tns:code>');
  expect(text).not.toMatch(/at .*\.ts/);
});

describe('the time of the contact (at)', () => {
  const record = (customerId: string, at: string) =>
    fetch(`${url}/soap/CustomerView`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml', authorization: basic('desk', 'desk-password-123') },
      body: envelope(
        `<v:RecordContact><v:customerId>${customerId}</v:customerId><v:channel>CALL_CENTER</v:channel><v:at>${at}</v:at><v:type>COMPLAINT</v:type><v:outcome>RESOLVED</v:outcome></v:RecordContact>`,
      ),
    });
  const contactsOf = async (customerId: string) =>
    (
      (await (await fetch(`${mocks.urls.crm}/api/v1/customers/${customerId}/contacts`)).json()) as {
        items: Array<{ contactId: string; contactTime?: string }>;
      }
    ).items.filter((c) => c.contactId.includes('-r'));

  it('is recorded as given, as on GraphQL', async () => {
    const res = await record('C00000305', '2026-11-30T09:15:00+08:00');
    expect(await res.text()).toContain('<status>RECORDED</status>');
    const [stored] = await contactsOf('C00000305');
    expect(new Date(String(stored?.contactTime)).toISOString()).toBe('2026-11-30T01:15:00.000Z');
  });

  it('that is not a date is a BAD_USER_INPUT fault, and nothing is recorded', async () => {
    const res = await record('C00000306', 'not-a-date');
    const text = await res.text();
    expect(text).toContain('<tns:code>BAD_USER_INPUT</tns:code>');
    expect(await contactsOf('C00000306')).toHaveLength(0);
  });
});

it('describes RecordContact in the WSDL, whose XML Schema validates the request and the answer', async () => {
  const wsdl = await (await fetch(`${url}/soap/CustomerView?wsdl`)).text();
  expect(wsdl).toContain('<wsdl:operation name="RecordContact">');
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ucv-wsdl-record-'));
  try {
    const schema = (wsdl.match(/<xsd:schema[\s\S]*<\/xsd:schema>/) as RegExpMatchArray)[0].replace(
      '<xsd:schema ',
      '<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" xmlns:tns="urn:ucv:customer-view:v1" ',
    );
    fs.writeFileSync(path.join(dir, 'schema.xsd'), schema);
    const request =
      '<v:RecordContact xmlns:v="urn:ucv:customer-view:v1"><v:customerId>C00000305</v:customerId><v:channel>IVR</v:channel><v:at>2026-11-24T07:00:00Z</v:at><v:type>TOP_UP</v:type><v:outcome>RESOLVED</v:outcome><v:system>ivr-1</v:system><v:idempotencyKey>xsd-1</v:idempotencyKey></v:RecordContact>';
    fs.writeFileSync(path.join(dir, 'request.xml'), request);
    execFileSync('xmllint', ['--noout', '--schema', path.join(dir, 'schema.xsd'), path.join(dir, 'request.xml')], {
      stdio: 'pipe',
    });
    const res = await fetch(`${url}/soap/CustomerView`, {
      method: 'POST',
      headers: { 'content-type': 'text/xml', authorization: basic('desk', 'desk-password-123') },
      body: envelope(request),
    });
    const answer =
      (await res.text()).match(/<[\w:]*RecordContactResponse[\s\S]*<\/[\w:]*RecordContactResponse>/)?.[0] ?? '';
    expect(answer).toContain('RECORDED');
    fs.writeFileSync(path.join(dir, 'answer.xml'), answer);
    // Throws (exit code ≠ 0) if the schema does not compile or the answer does not validate.
    execFileSync('xmllint', ['--noout', '--schema', path.join(dir, 'schema.xsd'), path.join(dir, 'answer.xml')], {
      stdio: 'pipe',
    });
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
});
