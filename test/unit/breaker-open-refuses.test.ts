/**
 * Open: every call is refused at once with EOPENBREAKER for `resetTimeoutMs`; then the breaker reads half-open.
 */
import { OpenBreakerError } from '../../gateway/backends/breaker';
import { testBreaker } from '../support/breaker';

beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
afterEach(() => jest.useRealTimers());

it('refuses every call while open, then admits probes once the reset timeout passed', () => {
  const t = testBreaker({ consecutiveFailures: 1, resetTimeoutMs: 500 });
  t.fail();
  expect(t.breaker.current()).toBe('OPEN');
  for (let i = 0; i < 5; i++) expect(() => t.breaker.acquire()).toThrow(OpenBreakerError);
  try {
    t.breaker.acquire();
  } catch (err) {
    expect((err as OpenBreakerError).code).toBe('EOPENBREAKER');
  }
  jest.advanceTimersByTime(499);
  expect(() => t.breaker.acquire()).toThrow(OpenBreakerError);
  jest.advanceTimersByTime(1);
  expect(t.breaker.current()).toBe('HALF_OPEN');
  expect(() => t.breaker.acquire()).not.toThrow();
  expect(t.changes).toEqual(['OPEN', 'HALF_OPEN']);
});
