/**
 * The gateway's one durable store (audit trail now; outbox, touchpoints, rules and frequency counters next): embedded
 * PGlite persisted to a folder by default, so `npm start` needs no service, and PostgreSQL when a URL is given
 * (`store.url` or DATABASE_URL). Both are spoken to through Drizzle, with one set of tables (`schema.ts`) and one
 * migration set (`migrations/`), so every query is written once.
 *
 * Migrations run when the store opens. They are idempotent (Drizzle's journal table records what ran) and safe when
 * several instances start together on one PostgreSQL: each takes a session advisory lock first, so one migrates and
 * the others then find nothing left to do. PGlite is one process's own database: a second process (or a second
 * open in this one) is refused on its folder.
 */
import fs from 'node:fs';
import path from 'node:path';
import { PGlite } from '@electric-sql/pglite';
import { sql } from 'drizzle-orm';
import { drizzle as drizzlePg } from 'drizzle-orm/node-postgres';
import { migrate as migratePg } from 'drizzle-orm/node-postgres/migrator';
import type { PgDatabase, PgQueryResultHKT } from 'drizzle-orm/pg-core';
import { drizzle as drizzlePglite } from 'drizzle-orm/pglite';
import { migrate as migratePglite } from 'drizzle-orm/pglite/migrator';
import { Pool } from 'pg';
import { tables } from './schema';

export { tables } from './schema';

const MIGRATIONS = path.join(__dirname, 'migrations');

/** The Drizzle database both engines give: write queries against this type only. */
export type StoreDb = PgDatabase<PgQueryResultHKT, typeof tables>;

export interface StoreOptions {
  /** PostgreSQL URL; absent → the embedded PGlite in `dataDir`. */
  url?: string;
  /** PGlite's folder (created if missing). Ignored with `url`. */
  dataDir: string;
  /** Schema holding the store's tables and its migration journal; a plain lower-case identifier. */
  schema: string;
  /** Most PostgreSQL connections in the pool. Ignored on PGlite (one in-process session). */
  poolSize: number;
}

/** The rows of a raw `db.execute(sql…)` result: both drivers answer `{ rows }`. */
export function rowsOf<T>(result: unknown): T[] {
  return ((result as { rows?: T[] }).rows ?? []) as T[];
}

export interface Store {
  readonly kind: 'pglite' | 'postgres';
  readonly schema: string;
  readonly db: StoreDb;
  close(): Promise<void>;
}

const IDENTIFIER = /^[a-z_][a-z0-9_]{0,62}$/;

/** Opens the store and brings its tables up to date. Rejects when the database cannot be reached or migrated. */
export async function openStore(options: StoreOptions): Promise<Store> {
  if (!IDENTIFIER.test(options.schema))
    throw new Error(`store schema must be a lower-case identifier, got ${JSON.stringify(options.schema)}`);
  return options.url ? openPostgres(options.url, options) : openPglite(options);
}

async function openPostgres(url: string, { schema, poolSize }: StoreOptions): Promise<Store> {
  // Every connection resolves unqualified names in the store's schema, so the SQL never names it.
  // A server that does not answer a connection attempt is reported within 5 s rather than waited for forever.
  const pool = new Pool({
    connectionString: url,
    max: poolSize,
    options: `-c search_path=${schema}`,
    connectionTimeoutMillis: 5000,
  });
  // An idle client's error (server restart) must not crash the process; the next query reports it.
  pool.on('error', () => {});
  try {
    const client = await pool.connect();
    try {
      // Session lock keyed by the schema: instances starting together migrate one after the other.
      await client.query('SELECT pg_advisory_lock(hashtext($1))', [`ucv-store-migrate:${schema}`]);
      try {
        await client.query(`CREATE SCHEMA IF NOT EXISTS ${schema}`);
        await migratePg(drizzlePg(client), { migrationsFolder: MIGRATIONS, migrationsSchema: schema });
      } finally {
        await client.query('SELECT pg_advisory_unlock(hashtext($1))', [`ucv-store-migrate:${schema}`]);
      }
    } finally {
      client.release();
    }
  } catch (err) {
    await pool.end().catch(() => {});
    throw err;
  }
  const db = drizzlePg(pool, { schema: tables }) as unknown as StoreDb;
  return { kind: 'postgres', schema, db, close: () => pool.end() };
}

async function openPglite({ dataDir, schema }: StoreOptions): Promise<Store> {
  fs.mkdirSync(dataDir, { recursive: true });
  const release = lockFolder(dataDir);
  let client: PGlite | undefined;
  try {
    client = await PGlite.create(dataDir);
    await client.exec(`CREATE SCHEMA IF NOT EXISTS ${schema}; SET search_path TO ${schema};`);
    await migratePglite(drizzlePglite(client), { migrationsFolder: MIGRATIONS, migrationsSchema: schema });
  } catch (err) {
    await client?.close().catch(() => {});
    release();
    throw err;
  }
  const open = client;
  const db = drizzlePglite(open, { schema: tables }) as unknown as StoreDb;
  return { kind: 'pglite', schema, db, close: () => open.close().finally(release) };
}

const LOCK_FILE = 'ucv-store.pid';
const lockedHere = new Set<string>();

/**
 * PGlite has no lock of its own, and two PGlite instances on one folder corrupt it: refuse a folder another live
 * process (pid in `ucv-store.pid`) or this process already has open. A pid left by a killed process is stale and taken
 * over. Returns the release function.
 */
function lockFolder(dataDir: string): () => void {
  const folder = path.resolve(dataDir);
  const file = path.join(folder, LOCK_FILE);
  const busy = (): Error =>
    new Error(
      `the embedded store ${folder} is already open in another gateway process or this one; use DATABASE_URL (PostgreSQL) for several instances`,
    );
  if (lockedHere.has(folder)) throw busy();
  let holder = Number.NaN;
  try {
    holder = Number(fs.readFileSync(file, 'utf8').trim());
  } catch {
    // no lock file: free
  }
  if (Number.isInteger(holder) && holder > 0 && holder !== process.pid && alive(holder)) throw busy();
  fs.writeFileSync(file, String(process.pid));
  lockedHere.add(folder);
  return () => {
    lockedHere.delete(folder);
    fs.rmSync(file, { force: true });
  };
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM';
  }
}

/** True when the store answers a trivial query (for readiness). */
export async function storeReachable(store: Store): Promise<boolean> {
  try {
    await store.db.execute(sql`SELECT 1`);
    return true;
  } catch {
    return false;
  }
}

/**
 * A store error as it may be logged: what failed and why, never the values. Drizzle's DrizzleQueryError carries the
 * SQL and its parameters in its message ("Failed query: … params: …"), and PostgreSQL's own messages and details
 * may quote a value (`invalid input syntax for type integer: "…"`, `Key (…)=(…) already exists`): a contact's
 * content, a customer's data. So a database error is logged by its SQLSTATE code, severity and the names of the
 * constraint, table and column involved; any other error (a connection refused, a pool timeout) by its name, code
 * and message, which quote no values.
 */
export function storeErrorForLog(err: unknown): Record<string, unknown> {
  // Drizzle's DrizzleQueryError: the query and its params, the driver's error as its cause.
  const wrapped = err as { params?: unknown; cause?: unknown } | null;
  const inner = wrapped && wrapped.params !== undefined && wrapped.cause ? wrapped.cause : err;
  const e = (inner ?? {}) as Record<string, unknown>;
  const code = typeof e.code === 'string' ? e.code : undefined;
  if (code !== undefined && /^[0-9A-Z]{5}$/.test(code)) {
    const names = Object.fromEntries(
      ['severity', 'constraint', 'table', 'column', 'routine'].flatMap((k) =>
        typeof e[k] === 'string' ? [[k, e[k]]] : [],
      ),
    );
    return { type: 'DatabaseError', code, ...names };
  }
  return {
    type: inner instanceof Error ? inner.name : typeof inner,
    ...(code !== undefined ? { code } : {}),
    message: inner instanceof Error ? inner.message.slice(0, 200) : undefined,
  };
}
