/**
 * The admin API of the definitions store, one router generic by kind: `/admin/<kind>s` (adapters now; rules get
 * theirs by registering kind `rule`). Behind the `admin.role` role (API key, JWT or Basic, like /admin/audit).
 *
 *   GET    /admin/<kind>s                      the current definitions, with version, who and when
 *   GET    /admin/<kind>s/:name                one
 *   POST   /admin/<kind>s/:name/validate       dry run: { problems, result } (adapters: the schema diff); nothing changes
 *   PUT    /admin/<kind>s/:name                register or replace: 200 with the new version, or 422 DEFINITION_REFUSED
 *   DELETE /admin/<kind>s/:name                remove
 *   GET    /admin/<kind>s/:name/history        every kept version
 *   POST   /admin/<kind>s/:name/rollback       { "version": n }: make version n current again (validated like a put)
 *
 * A refusal answers 422 DEFINITION_REFUSED with `extensions.problems` (path, message, expected, given) and leaves
 * the running gateway as it was.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type NextFunction, type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { ERROR_CATALOG, sendError } from '../errors';
import { adminCaller, adminJson, type BodyLimits } from '../inbound';
import {
  DefinitionConflict,
  DefinitionNotFound,
  DefinitionRefused,
  type DefinitionsStore,
  type Problem,
} from './index';

export interface AdminRouterOptions {
  store: DefinitionsStore;
  authenticate: (req: IncomingMessage) => Promise<{ id: string; role: string }>;
  role: string;
  logger: Logger;
  bodyLimits: BodyLimits;
}

const refused = (res: ServerResponse, problems: Problem[]): void => {
  const body = JSON.stringify({
    errors: [
      { message: ERROR_CATALOG.DEFINITION_REFUSED.message, extensions: { code: 'DEFINITION_REFUSED', problems } },
    ],
  });
  res
    .writeHead(422, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(body) })
    .end(body);
};

/** A definitions store's refusal answered with its catalog code (422 with the problems, 404, 409); anything else 500, logged. */
export function sendDefinitionFailure(res: ServerResponse, err: unknown, logger: Logger): void {
  if (err instanceof DefinitionRefused) return refused(res, err.problems);
  if (err instanceof DefinitionNotFound) return sendError(res, 'DEFINITION_NOT_FOUND', err.message);
  if (err instanceof DefinitionConflict) return sendError(res, 'DEFINITION_CONFLICT');
  logger.error({ err }, 'definitions call failed');
  sendError(res, 'INTERNAL_SERVER_ERROR');
}

export function definitionsAdminRouter(options: AdminRouterOptions): express.Router {
  const { store, logger } = options;
  const router = express.Router();

  /** Admin callers only; the caller's id is who made the change. */
  const caller = (req: Request, res: Response): Promise<string | null> =>
    adminCaller(options, req, res, 'Changing definitions');

  const body = (req: Request, res: Response): Promise<{ ok: true; value: unknown } | { ok: false }> =>
    adminJson(req, res, options.bodyLimits);

  const fail = (res: Response, err: unknown): void => sendDefinitionFailure(res, err, logger);

  /** Resolves `:kinds` (plural) to a registered kind; null for any other /admin path (e.g. /admin/audit). */
  const kindOf = (req: Request): string | null => {
    return store.kindOfPlural(String(req.params.kinds))?.kind ?? null;
  };

  const route =
    (handler: (req: Request, res: Response, kind: string, who: string) => Promise<void>) =>
    async (req: Request, res: Response, next: NextFunction): Promise<void> => {
      const kind = kindOf(req);
      if (!kind) return next();
      const who = await caller(req, res);
      if (!who) return;
      try {
        await handler(req, res, kind, who);
      } catch (err) {
        fail(res, err);
      }
    };

  const name = (req: Request): string => String(req.params.name);

  const missing = (kind: string, req: Request): DefinitionNotFound =>
    new DefinitionNotFound(store.kind(kind)?.notFound?.(name(req)) ?? `no ${kind} named ${name(req)}`);

  router.get(
    '/admin/:kinds',
    route(async (_req, res, kind) => {
      const inForce = store.kind(kind)?.inForce?.();
      res.json({
        version: store.version,
        items: [...(await store.current(kind)).values()],
        ...(inForce === undefined ? {} : { inForce }),
      });
    }),
  );
  router.get(
    '/admin/:kinds/:name',
    route(async (req, res, kind) => {
      const entry = (await store.current(kind)).get(name(req));
      if (!entry) throw missing(kind, req);
      res.json(entry);
    }),
  );
  router.get(
    '/admin/:kinds/:name/history',
    route(async (req, res, kind) => {
      const versions = await store.history(kind, name(req));
      if (versions.length === 0) throw missing(kind, req);
      res.json({ items: versions });
    }),
  );
  router.post(
    '/admin/:kinds/:name/validate',
    route(async (req, res, kind) => {
      const given = await body(req, res);
      if (!given.ok) return;
      const handler = store.kind(kind);
      const { definition, input } = (given.value ?? {}) as { definition?: unknown; input?: unknown };
      // The definition alone, or { definition, input } for kinds whose dry run takes an input (rules).
      const def = definition === undefined ? given.value : definition;
      const problems = (await handler?.validate(def, name(req))) ?? [];
      if (problems.length > 0 || !handler?.dryRun) return void res.json({ valid: problems.length === 0, problems });
      try {
        res.json({ valid: true, problems: [], result: await handler.dryRun(def, input, name(req)) });
      } catch (err) {
        if (err instanceof DefinitionRefused) return void res.json({ valid: false, problems: err.problems });
        throw err;
      }
    }),
  );
  router.put(
    '/admin/:kinds/:name',
    route(async (req, res, kind, who) => {
      const given = await body(req, res);
      if (!given.ok) return;
      res.json(await store.change(kind, name(req), given.value, who));
    }),
  );
  router.delete(
    '/admin/:kinds/:name',
    route(async (req, res, kind, who) => {
      res.json(await store.change(kind, name(req), null, who));
    }),
  );
  router.post(
    '/admin/:kinds/:name/rollback',
    route(async (req, res, kind, who) => {
      const given = await body(req, res);
      if (!given.ok) return;
      const version = (given.value as { version?: unknown } | null)?.version;
      if (!Number.isInteger(version))
        return refused(res, [
          { path: 'version', message: 'the version to roll back to', expected: 'an integer', given: String(version) },
        ]);
      res.json(await store.rollback(kind, name(req), version as number, who));
    }),
  );
  return router;
}
