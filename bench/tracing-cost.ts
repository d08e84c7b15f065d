/**
 * What OpenTelemetry tracing costs (gateway/telemetry/): the cached and the live full view, through a gateway
 * process with tracing off, then on with sampling at 0%, 1% and 100% (`parentbased_traceidratio`), spans exported
 * over OTLP/HTTP to a collector in this process that answers 200 and keeps nothing. Each configuration is a fresh
 * gateway; configurations alternate within a run (the order turning each run), RUNS runs, medians reported with the
 * median of each run's ratio to "off".
 *
 *   flock /tmp/ucv-bench.lock npx tsx bench/tracing-cost.ts      RUNS=3 DURATION=8 HOT=2000
 *
 * Cached: the hot set warmed, every source a cache hit (answers kept). Live: every cache off, so each view calls the
 * four mocks (the spans of four source loads per view), at 32 connections.
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import {
  CACHE_LONG,
  CACHE_OFF,
  costTable,
  forAll,
  gatewayEnv,
  loadAverage,
  loadView,
  startServer,
  turned,
  warmViews,
  writeReport,
  type CostRow,
} from './support';

const RUNS = Number(process.env.RUNS ?? 3);
const DURATION = Number(process.env.DURATION ?? 8);
const HOT = Number(process.env.HOT ?? 2000);
const FULL = fs.readFileSync(path.join(__dirname, 'full-view.graphql'), 'utf8');

const CONFIGS: Array<{ name: string; env: Record<string, string> }> = [
  { name: 'off', env: {} },
  ...[
    ['0%', '0'],
    ['1%', '0.01'],
    ['100%', '1'],
  ].map(([name, ratio]) => ({
    name: name as string,
    env: { OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: ratio as string },
  })),
];

const viewBody = (customerId: string): string => JSON.stringify({ query: FULL, variables: { id: customerId } });

async function main(): Promise<void> {
  const loadBefore = loadAverage();
  let spans = 0;
  const collector = http.createServer((req, res) => {
    req.on('data', () => undefined);
    req.on('end', () => {
      spans++;
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  await new Promise<void>((resolve) => collector.listen(0, '127.0.0.1', resolve));
  const endpoint = `http://127.0.0.1:${(collector.address() as AddressInfo).port}/v1/traces`;
  const mocks = await startServer('mocks');
  const rows: Record<string, CostRow> = {};
  for (let run = 0; run < RUNS; run++)
    for (const config of turned(CONFIGS, run)) {
      const env = config.name === 'off' ? {} : { ...config.env, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint };
      const row = (rows[config.name] ??= { cached: [], live: [] });
      const cached = await startServer('ucv', { ...gatewayEnv(mocks.urls, forAll(CACHE_LONG)), ...env });
      await warmViews(cached.url, HOT, viewBody);
      row.cached.push(await loadView(cached, viewBody, HOT, DURATION));
      await cached.stop();
      const live = await startServer('ucv', {
        ...gatewayEnv(mocks.urls, forAll(CACHE_OFF)),
        STACK_ANSWER_BYTES: '0',
        ...env,
      });
      row.live.push(await loadView(live, viewBody, 100_000, DURATION));
      await live.stop();
      console.log(JSON.stringify({ run, config: config.name, cached: row.cached.at(-1), live: row.live.at(-1) }));
    }
  await mocks.stop();
  collector.close();
  const names = CONFIGS.map((config) => config.name);
  writeReport(
    'tracing-cost.md',
    `# Tracing cost (bench/tracing-cost.ts)

${new Date().toISOString()}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; medians of ${RUNS} runs, ${DURATION} s each, 32 connections; load average ${loadBefore} before, ${loadAverage()} after; ${spans} OTLP export requests received.

Ratios are the median of each run's ratio to "off" in that run.

${costTable('tracing', rows, names, 'off')}
`,
  );
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
