/**
 * `/admin/suppressions`: the suppression list (suppression.ts) for operators, behind the admin role.
 *
 *   GET    /admin/suppressions?limit=&after=   one page by customer id: { items, next } (next: pass as `after`)
 *   GET    /admin/suppressions/:customerId     { customerId, reason, by, at } | 404 SUPPRESSION_NOT_FOUND
 *   PUT    /admin/suppressions/:customerId     { "reason": "…" } → 200 the entry (who: the caller; when: now)
 *   DELETE /admin/suppressions/:customerId     → 200 the entry removed | 404 SUPPRESSION_NOT_FOUND
 *
 * Bad input is 400 BAD_REQUEST naming what is wrong; the store unreachable is 503 STORE_UNAVAILABLE (list unchanged).
 */
import express, { type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { sendError } from '../../errors';
import { adminCaller, adminJson, type AdminGuard, type BodyLimits } from '../../inbound';
import type { Store } from '../../store';
import { listSuppressions, suppress, suppressionOf, unsuppress } from './suppression';

export interface SuppressionRouteOptions extends AdminGuard {
  store: Store;
  bodyLimits: BodyLimits;
  logger: Logger;
}

/** Default and largest page size. */
export const DEFAULT_PAGE = 100;
export const MAX_PAGE = 1000;
const CUSTOMER_ID = /^[\w-]{1,64}$/;
const CUSTOMER_ID_HINT = '1 to 64 letters, digits, "-" or "_", e.g. C00000013';
const MAX_REASON = 500;

export function suppressionRouter(options: SuppressionRouteOptions): express.Router {
  const { store, logger } = options;
  const router = express.Router();
  const limits = { ...options.bodyLimits, maxBytes: Math.min(options.bodyLimits.maxBytes, 16 * 1024) };

  const route =
    (handler: (req: Request, res: Response, who: string) => Promise<void>) =>
    async (req: Request, res: Response): Promise<void> => {
      const who = await adminCaller(options, req, res, 'Managing the suppression list');
      if (!who) return;
      try {
        await handler(req, res, who);
      } catch (err) {
        logger.error({ err }, 'suppression list call failed');
        if (!res.headersSent)
          sendError(
            res,
            'STORE_UNAVAILABLE',
            'The durable store could not be reached; the suppression list is unchanged. Retry.',
          );
      }
    };

  /** The customer id of the path, or null once a 400 is sent. */
  const customerId = (req: Request, res: Response): string | null => {
    const id = String(req.params.customerId);
    if (CUSTOMER_ID.test(id)) return id;
    sendError(res, 'BAD_REQUEST', `customerId must be ${CUSTOMER_ID_HINT}.`);
    return null;
  };
  const notListed = (res: Response, id: string): void =>
    sendError(res, 'SUPPRESSION_NOT_FOUND', `Customer ${id} is not on the suppression list.`);

  router.get(
    '/admin/suppressions',
    route(async (req, res) => {
      const query = new URL(req.originalUrl, 'http://gateway').searchParams;
      const unknown = [...query.keys()].filter((k) => k !== 'limit' && k !== 'after');
      if (unknown.length > 0)
        return sendError(res, 'BAD_REQUEST', `Unknown query parameter ${unknown[0]}: expected limit and after.`);
      const limitText = query.get('limit');
      const limit = limitText === null ? DEFAULT_PAGE : Number(limitText);
      if (!Number.isInteger(limit) || limit < 1 || limit > MAX_PAGE)
        return sendError(res, 'BAD_REQUEST', `limit must be an integer from 1 to ${MAX_PAGE}.`);
      const after = query.get('after') ?? undefined;
      if (after !== undefined && !CUSTOMER_ID.test(after))
        return sendError(res, 'BAD_REQUEST', `after must be a customer id (${CUSTOMER_ID_HINT}).`);
      res.json(await listSuppressions(store, limit, after));
    }),
  );
  router.get(
    '/admin/suppressions/:customerId',
    route(async (req, res) => {
      const id = customerId(req, res);
      if (id === null) return;
      const found = await suppressionOf(store, id);
      if (found) res.json(found);
      else notListed(res, id);
    }),
  );
  router.put(
    '/admin/suppressions/:customerId',
    route(async (req, res, who) => {
      const id = customerId(req, res);
      if (id === null) return;
      const given = await adminJson(req, res, limits);
      if (!given.ok) return;
      const reason = (given.value as { reason?: unknown } | null)?.reason;
      if (typeof reason !== 'string' || reason.trim() === '' || reason.length > MAX_REASON) {
        return sendError(
          res,
          'BAD_REQUEST',
          `The body must be { "reason": "…" }: why the customer gets no offer, 1 to ${MAX_REASON} characters.`,
        );
      }
      const entry = await suppress(store, id, reason.trim(), who);
      logger.info({ customerId: id, by: who }, 'customer put on the suppression list');
      res.json(entry);
    }),
  );
  router.delete(
    '/admin/suppressions/:customerId',
    route(async (req, res, who) => {
      const id = customerId(req, res);
      if (id === null) return;
      const removed = await unsuppress(store, id);
      if (!removed) return notListed(res, id);
      logger.info({ customerId: id, by: who }, 'customer taken off the suppression list');
      res.json(removed);
    }),
  );
  router.all(['/admin/suppressions', '/admin/suppressions/:customerId'], (_req, res) =>
    sendError(res, 'METHOD_NOT_ALLOWED'),
  );
  return router;
}
