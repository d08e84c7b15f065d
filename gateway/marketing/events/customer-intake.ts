/**
 * `POST /events/network`: a customer event by signed webhook. The same signature scheme as the change events
 * (signature.ts, secret `events.secrets.network`), checked before the body is parsed; then the event schema
 * (customer-event.ts), then the handler. Answers 202 once the event is handled and stored, with what it did:
 *
 *     { "eventId": "…", "duplicate": false, "offer": { "ruleId", "offerCode", "channel", "status", … } | null }
 *
 * An event that cannot be handled now (store, view or channel gateway failing) answers 503 EVENT_NOT_HANDLED and
 * its signature is released, so the sender may retry it as it is.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { sendError } from '../../errors';
import { type BodyLimits, readSignedEvent, type EventVerifier } from '../../inbound';
import { parseCustomerEvent } from './customer-event';
import type { EventHandler } from './handler';
import type { EventKinds } from './event-kind';

/** The source name whose secret signs customer events. */
export const CUSTOMER_EVENTS_SOURCE = 'network';

export function customerEventIntake(deps: {
  verifier: EventVerifier;
  handler: EventHandler;
  /** The event kinds in force: an event's data is checked against its kind's schema. */
  kinds: EventKinds;
  bodyLimits: BodyLimits;
  logger: Logger;
}) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const signed = await readSignedEvent(req, res, CUSTOMER_EVENTS_SOURCE, deps.verifier, deps.bodyLimits);
    if (!signed) return;
    const { event: body, release } = signed;
    const parsed = parseCustomerEvent(body, deps.kinds);
    if (!parsed.ok)
      return sendError(
        res,
        'BAD_REQUEST',
        `The event does not match the customer event schema: ${parsed.problems.join('; ')}`,
      );
    try {
      const result = await deps.handler.handle(parsed.event, 'webhook');
      res.writeHead(202, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify(result));
    } catch (err) {
      deps.logger.warn({ err, eventId: parsed.event.id }, 'customer event not handled');
      await release();
      sendError(res, 'EVENT_NOT_HANDLED');
    }
  };
}
