/**
 * What keeping answers costs when they are read once, as most of a front desk's are: the gateway's CPU per view for
 * customers it has never seen (every read a first one: records fetched, answers rendered), with the record cache on,
 * under each answer-keeping policy: `always` (every answer kept), `onReuse` (the default: a question asked before, or
 * one whose records the cache held already) and `off` (no answer cache). Each run starts a fresh gateway per policy,
 * in turns, warms it on WARM seconds of new customers, then measures RATE new customers a second for SECONDS (the
 * same customers for every policy); medians of RUNS, with the load average.
 *   flock /tmp/ucv-bench.lock npx tsx bench/first-reads.ts      RATE (300), WARM (8), SECONDS (15), RUNS (5)
 */
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { CACHE_LONG, forAll, gatewayEnv, id, loadAverage, median, startServer, type MockUrls } from './support';

const QUERY = fs.readFileSync(path.join(__dirname, 'full-view.graphql'), 'utf8');
const RATE = Number(process.env.RATE ?? 300);
const SECONDS = Number(process.env.SECONDS ?? 15);
const RUNS = Number(process.env.RUNS ?? 5);
const WARM = Number(process.env.WARM ?? 8);
const POLICIES: Record<string, Record<string, string>> = {
  always: { STACK_KEEP_ANSWERS: 'always' },
  onReuse: {},
  off: { STACK_ANSWER_BYTES: '0' },
};

async function measure(mocks: MockUrls, env: Record<string, string>): Promise<number> {
  const gateway = await startServer('ucv', { ...gatewayEnv(mocks, forAll(CACHE_LONG)), ...env });
  // Every policy reads the same customers, each once: new to this gateway, which starts empty.
  let next = 1;
  try {
    const load = async (seconds: number) => {
      const before = gateway.cpuSeconds();
      const result = await autocannon({
        url: `${gateway.url}/graphql`,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        connections: 32,
        overallRate: RATE,
        duration: seconds,
        requests: [
          {
            setupRequest: (req: object) => ({
              ...req,
              body: JSON.stringify({ query: QUERY, variables: { id: id(next++) } }),
            }),
          },
        ],
      } as unknown as autocannon.Options);
      if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors`);
      return ((gateway.cpuSeconds() - before) * 1000) / result.requests.total;
    };
    await load(WARM); // the code paths compiled and the heap grown, on customers of its own
    return await load(SECONDS);
  } finally {
    await gateway.stop();
  }
}

async function main(): Promise<void> {
  console.log(`load before: ${loadAverage()}`);
  const mocks = await startServer('mocks');
  const results: Record<string, number[]> = Object.fromEntries(Object.keys(POLICIES).map((k) => [k, []]));
  for (let run = 0; run < RUNS; run++) {
    const names = Object.keys(POLICIES);
    // Turns: each policy first in some runs, last in others.
    const order = [...names.slice(run % names.length), ...names.slice(0, run % names.length)];
    for (const name of order) results[name]?.push(await measure(mocks.urls, POLICIES[name] ?? {}));
    console.log(`run ${run + 1}: ${order.map((n) => `${n} ${results[n]?.at(-1)?.toFixed(3)}`).join(', ')} ms CPU/view`);
  }
  const off = median(results.off ?? []);
  for (const [name, values] of Object.entries(results)) {
    const m = median(values);
    console.log(
      `${name.padEnd(8)} median ${m.toFixed(3)} ms CPU/view (${values.map((v) => v.toFixed(3)).join(' ')}), ${((100 * (m - off)) / off).toFixed(1)}% over off`,
    );
  }
  await mocks.stop();
  console.log(`load after: ${loadAverage()}`);
}

void main();
