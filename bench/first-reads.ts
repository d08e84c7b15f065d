/**
 * What keeping answers costs when they are read once, as most of a front desk's are: the gateway's CPU per view for
 * customers it has never seen (every read a first one: records fetched, answers rendered), with the record cache on,
 * under each answer-keeping policy: `always` (every answer kept), `onReuse` (the default: a question asked before, or
 * one whose records the cache held already) and `off` (no answer cache). One gateway per policy, each first read
 * WARM seconds of new customers, so that its answer cache (128 MiB by default) is full and evicting as in a day's
 * use, then RUNS rounds of SECONDS each, the policies in turns; every policy reads the same customers in the same
 * order. Medians of the rounds, the ratio to `off` per round, and the load average.
 *   flock /tmp/ucv-bench.lock npx tsx bench/first-reads.ts      RATE (300), WARM (90), SECONDS (15), RUNS (5)
 */
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { CACHE_LONG, forAll, gatewayEnv, id, loadAverage, median, startServer, type Server } from './support';

const QUERY = fs.readFileSync(path.join(__dirname, 'full-view.graphql'), 'utf8');
const RATE = Number(process.env.RATE ?? 300);
const SECONDS = Number(process.env.SECONDS ?? 15);
const RUNS = Number(process.env.RUNS ?? 5);
const WARM = Number(process.env.WARM ?? 90);
const POLICIES: Record<string, Record<string, string>> = {
  always: { STACK_KEEP_ANSWERS: 'always' },
  onReuse: {},
  off: { STACK_ANSWER_BYTES: '0' },
};

/** Each policy's gateway, and the next customer it has not read (every policy the same sequence). */
interface Subject {
  name: string;
  server: Server;
  next: number;
}

/** RATE views/s of new customers for `seconds`: the gateway's CPU per view. */
async function load(subject: Subject, seconds: number): Promise<number> {
  const before = subject.server.cpuSeconds();
  const result = await autocannon({
    url: `${subject.server.url}/graphql`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: 32,
    overallRate: RATE,
    duration: seconds,
    requests: [
      {
        setupRequest: (req: object) => ({
          ...req,
          body: JSON.stringify({ query: QUERY, variables: { id: id(subject.next++) } }),
        }),
      },
    ],
  } as unknown as autocannon.Options);
  if (result.non2xx > 0 || result.errors > 0) throw new Error(`${result.non2xx} non-2xx, ${result.errors} errors`);
  return ((subject.server.cpuSeconds() - before) * 1000) / result.requests.total;
}

async function main(): Promise<void> {
  console.log(`load before: ${loadAverage()}`);
  const mocks = await startServer('mocks');
  const subjects: Subject[] = [];
  for (const [name, env] of Object.entries(POLICIES))
    subjects.push({
      name,
      server: await startServer('ucv', { ...gatewayEnv(mocks.urls, forAll(CACHE_LONG)), ...env }),
      next: 1,
    });
  process.on('exit', () => [mocks, ...subjects.map((s) => s.server)].forEach((s) => s.child.kill('SIGKILL')));
  for (const subject of subjects) {
    await load(subject, WARM);
    console.log(`${subject.name} warmed: ${subject.next - 1} customers read`);
  }
  // Every policy's next customers the same: they read on from the furthest.
  const from = Math.max(...subjects.map((s) => s.next));
  for (const subject of subjects) subject.next = from;
  const results = new Map<string, number[]>(subjects.map((s) => [s.name, []]));
  for (let run = 0; run < RUNS; run++) {
    // Turns: each policy first in some rounds, last in others; the same customers for each within a round.
    const order = [...subjects.slice(run % subjects.length), ...subjects.slice(0, run % subjects.length)];
    const start = order[0]?.next ?? from;
    for (const subject of order) {
      subject.next = start;
      results.get(subject.name)?.push(await load(subject, SECONDS));
    }
    const furthest = Math.max(...subjects.map((s) => s.next));
    for (const subject of subjects) subject.next = furthest;
    console.log(
      `round ${run + 1}: ${order.map((s) => `${s.name} ${results.get(s.name)?.at(-1)?.toFixed(3)}`).join(', ')} ms CPU/view`,
    );
  }
  const off = results.get('off') ?? [];
  for (const [name, values] of results) {
    const ratios = values.map((v, i) => v / (off[i] as number));
    console.log(
      `${name.padEnd(8)} median ${median(values).toFixed(3)} ms CPU/view (${values.map((v) => v.toFixed(3)).join(' ')}); over off, median of the rounds' ratios ${median(ratios).toFixed(3)}`,
    );
  }
  await Promise.all([...subjects.map((s) => s.server.stop()), mocks.stop()]);
  console.log(`load after: ${loadAverage()}`);
}

void main();
