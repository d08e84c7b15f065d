/**
 * The SOAP client's reading of replies (gateway/backends/soap-reply.ts) gives exactly what node-soap's own
 * `xmlToObject` gives: over the billing mock's real replies for 3,000 customers, and over replies of every kind the
 * faster pass hands back to node-soap (attributes, nil, CDATA, comments, faults, entities, mixed content, replies that
 * are not XML), including node-soap's errors.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import * as soap from 'soap';
import { readRepliesFaster } from '../gateway/backends/soap-reply';
import { startBillingMock, BILLING_PATH } from '../mocks/billing';
import { customerId } from '../mocks/dataset/identity';
import type { MockServer } from '../mocks';

const BILLING_WSDL = path.join(__dirname, '../mocks/billing/billing.wsdl');

interface Reader {
  xmlToObject(xml: string): unknown;
}

/**
 * Two readers of one WSDL: node-soap's own, and the faster one installed on a WSDL object of its own, with a count
 * of the replies it handed back to node-soap.
 */
async function readers(wsdl: string): Promise<{ node: Reader; faster: Reader; handedBack: () => number }> {
  // disableCache: node-soap would otherwise hand both clients one WSDL object, and compare the reading with itself.
  const [a, b] = await Promise.all([
    soap.createClientAsync(wsdl, { disableCache: true }),
    soap.createClientAsync(wsdl, { disableCache: true }),
  ]);
  expect(a.wsdl).not.toBe(b.wsdl);
  const faster = (b as unknown as { wsdl: Reader }).wsdl;
  const own = faster.xmlToObject.bind(faster);
  let handedBack = 0;
  faster.xmlToObject = (xml) => {
    handedBack++;
    return own(xml);
  };
  readRepliesFaster(faster as never);
  return { node: (a as unknown as { wsdl: Reader }).wsdl, faster, handedBack: () => handedBack };
}

/** Dates as their instants, an invalid one included (Jest holds two invalid Dates unequal). */
function comparable(value: unknown): unknown {
  if (value instanceof Date) return { date: String(value.getTime()) };
  if (Array.isArray(value)) return value.map(comparable);
  if (value && typeof value === 'object') {
    const copy: Record<string, unknown> = Object.create(Object.getPrototypeOf(value) as object | null);
    for (const [key, v] of Object.entries(value)) copy[key] = comparable(v);
    return copy;
  }
  return value;
}

/** What a reader makes of a reply: its object, or what it throws. */
function outcome(reader: Reader, xml: string): { value?: unknown; thrown?: unknown } {
  try {
    return { value: comparable(reader.xmlToObject(xml)) };
  } catch (err) {
    return { thrown: err instanceof Error ? { message: err.message, root: (err as { root?: unknown }).root } : err };
  }
}

const envelope = (body: string, extra = ''): string =>
  '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"' +
  ` xmlns:tns="urn:example:billing:account:v1"${extra}><soap:Body>${body}</soap:Body></soap:Envelope>`;
const account = (inner: string): string =>
  envelope(
    `<GetAccountSummaryResponse xmlns="urn:example:billing:account:v1"><account>${inner}</account></GetAccountSummaryResponse>`,
  );

let billing: MockServer;
let billingReaders: Awaited<ReturnType<typeof readers>>;
/** The inline WSDLs' files, in a folder of this run's own, removed at the end. */
const wsdlDir = fs.mkdtempSync(path.join(os.tmpdir(), 'soap-reply-reading-'));
const wsdlFile = (name: string, text: string): string => {
  const file = path.join(wsdlDir, name);
  if (!fs.existsSync(file)) fs.writeFileSync(file, text);
  return file;
};

beforeAll(async () => {
  billing = await startBillingMock();
  billingReaders = await readers(BILLING_WSDL);
});
afterAll(async () => {
  await billing.close();
  fs.rmSync(wsdlDir, { recursive: true, force: true });
});

test("reads billing's replies for 3,000 customers exactly as node-soap does", async () => {
  const client = await soap.createClientAsync(BILLING_WSDL, { endpoint: `${billing.url}${BILLING_PATH}` });
  const call = client as unknown as {
    GetAccountSummaryAsync(args: object): Promise<unknown>;
    lastResponse: string;
  };
  let accounts = 0;
  const before = billingReaders.handedBack();
  for (let n = 1; n <= 3000; n++) {
    // A customer without an account gets a Fault: read by node-soap in both, and compared like any other reply.
    await call.GetAccountSummaryAsync({ customerId: customerId(n) }).catch(() => undefined);
    const reply = call.lastResponse;
    const { node, faster } = billingReaders;
    const expected = outcome(node, reply);
    expect(outcome(faster, reply)).toStrictEqual(expected);
    if (expected.value) accounts++;
  }
  // Most customers have an account: the comparison covered the plain pass, not only the hand-back.
  expect(accounts).toBeGreaterThan(2500);
  // Every account was read by the faster pass; only the faults went to node-soap.
  expect(billingReaders.handedBack() - before).toBe(3000 - accounts);
});

test.each([
  ['one bill, not a list', account('<accountId>A1</accountId><bills><bill><amount>1.50</amount></bill></bills>')],
  ['no bills', account('<accountId>A1</accountId><bills/>')],
  ['an empty string element and an empty number', account('<accountId></accountId><balance/>')],
  ['whitespace around values', account('<accountId>\n  A1 \t</accountId><balance> 12.5 </balance>')],
  ['entities', account('<accountId>A&amp;B &#x4E2D;&lt;</accountId>')],
  ['an HTML entity sax knows and saxes does not', account('<accountId>A&copy;</accountId>')],
  ['an attribute', account('<accountId kind="x">A1</accountId>')],
  ['xsi:nil', account('<paidDate xmlns:xsi="http://www.w3.org/2001/XMLSchema-instance" xsi:nil="true"/>')],
  ['CDATA', account('<accountId><![CDATA[A<1>]]></accountId>')],
  ['a comment inside a value', account('<accountId>A<!-- c -->1</accountId>')],
  ['a processing instruction', account('<?pi x?><accountId>A1</accountId>')],
  ['mixed content: text then an element', account('<currentCharges>x<amount>1</amount></currentCharges>')],
  ['mixed content: an element then text', account('<currentCharges><amount>1</amount>x</currentCharges>')],
  ['a carriage return in a value', account('<accountId>A\r\n1</accountId>')],
  [
    'XML 1.1 line separators in a value',
    account('<accountId>A\u2028B\u0085C</accountId>').replace('version="1.0"', 'version="1.1"'),
  ],
  ['an element name outside the BMP', account('<x\u{10000}>1</x\u{10000}>')],
  ['an element named like a prototype key', account('<__proto__><x>1</x></__proto__><constructor>1</constructor>')],
  ['a repeated element the schema does not list', account('<accountId>A1</accountId><accountId>A2</accountId>')],
  ['elements the schema does not know', account('<extra><deep><x>1</x></deep></extra>')],
  ['booleans and dates that do not parse', account('<currentCharges><asOf>not a date</asOf></currentCharges>')],
  [
    'a fault',
    envelope(
      '<soap:Fault><faultcode>soap:Client</faultcode><faultstring>Account not found</faultstring><detail><BillingFault><code>ACCOUNT_NOT_FOUND</code></BillingFault></detail></soap:Fault>',
    ),
  ],
  ['an element the WSDL does not define', envelope('<tns:Unexpected><tns:value>x</tns:value></tns:Unexpected>')],
  [
    'a header',
    envelope('<GetAccountSummaryResponse xmlns="urn:example:billing:account:v1"/>').replace(
      '<soap:Body>',
      '<soap:Header><x>1</x></soap:Header><soap:Body>',
    ),
  ],
  ['a body cut short', account('<accountId>A1</accountId>').slice(0, 200)],
  ['not XML', 'Service Unavailable'],
  ['a DOCTYPE', `<!DOCTYPE x []>${account('<accountId>A1</accountId>').replace(/^<\?xml[^>]*>/, '')}`],
  ['no envelope at all', '<account><accountId>A1</accountId></account>'],
  [
    'an envelope in a default namespace',
    account('<accountId>A1</accountId>').replace(/soap:/g, '').replace('xmlns:soap', 'xmlns'),
  ],
])('reads %s as node-soap does', (_kind, reply) => {
  const { node, faster } = billingReaders;
  expect(outcome(faster, reply)).toStrictEqual(outcome(node, reply));
});

// A second service: a facet-restricted string type (described by node-soap as `xs:string|…`), booleans, longs, a
// repeated element, and a reply element found through its operation's output message (no message of its own name).
const STATUS_WSDL = `<?xml version="1.0"?>
<definitions name="Status" targetNamespace="urn:test:status" xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:tns="urn:test:status" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <types>
    <xsd:schema targetNamespace="urn:test:status" elementFormDefault="qualified">
      <xsd:simpleType name="Level"><xsd:restriction base="xsd:string"><xsd:enumeration value="GOLD"/><xsd:enumeration value="SILVER"/></xsd:restriction></xsd:simpleType>
      <xsd:element name="GetStatus"><xsd:complexType><xsd:sequence><xsd:element name="id" type="xsd:string"/></xsd:sequence></xsd:complexType></xsd:element>
      <xsd:element name="GetStatusResponse"><xsd:complexType><xsd:sequence>
        <xsd:element name="level" type="tns:Level"/>
        <xsd:element name="active" type="xsd:boolean"/>
        <xsd:element name="count" type="xsd:long"/>
        <xsd:element name="ratio" type="xsd:double"/>
        <xsd:element name="tag" type="xsd:string" maxOccurs="unbounded"/>
      </xsd:sequence></xsd:complexType></xsd:element>
    </xsd:schema>
  </types>
  <message name="GetStatusIn"><part name="parameters" element="tns:GetStatus"/></message>
  <message name="GetStatusOut"><part name="parameters" element="tns:GetStatusResponse"/></message>
  <portType name="StatusPort"><operation name="GetStatus"><input message="tns:GetStatusIn"/><output message="tns:GetStatusOut"/></operation></portType>
  <binding name="StatusBinding" type="tns:StatusPort">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <operation name="GetStatus"><soap:operation soapAction="urn:test:status#GetStatus"/><input><soap:body use="literal"/></input><output><soap:body use="literal"/></output></operation>
  </binding>
  <service name="StatusService"><port name="StatusPort" binding="tns:StatusBinding"><soap:address location="http://localhost/status"/></port></service>
</definitions>`;

test.each([
  [
    'every type',
    '<level>GOLD</level><active>1</active><count>9007199254740993</count><ratio>1e3</ratio><tag>a</tag><tag>b</tag>',
  ],
  ['one of a repeated element', '<level></level><active>TRUE</active><count>-4</count><tag>a</tag>'],
  ['values that do not parse', '<active>yes</active><count>x</count><ratio>NaN</ratio>'],
])("reads another service's reply (%s) as node-soap does", async (_kind, inner) => {
  const { node, faster, handedBack } = await readers(wsdlFile('status.wsdl', STATUS_WSDL));
  const reply =
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>' +
    `<GetStatusResponse xmlns="urn:test:status">${inner}</GetStatusResponse></soap:Body></soap:Envelope>`;
  const expected = outcome(node, reply);
  expect(expected.value).toBeDefined();
  expect(outcome(faster, reply)).toStrictEqual(expected);
  expect(outcome(faster, reply)).toStrictEqual(outcome(node, reply));
  expect(handedBack()).toBe(0);
});

// RPC/literal: the reply element is the operation's name + Response, and no message has that name. node-soap finds
// the message through the operation, keeps the alias, and reads that first reply under the message's name (its
// parts typed); later replies through the alias (untyped). The faster pass hands the first back and reads the rest.
const RPC_WSDL = `<?xml version="1.0"?>
<definitions name="Rpc" targetNamespace="urn:test:rpc" xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:tns="urn:test:rpc" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <message name="GetIn"><part name="id" type="xsd:string"/></message>
  <message name="GetOut"><part name="count" type="xsd:int"/><part name="ok" type="xsd:boolean"/></message>
  <portType name="RpcPort"><operation name="Get"><input message="tns:GetIn"/><output message="tns:GetOut"/></operation></portType>
  <binding name="RpcBinding" type="tns:RpcPort">
    <soap:binding style="rpc" transport="http://schemas.xmlsoap.org/soap/http"/>
    <operation name="Get"><soap:operation soapAction="urn:test:rpc#Get"/><input><soap:body use="literal" namespace="urn:test:rpc"/></input><output><soap:body use="literal" namespace="urn:test:rpc"/></output></operation>
  </binding>
  <service name="RpcService"><port name="RpcPort" binding="tns:RpcBinding"><soap:address location="http://localhost/rpc"/></port></service>
</definitions>`;

test('an RPC/literal reply found through its operation is read as node-soap reads it, the first and the later ones', async () => {
  const { node, faster, handedBack } = await readers(wsdlFile('rpc.wsdl', RPC_WSDL));
  const reply =
    '<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body>' +
    '<tns:GetResponse xmlns:tns="urn:test:rpc"><count>5</count><ok>true</ok></tns:GetResponse></soap:Body></soap:Envelope>';
  for (let i = 1; i <= 3; i++) {
    const expected = outcome(node, reply);
    expect(expected.value).toBeDefined();
    expect(outcome(faster, reply)).toStrictEqual(expected);
  }
  expect(handedBack()).toBe(1);
});
