/**
 * A flapping backend (down and up again every 1.5 s): the breaker protects it while it is down, and refuses only a
 * small share of calls while it is up, because it stays open for a short `resetTimeoutMs`, admits a few probes, and
 * closes with an empty window when they succeed. Default breaker policy; the cache off so every view calls scoring.
 */
import { NO_CACHE, startHarness, type Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ policies: { ...NO_CACHE, scoring: { ...NO_CACHE.scoring, retry: { attempts: 0 } } } });
});
afterAll(() => h.close());

it('under 1.5 s flapping, few calls are refused while the backend is up, and the breaker opens in the outages', async () => {
  const PHASE_MS = 1500;
  const PHASES = 6; // up, down, up, down, up, down
  let phase = 0; // even: up, odd: down
  const opensPerPhase = new Map<number, number>();
  const runUntil = performance.now() + PHASE_MS * PHASES;
  const toggler = (async () => {
    for (phase = 0; phase < PHASES; phase++) {
      h.mocks.scoring.faults.set({ down: phase % 2 === 1 ? '503' : false });
      await new Promise((r) => setTimeout(r, PHASE_MS));
    }
  })();
  const outcomes: Array<{ phase: number; reason: string | null }> = [];
  let n = 0;
  const client = async (): Promise<void> => {
    while (performance.now() < runUntil) {
      const startPhase = phase;
      const { body } = await h.gql(
        `{ customer(id: "C000${String(80000 + (n++ % 5000))}") { score { creditScore } sources { source breaker } } }`,
      );
      if (phase !== startPhase) continue; // straddled a toggle: neither up nor down
      const reason: string | null = body.errors?.[0]?.extensions.reason ?? null;
      outcomes.push({ phase: startPhase, reason });
      if (reason === 'circuit_open') opensPerPhase.set(startPhase, (opensPerPhase.get(startPhase) ?? 0) + 1);
      await new Promise((r) => setTimeout(r, 5));
    }
  };
  await Promise.all([toggler, client(), client(), client(), client()]);
  h.mocks.scoring.faults.reset();

  // The first up phase is warm-up (the breaker starts closed); judge the later ones.
  const upLater = outcomes.filter((o) => o.phase % 2 === 0 && o.phase > 0);
  const refusedWhileUp = upLater.filter((o) => o.reason === 'circuit_open').length / upLater.length;
  const down = outcomes.filter((o) => o.phase % 2 === 1);
  const refusedWhileDown = down.filter((o) => o.reason === 'circuit_open').length / down.length;
  const outagesOpened = [1, 3, 5].filter((p) => (opensPerPhase.get(p) ?? 0) > 0).length;
  if (process.env.UCV_REPORT) {
    process.stdout.write(
      `flapping 1.5 s: ${upLater.length} calls while up, ${(refusedWhileUp * 100).toFixed(1)}% refused; ` +
        `${down.length} while down, ${(refusedWhileDown * 100).toFixed(1)}% refused (failed fast); breaker opened in ${outagesOpened}/3 outages\n`,
    );
  }
  expect(upLater.length).toBeGreaterThan(20);
  expect(outagesOpened).toBe(3); // it protects the backend in every outage
  expect(refusedWhileDown).toBeGreaterThan(0.5); // most calls while down fail fast instead of reaching it
  expect(refusedWhileUp).toBeLessThan(0.2); // and while up, few are refused
}, 30_000);
