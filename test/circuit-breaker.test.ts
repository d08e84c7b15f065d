/**
 * A failing backend opens its breaker: while open, requests are answered at once without calling it; after the
 * reset timeout one probe goes through, and its success closes the breaker.
 */
import { NO_CACHE, startHarness, type Harness } from './support/harness';

let h: Harness;
const breaker = { volumeThreshold: 4, errorThresholdPercentage: 50, resetTimeoutMs: 600, rollingCountTimeoutMs: 10_000 };
beforeAll(async () => {
  h = await startHarness({ policies: { ...NO_CACHE, scoring: { ...NO_CACHE.scoring, breaker, retry: { attempts: 0 } } } });
});
afterAll(() => h.close());

const SCORE = '{ customer(id: "C00000001") { score { creditScore } sources { source status breaker reason } } }';
const scoringStatus = (body: { data: { customer: { sources: Array<{ source: string }> } } }) => body.data.customer.sources.find((s) => s.source === 'scoring');
const readyz = async () => (await fetch(`${h.url}/readyz`)).json() as Promise<{ status: string; sources: Array<{ source: string; breaker: string }> }>;

it('opens after enough failures, fails fast without calling the backend, probes once after the reset timeout, and closes on success', async () => {
  h.mocks.scoring.faults.set({ down: '503' });
  for (let i = 0; i < 4; i++) await h.gql(SCORE);
  expect(h.mocks.scoring.faults.requests().total).toBe(4);

  // Open: answered without calling scoring, within a few milliseconds.
  const before = h.mocks.scoring.faults.requests().total;
  const started = performance.now();
  const { body } = await h.gql(SCORE);
  const elapsed = performance.now() - started;
  expect(body.data.customer.score).toBeNull();
  expect(body.errors[0].extensions).toEqual({ code: 'SOURCE_UNAVAILABLE', source: 'scoring', reason: 'circuit_open' });
  expect(scoringStatus(body)).toMatchObject({ status: 'UNAVAILABLE', breaker: 'OPEN', reason: 'circuit_open' });
  expect(h.mocks.scoring.faults.requests().total).toBe(before);
  expect(elapsed).toBeLessThan(250); // no call was made (above); the bound leaves room for a busy machine
  expect((await readyz()).sources).toContainEqual({ source: 'scoring', breaker: 'OPEN' });

  // After the reset timeout, with scoring healthy again (but slow, so the probe is still in flight while the other
  // two arrive): one probe goes through and closes the breaker.
  h.mocks.scoring.faults.reset();
  h.mocks.scoring.faults.set({ latencyMs: 200 });
  await new Promise((r) => setTimeout(r, 700));
  // Three customers at once (the same customer would share one call): one probe, the others refused meanwhile.
  const results = await Promise.all(['C00000001', 'C00000002', 'C00000005'].map((id) => h.gql(SCORE.replace('C00000001', id))));
  expect(h.mocks.scoring.faults.requests().total).toBe(1);
  expect(results.filter((r) => r.body.data.customer.score !== null)).toHaveLength(1);
  h.mocks.scoring.faults.reset();
  const after = await h.gql(SCORE);
  expect(after.body.data.customer.score.creditScore).toEqual(expect.any(Number));
  expect(scoringStatus(after.body)).toMatchObject({ status: 'LIVE', breaker: 'CLOSED' });
  expect((await readyz()).status).toBe('ok');
});

it('"customer not found" answers never open the breaker', async () => {
  h.mocks.resetAll();
  for (let i = 0; i < 8; i++) await h.gql('{ customer(id: "C99999999") { score { creditScore } } }');
  const { body } = await h.gql(SCORE);
  expect(scoringStatus(body)).toMatchObject({ status: 'LIVE', breaker: 'CLOSED' });
});

it('the breaker state is exported as a metric', async () => {
  const text = await (await fetch(`${h.url}/metrics`)).text();
  expect(text).toMatch(/ucv_breaker_state\{source="scoring"\} 0/);
  expect(text).toMatch(/ucv_source_errors_total\{source="scoring",reason="circuit_open"\} [1-9]/);
});
