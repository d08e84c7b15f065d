/**
 * The best time to contact a customer (Customer.bestContactTime): the local hours (Asia/Shanghai) in which the
 * customer answered contacts, from the touchpoints the gateway keeps and the replies to offers, never an hour that
 * touches the quiet hours; a contact recorded now counts at the next view. Real HTTP, the CRM mock, PostgreSQL.
 */
import pino from 'pino';
import { startMocks, type Mocks } from '../mocks';
import { createGateway, type Gateway } from '../gateway/app/server';
import { channelReplies } from '../gateway/store/schema';
import type { Store } from '../gateway/store';
import { asRole, postGraphQL, roleConsumer, testConfig } from './support/harness';
import { testStores } from './support/store';

const stores = testStores();
let mocks: Mocks;
let store: Store;
let gateway: Gateway;
let url: string;
const CUSTOMER = 'C00000777';
const DESK = asRole('front-desk');

const RECORD = `mutation($input: ContactInput!) { recordContact(input: $input) { status } }`;
const BEST = `query($id: ID!, $days: Int) { customer(id: $id) { bestContactTime(days: $days) {
  timeZone quietHours contactsCounted bestHours summary { zh en } hours { hour attempted answered quiet }
} } }`;

/** An instant `daysAgo` days back (UTC date) at a local Shanghai time (UTC+8, no daylight saving). */
const shanghai = (daysAgo: number, hour: number, minute: number): string => {
  const day = new Date(Date.now() - daysAgo * 86_400_000);
  return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), hour - 8, minute)).toISOString();
};

const record = async (at: string, outcome: string): Promise<void> => {
  const { body } = await postGraphQL(
    url,
    RECORD,
    { input: { customerId: CUSTOMER, channel: 'CALL_CENTER', at, type: 'CAMPAIGN_OFFER', outcome } },
    DESK,
  );
  expect(body.data?.recordContact?.status).toBe('RECORDED');
};

beforeAll(async () => {
  mocks = await startMocks();
  store = await stores.open('postgres');
  const config = testConfig(mocks, { security: { consumers: ['front-desk', 'self-service'].map(roleConsumer) } });
  gateway = createGateway(config, { logger: pino({ level: 'silent' }), store });
  url = await gateway.listen();
}, 60_000);
afterAll(async () => {
  await gateway?.close();
  await mocks?.close();
  await stores.cleanup();
});

it('names the hours the customer answered in, outside the quiet hours, best first', async () => {
  await record(shanghai(3, 10, 15), 'ACCEPTED');
  await record(shanghai(3, 10, 40), 'DECLINED');
  await record(shanghai(5, 10, 50), 'RESOLVED');
  await record(shanghai(3, 19, 5), 'ACCEPTED');
  await record(shanghai(4, 19, 30), 'RESOLVED');
  await record(shanghai(3, 22, 30), 'ACCEPTED'); // answered, but in the quiet hours (21:00–08:00)
  await record(shanghai(3, 14, 0), 'NO_RESPONSE');
  await record(shanghai(4, 14, 10), 'NO_RESPONSE');
  await record(shanghai(200, 9, 0), 'ACCEPTED'); // older than the 90 days asked
  // A reply to an SMS offer: answered when the customer replied.
  await store.db.insert(channelReplies).values({
    replyId: `reply-${CUSTOMER}-1`,
    messageId: 'sms-test-1',
    customerId: CUSTOMER,
    channel: 'SMS',
    text: 'Y',
    repliedAt: new Date(shanghai(2, 20, 10)),
  });

  const { body } = await postGraphQL(url, BEST, { id: CUSTOMER }, DESK);
  expect(body.errors).toBeUndefined();
  const best = body.data.customer.bestContactTime;
  expect(best).toMatchObject({
    timeZone: 'Asia/Shanghai',
    quietHours: '21:00–08:00',
    contactsCounted: 9,
    bestHours: [10, 19, 20],
    summary: {
      zh: '最佳联系时段：10:00–11:00、19:00–20:00、20:00–21:00（已避开免打扰时段21:00–08:00）',
    },
  });
  expect(best.hours).toEqual([
    { hour: 10, attempted: 3, answered: 3, quiet: false },
    { hour: 14, attempted: 2, answered: 0, quiet: false },
    { hour: 19, attempted: 2, answered: 2, quiet: false },
    { hour: 20, attempted: 1, answered: 1, quiet: false },
    { hour: 22, attempted: 1, answered: 1, quiet: true },
  ]);

  // A contact recorded now counts at the next view (no kept answer).
  await record(shanghai(1, 19, 45), 'ACCEPTED');
  await record(shanghai(1, 19, 50), 'ACCEPTED');
  const after = (await postGraphQL(url, BEST, { id: CUSTOMER }, DESK)).body.data.customer.bestContactTime;
  expect(after.bestHours).toEqual([19, 10, 20]);
  // A longer look back finds the old one too.
  const year = (await postGraphQL(url, BEST, { id: CUSTOMER, days: 365 }, DESK)).body.data.customer.bestContactTime;
  expect(year.contactsCounted).toBe(12);
});

it('a customer with no contact has no best hour; days out of range is BAD_USER_INPUT; self-service may not read it', async () => {
  const none = (await postGraphQL(url, BEST, { id: 'C00000778' }, DESK)).body.data.customer.bestContactTime;
  expect(none).toMatchObject({ bestHours: [], contactsCounted: 0, summary: { zh: '暂无客户应答记录' } });
  const bad = await postGraphQL(url, BEST, { id: CUSTOMER, days: 0 }, DESK);
  expect(bad.body.errors[0].extensions).toMatchObject({ code: 'BAD_USER_INPUT', argument: 'days' });
  const self = await postGraphQL(url, BEST, { id: CUSTOMER }, asRole('self-service'));
  expect(self.body.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', field: 'Customer.bestContactTime' });
});
