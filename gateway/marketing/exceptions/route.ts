/**
 * `/marketing/exceptions`: the queue of abnormal information (exceptions/index.ts), for the people who follow it up.
 *
 *   GET  /marketing/exceptions?state=open&cause=UNKNOWN_CUSTOMER&limit=50&before=<next>   newest first
 *   GET  /marketing/exceptions/counts          per state and cause
 *   GET  /marketing/exceptions/:id
 *   POST /marketing/exceptions/:id/assign     { "assignee": "li.wei" }
 *   POST /marketing/exceptions/:id/resolve    { "resolution": "customer re-registered, offer re-sent by hand" }
 *
 * Reading and acting need one of `marketing.campaigns.readRoles` (marketing, admin by default); who assigned or
 * resolved is the caller. 404 EXCEPTION_NOT_FOUND; 409 EXCEPTION_RESOLVED for a change to a resolved one; the store
 * down is 503 STORE_UNAVAILABLE.
 */
import express, { type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { sendError } from '../../errors';
import { adminCaller, type AdminGuard } from '../../inbound';
import { EXCEPTION_CAUSES, EXCEPTION_STATES, type ExceptionCause, type ExceptionState, type Exceptions } from '.';

export interface ExceptionRouteOptions extends Omit<AdminGuard, 'role' | 'roles'> {
  exceptions: Exceptions;
  roles: readonly string[];
  logger: Logger;
}

const ID = /^exc-[0-9a-f-]{36}$/;
/** Text a person typed: 1 to 500 characters, no control characters other than line breaks and tabs. */
const isText = (value: string): boolean =>
  value.length >= 1 &&
  value.length <= 500 &&
  ![...value].some((c) => c < ' ' && c !== '\n' && c !== '\t' && c !== '\r');

export function exceptionRouter(options: ExceptionRouteOptions): express.Router {
  const { exceptions, logger } = options;
  const router = express.Router();
  const guard: AdminGuard = { ...options, role: options.roles[0] ?? 'admin', roles: options.roles };
  const failed = (res: Response, err: unknown): void => {
    logger.error({ err: (err as Error).message }, 'exception queue call failed');
    if (!res.headersSent)
      sendError(res, 'STORE_UNAVAILABLE', 'The durable store could not be reached; nothing was changed. Retry.');
  };

  router.get('/marketing/exceptions', async (req: Request, res: Response): Promise<void> => {
    if (!(await adminCaller(guard, req, res, 'Reading the exception queue'))) return;
    const q = req.query;
    // Each parameter once, as text: a repeated one (`limit=5&limit=6`) or a bracketed one (`state[]=open`) is not
    // silently read as no filter.
    const odd = ['state', 'cause', 'limit', 'before'].find((k) => q[k] !== undefined && typeof q[k] !== 'string');
    if (odd) return void sendError(res, 'BAD_REQUEST', `${odd} is given once, as text.`);
    const unknown = Object.keys(q).find((k) => !['state', 'cause', 'limit', 'before'].includes(k));
    if (unknown) return void sendError(res, 'BAD_REQUEST', `unknown query parameter ${unknown.slice(0, 40)}.`);
    const state = typeof q.state === 'string' ? q.state : undefined;
    const cause = typeof q.cause === 'string' ? q.cause : undefined;
    const limit = q.limit === undefined ? 50 : Number(q.limit);
    const before = typeof q.before === 'string' ? q.before : undefined;
    if (state !== undefined && !(EXCEPTION_STATES as readonly string[]).includes(state))
      return void sendError(res, 'BAD_REQUEST', `state is one of ${EXCEPTION_STATES.join(', ')}.`);
    if (cause !== undefined && !(EXCEPTION_CAUSES as readonly string[]).includes(cause))
      return void sendError(res, 'BAD_REQUEST', `cause is one of ${EXCEPTION_CAUSES.join(', ')}.`);
    if (!Number.isInteger(limit) || limit < 1 || limit > 200)
      return void sendError(res, 'BAD_REQUEST', 'limit is a whole number from 1 to 200.');
    // The `next` of a page (`<createdAt>|<id>`), or a date-time the store can compare: "YYYY-MM-DDTHH:MM…" (a
    // five-digit year, or "1", would pass Date.parse).
    const [beforeAt = '', beforeId] = before?.split('|') ?? [];
    if (
      before !== undefined &&
      (!/^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}/.test(beforeAt) ||
        Number.isNaN(Date.parse(beforeAt)) ||
        (beforeId !== undefined && !ID.test(beforeId)))
    )
      return void sendError(res, 'BAD_REQUEST', 'before is the "next" of a page, or an ISO 8601 date-time.');
    try {
      const items = await exceptions.list({
        ...(state ? { state: state as ExceptionState } : {}),
        ...(cause ? { cause: cause as ExceptionCause } : {}),
        limit,
        ...(before ? { before } : {}),
      });
      const last = items.length === limit ? items[items.length - 1] : undefined;
      res.json({ items, next: last ? `${last.createdAt}|${last.id}` : null });
    } catch (err) {
      failed(res, err);
    }
  });

  router.get('/marketing/exceptions/counts', async (req: Request, res: Response): Promise<void> => {
    if (!(await adminCaller(guard, req, res, 'Reading the exception queue'))) return;
    try {
      res.json(await exceptions.counts());
    } catch (err) {
      failed(res, err);
    }
  });

  router.get('/marketing/exceptions/:id', async (req: Request, res: Response): Promise<void> => {
    if (!(await adminCaller(guard, req, res, 'Reading the exception queue'))) return;
    const id = String(req.params.id);
    if (!ID.test(id)) return void sendError(res, 'EXCEPTION_NOT_FOUND', `no exception ${id.slice(0, 80)}`);
    try {
      const found = await exceptions.get(id);
      if (!found) return void sendError(res, 'EXCEPTION_NOT_FOUND', `no exception ${id}`);
      res.json(found);
    } catch (err) {
      failed(res, err);
    }
  });

  const change =
    (
      what: string,
      field: 'assignee' | 'resolution',
      act: (id: string, value: string, who: string) => Promise<unknown>,
    ) =>
    async (req: Request, res: Response): Promise<void> => {
      const who = await adminCaller(guard, req, res, what);
      if (!who) return;
      const id = String(req.params.id);
      const value = (req.body as Record<string, unknown> | undefined)?.[field];
      if (!ID.test(id)) return void sendError(res, 'EXCEPTION_NOT_FOUND', `no exception ${id.slice(0, 80)}`);
      if (typeof value !== 'string' || !isText(value))
        return void sendError(res, 'BAD_REQUEST', `"${field}" is required: 1 to 500 characters of text.`);
      try {
        const changed = await act(id, value, who);
        if (changed) return void res.json(changed);
        const found = await exceptions.get(id);
        sendError(
          res,
          found ? 'EXCEPTION_RESOLVED' : 'EXCEPTION_NOT_FOUND',
          found ? `exception ${id} was resolved by ${found.resolvedBy} at ${found.resolvedAt}` : `no exception ${id}`,
        );
      } catch (err) {
        failed(res, err);
      }
    };
  const json = express.json({ limit: '8kb' });
  router.post(
    '/marketing/exceptions/:id/assign',
    json,
    change('Assigning an exception', 'assignee', (id, v) => exceptions.assign(id, v)),
  );
  router.post(
    '/marketing/exceptions/:id/resolve',
    json,
    change('Resolving an exception', 'resolution', (id, v, who) => exceptions.resolve(id, who, v)),
  );
  return router;
}
