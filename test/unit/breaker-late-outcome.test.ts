/**
 * An outcome that arrives after the state changed belongs to a window that no longer exists and records nothing:
 * a call admitted while closed that fails after the breaker opened does not fail a half-open probe round.
 */
import { testBreaker } from '../support/breaker';

beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
afterEach(() => jest.useRealTimers());

it('ignores the end of a call admitted before the last transition', () => {
  const t = testBreaker({ consecutiveFailures: 2, resetTimeoutMs: 500, halfOpenProbes: 1, slowCallDurationMs: 60_000 });
  const early = t.breaker.acquire(); // admitted while closed, still in flight
  t.fail(2);
  expect(t.breaker.current()).toBe('OPEN');
  jest.advanceTimersByTime(500);
  expect(t.breaker.current()).toBe('HALF_OPEN');
  early.failure(); // from the closed window: must not reopen
  expect(t.breaker.current()).toBe('HALF_OPEN');
  t.succeed(); // the one probe
  expect(t.breaker.current()).toBe('CLOSED');
});
