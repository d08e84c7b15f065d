/**
 * Minimum calls (Resilience4j minimumNumberOfCalls): a window holding fewer than `volumeThreshold` calls never opens
 * the breaker on its share, however bad; the call that reaches the minimum may.
 */
import { testBreaker } from '../support/breaker';

beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
afterEach(() => jest.useRealTimers());

it('does not open on a bad share until the window holds the minimum number of calls', () => {
  const t = testBreaker({ volumeThreshold: 5, errorThresholdPercentage: 50, consecutiveFailures: 100 });
  t.fail(4); // 100% bad, but only 4 calls
  expect(t.breaker.current()).toBe('CLOSED');
  t.fail(); // the fifth
  expect(t.breaker.current()).toBe('OPEN');
});
