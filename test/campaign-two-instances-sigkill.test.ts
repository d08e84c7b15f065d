/**
 * A 10,000-customer campaign with a 10% control group runs to the end on two instances sharing PostgreSQL: one in
 * this process, one a child process killed with SIGKILL mid-way and started again. The channel gateway mock's own
 * record proves it: every eligible target contacted exactly once, nobody twice, the control group never.
 */
import { PATIENT_CHANNEL_TIMEOUT_MS, PATIENT_GRACE_MS, PATIENT_POLICIES } from './support/patient';
import { spawn, type ChildProcess } from 'node:child_process';
import path from 'node:path';
import { sql } from 'drizzle-orm';
import { inControl } from '../gateway/marketing/campaigns/definition';
import { rowsOf, type Store } from '../gateway/store';
import { startMocks, type Mocks } from '../mocks';
import { startChannelsMock, type ChannelsMock } from '../mocks/channels';
import { CUSTOMER_COUNT, crmProducts, crmProfile, warehouseRecord } from '../mocks/dataset/customers';
import { customerId } from '../mocks/dataset/identity';
import { audienceBatch } from '../mocks/warehouse/audience';
import { startMarketing, type MarketingHarness } from './support/marketing';
import { POSTGRES_URL, testStores } from './support/store';
import { waitFor } from './support/wait';

const ROOT = path.join(__dirname, '..');
const FIXTURE = path.join(__dirname, 'fixtures', 'campaign-instance.ts');
const OFFER = 'VAS-CLOUD';
const ID = 'cloud-10k';
const LEASE_MS = 2000;

const stores = testStores();
let mocks: Mocks;
let channels: ChannelsMock;
let store: Store;
let a: MarketingHarness;
const children: ChildProcess[] = [];

function startChild(): Promise<ChildProcess> {
  // `node --import tsx`, not the tsx CLI: the CLI runs the script in a grandchild that a SIGKILL would not reach.
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    cwd: ROOT,
    env: {
      ...process.env,
      NODE_OPTIONS: '',
      STORE_URL: POSTGRES_URL,
      STORE_SCHEMA: store.schema,
      MOCK_URLS: JSON.stringify(mocks.urls),
      CHANNELS_URL: channels.url,
      LEASE_MS: String(LEASE_MS),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  children.push(child);
  let stderr = '';
  child.stderr?.on('data', (c: Buffer) => (stderr += c.toString()));
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      if (/listening \d+/.test(c.toString())) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`child exited (${code}) before listening: ${stderr}`)));
  });
}

beforeAll(async () => {
  audienceBatch(); // the warehouse's extraction columns, built once before the clock of any call runs
  mocks = await startMocks();
  channels = await startChannelsMock();
  store = await stores.open('postgres');
  a = await startMarketing(
    store,
    {
      // Ten thousand targets through mocks in this process: deadlines a loaded machine cannot miss (support/patient.ts).
      policies: PATIENT_POLICIES,
      shutdown: { graceMs: PATIENT_GRACE_MS },
      marketing: { campaigns: { leaseMs: LEASE_MS, idleMs: 20 }, channelTimeoutMs: PATIENT_CHANNEL_TIMEOUT_MS },
    },
    { mocks, channels },
  );
}, 120_000);
afterAll(async () => {
  for (const child of children) child.kill('SIGKILL');
  await a.close();
  await channels.close();
  await mocks.close();
  await stores.cleanup();
});

it('runs to the end on two instances, one killed mid-way: each eligible target once, the control never', async () => {
  const audience: string[] = [];
  for (let n = 1; n <= CUSTOMER_COUNT; n++) {
    const r = warehouseRecord(customerId(n));
    if (r && r.segment === 'YOUTH_DATA' && r.churn_probability < 0.25) audience.push(customerId(n));
  }
  expect(audience.length).toBeGreaterThanOrEqual(10_000);
  const control = audience.filter((id) => inControl(ID, id, 0.1));
  const eligible = audience.filter(
    (id) =>
      !inControl(ID, id, 0.1) &&
      crmProfile(id)?.status === 'ACTIVE' &&
      !crmProducts(id)?.some((p) => p.offerCode === OFFER),
  );

  const put = await a.admin('PUT', `/admin/campaigns/${ID}`, {
    id: ID,
    name: '和彩云 青年推广（万人）',
    audience: {
      where: {
        all: [
          { field: 'segment', operator: 'equal', value: 'YOUTH_DATA' },
          { field: 'churnProbability', operator: 'lessThan', value: 0.25 },
        ],
      },
    },
    offer: { code: OFFER, name: '和彩云存储50GB' },
    messages: { SMS: '尊敬的{{customer.title}}，{{offer.name}}每月10元，回复Y订购。' },
    channels: { plan: 'FALLBACK_ONLY', fallback: 'SMS' },
    schedule: { start: '2026-01-01T00:00:00+08:00', end: '2099-01-01T00:00:00+08:00' },
    throttle: { sendsPerSecond: 1000, viewLoadsPerSecond: 1000 },
    controlShare: 0.1,
  });
  expect(put.status).toBe(200);
  let child = await startChild();
  expect((await a.admin('POST', `/marketing/campaigns/${ID}/launch`)).status).toBe(202);

  // Mid-way: a third of the eligible targets contacted, the child among those contacting.
  await waitFor(() => channels.messages().length >= eligible.length / 3, {
    what: 'a third of the campaign sent',
    timeoutMs: 300_000,
    intervalMs: 50,
  });
  const exited = new Promise((resolve) => child.once('exit', resolve));
  child.kill('SIGKILL');
  await exited;
  child = await startChild();

  await waitFor(async () => (await a.admin('GET', `/marketing/campaigns/${ID}`)).body.state === 'completed', {
    what: 'the campaign completed',
    timeoutMs: 600_000,
    intervalMs: 200,
  });

  const messages = channels.messages().filter((m) => m.offerCode === OFFER);
  const contacted = messages.map((m) => m.customerId);
  expect(new Set(contacted).size).toBe(contacted.length); // nobody twice
  expect(new Set(contacted)).toEqual(new Set(eligible)); // every eligible target, nobody else
  const controlSet = new Set(control);
  expect(contacted.filter((id) => controlSet.has(id))).toEqual([]);

  // Both instances took part: this one records its touchpoints in the harness's recorder, the child through the
  // CRM's contact command.
  expect(a.touchpoints.recorded.filter((t) => t.touchpoint.campaignId === ID).length).toBeGreaterThan(0);
  expect(a.touchpoints.recorded.length).toBeLessThan(messages.length);
  const [claimers] = rowsOf<{ n: unknown }>(
    await store.db.execute(
      sql`SELECT count(*) AS n FROM campaign_targets WHERE campaign_id = ${ID} AND state IN ('pending', 'claimed', 'sending')`,
    ),
  );
  expect(Number(claimers?.n)).toBe(0);
  const report = (await a.admin('GET', `/marketing/campaigns/${ID}/report`)).body;
  expect(report.funnel).toMatchObject({
    selected: audience.length,
    control: control.length,
    sent: messages.length,
    pending: 0,
  });
}, 900_000);
