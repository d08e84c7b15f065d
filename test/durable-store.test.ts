/**
 * The durable store opens on PGlite and PostgreSQL alike, migrates at open, idempotently, and on PostgreSQL safely
 * when several instances start together; PGlite keeps what was written across a restart.
 */
import fs from 'node:fs';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { Client } from 'pg';
import { openStore, tables, type Store } from '../gateway/store';
import { ENGINES, POSTGRES_URL, storeOptions, testStores, uniqueSchema } from './support/store';

/** Each migration of the one set runs once: as many journal rows as entries in the journal file. */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const MIGRATION_COUNT = (require('../gateway/store/migrations/meta/_journal.json') as { entries: unknown[] }).entries
  .length;

const stores = testStores();
afterAll(() => stores.cleanup());

/** Rows of a raw query; both drivers answer `{ rows }`. */
async function rows<T>(store: Store, text: string): Promise<T[]> {
  return ((await store.db.execute(sql.raw(text))) as unknown as { rows: T[] }).rows;
}

const row = (customerId: string) => ({
  at: new Date(),
  requestId: 'r',
  facade: 'graphql',
  consumerId: 'c1',
  role: 'front-desk',
  customerId,
  fields: ['profile.name'],
});

describe.each(ENGINES)('on %s', (engine) => {
  it('migrates once: reopening keeps the rows and runs no migration twice', async () => {
    const schema = uniqueSchema();
    const first = await stores.open(engine, schema);
    await first.db.insert(tables.auditLog).values([row('C1'), row('C2')]);
    await first.close();

    const again = await stores.open(engine, schema);
    expect(await again.db.select().from(tables.auditLog)).toHaveLength(2);
    const journal = await rows<{ n: number }>(again, `SELECT count(*)::int AS n FROM ${schema}.__drizzle_migrations`);
    expect(journal[0]?.n).toBe(MIGRATION_COUNT);
  }, 60_000);

  it('stores the audit table with its (customer_id, at) index', async () => {
    const store = await stores.open(engine);
    const index = await rows<{ indexdef: string }>(
      store,
      `SELECT indexdef FROM pg_indexes WHERE schemaname = '${store.schema}' AND tablename = 'audit_log' AND indexname = 'audit_log_customer_at'`,
    );
    expect(index[0]?.indexdef).toMatch(/\(customer_id, at, id\)/);
  }, 60_000);
});

it('on PostgreSQL, three instances starting together migrate once and all open', async () => {
  const schema = uniqueSchema();
  stores.track(schema);
  const opened = await Promise.all([1, 2, 3].map(() => openStore(storeOptions('postgres', stores.dataDir, schema))));
  try {
    const client = new Client({ connectionString: POSTGRES_URL });
    await client.connect();
    const { rows } = await client.query(`SELECT count(*)::int AS n FROM ${schema}.__drizzle_migrations`);
    await client.end();
    expect(rows[0].n).toBe(MIGRATION_COUNT);
    await opened[0]?.db.insert(tables.auditLog).values([row('C9')]);
    expect(await opened[2]?.db.select().from(tables.auditLog)).toHaveLength(1);
  } finally {
    await Promise.all(opened.map((s) => s.close()));
  }
});

it('refuses to open when PostgreSQL cannot be reached, and says so', async () => {
  await expect(
    openStore({
      url: 'postgres://postgres@127.0.0.1:1/test',
      dataDir: stores.dataDir,
      schema: 'ucv_unreached',
      poolSize: 2,
    }),
  ).rejects.toThrow(/ECONNREFUSED/);
});

it('refuses a schema name that is not a plain identifier', async () => {
  await expect(
    openStore({ url: POSTGRES_URL, dataDir: stores.dataDir, schema: 'x; DROP TABLE y', poolSize: 2 }),
  ).rejects.toThrow(/lower-case identifier/);
});

describe('the embedded store folder belongs to one process', () => {
  it('refuses a second open of an open folder, and opens it again once closed', async () => {
    const schema = uniqueSchema();
    const first = await stores.open('pglite', schema);
    await expect(stores.open('pglite', schema)).rejects.toThrow(/already open/);
    await first.close();
    const again = await stores.open('pglite', schema);
    expect(await again.db.select().from(tables.auditLog)).toEqual([]);
  }, 60_000);

  it('refuses a folder a live process holds, and takes over one left by a dead process', async () => {
    const schema = uniqueSchema();
    const folder = path.join(stores.dataDir, schema);
    fs.mkdirSync(folder, { recursive: true });
    fs.writeFileSync(path.join(folder, 'ucv-store.pid'), String(process.ppid));
    await expect(stores.open('pglite', schema)).rejects.toThrow(/already open/);
    // A pid that is no process's (past pid_max's default range): the lock is stale.
    fs.writeFileSync(path.join(folder, 'ucv-store.pid'), '4194303');
    const store = await stores.open('pglite', schema);
    expect(fs.readFileSync(path.join(folder, 'ucv-store.pid'), 'utf8')).toBe(String(process.pid));
    await store.close();
    expect(fs.existsSync(path.join(folder, 'ucv-store.pid'))).toBe(false);
  }, 60_000);
});
