/**
 * A campaign sent at the best time (`schedule.sendAt: "bestTime"`): a target with best contact hours (the hours it
 * answered contacts in, Customer.bestContactTime) is sent to within them only, even inside the campaign's sending
 * window and even outside it; a target with none within the window, as any campaign. The option is refused with its
 * path when it is not one of the two. Real mocks and store; the campaigns' clock is injected.
 */
import { sql } from 'drizzle-orm';
import { CUSTOMER_COUNT, crmProducts, crmProfile, warehouseRecord } from '../mocks/dataset/customers';
import { customerId } from '../mocks/dataset/identity';
import { startMocks, type Mocks } from '../mocks';
import { audienceBatch } from '../mocks/warehouse/audience';
import { startChannelsMock, type ChannelsMock } from '../mocks/channels';
import { rowsOf, type Store } from '../gateway/store';
import { channelReplies } from '../gateway/store/schema';
import { ROLE_SECURITY } from './support/harness';
import { startMarketing, type MarketingHarness } from './support/marketing';
import { testStores } from './support/store';
import { waitFor } from './support/wait';
import { SETUP_TIMEOUT_MS } from './support/patient';

const stores = testStores();
let mocks: Mocks;
let channels: ChannelsMock;
let store: Store;
let h: MarketingHarness;
const clock = { t: Date.parse('2026-12-07T10:00:00+08:00') };
const now = () => new Date(clock.t);

const OFFER = 'VAS-CLOUD';
const WHERE = {
  all: [
    { field: 'segment', operator: 'equal', value: 'YOUTH_DATA' },
    { field: 'churnProbability', operator: 'lessThan', value: 0.002 },
  ],
};
const audience: string[] = [];
for (let n = 1; n <= CUSTOMER_COUNT; n++) {
  const r = warehouseRecord(customerId(n));
  if (r && r.segment === 'YOUTH_DATA' && r.churn_probability < 0.002) audience.push(customerId(n));
}
/** Targets the offer may be made to (a care offer: to anyone not holding it). */
const eligible = audience.filter((id) => crmProfile(id) && !crmProducts(id)?.some((p) => p.offerCode === OFFER));
/** Five of them answered contacts at 19:xx Beijing time only: their best hour is 19:00–20:00. */
const EVENING = eligible.slice(0, 5);

const campaign = (schedule: Record<string, unknown> = {}) => ({
  id: 'cloud-evening',
  name: '和彩云 最佳时段推广',
  audience: { where: WHERE },
  offer: { code: OFFER, name: '和彩云存储50GB', kind: 'care', confirmBy: 'NONE' },
  messages: { SMS: '尊敬的{{customer.title}}，{{offer.name}}每月10元。' },
  channels: { plan: 'FALLBACK_ONLY', fallback: 'SMS' },
  schedule: {
    start: '2026-12-07T12:00:00+08:00',
    end: '2026-12-08T12:00:00+08:00',
    windows: [{ start: '12:00', end: '13:00' }],
    sendAt: 'bestTime',
    ...schedule,
  },
  throttle: { sendsPerSecond: 1000, viewLoadsPerSecond: 1000 },
  controlShare: 0,
  responseWindowHours: 1,
});

/** An instant `daysAgo` days back (by the real clock: the best time counts the last 90 days) at a Beijing time. */
const beijingAt = (daysAgo: number, hour: number, minute: number): Date => {
  const day = new Date(Date.now() - daysAgo * 86_400_000);
  return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), hour - 8, minute));
};

const targets = async () =>
  rowsOf<{ customer_id: string; state: string; processed_at: string | Date | null }>(
    await store.db.execute(
      sql`SELECT customer_id, state, processed_at FROM campaign_targets WHERE campaign_id = 'cloud-evening'`,
    ),
  );
const sentTo = () =>
  channels
    .messages()
    .filter((m) => m.idempotencyKey.startsWith('campaign:cloud-evening:'))
    .map((m) => m.customerId);

beforeAll(async () => {
  audienceBatch();
  [mocks, channels] = await Promise.all([startMocks(), startChannelsMock()]);
  store = await stores.open('pglite');
  h = await startMarketing(
    store,
    {
      security: ROLE_SECURITY,
      marketing: {
        // A waiting target is looked at again soon: the test moves the campaigns' clock, not the real one.
        campaigns: { idleMs: 20, bestTimeRecheckMs: 100 },
        caps: { perCustomerPerDay: 5, perCustomerPerWeek: 10, perChannelPerDay: 5 },
      },
    },
    { mocks, channels, now },
  );
  channels.setReplies({ share: 0 });
  // The evening customers' answers: replies to earlier offers at 19:xx, on three days.
  await store.db.insert(channelReplies).values(
    EVENING.flatMap((id, i) =>
      [2, 3, 4].map((daysAgo) => ({
        replyId: `reply-${id}-${daysAgo}`,
        messageId: `sms-earlier-${i}-${daysAgo}`,
        customerId: id,
        channel: 'SMS',
        text: 'Y',
        repliedAt: beijingAt(daysAgo, 19, 10 + i),
      })),
    ),
  );
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await h?.close();
  await channels?.close();
  await mocks?.close();
  await stores.cleanup();
});

it('a sendAt that is neither "windows" nor "bestTime" is refused, with its path', async () => {
  const res = await h.admin('PUT', '/admin/campaigns/cloud-evening', campaign({ sendAt: 'whenever' }));
  expect(res.status).toBe(422);
  expect(res.body.errors[0].extensions.problems).toContainEqual(
    expect.objectContaining({ path: 'schedule.sendAt', given: 'whenever' }),
  );
});

it('targets with a best hour wait for it, inside the window or outside it; the others go within the window', async () => {
  expect(EVENING).toHaveLength(5);
  expect(eligible.length).toBeGreaterThan(EVENING.length + 5);
  expect((await h.admin('PUT', '/admin/campaigns/cloud-evening', campaign())).status).toBe(200);
  expect((await h.admin('POST', '/marketing/campaigns/cloud-evening/launch')).status).toBe(202);
  await waitFor(async () => (await h.admin('GET', '/marketing/campaigns/cloud-evening')).body.state === 'running', {
    what: 'the audience selected',
  });

  // 12:30, inside the sending window: everyone but the evening customers is processed; they are left waiting.
  clock.t = Date.parse('2026-12-07T12:30:00+08:00');
  await waitFor(
    async () => (await targets()).filter((t) => ['pending', 'claimed', 'sending'].includes(t.state)).length <= 5,
    {
      what: 'every target without a best hour processed',
      timeoutMs: 60_000,
      // As long as targets go on being processed (minutes on a loaded machine).
      progress: async () => (await targets()).filter((t) => t.state !== 'pending').length,
    },
  );
  const noon = await targets();
  // Waiting: pending, or claimed at this moment by a round that looks at it again (and gives it back).
  for (const id of EVENING) expect(['pending', 'claimed']).toContain(noon.find((t) => t.customer_id === id)?.state);
  expect(sentTo().filter((id) => EVENING.includes(id))).toEqual([]);
  const others = eligible.filter((id) => !EVENING.includes(id));
  expect(new Set(sentTo())).toEqual(new Set(others));

  // 19:05, outside the window, inside their best hour: now they are sent to, once each.
  clock.t = Date.parse('2026-12-07T19:05:00+08:00');
  await waitFor(
    async () =>
      EVENING.every((id) => sentTo().includes(id)) &&
      (await targets()).filter((t) => EVENING.includes(t.customer_id) && t.state === 'sent').length === EVENING.length,
    { what: 'the evening customers sent to in their best hour', timeoutMs: 60_000 },
  );
  const evening = (await targets()).filter((t) => EVENING.includes(t.customer_id));
  for (const t of evening) {
    expect(new Date(t.processed_at!).toISOString()).toBe(new Date(clock.t).toISOString());
  }
  expect(sentTo()).toHaveLength(eligible.length);
}, 600_000);
