/**
 * Both facades run their operations through the one pipeline, so SOAP gets what GraphQL gets: the operation and the
 * consumer on the request's log line, Server-Timing, provenance. Credentials never reach the log, and a SOAP fault
 * of the client's making is not logged as a server error.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { SignJWT } from 'jose';
import { createGateway, type Gateway } from '../gateway/app/server';
import { startMocks, type Mocks } from '../mocks';
import { sha256, TEST_API_KEY, TEST_SOAP_USER, testConfig } from './support/harness';
import { usernameToken } from './support/wsse';
import { waitFor } from './support/wait';

const SECRET = 'one-pipeline-test-secret-of-32-characters';
let mocks: Mocks;
let gateway: Gateway;
let url: string;
const lines: Array<Record<string, unknown>> = [];
const raw: string[] = [];

beforeAll(async () => {
  mocks = await startMocks();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      raw.push(chunk.toString());
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  const config = testConfig(mocks, {
    logLevel: 'info',
    security: {
      consumers: [{ id: 'cc', role: 'call-center', apiKeySha256: sha256('call-center-secret-key') }],
      jwt: { issuer: 'idp', audience: 'ucv', secret: SECRET },
    },
  });
  gateway = createGateway(config, { logger: pino({ level: 'info' }, sink) });
  url = await gateway.listen();
});
afterAll(async () => {
  await gateway.close();
  await mocks.close();
});

const logLineOf = (requestId: string): Promise<Record<string, unknown>> =>
  waitFor(() => lines.find((l) => (l.req as { id?: string } | undefined)?.id === requestId), {
    what: `the log line of ${requestId}`,
  });

const envelope = (header: string, body: string) =>
  `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:v="urn:ucv:customer-view:v1"><soap:Header>${header}</soap:Header><soap:Body>${body}</soap:Body></soap:Envelope>`;

it('SOAP: the operation, the consumer and its role on the log line, and Server-Timing, as on GraphQL', async () => {
  const res = await fetch(`${url}/soap/CustomerView`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml', 'x-request-id': 'pipe-soap-1' },
    body: envelope(
      usernameToken(TEST_SOAP_USER.username, TEST_SOAP_USER.password),
      '<v:GetBillingSummary><v:customerId>C00000008</v:customerId></v:GetBillingSummary>',
    ),
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('server-timing')).toMatch(/^gateway;dur=[\d.]+, backend;dur=[\d.]+$/);
  expect(await logLineOf('pipe-soap-1')).toMatchObject({
    graphql: { consumer: 'test', role: 'admin', customers: ['C00000008'], sources: { billing: 'LIVE' } },
  });

  const gql = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      'x-api-key': 'call-center-secret-key',
      'x-request-id': 'pipe-gql-1',
    },
    body: JSON.stringify({ query: '{ customer(id: "C00000008") { billing { balance } } }' }),
  });
  expect(gql.headers.get('server-timing')).toMatch(/^gateway;dur=/);
  expect(await logLineOf('pipe-gql-1')).toMatchObject({
    graphql: { consumer: 'cc', role: 'call-center', customers: ['C00000008'] },
  });
});

it('no credential reaches the log: API keys, JWTs, Basic and WS-Security passwords', async () => {
  const jwt = await new SignJWT({ role: 'admin' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer('idp')
    .setAudience('ucv')
    .setSubject('s')
    .setExpirationTime('5m')
    .sign(new TextEncoder().encode(SECRET));
  const basic = Buffer.from(`${TEST_SOAP_USER.username}:${TEST_SOAP_USER.password}`).toString('base64');
  const gql = (headers: Record<string, string>) =>
    fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...headers },
      body: JSON.stringify({ query: '{ __typename }' }),
    });
  await gql({ 'x-api-key': TEST_API_KEY, 'x-request-id': 'secret-1' });
  await gql({ 'x-api-key': 'wrong-key-that-must-not-be-logged', 'x-request-id': 'secret-2' });
  await gql({ authorization: `Bearer ${jwt}`, 'x-request-id': 'secret-3' });
  const token = usernameToken(TEST_SOAP_USER.username, TEST_SOAP_USER.password);
  const soapBody = '<v:GetBillingSummary><v:customerId>C00000001</v:customerId></v:GetBillingSummary>';
  await fetch(`${url}/soap/CustomerView`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml', authorization: `Basic ${basic}`, 'x-request-id': 'secret-4' },
    body: envelope('', soapBody),
  });
  await fetch(`${url}/soap/CustomerView`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml', 'x-request-id': 'secret-5' },
    body: envelope(token, soapBody),
  });
  for (const id of ['secret-1', 'secret-2', 'secret-3', 'secret-4', 'secret-5']) await logLineOf(id);
  const log = raw.join('');
  const digest = /<wsse:Password[^>]*>([^<]+)</.exec(token)?.[1] as string;
  for (const secret of [
    TEST_API_KEY,
    'wrong-key-that-must-not-be-logged',
    jwt,
    jwt.split('.')[2] as string,
    basic,
    TEST_SOAP_USER.password,
    digest,
  ])
    expect(log).not.toContain(secret);
});

it("a SOAP fault of the client's making (a bad argument, missing credentials) is logged as info, not as a server error", async () => {
  const basic = Buffer.from(`${TEST_SOAP_USER.username}:${TEST_SOAP_USER.password}`).toString('base64');
  const res = await fetch(`${url}/soap/CustomerView`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml', authorization: `Basic ${basic}`, 'x-request-id': 'client-fault-1' },
    body: envelope(
      '',
      '<v:GetCustomerView><v:customerId>C00000001</v:customerId><v:msisdn>13800138000</v:msisdn></v:GetCustomerView>',
    ),
  });
  expect(res.status).toBe(500); // SOAP 1.1: a fault is answered 500
  expect(await res.text()).toContain('<tns:code>BAD_USER_INPUT</tns:code>');
  expect((await logLineOf('client-fault-1')).level).toBe(30);
  const refused = await fetch(`${url}/soap/CustomerView`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml', 'x-request-id': 'client-fault-2' },
    body: envelope('', '<v:GetBillingSummary><v:customerId>C00000001</v:customerId></v:GetBillingSummary>'),
  });
  expect(refused.status).toBe(401);
  expect((await logLineOf('client-fault-2')).level).toBe(30);
});
