/**
 * The network-events platform's publisher: customer events (roamed into a region, handset switched on after
 * missed calls, directory enquiries, calls made, cell location updates, balance low, product ordered) in the gateway's customer event schema v1,
 * published at a steady rate to the gateway's signed webhook or to a RabbitMQ queue, so the whole event-triggered
 * marketing flow runs locally (`npm start` wires it).
 *
 *   const publisher = await startPublisher({ webhookUrl: 'http://127.0.0.1:4000/events/network', secret }, { ratePerSecond: 5, customers: 1000 });
 *   const publisher = await startPublisher({ amqpUrl: 'amqp://guest:guest@127.0.0.1:5672', queue: 'ucv.customer-events' }, { ratePerSecond: 5, customers: 1000 });
 *   …; await publisher.stop();
 *
 * Webhook: signed like every event sender (`x-ucv-signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`,
 * docs/events.md); at most `maxInFlight` requests at once (a slow gateway makes it skip, not pile up). RabbitMQ: the
 * queue and its dead-letter queue are declared with the arguments the gateway's intake uses (either may start first),
 * messages persistent. Deterministic ids are not needed: each event id is unique (`net-<time>-<n>`).
 */
import { createHmac } from 'node:crypto';
import amqp, { type Channel, type ChannelModel } from 'amqplib';

export type PublisherTarget = { webhookUrl: string; secret: string } | { amqpUrl: string; queue: string };

export interface PublisherOptions {
  /** Events per second, overall. */
  ratePerSecond: number;
  /** Customers the events are about: a count (C00000001 … C<count>) or the ids. */
  customers: number | readonly string[];
  /** Webhook only: most requests in flight. Default 50. */
  maxInFlight?: number;
  /**
   * Runs `tick` every `ms` and returns what stops it. Default: an unref'd setInterval. A test passes its own to tick
   * by hand, so the rate it checks is the publisher's arithmetic, not how punctual a loaded machine's timers are.
   */
  every?: (ms: number, tick: () => void) => () => void;
}

const everyInterval = (ms: number, tick: () => void): (() => void) => {
  const timer = setInterval(tick, ms);
  timer.unref();
  return () => clearInterval(timer);
};

export interface Publisher {
  /** Events published (webhook: answered 2xx; RabbitMQ: written to the channel). */
  published(): number;
  /** Events that could not be published (webhook: an error or non-2xx answer; skipped ticks not counted). */
  failed(): number;
  stop(): Promise<void>;
}

const REGIONS = ['Hong Kong', 'Macau', 'Guangdong', 'Beijing', 'Shanghai', 'Japan', 'Thailand'];
const PRODUCTS = ['P-DATA-10G', 'P-VOICE-500', 'P-FAMILY', 'P-ROAM-HKMO'];
/** Where a handset is: the cell's site as the network's cell table classes it. */
const SITES = [
  'RESIDENTIAL',
  'SHOPPING_MALL',
  'OTHER',
  'RAILWAY_STATION',
  'PORT',
  'AIRPORT',
  'SECURITIES_FIRM',
] as const;

let sequence = 0;

/** One random event of the schema, for the customer. */
export function randomEvent(customerId: string, random: () => number = Math.random): Record<string, unknown> {
  const pick = <T>(list: readonly T[]): T => list[Math.floor(random() * list.length)] as T;
  const base = {
    version: 1,
    id: `net-${Date.now()}-${process.pid}-${++sequence}`,
    customerId,
    at: new Date().toISOString(),
  };
  switch (
    pick([
      'ROAMING_ENTERED',
      'ROAMING_ENTERED',
      'HANDSET_ON',
      'DIRECTORY_ENQUIRY',
      'CALL_MADE',
      'CELL_LOCATION',
      'CELL_LOCATION',
      'BALANCE_LOW',
      'PRODUCT_ORDERED',
    ] as const)
  ) {
    case 'ROAMING_ENTERED': {
      const region = pick(REGIONS);
      const scope = ['Hong Kong', 'Macau', 'Japan', 'Thailand'].includes(region) ? 'INTERNATIONAL' : 'NATIONAL';
      return { ...base, type: 'ROAMING_ENTERED', data: { region, scope } };
    }
    case 'CALL_MADE':
      return {
        ...base,
        type: 'CALL_MADE',
        data: {
          callType: pick(['LOCAL', 'LOCAL', 'LONG_DISTANCE', 'INTERNATIONAL'] as const),
          calledParty: pick(['OTHER', 'OTHER', 'SECURITIES_BROKER', 'BANK'] as const),
          durationSeconds: Math.floor(random() * 600),
        },
      };
    case 'CELL_LOCATION': {
      const site = pick(SITES);
      return {
        ...base,
        type: 'CELL_LOCATION',
        data: { cellId: `${site.slice(0, 3)}-${Math.floor(random() * 20)}`, site },
      };
    }
    case 'HANDSET_ON':
      return { ...base, type: 'HANDSET_ON', data: { missedCalls: Math.floor(random() * 6) } };
    case 'DIRECTORY_ENQUIRY':
      return { ...base, type: 'DIRECTORY_ENQUIRY', data: { number: '114' } };
    case 'BALANCE_LOW':
      return { ...base, type: 'BALANCE_LOW', data: { balance: Math.round(random() * 1000) / 100, threshold: 10 } };
    default:
      return { ...base, type: 'PRODUCT_ORDERED', data: { productCode: pick(PRODUCTS) } };
  }
}

const customerIds = (customers: PublisherOptions['customers']): readonly string[] =>
  typeof customers === 'number'
    ? Array.from({ length: Math.max(1, customers) }, (_, i) => `C${String(i + 1).padStart(8, '0')}`)
    : customers;

export async function startPublisher(target: PublisherTarget, options: PublisherOptions): Promise<Publisher> {
  const ids = customerIds(options.customers);
  if (ids.length === 0) throw new Error('startPublisher: no customers');
  let published = 0;
  let failed = 0;
  let inFlight = 0;
  const maxInFlight = options.maxInFlight ?? 50;
  let model: ChannelModel | undefined;
  let channel: Channel | undefined;
  if ('amqpUrl' in target) {
    model = await amqp.connect(target.amqpUrl);
    channel = await model.createChannel();
    await channel.assertQueue(`${target.queue}.dlq`, { durable: true });
    await channel.assertQueue(target.queue, {
      durable: true,
      arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': `${target.queue}.dlq` },
    });
  }

  const publishOne = (): void => {
    const body = JSON.stringify(randomEvent(ids[Math.floor(Math.random() * ids.length)] as string));
    if (channel && 'queue' in target) {
      channel.sendToQueue(target.queue, Buffer.from(body), { persistent: true, contentType: 'application/json' });
      published++;
      return;
    }
    if (!('webhookUrl' in target) || inFlight >= maxInFlight) return;
    const t = Math.floor(Date.now() / 1000);
    const signature = `t=${t},v1=${createHmac('sha256', target.secret).update(`${t}.`).update(body).digest('hex')}`;
    inFlight++;
    fetch(target.webhookUrl, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-ucv-signature': signature },
      body,
      signal: AbortSignal.timeout(10_000),
    })
      .then(async (res) => {
        await res.arrayBuffer();
        if (res.ok) published++;
        else failed++;
      })
      .catch(() => failed++)
      .finally(() => inFlight--);
  };

  // Ticks of 100 ms; the fraction of an event a tick owes is carried to the next, so any rate is kept on average.
  const TICK_MS = 100;
  let owed = 0;
  const stopTicks = (options.every ?? everyInterval)(TICK_MS, () => {
    owed += (options.ratePerSecond * TICK_MS) / 1000;
    while (owed >= 1) {
      owed--;
      publishOne();
    }
  });

  return {
    published: () => published,
    failed: () => failed,
    async stop() {
      stopTicks();
      const deadline = Date.now() + 10_000;
      while (inFlight > 0 && Date.now() < deadline) await new Promise((resolve) => setTimeout(resolve, 20));
      // The channel first: its close follows its messages on the channel, so the broker has them all when it
      // answers; closing the connection at once could go out before messages still buffered, and lose them.
      await channel?.close().catch(() => undefined);
      await model?.close().catch(() => undefined);
    },
  };
}
