/**
 * The queue is bounded in time: a call that waited `queueTimeoutMs` without room is refused with EBULKHEAD, leaves
 * the queue (its place is free for another), and a later release never admits it.
 */
import { Bulkhead, BulkheadFullError } from '../../gateway/backends/bulkhead';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

it('refuses a call that waited queueTimeoutMs, and frees its place in the queue', async () => {
  const bulkhead = new Bulkhead(1, 1, 1000);
  await bulkhead.acquire();
  let outcome = 'waiting';
  const waited = bulkhead.acquire().then(
    () => (outcome = 'admitted'),
    (err: unknown) => (outcome = err instanceof BulkheadFullError ? 'refused' : 'other'),
  );
  await jest.advanceTimersByTimeAsync(999);
  expect(outcome).toBe('waiting');
  await jest.advanceTimersByTimeAsync(1);
  await waited;
  expect(outcome).toBe('refused');
  // Its place is free: one more may wait, and it is the one a release admits.
  const next = bulkhead.acquire();
  bulkhead.release();
  await expect(next).resolves.toBeUndefined();
  expect(bulkhead.inFlight).toBe(1);
});
