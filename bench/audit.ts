/**
 * `npm run bench:audit`: what the audit trail costs, on the embedded PGlite and on PostgreSQL (DATABASE_URL, default
 * postgres://postgres@127.0.0.1:5432/test, in a schema of its own, dropped at the end).
 *
 * 1. Sink throughput: WORKERS concurrent readers, each awaiting one record's commit before its next read, RECORDS in
 *    all: committed records per second and the records per group commit.
 * 2. Added latency per request: the same small operation through envelop (engine → mask → audit) and through the same
 *    envelop without the audit plugin, one request at a time, then WORKERS at a time: p50 / p99 of each, the
 *    difference being what awaiting the group commit adds.
 * Short and bounded (a few thousand operations per row); everything runs in this process, on 127.0.0.1.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { Registry } from 'prom-client';
import { AuditSink } from '../gateway/audit/sink';
import { auditMetrics } from '../gateway/metrics';
import { openStore, type Store } from '../gateway/store';
import { auditedRunner } from '../test/support/audit-envelop';

const RECORDS = Number(process.env.RECORDS ?? 20_000);
const WORKERS = Number(process.env.WORKERS ?? 64);
const REQUESTS = Number(process.env.REQUESTS ?? 2_000);
const PG_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

const pct = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor(sorted.length * p))] ?? NaN;
const fmt = (ms: number): string => `${(ms * 1000).toFixed(0)} µs`;

async function pool<T>(n: number, total: number, task: (i: number) => Promise<T>): Promise<void> {
  let next = 0;
  await Promise.all(
    Array.from({ length: n }, async () => {
      while (next < total) await task(next++);
    }),
  );
}

async function sinkThroughput(store: Store): Promise<string> {
  const registry = new Registry();
  const sink = new AuditSink(store, {
    maxQueue: 100_000,
    maxBatch: 500,
    commitTimeoutMs: 30_000,
    metrics: auditMetrics(registry),
  });
  const started = performance.now();
  await pool(WORKERS, RECORDS, (i) =>
    sink.record([
      {
        at: new Date(),
        requestId: `b-${i}`,
        facade: 'graphql',
        consumerId: 'bench',
        role: 'front-desk',
        customerId: `C${i % 1000}`,
        fields: ['profile.name', 'profile.msisdn', 'billing.balance'],
      },
    ]),
  );
  const seconds = (performance.now() - started) / 1000;
  const batches =
    (await registry.getSingleMetric('ucv_audit_batch_records')?.get())?.values.find(
      (v) => (v as { metricName?: string }).metricName === 'ucv_audit_batch_records_count',
    )?.value ?? 0;
  await sink.close();
  return `${Math.round(RECORDS / seconds).toLocaleString('en')} records/s (${WORKERS} concurrent readers, ${RECORDS} records, ${(RECORDS / batches).toFixed(1)} records per commit)`;
}

async function latency(store: Store, concurrency: number): Promise<string> {
  const sink = new AuditSink(store, {
    maxQueue: 100_000,
    maxBatch: 500,
    commitTimeoutMs: 30_000,
    metrics: auditMetrics(new Registry()),
  });
  const noAudit = { record: () => Promise.resolve() };
  const rows: string[] = [];
  const result: Record<string, number[]> = {};
  for (const [name, runner] of [
    ['without audit', auditedRunner(noAudit)],
    ['with audit', auditedRunner(sink)],
    ['without audit (again)', auditedRunner(noAudit)],
  ] as const) {
    const times: number[] = [];
    const started = performance.now();
    await pool(concurrency, REQUESTS, async (i) => {
      const t0 = performance.now();
      await runner('query ($id: ID!) { customer(id: $id) { profile { name idCardNumber } contacts { channel } } }', {
        requestId: `l-${name}-${i}`,
        consumer: { id: 'bench', role: 'front-desk' },
        variables: { id: `C${i % 1000}` },
      });
      times.push(performance.now() - t0);
    });
    const rate = REQUESTS / ((performance.now() - started) / 1000);
    times.sort((a, b) => a - b);
    result[name] = times;
    rows.push(
      `    ${name.padEnd(22)} p50 ${fmt(pct(times, 0.5)).padStart(8)}  p99 ${fmt(pct(times, 0.99)).padStart(8)}  ${Math.round(rate).toLocaleString('en')} req/s`,
    );
  }
  await sink.close();
  const base = [...(result['without audit'] ?? []), ...(result['without audit (again)'] ?? [])].sort((a, b) => a - b);
  const added = pct(result['with audit'] ?? [], 0.5) - pct(base, 0.5);
  return `  ${concurrency} at a time: audit adds ${fmt(added)} at p50\n${rows.join('\n')}`;
}

async function main(): Promise<void> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ucv-bench-audit-'));
  const schema = `ucv_bench_${randomBytes(4).toString('hex')}`;
  const lines = [
    `Audit trail micro-benchmark (node ${process.version}, ${os.cpus().length} cores, ${new Date().toISOString()})`,
  ];
  try {
    for (const [engine, url] of [
      ['PGlite (embedded)', undefined],
      ['PostgreSQL', PG_URL],
    ] as const) {
      const store = await openStore({ url, dataDir: path.join(dataDir, 'store'), schema, poolSize: 10 });
      try {
        lines.push(
          `\n${engine}`,
          `  sink: ${await sinkThroughput(store)}`,
          await latency(store, 1),
          await latency(store, WORKERS),
        );
      } finally {
        await store.close();
      }
      console.log(lines.join('\n'));
      lines.length = 0;
    }
  } finally {
    fs.rmSync(dataDir, { recursive: true, force: true });
    const client = new Client({ connectionString: PG_URL });
    await client
      .connect()
      .then(() => client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`))
      .finally(() => client.end());
  }
}

void main();
