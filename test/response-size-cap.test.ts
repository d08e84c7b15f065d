/**
 * A backend answer larger than its source's `maxResponseBytes` (default 1 MiB) is refused while it is read: the
 * request is aborted past the cap, nothing is parsed, the section is null with SOURCE_UNAVAILABLE / bad_response
 * (detail too_large), and the gateway's memory stays bounded however many such answers come. The caches are
 * bounded in bytes too, with a gauge of what they hold.
 */
import { startMocks, type Mocks } from '../mocks';
import { startHarness, type Harness } from './support/harness';

let mocks: Mocks;
let h: Harness;
beforeAll(async () => {
  mocks = await startMocks();
  // Breakers that stay closed, so every answer is read and refused for its size (each refusal counts as a failure).
  const closed = { breaker: { volumeThreshold: 10_000, consecutiveFailures: 10_000 } };
  h = await startHarness({ cache: { maxBytes: 60_000 }, policies: { scoring: closed, billing: closed } }, { mocks });
  await h.gql('{ customer(id: "C00000001") { billing { balance } } }'); // the billing client loads its WSDL
});
afterAll(async () => {
  await h.close();
  await mocks.close();
});
beforeEach(() => mocks.resetAll());

const TOO_LARGE = { code: 'SOURCE_UNAVAILABLE', reason: 'bad_response', detail: 'too_large' };

it('50 MB JSON answers are refused quickly, never parsed, with RSS bounded and the process alive', async () => {
  mocks.scoring.faults.set({ oversizeBytes: 50 * 1024 * 1024 });
  global.gc?.();
  const rssBefore = process.memoryUsage().rss;
  let slowest = 0;
  // 40 customers, 10 at a time: the unbounded reader grew ~63 MB per customer and died at the 64th.
  for (let wave = 0; wave < 4; wave++) {
    const results = await Promise.all(
      Array.from({ length: 10 }, async (_, i) => {
        const started = performance.now();
        const res = await h.gql(
          `{ customer(id: "C000${String(70000 + wave * 10 + i)}") { profile { name } score { creditScore } } }`,
        );
        slowest = Math.max(slowest, performance.now() - started);
        return res;
      }),
    );
    for (const { status, body } of results) {
      expect(status).toBe(200);
      expect(body.data.customer.profile.name).toEqual(expect.any(String));
      expect(body.data.customer.score).toBeNull();
      expect(body.errors).toEqual([expect.objectContaining({ extensions: { ...TOO_LARGE, source: 'scoring' } })]);
    }
  }
  const grown = process.memoryUsage().rss - rssBefore;
  expect(grown).toBeLessThan(150 * 1024 * 1024); // 40 answers of 50 MB read whole would be 2 GB
  expect(slowest).toBeLessThan(3000); // refused after ~1 MiB, not after 50 MB; room for a busy machine
  if (process.env.UCV_REPORT)
    process.stdout.write(
      `40 answers of 50 MB: RSS grew ${(grown / 1048576).toFixed(1)} MB, slowest view ${slowest.toFixed(0)} ms\n`,
    );
  // Alive and healthy once the backend is.
  mocks.scoring.faults.reset();
  const { body } = await h.gql('{ customer(id: "C00000001") { score { creditScore } } }');
  expect(body.data.customer.score.creditScore).toEqual(expect.any(Number));
}, 60_000);

it("a SOAP answer over the cap is refused the same way (node-soap's transport counts while reading)", async () => {
  mocks.billing.faults.set({ oversizeBytes: 5 * 1024 * 1024 });
  const { body } = await h.gql('{ customer(id: "C00000009") { profile { name } billing { balance } } }');
  expect(body.data.customer.billing).toBeNull();
  expect(body.data.customer.profile.name).toEqual(expect.any(String));
  expect(body.errors[0].extensions).toEqual({ ...TOO_LARGE, source: 'billing' });
});

it('an answer under the cap, padded but valid, is served', async () => {
  mocks.scoring.faults.set({ oversizeBytes: 512 * 1024 });
  const { body } = await h.gql('{ customer(id: "C00000077") { score { creditScore } } }');
  expect(mocks.scoring.faults.requests().total).toBe(1); // read from the backend, not from the cache
  expect(body.errors).toBeUndefined();
  expect(body.data.customer.score.creditScore).toEqual(expect.any(Number));
});

it('the in-memory cache is bounded in bytes, and says how many it holds', async () => {
  for (let i = 0; i < 40; i++)
    await h.gql(
      `{ customer(id: "C000${String(71000 + i)}") { profile { name } products { code } contacts { at } insights { segment } } }`,
    );
  const text = await (await fetch(`${h.url}/metrics`)).text();
  const held = Number(/^ucv_cache_local_bytes (\d+)/m.exec(text)?.[1]);
  expect(held).toBeGreaterThan(10_000); // it does hold records...
  expect(held).toBeLessThanOrEqual(60_000); // ...within cache.maxBytes, though 40 views' records are more
});
