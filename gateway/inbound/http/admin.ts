/**
 * Who calls an admin route (`/admin/<kind>s`, `/admin/suppressions`, `/admin/audit`): the consumer's id when it has the admin role;
 * otherwise the answer is sent here (401 with a WWW-Authenticate challenge, 403 FORBIDDEN, 429 RATE_LIMITED with
 * Retry-After after too many failed authentications) and the result is null.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { sendError } from '../../errors';
import { BodyError, readJson, type BodyLimits } from './body';
import { personalAnswer } from './headers';

export interface AdminGuard {
  /** Resolves the caller, or rejects with a GraphQLError whose `extensions.code` is UNAUTHENTICATED or FORBIDDEN. */
  authenticate: (req: IncomingMessage) => Promise<{ id: string; role: string }>;
  role: string;
  /** The roles that may call, when more than `role` may (e.g. a campaign's launch). */
  roles?: readonly string[];
  logger: Logger;
}

/**
 * The admin caller's id, or null once the refusal is sent. `what` ends the 403's message: "Changing definitions".
 * Every answer of a route behind it, refusals included, is marked no-store and varies on the credentials: the
 * console's lists and the suppression list name customers, and a GET's URL alone must not key them in a cache.
 */
export async function adminCaller(
  guard: AdminGuard,
  req: IncomingMessage,
  res: ServerResponse,
  what: string,
): Promise<string | null> {
  personalAnswer(res, 'Authorization, X-Api-Key');
  try {
    const who = await guard.authenticate(req);
    const allowed = guard.roles ?? [guard.role];
    if (!allowed.includes(who.role)) {
      sendError(
        res,
        'FORBIDDEN',
        allowed.length === 1
          ? `${what} needs the role "${allowed[0]}".`
          : `${what} needs one of the roles ${allowed.map((r) => `"${r}"`).join(', ')}.`,
      );
      return null;
    }
    return who.id;
  } catch (err) {
    const code = (err as GraphQLError).extensions?.code;
    if (code === 'UNAUTHENTICATED') {
      // The identity plugin's own challenge (the schemes it accepts), else a bearer one.
      const challenge = (err as GraphQLError).extensions?.wwwAuthenticate;
      res.setHeader('www-authenticate', typeof challenge === 'string' ? challenge : 'Bearer realm="ucv-admin"');
      sendError(res, 'UNAUTHENTICATED', (err as GraphQLError).message);
    } else if (code === 'FORBIDDEN') sendError(res, 'FORBIDDEN', (err as GraphQLError).message);
    else if (code === 'RATE_LIMITED') {
      // Too many failed authentications from this address or for this identity (rate-limit/login-throttle.ts).
      const { retryAfterSeconds } = (err as GraphQLError).extensions as { retryAfterSeconds?: number };
      res.setHeader('retry-after', String(retryAfterSeconds ?? 1));
      sendError(res, 'RATE_LIMITED', (err as GraphQLError).message);
    } else {
      guard.logger.error({ err }, 'admin authentication failed');
      sendError(res, 'INTERNAL_SERVER_ERROR');
    }
    return null;
  }
}

/** An admin route's JSON body; a refusal (not JSON, too large, too slow, malformed) is sent here with its code. */
export async function adminJson(
  req: IncomingMessage,
  res: ServerResponse,
  limits: BodyLimits,
): Promise<{ ok: true; value: unknown } | { ok: false }> {
  try {
    const value = await readJson(req, res, limits);
    if (value === undefined) {
      sendError(res, 'UNSUPPORTED_MEDIA_TYPE', 'The request body must be application/json.');
      return { ok: false };
    }
    return { ok: true, value };
  } catch (err) {
    if (err instanceof BodyError) sendError(res, err.code, err.message);
    else sendError(res, 'BAD_REQUEST', 'The request body is not valid JSON.');
    return { ok: false };
  }
}
