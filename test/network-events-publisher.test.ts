/**
 * The network-events publisher drives the whole flow locally: its events, signed, are accepted and handled by the
 * gateway's webhook (rows in the events table), or land on a RabbitMQ queue the gateway's intake declares the
 * same way; at the rate asked (its ticks driven by the test). Real HTTP, real RabbitMQ, PGlite.
 */
import { randomBytes } from 'node:crypto';
import amqp from 'amqplib';
import { parseCustomerEvent } from '../gateway/marketing/events/customer-event';
import { events } from '../gateway/store/schema';
import { randomEvent, startPublisher } from '../mocks/network-events/publisher';
import { NETWORK_SECRET, startMarketing } from './support/marketing';
import { testStores } from './support/store';

const AMQP_URL = process.env.AMQP_TEST_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const stores = testStores();
afterAll(() => stores.cleanup());

it("publishes events of the gateway's schema", () => {
  for (let i = 0; i < 200; i++) expect(parseCustomerEvent(randomEvent('C00000001'))).toMatchObject({ ok: true });
});

/**
 * The publisher's ticks, driven by hand: `second()` runs the ten 100 ms ticks of one second at once, so the count
 * checked is the rate's arithmetic, whatever the machine's load does to real timers.
 */
function handTicks() {
  let tick: (() => void) | undefined;
  let stopped = false;
  return {
    every: (ms: number, fn: () => void) => {
      expect(ms).toBe(100);
      tick = fn;
      return () => void (stopped = true);
    },
    second: () => {
      for (let i = 0; i < 10; i++) tick?.();
    },
    stopped: () => stopped,
  };
}

it('publishes signed events to the webhook at the rate asked, and the gateway handles them', async () => {
  const store = await stores.open('pglite');
  const h = await startMarketing(store);
  try {
    const ticks = handTicks();
    const publisher = await startPublisher(
      { webhookUrl: `${h.url}/events/network`, secret: NETWORK_SECRET },
      { ratePerSecond: 40, customers: 20, every: ticks.every },
    );
    ticks.second();
    await publisher.stop(); // waits for the answers of the requests in flight
    expect(ticks.stopped()).toBe(true);
    expect(publisher.failed()).toBe(0);
    expect(publisher.published()).toBe(40); // 40/s for one second
    const rows = await store.db.select({ id: events.id }).from(events);
    expect(rows).toHaveLength(40);
  } finally {
    await h.close();
  }
});

it('publishes to a RabbitMQ queue declared as the intake declares it', async () => {
  const queue = `ucv-test-publisher-${randomBytes(5).toString('hex')}`;
  const connection = await amqp.connect(AMQP_URL);
  const channel = await connection.createChannel();
  try {
    const ticks = handTicks();
    const publisher = await startPublisher(
      { amqpUrl: AMQP_URL, queue },
      { ratePerSecond: 7.5, customers: ['C00000001', 'C00000002'], every: ticks.every },
    );
    ticks.second();
    ticks.second(); // 7.5/s: the fraction a tick owes is carried, 15 in two seconds
    await publisher.stop(); // the broker has every message published, even those of the last tick
    expect(publisher.published()).toBe(15);
    const { messageCount } = await channel.checkQueue(queue);
    expect(messageCount).toBe(15);
    const message = await channel.get(queue, { noAck: true });
    expect(message && parseCustomerEvent(JSON.parse(message.content.toString()))).toMatchObject({ ok: true });
  } finally {
    await channel.deleteQueue(queue).catch(() => undefined);
    await channel.deleteQueue(`${queue}.dlq`).catch(() => undefined);
    await connection.close();
  }
});
