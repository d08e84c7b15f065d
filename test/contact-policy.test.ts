/**
 * Quiet hours and contact windows as data: the definitions kind `contact-policy` (/admin/contact-policies/default),
 * changed at run time, versioned, shared by two instances through real Redis; validated with named paths; the
 * configured marketing.quietHours are in force until a policy is registered and again once it is deleted. Real
 * HTTP, real PostgreSQL, the channel gateway mock.
 */
import { randomUUID } from 'node:crypto';
import { startMocks, type Mocks } from '../mocks';
import { startChannelsMock, type ChannelsMock } from '../mocks/channels';
import { roamingEvent, startMarketing, type MarketingHarness } from './support/marketing';
import { testStores } from './support/store';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
const stores = testStores();
let mocks: Mocks;
let channels: ChannelsMock;
let a: MarketingHarness;
let b: MarketingHarness;

/** Local "HH:MM" in Shanghai, `offsetMinutes` from now (computed here, independently of the gateway's code). */
function shanghai(offsetMinutes: number): string {
  const at = new Date(Date.now() + offsetMinutes * 60_000);
  return new Intl.DateTimeFormat('en-GB', {
    timeZone: 'Asia/Shanghai',
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).format(at);
}

/** Waits for b to run what a stored: its in-force policy's origin. */
async function until(check: () => Promise<boolean>): Promise<void> {
  for (let i = 0; i < 200 && !(await check()); i++) await new Promise((resolve) => setTimeout(resolve, 25));
  expect(await check()).toBe(true);
}
const origin = async (h: MarketingHarness): Promise<string> =>
  (await h.admin('GET', '/admin/contact-policies')).body.inForce?.origin;

beforeAll(async () => {
  [mocks, channels] = await Promise.all([startMocks(), startChannelsMock()]);
  const store = await stores.open('postgres');
  const shared = { cache: { redisUrl: REDIS_URL, keyPrefix: `test-policy-${randomUUID()}:` } };
  // Configured: no quiet hours (the harness's NO_QUIET_HOURS), so an offer goes out at any hour until a policy says.
  a = await startMarketing(store, shared, { mocks, channels });
  b = await startMarketing(store, shared, { mocks, channels });
}, 60_000);

afterAll(async () => {
  await Promise.all([a?.close(), b?.close()]);
  await Promise.all([mocks.close(), channels.close()]);
  await stores.cleanup();
});

it('quiet hours put on one instance hold on the other, then deleted give the configured ones back', async () => {
  expect(await origin(b)).toBe('config');
  const put = await a.admin('PUT', '/admin/contact-policies/default', {
    timeZone: 'Asia/Shanghai',
    quietHours: { start: shanghai(-60), end: shanghai(60) },
  });
  expect(put.status).toBe(200);
  expect(put.body).toMatchObject({ kind: 'contact-policy', name: 'default', version: expect.any(Number) });
  await until(async () => (await origin(b)) === 'registered');
  const quiet = await b.send(roamingEvent('C00000027', 'Macau'));
  expect(quiet.body.offer).toMatchObject({ status: 'QUIET_HOURS' });
  expect(channels.messages()).toHaveLength(0);

  expect((await a.admin('DELETE', '/admin/contact-policies/default')).status).toBe(200);
  await until(async () => (await origin(b)) === 'config');
  const sent = await b.send(roamingEvent('C00000027', 'Macau'));
  expect(sent.body.offer).toMatchObject({ channel: 'EMAIL', status: 'SENT' });
});

it('a channel outside its contact window is not used; a channel without windows is', async () => {
  const put = await a.admin('PUT', '/admin/contact-policies/default', {
    timeZone: 'Asia/Shanghai',
    quietHours: { start: '00:00', end: '00:00' },
    // SMS only two to three hours from now; PUSH all day on every day but today (Shanghai time).
    windows: {
      SMS: [{ start: shanghai(120), end: shanghai(180) }],
      PUSH: [{ days: otherDays(), start: '00:00', end: '00:00' }],
    },
  });
  expect(put.status).toBe(200);
  await until(
    async () => (await b.admin('GET', '/admin/contact-policies')).body.inForce?.policy?.windows !== undefined,
  );
  const sms = await b.send(roamingEvent('C00000011')); // SMS preferred
  expect(sms.body.offer).toMatchObject({ channel: 'SMS', status: 'OUTSIDE_WINDOW' });
  const push = await b.send(roamingEvent('C00000038')); // push (WAP hall) preferred
  expect(push.body.offer).toMatchObject({ channel: 'PUSH', status: 'OUTSIDE_WINDOW' });
  const email = await b.send(roamingEvent('C00000044')); // e-mail: no windows, any hour
  expect(email.body.offer).toMatchObject({ status: 'SENT' });
  const history = await a.admin('GET', '/admin/contact-policies/default/history');
  expect(history.body.items.length).toBeGreaterThanOrEqual(3);
});

/** Every local day in Shanghai but today. */
function otherDays(): string[] {
  const today = new Intl.DateTimeFormat('en-GB', { timeZone: 'Asia/Shanghai', weekday: 'short' })
    .format(new Date())
    .toUpperCase();
  return ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'].filter((d) => d !== today);
}

it('refuses a policy with named paths, and any name but "default"', async () => {
  const bad = await a.admin('PUT', '/admin/contact-policies/default', {
    timeZone: 'Mars/Olympus',
    quietHours: { start: '25:00', end: '08:00' },
    windows: { FAX: [{ start: '09:00', end: '17:00' }], SMS: [{ days: ['MON', 'FUNDAY'], start: '9', end: '17:00' }] },
  });
  expect(bad.status).toBe(422);
  expect(bad.body.errors[0].extensions.code).toBe('DEFINITION_REFUSED');
  const paths = (bad.body.errors[0].extensions.problems as Array<{ path: string }>).map((p) => p.path).sort();
  expect(paths).toEqual(
    expect.arrayContaining([
      'timeZone',
      'quietHours.start',
      'windows.FAX',
      'windows.SMS.0.days.1',
      'windows.SMS.0.start',
    ]),
  );
  const other = await a.admin('PUT', '/admin/contact-policies/weekend', {
    timeZone: 'Asia/Shanghai',
    quietHours: { start: '21:00', end: '08:00' },
  });
  expect(other.status).toBe(422);
  expect(other.body.errors[0].extensions.problems[0]).toMatchObject({ path: 'name', expected: 'default' });
});
