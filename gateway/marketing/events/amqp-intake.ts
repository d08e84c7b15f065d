/**
 * Customer events from RabbitMQ (amqplib), when `marketing.amqp.url` is set. The same events and handler as the
 * webhook (customer-intake.ts):
 *
 * - the queue is durable, and declared with a dead-letter queue `<queue>.dlq` (default exchange, routing key the
 *   DLQ's name), also durable: a message rejected without requeue lands there, kept for an operator;
 * - acknowledgements are manual: a message is acked only after its event was handled and stored; a poison message
 *   (not JSON, not the event schema) is rejected at once, to the DLQ;
 * - an event that fails for a reason that may pass (store, view or channel gateway down) is requeued after
 *   `retryDelayMs`; its second failure sends it to the DLQ, so one bad event cannot cycle forever;
 * - redelivery (a crash before the ack, a requeue) is harmless: the handler is idempotent by event id;
 * - at most `prefetch` messages are unacknowledged at once (the bound on concurrent handling);
 * - a lost connection is reopened with exponential backoff (`reconnectMinMs` doubling up to `reconnectMaxMs`, with
 *   jitter); messages unacked when it dropped are redelivered by the broker.
 *
 * A queue that already exists with other arguments (e.g. no dead-letter settings) is refused by the broker
 * (PRECONDITION_FAILED): delete it or pick another name.
 */
import amqp, { type Channel, type ChannelModel, type ConsumeMessage } from 'amqplib';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { parseCustomerEvent } from './customer-event';
import type { EventKinds } from './event-kind';
import type { EventHandler } from './handler';

export interface AmqpIntakeOptions {
  /** The event kinds in force: an event's data is checked against its kind's schema (the built-in ones when not given). */
  kinds?: EventKinds;
  /** amqp://user:pass@host:port/vhost */
  url: string;
  queue: string;
  /** Most unacknowledged messages at once. */
  prefetch: number;
  /** Wait before requeueing an event that failed, in milliseconds. */
  retryDelayMs: number;
  /** First reconnect delay, in milliseconds; doubles up to `reconnectMaxMs`. */
  reconnectMinMs: number;
  reconnectMaxMs: number;
  handler: EventHandler;
  logger: Logger;
  registry?: Registry;
}

export interface AmqpIntake {
  /** Resolves once the first connection consumes (rejects never: a broker down is retried in the background). */
  readonly ready: Promise<void>;
  connected(): boolean;
  /** Stops consuming and closes; events in flight finish first (their acks are sent). */
  close(): Promise<void>;
}

/** Largest message read as an event, in bytes (the webhook's limit); a larger one is poison. */
const MAX_EVENT_BYTES = 16 * 1024;

/** The dead-letter queue of a queue. */
export const deadLetterQueue = (queue: string): string => `${queue}.dlq`;

/** Declares the queue and its DLQ, as the intake does (publishers call it too, so either may start first). */
export async function assertEventQueues(channel: Channel, queue: string): Promise<void> {
  await channel.assertQueue(deadLetterQueue(queue), { durable: true });
  await channel.assertQueue(queue, {
    durable: true,
    arguments: { 'x-dead-letter-exchange': '', 'x-dead-letter-routing-key': deadLetterQueue(queue) },
  });
}

export function startAmqpIntake(options: AmqpIntakeOptions): AmqpIntake {
  const { logger } = options;
  const registers = options.registry ? [options.registry] : [];
  const messages = new Counter({
    name: 'ucv_amqp_messages_total',
    help: 'RabbitMQ messages by result (ack, dead_letter: poison or failed twice, requeue: failed once).',
    labelNames: ['result'] as const,
    registers,
  });
  let model: ChannelModel | undefined;
  let channel: Channel | undefined;
  let consumerTag: string | undefined;
  let closing = false;
  let attempt = 0;
  let timer: NodeJS.Timeout | undefined;
  const inFlight = new Set<Promise<void>>();
  let markReady: () => void = () => undefined;
  const ready = new Promise<void>((resolve) => (markReady = resolve));

  const onMessage = async (ch: Channel, msg: ConsumeMessage): Promise<void> => {
    let body: unknown;
    try {
      // The webhook's limit: an event is small, a huge message is poison, never parsed.
      body = msg.content.length <= MAX_EVENT_BYTES ? JSON.parse(msg.content.toString('utf8')) : undefined;
    } catch {
      body = undefined;
    }
    const parsed = parseCustomerEvent(body, options.kinds);
    if (!parsed.ok) {
      logger.warn({ problems: parsed.problems.slice(0, 3) }, 'poison customer event: dead-lettered');
      messages.inc({ result: 'dead_letter' });
      return ch.nack(msg, false, false);
    }
    let handled = false;
    try {
      await options.handler.handle(parsed.event, 'amqp');
      handled = true;
    } catch (err) {
      if (msg.fields.redelivered) {
        logger.error({ err, eventId: parsed.event.id }, 'customer event failed again: dead-lettered');
        messages.inc({ result: 'dead_letter' });
        return ch.nack(msg, false, false);
      }
      logger.warn({ err, eventId: parsed.event.id }, 'customer event failed: requeued');
      await new Promise((resolve) => setTimeout(resolve, options.retryDelayMs).unref());
      messages.inc({ result: 'requeue' });
      ch.nack(msg, false, true);
    }
    if (handled) {
      // Throws when the channel closed meanwhile: the broker redelivers, and the handler recognises the event.
      ch.ack(msg);
      messages.inc({ result: 'ack' });
    }
  };

  const connect = async (): Promise<void> => {
    timer = undefined;
    if (closing) return;
    try {
      const m = await amqp.connect(options.url);
      model = m;
      m.on('error', (err: Error) => logger.warn({ err: err.message }, 'RabbitMQ connection error'));
      m.on('close', () => {
        model = undefined;
        channel = undefined;
        if (!closing) {
          logger.warn('RabbitMQ connection lost: reconnecting');
          schedule();
        }
      });
      const ch = await m.createChannel();
      ch.on('error', (err: Error) => logger.warn({ err: err.message }, 'RabbitMQ channel error'));
      await assertEventQueues(ch, options.queue);
      await ch.prefetch(options.prefetch);
      const consumer = await ch.consume(
        options.queue,
        (msg) => {
          // null: the broker cancelled the consumer (queue deleted); the connection's close reconnects.
          if (!msg) return;
          const handling = onMessage(ch, msg).catch((err: unknown) => logger.error({ err }, 'RabbitMQ ack failed'));
          inFlight.add(handling);
          void handling.finally(() => inFlight.delete(handling));
        },
        { noAck: false },
      );
      channel = ch;
      consumerTag = consumer.consumerTag;
      attempt = 0;
      logger.info({ queue: options.queue }, 'consuming customer events from RabbitMQ');
      markReady();
    } catch (err) {
      logger.warn({ err: (err as Error).message }, 'RabbitMQ unreachable: retrying');
      await model?.close().catch(() => undefined);
      model = undefined;
      schedule();
    }
  };

  const schedule = (): void => {
    if (closing || timer) return;
    const delay = Math.min(options.reconnectMaxMs, options.reconnectMinMs * 2 ** attempt++);
    timer = setTimeout(() => void connect(), delay * (0.5 + Math.random() / 2));
    timer.unref();
  };

  void connect();
  return {
    ready,
    connected: () => channel !== undefined,
    async close() {
      closing = true;
      if (timer) clearTimeout(timer);
      // No new deliveries; those in flight finish and are acked before the connection closes.
      if (channel && consumerTag) await channel.cancel(consumerTag).catch(() => undefined);
      await Promise.allSettled([...inFlight]);
      await model?.close().catch(() => undefined);
    },
  };
}
