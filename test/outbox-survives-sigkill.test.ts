/**
 * The outbox is durable and exactly-once as the CRM sees it: a real gateway child process accepts contacts while the
 * CRM is down, is killed with SIGKILL, and a new one started on the same store delivers every one of them once the
 * CRM is back; killed again in the middle of deliveries (CRM slow, leases held by the dead process), the next one
 * delivers the rest after the leases expire, with the same idempotency keys: none lost, none doubled, in order per
 * customer. On PGlite and on PostgreSQL.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { startMocks, type Mocks } from '../mocks';
import { ENGINES, POSTGRES_URL, testStores, uniqueSchema, seedPglite } from './support/store';

const stores = testStores();
let mocks: Mocks;
beforeAll(async () => {
  mocks = await startMocks();
});
afterAll(async () => {
  await mocks.close();
  await stores.cleanup();
});

const ROOT = path.join(__dirname, '..');
const FIXTURE = path.join(__dirname, 'fixtures', 'contacts-server.ts');

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

const kill = async (child: ChildProcess): Promise<void> => {
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
};

const RECORD =
  'mutation($input: ContactInput!, $key: String) { recordContact(input: $input, idempotencyKey: $key) { status } }';
const record = async (port: number, customerId: string, type: string, key: string): Promise<string> => {
  const res = await fetch(`http://127.0.0.1:${port}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'x-api-key': 'desk-key-0123456789abcdef' },
    body: JSON.stringify({
      query: RECORD,
      variables: { input: { customerId, channel: 'CALL_CENTER', type, outcome: 'RESOLVED' }, key },
    }),
  });
  const body = (await res.json()) as { data?: { recordContact?: { status: string } } };
  return body.data?.recordContact?.status ?? `HTTP ${res.status}`;
};
const recordedTypes = async (id: string): Promise<string[]> => {
  const body = (await (await fetch(`${mocks.urls.crm}/api/v1/customers/${id}/contacts`)).json()) as {
    items: Array<{ contactId: string; contactType: string }>;
  };
  // Newest first in the CRM: reversed, the order of arrival.
  return body.items
    .filter((c) => c.contactId.includes('-r'))
    .map((c) => c.contactType)
    .reverse();
};

describe.each(ENGINES)('on %s', (engine) => {
  it('delivers every accepted contact once after SIGKILLs, in order per customer', async () => {
    mocks.resetAll();
    const schema = uniqueSchema();
    if (engine === 'postgres') stores.track(schema);
    else await seedPglite(path.join(stores.dataDir, schema));
    const env = {
      STORE_URL: engine === 'postgres' ? POSTGRES_URL : '',
      STORE_DIR: path.join(stores.dataDir, schema),
      STORE_SCHEMA: schema,
      CRM_URL: mocks.urls.crm,
      LEASE_MS: '1500',
    };
    const base = engine === 'pglite' ? 400 : 500;
    const customers = Array.from({ length: 5 }, (_, i) => `C00000${base + i}`);
    const types = ['BILL_ENQUIRY', 'TOP_UP', 'COMPLAINT', 'PACKAGE_CHANGE'];

    // 1. The CRM is down: every contact is accepted into the outbox; then the gateway is killed.
    mocks.crm.faults.set({ down: '503' });
    const first = await startChild(env);
    const statuses: string[] = [];
    for (const type of types)
      for (const id of customers) statuses.push(await record(first.port, id, type, `${id}-${type}`));
    expect(statuses.every((s) => s === 'ACCEPTED')).toBe(true);
    await kill(first.child);

    // 2. The CRM is back but slow; a new gateway starts delivering and is killed mid-delivery, leases held.
    mocks.crm.faults.set({ down: false, latencyMs: 150 });
    const second = await startChild(env);
    const posts = () => mocks.crm.faults.requests().byRoute['POST /api/v1/customers/:id/contacts'] ?? 0;
    const start = posts();
    const deadline = Date.now() + 20_000;
    while (posts() - start < 3 && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    await kill(second.child);
    const delivered = (await Promise.all(customers.map(recordedTypes))).flat().length;
    expect(delivered).toBeLessThan(customers.length * types.length);

    // 3. A third gateway delivers the rest, after the dead one's leases expire: all of them, once each, in order.
    mocks.crm.faults.set({ latencyMs: 0 });
    const third = await startChild(env);
    try {
      const end = Date.now() + 30_000;
      while (Date.now() < end) {
        const all = await Promise.all(customers.map(recordedTypes));
        if (all.every((list) => list.length >= types.length)) break;
        await new Promise((r) => setTimeout(r, 100));
      }
      await new Promise((r) => setTimeout(r, 300)); // anything doubled would arrive now
      for (const id of customers) expect(await recordedTypes(id)).toEqual(types);
    } finally {
      await kill(third.child);
    }
  }, 120_000);
});
