/**
 * A SOAP view's envelope is parsed once: the guard's pass (envelope.ts) also reads a plain envelope's arguments,
 * and node-soap's server takes that reading instead of parsing the envelope again. The reading is node-soap's own
 * (`wsdl.xmlToObject` of the service's WSDL) for every plain envelope; anything else (a Header, attributes, CDATA,
 * comments, an argument given twice or empty, RecordContact) is left to node-soap's parser, and answered the same.
 */
import * as soap from 'soap';
import sax from 'sax';
import { SaxesParser } from 'saxes';
import { createGateway, type Gateway } from '../gateway/app/server';
import { startMocks, type Mocks } from '../mocks';
import { inspectEnvelope, type EnvelopeRules, type PlainArguments } from '../gateway/inbound/soap/envelope';
import { SOAP_AUTH, testConfig } from './support/harness';

let mocks: Mocks;
let gateway: Gateway;
let url: string;
let wsdl: soap.WSDL;
beforeAll(async () => {
  mocks = await startMocks();
  gateway = createGateway(testConfig(mocks));
  url = await gateway.listen();
  wsdl = (await soap.createClientAsync(`${url}/soap/CustomerView?wsdl`)).wsdl;
});
afterAll(async () => {
  await gateway.close();
  await mocks.close();
});

const NS = 'urn:ucv:customer-view:v1';
const SOAP11 = 'http://schemas.xmlsoap.org/soap/envelope/';
const args = (entries: Record<string, 'once' | 'repeated'>): PlainArguments => new Map(Object.entries(entries));
// As the facade declares them (gateway/inbound/soap/index.ts), for the operations used here.
const RULES: EnvelopeRules = {
  maxDepth: 32,
  operations: new Set(['GetCustomerView', 'GetSourceStatus', 'GetBillingSummary', 'RecordContact']),
  plain: new Map([
    ['GetCustomerView', args({ customerId: 'once', msisdn: 'once', section: 'repeated' })],
    ['GetSourceStatus', args({ customerId: 'once', section: 'repeated' })],
    ['GetBillingSummary', args({ customerId: 'once' })],
  ]),
};
const envelope = (body: string, header = '') =>
  `<?xml version="1.0" encoding="utf-8"?>\n<soap:Envelope xmlns:soap="${SOAP11}">${header}<soap:Body>${body}</soap:Body></soap:Envelope>`;

describe('the guard reads a plain envelope as node-soap does', () => {
  it.each([
    [
      'one argument',
      envelope(`<v:GetBillingSummary xmlns:v="${NS}"><v:customerId>C00000001</v:customerId></v:GetBillingSummary>`),
    ],
    [
      'a default namespace and whitespace',
      envelope(
        `\n  <GetCustomerView xmlns="${NS}">\n    <customerId>  C00000002 </customerId>\n  </GetCustomerView>\n`,
      ),
    ],
    [
      'one section',
      envelope(
        `<v:GetCustomerView xmlns:v="${NS}"><v:customerId>C1</v:customerId><v:section>billing</v:section></v:GetCustomerView>`,
      ),
    ],
    [
      'repeated sections',
      envelope(
        `<v:GetCustomerView xmlns:v="${NS}"><v:msisdn>+41791234567</v:msisdn><v:section>billing</v:section><v:section>crm</v:section></v:GetCustomerView>`,
      ),
    ],
    [
      'entities and character references',
      envelope(
        `<v:GetSourceStatus xmlns:v="${NS}"><v:customerId>A&amp;B&lt;&#67;&gt;</v:customerId></v:GetSourceStatus>`,
      ),
    ],
    ['no argument', envelope(`<v:GetCustomerView xmlns:v="${NS}"/>`)],
    [
      'both keys',
      envelope(
        `<v:GetCustomerView xmlns:v="${NS}"><v:customerId>C1</v:customerId><v:msisdn>0791234567</v:msisdn></v:GetCustomerView>`,
      ),
    ],
  ])('%s', (_name, xml) => {
    const { reading } = inspectEnvelope(xml, RULES);
    expect(reading).toBeDefined();
    expect(reading).toStrictEqual(wsdl.xmlToObject(xml));
  });
});

describe('anything but a plain envelope is left to node-soap', () => {
  it.each([
    [
      'a Header',
      envelope(
        `<v:GetBillingSummary xmlns:v="${NS}"><v:customerId>C1</v:customerId></v:GetBillingSummary>`,
        '<soap:Header/>',
      ),
    ],
    [
      'an attribute on an argument',
      envelope(`<v:GetBillingSummary xmlns:v="${NS}"><v:customerId a="1">C1</v:customerId></v:GetBillingSummary>`),
    ],
    [
      'an attribute on the Body',
      envelope(`<v:GetBillingSummary xmlns:v="${NS}"><v:customerId>C1</v:customerId></v:GetBillingSummary>`).replace(
        '<soap:Body>',
        '<soap:Body id="b">',
      ),
    ],
    [
      'CDATA',
      envelope(
        `<v:GetBillingSummary xmlns:v="${NS}"><v:customerId><![CDATA[C1]]></v:customerId></v:GetBillingSummary>`,
      ),
    ],
    [
      'a comment',
      envelope(`<v:GetBillingSummary xmlns:v="${NS}"><v:customerId>C<!-- x -->1</v:customerId></v:GetBillingSummary>`),
    ],
    [
      'an argument given twice',
      envelope(
        `<v:GetBillingSummary xmlns:v="${NS}"><v:customerId>C1</v:customerId><v:customerId>C2</v:customerId></v:GetBillingSummary>`,
      ),
    ],
    ['an empty argument', envelope(`<v:GetBillingSummary xmlns:v="${NS}"><v:customerId/></v:GetBillingSummary>`)],
    [
      'an unknown argument',
      envelope(
        `<v:GetBillingSummary xmlns:v="${NS}"><v:customerId>C1</v:customerId><v:other>x</v:other></v:GetBillingSummary>`,
      ),
    ],
    [
      'a nested argument',
      envelope(
        `<v:GetBillingSummary xmlns:v="${NS}"><v:customerId><v:id>C1</v:id></v:customerId></v:GetBillingSummary>`,
      ),
    ],
    ['text in the operation', envelope(`<v:GetBillingSummary xmlns:v="${NS}">C1</v:GetBillingSummary>`)],
    [
      'a line break written CR LF',
      envelope(`<v:GetCustomerView xmlns:v="${NS}">\r\n<v:customerId>C1</v:customerId></v:GetCustomerView>`),
    ],
    [
      'XML 1.1 line separators in an argument',
      envelope(`<v:GetCustomerView xmlns:v="${NS}"><v:customerId>C1\u2028X</v:customerId></v:GetCustomerView>`).replace(
        'version="1.0"',
        'version="1.1"',
      ),
    ],
    [
      'an operation not read here',
      envelope(`<v:RecordContact xmlns:v="${NS}"><v:customerId>C1</v:customerId></v:RecordContact>`),
    ],
  ])('%s', (_name, xml) => {
    expect(inspectEnvelope(xml, RULES).reading).toBeUndefined();
  });
});

describe('over HTTP', () => {
  const call = `<v:GetCustomerView xmlns:v="${NS}"><v:customerId>C00000001</v:customerId><v:section>billing</v:section></v:GetCustomerView>`;
  /**
   * The answer and how many times XML was parsed while it was served: the guard's documents (saxes) and node-soap's
   * parsers (sax).
   */
  async function post(xml: string): Promise<{ status: number; text: string; parsers: number }> {
    const spy = jest.spyOn(sax, 'parser');
    const guard = jest.spyOn(SaxesParser.prototype, 'close');
    try {
      const res = await fetch(`${url}/soap/CustomerView`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8', ...SOAP_AUTH },
        body: xml,
      });
      const text = await res.text();
      return { status: res.status, text, parsers: spy.mock.calls.length + guard.mock.calls.length };
    } finally {
      spy.mockRestore();
      guard.mockRestore();
    }
  }
  // Ages and fetch times differ from one answer to the next.
  const blank = (text: string) => text.replace(/<(ageMs|fetchedAt|latencyMs)>[^<]*<\/\1>/g, '<$1/>');

  // Billing's answer is parsed by the SOAP client's reader: its record is fetched once, before the counts.
  beforeAll(async () => void (await post(envelope(call))));

  it('a plain view is parsed once, by the guard', async () => {
    const res = await post(envelope(call));
    expect(res.status).toBe(200);
    expect(res.text).toContain('<customer><id>C00000001</id><billing>');
    expect(res.parsers).toBe(1);
  });

  it('a view with a Header is parsed by node-soap too, and answered the same', async () => {
    const plain = await post(envelope(call));
    const withHeader = await post(envelope(call, '<soap:Header/>'));
    expect(withHeader.parsers).toBe(2);
    expect(blank(withHeader.text)).toBe(blank(plain.text));
  });

  it("a fault from a plain envelope is the same as from node-soap's reading", async () => {
    const both = `<v:GetCustomerView xmlns:v="${NS}"><v:customerId>C1</v:customerId><v:msisdn>0791234567</v:msisdn></v:GetCustomerView>`;
    const plain = await post(envelope(both));
    const withHeader = await post(envelope(both, '<soap:Header/>'));
    expect(plain.parsers).toBe(1);
    expect(plain).toMatchObject({ status: 500, text: withHeader.text });
    expect(plain.text).toContain('Give exactly one of customerId and msisdn.');
  });
});
