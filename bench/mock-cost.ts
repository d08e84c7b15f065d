/**
 * `npm run bench:mocks`: what one backend call costs the mocks' process. Starts the mocks in their own process (as
 * the benchmark does), drives each endpoint the gateway calls with autocannon (closed loop, 10 connections, a new
 * customer per request, as in the live fan-out) and prints the mocks' CPU time per request from /proc.
 * Env: SECS (seconds per endpoint, default 4), HOT (customers 1…HOT again and again, as the plain baseline's hot
 * set asks; default: a new customer per request), ONLY (endpoints whose name starts with it), PROFILE=1 (write a --cpu-prof of the mocks and summarise it).
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { id, startServer } from './support';

const SOAP_ACTION = '"urn:example:billing:account:v1#GetAccountSummary"';
const billingEnvelope = (customerId: string): string =>
  `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:tns="urn:example:billing:account:v1"><soap:Body><tns:GetAccountSummaryRequest><tns:customerId>${customerId}</tns:customerId></tns:GetAccountSummaryRequest></soap:Body></soap:Envelope>`;

const HOT = Number(process.env.HOT ?? 0);

async function main(): Promise<void> {
  const profileDir = process.env.PROFILE === '1' ? fs.mkdtempSync(path.join(os.tmpdir(), 'ucv-mock-prof-')) : null;
  const mocks = await startServer('mocks', {}, profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []);
  const u = mocks.urls;
  const endpoints: Array<{ name: string; url: string; path?: (customerId: string) => string; soap?: boolean }> = [
    { name: 'crm profile', url: u.crm, path: (c) => `/api/v1/customers/${c}` },
    { name: 'crm products', url: u.crm, path: (c) => `/api/v1/customers/${c}/products` },
    { name: 'crm contacts', url: u.crm, path: (c) => `/api/v1/customers/${c}/contacts` },
    { name: 'warehouse', url: u.warehouse, path: (c) => `/edw/v1/customer-insights/${c}` },
    { name: 'scoring', url: u.scoring, path: (c) => `/scoring/v2/evaluations/${c}` },
    { name: 'billing (SOAP)', url: `${u.billing}/billing/AccountService`, soap: true },
  ];
  let n = 0;
  const rows: string[] = [];
  for (const endpoint of endpoints) {
    if (process.env.ONLY && !endpoint.name.startsWith(process.env.ONLY)) continue;
    const cpuBefore = mocks.cpuSeconds();
    const result = await autocannon({
      url: endpoint.url,
      method: endpoint.soap ? 'POST' : 'GET',
      connections: 10,
      duration: Number(process.env.SECS ?? 4),
      requests: [
        {
          setupRequest: (req: Record<string, unknown>) => {
            const customerId = HOT > 0 ? id(1 + (n++ % HOT)) : id(20_000 + (n++ % 80_000));
            return endpoint.soap
              ? {
                  ...req,
                  body: billingEnvelope(customerId),
                  headers: { 'content-type': 'text/xml; charset=utf-8', soapaction: SOAP_ACTION },
                }
              : { ...req, path: endpoint.path?.(customerId) };
          },
        },
      ],
    } as unknown as autocannon.Options);
    const cpuUs = ((mocks.cpuSeconds() - cpuBefore) * 1e6) / Math.max(1, result.requests.total);
    rows.push(`| ${endpoint.name} | ${result.requests.average.toFixed(0)} | ${cpuUs.toFixed(0)} | ${result.non2xx} |`);
  }
  console.log(
    `| endpoint | req/s | mock CPU µs/req | non-2xx (404: customers that system does not know) |\n|---|---|---|---|\n${rows.join('\n')}`,
  );
  await mocks.stop('SIGINT'); // a normal exit writes the profile
  if (profileDir) console.log(`profile in ${profileDir}: node bench/profile-top.js ${profileDir}/*.cpuprofile`);
  process.exit(0);
}

void main();
