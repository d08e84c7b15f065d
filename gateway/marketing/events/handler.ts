/**
 * What the gateway does with a customer event, whichever way it came (webhook or RabbitMQ):
 *
 *   record its id (events table) → already handled? answer what it did then → the rules (rules/) → the eligibility
 *   check over the live view (eligibility/) → at most one offer through the dispatcher (channels/) → mark it
 *   handled, with its outcome
 *
 * Idempotent by event id: a redelivered event whose handling finished is answered from its row; one whose handling
 * was interrupted runs again, and the dispatcher's (event, rule) claim keeps its offer from being sent twice.
 */
import { eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { Counter, Histogram, type Registry } from 'prom-client';
import type { Dispatcher, OfferOutcome } from '../channels/dispatcher';
import { ChannelFailure } from '../channels/gateway-client';
import type { Exceptions } from '../exceptions';
import type { History } from '../history';
import { traced, type TraceContext } from '../../telemetry';
import { preferredChannel } from '../channels/preference';
import { offerRefusal, sectionsRead } from '../eligibility';
import type { RuleSetHolder } from '../rules/rule-set';
import type { ViewLoader } from '../rules/view';
import type { Store } from '../../store';
import { events } from '../../store/schema';
import type { CustomerEvent } from './customer-event';

export interface HandledEvent {
  eventId: string;
  /** True when the event had been handled before: nothing was done again. */
  duplicate: boolean;
  /** The rule that matched and what became of its offer; null when no rule matched. */
  offer: OfferOutcome | null;
  /** Whether the customer's view was loaded for the rules. */
  viewLoaded: boolean;
  /** The exception recorded when the event could not be acted on (exceptions/): an unknown customer, a refused message. */
  exceptionId?: string;
}

export interface EventHandler {
  handle(event: CustomerEvent, via: 'webhook' | 'amqp'): Promise<HandledEvent>;
}

export function createEventHandler(deps: {
  store: Store;
  rules: RuleSetHolder;
  views: ViewLoader;
  dispatcher: Dispatcher;
  /** Every event is recorded in the customer's history (history/) before its rules run: conditions over time read it. */
  history: Pick<History, 'record'>;
  exceptions: Pick<Exceptions, 'raise'>;
  logger: Logger;
  registry?: Registry;
}): EventHandler {
  const db = deps.store.db;
  const registers = deps.registry ? [deps.registry] : [];
  const handled = new Counter({
    name: 'ucv_customer_events_total',
    help: 'Customer events handled, by way in (webhook, amqp) and result (offer, no_offer, duplicate).',
    labelNames: ['via', 'result'] as const,
    registers,
  });
  const duration = new Histogram({
    name: 'ucv_customer_event_duration_seconds',
    help: 'Time to handle a customer event: rules, view, channel call and touchpoint.',
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });
  return {
    handle: (event, via) =>
      traced(
        `event ${event.type}`,
        { attributes: { 'ucv.event.id': event.id, 'ucv.event.type': event.type, 'ucv.event.via': via } },
        async (span, inside) => {
          const handledEvent = await handle(event, via, inside);
          span.setAttribute(
            'ucv.event.result',
            handledEvent.duplicate ? 'duplicate' : (handledEvent.offer?.status ?? 'no_offer'),
          );
          return handledEvent;
        },
      ),
  };

  async function handle(event: CustomerEvent, via: 'webhook' | 'amqp', trace: TraceContext): Promise<HandledEvent> {
    const started = performance.now();
    const inserted = await db
      .insert(events)
      .values({ id: event.id, type: event.type, customerId: event.customerId, via, receivedAt: new Date() })
      .onConflictDoNothing()
      .returning({ id: events.id });
    if (inserted.length === 0) {
      const [row] = await db
        .select({ handledAt: events.handledAt, outcomes: events.outcomes })
        .from(events)
        .where(eq(events.id, event.id));
      if (row?.handledAt) {
        handled.inc({ via, result: 'duplicate' });
        const previous = row.outcomes as {
          offer: OfferOutcome | null;
          viewLoaded: boolean;
          exceptionId?: string;
        } | null;
        return {
          eventId: event.id,
          duplicate: true,
          offer: previous?.offer ?? null,
          viewLoaded: false,
          ...(previous?.exceptionId ? { exceptionId: previous.exceptionId } : {}),
        };
      }
    }
    await deps.history.record(event);
    const { match, view, viewLoaded } = await deps.rules.current.evaluate(event, () =>
      deps.views.load(event.customerId, undefined, trace),
    );
    let offer: OfferOutcome | null = null;
    if (match) {
      // The eligibility check and PREFERRED need the live view: loaded now if the conditions did not need it.
      const v = viewLoaded ? view : await deps.views.load(event.customerId, undefined, trace);
      const channel = preferredChannel(match.rule.then.channel, v?.insights?.channelPreferences);
      const candidate = {
        eventId: event.id,
        ruleId: match.rule.id,
        customerId: event.customerId,
        channel,
        offerCode: match.rule.then.offerCode,
        message: match.message,
      };
      // The one eligibility check (eligibility/): never what the customer holds now, no upsell to a suspended
      // customer or one in arrears, nothing to a customer the systems do not know or could not be read live.
      const refusal = offerRefusal(v, sectionsRead(v?.unavailable ?? []), {
        offerCode: match.rule.then.offerCode,
        kind: match.rule.then.kind,
      });
      if (refusal) offer = deps.dispatcher.ineligible(candidate, refusal);
      else
        try {
          offer = await deps.dispatcher.send(candidate);
        } catch (err) {
          if (!(err instanceof ChannelFailure) || !err.permanent) throw err;
          // Refused for good: sending again would be refused again. Followed up as an exception, answered final.
          const exceptionId = await deps.exceptions.raise({
            cause: 'CHANNEL_REJECTED',
            ref: `${event.id}:${match.rule.id}`,
            customerId: event.customerId,
            detail: {
              eventId: event.id,
              ruleId: match.rule.id,
              channel,
              offerCode: candidate.offerCode,
              error: err.message,
            },
          });
          offer = { ruleId: match.rule.id, offerCode: candidate.offerCode, channel, status: 'REJECTED', exceptionId };
        }
    }
    // An event for a customer no system knows: nothing is sent to anyone, and it is followed up.
    let exceptionId = offer?.exceptionId;
    if (offer?.reason === 'UNKNOWN_CUSTOMER' || (!offer && viewLoaded && view === null)) {
      exceptionId = await deps.exceptions.raise({
        cause: 'UNKNOWN_CUSTOMER',
        ref: event.id,
        customerId: event.customerId,
        detail: { eventId: event.id, type: event.type, at: event.at, ...(offer ? { ruleId: offer.ruleId } : {}) },
      });
      if (offer) offer = { ...offer, exceptionId };
    }
    await db
      .update(events)
      .set({ handledAt: sql`now()`, outcomes: { offer, viewLoaded, ...(exceptionId ? { exceptionId } : {}) } })
      .where(eq(events.id, event.id));
    handled.inc({ via, result: offer ? 'offer' : 'no_offer' });
    duration.observe((performance.now() - started) / 1000);
    return { eventId: event.id, duplicate: false, offer, viewLoaded, ...(exceptionId ? { exceptionId } : {}) };
  }
}
