/**
 * A SOAP hit of the rendered-answer cache is written from the XML kept for the kept answer's objects (answer-cache.ts
 * `isKept`, soap/index.ts `contentOf`): hit after hit, the answer is the one a gateway without the cache writes
 * (ages and request ids aside), for the full view and a section operation, for each role; the provenance is
 * rendered per request (ages grow); a role never gets another's XML.
 */
import {
  answerCacheCounts,
  readUntilKept,
  startAnswerCachePair,
  type AnswerCacheCounts,
  type Harness,
} from './support/harness';

let h: Harness;
let plain: Harness;
let close: () => Promise<void>;
beforeAll(async () => ({ h, plain, close } = await startAnswerCachePair()));
afterAll(() => close());

const counter = async (g: Harness, result: keyof AnswerCacheCounts): Promise<number> =>
  (await answerCacheCounts(g.url))[result];

const call = (operation: string, id: string) =>
  `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:v="urn:ucv:customer-view:v1"><soap:Body><v:${operation}><v:customerId>${id}</v:customerId></v:${operation}></soap:Body></soap:Envelope>`;

async function post(
  g: Harness,
  role: string,
  operation: string,
  id: string,
): Promise<{ status: number; text: string }> {
  const res = await fetch(`${g.url}/soap/CustomerView`, {
    method: 'POST',
    headers: {
      'content-type': 'text/xml; charset=utf-8',
      authorization: `Basic ${Buffer.from(`${role}:${role}-password`).toString('base64')}`,
    },
    body: call(operation, id),
  });
  return { status: res.status, text: await res.text() };
}
/** Misses until the answer is kept (the first read of a customer is not: cache.keepAnswers onReuse). */
async function keep(role: string, operation: string, id: string): Promise<void> {
  const before = await counter(h, 'stored');
  await readUntilKept(h.url, () => post(h, role, operation, id));
  expect(await counter(h, 'stored')).toBe(before + 1);
}
const timeless = (xml: string) =>
  xml.replace(/<(ageMs|fetchedAt|latencyMs)>[^<]*<\/\1>/g, '<$1/>').replace(/[0-9a-f-]{36}/g, '');

it.each([
  ['call-center', 'GetCustomerView', 'C00000041'],
  ['front-desk', 'GetCustomerView', 'C00000042'],
  ['marketing', 'GetCustomerView', 'C00000043'],
  ['front-desk', 'GetBillingSummary', 'C00000044'],
])('hits for %s (%s) write what the gateway without the cache writes, hit after hit', async (role, operation, id) => {
  await keep(role, operation, id);
  const before = await counter(h, 'hit');
  const first = await post(h, role, operation, id);
  const second = await post(h, role, operation, id); // from the XML kept at the first hit
  expect(await counter(h, 'hit')).toBe(before + 2);
  await post(plain, role, operation, id);
  const reference = await post(plain, role, operation, id); // from its record cache: CACHED as the hits say
  expect(reference.status).toBe(200);
  expect(first.status).toBe(200);
  expect(second.status).toBe(200);
  expect(timeless(first.text)).toBe(timeless(reference.text));
  expect(timeless(second.text)).toBe(timeless(reference.text));
  expect(second.text).toContain('<status>CACHED</status>');
});

it('ages grow from hit to hit: the provenance is rendered per request, around the kept XML', async () => {
  const id = 'C00000045';
  await keep('call-center', 'GetCustomerView', id);
  await post(h, 'call-center', 'GetCustomerView', id);
  const crmAge = (xml: string): number =>
    Number(/<sourceStatus><source>crm<\/source>(?:(?!<\/sourceStatus>).)*?<ageMs>(\d+)<\/ageMs>/.exec(xml)?.[1] ?? -1);
  const first = crmAge((await post(h, 'call-center', 'GetCustomerView', id)).text);
  await new Promise((r) => setTimeout(r, 60)); // time that must pass: a load only makes it longer
  const second = crmAge((await post(h, 'call-center', 'GetCustomerView', id)).text);
  expect(first).toBeGreaterThanOrEqual(0);
  expect(second - first).toBeGreaterThanOrEqual(50);
});

it("a role never gets another role's kept XML", async () => {
  const id = 'C00000046';
  await keep('call-center', 'GetCustomerView', id);
  await post(h, 'call-center', 'GetCustomerView', id); // a hit: its XML kept
  await keep('front-desk', 'GetCustomerView', id);
  const frontDesk = (await post(h, 'front-desk', 'GetCustomerView', id)).text;
  const callCenter = (await post(h, 'call-center', 'GetCustomerView', id)).text;
  await post(plain, 'front-desk', 'GetCustomerView', id); // the records cached: CACHED as the hits say
  expect(timeless(frontDesk)).toBe(timeless((await post(plain, 'front-desk', 'GetCustomerView', id)).text));
  expect(timeless(callCenter)).toBe(timeless((await post(plain, 'call-center', 'GetCustomerView', id)).text));
  expect(/<address>([^<]*)<\/address>/.exec(frontDesk)?.[1]).not.toBe(
    /<address>([^<]*)<\/address>/.exec(callCenter)?.[1],
  );
});
