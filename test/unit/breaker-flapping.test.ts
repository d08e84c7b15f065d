/**
 * A backend that goes down and up again every 1.5 s, under the default policy: the breaker opens in every outage and
 * refuses most calls then, and refuses few while the backend is up (short reset timeout, bounded probes, an empty
 * window on closing). The scenario of test/breaker-flapping.test.ts, on jest's fake clock: four clients, calls of
 * 10 ms, 5 ms between calls, the same every run.
 */
import { OpenBreakerError } from '../../gateway/backends/breaker';
import { testBreaker } from '../support/breaker';

beforeEach(() => jest.useFakeTimers({ now: 1_700_000_000_000 }));
afterEach(() => jest.useRealTimers());

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

it('opens in every outage and refuses few calls while the backend is up', async () => {
  const PHASE_MS = 1500;
  const PHASES = 6; // up, down, up, down, up, down
  const start = Date.now();
  const phaseAt = (t: number) => Math.floor((t - start) / PHASE_MS);
  const { breaker } = testBreaker();
  const outcomes: Array<{ phase: number; refused: boolean }> = [];
  const client = async (): Promise<void> => {
    while (phaseAt(Date.now()) < PHASES) {
      const phase = phaseAt(Date.now());
      let refused = false;
      try {
        const permit = breaker.acquire();
        await sleep(10);
        if (phaseAt(Date.now()) % 2 === 1) permit.failure();
        else permit.success();
      } catch (err) {
        if (!(err instanceof OpenBreakerError)) throw err;
        refused = true;
      }
      if (phaseAt(Date.now()) === phase) outcomes.push({ phase, refused });
      await sleep(5);
    }
  };
  const clients = Promise.all([client(), client(), client(), client()]);
  await jest.advanceTimersByTimeAsync(PHASE_MS * PHASES + 100);
  await clients;

  const share = (list: typeof outcomes) => list.filter((o) => o.refused).length / list.length;
  const upLater = outcomes.filter((o) => o.phase % 2 === 0 && o.phase > 0); // the first up phase is warm-up
  const down = outcomes.filter((o) => o.phase % 2 === 1);
  expect(upLater.length).toBeGreaterThan(20);
  expect([1, 3, 5].filter((p) => outcomes.some((o) => o.phase === p && o.refused))).toEqual([1, 3, 5]);
  expect(share(down)).toBeGreaterThan(0.5);
  expect(share(upLater)).toBeLessThan(0.2);
});
