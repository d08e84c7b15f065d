/**
 * Responses that come back on a channel (an SMS reply, an app push click), recorded against the campaign that sent
 * the message, once by the reply's id. One trigger, a full response: a "Y" to an offer confirmed by SMS places the
 * order through the CRM's command (idempotent: the key is the campaign's and the customer's, so a redelivered reply
 * or a second "Y" never orders twice) and sends the customer a confirmation (idempotent the same way).
 */
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { Exceptions } from '../exceptions';
import { rowsOf, type Store } from '../../store';
import { postMessage } from '../channels/gateway-client';
import type { OfferChannel } from '../rules/definition';
import {
  markReplyHandled,
  recordReply,
  type ChannelReply,
  type Order,
  type OrderOutcome,
  type ReplyHandler,
} from '../responses';
import { recordCampaignResponse, recordOrder, recordRuleResponse, type OfferResponse } from '.';

/** Places an order through the protected command path (responses/orders.ts, bound to the runtime in force). */
export type PlaceOrder = (order: Order, idempotencyKey: string) => Promise<OrderOutcome>;

export interface CampaignResponsesDeps {
  store: Store;
  placeOrder: PlaceOrder;
  channelsUrl: string;
  channelTimeoutMs: number;
  logger: Logger;
  /** An order a customer confirmed that the system of record refused for good becomes an exception to follow up. */
  exceptions?: Pick<Exceptions, 'raise'>;
}

const ANSWERS: Record<string, 'ACCEPTED' | 'DECLINED' | 'CLICKED'> = {
  Y: 'ACCEPTED',
  YES: 'ACCEPTED',
  是: 'ACCEPTED',
  N: 'DECLINED',
  NO: 'DECLINED',
  否: 'DECLINED',
  CLICK: 'CLICKED',
};

/** What a reply's text means, or null for text that is no answer (kept, never acted on). */
export const answerOf = (text: string): 'ACCEPTED' | 'DECLINED' | 'CLICKED' | null =>
  ANSWERS[text.trim().toUpperCase()] ?? null;

/**
 * The reply handler of `POST /events/replies` when campaigns run: the reply kept first (channel_replies, so nothing
 * accepted is lost), then recorded against its campaign and acted on, then marked handled with what it came to. A
 * failure to act (the CRM down) rejects: the intake answers 503 and the channel gateway delivers the reply again,
 * which records nothing twice and orders at most once.
 */
export function campaignReplyHandler(deps: CampaignResponsesDeps): ReplyHandler {
  const act = campaignReplies(deps);
  return {
    async handle(reply) {
      await recordReply(deps.store, reply);
      const result = await act(reply);
      await markReplyHandled(deps.store, reply.replyId, result);
      return result;
    },
  };
}

export function campaignReplies(deps: CampaignResponsesDeps) {
  return async (reply: ChannelReply): Promise<{ status: 'RECORDED' | 'DUPLICATE' | 'UNMATCHED'; detail?: unknown }> => {
    const answer = answerOf(reply.text);
    if (!answer) return { status: 'UNMATCHED', detail: { reason: 'not an answer', text: reply.text.slice(0, 20) } };
    const response: OfferResponse = {
      ref: `reply:${reply.replyId}`,
      customerId: reply.customerId,
      messageId: reply.messageId,
      channel: reply.channel,
      response: answer,
      at: new Date(reply.at),
    };
    const recorded = await recordCampaignResponse(deps.store, response);
    if (!recorded) {
      // Not a campaign's message: perhaps an event rule's.
      const rule = await recordRuleResponse(deps.store, response);
      if (!rule) return { status: 'UNMATCHED', detail: { reason: 'no campaign or rule sent this message' } };
      return {
        status: rule.duplicate ? 'DUPLICATE' : 'RECORDED',
        detail: { ruleId: rule.ruleId, response: answer },
      };
    }
    const detail: Record<string, unknown> = { campaignId: recorded.campaignId, response: answer };
    if (answer === 'ACCEPTED') {
      const [run] = rowsOf<{ confirm_by: string | null; offer_name: string | null; ordered: string | null }>(
        await deps.store.db.execute(sql`SELECT r.definition->'offer'->>'confirmBy' AS confirm_by,
            r.definition->'offer'->>'name' AS offer_name,
            (SELECT order_id FROM offer_responses o WHERE o.origin = 'campaign' AND o.origin_id = r.campaign_id
               AND o.customer_id = ${reply.customerId} AND o.order_id IS NOT NULL LIMIT 1) AS ordered
          FROM campaign_runs r WHERE r.campaign_id = ${recorded.campaignId}`),
      );
      if (run?.confirm_by === 'SMS_REPLY' && !run.ordered) {
        const key = `order:${recorded.campaignId}:${reply.customerId}`;
        const order = await deps.placeOrder({ customerId: reply.customerId, offerCode: recorded.offerCode }, key);
        if (order.status === 'UNAVAILABLE') throw new Error(`the order could not be placed now: ${order.message}`);
        if (order.status === 'PLACED') {
          const orderId = order.productId ?? key;
          await recordOrder(deps.store, `reply:${reply.replyId}`, orderId);
          detail.orderId = orderId;
          await postMessage(
            deps.channelsUrl,
            (['SMS', 'PUSH', 'EMAIL'].includes(reply.channel) ? reply.channel : 'SMS') as OfferChannel,
            {
              customerId: reply.customerId,
              message: `您已成功订购${run.offer_name ?? recorded.offerCode}，感谢您的支持。`,
              offerCode: recorded.offerCode,
              idempotencyKey: `confirm:${recorded.campaignId}:${reply.customerId}`,
            },
            deps.channelTimeoutMs,
          ).catch((err: unknown) =>
            deps.logger.warn({ err: (err as Error).message, campaign: recorded.campaignId }, 'confirmation not sent'),
          );
        } else {
          detail.orderRefused = order.message;
          // Refused for good (asking again would be refused again): followed up by a person, not retried.
          detail.exceptionId = await deps.exceptions?.raise({
            cause: 'ORDER_FAILED',
            ref: key,
            customerId: reply.customerId,
            detail: {
              campaignId: recorded.campaignId,
              offerCode: recorded.offerCode,
              replyId: reply.replyId,
              error: order.message,
            },
          });
        }
      }
    }
    return { status: recorded.duplicate ? 'DUPLICATE' : 'RECORDED', detail };
  };
}

const AGENT_ANSWERS: Record<string, 'ACCEPTED' | 'DECLINED' | 'CALLBACK'> = {
  ACCEPTED: 'ACCEPTED',
  ACCEPT: 'ACCEPTED',
  DECLINED: 'DECLINED',
  DECLINE: 'DECLINED',
  CALLBACK: 'CALLBACK',
};

/**
 * An agent's outcome for an offer, recorded at the desk (a touchpoint with an offer code and a response of
 * ACCEPTED, DECLINED or CALLBACK): recorded once (by the touchpoint's id) against the campaign, else the rule, that
 * offered it to the customer. A contact about an offer nobody sent (the desk's own recommendation) is left as it is.
 * Answers who made the offer (a campaign or a rule), or null when nobody did.
 */
export async function recordAgentResponse(
  store: Store,
  touchpoint: {
    customerId: string;
    channel: string;
    offerCode?: string | null;
    response?: string | null;
    at?: string | null;
  },
  touchpointId: string,
): Promise<{ origin: 'campaign' | 'rule'; id: string } | null> {
  const answer = AGENT_ANSWERS[(touchpoint.response ?? '').toUpperCase()];
  if (!answer || !touchpoint.offerCode) return null;
  const response = {
    ref: `touchpoint:${touchpointId}`,
    customerId: touchpoint.customerId,
    offerCode: touchpoint.offerCode,
    channel: touchpoint.channel,
    response: answer,
    at: touchpoint.at ? new Date(touchpoint.at) : new Date(),
  };
  const campaign = await recordCampaignResponse(store, response);
  if (campaign) return { origin: 'campaign', id: campaign.campaignId };
  const rule = await recordRuleResponse(store, response);
  return rule ? { origin: 'rule', id: rule.ruleId } : null;
}
