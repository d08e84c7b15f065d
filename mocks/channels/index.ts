/**
 * Mock channel gateway: the operator's outbound SMS centre, app-push service and e-mail relay behind one REST API,
 * with the same fault injection and request counters as the other mocks (`/__control`).
 *
 *   POST /channels/v1/sms     { customerId, message, offerCode, idempotencyKey }   → 202 { messageId }
 *   POST /channels/v1/push    (same body)
 *   POST /channels/v1/email   (same body)
 *
 * A repeated `idempotencyKey` answers the first messageId and is not sent again (what real SMS centres do with a
 * client reference). The messages received are kept (the last 10,000) for tests: `messages()` in process.
 */
import express from 'express';
import { startMock, type MockOptions, type MockServer } from '../server';

export const CHANNEL_ROUTES = { SMS: 'sms', PUSH: 'push', EMAIL: 'email' } as const;
export type ChannelName = keyof typeof CHANNEL_ROUTES;

export interface ChannelMessage {
  channel: ChannelName;
  customerId: string;
  message: string;
  offerCode: string;
  idempotencyKey: string;
  messageId: string;
  at: number;
}

export interface ChannelsMock extends MockServer {
  /** Messages accepted, oldest first (duplicates by idempotency key not repeated). */
  messages(): readonly ChannelMessage[];
  /** Messages accepted per channel. */
  sent(): Record<ChannelName, number>;
  clear(): void;
}

const MAX_KEPT = 10_000;

export async function startChannelsMock(options: MockOptions = {}): Promise<ChannelsMock> {
  let messages: ChannelMessage[] = [];
  let byKey = new Map<string, string>();
  let next = 1;
  const mock = await startMock('channels', options, (app) => {
    for (const [channel, route] of Object.entries(CHANNEL_ROUTES) as Array<[ChannelName, string]>) {
      app.post(`/channels/v1/${route}`, express.json({ limit: '16kb' }), (req, res) => {
        const body = (req.body ?? {}) as Record<string, unknown>;
        const { customerId, message, offerCode, idempotencyKey } = body;
        if (
          typeof customerId !== 'string' ||
          typeof message !== 'string' ||
          typeof offerCode !== 'string' ||
          typeof idempotencyKey !== 'string'
        ) {
          return void res.status(400).json({
            status: 400,
            title: 'Bad Request',
            detail: 'customerId, message, offerCode and idempotencyKey are required strings',
          });
        }
        const first = byKey.get(idempotencyKey);
        if (first) return void res.status(202).json({ messageId: first, duplicate: true });
        const messageId = `${route}-${next++}`;
        byKey.set(idempotencyKey, messageId);
        messages.push({ channel, customerId, message, offerCode, idempotencyKey, messageId, at: Date.now() });
        if (messages.length > MAX_KEPT) {
          const dropped = messages.splice(0, messages.length - MAX_KEPT);
          for (const m of dropped) byKey.delete(m.idempotencyKey);
        }
        res.status(202).json({ messageId });
      });
    }
  });
  return Object.assign(mock, {
    messages: () => messages,
    sent: () => {
      const counts: Record<ChannelName, number> = { SMS: 0, PUSH: 0, EMAIL: 0 };
      for (const m of messages) counts[m.channel]++;
      return counts;
    },
    clear: () => {
      messages = [];
      byKey = new Map();
    },
  });
}
