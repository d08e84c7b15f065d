/**
 * Channel collaboration: one rule match becomes at most one offer to the customer, on one channel, within the
 * operator's contact policy, and is recorded as a touchpoint. In order:
 *
 *   suppression list → quiet hours → [claim, in one transaction under the customer's offer lock (eligibility/):
 *   already sent for this (event, rule)? → frequency caps (per customer per day / week, per channel per day, over
 *   every offer made to the customer: rules, campaigns, agents)
 *   → an `offers_sent` row] → the channel gateway's HTTP call → the touchpoint (injected `recordTouchpoint`)
 *
 * Everything is in the durable store, so caps hold across instances and restarts. The lock (a transaction-scoped
 * advisory lock keyed by the customer) makes two events for one customer count each other's offers even when two
 * instances handle them at once. A failed channel call deletes its claim (the cap is not spent on a message never
 * sent) and fails the event, which its sender retries. "Day" and "week" are rolling: the last 24 h and 7 × 24 h.
 */
import { and, eq } from 'drizzle-orm';
import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Store } from '../../store';
import { offersSent, suppression } from '../../store/schema';
import type { OfferChannel } from '../rules/definition';
import { contactRefusal, type ContactPolicyHolder } from './contact-policy';
import { ChannelFailure, postMessage } from './gateway-client';
import { capReached, lockCustomer, offersMade, type FrequencyCaps } from '../eligibility';

/** A touchpoint in the shared format (`gateway/touchpoints/`). */
export interface Touchpoint {
  customerId: string;
  channel: string;
  /** ISO 8601. */
  at: string;
  type: string;
  outcome: string;
  system: string;
  offerCode?: string;
  response?: string;
  origin: 'rule' | 'campaign';
  ruleId?: string;
  campaignId?: string;
}

/** `recordTouchpoint(deps, …)` with its deps bound: records once per idempotency key. */
export type RecordTouchpoint = (
  touchpoint: Touchpoint,
  idempotencyKey: string,
) => Promise<{ status: 'RECORDED' | 'ACCEPTED'; contactId?: string }>;

export type { FrequencyCaps };

export interface Offer {
  eventId: string;
  ruleId: string;
  customerId: string;
  channel: OfferChannel;
  offerCode: string;
  message: string;
}

export type OfferStatus =
  | 'SENT'
  /** The channel gateway refused the message for good: recorded as an exception (exceptions/), not retried. */
  | 'REJECTED'
  | 'ALREADY_SENT'
  | 'SUPPRESSED'
  | 'QUIET_HOURS'
  | 'OUTSIDE_WINDOW'
  | 'CAPPED'
  /** Refused by the live eligibility check (eligibility/): `reason` says why. */
  | 'INELIGIBLE';

export interface OfferOutcome {
  ruleId: string;
  offerCode: string;
  channel: OfferChannel;
  status: OfferStatus;
  /** CAPPED: which cap. */
  cap?: keyof FrequencyCaps;
  /** INELIGIBLE: why (eligibility/ IneligibleReason). */
  reason?: string;
  /** REJECTED, or INELIGIBLE for a customer no system knows: the exception recorded to follow it up. */
  exceptionId?: string;
  /** SENT / ALREADY_SENT: how the touchpoint was recorded. */
  touchpoint?: 'RECORDED' | 'ACCEPTED';
}

/** The channel gateway could not take the message: the event is not handled and will be retried. */
export { ChannelFailure };

/** The hall a channel is recorded as in the contact trail (the CRM's Channel enum). */
const HALL: Record<OfferChannel, string> = { SMS: 'SMS_HALL', PUSH: 'WAP_HALL', EMAIL: 'WEB_HALL' };

export interface DispatcherOptions {
  store: Store;
  /** Base URL of the channel gateway, e.g. http://127.0.0.1:4106. */
  channelsUrl: string;
  /** Deadline of one channel call, in milliseconds. */
  timeoutMs: number;
  caps: FrequencyCaps;
  /** The contact policy in force (quiet hours, contact windows per channel): read at each offer. */
  policy: Pick<ContactPolicyHolder, 'current'>;
  recordTouchpoint: RecordTouchpoint;
  logger: Logger;
  registry?: Registry;
  now?: () => Date;
}

export interface Dispatcher {
  send(offer: Offer): Promise<OfferOutcome>;
  /** The outcome of an offer the eligibility check refused: counted like the others, nothing sent. */
  ineligible(offer: Offer, reason: string): OfferOutcome;
}

export function createDispatcher(options: DispatcherOptions): Dispatcher {
  const { store, caps } = options;
  const db = store.db;
  const now = options.now ?? (() => new Date());
  const registers = options.registry ? [options.registry] : [];
  const offers = new Counter({
    name: 'ucv_rule_offers_total',
    help: 'Offers of matched rules, by channel and status (SENT, ALREADY_SENT, SUPPRESSED, QUIET_HOURS, OUTSIDE_WINDOW, CAPPED, INELIGIBLE, FAILED).',
    labelNames: ['channel', 'status'] as const,
    registers,
  });
  const channelLatency = new Histogram({
    name: 'ucv_channel_call_duration_seconds',
    help: 'Duration of calls to the channel gateway, by channel.',
    labelNames: ['channel'] as const,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    registers,
  });
  const outcome = (offer: Offer, status: OfferStatus, extra: Partial<OfferOutcome> = {}): OfferOutcome => {
    offers.inc({ channel: offer.channel, status });
    return { ruleId: offer.ruleId, offerCode: offer.offerCode, channel: offer.channel, status, ...extra };
  };
  const key = (offer: Offer): string => `rule:${offer.eventId}:${offer.ruleId}`;
  const touchpoint = async (offer: Offer, at: Date): Promise<'RECORDED' | 'ACCEPTED'> =>
    (
      await options.recordTouchpoint(
        {
          customerId: offer.customerId,
          channel: HALL[offer.channel],
          at: at.toISOString(),
          type: 'CAMPAIGN_OFFER',
          outcome: 'SENT',
          system: 'ucv-rules',
          offerCode: offer.offerCode,
          origin: 'rule',
          ruleId: offer.ruleId,
        },
        key(offer),
      )
    ).status;

  /** The claim: null when the offer may go (a row now holds its place), else why not. */
  const claim = (
    offer: Offer,
    at: Date,
  ): Promise<{ status: 'ALREADY_SENT'; sentAt: Date } | { status: 'CAPPED'; cap: keyof FrequencyCaps } | null> =>
    db.transaction(async (tx) => {
      await lockCustomer(tx, offer.customerId);
      const [existing] = await tx
        .select({ sentAt: offersSent.sentAt, status: offersSent.status })
        .from(offersSent)
        .where(and(eq(offersSent.eventId, offer.eventId), eq(offersSent.ruleId, offer.ruleId)));
      if (existing) return { status: 'ALREADY_SENT' as const, sentAt: existing.sentAt };
      // Every offer the customer was made counts, whoever made it: rules, campaigns, agents.
      const cap = capReached(await offersMade(tx, offer.customerId, offer.channel, at), caps);
      if (cap) return { status: 'CAPPED' as const, cap };
      await tx.insert(offersSent).values({
        eventId: offer.eventId,
        ruleId: offer.ruleId,
        customerId: offer.customerId,
        channel: offer.channel,
        offerCode: offer.offerCode,
        sentAt: at,
        status: 'sending',
      });
      return null;
    });

  return {
    ineligible: (offer, reason) => outcome(offer, 'INELIGIBLE', { reason }),
    async send(offer) {
      const at = now();
      const [suppressed] = await db
        .select({ id: suppression.customerId })
        .from(suppression)
        .where(eq(suppression.customerId, offer.customerId));
      if (suppressed) return outcome(offer, 'SUPPRESSED');
      const refused = await claim(offer, at);
      // Handled before (a redelivery after the offer went out): the touchpoint is recorded again under the same
      // idempotency key, which records it once whether or not the first attempt got that far.
      if (refused?.status === 'ALREADY_SENT')
        return outcome(offer, 'ALREADY_SENT', { touchpoint: await touchpoint(offer, refused.sentAt) });
      if (refused) return outcome(offer, 'CAPPED', { cap: refused.cap });
      const closed = contactRefusal(at, offer.channel, options.policy.current);
      if (closed) {
        // Checked after the claim's "already sent" so a redelivery is answered the same; the claim is given back.
        await db
          .delete(offersSent)
          .where(and(eq(offersSent.eventId, offer.eventId), eq(offersSent.ruleId, offer.ruleId)));
        return outcome(offer, closed);
      }
      const started = performance.now();
      let messageId: string | null = null;
      try {
        messageId = await postMessage(
          options.channelsUrl,
          offer.channel,
          {
            customerId: offer.customerId,
            message: offer.message,
            offerCode: offer.offerCode,
            idempotencyKey: key(offer),
          },
          options.timeoutMs,
        );
      } catch (err) {
        offers.inc({ channel: offer.channel, status: 'FAILED' });
        await db
          .delete(offersSent)
          .where(and(eq(offersSent.eventId, offer.eventId), eq(offersSent.ruleId, offer.ruleId)))
          .catch(() => undefined);
        throw err instanceof ChannelFailure
          ? err
          : new ChannelFailure(`the channel gateway could not be reached: ${(err as Error).name}`);
      } finally {
        channelLatency.observe({ channel: offer.channel }, (performance.now() - started) / 1000);
      }
      await db
        .update(offersSent)
        .set({ status: 'sent', messageId })
        .where(and(eq(offersSent.eventId, offer.eventId), eq(offersSent.ruleId, offer.ruleId)));
      return outcome(offer, 'SENT', { touchpoint: await touchpoint(offer, at) });
    },
  };
}
