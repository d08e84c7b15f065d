/**
 * The pipeline's own CPU per operation, in process, without HTTP: `npx tsx bench/pipeline-overhead.ts`. The cached
 * full view of 80 customers, 3 rounds of 5,000 operations each: through the pipeline anonymously (admin role:
 * identity, limits, rights, observe), with a front-desk API key (plus the ID-card mask), and the same operation run
 * the way the GraphQL handler ran it before the pipeline (cached document, plan, graphql-jit, provenance).
 */
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { parse } from 'graphql';
import { createGateway } from '../gateway/app/server';
import { parseConfig } from '../gateway/config';
import { startMocks } from '../mocks';
import { RequestContext } from '../gateway/view/request-context';
import { BENCH_API_KEY, BENCH_SECURITY } from './support';
const QUERY = fs.readFileSync(path.join(__dirname, 'full-view.graphql'), 'utf8');
async function main() {
  const mocks = await startMocks();
  const config = parseConfig(
    {
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent',
      security: BENCH_SECURITY,
      adapters: Object.entries(mocks.urls).map(([name, url]) => ({
        name,
        url,
        policy: { cache: { ttlSeconds: 3600 } },
      })),
    },
    {},
  );
  const g = createGateway(config, { logger: pino({ level: 'silent' }) });
  const req = (headers: Record<string, string>) => ({ headers, id: 'x' }) as never;
  const once = async (headers: Record<string, string>, i: number) => {
    const outcome = await g.pipeline.run({
      facade: 'graphql',
      requestId: 'x',
      caller: { req: req(headers) },
      query: QUERY,
      variables: { id: `C000000${String((i % 80) + 10)}` },
    });
    if (outcome.kind !== 'result' || !outcome.result.data) throw new Error(JSON.stringify(outcome));
  };
  const rows: Record<string, Record<string, string>> = { anonymous: {}, 'api-key': { 'x-api-key': BENCH_API_KEY } };
  for (const [name, headers] of Object.entries(rows)) {
    for (let i = 0; i < 3000; i++) await once(headers, i);
    for (let round = 0; round < 3; round++) {
      const c0 = process.cpuUsage();
      const n = 5000;
      for (let i = 0; i < n; i++) await once(headers, i);
      const c = process.cpuUsage(c0);
      console.log(`${name.padEnd(12)} ${((c.user + c.system) / n).toFixed(1)} µs/operation`);
    }
  }
  const { createExecutor } = await import('../gateway/view/executor');
  const { buildSchema } = await import('../gateway/view/schema');
  const { createPlanner } = await import('../gateway/view/plan');
  const schema = buildSchema(g.sources);
  const run = createExecutor({ compile: true });
  const planner = createPlanner(schema);
  const doc = parse(QUERY);
  const old = async (i: number) => {
    const ucv = new RequestContext('x', g.sources);
    const variableValues = { id: `C000000${String((i % 80) + 10)}` };
    const plan = planner(doc, undefined, variableValues);
    ucv.customerFields = plan.fields;
    const r = await run({ schema, document: doc, variableValues, contextValue: { ucv } });
    await ucv.allSettled();
    const result = { ...r, extensions: { requestId: 'x', sources: ucv.provenance() } };
    if (!result.data) throw new Error('no data');
  };
  for (let i = 0; i < 3000; i++) await old(i);
  for (let round = 0; round < 3; round++) {
    const c0 = process.cpuUsage();
    const n = 5000;
    for (let i = 0; i < n; i++) await old(i);
    const c = process.cpuUsage(c0);
    console.log(`${'no pipeline'.padEnd(12)} ${((c.user + c.system) / n).toFixed(1)} µs/operation`);
  }
  await g.close();
  await mocks.close();
}
void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
