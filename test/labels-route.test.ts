/**
 * The label catalog served: `GET /labels` answers the one catalog as JSON, with no credential (reference data, no
 * personal data), cacheable and revalidated by its ETag; the WSDL documents each enumeration value with the same
 * labels; the scoring system's reasons come through in Chinese with their code.
 */
import { CATALOG } from '../gateway/labels';
import { scoringEvaluation } from '../mocks/dataset/customers';
import { startHarness, type Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
}, 30_000);
afterAll(() => h.close());

it('GET /labels answers the catalog, Chinese first, with an ETag, and 304 while it is unchanged', async () => {
  const res = await fetch(`${h.url}/labels`);
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toMatch(/^application\/json/);
  expect(res.headers.get('cache-control')).toBe('public, max-age=3600');
  const etag = res.headers.get('etag');
  expect(etag).toMatch(/^"[\w-]+"$/);
  const body = (await res.json()) as { domains: unknown; risk: { openComplaintOutcomes: string[] } };
  expect(body.domains).toEqual(JSON.parse(JSON.stringify(CATALOG)));
  expect((body.domains as typeof CATALOG).profileStatus.SUSPENDED).toEqual({ zh: '停机', en: 'suspended' });
  expect(body.risk.openComplaintOutcomes).toContain('PENDING');

  const again = await fetch(`${h.url}/labels`, { headers: { 'if-none-match': etag! } });
  expect(again.status).toBe(304);
  expect(await again.text()).toBe('');
  const other = await fetch(`${h.url}/labels`, { headers: { 'if-none-match': '"something-else"' } });
  expect(other.status).toBe(200);
});

it("the WSDL documents each enumeration value with the catalog's labels", async () => {
  const wsdl = await (await fetch(`${h.url}/soap/CustomerView?wsdl`)).text();
  expect(wsdl).toContain(
    '<xsd:enumeration value="SUSPENDED"><xsd:annotation><xsd:documentation xml:lang="zh">停机</xsd:documentation><xsd:documentation xml:lang="en">suspended</xsd:documentation></xsd:annotation></xsd:enumeration>',
  );
  expect(wsdl).toContain('<xsd:documentation xml:lang="zh">短信营业厅</xsd:documentation>');
});

it("recommendations carry the scoring system's reason in Chinese and its code", async () => {
  const { body } = await h.gql('{ customer(id: "C00000001") { recommendations { offerCode reason reasonCode } } }');
  const expected = scoringEvaluation('C00000001')!.offers.map((o) => ({
    offerCode: o.offerCode,
    reason: o.reason,
    reasonCode: o.reasonCode,
  }));
  expect(body.data.customer.recommendations).toEqual(expected);
  for (const r of body.data.customer.recommendations) {
    expect(r.reason).toMatch(/[\u4e00-\u9fff]/);
    expect(CATALOG.offerReason[r.reasonCode]).toBeDefined();
  }
});
