/**
 * `POST /events/replies`: customers' replies by signed webhook from the channel gateway. The same signature scheme as
 * every event sender (inbound/events/signature.ts, secret `events.secrets.channels`), checked before the body is
 * parsed; then the reply schema (reply.ts), then the injected handler. Answers:
 *
 *     202 { "replyId": "…", "status": "RECORDED" | "DUPLICATE" | "UNMATCHED", "detail"?: … }
 *     400 BAD_REQUEST with extensions.problems (path, message, expected, given) when the body is not a reply
 *     401 UNAUTHENTICATED for a missing, wrong, stale or replayed signature
 *     503 EVENT_NOT_HANDLED when the handler failed: its signature is released, so the sender retries it as it is
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { ERROR_CATALOG, sendError } from '../../errors';
import { type BodyLimits, readSignedEvent, type EventVerifier } from '../../inbound';
import type { Problem } from '../../runtime/declarative';
import { storeErrorForLog } from '../../store';
import { parseChannelReply, type ReplyHandler } from './reply';

/** The source name whose secret signs replies (`events.secrets.channels`, UCV_CHANNELS_EVENTS_SECRET). */
export const REPLIES_SOURCE = 'channels';

/** The path the channel gateway delivers replies to. */
export const REPLIES_PATH = '/events/replies';

export function replyIntake(deps: {
  verifier: EventVerifier;
  handler: ReplyHandler;
  bodyLimits: BodyLimits;
  logger: Logger;
  registry?: Registry;
}) {
  const replies = new Counter({
    name: 'ucv_channel_replies_total',
    help: 'Customer replies from the channel gateway, by channel and result (RECORDED, DUPLICATE, UNMATCHED, INVALID, NOT_HANDLED).',
    labelNames: ['channel', 'result'] as const,
    registers: deps.registry ? [deps.registry] : [],
  });
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const signed = await readSignedEvent(req, res, REPLIES_SOURCE, deps.verifier, deps.bodyLimits);
    if (!signed) return;
    const parsed = parseChannelReply(signed.event);
    if (!parsed.ok) {
      replies.inc({ channel: 'unknown', result: 'INVALID' });
      return badReply(res, parsed.problems);
    }
    const { reply } = parsed;
    try {
      const result = await deps.handler.handle(reply);
      replies.inc({ channel: reply.channel, result: result.status });
      const body = JSON.stringify({
        replyId: reply.replyId,
        status: result.status,
        ...(result.detail === undefined ? {} : { detail: result.detail }),
      });
      res.writeHead(202, { 'content-type': 'application/json; charset=utf-8' }).end(body);
    } catch (err) {
      replies.inc({ channel: reply.channel, result: 'NOT_HANDLED' });
      // Logged by code and names only: a store error's message may quote the reply's values.
      deps.logger.warn({ err: storeErrorForLog(err), replyId: reply.replyId }, 'channel reply not handled');
      await signed.release();
      sendError(
        res,
        'EVENT_NOT_HANDLED',
        'The reply could not be handled now (e.g. the store failed). Retry it: a reply is handled once per replyId.',
      );
    }
  };
}

/** 400 BAD_REQUEST naming each problem: in the message, and in `extensions.problems` for a program. */
function badReply(res: ServerResponse, problems: Problem[]): void {
  const message = `The body is not a channel reply: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`;
  const body = JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_REQUEST', problems } }] });
  res
    .writeHead(ERROR_CATALOG.BAD_REQUEST.status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    })
    .end(body);
}
