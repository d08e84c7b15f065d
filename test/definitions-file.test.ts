/**
 * Issue 11 §4: the definitions file shared by the workers of one host. Real processes race compare-and-sets on one
 * file (no update may be lost); a change written by another process is seen through the poll.
 */
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { fileBackend, type StoredState } from '../gateway/definitions/backends';

jest.setTimeout(60_000);

const ROOT = path.join(__dirname, '..');
const tempFile = (): string => path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ucv-defs-file-')), 'definitions.json');

function writer(file: string, attempts: number): Promise<number> {
  return new Promise((resolve, reject) => {
    const child = spawn(
      process.execPath,
      ['--import', 'tsx', path.join(ROOT, 'test/fixtures/definitions-writer.ts'), file, String(attempts)],
      { cwd: ROOT, stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let out = '';
    let err = '';
    child.stdout.on('data', (c: Buffer) => (out += c.toString()));
    child.stderr.on('data', (c: Buffer) => (err += c.toString()));
    child.once('exit', (code) =>
      code === 0 ? resolve(Number(out.trim())) : reject(new Error(`writer exited ${code}: ${err}`)),
    );
  });
}

test('three processes racing compare-and-sets on one file: every save that won is in the file, versions in step', async () => {
  const file = tempFile();
  const wins = await Promise.all([writer(file, 60), writer(file, 60), writer(file, 60)]);
  const stored = JSON.parse(fs.readFileSync(file, 'utf8')) as StoredState;
  const total = wins.reduce((a, b) => a + b, 0);
  // A lost update would be a win whose entry another process's rename overwrote: fewer entries than wins.
  expect(stored.entries).toHaveLength(total);
  expect(stored.version).toBe(total);
  expect(stored.entries.map((e) => e.version)).toEqual(Array.from({ length: total }, (_, i) => i + 1));
  expect(fs.existsSync(`${file}.lock`)).toBe(false);
});

test('a change another process writes is announced through the poll; a lock left by a dead process is taken over', async () => {
  const file = tempFile();
  const backend = fileBackend(file, 50);
  let announced = 0;
  backend.onChange(() => announced++);
  try {
    expect(await writer(file, 1)).toBe(1);
    const started = Date.now();
    while (announced === 0 && Date.now() - started < 5000) await new Promise((r) => setTimeout(r, 20));
    expect(announced).toBeGreaterThan(0);
    expect((await backend.load()).version).toBe(1);

    // A lock file older than 10 s: its writer died holding it.
    fs.writeFileSync(`${file}.lock`, '');
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(`${file}.lock`, old, old);
    expect(await backend.save({ version: 2, entries: [] }, 1)).toBe(true);
    expect(await backend.save({ version: 3, entries: [] }, 1)).toBe(false);
  } finally {
    await backend.close();
  }
});

test('writers that find the same stale lock: one takes it over, the others wait; one compare-and-set wins, none fails', async () => {
  // Each waiter used to stat the stale lock and then remove whatever lock was there by then: a waiter that had seen
  // the stale one removed the fresh lock another had just made, and both wrote at once (here, in one process, the
  // second rename found the shared temporary file gone; across processes, one update lost).
  for (let round = 0; round < 100; round++) {
    const file = tempFile();
    fs.writeFileSync(`${file}.lock`, '');
    const old = new Date(Date.now() - 60_000);
    fs.utimesSync(`${file}.lock`, old, old);
    const backends = Array.from({ length: 6 }, () => fileBackend(file));
    const results = await Promise.allSettled(
      backends.map((b, i) =>
        b.save(
          { version: 1, entries: [{ kind: 'adapter', name: `n${i}`, version: 1, definition: {}, by: 'test', at: '' }] },
          0,
        ),
      ),
    );
    expect(results.map((r) => (r.status === 'fulfilled' ? r.value : (r.reason as Error).message)).sort()).toEqual([
      false,
      false,
      false,
      false,
      false,
      true,
    ]);
    expect(fs.existsSync(`${file}.lock`)).toBe(false);
  }
});

test("admin.historyLimit bounds each definition's kept versions, 1 included (only the current one)", async () => {
  const { DefinitionsStore } = await import('../gateway/definitions');
  const pino = (await import('pino')).default;
  for (const limit of [1, 2]) {
    const file = tempFile();
    const store = new DefinitionsStore(fileBackend(file), pino({ level: 'silent' }), limit);
    store.register({ kind: 'note', validate: () => [], apply: async () => undefined });
    for (const text of ['a', 'b', 'c']) await store.change('note', 'n', { text }, 'tester');
    const history = await store.history('note', 'n');
    expect(history.map((e) => (e.definition as { text: string }).text)).toEqual(['b', 'c'].slice(-limit));
    await store.close();
  }
});
