/**
 * The window rolls: calls older than `rollingCountTimeoutMs` no longer count toward the share or the minimum.
 */
import { testBreaker } from '../support/breaker';

beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
afterEach(() => jest.useRealTimers());

it('forgets the bad calls of a window that has passed', () => {
  const t = testBreaker({
    volumeThreshold: 6,
    errorThresholdPercentage: 50,
    consecutiveFailures: 100,
    rollingCountTimeoutMs: 10_000,
  });
  for (let i = 0; i < 2; i++) {
    t.fail();
    t.succeed();
  }
  t.fail(); // 3 bad of 5: under the minimum
  jest.advanceTimersByTime(10_000);
  t.fail(); // 1 bad of 1 in the new window; with the old one it would have been 4 of 6
  expect(t.breaker.current()).toBe('CLOSED');
});

it('still counts the calls of the window within its length', () => {
  const t = testBreaker({
    volumeThreshold: 6,
    errorThresholdPercentage: 50,
    consecutiveFailures: 100,
    rollingCountTimeoutMs: 10_000,
  });
  for (let i = 0; i < 2; i++) {
    t.fail();
    t.succeed();
  }
  t.fail();
  jest.advanceTimersByTime(8_000);
  t.fail(); // 4 of 6
  expect(t.breaker.current()).toBe('OPEN');
});
