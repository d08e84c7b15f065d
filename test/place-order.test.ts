/**
 * `gateway.placeOrder` places an order through the protected path: the `placeOrder` command of the source that offers
 * it (the CRM's adapter; the gateway names no backend), with the idempotency key as the CRM's `Idempotency-Key`, so
 * twice with one key is one product; the customer's products are evicted, so the next view shows it; the CRM's
 * refusals are REJECTED (`not_found`, `invalid`), a CRM that fails is UNAVAILABLE. Real mocks and a gateway.
 */
import { orderSource } from '../gateway/marketing/responses';
import { LONG_TTLS, startHarness, type Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  // Records kept 5 minutes: only the order's eviction can make the products fresh.
  h = await startHarness({ policies: LONG_TTLS });
});
afterAll(() => h.close());
beforeEach(() => h.mocks.resetAll());

const products = async (id: string): Promise<string[]> => {
  const res = await h.gql('query P($id: ID!) { customer(id: $id) { products { code } } }', { id });
  return (res.body.data.customer.products as Array<{ code: string }>).map((p) => p.code);
};

it('finds the source offering placeOrder by the command name', () => {
  expect(orderSource(h.gateway.sources)?.name).toBe('crm');
});

it('twice with one key: one product in the CRM, the same answer; the next view shows it', async () => {
  const before = await products('C00000041');
  expect(before).not.toContain('VAS-CLOUD');
  const placed = h.mocks.crm.ordersPlaced();
  const first = await h.gateway.placeOrder({ customerId: 'C00000041', offerCode: 'VAS-CLOUD' }, 'order:reply-1');
  const again = await h.gateway.placeOrder({ customerId: 'C00000041', offerCode: 'VAS-CLOUD' }, 'order:reply-1');
  expect(first).toEqual({ status: 'PLACED', source: 'crm', productId: expect.stringMatching(/^P41-o\d+$/) });
  expect(again).toEqual(first);
  expect(h.mocks.crm.ordersPlaced()).toBe(placed + 1);
  expect(await products('C00000041')).toEqual([...before, 'VAS-CLOUD']);
  // The CRM saw both, each with the key.
  expect(h.mocks.crm.faults.requests().byRoute['POST /api/v1/customers/:id/products']).toBe(2);
});

it('an unknown customer is REJECTED not_found; an offer the CRM does not sell, REJECTED invalid', async () => {
  const placed = h.mocks.crm.ordersPlaced();
  expect(await h.gateway.placeOrder({ customerId: 'C99999999', offerCode: 'VAS-CLOUD' }, 'order:unknown')).toEqual({
    status: 'REJECTED',
    detail: 'not_found',
    message: 'no customer C99999999',
  });
  expect(await h.gateway.placeOrder({ customerId: 'C00000042', offerCode: 'NOPE-1' }, 'order:bad-offer')).toEqual({
    status: 'REJECTED',
    detail: 'invalid',
    message: expect.stringMatching(/^offerCode must be one of LV-58, /),
  });
  expect(h.mocks.crm.ordersPlaced()).toBe(placed);
});

it('refuses before any call what the command or the key would refuse: an ill-formed offer code, key or customer id', async () => {
  const calls = h.counts().crm;
  expect(await h.gateway.placeOrder({ customerId: 'C00000043', offerCode: 'lower case' }, 'order:x')).toEqual({
    status: 'REJECTED',
    detail: 'invalid',
    message: 'offerCode: 1 to 64 capital letters, digits or "-", e.g. DATA-HKMO',
  });
  expect(await h.gateway.placeOrder({ customerId: 'C00000043', offerCode: 'VAS-CLOUD' }, 'has space')).toMatchObject({
    status: 'REJECTED',
    detail: 'invalid',
  });
  expect(await h.gateway.placeOrder({ customerId: 'C/1', offerCode: 'VAS-CLOUD' }, 'order:y')).toMatchObject({
    status: 'REJECTED',
    detail: 'invalid',
  });
  expect(h.counts().crm).toBe(calls);
});

it('a CRM that fails is UNAVAILABLE: nothing placed, and the same key places it once the CRM is back', async () => {
  h.mocks.crm.faults.set({ down: '503' });
  const down = await h.gateway.placeOrder({ customerId: 'C00000044', offerCode: 'LD-IDD' }, 'order:retry-me');
  expect(down).toEqual({ status: 'UNAVAILABLE', reason: 'error', message: expect.stringContaining('same key') });
  h.mocks.crm.faults.reset();
  const placed = h.mocks.crm.ordersPlaced();
  const back = await h.gateway.placeOrder({ customerId: 'C00000044', offerCode: 'LD-IDD' }, 'order:retry-me');
  expect(back).toMatchObject({ status: 'PLACED' });
  expect(h.mocks.crm.ordersPlaced()).toBe(placed + 1);
});
