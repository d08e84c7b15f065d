/**
 * The channel gateway's one call: `POST <channelsUrl>/channels/v1/<sms|push|email>` with the customer, the message,
 * the offer and an idempotency key the channel gateway honours (the same key is never sent twice, so a retry after
 * a crash costs no second message). Used by the rule dispatcher and by campaigns.
 */
import type { OfferChannel } from '../rules/definition';

const PATH: Record<OfferChannel, string> = { SMS: 'sms', PUSH: 'push', EMAIL: 'email' };

/**
 * The channel gateway could not take the message (an answer of 300 or more, a network failure, the deadline).
 * `permanent`: it refused this message for good (400 to 499): sending it again would be refused again.
 */
export class ChannelFailure extends Error {
  constructor(
    message: string,
    readonly permanent = false,
  ) {
    super(message);
  }
}

export interface ChannelMessage {
  customerId: string;
  message: string;
  offerCode: string;
  idempotencyKey: string;
}

/** Sends one message; resolves the channel gateway's message id (null when it gave none), rejects ChannelFailure. */
export async function postMessage(
  channelsUrl: string,
  channel: OfferChannel,
  message: ChannelMessage,
  timeoutMs: number,
): Promise<string | null> {
  let res: Response;
  try {
    res = await fetch(`${channelsUrl}/channels/v1/${PATH[channel]}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(message),
      signal: AbortSignal.timeout(timeoutMs),
    });
  } catch (err) {
    throw new ChannelFailure(`the channel gateway could not be reached: ${(err as Error).name}`);
  }
  const body = (await res.json().catch(() => null)) as { messageId?: unknown } | null;
  if (res.status >= 300)
    throw new ChannelFailure(`the channel gateway answered ${res.status}`, res.status >= 400 && res.status < 500);
  return typeof body?.messageId === 'string' ? body.messageId : null;
}
