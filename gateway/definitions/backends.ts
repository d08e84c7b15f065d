/**
 * Where definitions are kept: one JSON document (every version of every definition, and the store-wide version).
 *
 *   file   without Redis: `admin.definitionsFile`, written to a temporary file and renamed over it (atomic on POSIX),
 *          so a crash mid-write leaves the previous document, never half of one; shared by the workers of one host
 *          (UCV_WORKERS): compare-and-set under a lock file, changes seen by polling the file's stat
 *   redis  with `cache.redisUrl`: a key under the cache's prefix, written by a script that checks the stored version
 *          first (compare-and-set), then announced on a channel; every instance re-reads on the announcement, and
 *          whenever its subscription connects again (a message missed while disconnected is caught up)
 */
import { unwatchFile, watchFile, type Stats } from 'node:fs';
import fs from 'node:fs/promises';
import path from 'node:path';
import type { Logger } from 'pino';
import { connectRedis } from '../backends/redis';
import type { DefinitionVersion } from './index';

export interface StoredState {
  version: number;
  entries: DefinitionVersion[];
}

export interface DefinitionsBackend {
  readonly kind: 'file' | 'redis';
  load(): Promise<StoredState>;
  /** Writes `state` if the stored version is still `expected`; false otherwise. */
  save(state: StoredState, expected: number): Promise<boolean>;
  /** Called when another writer may have changed the stored state. */
  onChange(listener: () => void): void;
  close(): Promise<void>;
}

const EMPTY: StoredState = { version: 0, entries: [] };

/** How long a writer waits for the lock, and how old a lock file is before it is taken as left by a dead process. */
const LOCK_WAIT_MS = 5000;
const STALE_LOCK_MS = 10_000;

/**
 * Removes a stale lock once, whoever else saw it stale; true for the waiter that did. The waiter that creates its
 * marker (named by the lock's inode and mtime, O_EXCL) removes it; another that saw the same stale lock gets EEXIST
 * and leaves the lock alone, which by then may be a fresh one the winner's successor made (removing it would let two
 * writers in at once). A marker is itself stale past STALE_LOCK_MS (its maker died between the two steps) and removed
 * then; markers of past takeovers (one per lock left by a dead process) once older than a minute.
 */
async function takeOver(lock: string, seen: Stats): Promise<boolean> {
  const marker = `${lock}.stale-${seen.ino}-${seen.mtimeMs}`;
  const won = await fs.open(marker, 'wx').then(
    (handle) => handle.close().then(() => true),
    () => false,
  );
  if (!won) {
    const age = await fs.stat(marker).then(
      (s) => Date.now() - s.mtimeMs,
      () => 0,
    );
    if (age > STALE_LOCK_MS) await fs.rm(marker, { force: true });
    return false;
  }
  await fs.rm(lock, { force: true });
  const dir = path.dirname(lock);
  const prefix = `${path.basename(lock)}.stale-`;
  for (const name of await fs.readdir(dir).catch(() => [] as string[])) {
    if (!name.startsWith(prefix) || path.join(dir, name) === marker) continue;
    const old = await fs.stat(path.join(dir, name)).then(
      (s) => Date.now() - s.mtimeMs > 60_000,
      () => false,
    );
    if (old) await fs.rm(path.join(dir, name), { force: true });
  }
  return true;
}

/**
 * An exclusive lock shared by every process on the host: `<file>.lock`, created with O_EXCL (one creator wins, on
 * every POSIX file system the gateway runs on), removed when done. A lock older than STALE_LOCK_MS was left by a
 * process that died holding it (a write takes milliseconds) and is taken over by one waiter (takeOver).
 */
async function withFileLock<T>(file: string, task: () => Promise<T>): Promise<T> {
  const lock = `${file}.lock`;
  const deadline = Date.now() + LOCK_WAIT_MS;
  for (;;) {
    try {
      await (await fs.open(lock, 'wx')).close();
      break;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
      const seen = await fs.stat(lock).catch(() => null);
      if (seen && Date.now() - seen.mtimeMs > STALE_LOCK_MS && (await takeOver(lock, seen))) continue;
      if (Date.now() > deadline)
        throw new Error(`the definitions file is locked (${lock}) for longer than ${LOCK_WAIT_MS} ms`);
      else await new Promise((resolve) => setTimeout(resolve, 5 + Math.random() * 20));
    }
  }
  try {
    return await task();
  } finally {
    await fs.rm(lock, { force: true });
  }
}

/**
 * The file, shared by every worker of one host (`UCV_WORKERS`): each load reads it (a small document), a save is a
 * compare-and-set under the lock file (the version on disk, not a cached one, must still be the expected one), and
 * every process polls the file's stat (`fs.watchFile`, `pollMs`) and re-reads when it changed — a rename over it
 * changes its inode and mtime, so a change is seen within `pollMs`.
 */
export function fileBackend(file: string, pollMs = 250): DefinitionsBackend {
  const read = async (): Promise<StoredState> => {
    try {
      return JSON.parse(await fs.readFile(file, 'utf8')) as StoredState;
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code === 'ENOENT') return EMPTY;
      throw err;
    }
  };
  const listeners: Array<() => void> = [];
  let watching = false;
  const changed = (now: Stats, before: Stats): void => {
    if (now.mtimeMs !== before.mtimeMs || now.ino !== before.ino || now.size !== before.size)
      listeners.forEach((l) => l());
  };
  return {
    kind: 'file',
    load: read,
    save: async (state, expected) => {
      await fs.mkdir(path.dirname(file), { recursive: true });
      return withFileLock(file, async () => {
        if ((await read()).version !== expected) return false;
        const temporary = `${file}.${process.pid}.tmp`;
        await fs.writeFile(temporary, JSON.stringify(state, null, 2));
        await fs.rename(temporary, file);
        return true;
      });
    },
    onChange: (listener) => {
      listeners.push(listener);
      if (watching) return;
      watching = true;
      // Not persistent: the poll never keeps a process alive that is otherwise done.
      watchFile(file, { interval: pollMs, persistent: false }, changed);
    },
    close: async () => {
      if (watching) unwatchFile(file, changed); // this backend's poll only: another in this process may watch the file too
    },
  };
}

/** Sets the document only if its version is still the expected one, and announces the new version. */
const COMPARE_AND_SET = `
local stored = redis.call('GET', KEYS[1])
local version = 0
if stored then version = cjson.decode(stored).version end
if tostring(version) ~= ARGV[1] then return 0 end
redis.call('SET', KEYS[1], ARGV[2])
redis.call('PUBLISH', ARGV[3], ARGV[4])
return 1`;

export function redisBackend(
  url: string,
  keyPrefix: string,
  logger: Logger,
  commandTimeoutMs = 2000,
): DefinitionsBackend {
  const key = `${keyPrefix}definitions`;
  const channel = `${keyPrefix}definitions:changed`;
  const client = connectRedis(url, logger, commandTimeoutMs);
  const subscriber = client.duplicate();
  subscriber.on('error', () => undefined); // the main client's handler reports outages
  const listeners: Array<() => void> = [];
  const notify = (): void => listeners.forEach((l) => l());
  // Every (re)connection re-reads: what changed while this instance was cut off is applied then.
  subscriber.on('ready', notify);
  subscriber
    .connect()
    .then(() => subscriber.subscribe(channel, notify))
    .catch((err: Error) => logger.warn({ err: err.message }, 'cannot subscribe to definition changes'));
  const ready = async (): Promise<void> => {
    if (client.isReady) return;
    await new Promise<void>((resolve, reject) => {
      const onReady = (): void => {
        clearTimeout(timer);
        resolve();
      };
      // The listener goes with its timer: calls while Redis is down must not pile listeners up.
      const timer = setTimeout(() => {
        client.off('ready', onReady);
        reject(new Error('Redis is unavailable: definitions cannot be read'));
      }, commandTimeoutMs);
      client.once('ready', onReady);
    });
  };
  return {
    kind: 'redis',
    load: async () => {
      await ready();
      const raw = await client.get(key);
      return raw ? (JSON.parse(String(raw)) as StoredState) : EMPTY;
    },
    save: async (state, expected) => {
      await ready();
      const done = await client.eval(COMPARE_AND_SET, {
        keys: [key],
        arguments: [String(expected), JSON.stringify(state), channel, String(state.version)],
      });
      return Number(done) === 1;
    },
    onChange: (listener) => void listeners.push(listener),
    close: async () => {
      // destroy() also ends a connection attempt still retrying (Redis down): nothing is awaited on it.
      subscriber.destroy();
      client.destroy();
    },
  };
}
