/**
 * Profiles the gateway under the cached full-view load: `npx tsx bench/profile.ts`, then read the summary (or open
 * the .cpuprofile in Chrome DevTools). PROFILE_SECONDS (default 6), HOT (default 1000), PROFILE_SOAP=1 for the SOAP view,
 * PROFILE_LIVE=1 for the live fan-out.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { startMocks } from '../mocks';

const HOT = Number(process.env.HOT ?? 1000);
const QUERY = fs.readFileSync(path.join(__dirname, 'full-view.graphql'), 'utf8');
const id = (n: number): string => `C${String(n).padStart(8, '0')}`;

async function main(): Promise<void> {
  const mocks = await startMocks();
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'ucv-prof-'));
  const long = { cache: { ttlSeconds: 3600, notFoundTtlSeconds: 3600 } };
  const soapMode = process.env.PROFILE_SOAP === '1';
  // PROFILE_LIVE=1: every source a miss, backends at 20/20/20/50 ms, a fixed 300 req/s of new customers.
  const liveMode = process.env.PROFILE_LIVE === '1';
  const off = { cache: { ttlSeconds: 0, staleSeconds: 0, notFoundTtlSeconds: 0 } };
  const child = spawn(process.execPath, ['--cpu-prof', `--cpu-prof-dir=${dir}`, '--import', 'tsx', path.join(__dirname, 'servers.ts'), 'ucv'], {
    env: { ...process.env, NODE_ENV: 'production', MOCK_URLS: JSON.stringify(mocks.urls), STACK_POLICIES: JSON.stringify(liveMode ? { crm: off, billing: off, warehouse: off, scoring: off } : { crm: long, billing: long, warehouse: long, scoring: long }) },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const url = await new Promise<string>((resolve) => child.stdout?.once('data', (c: Buffer) => resolve((JSON.parse(c.toString()) as { url: string }).url)));
  for (let n = 1; n <= HOT; n++) await fetch(`${url}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query: QUERY, variables: { id: id(n) } }) }).then((r) => r.arrayBuffer());
  if (liveMode) for (const [name, ms] of Object.entries({ crm: 20, billing: 20, warehouse: 20, scoring: 50 })) mocks[name as 'crm'].faults.set({ latencyMs: ms });
  let fresh = 20_000;
  const envelope = (customerId: string): string =>
    `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:v="urn:ucv:customer-view:v1"><soap:Body><v:GetCustomerView><v:customerId>${customerId}</v:customerId></v:GetCustomerView></soap:Body></soap:Envelope>`;
  const result = await autocannon({
    url: soapMode ? `${url}/soap/CustomerView` : `${url}/graphql`,
    method: 'POST',
    headers: { 'content-type': soapMode ? 'text/xml' : 'application/json' },
    connections: liveMode ? 70 : 16,
    ...(liveMode ? { overallRate: 300 } : {}),
    duration: Number(process.env.PROFILE_SECONDS ?? 6),
    requests: [
      {
        setupRequest: (req: object) => {
          const customerId = liveMode ? id(fresh++) : id(1 + Math.floor(Math.random() * HOT));
          return { ...req, body: soapMode ? envelope(customerId) : JSON.stringify({ query: QUERY, variables: { id: customerId } }) };
        },
      },
    ],
  } as unknown as autocannon.Options);
  console.log(`${result.requests.average} req/s, p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms`);
  child.kill('SIGINT');
  await new Promise((r) => child.once('exit', r));
  const file = fs.readdirSync(dir).map((f) => path.join(dir, f))[0] as string;
  console.log(`profile: ${file}`);
  spawn(process.execPath, [path.join(__dirname, 'profile-top.js'), file, '30'], { stdio: 'inherit' }).once('exit', () => process.exit(0));
  await mocks.close();
}

void main();
