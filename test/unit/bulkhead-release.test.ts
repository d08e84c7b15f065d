/**
 * Release: the freed slot passes to the call that waited longest (FIFO), so the count in flight stays at the
 * limit; with nobody waiting, the count goes down.
 */
import { Bulkhead } from '../../gateway/backends/bulkhead';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

it('hands the slot to the waiters in the order they came, then frees it', async () => {
  const bulkhead = new Bulkhead(1, 3, 1000);
  await bulkhead.acquire();
  const admitted: string[] = [];
  const waits = ['a', 'b', 'c'].map((name) => bulkhead.acquire().then(() => admitted.push(name)));
  bulkhead.release();
  await waits[0];
  expect(admitted).toEqual(['a']);
  expect(bulkhead.inFlight).toBe(1);
  bulkhead.release();
  bulkhead.release();
  await Promise.all(waits);
  expect(admitted).toEqual(['a', 'b', 'c']);
  expect(bulkhead.inFlight).toBe(1);
  bulkhead.release();
  expect(bulkhead.inFlight).toBe(0);
});

it('a waiter admitted by a release is not later refused by its queue deadline', async () => {
  const bulkhead = new Bulkhead(1, 1, 1000);
  await bulkhead.acquire();
  const waited = bulkhead.acquire();
  bulkhead.release();
  await jest.advanceTimersByTimeAsync(5000);
  await expect(waited).resolves.toBeUndefined();
  expect(bulkhead.inFlight).toBe(1);
});
