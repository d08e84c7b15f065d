/**
 * The two engines of the durable store, for tests that must pass on both: embedded PGlite in a temporary folder, and
 * the real PostgreSQL at DATABASE_TEST_URL (default postgres://postgres@127.0.0.1:5432/test). PostgreSQL unreachable
 * fails the test; it is never skipped.
 *
 * Each test file gets schemas of its own (`ucv_test_<random>`) and drops only those; the PGlite folder is removed.
 */
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { openStore, type Store, type StoreOptions } from '../../gateway/store';

export const POSTGRES_URL = process.env.DATABASE_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test';

export type Engine = 'pglite' | 'postgres';
export const ENGINES: Engine[] = ['pglite', 'postgres'];

export const uniqueSchema = (): string => `ucv_test_${randomBytes(5).toString('hex')}`;

/** Options that open a store on one engine: PGlite in `<root>/<schema>` (a folder per schema), PostgreSQL in `schema`. */
export function storeOptions(engine: Engine, root: string, schema: string): StoreOptions {
  const dataDir = path.join(root, schema);
  return engine === 'postgres' ? { url: POSTGRES_URL, dataDir, schema, poolSize: 4 } : { dataDir, schema, poolSize: 4 };
}

export interface TestStores {
  /** A temporary folder holding one PGlite folder per schema, removed by `cleanup`. */
  dataDir: string;
  /**
   * Opens a store on the engine in a new unique schema, or reopens the one given (PGlite: its folder; a PGlite
   * folder must be closed before it is opened again). Closed and dropped by `cleanup`.
   */
  open(engine: Engine, schema?: string): Promise<Store>;
  /** Remembers a schema to drop on PostgreSQL (one a child process made). */
  track(schema: string): void;
  cleanup(): Promise<void>;
}

const PGLITE_VERSION = (
  JSON.parse(
    fs.readFileSync(path.resolve(__dirname, '../../node_modules/@electric-sql/pglite/package.json'), 'utf8'),
  ) as { version: string }
).version;

/**
 * An empty PGlite folder, initialised once per PGlite version and kept in the temporary folder. initdb is most of
 * PGlite's start-up (about 5 s here, much more on a loaded machine); copying a ready folder costs well under a second.
 * Made in a folder of its own and renamed into place, so a reader never sees half of one; two processes making it
 * at once both succeed, one rename wins.
 */
async function pgliteTemplate(): Promise<string> {
  const template = path.join(os.tmpdir(), `ucv-pglite-template-${PGLITE_VERSION}`);
  if (fs.existsSync(path.join(template, 'PG_VERSION'))) return template;
  const making = `${template}.${process.pid}.${randomBytes(4).toString('hex')}`;
  const { PGlite } = await import('@electric-sql/pglite');
  const pglite = await PGlite.create(making);
  await pglite.close();
  try {
    fs.renameSync(making, template);
  } catch {
    fs.rmSync(making, { recursive: true, force: true }); // another process's rename won
  }
  return template;
}

/**
 * Fills a PGlite folder not yet initialised with a copy of the template, so opening it skips initdb. The store opens
 * a copy exactly as it opens a folder it initialised itself; a folder already initialised is left as it is.
 */
export async function seedPglite(folder: string): Promise<void> {
  if (fs.existsSync(path.join(folder, 'PG_VERSION'))) return;
  fs.cpSync(await pgliteTemplate(), folder, { recursive: true });
}

export function testStores(): TestStores {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ucv-store-'));
  const opened: Store[] = [];
  const schemas = new Set<string>();
  return {
    dataDir,
    async open(engine, schema = uniqueSchema()) {
      if (engine === 'postgres') schemas.add(schema);
      else await seedPglite(path.join(dataDir, schema));
      const store = await openStore(storeOptions(engine, dataDir, schema));
      opened.push(store);
      return store;
    },
    track: (schema) => void schemas.add(schema),
    async cleanup() {
      await Promise.all(opened.map((s) => s.close().catch(() => {})));
      if (schemas.size > 0) {
        const client = new Client({ connectionString: POSTGRES_URL });
        await client.connect();
        try {
          for (const schema of schemas) await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
        } finally {
          await client.end();
        }
      }
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
}
