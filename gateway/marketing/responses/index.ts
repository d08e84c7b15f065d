/**
 * Responses coming back (one trigger, a full response: the offer goes out, the customer answers, the order is
 * placed): customers' replies in by signed webhook, kept durably, handed to an injected handler; orders out through
 * the protected path. See README.md.
 */
export { ChannelReplySchema, parseChannelReply, type ChannelReply, type ReplyHandler, type ReplyResult } from './reply';
export { REPLIES_PATH, REPLIES_SOURCE, replyIntake } from './intake';
export { markReplyHandled, readReply, recordReply, recordingReplyHandler, type ChannelReplyRow } from './record';
export { orderSource, placeOrder, PLACE_ORDER_COMMAND, type Order, type OrderDeps, type OrderOutcome } from './orders';
