/**
 * Every core: `npm run gateway` with UCV_WORKERS=2 runs two gateway processes behind one port, in
 * real processes over real HTTP. Both serve; a worker that dies is replaced; SIGTERM to the primary drains both with
 * no request reset; without Redis the start says each worker caches alone, with Redis they share one cache.
 */
import { spawn, type ChildProcessByStdio } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import type { Readable } from 'node:stream';
import { startMocks, type Mocks } from '../mocks';
import { respawnDelayMs } from '../gateway/app/cluster';
import { AUTH, postGraphQL, testSecurity } from './support/harness';
import { POSTGRES_URL, uniqueSchema } from './support/store';
import { startLoad } from './support/load';
import { waitFor } from './support/wait';
import { freePort, REDIS_URL, requireRedis, uniquePrefix } from './support/redis';
import { PATIENT_MAPPINGS } from './support/patient';

// Each test starts one or two primaries of two tsx workers: on a loaded machine a start alone can take a minute.
jest.setTimeout(600_000);

const ROOT = path.join(__dirname, '..');
const NO_CACHE = { cache: { ttlSeconds: 0, staleSeconds: 0, notFoundTtlSeconds: 0 } };
const LONG_CACHE = { cache: { ttlSeconds: 600 } };

interface Primary {
  child: ChildProcessByStdio<null, Readable, Readable>;
  url: string;
  stderr(): string;
  workerPids(): number[];
  waitFor(pattern: RegExp, timeoutMs?: number): Promise<RegExpMatchArray>;
  exited: Promise<number | null>;
}

let mocks: Mocks;
const primaries: Primary[] = [];
beforeAll(async () => {
  mocks = await startMocks();
});
afterAll(async () => {
  for (const p of primaries) if (p.child.exitCode === null) p.child.kill('SIGKILL');
  await mocks.close();
});

async function startPrimary(
  policy: object,
  extra: { redisUrl?: string; env?: Record<string, string>; adapters?: object[]; port?: number; admin?: object } = {},
): Promise<Primary> {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ucv-workers-')), 'config.json');
  const cache = extra.redisUrl ? { redisUrl: extra.redisUrl, keyPrefix: uniquePrefix('workers') } : {};
  const adapters = [
    ...Object.entries(mocks.urls).map(([name, url]) => ({ name, url, policy })),
    ...(extra.adapters ?? []),
  ];
  // Workers share one durable store (the embedded one is one process's): PostgreSQL, in a schema of this test's own.
  const store = { url: POSTGRES_URL, schema: uniqueSchema() };
  fs.writeFileSync(
    file,
    JSON.stringify({
      port: extra.port ?? 0,
      host: '127.0.0.1',
      logLevel: 'silent',
      cache,
      adapters,
      store,
      security: testSecurity(),
      ...(extra.admin ? { admin: extra.admin } : {}),
    }),
  );
  const child = spawn(process.execPath, ['--import', 'tsx', path.join(ROOT, 'gateway/main.ts')], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_ENV: 'production',
      UCV_CONFIG: file,
      UCV_WORKERS: '2',
      REDIS_URL: '',
      DATABASE_URL: '',
      ...extra.env,
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let err = '';
  const waiters: Array<() => void> = [];
  child.stderr.on('data', (chunk: Buffer) => {
    err += chunk.toString();
    waiters.forEach((w) => w());
  });
  child.stdout.resume();
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const waitFor = (pattern: RegExp, timeoutMs = 90_000): Promise<RegExpMatchArray> =>
    new Promise((resolve, reject) => {
      const check = (): void => {
        const match = err.match(pattern);
        if (match) {
          clearTimeout(timer);
          resolve(match);
        }
      };
      const timer = setTimeout(() => reject(new Error(`no ${pattern} in the primary's output:\n${err}`)), timeoutMs);
      waiters.push(check);
      check();
    });
  const primary: Primary = {
    child,
    url: '',
    stderr: () => err,
    workerPids: () => [...err.matchAll(/worker (\d+) listening/g)].map((m) => Number(m[1])),
    waitFor,
    exited,
  };
  primaries.push(primary);
  primary.url = (await waitFor(/listening on (http:\/\/[\d.:]+)\/graphql/))[1] as string;
  return primary;
}

const cpuTicks = (pid: number): number => {
  const fields = fs.readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]?.split(' ') ?? [];
  return Number(fields[11]) + Number(fields[12]);
};
const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};
const VIEW = '{ customer(id: "C00000007") { profile { name } billing { balance } score { creditScore } } }';
const BODY = JSON.stringify({ query: VIEW });

test('two workers share the port and both serve; one that dies is replaced; SIGTERM drains both with no request reset', async () => {
  const p = await startPrimary(NO_CACHE);
  expect(p.stderr()).toMatch(/2 workers without Redis: each worker caches alone/);
  const pids = p.workerPids();
  expect(pids).toHaveLength(2);

  // Round-robin over both: each worker burns CPU on the views (no cache: every view reaches the backends).
  const before = pids.map(cpuTicks);
  const load = startLoad(p.url, { clients: 6, body: BODY });
  // Until both workers have served (whatever time that takes on a loaded machine).
  await waitFor(
    () => (load.progress().statuses[200] ?? 0) > 20 && pids.every((pid, i) => cpuTicks(pid) > (before[i] as number)),
    { timeoutMs: 30_000, what: 'more than 20 answers and CPU spent by both workers' },
  );
  const outcome = await load.stop();
  expect(outcome.statuses[200]).toBeGreaterThan(20);
  pids.forEach((pid, i) => expect(cpuTicks(pid)).toBeGreaterThan(before[i] as number));

  // Kill one: the primary says so and forks a replacement, and the port keeps answering.
  const [victim] = pids as [number, number];
  process.kill(victim, 'SIGKILL');
  await p.waitFor(new RegExp(`worker ${victim} died \\(signal SIGKILL\\); replacing it in 0 ms`));
  await p.waitFor(/worker \d+ listening[\s\S]*worker \d+ listening[\s\S]*worker \d+ listening/);
  const now = p.workerPids().filter((pid) => pid !== victim);
  expect(now).toHaveLength(2);
  expect(now.every(alive)).toBe(true);
  expect((await postGraphQL(p.url, VIEW)).status).toBe(200);

  // SIGTERM to the primary under steady keep-alive load: both workers drain, nothing is reset, everything exits.
  mocks.scoring.faults.set({ latencyMs: 150 });
  const load2 = startLoad(p.url, { clients: 6, body: BODY });
  // Steady keep-alive load: every client answered at least twice on average.
  await waitFor(() => load2.answered() >= 12, { timeoutMs: 30_000, what: '12 answers' });
  load2.mark();
  p.child.kill('SIGTERM');
  expect(await p.exited).toBe(0);
  const drained = await load2.stop();
  mocks.scoring.faults.reset();
  expect(drained.reset).toBe(0);
  expect(drained.answeredOfThoseStartedBeforeMark).toBe(drained.startedBeforeMark);
  expect(now.some(alive)).toBe(false);
});

test('with Redis the workers share one cache: a record fetched by one worker is served to the other', async () => {
  await requireRedis();
  const p = await startPrimary(LONG_CACHE, { redisUrl: REDIS_URL });
  expect(p.stderr()).not.toMatch(/caches alone/);
  const crmBefore = mocks.crm.faults.requests().total;
  // Sequential requests alternate between the two workers (the primary deals connections round-robin).
  for (let i = 0; i < 6; i++) {
    const res = await fetch(`${p.url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', connection: 'close', ...AUTH },
      body: JSON.stringify({ query: '{ customer(id: "C00000011") { profile { name } } }' }),
    });
    expect(res.status).toBe(200);
  }
  // One view is one CRM call for the profile; without a shared cache the second worker would make its own.
  expect(mocks.crm.faults.requests().total - crmBefore).toBe(1);
  p.child.kill('SIGTERM');
  expect(await p.exited).toBe(0);
});

test('a crash loop backs off: at once the first time, then doubling, at most 30 s', () => {
  expect([1, 2, 3, 4, 5, 12, 20].map(respawnDelayMs)).toEqual([0, 250, 500, 1000, 2000, 30_000, 30_000]);
});

test('workers that keep dying are replaced after a growing wait, and SIGTERM still stops everything', async () => {
  // Each request for `crash` kills the worker serving it (test/fixtures/crashing-adapter.ts).
  const crasher = {
    name: 'crasher',
    module: 'test/fixtures/crashing-adapter',
    url: mocks.urls.crm,
    policy: { retry: { attempts: 0 } },
  };
  // A fixed port: when every worker is dead at once the primary closes the shared listener, and a worker started
  // after that listens again on the configured port (port 0 would pick a new one).
  const p = await startPrimary(NO_CACHE, { adapters: [crasher], port: await freePort() });
  const body = JSON.stringify({ query: '{ customer(id: "C00000001") { crash } }' });
  // A new connection each time (agent: false), so no request goes to a socket of a worker that just died.
  const crash = (): Promise<void> =>
    new Promise((resolve) => {
      const req = http.request(
        `${p.url}/graphql`,
        { method: 'POST', agent: false, headers: { 'content-type': 'application/json', ...AUTH } },
        (res) => res.resume().on('end', resolve),
      );
      req.on('error', () => resolve());
      req.end(body);
    });
  for (const [n, delay] of [
    [1, 0],
    [2, 250],
    [3, 500],
  ] as const) {
    const death = new RegExp(`replacing it in ${delay} ms \\(${n} death\\(s\\) in the last minute\\)`);
    // While no worker is up the port refuses the request: ask again until one serves it (and dies). A replacement
    // can take a minute to start on a loaded machine.
    await waitFor(
      async () => {
        await crash();
        return p.waitFor(death, 1000).then(
          () => true,
          () => false,
        );
      },
      { timeoutMs: 180_000, intervalMs: 0, what: `death ${n} and its replacement in ${delay} ms` },
    );
    expect(p.stderr()).toMatch(death);
  }
  // Once the replacements are up, the port serves again.
  await p.waitFor(/(worker \d+ listening[\s\S]*){5}/);
  expect((await postGraphQL(p.url, VIEW)).status).toBe(200);
  p.child.kill('SIGTERM');
  expect(await p.exited).toBe(0);
});

describe('definitions across workers without Redis (the file, shared)', () => {
  const admin = (url: string, method: string, route: string, body?: unknown) =>
    fetch(`${url}${route}`, {
      method,
      headers: { 'content-type': 'application/json', connection: 'close', ...AUTH },
      body: body === undefined ? undefined : JSON.stringify(body),
    }).then(async (res) => ({ status: res.status, body: (await res.json()) as Record<string, any> })); // eslint-disable-line @typescript-eslint/no-explicit-any
  const example = (): Record<string, unknown> => ({
    ...(JSON.parse(fs.readFileSync(path.join(ROOT, 'examples', 'network-events.json'), 'utf8')) as object),
    baseUrl: mocks.networkEvents.url,
  });
  /** One view on a new connection: the primary deals connections round-robin, so consecutive ones alternate workers. */
  const areaOnNewConnection = async (url: string, id: string): Promise<unknown> => {
    const res = await fetch(`${url}/graphql`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', connection: 'close', ...AUTH },
      body: JSON.stringify({ query: `{ customer(id: "${id}") { networkState { area } } }` }),
    });
    const body = (await res.json()) as { data?: { customer?: { networkState?: { area?: string } } } };
    return body.data?.customer?.networkState?.area;
  };

  test('put through one worker, every worker serves the field within a second; concurrent puts lose nothing; a restart keeps them', async () => {
    const definitionsFile = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ucv-workers-defs-')), 'definitions.json');
    const adminConfig = { allowLoopback: true, definitionsFile, mappings: PATIENT_MAPPINGS };
    const p = await startPrimary(NO_CACHE, { admin: adminConfig });
    expect(p.workerPids()).toHaveLength(2);

    const put = await admin(p.url, 'PUT', '/admin/adapters/network', example());
    expect(put.status).toBe(200);
    const started = Date.now();
    // Served by both: six views in a row on new connections (three per worker) all have the section. Timed from
    // the put's answer to the start of the first of them: the convergence, not the views' own time on a loaded machine.
    let inARow = 0;
    let took = 0;
    while (inARow < 6 && Date.now() - started < 5000) {
      const sentAt = Date.now();
      inARow = (await areaOnNewConnection(p.url, 'C00000001')) ? inARow + 1 : 0;
      if (inARow === 1) took = sentAt - started;
    }
    expect(inARow).toBe(6);
    // One second is the target (the file is polled every 250 ms); the busy test machine gets some room.
    expect(took).toBeLessThan(2500);

    // Six puts at once, on six connections (both workers): each is stored (200) or told to retry (409), none lost.
    const names = ['neta', 'netb', 'netc', 'netd', 'nete', 'netf'];
    const results = await Promise.all(
      names.map((name) =>
        admin(p.url, 'PUT', `/admin/adapters/${name}`, {
          ...example(),
          name,
          typeDefs: `extend type Customer { ${name}Area: String }`,
          resources: { state: { path: '/nep/v2/subscribers/{key}/state', mapping: 'location.area' } },
          fields: { [`${name}Area`]: { resource: 'state' } },
        }),
      ),
    );
    expect(results.map((r) => r.status).every((s) => s === 200 || s === 409)).toBe(true);
    const stored = names.filter((_, i) => results[i]?.status === 200);
    expect(stored.length).toBeGreaterThan(0);
    const versions = results.filter((r) => r.status === 200).map((r) => r.body.version as number);
    expect(new Set(versions).size).toBe(versions.length);
    const listed = await admin(p.url, 'GET', '/admin/adapters');
    expect((listed.body.items as Array<{ name: string }>).map((e) => e.name).sort()).toEqual(
      ['network', ...stored].sort(),
    );

    p.child.kill('SIGTERM');
    expect(await p.exited).toBe(0);

    // A restart (both workers new) comes back with every stored definition before it listens.
    const again = await startPrimary(NO_CACHE, { admin: adminConfig });
    for (let i = 0; i < 4; i++) expect(await areaOnNewConnection(again.url, 'C00000002')).toEqual(expect.any(String));
    const field = `${stored[0] as string}Area`;
    const res = await postGraphQL(again.url, `{ customer(id: "C00000002") { ${field} } }`);
    expect(res.body.data.customer[field]).toEqual(expect.any(String));
    again.child.kill('SIGTERM');
    expect(await again.exited).toBe(0);
  });
});
