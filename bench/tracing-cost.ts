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
import autocannon from 'autocannon';
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

async function rps(target: Server, hot: number): Promise<{ rps: number; cpuMsPerView: number }> {
  let n = 0;
  const cpu = target.cpuSeconds();
  const result = await autocannon({
    url: `${target.url}/graphql`,
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    connections: 32,
    duration: DURATION,
    requests: [
      {
        setupRequest: (req: Record<string, unknown>) => ({
          ...req,
          body: JSON.stringify({ query: FULL, variables: { id: id((n++ % hot) + 1) } }),
        }),
      },
    ],
  } as unknown as autocannon.Options);
  const views = Math.max(1, result.requests.total);
  return { rps: result.requests.average, cpuMsPerView: ((target.cpuSeconds() - cpu) * 1000) / views };
}

async function main(): Promise<void> {
  const loadBefore = os.loadavg();
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
  const rows: Record<string, { cached: number[]; live: number[]; cachedCpu: number[]; liveCpu: number[] }> = {};
  for (let run = 0; run < RUNS; run++)
    // The order turns each run, so no configuration is always the first fresh process on a machine just idle.
    for (const config of [...CONFIGS.slice(run % CONFIGS.length), ...CONFIGS.slice(0, run % CONFIGS.length)]) {
      const env = config.name === 'off' ? {} : { ...config.env, OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: endpoint };
      const row = (rows[config.name] ??= { cached: [], live: [], cachedCpu: [], liveCpu: [] });
      const cached = await startServer('ucv', { ...gatewayEnv(mocks.urls, forAll(CACHE_LONG)), ...env });
      await drive(HOT, 16, async (i) => {
        const body = JSON.stringify({ query: FULL, variables: { id: id(i + 1) } });
        await fetch(`${cached.url}/graphql`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body,
        }).then((r) => r.arrayBuffer());
      });
      const c = await rps(cached, HOT);
      await cached.stop();
      const live = await startServer('ucv', {
        ...gatewayEnv(mocks.urls, forAll(CACHE_OFF)),
        STACK_ANSWER_BYTES: '0',
        ...env,
      });
      const l = await rps(live, 100_000);
      await live.stop();
      row.cached.push(c.rps);
      row.cachedCpu.push(c.cpuMsPerView);
      row.live.push(l.rps);
      row.liveCpu.push(l.cpuMsPerView);
      console.log(JSON.stringify({ run, config: config.name, cached: c, live: l }));
    }
  await mocks.stop();
  collector.close();
  const base = rows.off as (typeof rows)[string];
  const lines = CONFIGS.map(({ name }) => {
    const r = rows[name] as (typeof rows)[string];
    // The median of each run's own ratio to "off": a ratio between two runs would carry the drift between them.
    const ratio = (a: number[], b: number[]) => medianRatio(a, b).toFixed(3);
    return `| ${name} | ${median(r.cached).toFixed(0)} | ${ratio(r.cached, base.cached)} | ${median(r.cachedCpu).toFixed(3)} | ${ratio(r.cachedCpu, base.cachedCpu)} | ${median(r.live).toFixed(0)} | ${ratio(r.live, base.live)} | ${median(r.liveCpu).toFixed(3)} | ${ratio(r.liveCpu, base.liveCpu)} |`;
  });
  const report = `# Tracing cost (bench/tracing-cost.ts)

${new Date().toISOString()}, ${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}; medians of ${RUNS} runs, ${DURATION} s each, 32 connections; load average ${loadBefore.map((l) => l.toFixed(2)).join(' ')} before, ${os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ')} after; ${spans} OTLP export requests received.

Ratios are the median of each run's ratio to "off" in that run.

| tracing | cached req/s | vs off | cached CPU ms/view | vs off | live req/s | vs off | live CPU ms/view | vs off |
|---|---|---|---|---|---|---|---|---|
${lines.join('\n')}
`;
  writeReport('tracing-cost.md', report);
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
