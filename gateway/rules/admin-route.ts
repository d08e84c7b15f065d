/**
 * `/admin/rules`: business rules managed without code, behind admin credentials. A minimal, in-memory API for this
 * branch; the lead folds it into the generic definitions router (kind `rule`), which stores versions and
 * propagates them to every instance, calling the same `validate`, `dryRun` and `RuleSetHolder.swap`.
 *
 *   GET    /admin/rules                        → { version, rules: [{ rule, version, updatedBy, updatedAt }] }
 *   PUT    /admin/rules/<id>                   body: a rule → 200 { rule, version } | 400 BAD_REQUEST with problems
 *   DELETE /admin/rules/<id>                   → 204 | 404 ROUTE_NOT_FOUND
 *   POST   /admin/rules/validate               body: a rule → { ok, problems? }
 *   POST   /admin/rules/dry-run?customerId=<id> body: a rule → what it would do for each sample event (sends nothing)
 *
 * A put or delete applies to the next event (the RuleSet is swapped whole), without a restart.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { preferredChannel } from '../channels/preference';
import { sendError } from '../errors';
import { BodyError, readJson, type BodyLimits } from '../http/body';
import type { Consumer } from '../pipeline/context';
import { dryRun, validate, type RuleDefinition } from './definition';
import type { RuleSetHolder } from './rule-set';
import type { ViewLoader } from './view';

export interface RulesRouteOptions {
  holder: RuleSetHolder;
  views: ViewLoader;
  authenticate: (req: IncomingMessage) => Promise<Consumer>;
  adminRole: string;
  bodyLimits: BodyLimits;
  logger: Logger;
}

interface Entry {
  rule: RuleDefinition;
  version: number;
  updatedBy: string;
  updatedAt: string;
}

const send = (res: ServerResponse, status: number, body: unknown): void => {
  const text = JSON.stringify(body);
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text);
};

const badRule = (res: ServerResponse, problems: Array<{ path: string; message: string }>): void => {
  const text = JSON.stringify({ errors: [{ message: `The rule is not valid: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`, extensions: { code: 'BAD_REQUEST', problems } }] });
  res.writeHead(400, { 'content-type': 'application/json; charset=utf-8', 'content-length': Buffer.byteLength(text) }).end(text);
};

export function rulesRoute(options: RulesRouteOptions) {
  const entries = new Map<string, Entry>(options.holder.current.rules.map((rule) => [rule.id, { rule, version: 1, updatedBy: 'config', updatedAt: new Date().toISOString() }]));
  const apply = (): void => options.holder.swap([...entries.values()].map((e) => e.rule));
  const limits = { ...options.bodyLimits, maxBytes: Math.min(options.bodyLimits.maxBytes, 64 * 1024) };

  return async (req: IncomingMessage, res: ServerResponse, subPath: string): Promise<void> => {
    let caller: Consumer;
    try {
      caller = await options.authenticate(req);
    } catch (err) {
      const code = err instanceof GraphQLError ? err.extensions.code : undefined;
      if (code === 'UNAUTHENTICATED') {
        res.setHeader('www-authenticate', 'Bearer realm="ucv-admin"');
        return sendError(res, 'UNAUTHENTICATED', (err as GraphQLError).message);
      }
      options.logger.error({ err }, 'admin authentication failed unexpectedly');
      return sendError(res, 'INTERNAL_SERVER_ERROR');
    }
    if (caller.role !== options.adminRole) return sendError(res, 'FORBIDDEN', `Managing rules needs the role "${options.adminRole}".`);

    const url = new URL(req.url ?? '/', 'http://gateway');
    const parts = subPath.split('/').filter(Boolean);
    const readBody = async (): Promise<unknown> => {
      try {
        return await readJson(req, res, limits);
      } catch (err) {
        if (err instanceof BodyError) {
          sendError(res, err.code, err.message);
          return undefined;
        }
        throw err;
      }
    };

    if (parts.length === 0) {
      if (req.method !== 'GET') return sendError(res, 'METHOD_NOT_ALLOWED');
      return send(res, 200, { version: options.holder.version, rules: [...entries.values()] });
    }
    if (parts.length !== 1) return sendError(res, 'ROUTE_NOT_FOUND');
    const [name] = parts as [string];

    if (name === 'validate' || name === 'dry-run') {
      if (req.method !== 'POST') return sendError(res, 'METHOD_NOT_ALLOWED');
      const body = await readBody();
      if (body === undefined) return;
      const checked = validate(body);
      if (name === 'validate') return send(res, 200, checked.ok ? { ok: true } : { ok: false, problems: checked.problems });
      if (!checked.ok) return badRule(res, checked.problems);
      const customerId = url.searchParams.get('customerId') ?? '';
      if (!/^[\w-]{1,64}$/.test(customerId)) return sendError(res, 'BAD_REQUEST', 'customerId must be 1 to 64 letters, digits, "-" or "_", e.g. C00000001.');
      const result = await dryRun(checked.rule, customerId, {
        loadView: (id) => options.views.load(id),
        channelFor: (rule, view) => preferredChannel(rule.then.channel, view?.insights?.channelPreferences),
      });
      return send(res, 200, result);
    }

    if (!/^[\w.-]{1,64}$/.test(name)) return sendError(res, 'ROUTE_NOT_FOUND');
    if (req.method === 'DELETE') {
      if (!entries.delete(name)) return sendError(res, 'ROUTE_NOT_FOUND', `There is no rule "${name}".`);
      apply();
      options.logger.info({ ruleId: name, by: caller.id }, 'rule deleted');
      res.writeHead(204).end();
      return;
    }
    if (req.method === 'GET') {
      const entry = entries.get(name);
      return entry ? send(res, 200, entry) : sendError(res, 'ROUTE_NOT_FOUND', `There is no rule "${name}".`);
    }
    if (req.method !== 'PUT') return sendError(res, 'METHOD_NOT_ALLOWED');
    const body = await readBody();
    if (body === undefined) return;
    const checked = validate(body);
    if (!checked.ok) return badRule(res, checked.problems);
    if (checked.rule.id !== name) return badRule(res, [{ path: 'id', message: `must be "${name}", the id in the path` }]);
    const entry: Entry = { rule: checked.rule, version: (entries.get(name)?.version ?? 0) + 1, updatedBy: caller.id, updatedAt: new Date().toISOString() };
    entries.set(name, entry);
    apply();
    options.logger.info({ ruleId: name, version: entry.version, by: caller.id }, 'rule put');
    return send(res, 200, { ...entry, ruleSetVersion: options.holder.version });
  };
}
