/**
 * `POST /events/<source>`: a backend's change event, read through the one body reader, its signature verified
 * (signature.ts) before anything is parsed, then handed to the invalidator, which evicts what it makes stale.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError } from '../errors';
import { BodyError, readJson, type BodyLimits } from '../http/body';
import type { Invalidator } from '../invalidation';
import { EVENTS_CHALLENGE, EventRefusal, type EventVerifier } from './signature';

/** Change events are small; a larger body is refused before it is verified. */
const MAX_EVENT_BYTES = 16 * 1024;

export function eventIntake(deps: { verifier: EventVerifier; invalidator: Invalidator; bodyLimits: BodyLimits }) {
  const limits = { ...deps.bodyLimits, maxBytes: Math.min(deps.bodyLimits.maxBytes, MAX_EVENT_BYTES) };
  return async (req: IncomingMessage, res: ServerResponse, sourceName: string): Promise<void> => {
    let event: unknown;
    let release: () => Promise<void>;
    try {
      let raw: Buffer = Buffer.alloc(0);
      // The signature covers the bytes as sent: keep them, parse after verifying.
      event = await readJson(req, res, limits, (body) => void (raw = body));
      release = await deps.verifier.verify(sourceName, req.headers, raw);
    } catch (err) {
      if (err instanceof BodyError || err instanceof EventRefusal) {
        if (err.code === 'UNAUTHENTICATED') res.setHeader('www-authenticate', EVENTS_CHALLENGE);
        return sendError(res, err.code, err.message);
      }
      throw err;
    }
    const result = await deps.invalidator.handle(sourceName, event);
    if (result === null) return sendError(res, 'BAD_REQUEST', `No source named "${sourceName}" understands this event.`);
    if (!result.applied) {
      // Not applied everywhere: say so, so the sender retries (with the same signature if it must), rather than let
      // instances serve the old record.
      await release();
      return sendError(res, 'CACHE_UNAVAILABLE');
    }
    res.writeHead(202, { 'content-type': 'application/json; charset=utf-8' }).end(JSON.stringify({ evicted: result.evicted }));
  };
}
