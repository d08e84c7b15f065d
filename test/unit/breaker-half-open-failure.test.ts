/**
 * Half-open: one bad probe opens the breaker again, for a new reset timeout; the other probes' outcomes, arriving
 * after, record nothing.
 */
import { OpenBreakerError } from '../../gateway/backends/breaker';
import { testBreaker } from '../support/breaker';

beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
afterEach(() => jest.useRealTimers());

it('opens again on one bad probe, and waits a whole reset timeout before the next probes', () => {
  const t = testBreaker({ consecutiveFailures: 1, resetTimeoutMs: 500, halfOpenProbes: 3 });
  t.fail();
  jest.advanceTimersByTime(500);
  const [a, b] = [t.breaker.acquire(), t.breaker.acquire()];
  a.success();
  b.failure();
  expect(t.breaker.current()).toBe('OPEN');
  jest.advanceTimersByTime(499);
  expect(() => t.breaker.acquire()).toThrow(OpenBreakerError);
  jest.advanceTimersByTime(1);
  expect(t.breaker.current()).toBe('HALF_OPEN');
  expect(t.changes).toEqual(['OPEN', 'HALF_OPEN', 'OPEN', 'HALF_OPEN']);
});

it('a slow probe is a bad probe', () => {
  const t = testBreaker({ consecutiveFailures: 1, resetTimeoutMs: 500, slowCallDurationMs: 1000 });
  t.fail();
  jest.advanceTimersByTime(500);
  t.breaker.acquire(); // never answers
  jest.advanceTimersByTime(1001); // the slow-call duration, and the turn of the event loop the verdict waits
  expect(t.breaker.current()).toBe('OPEN');
});
