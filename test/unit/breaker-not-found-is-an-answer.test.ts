/**
 * A backend's "not found" is an answer, never a breaker failure: a run of unknown keys leaves the breaker closed,
 * where the same run of failures opens it. In process: a Source over an adapter that answers from memory.
 */
import { inProcessSource } from '../support/source';

// One bad call opens; not-found answers are not kept, so every load reaches the backend.
const POLICY = {
  breaker: { consecutiveFailures: 1, volumeThreshold: 1 },
  cache: { notFoundTtlSeconds: 0, staleSeconds: 0 },
  retry: { attempts: 0 },
};

it('keeps the breaker closed through a run of not-found answers', async () => {
  let calls = 0;
  const source = inProcessSource(async () => {
    calls++;
    return null;
  }, POLICY);
  for (let i = 0; i < 20; i++) {
    const outcome = await source.load('record', `missing-${i}`, `req-${i}`);
    expect(outcome).toMatchObject({ ok: true, value: null, status: 'LIVE' });
  }
  expect(calls).toBe(20);
  expect(source.breakerState()).toBe('CLOSED');
});

it('the same policy opens on one failure (the not-found test above is not vacuous)', async () => {
  const source = inProcessSource(async () => {
    throw new Error('backend down');
  }, POLICY);
  expect(await source.load('record', 'k', 'req-1')).toMatchObject({ ok: false, reason: 'error' });
  expect(source.breakerState()).toBe('OPEN');
  expect(await source.load('record', 'k', 'req-2')).toMatchObject({ ok: false, reason: 'circuit_open' });
});
