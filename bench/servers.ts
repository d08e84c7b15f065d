/**
 * One server role per process, so that the load generator, the mocks and the server under test do not share an
 * event loop. Prints one JSON line with its URL(s), then serves until killed.
 *   tsx bench/servers.ts mocks
 *   tsx bench/servers.ts ucv    MOCK_URLS='{...}' [STACK_POLICIES='{...}'] [STACK_REDIS_URL=redis://...] [STACK_SECURITY='{...}']
 *                               [STACK_ANSWER_BYTES=0: no rendered-answer cache]
 *                               [STACK_KEEP_ANSWERS=always: answers kept on their first read too]
 *                               [STACK_AUDIT=1: the audit trail in the durable store: PGlite in a temporary folder, or
 *                                PostgreSQL at DATABASE_URL in a schema of its own]  (SIGTERM drains)
 *     (default security: anonymous requests get the admin role, as the gateway answered everyone before identity;
 *     BENCH_CONSUMERS are configured too, for rows with an API key or a JWT)
 *   tsx bench/servers.ts plain  MOCK_URLS='{...}'
 *   tsx bench/servers.ts bare   BARE_BODY_FILE=/path/to/view.json
 *   tsx bench/servers.ts fanout MOCK_URLS='{...}' BARE_BODY_FILE=/path/to/view.json
 *     (the live view's floor: per request the same six backend calls the full view makes, in parallel over undici
 *     pools with keep-alive, the JSON answers parsed and the SOAP one read as text, then the precomputed view
 *     answered: no schema, no plan, no checks, no cache, no composition)
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { sql } from 'drizzle-orm';
import pino from 'pino';
import { Pool } from 'undici';
import { parseConfig } from '../gateway/config';
import { createGateway, openConfiguredStore } from '../gateway/app/server';
import { startMocks } from '../mocks';
import { startPlainGateway } from './plain-gateway';
import { BENCH_SECURITY } from './support';
import { startTracing } from '../gateway/telemetry';

async function main(): Promise<void> {
  const role = process.argv[2];
  const mockUrls = JSON.parse(process.env.MOCK_URLS ?? '{}') as Record<string, string>;
  if (role === 'mocks') {
    const mocks = await startMocks();
    console.log(JSON.stringify({ urls: mocks.urls }));
  } else if (role === 'ucv') {
    const policies = JSON.parse(process.env.STACK_POLICIES ?? '{}') as Record<string, unknown>;
    const storeDir =
      process.env.STACK_AUDIT === '1' ? fs.mkdtempSync(path.join(os.tmpdir(), 'ucv-bench-store-')) : undefined;
    if (storeDir) process.once('exit', () => fs.rmSync(storeDir, { recursive: true, force: true }));
    const config = parseConfig(
      {
        port: 0,
        host: '127.0.0.1',
        logLevel: 'silent',
        cache: {
          ...(process.env.STACK_REDIS_URL
            ? { redisUrl: process.env.STACK_REDIS_URL, keyPrefix: `bench:${process.pid}:` }
            : {}),
          // STACK_ANSWER_BYTES=0: the rendered-answer cache off, for rows that measure execution itself.
          ...(process.env.STACK_ANSWER_BYTES ? { answerBytes: Number(process.env.STACK_ANSWER_BYTES) } : {}),
          // STACK_KEEP_ANSWERS=always: every answer kept, first reads too (bench/first-reads.ts).
          ...(process.env.STACK_KEEP_ANSWERS ? { keepAnswers: process.env.STACK_KEEP_ANSWERS } : {}),
        },
        adapters: Object.entries(mockUrls).map(([name, url]) => ({ name, url, policy: policies[name] ?? {} })),
        security: process.env.STACK_SECURITY ? JSON.parse(process.env.STACK_SECURITY) : BENCH_SECURITY,
        // The load generator is one consumer standing for many clients: its rate limit must not cap the rows.
        rateLimit: { default: { requestsPerSecond: 1_000_000, costPerSecond: 1_000_000 } },
        // STACK_AUDIT=1: every read recorded in the durable store, waiting for its group commit, as in production.
        ...(storeDir ? { store: { dataDir: storeDir, schema: `bench_${process.pid}` }, audit: { enabled: true } } : {}),
      },
      process.env.STACK_AUDIT === '1' && process.env.DATABASE_URL ? { DATABASE_URL: process.env.DATABASE_URL } : {},
    );
    const store = storeDir ? await openConfiguredStore(config) : undefined;
    // Traces when the OTEL_* variables ask for them, as `npm run gateway` starts them (bench/tracing-cost.ts).
    startTracing();
    const gateway = createGateway(config, { logger: pino({ level: 'silent' }), ...(store ? { store } : {}) });
    console.log(JSON.stringify({ url: await gateway.listen() }));
    // SIGTERM drains, as `npm run gateway` does (the chaos suite's "SIGTERM under load" measures it).
    // One more JSON line on stdout says what the drain did.
    stop = () =>
      void gateway
        .close()
        .then((drain) => console.log(JSON.stringify({ drain })))
        .then(async () => {
          // The secured rows' store goes with them: a PostgreSQL schema of its own dropped, PGlite's folder removed on exit.
          if (store?.kind === 'postgres') await store.db.execute(sql.raw(`drop schema ${store.schema} cascade`));
          await store?.close();
        })
        .finally(() => process.exit(0));
  } else if (role === 'plain') {
    console.log(JSON.stringify({ url: (await startPlainGateway(mockUrls)).url }));
  } else if (role === 'bare') {
    // The ceiling: a bare handler answering a precomputed view of the same size.
    const body = fs.readFileSync(process.env.BARE_BODY_FILE as string);
    const server = http.createServer((req, res) => {
      req.resume();
      req.on('end', () => {
        res.writeHead(200, {
          'content-type': 'application/graphql-response+json; charset=utf-8',
          'content-length': body.length,
        });
        res.end(body);
      });
    });
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    console.log(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
  } else if (role === 'fanout') {
    const body = fs.readFileSync(process.env.BARE_BODY_FILE as string);
    const pools = new Map<string, Pool>();
    const pool = (origin: string): Pool => {
      let p = pools.get(origin);
      if (!p) pools.set(origin, (p = new Pool(origin, { connections: 64, pipelining: 1 })));
      return p;
    };
    const getJson = async (base: string, route: string): Promise<unknown> => {
      const url = new URL(route, base);
      const res = await pool(url.origin).request({ method: 'GET', path: url.pathname });
      const text = await res.body.text();
      return res.statusCode === 200 ? (JSON.parse(text) as unknown) : null;
    };
    const billing = async (customerId: string): Promise<string> => {
      const url = new URL('/billing/AccountService', mockUrls.billing);
      const res = await pool(url.origin).request({
        method: 'POST',
        path: url.pathname,
        headers: {
          'content-type': 'text/xml; charset=utf-8',
          soapaction: '"urn:example:billing:account:v1#GetAccountSummary"',
        },
        body: `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:tns="urn:example:billing:account:v1"><soap:Body><tns:GetAccountSummaryRequest><tns:customerId>${customerId}</tns:customerId></tns:GetAccountSummaryRequest></soap:Body></soap:Envelope>`,
      });
      return res.body.text();
    };
    const server = http.createServer((req, res) => {
      let raw = '';
      req.setEncoding('utf8');
      req.on('data', (chunk: string) => (raw += chunk));
      req.on('end', () => {
        const customerId = String((JSON.parse(raw) as { variables?: { id?: string } }).variables?.id ?? '');
        const { crm = '', warehouse = '', scoring = '' } = mockUrls;
        void Promise.all([
          getJson(crm, `/api/v1/customers/${customerId}`),
          getJson(crm, `/api/v1/customers/${customerId}/products`),
          getJson(crm, `/api/v1/customers/${customerId}/contacts`),
          getJson(warehouse, `/edw/v1/customer-insights/${customerId}`),
          getJson(scoring, `/scoring/v2/evaluations/${customerId}`),
          billing(customerId),
        ]).then(
          () => {
            res.writeHead(200, {
              'content-type': 'application/graphql-response+json; charset=utf-8',
              'content-length': body.length,
            });
            res.end(body);
          },
          () => res.writeHead(502).end(),
        );
      });
    });
    server.keepAliveTimeout = 65_000;
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    console.log(JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` }));
  } else {
    console.error('usage: servers.ts mocks|ucv|plain|bare|fanout');
    process.exit(2);
  }
}

// Exit normally on SIGINT/SIGTERM, so that --cpu-prof writes its profile; the gateway drains first.
let stop = (): void => process.exit(0);
process.once('SIGINT', () => stop()).once('SIGTERM', () => stop());

void main();
