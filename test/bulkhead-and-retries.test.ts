/**
 * A bulkhead caps the calls in flight to one backend, so a slow backend cannot use up the gateway; failed reads
 * are retried, but retries stay within their budget (about 20% of calls), never a retry storm.
 */
import { NO_CACHE, startHarness, type Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    policies: {
      ...NO_CACHE,
      scoring: { ...NO_CACHE.scoring, bulkhead: { maxConcurrent: 2, queue: 0 }, retry: { attempts: 0 } },
      warehouse: {
        ...NO_CACHE.warehouse,
        retry: { attempts: 2, backoffMs: 1, budgetRatio: 0.2 },
        breaker: { volumeThreshold: 1000, consecutiveFailures: 1000 },
      },
      billing: {
        ...NO_CACHE.billing,
        bulkhead: { maxConcurrent: 2 },
        retry: { attempts: 0 },
        breaker: { volumeThreshold: 10, errorThresholdPercentage: 50, resetTimeoutMs: 60_000 },
      },
    },
  });
});
afterAll(() => h.close());
beforeEach(() => h.mocks.resetAll());

it('a slow backend gets at most maxConcurrent calls; with no queue the excess is refused at once as overloaded', async () => {
  // Held a second: the admitted two are still in flight when the other three arrive, even on a loaded machine.
  const LATENCY_MS = 1000;
  h.mocks.scoring.faults.set({ latencyMs: LATENCY_MS });
  const ids = ['C00000011', 'C00000012', 'C00000013', 'C00000014', 'C00000015'];
  const started = performance.now();
  const results = await Promise.all(
    ids.map(async (id) => {
      const res = await h.gql(`{ customer(id: "${id}") { profile { name } score { creditScore } } }`);
      return { ...res, ms: performance.now() - started };
    }),
  );
  const overloaded = results.filter((r) => r.body.errors?.[0]?.extensions.reason === 'overloaded');
  expect(overloaded).toHaveLength(3);
  // Refused at once: long before the admitted calls' answers (the backend's latency), whatever the machine's load.
  for (const r of overloaded) expect(r.ms).toBeLessThan(LATENCY_MS / 2);
  for (const r of overloaded) {
    expect(r.body.data.customer.profile.name).toEqual(expect.any(String)); // the rest of the view is served
    expect(r.body.errors[0].extensions).toEqual({
      code: 'SOURCE_UNAVAILABLE',
      source: 'scoring',
      reason: 'overloaded',
    });
  }
  expect(h.mocks.scoring.faults.requests().total).toBe(2);
  expect(await (await fetch(`${h.url}/metrics`)).text()).toMatch(/ucv_bulkhead_rejections_total\{source="scoring"\} 3/);
});

it("bulkhead refusals never keep a failing backend's breaker closed", async () => {
  await h.gql('{ customer(id: "C00000001") { billing { balance } } }'); // the billing client loads its WSDL
  h.mocks.billing.faults.set({ down: '503', latencyMs: 20 });
  for (let wave = 0; wave < 10; wave++) {
    await Promise.all(
      Array.from({ length: 10 }, (_, i) =>
        h.gql(`{ customer(id: "C0000${String(1000 + wave * 10 + i)}") { billing { balance } } }`),
      ),
    );
  }
  const { body } = await h.gql('{ customer(id: "C00000001") { billing { balance } sources { source breaker } } }');
  expect(body.data.customer.sources.find((s: { source: string }) => s.source === 'billing').breaker).toBe('OPEN');
});

it('a failing backend sees retries on at most ~20% of calls', async () => {
  h.mocks.warehouse.faults.set({ down: '503' });
  const calls = 50;
  for (let i = 0; i < calls; i++)
    await h.gql(`{ customer(id: "C000001${String(i).padStart(2, '0')}") { insights { segment } } }`);
  const reached = h.mocks.warehouse.faults.requests().total;
  expect(reached).toBeGreaterThan(calls); // some retries happened
  expect(reached).toBeLessThanOrEqual(calls * 1.2 + 1);
});

it('a transient failure is retried and the answer is served', async () => {
  // A fresh budget has no tokens; earn some with successful calls first.
  for (let i = 0; i < 10; i++) await h.gql(`{ customer(id: "C000002${i}0") { insights { segment } } }`);
  h.mocks.resetAll();
  h.mocks.warehouse.faults.set({ failNext: 1 });
  const { body } = await h.gql('{ customer(id: "C00000001") { insights { segment } } }');
  expect(body.errors).toBeUndefined();
  expect(body.data.customer.insights.segment).toEqual(expect.any(String));
  expect(h.mocks.warehouse.faults.requests().total).toBe(2);
});
