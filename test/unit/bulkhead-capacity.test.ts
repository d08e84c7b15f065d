/**
 * Capacity: up to `maxConcurrent` calls go at once; with no queue (queue 0) the next is refused at once with
 * EBULKHEAD, and room freed by a release is usable again.
 */
import { Bulkhead, BulkheadFullError } from '../../gateway/backends/bulkhead';

it('admits maxConcurrent calls at once and refuses the next when there is no queue', async () => {
  const bulkhead = new Bulkhead(3, 0, 1000);
  await Promise.all([bulkhead.acquire(), bulkhead.acquire(), bulkhead.acquire()]);
  expect(bulkhead.inFlight).toBe(3);
  const refused = bulkhead.acquire();
  await expect(refused).rejects.toBeInstanceOf(BulkheadFullError);
  await expect(refused).rejects.toMatchObject({ code: 'EBULKHEAD' });
  bulkhead.release();
  expect(bulkhead.inFlight).toBe(2);
  await bulkhead.acquire();
  expect(bulkhead.inFlight).toBe(3);
});
