/**
 * Durability bound of the audit trail: nothing answered is missing after a SIGKILL. A real child process (the audit
 * plugin, sink and store behind HTTP) is killed with SIGKILL in the middle of a load; afterwards the store, opened
 * again, holds the record of every request that got its answer. On PGlite and on PostgreSQL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { inArray } from 'drizzle-orm';
import { tables } from '../gateway/store';
import { ENGINES, POSTGRES_URL, testStores, uniqueSchema, seedPglite } from './support/store';

const stores = testStores();
afterAll(() => stores.cleanup());

const ROOT = path.join(__dirname, '..');
const FIXTURE = path.join(__dirname, 'fixtures', 'audit-server.ts');

/** Starts the child; resolves with its port once it listens. */
function startChild(env: Record<string, string>): Promise<{ child: ChildProcess; port: number }> {
  // `node --import tsx`, not the tsx CLI: the CLI runs the script in a grandchild that a SIGKILL would not reach.
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    cwd: ROOT,
    env: { ...process.env, NODE_OPTIONS: '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`child did not start: ${stderr}`)), 90_000);
    child.stdout?.on('data', (c: Buffer) => {
      const port = /listening (\d+)/.exec(c.toString())?.[1];
      if (port) {
        clearTimeout(timer);
        resolve({ child, port: Number(port) });
      }
    });
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`child exited (${code}) before listening: ${stderr}`));
    });
  });
}

describe.each(ENGINES)('on %s', (engine) => {
  it('after a SIGKILL mid-load, every answered read has its audit record', async () => {
    const schema = uniqueSchema();
    if (engine === 'postgres') stores.track(schema);
    const dataDir = path.join(stores.dataDir, schema);
    if (engine === 'pglite') await seedPglite(dataDir);
    const { child, port } = await startChild({
      AUDIT_STORE_URL: engine === 'postgres' ? POSTGRES_URL : '',
      AUDIT_STORE_DIR: dataDir,
      AUDIT_STORE_SCHEMA: schema,
    });
    const exited = new Promise((resolve) => child.once('exit', resolve));

    const answered: string[] = [];
    let sent = 0;
    let stop = false;
    // 16 clients send reads back to back (at most 3,000 in all) until the child dies under them.
    const client = async (): Promise<void> => {
      while (!stop && sent < 3000) {
        const requestId = `kill-${sent++}`;
        try {
          const res = await fetch(`http://127.0.0.1:${port}/`, {
            method: 'POST',
            body: JSON.stringify({ customerId: `C${sent % 50}`, requestId }),
          });
          const body = (await res.json()) as { data?: { customer?: { profile?: { name?: string } } } };
          if (res.status === 200 && body.data?.customer?.profile?.name) answered.push(requestId);
        } catch {
          return; // the child is gone
        }
      }
    };
    const clients = Array.from({ length: 16 }, client);
    // Kill once a good number are answered, with reads in flight (bounded wait: kill after 20 s whatever happened).
    const deadline = Date.now() + 20_000;
    while (answered.length < 300 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 5));
    const inFlight = sent - answered.length;
    child.kill('SIGKILL');
    await exited;
    stop = true;
    await Promise.all(clients);

    expect(answered.length).toBeGreaterThanOrEqual(100);
    expect(inFlight).toBeGreaterThan(0);
    const store = await stores.open(engine, schema);
    const stored = await store.db
      .select({ requestId: tables.auditLog.requestId })
      .from(tables.auditLog)
      .where(inArray(tables.auditLog.requestId, answered));
    const missing = answered.filter((id) => !stored.some((r) => r.requestId === id));
    expect(missing).toEqual([]);
    expect(stored).toHaveLength(answered.length);
  }, 180_000);
});
