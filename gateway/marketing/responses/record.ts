/**
 * Replies kept durably (the store's `channel_replies`, one row per reply id), and the handler the gateway runs by
 * default: it records each reply and does nothing else, so a reply accepted is never lost, even before a campaign
 * reads it. A campaign's handler records first with `recordReply` too, then acts, then `markReplyHandled`.
 */
import { and, eq, isNull } from 'drizzle-orm';
import type { Store } from '../../store';
import { channelReplies } from '../../store/schema';
import type { ChannelReply, ReplyHandler } from './reply';

/** A reply's row: the reply, `receivedAt` (first recorded), and `handledAt` / `outcome` once a consumer set them. */
export type ChannelReplyRow = typeof channelReplies.$inferSelect;

/**
 * Records the reply once: `recorded` is true for the first delivery of its id, false for a redelivery (the row is
 * then the first one's, unchanged). Rejects when the store fails (nothing recorded: retry).
 */
export async function recordReply(
  store: Store,
  reply: ChannelReply,
): Promise<{ recorded: boolean; row: ChannelReplyRow }> {
  const [inserted] = await store.db
    .insert(channelReplies)
    .values({
      replyId: reply.replyId,
      messageId: reply.messageId,
      customerId: reply.customerId,
      channel: reply.channel,
      text: reply.text,
      repliedAt: new Date(reply.at),
    })
    .onConflictDoNothing()
    .returning();
  if (inserted) return { recorded: true, row: inserted };
  const row = await readReply(store, reply.replyId);
  // Inserted by nobody and yet in conflict cannot be; a row deleted meanwhile is a store failure to retry.
  if (!row) throw new Error(`channel reply ${reply.replyId} conflicted but could not be read`);
  return { recorded: false, row };
}

/** The row of a reply, or null when no reply of that id was recorded. */
export async function readReply(store: Store, replyId: string): Promise<ChannelReplyRow | null> {
  const [row] = await store.db.select().from(channelReplies).where(eq(channelReplies.replyId, replyId));
  return row ?? null;
}

/**
 * Marks a reply handled with what was done (plain JSON), once: true when this call marked it, false when it was
 * marked before (or is not recorded). A consumer that finds `handledAt` set on a redelivery does nothing again.
 */
export async function markReplyHandled(store: Store, replyId: string, outcome: unknown): Promise<boolean> {
  const marked = await store.db
    .update(channelReplies)
    .set({ handledAt: new Date(), outcome: outcome ?? null })
    .where(and(eq(channelReplies.replyId, replyId), isNull(channelReplies.handledAt)))
    .returning({ replyId: channelReplies.replyId });
  return marked.length > 0;
}

/**
 * The default handler: records the reply (RECORDED), or finds it recorded (DUPLICATE); `detail.receivedAt` says when
 * it was first recorded. Never UNMATCHED: it knows no messages; matching a reply to a campaign is its consumer's.
 */
export function recordingReplyHandler(store: Store): ReplyHandler {
  return {
    async handle(reply) {
      const { recorded, row } = await recordReply(store, reply);
      return { status: recorded ? 'RECORDED' : 'DUPLICATE', detail: { receivedAt: row.receivedAt.toISOString() } };
    },
  };
}
