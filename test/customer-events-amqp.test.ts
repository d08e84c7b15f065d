/**
 * Customer events from RabbitMQ: an event on the queue triggers the rule's offer on the right channel and is acked
 * only once handled and stored; a poison message goes to the dead-letter queue; a redelivered event (the same id
 * twice on the queue) sends one offer. Real RabbitMQ (127.0.0.1:5672, or AMQP_TEST_URL) with queue names of this run
 * only; an unreachable broker fails the test, never skips it. On PGlite and PostgreSQL.
 */
import { randomBytes } from 'node:crypto';
import amqp, { type Channel, type ChannelModel } from 'amqplib';
import { assertEventQueues, deadLetterQueue } from '../gateway/marketing/events/amqp-intake';
import type { Store } from '../gateway/store';
import { startMocks, type Mocks } from '../mocks';
import { startChannelsMock, type ChannelsMock } from '../mocks/channels';
import { roamingEvent, startMarketing, type MarketingHarness } from './support/marketing';
import { ENGINES, testStores } from './support/store';

const AMQP_URL = process.env.AMQP_TEST_URL ?? 'amqp://guest:guest@127.0.0.1:5672';
const stores = testStores();
let mocks: Mocks;
let channels: ChannelsMock;
let connection: ChannelModel;
let channel: Channel;
const queues: string[] = [];

beforeAll(async () => {
  [mocks, channels] = await Promise.all([startMocks(), startChannelsMock()]);
  connection = await amqp.connect(AMQP_URL);
  channel = await connection.createChannel();
});
afterAll(async () => {
  for (const q of queues) {
    await channel.deleteQueue(q).catch(() => undefined);
    await channel.deleteQueue(deadLetterQueue(q)).catch(() => undefined);
  }
  await connection.close();
  await Promise.all([mocks.close(), channels.close()]);
  await stores.cleanup();
});

/** Polls until `check` holds or `ms` pass (the broker delivers asynchronously). */
async function until(check: () => boolean | Promise<boolean>, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}

describe.each(ENGINES)('on %s', (engine) => {
  /** Messages the intake acknowledged so far (its /metrics). */
  const acked = async (): Promise<number> =>
    Number(
      /^ucv_amqp_messages_total\{result="ack"\} (\d+)/m.exec(await (await fetch(`${h.url}/metrics`)).text())?.[1] ?? 0,
    );
  let store: Store;
  let h: MarketingHarness;
  const queue = `ucv-test-events-${randomBytes(5).toString('hex')}`;
  queues.push(queue);
  const publish = (body: unknown): void => {
    channel.sendToQueue(queue, Buffer.from(typeof body === 'string' ? body : JSON.stringify(body)), {
      persistent: true,
      contentType: 'application/json',
    });
  };

  beforeAll(async () => {
    store = await stores.open(engine);
    h = await startMarketing(
      store,
      { marketing: { amqp: { url: AMQP_URL, queue, prefetch: 4, retryDelayMs: 50, reconnectMinMs: 50 } } },
      { mocks, channels },
    );
    await h.gateway.marketing?.amqp?.ready;
    await assertEventQueues(channel, queue);
  }, 60_000);
  let closed = false;
  afterAll(() => (closed ? undefined : h.close()));
  beforeEach(() => channels.clear());

  it('sends the offer of an event from the queue to the preferred channel, and acks it once stored', async () => {
    const event = roamingEvent('C00000044'); // traveller; web hall STRONGEST → EMAIL
    publish(event);
    await until(() => channels.messages().length === 1);
    expect(channels.messages()[0]).toMatchObject({ channel: 'EMAIL', customerId: 'C00000044', offerCode: 'DATA-HKMO' });
    await until(() => h.touchpoints.recorded.some((t) => t.key === `rule:${event.id}:hk-roaming-data`));
  });

  it('dead-letters a poison message (not JSON, or not the event schema) and goes on with the next', async () => {
    const dlq = deadLetterQueue(queue);
    publish('{not json');
    publish({ version: 1, id: 'poison-1', type: 'ROAMING_ENTERED', customerId: 'C00000074', at: 'now', data: {} });
    publish(roamingEvent('C00000074')); // traveller, no roaming pack yet; SMS preferred
    await until(async () => (await channel.checkQueue(dlq)).messageCount === 2);
    const dead = [await channel.get(dlq, { noAck: true }), await channel.get(dlq, { noAck: true })].map((m) =>
      m ? m.content.toString() : null,
    );
    expect(dead[0]).toBe('{not json');
    expect(JSON.parse(dead[1] ?? '{}')).toMatchObject({ id: 'poison-1' });
    await until(() => channels.messages().length === 1);
    expect(channels.messages()[0]).toMatchObject({ channel: 'SMS', customerId: 'C00000074' });
  });

  it('handles a redelivered event once: the same id twice on the queue sends one offer', async () => {
    const event = roamingEvent('C00000048'); // traveller; WAP hall STRONG → PUSH
    const ackedBefore = await acked();
    publish(event);
    publish(event);
    await until(
      async () =>
        (await channel.checkQueue(queue)).messageCount === 0 &&
        (await store.db.query.events.findFirst({ where: (e, { eq }) => eq(e.id, event.id) }))?.handledAt != null,
    );
    // Both deliveries handled and acknowledged, then count: no second message may come after.
    await until(async () => (await acked()) >= ackedBefore + 2);
    expect(channels.messages().filter((m) => m.customerId === 'C00000048')).toHaveLength(1);
    expect(channels.messages()[0]?.channel).toBe('PUSH');
  });

  it('requeues an event whose channel call failed once, and sends it when it is redelivered', async () => {
    channels.faults.set({ failNext: 1, errorStatus: 503 });
    publish(roamingEvent('C00000065')); // traveller, no roaming pack yet; web hall preferred → EMAIL
    await until(() => channels.messages().length === 1);
    expect(channels.messages()[0]).toMatchObject({ channel: 'EMAIL', customerId: 'C00000065' });
    expect((await channel.checkQueue(deadLetterQueue(queue))).messageCount).toBe(0);
  });

  it('leaves no message unacknowledged: once it stops, the queue is empty (an unacked one would be back)', async () => {
    await until(async () => (await channel.checkQueue(queue)).messageCount === 0);
    // Every message published here (7) settled by the intake: acked, or rejected to the DLQ.
    const settled = async (): Promise<number> =>
      (await (await fetch(`${h.url}/metrics`)).text())
        .split('\n')
        .filter((l) => /^ucv_amqp_messages_total\{result="(ack|dead_letter)"\}/.test(l))
        .reduce((sum, l) => sum + Number(l.split(' ')[1]), 0);
    await until(async () => (await settled()) === 7);
    await h.close();
    closed = true;
    // Closing the connection returns unacknowledged messages to the queue: none may come back.
    await new Promise((resolve) => setTimeout(resolve, 200));
    expect((await channel.checkQueue(queue)).messageCount).toBe(0);
  });
});
