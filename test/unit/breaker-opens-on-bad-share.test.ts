/**
 * Closed → open on the window's share: once the window holds `volumeThreshold` calls, the breaker opens on the call
 * that brings the bad share to `errorThresholdPercentage`, not before.
 */
import { testBreaker } from '../support/breaker';

beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
afterEach(() => jest.useRealTimers());

it('opens when the bad share of a full enough window reaches the threshold', () => {
  const t = testBreaker({ volumeThreshold: 10, errorThresholdPercentage: 50, consecutiveFailures: 100 });
  // Alternating, so no run of failures: 5 good, 4 bad → 44% bad.
  for (let i = 0; i < 4; i++) {
    t.succeed();
    t.fail();
  }
  t.succeed();
  expect(t.breaker.current()).toBe('CLOSED');
  t.fail(); // 10 calls, 5 bad: 50%
  expect(t.breaker.current()).toBe('OPEN');
  expect(t.changes).toEqual(['OPEN']);
});

it('stays closed while the bad share is under the threshold', () => {
  const t = testBreaker({ volumeThreshold: 10, errorThresholdPercentage: 50, consecutiveFailures: 100 });
  for (let i = 0; i < 20; i++) {
    t.succeed(2);
    t.fail(); // 33% bad
  }
  expect(t.breaker.current()).toBe('CLOSED');
  expect(t.changes).toEqual([]);
});
