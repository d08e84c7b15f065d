/**
 * Same-run A/B of the rendered-answer cache's size (`cache.answerBytes`) over the benchmark's hot set, after both
 * facades have read it (as `npm run bench` does: the GraphQL and the SOAP rows share one gateway): in-memory UCV
 * gateways over the same mocks, each warmed over the same HOT customers through GraphQL and then SOAP, then the
 * cached GraphQL view measured alternately (autocannon, 16 connections): req/s, server CPU per request, and the
 * answer cache's hit ratio from /metrics.
 *   npx tsx bench/answer-bytes-ab.ts     env: HOT (default 10000), RUNS (3), DURATION (5 s), SIZES (MiB, "32,128")
 */
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import {
  CACHE_LONG,
  drive,
  forAll,
  gatewayEnv,
  id,
  median,
  scrapeMetrics,
  soapViewEnvelope,
  startServer,
  WARM_READS,
  type Server,
} from './support';

const HOT = Number(process.env.HOT ?? 10_000);
const RUNS = Number(process.env.RUNS ?? 3);
const DURATION = Number(process.env.DURATION ?? 5);
const SIZES = (process.env.SIZES ?? '32,128').split(',').map(Number);
const FULL = fs.readFileSync(path.join(__dirname, 'full-view.graphql'), 'utf8');

const counted = (m: Map<string, number>, result: string): number =>
  [...m]
    .filter(([k]) => k.startsWith('ucv_answer_cache_total') && k.includes(`result="${result}"`))
    .reduce((a, [, v]) => a + v, 0);

async function main(): Promise<void> {
  const mocks = await startServer('mocks');
  const gateways: Array<{ mib: number; server: Server }> = [];
  for (const mib of SIZES)
    gateways.push({
      mib,
      server: await startServer('ucv', {
        ...gatewayEnv(mocks.urls, forAll(CACHE_LONG)),
        STACK_ANSWER_BYTES: String(mib * 1024 * 1024),
      }),
    });
  process.on('exit', () => [mocks, ...gateways.map((g) => g.server)].forEach((s) => s.child.kill('SIGKILL')));
  for (const { server } of gateways) {
    // Each customer's GraphQL view read WARM_READS times (the answer is kept on reuse); its SOAP read then finds the
    // records cached and is kept at once.
    await drive(HOT * WARM_READS, 16, async (n) => {
      await fetch(`${server.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({ query: FULL, variables: { id: id((n % HOT) + 1) } }),
      }).then((r) => r.arrayBuffer());
    });
    await drive(HOT, 16, async (i) => {
      await fetch(`${server.url}/soap/CustomerView`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8' },
        body: soapViewEnvelope(id(i + 1)),
      }).then((r) => r.arrayBuffer());
    });
  }
  const results = new Map(
    SIZES.map((s) => [s, { rps: [] as number[], cpu: [] as number[], hitRatio: [] as number[] }]),
  );
  for (let run = 0; run < RUNS; run++) {
    for (const { mib, server } of gateways) {
      const before = await scrapeMetrics(server.url);
      const cpu0 = server.cpuSeconds();
      const result = await autocannon({
        url: `${server.url}/graphql`,
        connections: 16,
        duration: DURATION,
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        requests: [
          {
            setupRequest: (req: object) => ({
              ...req,
              body: JSON.stringify({ query: FULL, variables: { id: id(1 + Math.floor(Math.random() * HOT)) } }),
            }),
          },
        ],
      } as unknown as autocannon.Options);
      const cpuMs = (server.cpuSeconds() - cpu0) * 1000;
      const after = await scrapeMetrics(server.url);
      const hits = counted(after, 'hit') - counted(before, 'hit');
      const misses = counted(after, 'miss') - counted(before, 'miss');
      const r = results.get(mib)!;
      r.rps.push(result.requests.average);
      r.cpu.push((cpuMs * 1000) / Math.max(1, result.requests.total));
      r.hitRatio.push(hits / Math.max(1, hits + misses));
    }
  }
  for (const [mib, r] of results) {
    const list = (xs: number[]): string => xs.map((x) => x.toFixed(0)).join(', ');
    console.log(
      `answerBytes ${mib} MiB: ${median(r.rps).toFixed(0)} req/s [${list(r.rps)}], ${median(r.cpu).toFixed(0)} µs CPU/req [${list(r.cpu)}], hit ratio ${(median(r.hitRatio) * 100).toFixed(1)}% [${r.hitRatio.map((x) => (x * 100).toFixed(1)).join(', ')}]`,
    );
  }
  process.exit(0);
}

void main();
