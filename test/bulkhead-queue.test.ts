/**
 * Bulkheads do not refuse healthy backends: a burst of cold views waits briefly in each source's bounded queue
 * instead of being refused, with the per-source sizes shipped in config/default.json (Little's law,
 * docs/reliability.md). A stuck backend is still bounded: its calls in flight at most `maxConcurrent`, at most
 * `queue` more waiting, each at most `queueTimeoutMs`, the rest refused at once as `overloaded`.
 */
import fs from 'node:fs';
import path from 'node:path';
import { NO_CACHE, startHarness, type Harness } from './support/harness';

const shipped = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'config', 'default.json'), 'utf8')) as {
  adapters: Array<{ name: string; policy: { bulkhead?: object } }>;
};
const bulkheadOf = (name: string): object => shipped.adapters.find((a) => a.name === name)?.policy.bulkhead ?? {};

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    policies: {
      // Cold: no cache, so every view reaches every backend (CRM three times per view).
      ...Object.fromEntries(
        ['crm', 'billing', 'warehouse'].map((name) => [name, { ...NO_CACHE[name], bulkhead: bulkheadOf(name) }]),
      ),
      scoring: {
        ...NO_CACHE.scoring,
        timeoutMs: 1000,
        retry: { attempts: 0 },
        breaker: { volumeThreshold: 1000, consecutiveFailures: 1000, slowCallDurationMs: 5000 },
        bulkhead: { maxConcurrent: 5, queue: 5, queueTimeoutMs: 200 },
      },
    },
  });
  await h.gql('{ customer(id: "C00000001") { billing { balance } } }'); // the billing client loads its WSDL
});
afterAll(() => h.close());
beforeEach(() => h.mocks.resetAll());

/** The full view but scoring, which this file keeps small to show a stuck backend bounded. */
const VIEW = `query View($id: ID!) { customer(id: $id) {
  profile { name msisdn status } products { code name } contacts { channel at }
  billing { balance bills { month amount } } insights { segment tags }
} }`;

const reasons = (
  bodies: Array<{ errors?: Array<{ extensions: { code: string; source?: string; reason?: string } }> }>,
) =>
  bodies
    .flatMap((b) => b.errors ?? [])
    .filter((e) => e.extensions.code === 'SOURCE_UNAVAILABLE')
    .map((e) => `${e.extensions.source}:${e.extensions.reason}`);

it('a burst of 300 concurrent cold views against healthy backends is served whole: no call refused', async () => {
  const ids = Array.from({ length: 300 }, (_, i) => `C000${String(60000 + i)}`);
  const started = performance.now();
  const latencies: number[] = [];
  const results = await Promise.all(
    ids.map(async (id) => {
      const res = await h.gql(VIEW, { id });
      latencies.push(performance.now() - started);
      return res;
    }),
  );
  if (process.env.UCV_REPORT) {
    latencies.sort((a, b) => a - b);
    process.stdout.write(
      `300 concurrent cold views: p50 ${latencies[149]?.toFixed(0)} ms, p99 ${latencies[296]?.toFixed(0)} ms, ${reasons(results.map((r) => r.body)).length} sections refused\n`,
    );
  }
  expect(results.every((r) => r.status === 200)).toBe(true);
  expect(reasons(results.map((r) => r.body))).toEqual([]);
  // Each of the 300 views reached the CRM three times, none refused by its bulkhead.
  expect(h.counts().crm).toBe(900);
  expect(await (await fetch(`${h.url}/metrics`)).text()).not.toMatch(
    /ucv_bulkhead_rejections_total\{source="crm"\} [1-9]/,
  );
}, 60_000);

it('a burst larger than maxConcurrent waits in the queue instead of being refused', async () => {
  // A second gateway on the same mocks with a CRM bulkhead far too small for the burst: 10 in flight, 400 waiting.
  const small = await startHarness(
    {
      policies: {
        ...NO_CACHE,
        crm: { ...NO_CACHE.crm, bulkhead: { maxConcurrent: 10, queue: 400, queueTimeoutMs: 10_000 } },
      },
    },
    { mocks: h.mocks },
  );
  try {
    h.mocks.crm.faults.set({ latencyMs: 20 }); // calls overlap, so the bulkhead fills
    const results = await Promise.all(
      Array.from({ length: 100 }, (_, i) =>
        small.gql('query P($id: ID!) { customer(id: $id) { profile { name } products { code } contacts { at } } }', {
          id: `C000${String(62000 + i)}`,
        }),
      ),
    );
    expect(reasons(results.map((r) => r.body))).toEqual([]);
    expect(results.every((r) => r.body.data.customer.profile.name)).toBe(true);
    expect(h.mocks.crm.faults.requests().total).toBe(300);
    expect(await (await fetch(`${small.url}/metrics`)).text()).not.toMatch(
      /ucv_bulkhead_rejections_total\{source="crm"\} [1-9]/,
    );
  } finally {
    await small.close();
  }
}, 60_000);

it('a stuck backend is bounded: maxConcurrent calls reach it, the queue waits at most queueTimeoutMs, the rest are refused at once', async () => {
  // The backend at 10 s: the bound below is half of that and five times the 1 s deadline, so a gateway that waits
  // for the backend fails it and a loaded machine does not.
  h.mocks.scoring.faults.set({ latencyMs: 10_000 });
  const started = performance.now();
  const results = await Promise.all(
    Array.from({ length: 30 }, (_, i) =>
      h.gql(`{ customer(id: "C000${String(61000 + i)}") { score { creditScore } } }`),
    ),
  );
  const elapsed = performance.now() - started;
  const all = reasons(results.map((r) => r.body));
  expect(all.filter((r) => r === 'scoring:timeout')).toHaveLength(5); // the five admitted calls hit their deadline
  expect(all.filter((r) => r === 'scoring:overloaded')).toHaveLength(25); // 5 waited 200 ms, 20 refused at once
  expect(h.mocks.scoring.faults.requests().total).toBe(5);
  expect(elapsed).toBeLessThan(5000); // the 1 s deadline, not the backend's 10 s
  h.mocks.scoring.faults.reset();
});
