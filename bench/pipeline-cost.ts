/**
 * What the request pipeline costs on the cached full view: `npx tsx bench/pipeline-cost.ts`. One gateway process,
 * measured in the same run, rows interleaved (ROUNDS rounds of each, DURATION seconds per row, 16 connections):
 *   anonymous  no credentials, `security.anonymous` gives the admin role (nothing masked, nothing denied): the
 *              pipeline's floor, comparable to the gateway before identity
 *   api-key    front-desk API key: identity (SHA-256 lookup), rights, masking of the ID-card number
 *   jwt        front-desk HS256 JWT: the same, with a signature check per request
 * The target: api-key and jwt within 10% of anonymous.
 */
import fs from 'node:fs';
import path from 'node:path';
import autocannon from 'autocannon';
import { SignJWT } from 'jose';
import { BENCH_API_KEY, BENCH_JWT, CACHE_LONG, drive, forAll, gatewayEnv, id, median, startServer } from './support';

const HOT = 200;
const ROUNDS = Number(process.env.ROUNDS ?? 3);
const DURATION = Number(process.env.DURATION ?? 5);
const QUERY = fs.readFileSync(path.join(__dirname, 'full-view.graphql'), 'utf8');

async function main(): Promise<void> {
  const jwt = await new SignJWT({ role: 'front-desk' })
    .setProtectedHeader({ alg: 'HS256' })
    .setIssuer(BENCH_JWT.issuer)
    .setAudience(BENCH_JWT.audience)
    .setSubject('bench')
    .setExpirationTime('1h')
    .sign(new TextEncoder().encode(BENCH_JWT.secret));
  const rows: Record<string, Record<string, string>> = {
    anonymous: {},
    'api-key': { 'x-api-key': BENCH_API_KEY },
    jwt: { authorization: `Bearer ${jwt}` },
  };
  const mocks = await startServer('mocks');
  const gateway = await startServer('ucv', gatewayEnv(mocks.urls, forAll(CACHE_LONG)));
  try {
    for (const headers of Object.values(rows)) {
      const check = await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: QUERY, variables: { id: id(1) } }),
      });
      if (check.status !== 200) throw new Error(`a row is refused: ${check.status} ${await check.text()}`);
    }
    // Warm: every customer cached, every document compiled.
    await drive(HOT * 3, 4, async (i) => {
      const headers = Object.values(rows)[i % 3] as Record<string, string>;
      await fetch(`${gateway.url}/graphql`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', ...headers },
        body: JSON.stringify({ query: QUERY, variables: { id: id((i % HOT) + 1) } }),
      }).then((r) => r.arrayBuffer());
    });
    const results: Record<string, number[]> = Object.fromEntries(Object.keys(rows).map((r) => [r, []]));
    /** Gateway CPU per answer, in µs: steadier than req/s on a busy machine (other processes take cores, not CPU). */
    const cpu: Record<string, number[]> = Object.fromEntries(Object.keys(rows).map((r) => [r, []]));
    for (let round = 0; round < ROUNDS; round++) {
      for (const [row, headers] of Object.entries(rows)) {
        const cpuBefore = gateway.cpuSeconds();
        const result = await autocannon({
          url: `${gateway.url}/graphql`,
          method: 'POST',
          headers: { 'content-type': 'application/json', ...headers },
          connections: 16,
          duration: DURATION,
          requests: [
            {
              setupRequest: (req: object) => ({
                ...req,
                body: JSON.stringify({ query: QUERY, variables: { id: id(1 + Math.floor(Math.random() * HOT)) } }),
              }),
            },
          ],
        } as unknown as autocannon.Options);
        if (result.non2xx > 0) throw new Error(`${row}: ${result.non2xx} answers not 2xx`);
        (results[row] as number[]).push(result.requests.average);
        (cpu[row] as number[]).push(((gateway.cpuSeconds() - cpuBefore) * 1e6) / result.requests.total);
      }
    }
    const base = median(results.anonymous as number[]);
    const baseCpu = median(cpu.anonymous as number[]);
    console.log('row        req/s (median)  vs anonymous   CPU µs/answer (median)  vs anonymous   req/s per round');
    for (const [row, values] of Object.entries(results)) {
      const m = median(values);
      const c = median(cpu[row] as number[]);
      const pct = (x: number, b: number) => `${(((x - b) / b) * 100).toFixed(1)}%`.padStart(7);
      console.log(
        `${row.padEnd(10)} ${m.toFixed(0).padStart(8)}        ${pct(m, base)}   ${c.toFixed(0).padStart(12)}             ${pct(c, baseCpu)}      ${values.map((v) => v.toFixed(0)).join(' ')}`,
      );
    }
  } finally {
    await gateway.stop();
    await mocks.stop();
  }
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
