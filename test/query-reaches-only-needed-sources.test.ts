/**
 * A query calls only the backends whose sections it selects, each once, and a full view calls them in parallel.
 */
import { SAMPLE_CUSTOMERS } from '../mocks';
import { FULL_VIEW, NO_CACHE, startHarness, type Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ policies: NO_CACHE });
  await h.gql(FULL_VIEW, { id: SAMPLE_CUSTOMERS.keyAccount }); // the billing client fetches its WSDL once
});
afterAll(() => h.close());
beforeEach(() => h.mocks.resetAll());

it('a billing-only query reaches only billing, once', async () => {
  const { body } = await h.gql('{ customer(id: "C00000001") { billing { balance } } }');
  expect(body.data.customer.billing.balance).toEqual(expect.any(Number));
  expect(h.counts()).toEqual({ crm: 0, billing: 1, warehouse: 0, scoring: 0 });
});

it('two sections from one record cost one call: score and recommendations', async () => {
  await h.gql('{ customer(id: "C00000001") { score { creditScore } recommendations { offerCode } } }');
  expect(h.counts()).toEqual({ crm: 0, billing: 0, warehouse: 0, scoring: 1 });
});

it('fragments, aliases and @include count: only the selected sections are fetched', async () => {
  const query = `query($withInsights: Boolean!) {
    c: customer(id: "C00000001") { ...Money insights @include(if: $withInsights) { segment } }
  }
  fragment Money on Customer { billing { balance } }`;
  await h.gql(query, { withInsights: false });
  expect(h.counts()).toEqual({ crm: 0, billing: 1, warehouse: 0, scoring: 0 });
});

it('the backends see the request id of the gateway request', async () => {
  await h.gql('{ customer(id: "C00000001") { profile { name } billing { balance } } }', undefined, {
    'x-request-id': 'front-desk-42',
  });
  expect(h.mocks.crm.faults.requests().lastRequestId).toBe('front-desk-42');
  expect(h.mocks.billing.faults.requests().lastRequestId).toBe('front-desk-42');
});

// Long enough that the gateway's own work (about 30 ms here) could grow thirtyfold on a loaded machine and the
// answer still come before two latencies; under the slow-call duration (1 s), so no call counts as slow.
const LATENCY_MS = 800;

it('with every backend at the same latency, a four-source view takes one backend latency, not four', async () => {
  for (const mock of [h.mocks.crm, h.mocks.billing, h.mocks.warehouse, h.mocks.scoring])
    mock.faults.set({ latencyMs: LATENCY_MS });
  const started = performance.now();
  const { body } = await h.gql(FULL_VIEW, { id: SAMPLE_CUSTOMERS.ordinary });
  const elapsed = performance.now() - started;
  expect(body.errors).toBeUndefined();
  expect(elapsed).toBeGreaterThanOrEqual(LATENCY_MS);
  // Any two calls one after the other would take two latencies (CRM alone makes three).
  expect(elapsed).toBeLessThan(2 * LATENCY_MS);
});
