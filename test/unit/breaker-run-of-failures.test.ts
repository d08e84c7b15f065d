/**
 * A run of failures opens at once (Envoy's consecutive_5xx): a window full of a busy minute's successes would
 * otherwise need as many failures again before its share reached the threshold.
 */
import { testBreaker } from '../support/breaker';

beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
afterEach(() => jest.useRealTimers());

it('opens on the consecutiveFailures-th bad call in a row, whatever the window holds', () => {
  const t = testBreaker({ volumeThreshold: 10, errorThresholdPercentage: 50, consecutiveFailures: 3 });
  t.succeed(1000);
  t.fail(2);
  expect(t.breaker.current()).toBe('CLOSED');
  t.fail();
  expect(t.breaker.current()).toBe('OPEN');
});

it('a success breaks the run', () => {
  const t = testBreaker({ volumeThreshold: 10, errorThresholdPercentage: 50, consecutiveFailures: 3 });
  t.succeed(1000);
  for (let i = 0; i < 50; i++) {
    t.fail(2);
    t.succeed();
  }
  expect(t.breaker.current()).toBe('CLOSED');
});
