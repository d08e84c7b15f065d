/**
 * The RabbitMQ intake survives a lost connection: when every connection to the broker is cut, it reconnects (with
 * backoff) and goes on consuming; an event published while it was away is handled once it is back. The cut is made
 * by a TCP relay in front of the real broker (the shared RabbitMQ itself is never stopped).
 */
import { randomBytes } from 'node:crypto';
import net from 'node:net';
import type { AddressInfo } from 'node:net';
import amqp from 'amqplib';
import { deadLetterQueue } from '../gateway/marketing/events/amqp-intake';
import { roamingEvent, startMarketing } from './support/marketing';
import { testStores } from './support/store';
import { waitFor } from './support/wait';

const BROKER = new URL(process.env.AMQP_TEST_URL ?? 'amqp://guest:guest@127.0.0.1:5672');
const stores = testStores();
afterAll(() => stores.cleanup());

/** A TCP relay to the broker whose connections can all be cut at once. */
async function relay(): Promise<{ port: number; cut(): void; close(): Promise<void> }> {
  const sockets = new Set<net.Socket>();
  const server = net.createServer((client) => {
    const upstream = net.connect(Number(BROKER.port || 5672), BROKER.hostname);
    for (const s of [client, upstream]) {
      sockets.add(s);
      s.on('close', () => sockets.delete(s));
      s.on('error', () => undefined);
    }
    client.pipe(upstream).pipe(client);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    port: (server.address() as AddressInfo).port,
    cut: () => sockets.forEach((s) => s.destroy()),
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}

it('reconnects after the connection is cut and handles the events published meanwhile', async () => {
  const proxy = await relay();
  const queue = `ucv-test-reconnect-${randomBytes(5).toString('hex')}`;
  const direct = await amqp.connect(BROKER.href);
  const channel = await direct.createChannel();
  const store = await stores.open('pglite');
  const url = `amqp://${BROKER.username}:${BROKER.password}@127.0.0.1:${proxy.port}`;
  const h = await startMarketing(store, {
    marketing: { amqp: { url, queue, reconnectMinMs: 50, reconnectMaxMs: 200 } },
  });
  try {
    await h.gateway.marketing?.amqp?.ready;
    expect(h.gateway.marketing?.amqp?.connected()).toBe(true);
    proxy.cut();
    await until(() => h.gateway.marketing?.amqp?.connected() === false);
    channel.sendToQueue(queue, Buffer.from(JSON.stringify(roamingEvent('C00000059'))), { persistent: true }); // traveller → EMAIL
    await until(() => h.channels.messages().length === 1);
    expect(h.gateway.marketing?.amqp?.connected()).toBe(true);
    expect(h.channels.messages()[0]).toMatchObject({ channel: 'EMAIL', customerId: 'C00000059' });
  } finally {
    await h.close();
    await proxy.close();
    await channel.deleteQueue(queue).catch(() => undefined);
    await channel.deleteQueue(deadLetterQueue(queue)).catch(() => undefined);
    await direct.close();
  }
}, 60_000);

it('handles once an event redelivered because its ack was lost with the connection', async () => {
  const proxy = await relay();
  const queue = `ucv-test-redeliver-${randomBytes(5).toString('hex')}`;
  const direct = await amqp.connect(BROKER.href);
  const channel = await direct.createChannel();
  const store = await stores.open('pglite');
  const url = `amqp://${BROKER.username}:${BROKER.password}@127.0.0.1:${proxy.port}`;
  const h = await startMarketing(store, {
    marketing: { amqp: { url, queue, reconnectMinMs: 50, reconnectMaxMs: 200 } },
  });
  try {
    await h.gateway.marketing?.amqp?.ready;
    // The channel gateway is slow: the event is mid-handling when the connection goes, so its ack cannot be sent
    // and the broker redelivers it to the reconnected consumer.
    h.channels.faults.set({ latencyMs: 600 });
    const event = roamingEvent('C00000065'); // traveller → EMAIL
    channel.sendToQueue(queue, Buffer.from(JSON.stringify(event)), { persistent: true });
    await until(() => h.channels.faults.requests().total === 1);
    proxy.cut();
    await until(() => h.touchpoints.recorded.length === 1);
    h.channels.faults.reset();
    // Redelivered and handled again as a duplicate: acked, the queue empties, one message only.
    await until(() => h.gateway.marketing?.amqp?.connected() === true);
    // It was redelivered indeed, and recognised: by its id (handled before) or by its offer's claim (the first
    // handling still under way when the second delivery arrived). Waited for, then checked.
    const recognised =
      /ucv_customer_events_total\{via="amqp",result="duplicate"\} 1|ucv_rule_offers_total\{channel="EMAIL",status="ALREADY_SENT"\} 1/;
    await waitFor(async () => recognised.test(await (await fetch(`${h.url}/metrics`)).text()), {
      what: 'the redelivery recognised',
    });
    await waitFor(async () => (await channel.checkQueue(queue)).messageCount === 0, { what: 'the queue empty' });
    // The channel gateway answers after its 600 ms: its message may land after the touchpoint.
    await waitFor(() => h.channels.messages().some((m) => m.customerId === 'C00000065'), { what: 'the message' });
    expect(h.channels.messages().filter((m) => m.customerId === 'C00000065')).toHaveLength(1);
    expect(h.touchpoints.recorded).toHaveLength(1);
  } finally {
    await h.close();
    await proxy.close();
    await channel.deleteQueue(queue).catch(() => undefined);
    await channel.deleteQueue(deadLetterQueue(queue)).catch(() => undefined);
    await direct.close();
  }
}, 60_000);

async function until(check: () => boolean, ms = 10_000): Promise<void> {
  const deadline = Date.now() + ms;
  while (!check()) {
    if (Date.now() > deadline) throw new Error('condition not met in time');
    await new Promise((resolve) => setTimeout(resolve, 25));
  }
}
