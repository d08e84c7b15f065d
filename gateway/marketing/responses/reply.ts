/**
 * A customer's reply to a message the channel gateway sent (an SMS answered "Y", a push clicked), as the channel
 * gateway delivers it to `POST /events/replies`, and the handler the intake hands it to.
 *
 *     { "replyId": "reply-sms-lq3k2a-17", "messageId": "sms-lq3k2a-17", "customerId": "C00000011",
 *       "channel": "SMS", "text": "Y", "at": "2026-11-24T06:00:05Z" }
 *
 * `replyId` is the channel gateway's and the idempotency key of the reply's handling: a redelivery of the same id
 * must be handled once (every ReplyHandler promises it).
 */
import { z } from 'zod';
import { problemsOf, type Problem } from '../../runtime/declarative';

export interface ChannelReply {
  replyId: string;
  messageId: string;
  customerId: string;
  channel: 'SMS' | 'PUSH' | 'EMAIL';
  /** What the customer answered: `Y` / `N` to an SMS, `CLICK` on a push, or any text (1 to 500 characters). */
  text: string;
  /** When the customer answered (ISO 8601 with an offset). */
  at: string;
}

/** What a handler did with a reply; the intake answers it to the sender (202). */
export interface ReplyResult {
  /**
   * RECORDED: taken for the first time. DUPLICATE: its replyId was taken before; nothing was done again.
   * UNMATCHED: taken, but no message the handler knows of is answered by it (kept for follow-up, not lost).
   */
  status: 'RECORDED' | 'DUPLICATE' | 'UNMATCHED';
  detail?: unknown;
}

/**
 * Handles one reply. Must be idempotent by `replyId`: the channel gateway redelivers a reply whose answer it did not
 * get, so the same reply may arrive twice (or at once on two instances); the second is answered DUPLICATE and changes
 * nothing. Rejecting means "not handled, retry": the intake answers 503 and releases the signature.
 */
export interface ReplyHandler {
  handle(reply: ChannelReply): Promise<ReplyResult>;
}

const ID = /^[\w.:-]{1,128}$/;
const ID_RULE = '1 to 128 letters, digits, ".", ":", "_" or "-"';
/** A NUL, or a surrogate that is not half of a pair: PostgreSQL stores neither. */
// eslint-disable-next-line no-control-regex -- the NUL is exactly what it looks for
const UNSTORABLE = /[\u0000\p{Cs}]/u;

export const ChannelReplySchema = z
  .object({
    replyId: z.string().regex(ID, ID_RULE),
    messageId: z.string().regex(ID, ID_RULE),
    customerId: z.string().regex(/^[\w-]{1,64}$/, '1 to 64 letters, digits, "-" or "_", e.g. C00000001'),
    channel: z.enum(['SMS', 'PUSH', 'EMAIL']),
    text: z
      .string()
      .min(1)
      .max(500)
      .refine((t) => !UNSTORABLE.test(t), 'no NUL character or unpaired UTF-16 surrogate'),
    at: z.string().datetime({ offset: true }),
  })
  .strict();

/** The reply, or its problems, each with its path, what was expected and what was given; never a throw. */
export function parseChannelReply(
  input: unknown,
): { ok: true; reply: ChannelReply } | { ok: false; problems: Problem[] } {
  const parsed = ChannelReplySchema.safeParse(input);
  if (parsed.success) return { ok: true, reply: parsed.data };
  return { ok: false, problems: problemsOf(parsed.error, input).slice(0, 10) };
}
