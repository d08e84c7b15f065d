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
import { sendError } from '../errors';
import { BodyError, readJson, type BodyLimits } from '../http/body';
import { parseCustomerEvent } from './customer-event';
import type { EventHandler } from './handler';
import { EVENTS_CHALLENGE, EventRefusal, type EventVerifier } from './signature';

/** The source name whose secret signs customer events. */
export const CUSTOMER_EVENTS_SOURCE = 'network';
const MAX_EVENT_BYTES = 16 * 1024;

export function customerEventIntake(deps: { verifier: EventVerifier; handler: EventHandler; bodyLimits: BodyLimits; logger: Logger }) {
  const limits = { ...deps.bodyLimits, maxBytes: Math.min(deps.bodyLimits.maxBytes, MAX_EVENT_BYTES) };
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    let body: unknown;
    let release: () => Promise<void>;
    try {
      let raw: Buffer = Buffer.alloc(0);
      body = await readJson(req, res, limits, (bytes) => void (raw = bytes));
      release = await deps.verifier.verify(CUSTOMER_EVENTS_SOURCE, req.headers, raw);
    } catch (err) {
      if (err instanceof BodyError || err instanceof EventRefusal) {
        if (err.code === 'UNAUTHENTICATED') res.setHeader('www-authenticate', EVENTS_CHALLENGE);
        return sendError(res, err.code, err.message);
      }
      throw err;
    }
    const parsed = parseCustomerEvent(body);
    if (!parsed.ok) return sendError(res, 'BAD_REQUEST', `The event does not match the customer event schema: ${parsed.problems.join('; ')}`);
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
