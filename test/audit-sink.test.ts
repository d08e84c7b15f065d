/**
 * The audit sink commits records in groups (one multi-row INSERT per batch), resolves each `record` only once its
 * records are committed, and refuses (never drops silently) when its queue is full or the store fails: on PGlite and
 * on PostgreSQL.
 */
import { eq } from 'drizzle-orm';
import { Client } from 'pg';
import { Registry } from 'prom-client';
import { AuditSink, AuditUnavailable, type AuditRecord } from '../gateway/audit/sink';
import { auditMetrics } from '../gateway/metrics';
import { tables, type Store } from '../gateway/store';
import { ENGINES, POSTGRES_URL, testStores } from './support/store';

const stores = testStores();
afterAll(() => stores.cleanup());

const record = (requestId: string, customerId = 'C00000001'): AuditRecord => ({
  at: new Date(),
  requestId,
  facade: 'graphql',
  consumerId: 'desk-1',
  role: 'front-desk',
  customerId,
  fields: ['profile.name', 'profile.msisdn'],
});

async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  // A histogram's samples (`_count`, `_sum`) are listed under the histogram's own name.
  const metric = (await registry.getMetricsAsJSON()).find((m) => name === m.name || name.startsWith(`${m.name}_`));
  const values = (metric?.values ?? []) as Array<{
    value: number;
    labels: Record<string, unknown>;
    metricName?: string;
  }>;
  return values
    .filter((v) => (v.metricName ?? name) === name && Object.entries(labels).every(([k, want]) => v.labels[k] === want))
    .reduce((sum, v) => sum + v.value, 0);
}

describe.each(ENGINES)('on %s', (engine) => {
  let store: Store;
  beforeAll(async () => {
    store = await stores.open(engine);
  }, 60_000);

  it('commits 300 concurrent reads in a few multi-row batches, each promise resolving after its commit', async () => {
    const registry = new Registry();
    const sink = new AuditSink(store, {
      maxQueue: 10_000,
      maxBatch: 100,
      commitTimeoutMs: 30_000,
      metrics: auditMetrics(registry),
    });
    const customer = `C-group-${engine}`;
    const committedWhenResolved: boolean[] = [];
    await Promise.all(
      Array.from({ length: 300 }, (_, i) =>
        sink.record([record(`req-${i}`, customer)]).then(async () => {
          // Resolved means committed: another connection (or the same PGlite session) already sees the row.
          const rows = await store.db
            .select()
            .from(tables.auditLog)
            .where(eq(tables.auditLog.requestId, `req-${i}`));
          committedWhenResolved.push(rows.some((r) => r.customerId === customer));
        }),
      ),
    );
    expect(committedWhenResolved).toHaveLength(300);
    expect(committedWhenResolved.every(Boolean)).toBe(true);
    expect(await store.db.select().from(tables.auditLog).where(eq(tables.auditLog.customerId, customer))).toHaveLength(
      300,
    );
    expect(await metricValue(registry, 'ucv_audit_records_total')).toBe(300);
    // Grouped: far fewer commits than records, and none larger than maxBatch.
    const batches = await metricValue(registry, 'ucv_audit_batch_records_count');
    expect(batches).toBeGreaterThanOrEqual(3);
    expect(batches).toBeLessThanOrEqual(30);
    await sink.close();
  });

  it('commits a record whose consumer id holds an unpaired surrogate, with U+FFFD in its place', async () => {
    const sink = new AuditSink(store, {
      maxQueue: 100,
      maxBatch: 100,
      commitTimeoutMs: 30_000,
      metrics: auditMetrics(new Registry()),
    });
    const requestId = `req-surrogate-${engine}`;
    await sink.record([{ ...record(requestId), consumerId: 'jwt-\udc00-sub' }, record(`${requestId}-2`)]);
    const [row] = await store.db.select().from(tables.auditLog).where(eq(tables.auditLog.requestId, requestId));
    expect(row?.consumerId).toBe('jwt-\ufffd-sub');
    await sink.close();
  });

  it('refuses records past its bounded queue, counting them, and still commits the ones it took', async () => {
    const registry = new Registry();
    const sink = new AuditSink(store, {
      maxQueue: 10,
      maxBatch: 5,
      commitTimeoutMs: 30_000,
      metrics: auditMetrics(registry),
    });
    const customer = `C-full-${engine}`;
    const outcomes = await Promise.allSettled(
      Array.from({ length: 25 }, (_, i) => sink.record([record(`full-${i}`, customer)])),
    );
    const refused = outcomes.filter((o) => o.status === 'rejected');
    // The first 10 fill the queue before the writer's first commit returns; later ones may find room again.
    expect(refused.length).toBeGreaterThan(0);
    for (const o of refused) expect((o as PromiseRejectedResult).reason).toEqual(new AuditUnavailable('queue_full'));
    expect(await metricValue(registry, 'ucv_audit_refused_total', { reason: 'queue_full' })).toBe(refused.length);
    const stored = await store.db.select().from(tables.auditLog).where(eq(tables.auditLog.customerId, customer));
    expect(stored).toHaveLength(25 - refused.length);
    await sink.close();
  });

  it('refuses every record of a batch the store could not commit (store_error), and after close refuses new ones', async () => {
    const registry = new Registry();
    const other = await stores.open(engine);
    const sink = new AuditSink(other, {
      maxQueue: 100,
      maxBatch: 100,
      commitTimeoutMs: 30_000,
      metrics: auditMetrics(registry),
    });
    await sink.record([record('before')]);
    await other.close();
    await expect(sink.record([record('after-1'), record('after-2')])).rejects.toEqual(
      new AuditUnavailable('store_error'),
    );
    expect(await metricValue(registry, 'ucv_audit_refused_total', { reason: 'store_error' })).toBe(2);
    await sink.close();
    await expect(sink.record([record('closed')])).rejects.toEqual(new AuditUnavailable('closed'));
  }, 60_000);
});

it('on PostgreSQL, a commit stalled by a lock refuses its reads at commitTimeoutMs (timeout), and commits again once it clears', async () => {
  const store = await stores.open('postgres');
  const registry = new Registry();
  const sink = new AuditSink(store, {
    maxQueue: 100,
    maxBatch: 100,
    commitTimeoutMs: 300,
    metrics: auditMetrics(registry),
  });
  const locker = new Client({ connectionString: POSTGRES_URL });
  await locker.connect();
  try {
    await locker.query('BEGIN');
    await locker.query(`LOCK TABLE ${store.schema}.audit_log IN ACCESS EXCLUSIVE MODE`);
    const started = Date.now();
    await expect(sink.record([record('stalled')])).rejects.toEqual(new AuditUnavailable('timeout'));
    expect(Date.now() - started).toBeLessThan(5_000);
    expect(await metricValue(registry, 'ucv_audit_refused_total', { reason: 'timeout' })).toBe(1);
    await locker.query('ROLLBACK');
    await sink.record([record('after-stall')]);
    // The stalled batch went in once the lock cleared: the trail may list a refused read, never miss an answered one.
    const ids = (await store.db.select().from(tables.auditLog)).map((r) => r.requestId).sort();
    expect(ids).toEqual(['after-stall', 'stalled']);
  } finally {
    await locker.end();
    await sink.close();
  }
}, 60_000);
