/**
 * `npm run bench:touchpoints`: recordContact on the embedded PGlite and on PostgreSQL (DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/test, in a schema of its own, dropped at the end).
 *
 * 1. recordContact with the CRM up (each one RECORDED: store transaction, CRM POST, answer kept): autocannon,
 *    CONNECTIONS connections for DURATION seconds, a new idempotency key per request, 1,000 customers: p50, p99, req/s.
 * 2. Outbox drain after an outage: the CRM down (503), DRAIN contacts accepted (200 customers), the CRM back; the
 *    time until the outbox is empty, as contacts delivered per second.
 * The gateway and the mocks run in this process (short, bounded runs on 127.0.0.1); read the numbers as orders of
 * magnitude on a shared 2-core machine.
 */
import { createHash, randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import autocannon from 'autocannon';
import { Client } from 'pg';
import pino from 'pino';
import { parseConfig } from '../gateway/config';
import { createGateway } from '../gateway/app/server';
import { backlog } from '../gateway/touchpoints';
import { openStore, type Store } from '../gateway/store';
import { startMocks } from '../mocks';

const DURATION = Number(process.env.DURATION ?? 5);
const CONNECTIONS = Number(process.env.CONNECTIONS ?? 16);
const DRAIN = Number(process.env.DRAIN ?? 1000);
const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const KEY = 'bench-key-0123456789abcdef';
const RECORD =
  'mutation($input: ContactInput!, $key: String) { recordContact(input: $input, idempotencyKey: $key) { status } }';
const body = (i: number, tag: string) =>
  JSON.stringify({
    query: RECORD,
    variables: {
      input: {
        customerId: `C${String((i % 1000) + 1).padStart(8, '0')}`,
        channel: 'CALL_CENTER',
        type: 'CAMPAIGN_OFFER',
        outcome: 'ACCEPTED',
        offerCode: 'DATA-10G',
      },
      key: `${tag}-${i}`,
    },
  });

async function run(engine: string, store: Store, tag: string): Promise<string[]> {
  const mocks = await startMocks();
  const config = parseConfig(
    {
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent',
      adapters: [
        {
          name: 'crm',
          url: mocks.urls.crm,
          policy: { commands: { timeoutMs: 1000, breaker: { resetTimeoutMs: 200 } } },
        },
      ],
      rateLimit: { default: { requestsPerSecond: 1_000_000, costPerSecond: 1_000_000 } },
      audit: { enabled: false },
      security: {
        consumers: [{ id: 'bench', role: 'front-desk', apiKeySha256: createHash('sha256').update(KEY).digest('hex') }],
      },
      touchpoints: { outbox: { pollMs: 50, backoffMs: 100, maxBackoffMs: 500, batchSize: 100 } },
    },
    {},
  );
  const gateway = createGateway(config, { logger: pino({ level: 'silent' }), store });
  const url = await gateway.listen();
  const lines: string[] = [];
  try {
    let i = 0;
    const result = await autocannon({
      url: `${url}/graphql`,
      connections: CONNECTIONS,
      duration: DURATION,
      requests: [
        {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-api-key': KEY },
          setupRequest: (req) => ({ ...req, body: body(i++, `${tag}-live`) }),
        },
      ],
    });
    const recorded = mocks.crm.faults.requests().byRoute['POST /api/v1/customers/:id/contacts'] ?? 0;
    lines.push(
      `| ${engine} | recordContact, CRM up (RECORDED) | p50 ${result.latency.p50} ms, p99 ${result.latency.p99} ms | ${Math.round(result.requests.average)} req/s | ${result.non2xx} non-2xx, ${result.errors} errors, ${recorded} CRM POSTs for ${result.requests.total} requests |`,
    );

    mocks.crm.faults.set({ down: '503' });
    let next = 0;
    await Promise.all(
      Array.from({ length: 32 }, async () => {
        while (next < DRAIN) {
          const n = next++;
          await fetch(`${url}/graphql`, {
            method: 'POST',
            headers: { 'content-type': 'application/json', 'x-api-key': KEY },
            body: body(n % 200, `${tag}-drain-${n}`),
          });
        }
      }),
    );
    const waiting = (await backlog(store)).depth;
    const started = performance.now();
    mocks.crm.faults.set({ down: false });
    while ((await backlog(store)).depth > 0) await new Promise((r) => setTimeout(r, 20));
    const seconds = (performance.now() - started) / 1000;
    lines.push(
      `| ${engine} | outbox drain after an outage | ${waiting} waiting, empty after ${seconds.toFixed(2)} s | ${Math.round(waiting / seconds)} deliveries/s | 200 customers, in order per customer |`,
    );
  } finally {
    await gateway.close();
    await mocks.close();
  }
  return lines;
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ucv-bench-tp-'));
  const schema = `ucv_bench_${randomBytes(4).toString('hex')}`;
  const lines = [
    `recordContact and outbox benchmark (node ${process.version}, ${os.cpus().length} cores, load ${os.loadavg()[0]?.toFixed(2)}, ${new Date().toISOString()}; ${CONNECTIONS} connections × ${DURATION} s)`,
    '',
    '| store | what | latency | rate | notes |',
    '|---|---|---|---|---|',
  ];
  try {
    for (const [engine, url] of [
      ['PGlite', undefined],
      ['PostgreSQL', PG_URL],
    ] as const) {
      const store = await openStore({ url, dataDir: path.join(dataDir, 'pglite'), schema, poolSize: 10 });
      try {
        lines.push(...(await run(engine, store, `${engine}-${Date.now()}`)));
      } finally {
        await store.close();
      }
    }
  } finally {
    const client = new Client({ connectionString: PG_URL });
    await client
      .connect()
      .then(() => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`))
      .finally(() => client.end());
    fs.rmSync(dataDir, { recursive: true, force: true });
  }
  console.log(lines.join('\n'));
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
