/**
 * A backend slower than its timeout: the request returns at the timeout with that section unavailable, and the
 * backend call is really aborted, not left running.
 */
import { startHarness, type Harness } from './support/harness';

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

it('a backend at 5 s latency: the answer comes at the timeout with that section unavailable', async () => {
  h.mocks.warehouse.faults.set({ latencyMs: 5000 });
  const started = performance.now();
  const { body } = await h.gql('{ customer(id: "C00000001") { profile { name } insights { segment } } }');
  const elapsed = performance.now() - started;
  expect(elapsed).toBeGreaterThanOrEqual(290);
  expect(elapsed).toBeLessThan(1500);
  expect(body.data.customer.profile.name).toEqual(expect.any(String));
  expect(body.data.customer.insights).toBeNull();
  expect(body.errors[0].extensions).toEqual({ code: 'SOURCE_UNAVAILABLE', source: 'warehouse', reason: 'timeout' });
  // The gateway hung up: the warehouse saw its caller go away.
  for (let i = 0; i < 100 && h.mocks.warehouse.faults.requests().aborted === 0; i++)
    await new Promise((r) => setTimeout(r, 10));
  expect(h.mocks.warehouse.faults.requests().aborted).toBe(1);
});

it('a billing WSDL that hangs on first use does not hold billing down once the service is back', async () => {
  h.mocks.billing.faults.set({ latencyMs: 5000 });
  const first = await h.gql('{ customer(id: "C00000001") { billing { balance } } }');
  expect(first.body.errors[0].extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'billing' });
  h.mocks.billing.faults.reset();
  await new Promise((r) => setTimeout(r, 400)); // the WSDL fetch hits its own deadline
  const { body } = await h.gql('{ customer(id: "C00000001") { billing { balance } } }');
  expect(body.errors).toBeUndefined();
  expect(body.data.customer.billing.balance).toEqual(expect.any(Number));
});
