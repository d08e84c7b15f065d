/**
 * POST /graphql and POST /soap/CustomerView are served without Express's router; every other request goes through
 * Express. Both ways must behave the same: one log line per request with its id and operation, the same answers,
 * the same refusals.
 */
import { Writable } from 'node:stream';
import pino from 'pino';
import { startMocks, type Mocks } from '../mocks';
import { createGateway, type Gateway } from '../gateway/app/server';
import { AUTH, json, SOAP_AUTH, testConfig } from './support/harness';
import { waitFor } from './support/wait';

let mocks: Mocks;
let gateway: Gateway;
let url: string;
const lines: Array<Record<string, unknown>> = [];

beforeAll(async () => {
  mocks = await startMocks();
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n').filter(Boolean))
        lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  });
  gateway = createGateway(testConfig(mocks, { logLevel: 'info' }), { logger: pino({ level: 'info' }, sink) });
  url = await gateway.listen();
});
afterAll(async () => {
  await gateway.close();
  await mocks.close();
});

const QUERY = JSON.stringify({ query: '{ customer(id: "C00000001") { id billing { balance } } }' });
/** C00000006: not asked for by any other test here, so its billing is a cache miss and reaches the backend. */
const ENVELOPE =
  '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:v="urn:ucv:customer-view:v1"><soap:Body><v:GetBillingSummary><v:customerId>C00000006</v:customerId></v:GetBillingSummary></soap:Body></soap:Envelope>';

/** The log line of the request with this id, once the response has finished. */
const logLineOf = (requestId: string): Promise<Record<string, unknown>> =>
  waitFor(() => lines.find((l) => (l.req as { id?: string } | undefined)?.id === requestId), {
    what: `the log line of ${requestId}`,
  });

it('POST /graphql writes one log line with the request id, status and the sources the operation used', async () => {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { ...AUTH, 'content-type': 'application/json', 'x-request-id': 'route-gql-1' },
    body: QUERY,
  });
  expect(res.status).toBe(200);
  expect(res.headers.get('x-request-id')).toBe('route-gql-1');
  expect(await logLineOf('route-gql-1')).toMatchObject({
    req: { id: 'route-gql-1', method: 'POST', url: '/graphql' },
    res: { statusCode: 200 },
    graphql: { customers: ['C00000001'], sources: { billing: 'LIVE' } },
  });
});

it('POST /soap/CustomerView writes one log line too, and the request id reaches the backend', async () => {
  const res = await fetch(`${url}/soap/CustomerView`, {
    method: 'POST',
    headers: { ...SOAP_AUTH, 'content-type': 'text/xml', 'x-request-id': 'route-soap-1' },
    body: ENVELOPE,
  });
  expect(res.status).toBe(200);
  expect(await res.text()).toContain('<customerId>C00000006</customerId>');
  expect(await logLineOf('route-soap-1')).toMatchObject({
    req: { id: 'route-soap-1', url: '/soap/CustomerView' },
    res: { statusCode: 200 },
  });
  expect(mocks.billing.faults.requests().lastRequestId).toBe('route-soap-1');
});

it('the same paths spelled another way go through Express and answer the same', async () => {
  const direct = await json(
    await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: QUERY,
    }),
  );
  const viaExpress = await json(
    await fetch(`${url}/graphql/`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: QUERY,
    }),
  );
  expect(direct.data.customer.id).toBe('C00000001');
  expect(viaExpress.data).toEqual(direct.data);
  const soap = await fetch(`${url}/soap/CustomerView/`, {
    method: 'POST',
    headers: { ...SOAP_AUTH, 'content-type': 'text/xml' },
    body: ENVELOPE,
  });
  expect(soap.status).toBe(200);
  expect(await soap.text()).toContain('<customerId>C00000006</customerId>');
});

it('refusals are the same both ways: a body that is not JSON, and one over the limit', async () => {
  for (const path of ['/graphql', '/graphql/']) {
    const bad = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: '{"query": ',
    });
    expect(bad.status).toBe(400);
    expect((await json(bad)).errors[0].extensions.code).toBe('BAD_REQUEST');
    const big = await fetch(`${url}${path}`, {
      method: 'POST',
      headers: { ...AUTH, 'content-type': 'application/json' },
      body: JSON.stringify({ query: `{ __typename } #${'x'.repeat(300_000)}` }),
    });
    expect(big.status).toBe(413);
    expect((await json(big)).errors[0].extensions.code).toBe('PAYLOAD_TOO_LARGE');
  }
});

it('PUT /soap/CustomerView: 405 METHOD_NOT_ALLOWED naming the methods it takes', async () => {
  const res = await fetch(`${url}/soap/CustomerView`, {
    method: 'PUT',
    headers: { ...SOAP_AUTH, 'content-type': 'text/xml' },
    body: ENVELOPE,
  });
  expect(res.status).toBe(405);
  expect(res.headers.get('allow')).toBe('GET, POST');
  expect(await res.text()).toContain('<tns:code>METHOD_NOT_ALLOWED</tns:code>');
});
