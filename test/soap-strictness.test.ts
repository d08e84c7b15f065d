/**
 * The SOAP facade executes only SOAP 1.1 envelopes whose operation is in the service's namespace, honours
 * mustUnderstand, guards attribute names like element names, takes its WSDL address from configuration, and does
 * not log a client's mistake as a server error. Before, SOAP 1.2, namespace-less and foreign-namespace envelopes
 * were answered as if valid, and `Host: evil.example.com` was echoed into the WSDL.
 */
import http from 'node:http';
import { Writable } from 'node:stream';
import pino from 'pino';
import { createGateway, type Gateway } from '../gateway/app/server';
import { startMocks, type Mocks } from '../mocks';
import { SOAP_AUTH, testConfig } from './support/harness';

const logLines: Array<{ level: number; req?: { url: string }; res?: { statusCode: number } }> = [];
let mocks: Mocks;
let gateway: Gateway;
let url: string;
beforeAll(async () => {
  mocks = await startMocks();
  const sink = new Writable({
    write: (chunk: Buffer, _enc, done) => void (logLines.push(JSON.parse(chunk.toString())), done()),
  });
  gateway = createGateway(testConfig(mocks, { publicUrl: 'https://ucv.example.net/' }), {
    logger: pino({ level: 'info' }, sink),
  });
  url = await gateway.listen();
});
afterAll(async () => {
  await gateway.close();
  await mocks.close();
});

const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const SOAP12 = 'http://www.w3.org/2003/05/soap-envelope';
const WSSE = 'http://docs.oasis-open.org/wss/2004/01/oasis-200401-wss-wssecurity-secext-1.0.xsd';
const CALL =
  '<v:GetBillingSummary xmlns:v="urn:ucv:customer-view:v1"><v:customerId>C00000001</v:customerId></v:GetBillingSummary>';
const envelope = (body: string, header = '', ns = SOAP11) =>
  `<soap:Envelope xmlns:soap="${ns}">${header ? `<soap:Header>${header}</soap:Header>` : ''}<soap:Body>${body}</soap:Body></soap:Envelope>`;

async function post(body: string, type = 'text/xml; charset=utf-8') {
  const res = await fetch(`${url}/soap/CustomerView`, {
    method: 'POST',
    headers: { 'content-type': type, ...SOAP_AUTH },
    body,
  });
  const text = await res.text();
  return {
    status: res.status,
    text,
    faultcode: /<faultcode>([^<]+)<\/faultcode>/.exec(text)?.[1],
    code: /<tns:code>(\w+)<\/tns:code>/.exec(text)?.[1],
    message: /<faultstring>([^<]*)<\/faultstring>/.exec(text)?.[1],
  };
}

it('a valid SOAP 1.1 envelope is served', async () => {
  const res = await post(envelope(CALL));
  expect(res.status).toBe(200);
  expect(res.text).toContain('<customerId>C00000001</customerId>');
});

it('whitespace or a byte-order mark before the XML declaration is served as it always was', async () => {
  for (const lead of ['\n', '  \r\n', '\uFEFF']) {
    const res = await post(`${lead}<?xml version="1.0" encoding="utf-8"?>${envelope(CALL)}`);
    expect(res.status).toBe(200);
    expect(res.text).toContain('<customerId>C00000001</customerId>');
  }
});

it('an empty body, or one of whitespace only, is refused as empty', async () => {
  for (const body of ['', ' \n\t']) {
    const res = await post(body);
    expect(res).toMatchObject({ status: 500, faultcode: 'soap:Client', code: 'BAD_REQUEST' });
    expect(res.message).toContain('The request body is empty.');
  }
});

it('a SOAP 1.2 envelope gets a VersionMismatch fault', async () => {
  const res = await post(
    envelope(CALL, '', SOAP12),
    `application/soap+xml; charset=utf-8; action="urn:ucv:customer-view:v1#GetBillingSummary"`,
  );
  expect(res).toMatchObject({ status: 500, faultcode: 'soap:VersionMismatch', code: 'VERSION_MISMATCH' });
  expect(res.message).toBe(`This service speaks SOAP 1.1 (${SOAP11}), not a SOAP 1.2 envelope.`);
});

it('an envelope in another namespace gets a VersionMismatch fault', async () => {
  expect(await post(envelope(CALL, '', 'urn:not-soap'))).toMatchObject({
    faultcode: 'soap:VersionMismatch',
    code: 'VERSION_MISMATCH',
  });
});

it.each([
  ['an envelope with no namespace', `<Envelope><Body>${CALL}</Body></Envelope>`, 'The Envelope has no namespace'],
  [
    'an operation in a foreign namespace',
    envelope('<x:GetBillingSummary xmlns:x="urn:evil"><x:customerId>C00000001</x:customerId></x:GetBillingSummary>'),
    "must be in the service's namespace urn:ucv:customer-view:v1, not urn:evil",
  ],
  [
    'an operation in no namespace',
    envelope('<GetBillingSummary><customerId>C00000001</customerId></GetBillingSummary>'),
    'not in no namespace',
  ],
  [
    'a Body in another namespace',
    `<soap:Envelope xmlns:soap="${SOAP11}" xmlns:o="urn:other"><o:Body>${CALL}</o:Body></soap:Envelope>`,
    'holds a Header and a Body, not "o:Body"',
  ],
  [
    'an attribute named __proto__',
    envelope(CALL.replace('<v:customerId>', '<v:customerId __proto__="x">')),
    '"__proto__" is not accepted',
  ],
  [
    'an attribute named constructor',
    envelope(CALL.replace('<v:customerId>', '<v:customerId v:constructor="x">')),
    '"constructor" is not accepted',
  ],
  [
    'a namespace prefix named __proto__',
    envelope(CALL.replace('<v:customerId>', '<v:customerId xmlns:__proto__="urn:x">')),
    '"__proto__" is not accepted',
  ],
  [
    'elements under a prefix named constructor',
    envelope('<constructor:GetBillingSummary xmlns:constructor="urn:ucv:customer-view:v1"/>'),
    '"constructor" is not accepted',
  ],
  [
    'one attribute given twice through two prefixes',
    envelope(CALL.replace('<v:customerId>', '<v:customerId xmlns:a="urn:q" xmlns:b="urn:q" a:id="1" b:id="2">')),
    'The attribute "id" is given twice.',
  ],
])('%s: a Client fault BAD_REQUEST', async (_what, body, message) => {
  const res = await post(body);
  expect(res).toMatchObject({ status: 500, faultcode: 'soap:Client', code: 'BAD_REQUEST' });
  expect(res.message).toContain(message);
});

describe('mustUnderstand', () => {
  it('a header the gateway does not process, marked mustUnderstand="1": a MustUnderstand fault naming it', async () => {
    const res = await post(envelope(CALL, `<t:Transaction xmlns:t="urn:tx" soap:mustUnderstand="1">5</t:Transaction>`));
    expect(res).toMatchObject({ status: 500, faultcode: 'soap:MustUnderstand', code: 'MUST_UNDERSTAND' });
    expect(res.message).toBe(
      'The header {urn:tx}Transaction is marked mustUnderstand="1" and the gateway does not process it.',
    );
  });
  it('the same header without mustUnderstand, or with mustUnderstand="0", is ignored', async () => {
    expect((await post(envelope(CALL, '<t:Transaction xmlns:t="urn:tx">5</t:Transaction>'))).status).toBe(200);
    expect(
      (await post(envelope(CALL, '<t:Transaction xmlns:t="urn:tx" soap:mustUnderstand="0">5</t:Transaction>'))).status,
    ).toBe(200);
  });
  it('a mustUnderstand attribute outside the SOAP namespace does not count', async () => {
    expect(
      (await post(envelope(CALL, '<t:Transaction xmlns:t="urn:tx" mustUnderstand="1">5</t:Transaction>'))).status,
    ).toBe(200);
  });
  it('the WS-Security header is understood (the identity plugin processes it): no MustUnderstand fault', async () => {
    const security = `<wsse:Security xmlns:wsse="${WSSE}" soap:mustUnderstand="1"><wsse:UsernameToken><wsse:Username>legacy</wsse:Username></wsse:UsernameToken></wsse:Security>`;
    const res = await post(envelope(CALL, security));
    expect(res.faultcode).not.toBe('soap:MustUnderstand');
  });
});

describe('the WSDL address', () => {
  const wsdlWithHost = (host: string): Promise<string> =>
    new Promise((resolve, reject) => {
      const req = http.get(`${url}/soap/CustomerView?wsdl`, { headers: { host } }, (res) => {
        let body = '';
        res
          .setEncoding('utf8')
          .on('data', (c: string) => (body += c))
          .on('end', () => resolve(body));
      });
      req.on('error', reject);
    });

  it('comes from publicUrl, never from the Host header', async () => {
    const wsdl = await wsdlWithHost('evil.example.com');
    expect(wsdl).toContain('<soap:address location="https://ucv.example.net/soap/CustomerView"/>');
    expect(wsdl).not.toContain('evil.example.com');
  });
});

it('a client fault is logged at info level, not as a server error', async () => {
  logLines.length = 0;
  await post(envelope(CALL, '', SOAP12));
  await post(envelope('<x:GetBillingSummary xmlns:x="urn:evil"/>'));
  const soapLines = logLines.filter((l) => l.req?.url === '/soap/CustomerView');
  expect(soapLines.map((l) => [l.res?.statusCode, l.level])).toEqual([
    [500, 30],
    [500, 30],
  ]);
});
