/**
 * A call the bulkhead refuses never reaches the breaker: it says the gateway is busy, not that the backend fails.
 * In process: a Source whose backend holds its calls until the test answers them.
 */
import { inProcessSource } from '../support/source';

it('refuses the calls beyond the bulkhead as overloaded, and the breaker stays closed', async () => {
  const pending: Array<(value: unknown) => void> = [];
  const source = inProcessSource(() => new Promise((resolve) => pending.push(resolve)), {
    bulkhead: { maxConcurrent: 2, queue: 0 },
    breaker: { consecutiveFailures: 1, volumeThreshold: 1, slowCallDurationMs: 60_000 },
    timeoutMs: 60_000,
    retry: { attempts: 0 },
  });
  const held = [source.load('record', 'a', 'r1'), source.load('record', 'b', 'r2')];
  const refused = await Promise.all(['c', 'd', 'e'].map((key) => source.load('record', key, `r-${key}`)));
  for (const outcome of refused) expect(outcome).toMatchObject({ ok: false, reason: 'overloaded' });
  expect(source.breakerState()).toBe('CLOSED');
  while (pending.length < 2) await new Promise((resolve) => setImmediate(resolve));
  for (const answer of pending) answer({ id: 'x' });
  for (const outcome of await Promise.all(held)) expect(outcome).toMatchObject({ ok: true, status: 'LIVE' });
});
