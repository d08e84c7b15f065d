/**
 * What trusted documents change (gateway/pipeline/documents.ts): the desk's full view (`DeskById` of
 * web/desk/operations.json, a built-in trusted document) sent three ways to the same gateway process:
 *   text       its text with a comment added, so it is no trusted document: parsed, validated and planned as any query
 *              (the pipeline's own caches of those apply, as for any client repeating a query);
 *   trusted    its exact text, recognised as the trusted document (parse skipped);
 *   documentId only `{ documentId: "sha256:…" }`, as a client of persisted documents sends it.
 * The cached view (the hot set warmed, every source a hit) and the live view (every cache off, four backend calls per
 * view), 32 connections. The three ways alternate within a run, the order turning each run; RUNS runs; each ratio is
 * the median of the runs' own ratios to "text".
 *
 *   flock /tmp/ucv-bench.lock npx tsx bench/trusted-documents.ts      RUNS=5 DURATION=6 HOT=2000
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { documentId } from '../gateway/pipeline/documents';
import {
  CACHE_LONG,
  CACHE_OFF,
  costTable,
  forAll,
  gatewayEnv,
  id,
  loadAverage,
  loadView,
  startServer,
  turned,
  warmViews,
  writeReport,
  type CostRow,
} from './support';

const RUNS = Number(process.env.RUNS ?? 5);
const DURATION = Number(process.env.DURATION ?? 6);
const HOT = Number(process.env.HOT ?? 2000);
const DESK = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'web', 'desk', 'operations.json'), 'utf8')) as {
  DeskById: string;
};

const WAYS: Array<{ name: string; body: (customerId: string) => string }> = [
  {
    name: 'text',
    body: (customerId) =>
      JSON.stringify({ query: `${DESK.DeskById}\n# not a trusted document`, variables: { id: customerId } }),
  },
  { name: 'trusted', body: (customerId) => JSON.stringify({ query: DESK.DeskById, variables: { id: customerId } }) },
  {
    name: 'documentId',
    body: (customerId) => JSON.stringify({ documentId: documentId(DESK.DeskById), variables: { id: customerId } }),
  },
];

async function main(): Promise<void> {
  const loadBefore = loadAverage();
  const mocks = await startServer('mocks');
  const cached = await startServer('ucv', gatewayEnv(mocks.urls, forAll(CACHE_LONG)));
  const live = await startServer('ucv', { ...gatewayEnv(mocks.urls, forAll(CACHE_OFF)), STACK_ANSWER_BYTES: '0' });
  // Every way answers the view, without an error, before anything is measured.
  for (const way of WAYS) {
    const res = await fetch(`${cached.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: way.body(id(1)),
    });
    const answer = (await res.json()) as { data?: { customer?: { id?: string } }; errors?: unknown };
    if (answer.errors || answer.data?.customer?.id !== id(1))
      throw new Error(`${way.name} does not answer the view: ${JSON.stringify(answer).slice(0, 500)}`);
  }
  for (const way of WAYS) await warmViews(cached.url, HOT, way.body);
  const rows: Record<string, CostRow> = {};
  for (let run = 0; run < RUNS; run++)
    for (const way of turned(WAYS, run)) {
      const row = (rows[way.name] ??= { cached: [], live: [] });
      row.cached.push(await loadView(cached, way.body, HOT, DURATION));
      row.live.push(await loadView(live, way.body, 100_000, DURATION));
      console.log(JSON.stringify({ run, way: way.name, cached: row.cached.at(-1), live: row.live.at(-1) }));
    }
  await Promise.all([cached.stop(), live.stop(), mocks.stop()]);
  const names = WAYS.map((way) => way.name);
  writeReport(
    'trusted-documents.md',
    `# Trusted documents (bench/trusted-documents.ts)

${new Date().toISOString()}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; the desk's full view (DeskById), medians of ${RUNS} runs, ${DURATION} s each, 32 connections, one gateway per view kind for every way; load average ${loadBefore} before, ${loadAverage()} after. Ratios are the median of each run's ratio to "text" in that run.

${costTable('way', rows, names, 'text')}
`,
  );
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
