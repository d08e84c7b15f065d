/**
 * A slow call counts bad while still in flight: at `slowCallDurationMs` after it started, not when it ends, so a
 * backend that hangs opens the breaker before its calls time out. Each call counts once: its later end records
 * nothing.
 */
import { testBreaker } from '../support/breaker';

beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
afterEach(() => jest.useRealTimers());

it('counts a call bad at the slow-call duration while it is still unanswered', () => {
  const t = testBreaker({ slowCallDurationMs: 1000, consecutiveFailures: 3, volumeThreshold: 100 });
  const permits = [t.breaker.acquire(), t.breaker.acquire(), t.breaker.acquire()];
  jest.advanceTimersByTime(999);
  expect(t.breaker.current()).toBe('CLOSED');
  jest.advanceTimersByTime(1);
  expect(t.breaker.current()).toBe('CLOSED'); // the verdict waits one turn of the event loop (setImmediate)…
  jest.advanceTimersByTime(1); // …which fake timers run a millisecond on
  // Three calls in flight, none ended: counted bad, a run of three.
  expect(t.breaker.current()).toBe('OPEN');
  expect(t.changes).toEqual(['OPEN']);
  for (const p of permits) p.success(); // their late answers change nothing
  expect(t.breaker.current()).toBe('OPEN');
});

it('counts a slow call once: its success after the verdict does not also count as a success', () => {
  const t = testBreaker({ slowCallDurationMs: 1000, consecutiveFailures: 2, volumeThreshold: 100 });
  const slow = t.breaker.acquire();
  jest.advanceTimersByTime(1001); // bad (the verdict a turn of the event loop later), run of 1
  slow.success(); // would reset the run if it counted
  t.fail(); // run of 2
  expect(t.breaker.current()).toBe('OPEN');
});

it('a call that ends before the slow-call duration is judged by its end', () => {
  const t = testBreaker({ slowCallDurationMs: 1000, consecutiveFailures: 1, volumeThreshold: 100 });
  const fast = t.breaker.acquire();
  jest.advanceTimersByTime(999);
  fast.success();
  jest.advanceTimersByTime(10_000); // its slow-call timer was cleared
  expect(t.breaker.current()).toBe('CLOSED');
});

it('an answer that arrived in the turn the slow-call timer fired is judged by the answer, not by our own lag', () => {
  const t = testBreaker({ slowCallDurationMs: 1000, consecutiveFailures: 1, volumeThreshold: 100 });
  const call = t.breaker.acquire();
  jest.advanceTimersByTime(1000); // the timer fired; its verdict waits for the I/O of this turn
  call.success(); // that I/O: the answer
  jest.advanceTimersByTime(1);
  expect(t.breaker.current()).toBe('CLOSED');
});
