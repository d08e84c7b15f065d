/**
 * The mocks serve records serialized once per customer (mocks/server.ts `serializedRecords`): the bytes and headers
 * must be what `res.json()` of the generated record gave, the first time and from the kept copy, and the fault
 * injection must still apply to them.
 */
import { startMocks, type Mocks } from '../mocks';
import { crmContacts, crmProfile, scoringEvaluation, warehouseRecord } from '../mocks/dataset/customers';

let mocks: Mocks;
beforeAll(async () => {
  mocks = await startMocks();
});
afterAll(() => mocks.close());
beforeEach(() => mocks.resetAll());

const id = 'C00000042';
const cases = (): Array<[string, string, unknown]> => [
  ['crm profile', `${mocks.urls.crm}/api/v1/customers/${id}`, crmProfile(id)],
  ['crm contacts', `${mocks.urls.crm}/api/v1/customers/${id}/contacts`, { customerId: id, items: crmContacts(id) }],
  ['warehouse', `${mocks.urls.warehouse}/edw/v1/customer-insights/${id}`, warehouseRecord(id)],
  ['scoring', `${mocks.urls.scoring}/scoring/v2/evaluations/${id}`, scoringEvaluation(id)],
];

it.each([0, 1, 2, 3])('case %i: the same bytes and content type as res.json, generated and kept', async (i) => {
  const [, url, record] = cases()[i] as [string, string, unknown];
  for (let attempt = 0; attempt < 2; attempt++) {
    const res = await fetch(url);
    expect(res.status).toBe(200);
    expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
    expect(await res.text()).toBe(JSON.stringify(record));
  }
});

it('a customer a system does not know is still a 404 with its error body', async () => {
  const res = await fetch(`${mocks.urls.warehouse}/edw/v1/customer-insights/C00000003`);
  expect(res.status).toBe(404);
  expect(await res.json()).toMatchObject({ error_code: 'NOT_IN_BATCH' });
});

it('faults still apply to a kept record: malformed bodies and injected errors', async () => {
  const url = `${mocks.urls.scoring}/scoring/v2/evaluations/${id}`;
  await fetch(url); // now kept
  mocks.scoring.faults.set({ malformedRate: 1 });
  const malformed = await (await fetch(url)).text();
  expect(() => JSON.parse(malformed)).toThrow();
  mocks.scoring.faults.set({ malformedRate: 0, failNext: 1 });
  expect((await fetch(url)).status).toBe(500);
  expect(mocks.scoring.faults.requests().total).toBe(3);
});
