/**
 * `POST /events/<source>`: a backend's change event, read through the one body reader, its signature verified
 * (signature.ts) before anything is parsed, then handed to the invalidator, which evicts what it makes stale.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { sendError } from '../../errors';
import { BodyError, parseJson, readJsonBytes, type BodyLimits } from '../http/body';
import type { Invalidator } from '../../backends/invalidation';
import { EVENTS_CHALLENGE, EventRefusal, type EventVerifier } from './signature';

/** Events are small; a larger body is refused before it is verified. */
const MAX_EVENT_BYTES = 16 * 1024;

/**
 * A signed webhook's event: the body read through the one body reader (at most 16 KiB), its signature over the bytes
 * as sent verified before anything is parsed. The event and the release of its signature (for a sender's retry),
 * or null once the refusal is sent (401 with the events' challenge, 400, 413, 415, replay …).
 */
export async function readSignedEvent(
  req: IncomingMessage,
  res: ServerResponse,
  source: string,
  verifier: EventVerifier,
  bodyLimits: BodyLimits,
): Promise<{ event: unknown; release: () => Promise<void> } | null> {
  try {
    // The signature first, over the bytes as sent: nothing of an unsigned body is parsed.
    const raw = await readJsonBytes(req, res, {
      ...bodyLimits,
      maxBytes: Math.min(bodyLimits.maxBytes, MAX_EVENT_BYTES),
    });
    const release = await verifier.verify(source, req.headers, raw);
    let event: unknown;
    try {
      event = parseJson(raw);
    } catch (err) {
      await release(); // the sender may send the event again, corrected, with this signature's timestamp
      throw err;
    }
    return { event, release };
  } catch (err) {
    if (err instanceof BodyError || err instanceof EventRefusal) {
      if (err.code === 'UNAUTHENTICATED') res.setHeader('www-authenticate', EVENTS_CHALLENGE);
      sendError(res, err.code, err.message);
      return null;
    }
    throw err;
  }
}

export function eventIntake(deps: { verifier: EventVerifier; invalidator: Invalidator; bodyLimits: BodyLimits }) {
  return async (req: IncomingMessage, res: ServerResponse, sourceName: string): Promise<void> => {
    const signed = await readSignedEvent(req, res, sourceName, deps.verifier, deps.bodyLimits);
    if (!signed) return;
    const { event, release } = signed;
    const result = await deps.invalidator.handle(sourceName, event);
    if (result === null)
      return sendError(res, 'BAD_REQUEST', `No source named "${sourceName}" understands this event.`);
    if (!result.applied) {
      // Not applied everywhere: say so, so the sender retries (with the same signature if it must), rather than let
      // instances serve the old record.
      await release();
      return sendError(res, 'CACHE_UNAVAILABLE');
    }
    res
      .writeHead(202, { 'content-type': 'application/json; charset=utf-8' })
      .end(JSON.stringify({ evicted: result.evicted }));
  };
}
