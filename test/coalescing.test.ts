/**
 * Request coalescing: concurrent fetches of the same source and key in one gateway instance share one backend call.
 */
import { FULL_VIEW, startHarness, type Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
  await h.gql('{ customer(id: "C00000009") { billing { balance } } }'); // the billing client loads its WSDL once
  h.mocks.resetAll();
});
afterAll(() => h.close());

it('100 concurrent identical requests for a cold customer reach each backend once per resource', async () => {
  for (const mock of [h.mocks.crm, h.mocks.billing, h.mocks.warehouse, h.mocks.scoring])
    mock.faults.set({ latencyMs: 50 });
  const responses = await Promise.all(Array.from({ length: 100 }, () => h.gql(FULL_VIEW, { id: 'C00012345' })));
  expect(responses.every((r) => r.status === 200 && !r.body.errors && r.body.data.customer.profile)).toBe(true);
  // The CRM holds three records per customer (profile, products, contacts): one call each.
  expect(h.mocks.crm.faults.requests().byRoute).toEqual({
    'GET /api/v1/customers/:id': 1,
    'GET /api/v1/customers/:id/products': 1,
    'GET /api/v1/customers/:id/contacts': 1,
  });
  expect(h.counts()).toEqual({ crm: 3, billing: 1, warehouse: 1, scoring: 1 });
  const metrics = await (await fetch(`${h.url}/metrics`)).text();
  // Requests that came while the call was in flight joined it; later ones were cache hits.
  expect(metrics).toMatch(/ucv_coalesced_calls_total\{source="billing"\} [1-9]\d*/);
});
