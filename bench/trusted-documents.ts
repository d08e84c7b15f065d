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
import autocannon from 'autocannon';
import { documentId } from '../gateway/pipeline/documents';
import {
  CACHE_LONG,
  CACHE_OFF,
  drive,
  forAll,
  gatewayEnv,
  id,
  median,
  medianRatio,
  startServer,
  writeReport,
  type Server,
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

async function measure(
  target: Server,
  body: (customerId: string) => string,
  ids: number,
): Promise<{ rps: number; cpuMsPerView: number; non2xx: number }> {
  let n = 0;
  const cpu = target.cpuSeconds();
  const result = await autocannon({
    url: `${target.url}/graphql`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: 32,
    duration: DURATION,
    requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, body: body(id((n++ % ids) + 1)) }) }],
  } as unknown as autocannon.Options);
  const views = Math.max(1, result.requests.total);
  return {
    rps: result.requests.average,
    cpuMsPerView: ((target.cpuSeconds() - cpu) * 1000) / views,
    non2xx: result.non2xx,
  };
}

async function main(): Promise<void> {
  const loadBefore = os.loadavg();
  const mocks = await startServer('mocks');
  const cached = await startServer('ucv', gatewayEnv(mocks.urls, forAll(CACHE_LONG)));
  const live = await startServer('ucv', { ...gatewayEnv(mocks.urls, forAll(CACHE_OFF)), STACK_ANSWER_BYTES: '0' });
  // Every way answers the view, without an error, before anything is measured.
  const answers = await Promise.all(
    WAYS.map(async (way) =>
      (
        await fetch(`${cached.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: way.body(id(1)),
        })
      ).text(),
    ),
  );
  for (const [i, answer] of answers.entries()) {
    const json = JSON.parse(answer) as { data?: { customer?: { id?: string } }; errors?: unknown };
    if (json.errors || json.data?.customer?.id !== id(1))
      throw new Error(`${WAYS[i]?.name} does not answer the view: ${answer.slice(0, 500)}`);
  }
  for (const way of WAYS)
    await drive(HOT, 16, async (i) => {
      await fetch(`${cached.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: way.body(id(i + 1)),
      }).then((r) => r.arrayBuffer());
    });
  type Row = { cached: number[]; cachedCpu: number[]; live: number[]; liveCpu: number[]; non2xx: number };
  const rows: Record<string, Row> = {};
  for (let run = 0; run < RUNS; run++)
    for (const way of [...WAYS.slice(run % WAYS.length), ...WAYS.slice(0, run % WAYS.length)]) {
      const row = (rows[way.name] ??= { cached: [], cachedCpu: [], live: [], liveCpu: [], non2xx: 0 });
      const c = await measure(cached, way.body, HOT);
      const l = await measure(live, way.body, 100_000);
      row.cached.push(c.rps);
      row.cachedCpu.push(c.cpuMsPerView);
      row.live.push(l.rps);
      row.liveCpu.push(l.cpuMsPerView);
      row.non2xx += c.non2xx + l.non2xx;
      console.log(JSON.stringify({ run, way: way.name, cached: c, live: l }));
    }
  await Promise.all([cached.stop(), live.stop(), mocks.stop()]);
  const base = rows.text as Row;
  const ratio = (a: number[], b: number[]) => medianRatio(a, b).toFixed(3);
  const lines = WAYS.map(({ name }) => {
    const r = rows[name] as Row;
    return `| ${name} | ${median(r.cached).toFixed(0)} | ${ratio(r.cached, base.cached)} | ${median(r.cachedCpu).toFixed(3)} | ${ratio(r.cachedCpu, base.cachedCpu)} | ${median(r.live).toFixed(0)} | ${ratio(r.live, base.live)} | ${median(r.liveCpu).toFixed(3)} | ${ratio(r.liveCpu, base.liveCpu)} | ${r.non2xx} |`;
  });
  const load = (l: number[]) => l.map((x) => x.toFixed(2)).join(' ');
  const report = `# Trusted documents (bench/trusted-documents.ts)

${new Date().toISOString()}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; the desk's full view (DeskById), medians of ${RUNS} runs, ${DURATION} s each, 32 connections, one gateway per view kind for every way; load average ${load(loadBefore)} before, ${load(os.loadavg())} after. Ratios are the median of each run's ratio to "text" in that run.

| way | cached req/s | vs text | cached CPU ms/view | vs text | live req/s | vs text | live CPU ms/view | vs text | non-2xx |
|---|---|---|---|---|---|---|---|---|---|
${lines.join('\n')}
`;
  writeReport('trusted-documents.md', report);
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
