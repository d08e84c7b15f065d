/**
 * Same-run A/B of the cached view over SOAP and GraphQL: two gateways over one mocks process, A from another
 * checkout (BASELINE, a folder holding that commit's tree, with node_modules), B from this one, both with the
 * records cached for the run and the rendered-answer cache on (bench/run.ts's `cached.ucv` and `soap.ucv`).
 * Rounds alternate A and B, GraphQL and SOAP; each prints req/s and the gateway's CPU per request (/proc), and
 * the medians and each gateway's SOAP/GraphQL ratio come last.
 *
 *   BASELINE=/tmp/ucv-main RUNS=5 DURATION=4 HOT=200 CONNECTIONS=16 npx tsx bench/soap-ab.ts
 *
 * (make BASELINE with `git archive main | tar -x -C /tmp/ucv-main && ln -s "$PWD/node_modules" /tmp/ucv-main/`)
 */
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { CACHE_LONG, forAll, gatewayEnv, id, median, soapViewEnvelope, startServer, type Server } from './support';

const BASELINE = process.env.BASELINE;
const RUNS = Number(process.env.RUNS ?? 5);
const DURATION = Number(process.env.DURATION ?? 4);
const HOT = Number(process.env.HOT ?? 200);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 16);
const FULL = fs.readFileSync(path.join(__dirname, 'full-view.graphql'), 'utf8');
const hotId = (): string => id(1 + Math.floor(Math.random() * HOT));

const KINDS = {
  graphql: {
    path: '/graphql',
    type: 'application/json',
    body: () => JSON.stringify({ query: FULL, variables: { id: hotId() } }),
  },
  soap: { path: '/soap/CustomerView', type: 'text/xml; charset=utf-8', body: () => soapViewEnvelope(hotId()) },
} as const;
type Kind = keyof typeof KINDS;

async function measure(target: Server, kind: Kind): Promise<{ rps: number; cpuUs: number; non2xx: number }> {
  const { path: route, type, body } = KINDS[kind];
  const cpuBefore = target.cpuSeconds();
  const result = await autocannon({
    url: `${target.url}${route}`,
    method: 'POST',
    headers: { 'content-type': type },
    connections: CONNECTIONS,
    duration: DURATION,
    requests: [{ setupRequest: (req: Record<string, unknown>) => ({ ...req, body: body() }) }],
  } as unknown as autocannon.Options);
  return {
    rps: result.requests.average,
    cpuUs: ((target.cpuSeconds() - cpuBefore) * 1e6) / Math.max(1, result.requests.total),
    non2xx: result.non2xx + result.errors,
  };
}

/** Every hot customer once per kind: records cached, answers kept. */
async function warm(target: Server): Promise<void> {
  for (let n = 1; n <= HOT; n++) {
    for (const kind of Object.keys(KINDS) as Kind[]) {
      const { path: route, type } = KINDS[kind];
      const body =
        kind === 'soap' ? soapViewEnvelope(id(n)) : JSON.stringify({ query: FULL, variables: { id: id(n) } });
      for (let i = 0; i < 2; i++)
        await (
          await fetch(`${target.url}${route}`, { method: 'POST', headers: { 'content-type': type }, body })
        ).text();
    }
  }
}

async function main(): Promise<void> {
  if (!BASELINE) throw new Error('BASELINE: the folder of the checkout to compare with (see the comment at the top).');
  const mocks = await startServer('mocks');
  const env = gatewayEnv(mocks.urls, forAll(CACHE_LONG));
  const gateways: Record<'A' | 'B', Server> = {
    A: await startServer('ucv', env, [], path.join(BASELINE, 'bench')),
    B: await startServer('ucv', env),
  };
  const all = [mocks, gateways.A, gateways.B];
  process.on('exit', () => all.forEach((s) => s.child.kill('SIGKILL')));
  try {
    await warm(gateways.A);
    await warm(gateways.B);
    const rows: Record<string, Array<{ rps: number; cpuUs: number }>> = {};
    const ratios: Record<'A' | 'B', number[]> = { A: [], B: [] };
    for (let run = 1; run <= RUNS; run++) {
      const order: Array<'A' | 'B'> = run % 2 === 1 ? ['A', 'B'] : ['B', 'A'];
      for (const g of order) {
        const m: Partial<Record<Kind, { rps: number; cpuUs: number; non2xx: number }>> = {};
        for (const kind of (run % 2 === 1 ? ['graphql', 'soap'] : ['soap', 'graphql']) as Kind[]) {
          const r = (m[kind] = await measure(gateways[g], kind));
          (rows[`${g} ${kind}`] ??= []).push(r);
          console.log(
            `run ${run} ${g} ${kind}: ${r.rps.toFixed(0)} req/s, ${r.cpuUs.toFixed(1)} µs CPU/request${r.non2xx ? `, ${r.non2xx} non-2xx or errors` : ''}`,
          );
        }
        ratios[g].push((m.soap?.rps ?? NaN) / (m.graphql?.rps ?? NaN));
      }
    }
    console.log(`\nmedians of ${RUNS} runs (${DURATION} s, ${CONNECTIONS} connections, ${HOT} hot customers):`);
    for (const [name, list] of Object.entries(rows)) {
      console.log(
        `${name}: ${median(list.map((r) => r.rps)).toFixed(0)} req/s (${Math.min(...list.map((r) => r.rps)).toFixed(0)}–${Math.max(...list.map((r) => r.rps)).toFixed(0)}), ${median(list.map((r) => r.cpuUs)).toFixed(1)} µs CPU/request`,
      );
    }
    for (const g of ['A', 'B'] as const)
      console.log(
        `${g} SOAP/GraphQL req/s: ${(median(ratios[g]) * 100).toFixed(0)}% (runs: ${ratios[g].map((x) => (x * 100).toFixed(0)).join(', ')})`,
      );
  } finally {
    await Promise.all(all.map((s) => s.stop()));
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
