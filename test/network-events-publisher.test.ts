/**
 * The network-events publisher drives the whole flow locally: its events, signed, are accepted and handled by the
 * gateway's webhook (rows in the events table), or land on a RabbitMQ queue the gateway's intake declares the
 * same way; at about the rate asked. Real HTTP, real RabbitMQ, PGlite.
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

it('publishes signed events to the webhook at about the rate asked, and the gateway handles them', async () => {
  const store = await stores.open('pglite');
  const h = await startMarketing(store);
  try {
    const publisher = await startPublisher(
      { webhookUrl: `${h.url}/events/network`, secret: NETWORK_SECRET },
      { ratePerSecond: 40, customers: 20 },
    );
    await new Promise((resolve) => setTimeout(resolve, 1000));
    await publisher.stop();
    expect(publisher.failed()).toBe(0);
    // 40/s for 1 s, on a busy machine: generous bounds.
    expect(publisher.published()).toBeGreaterThanOrEqual(20);
    expect(publisher.published()).toBeLessThanOrEqual(50);
    const rows = await store.db.select({ id: events.id }).from(events);
    expect(rows).toHaveLength(publisher.published());
  } finally {
    await h.close();
  }
});

it('publishes to a RabbitMQ queue declared as the intake declares it', async () => {
  const queue = `ucv-test-publisher-${randomBytes(5).toString('hex')}`;
  const connection = await amqp.connect(AMQP_URL);
  const channel = await connection.createChannel();
  try {
    const publisher = await startPublisher(
      { amqpUrl: AMQP_URL, queue },
      { ratePerSecond: 50, customers: ['C00000001', 'C00000002'] },
    );
    await new Promise((resolve) => setTimeout(resolve, 500));
    await publisher.stop();
    const { messageCount } = await channel.checkQueue(queue);
    expect(messageCount).toBe(publisher.published());
    expect(messageCount).toBeGreaterThan(5);
    const message = await channel.get(queue, { noAck: true });
    expect(message && parseCustomerEvent(JSON.parse(message.content.toString()))).toMatchObject({ ok: true });
  } finally {
    await channel.deleteQueue(queue).catch(() => undefined);
    await channel.deleteQueue(`${queue}.dlq`).catch(() => undefined);
    await connection.close();
  }
});
