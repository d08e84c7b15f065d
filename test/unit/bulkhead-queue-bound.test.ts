/**
 * The queue is bounded in length: with `maxConcurrent` in flight, `queue` more calls wait and the next one is
 * refused at once, without waiting for the queue deadline.
 */
import { Bulkhead, BulkheadFullError } from '../../gateway/backends/bulkhead';

beforeEach(() => jest.useFakeTimers());
afterEach(() => jest.useRealTimers());

it('queues up to `queue` calls and refuses the next at once', async () => {
  const bulkhead = new Bulkhead(1, 2, 1000);
  await bulkhead.acquire();
  const waiting = [bulkhead.acquire(), bulkhead.acquire()];
  let settled = 0;
  for (const w of waiting)
    w.then(
      () => settled++,
      () => settled++,
    );
  await expect(bulkhead.acquire()).rejects.toBeInstanceOf(BulkheadFullError); // no time has passed
  await Promise.resolve();
  expect(settled).toBe(0); // the two queued calls still wait
  bulkhead.release();
  bulkhead.release();
  await Promise.all(waiting);
  expect(bulkhead.inFlight).toBe(1);
});
