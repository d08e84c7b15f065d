/**
 * Profiles the gateway under load: `npx tsx bench/profile.ts`, then read the summary (or open the .cpuprofile in
 * Chrome DevTools). Default: the cached full view. PROFILE_SOAP=1: the SOAP view. PROFILE_LIVE=1: every source a
 * miss, backends at 20/20/20/50 ms, a fixed 300 req/s of new customers. PROFILE_SECURED=1: as `npm run bench`'s
 * secured rows (the front-desk API key, or HTTP Basic on SOAP; the audit trail in the durable store).
 * PROFILE_REDIS=redis://…: the cache on Redis. PROFILE_CACHE=long with PROFILE_LIVE=1: caches on, every customer
 * still read for the first time. PROFILE_SECONDS (default 6), HOT (default 1000).
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import {
  BENCH_API_KEY,
  BENCH_SOAP_USER,
  CACHE_LONG,
  CACHE_OFF,
  control,
  drive,
  forAll,
  gatewayEnv,
  id,
  soapViewEnvelope,
  startServer,
} from './support';

const HOT = Number(process.env.HOT ?? 1000);
const QUERY = fs.readFileSync(path.join(__dirname, 'full-view.graphql'), 'utf8');

async function main(): Promise<void> {
  const soapMode = process.env.PROFILE_SOAP === '1';
  const liveMode = process.env.PROFILE_LIVE === '1';
  const secured = process.env.PROFILE_SECURED === '1';
  // PROFILE_REDIS=redis://…: the cache on Redis (with its local copies), as several instances run.
  const redis: Record<string, string> = process.env.PROFILE_REDIS ? { STACK_REDIS_URL: process.env.PROFILE_REDIS } : {};
  const basic = `Basic ${Buffer.from(`${BENCH_SOAP_USER.username}:${BENCH_SOAP_USER.password}`).toString('base64')}`;
  const identity: Record<string, string> = secured
    ? soapMode
      ? { authorization: basic }
      : { 'x-api-key': BENCH_API_KEY }
    : {};
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ucv-prof-'));
  const mocks = await startServer('mocks');
  const gateway = await startServer(
    'ucv',
    {
      ...gatewayEnv(mocks.urls, forAll(liveMode && process.env.PROFILE_CACHE !== 'long' ? CACHE_OFF : CACHE_LONG)),
      ...(secured ? { STACK_AUDIT: '1' } : {}),
      ...redis,
    },
    ['--cpu-prof', `--cpu-prof-dir=${dir}`],
  );
  await drive(HOT, 1, async (i) => {
    await fetch(`${gateway.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', ...(secured ? { 'x-api-key': BENCH_API_KEY } : {}) },
      body: JSON.stringify({ query: QUERY, variables: { id: id(i + 1) } }),
    }).then((r) => r.arrayBuffer());
  });
  if (liveMode) {
    for (const [name, ms] of Object.entries({ crm: 20, billing: 20, warehouse: 20, scoring: 50 }))
      await control(mocks.urls[name as 'crm'], '/faults', 'PATCH', { latencyMs: ms });
  }
  let fresh = 20_000;
  const result = await autocannon({
    url: soapMode ? `${gateway.url}/soap/CustomerView` : `${gateway.url}/graphql`,
    method: 'POST',
    headers: { 'content-type': soapMode ? 'text/xml' : 'application/json', ...identity },
    connections: liveMode ? 70 : 16,
    ...(liveMode ? { overallRate: 300 } : {}),
    duration: Number(process.env.PROFILE_SECONDS ?? 6),
    requests: [
      {
        setupRequest: (req: object) => {
          const customerId = liveMode ? id(fresh++) : id(1 + Math.floor(Math.random() * HOT));
          return {
            ...req,
            body: soapMode
              ? soapViewEnvelope(customerId)
              : JSON.stringify({ query: QUERY, variables: { id: customerId } }),
          };
        },
      },
    ],
  } as unknown as autocannon.Options);
  console.log(`${result.requests.average} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`);
  await gateway.stop('SIGINT'); // a normal exit writes the profile
  await mocks.stop();
  const file = fs.readdirSync(dir).map((f) => path.join(dir, f))[0] as string;
  console.log(`profile: ${file}`);
  spawn(process.execPath, [path.join(__dirname, 'profile-top.js'), file, '30'], { stdio: 'inherit' }).once('exit', () =>
    process.exit(0),
  );
}

void main();
