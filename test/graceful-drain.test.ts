/**
 * Shutdown drains: on close() (what SIGTERM runs) /readyz answers 503, answers on kept-alive
 * connections say `Connection: close`, requests in flight finish, and no request is reset without an answer.
 */
import { startMocks, type Mocks } from '../mocks';
import { AUTH, startHarness, type Harness } from './support/harness';
import { getOnce, startLoad } from './support/load';
import { waitFor } from './support/wait';

let mocks: Mocks;
beforeAll(async () => {
  mocks = await startMocks();
});
afterAll(() => mocks.close());
afterEach(() => mocks.resetAll());

const BODY = JSON.stringify({ query: '{ customer(id: "C00000001") { profile { name } score { creditScore } } }' });

async function gatewayWith(delayMs: number): Promise<Harness> {
  // Scoring answers in 200 ms and is not cached: there are always requests in flight when the drain starts.
  return startHarness(
    { shutdown: { graceMs: 10_000, delayMs }, policies: { scoring: { cache: { ttlSeconds: 0, staleSeconds: 0 } } } },
    { mocks },
  );
}

test('keep-alive clients under steady load: no request is reset, those in flight are answered, clients are told to close', async () => {
  mocks.scoring.faults.set({ latencyMs: 200 });
  const h = await gatewayWith(0);
  const load = startLoad(h.url, { clients: 8, body: BODY });
  // Steady load: every client answered at least once and sending again.
  await waitFor(() => load.answered() >= 16, { what: '16 answers' });
  load.mark();
  const stats = await h.gateway.close();
  const outcome = await load.stop();

  expect(outcome.reset).toBe(0);
  // The gateway's own account agrees: everything it accepted was answered.
  expect(stats.unanswered).toBe(0);
  expect(stats.answered).toBeGreaterThanOrEqual(1);
  expect(outcome.resetCodes).toEqual([]);
  expect(outcome.startedBeforeMark).toBeGreaterThan(8);
  // Every request already sent when the drain began got its answer.
  expect(outcome.answeredOfThoseStartedBeforeMark).toBe(outcome.startedBeforeMark);
  expect(outcome.statuses[200]).toBeGreaterThan(8);
  expect(Object.keys(outcome.statuses)).toEqual(['200']);
  // The requests in flight at the start of the drain learnt, in their answer, to leave the connection.
  expect(outcome.connectionClose).toBeGreaterThanOrEqual(1);
});

test('while draining, /readyz answers 503 "draining" and new answers carry Connection: close until the listener closes', async () => {
  mocks.scoring.faults.set({ latencyMs: 200 });
  const h = await gatewayWith(600);
  expect((await getOnce(`${h.url}/readyz`)).status).toBe(200);
  const load = startLoad(h.url, { clients: 4, body: BODY });
  // The four clients connected (each has been answered and sent its next request).
  await waitFor(() => load.answered() >= 4, { what: '4 answers' });
  const closing = h.gateway.close();
  expect(h.gateway.draining).toBe(true);
  const ready = await getOnce(`${h.url}/readyz`);
  expect(ready.status).toBe(503);
  expect(JSON.parse(ready.body)).toEqual({ status: 'draining' });
  await closing;
  const outcome = await load.stop();
  expect(outcome.reset).toBe(0);
  // During the 600 ms delay the clients reconnected and were answered, each answer asking them to close again.
  expect(outcome.connectionClose).toBeGreaterThanOrEqual(4);
  // Once the listener is closed, a new connection is refused (a clean refusal: nothing was sent).
  await expect(getOnce(`${h.url}/healthz`)).rejects.toMatchObject({ code: 'ECONNREFUSED' });
});

test('close() waits for a slow request in flight, and cuts it once the grace period has passed', async () => {
  mocks.scoring.faults.set({ latencyMs: 1500 });
  const h = await gatewayWith(0);
  const slow = h.gql('{ customer(id: "C00000002") { score { creditScore } } }');
  // In flight: scoring has it (a fixed pause could end before it even reached the gateway on a loaded machine).
  await waitFor(() => mocks.scoring.faults.requests().total > 0, { what: 'the slow request at scoring' });
  const started = performance.now();
  await h.gateway.close();
  const waited = performance.now() - started;
  const answer = await slow;
  expect(answer.status).toBe(200);
  expect(answer.body.data.customer.score.creditScore).toEqual(expect.any(Number));
  expect(waited).toBeGreaterThan(800); // it waited for the answer rather than cutting it

  mocks.scoring.faults.set({ latencyMs: 5000 });
  const h2 = await gatewayWith(0);
  const reachedBefore = mocks.scoring.faults.requests().total;
  const stuck = fetch(`${h2.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...AUTH },
    body: BODY,
  }).then(
    (r) => r.status,
    (err: Error) => err,
  );
  // In flight at scoring, so the cut below is of a request the gateway accepted (on a loaded
  // machine the request could arrive after close() and be refused, which also reads "fetch failed").
  await waitFor(() => mocks.scoring.faults.requests().total > reachedBefore, { what: 'the stuck request at scoring' });
  const started2 = performance.now();
  await h2.gateway.close(300); // shorter than the call's own deadline: the connection is cut
  expect(performance.now() - started2).toBeLessThan(3000);
  expect(String(await stuck)).toMatch(/fetch failed/); // cut, not answered
});
