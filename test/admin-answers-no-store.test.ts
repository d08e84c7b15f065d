/**
 * The credentialed APIs beside GraphQL and SOAP answer `Cache-Control: no-store` and vary on the credentials, as
 * the facades do: the marketing console's lists (the exception queue names customers, the reports count them), the
 * suppression list (customer ids and why they are listed), the definitions; answered or refused. A GET's URL alone
 * would otherwise key a cache in front (a proxy, the browser) for the next caller. Real HTTP, real PGlite.
 */
import { AUTH, asRole, roleConsumer } from './support/harness';
import { roamingEvent, startMarketing, type MarketingHarness } from './support/marketing';
import { testStores } from './support/store';

const stores = testStores();
let m: MarketingHarness;

beforeAll(async () => {
  const store = await stores.open('pglite');
  m = await startMarketing(store, { security: { consumers: [roleConsumer('marketing')] } });
  // An event for a customer no system knows: the exception queue then names a customer.
  expect((await m.send(roamingEvent('C09999999'))).status).toBe(202);
  expect((await m.admin('PUT', '/admin/suppressions/C00000013', { reason: 'asked not to be contacted' })).status).toBe(
    200,
  );
}, 60_000);
afterAll(async () => {
  await m?.close();
  await stores.cleanup();
});

const expectNoStore = (res: Response) => {
  expect(res.headers.get('cache-control')).toBe('no-store');
  const vary = (res.headers.get('vary') ?? '').split(',').map((v) => v.trim().toLowerCase());
  expect(vary).toEqual(expect.arrayContaining(['authorization', 'x-api-key']));
};

it.each([
  ['/marketing/exceptions?state=open', asRole('marketing')],
  ['/marketing/exceptions/counts', asRole('marketing')],
  ['/marketing/reports/offers', asRole('marketing')],
  ['/marketing/console/rules', asRole('marketing')],
  ['/admin/suppressions', AUTH],
  ['/admin/suppressions/C00000013', AUTH],
  ['/admin/rules', AUTH],
  ['/admin/audit?customerId=C00000001', AUTH],
])('GET %s: no-store, answered and refused', async (route, headers) => {
  const answered = await fetch(`${m.url}${route}`, { headers });
  expect(answered.status).toBe(200);
  expectNoStore(answered);
  const refused = await fetch(`${m.url}${route}`, { headers: { 'x-api-key': 'not-a-key-0123456789' } });
  expect(refused.status).toBe(401);
  expectNoStore(refused);
});

it('the exception queue it checks does name a customer', async () => {
  const res = await fetch(`${m.url}/marketing/exceptions?state=open`, { headers: asRole('marketing') });
  expect(JSON.stringify(await res.json())).toContain('C09999999');
});
