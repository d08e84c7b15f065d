/**
 * Half-open admits at most `halfOpenProbes` calls and refuses the others as while open; when every probe succeeds
 * the breaker closes with an empty window.
 */
import { OpenBreakerError } from '../../gateway/backends/breaker';
import { testBreaker } from '../support/breaker';

beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
afterEach(() => jest.useRealTimers());

it('admits a bounded number of probes, and closes when all succeed', () => {
  const t = testBreaker({ consecutiveFailures: 1, resetTimeoutMs: 500, halfOpenProbes: 3 });
  t.fail();
  jest.advanceTimersByTime(500);
  const probes = [t.breaker.acquire(), t.breaker.acquire(), t.breaker.acquire()];
  expect(() => t.breaker.acquire()).toThrow(OpenBreakerError);
  probes[0]!.success();
  probes[1]!.success();
  expect(t.breaker.current()).toBe('HALF_OPEN');
  expect(() => t.breaker.acquire()).toThrow(OpenBreakerError); // the probes admitted are not given back
  probes[2]!.success();
  expect(t.breaker.current()).toBe('CLOSED');
  expect(t.changes).toEqual(['OPEN', 'HALF_OPEN', 'CLOSED']);
});

it('closes with an empty window: the failures that opened it do not count again', () => {
  const t = testBreaker({ volumeThreshold: 4, errorThresholdPercentage: 50, consecutiveFailures: 3 });
  t.fail(3);
  jest.advanceTimersByTime(500);
  t.succeed(3);
  expect(t.breaker.current()).toBe('CLOSED');
  // With the window that opened it (its bad calls) these would make 4 bad of 5; in an empty one, 2 of 3.
  t.fail();
  t.succeed();
  t.fail();
  expect(t.breaker.current()).toBe('CLOSED');
});
