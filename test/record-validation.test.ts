/**
 * Every backend answer is checked against its resource's declared shape (`resources.x.schema`) before it becomes a
 * record: an answer of the wrong shape is `bad_response` (detail wrong_shape), its sections are null with
 * SOURCE_UNAVAILABLE (never null without an error, never INTERNAL_SERVER_ERROR), it is never cached, and it counts
 * as a failure for the breaker. Caching stays on here (default policies), so a cached bad answer would show.
 */
import { startHarness, type Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    policies: {
      scoring: {
        breaker: { volumeThreshold: 5, errorThresholdPercentage: 50, resetTimeoutMs: 60_000 },
        retry: { attempts: 0 },
      },
    },
  });
});
afterAll(() => h.close());
beforeEach(() => h.mocks.resetAll());

const SCORE = (id: string) =>
  `{ customer(id: "${id}") { profile { name } score { creditScore } recommendations { offerCode } sources { source status reason breaker } } }`;
const WRONG_SHAPE = { code: 'SOURCE_UNAVAILABLE', reason: 'bad_response', detail: 'wrong_shape' };

it('scoring answering 200 {"unexpected":"x"}: score and recommendations null with SOURCE_UNAVAILABLE, nothing cached', async () => {
  h.mocks.scoring.faults.set({ wrongShape: true });
  const { status, body } = await h.gql(SCORE('C00000081'));
  expect(status).toBe(200);
  const c = body.data.customer;
  expect(c.profile.name).toEqual(expect.any(String));
  expect(c.score).toBeNull();
  expect(c.recommendations).toBeNull();
  expect(body.errors.map((e: { path: string[]; extensions: object }) => [e.path.join('.'), e.extensions])).toEqual([
    ['customer.score', { ...WRONG_SHAPE, source: 'scoring' }],
    ['customer.recommendations', { ...WRONG_SHAPE, source: 'scoring' }],
  ]);
  expect(c.sources.find((s: { source: string }) => s.source === 'scoring')).toMatchObject({
    status: 'UNAVAILABLE',
    reason: 'bad_response',
  });

  // Healthy again: the next call reaches scoring (LIVE), so the bad answer was not cached.
  h.mocks.scoring.faults.reset();
  const again = await h.gql(SCORE('C00000081'));
  expect(again.body.errors).toBeUndefined();
  expect(again.body.data.customer.score.creditScore).toEqual(expect.any(Number));
  expect(again.body.data.customer.sources.find((s: { source: string }) => s.source === 'scoring')).toMatchObject({
    status: 'LIVE',
  });
  expect(h.mocks.scoring.faults.requests().total).toBe(1); // counted since the reset: this call reached scoring
});

it('answers of the wrong shape count for the breaker: enough of them open it', async () => {
  h.mocks.scoring.faults.set({ wrongShape: true });
  // The window already holds the first test's bad and good call; five more bad ones pass the 50% threshold.
  for (let i = 0; i < 5; i++) await h.gql(SCORE(`C0000009${i}`));
  const reached = h.mocks.scoring.faults.requests().total;
  expect(reached).toBeLessThanOrEqual(5);
  const { body } = await h.gql(SCORE('C00000099'));
  expect(body.errors[0].extensions).toEqual({ code: 'SOURCE_UNAVAILABLE', source: 'scoring', reason: 'circuit_open' });
  expect(h.mocks.scoring.faults.requests().total).toBe(reached); // refused without a call
});

it.each([
  ['crm', '{ customer(id: "C00000082") { id profile { name } billing { balance } } }', 'profile'],
  ['warehouse', '{ customer(id: "C00000083") { insights { segment } billing { balance } } }', 'insights'],
])(
  '%s answering the wrong shape: its section null with SOURCE_UNAVAILABLE, never INTERNAL_SERVER_ERROR',
  async (source, query, section) => {
    h.mocks[source as 'crm' | 'warehouse'].faults.set({ wrongShape: true });
    const { body } = await h.gql(query);
    expect(body.data.customer[section]).toBeNull();
    expect(body.data.customer.billing.balance).toEqual(expect.any(Number));
    expect(body.errors.map((e: { extensions: object }) => e.extensions)).toEqual([{ ...WRONG_SHAPE, source }]);
  },
);
