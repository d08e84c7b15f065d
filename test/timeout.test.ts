/**
 * A backend slower than its timeout: the request returns at the timeout with that section unavailable, and the
 * backend call is really aborted, not left running.
 */
import { startHarness, type Harness } from './support/harness';
import { waitFor } from './support/wait';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    policies: {
      warehouse: { timeoutMs: 300, cache: { staleSeconds: 0 } },
      billing: { timeoutMs: 300, cache: { ttlSeconds: 0, staleSeconds: 0 } },
    },
  });
});
afterAll(() => h.close());

// The backend answers after 30 s: the answer must come at the 300 ms timeout, nowhere near the backend's latency.
// The bound below is a third of that latency, 33 times the timeout: a loaded machine that slows the gateway tenfold
// still passes, a gateway that waits for the backend never does.
const BACKEND_LATENCY_MS = 30_000;

it('a backend far slower than its timeout: the answer comes at the timeout with that section unavailable', async () => {
  h.mocks.warehouse.faults.set({ latencyMs: BACKEND_LATENCY_MS });
  const started = performance.now();
  const { body } = await h.gql('{ customer(id: "C00000001") { profile { name } insights { segment } } }');
  const elapsed = performance.now() - started;
  expect(elapsed).toBeGreaterThanOrEqual(290);
  expect(elapsed).toBeLessThan(BACKEND_LATENCY_MS / 3);
  expect(body.data.customer.profile.name).toEqual(expect.any(String));
  expect(body.data.customer.insights).toBeNull();
  expect(body.errors[0].extensions).toEqual({ code: 'SOURCE_UNAVAILABLE', source: 'warehouse', reason: 'timeout' });
  // The gateway hung up: the warehouse saw its caller go away.
  await waitFor(() => h.mocks.warehouse.faults.requests().aborted > 0, { what: 'the warehouse call aborted' });
  expect(h.mocks.warehouse.faults.requests().aborted).toBe(1);
});

it('a billing WSDL that hangs on first use does not hold billing down once the service is back', async () => {
  h.mocks.billing.faults.set({ latencyMs: BACKEND_LATENCY_MS });
  const first = await h.gql('{ customer(id: "C00000001") { billing { balance } } }');
  expect(first.body.errors[0].extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'billing' });
  h.mocks.billing.faults.set({ latencyMs: 0 }); // healthy again; reset() would also zero the count awaited below
  // The WSDL fetch hits its own deadline: billing sees the gateway hang up on it (its only request so far).
  await waitFor(() => h.mocks.billing.faults.requests().aborted > 0, { what: 'the WSDL fetch aborted' });
  const { body } = await h.gql('{ customer(id: "C00000001") { billing { balance } } }');
  expect(body.errors).toBeUndefined();
  expect(body.data.customer.billing.balance).toEqual(expect.any(Number));
});
