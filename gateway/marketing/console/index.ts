/**
 * The marketing console's API (`/marketing/console`, docs/event-marketing.md "The console's API"): rules that business staff write, with four
 * eyes. A marketing user drafts a rule (the definitions kind `rule-draft`: validated against the catalog in force,
 * versioned, shared by every instance, never run); an approver, who is not the draft's author, publishes it (the
 * draft becomes the rule, kind `rule`, by the approver; the draft is removed). Both are in the history.
 *
 *   GET    /marketing/console/me                    who the caller is and what their role may do here
 *   GET    /marketing/console/catalog?on=A,B        what a condition may test: kinds' fields, the view's, operators
 *   GET    /marketing/console/rules                 every rule in force and every draft, each read as a sentence
 *   POST   /marketing/console/sentence              { definition } → { sentence: { zh, en } | null, problems }
 *   PUT    /marketing/console/rules/:id/draft       { definition } → { draft }   (authors)
 *   DELETE /marketing/console/rules/:id/draft                                    (authors)
 *   POST   /marketing/console/rules/:id/dry-run     { definition?, input } → { valid, problems, result } (nothing sent)
 *   POST   /marketing/console/rules/:id/publish     (approvers; 409 FOUR_EYES for the draft's author)
 *   GET    /marketing/console/rules/:id/history     drafts and published versions, newest first, each as a sentence
 *   POST   /marketing/console/rules/:id/rollback    { version } (approvers)
 *   POST   /marketing/console/rules/:id/enable | disable   (enable: approvers; disable: authors too: stopping is safe)
 *   GET    /marketing/console/campaigns             the campaigns in force with their run's state
 *   POST   /marketing/console/campaigns/:id/preview { sample? } → the audience's size (control group apart) and a
 *                                                   live sample's eligible share (authors; nothing is sent)
 *
 * Errors are the catalog's, as everywhere: 401/403, 404 DEFINITION_NOT_FOUND, 422 DEFINITION_REFUSED with the
 * problems' paths, 409 FOUR_EYES or DEFINITION_CONFLICT.
 */
import express, { type Request, type Response } from 'express';
import type { Logger } from 'pino';
import { sendError } from '../../errors';
import { adminCaller, adminJson, type AdminGuard, type BodyLimits } from '../../inbound';
import { sendDefinitionFailure } from '../../definitions/admin-router';
import {
  DefinitionNotFound,
  DefinitionRefused,
  type DefinitionKind,
  type DefinitionsStore,
  type Problem,
} from '../../definitions';
import type { OPERATORS } from '../conditions';
import { OPERATORS_BY_TYPE, type Language } from '../conditions';
import type { Campaigns } from '../campaigns';
import { kindsOf, validate, type RuleDefinition } from '../rules/definition';
import { ruleSentence, type RuleLabels } from '../rules/sentence';
import { eventCatalog, kindsTested, type RuleCatalog } from '../rules/when';
import type { EventKinds } from '../events/event-kind';

export const DRAFT_KIND = 'rule-draft';

/** What the console reads of marketing. */
export interface ConsoleMarketing {
  catalog(): RuleCatalog;
  readonly eventKinds: EventKinds;
  readonly rules: { readonly current: { readonly rules: readonly RuleDefinition[] } };
  readonly campaigns: Campaigns;
}

/** Rule drafts as kind `rule-draft`: checked as a rule is (its id the name), stored and versioned, never run. */
export function ruleDraftKind(marketing: Pick<ConsoleMarketing, 'catalog'>): DefinitionKind {
  const problems = (definition: unknown, name: string): Problem[] => {
    const checked = validate(definition, marketing.catalog());
    if (!checked.ok) return checked.problems;
    return checked.rule.id === name ? [] : [{ path: 'id', message: `must be "${name}", the name in the path` }];
  };
  return {
    kind: DRAFT_KIND,
    validate: problems,
    // Drafts run nothing: what is stored is what the console reads.
    apply: async () => undefined,
    notFound: (name) => `no draft of rule ${name}`,
  };
}

/** Chinese and English names of the operators, as forms offer them. */
export const OPERATOR_LABELS: Record<(typeof OPERATORS)[number], { zh: string; en: string }> = {
  equal: { zh: '等于', en: 'is' },
  notEqual: { zh: '不等于', en: 'is not' },
  in: { zh: '属于', en: 'is one of' },
  notIn: { zh: '不属于', en: 'is none of' },
  contains: { zh: '包含', en: 'includes' },
  doesNotContain: { zh: '不包含', en: 'does not include' },
  lessThan: { zh: '小于', en: 'less than' },
  lessThanInclusive: { zh: '不大于', en: 'at most' },
  greaterThan: { zh: '大于', en: 'greater than' },
  greaterThanInclusive: { zh: '不小于', en: 'at least' },
};

export interface ConsoleRouteOptions extends Omit<AdminGuard, 'role' | 'roles'> {
  definitions: DefinitionsStore;
  marketing: ConsoleMarketing;
  authorRoles: readonly string[];
  approverRoles: readonly string[];
  /** Roles that read the console's lists (the marketing reports' readers and the authors). */
  readRoles: readonly string[];
  bodyLimits: BodyLimits;
  logger: Logger;
}

const ID = /^[\w.-]{1,64}$/;

export function consoleRouter(options: ConsoleRouteOptions): express.Router {
  const { definitions, marketing, logger } = options;
  const router = express.Router();
  const guard = (roles: readonly string[]): AdminGuard => ({ ...options, role: roles[0] ?? 'admin', roles });
  const readers = [...new Set([...options.readRoles, ...options.authorRoles, ...options.approverRoles])];
  const authors = [...new Set([...options.authorRoles, ...options.approverRoles])];
  const fail = (res: Response, err: unknown): void => sendDefinitionFailure(res, err, logger);

  const labels = (): RuleLabels => ({
    kinds: new Map(
      marketing.eventKinds.types().map((t) => [t, marketing.eventKinds.get(t)?.kind.label ?? { zh: t, en: t }]),
    ),
  });
  const sentences = (definition: unknown): { zh: string; en: string } | null => {
    const checked = validate(definition, marketing.catalog());
    if (!checked.ok) return null;
    const rule = checked.rule;
    const on = kindsOf(rule).length ? kindsOf(rule) : kindsTested(rule.when);
    const catalog = marketing.catalog();
    const say = (lang: Language) => ruleSentence(rule, on, catalog, labels(), lang);
    return { zh: say('zh'), en: say('en') };
  };
  /** The caller when their role is one of `roles` (else answered 401/403), and the rule id of the path. */
  const start = async (req: Request, res: Response, roles: readonly string[], what: string) => {
    const who = await adminCaller(guard(roles), req, res, what);
    if (!who) return null;
    const id = String(req.params.id ?? '');
    if (req.params.id !== undefined && !ID.test(id)) {
      sendError(res, 'BAD_REQUEST', 'A rule id is 1 to 64 letters, digits, ".", "_" or "-".');
      return null;
    }
    return { who, id };
  };
  const body = async (req: Request, res: Response): Promise<Record<string, unknown> | null> => {
    const read = await adminJson(req, res, options.bodyLimits);
    if (!read.ok) return null;
    if (read.value === null || typeof read.value !== 'object' || Array.isArray(read.value)) {
      sendError(res, 'BAD_REQUEST', 'The body is a JSON object.');
      return null;
    }
    return read.value as Record<string, unknown>;
  };
  /** A JSON object body, or {} when there is none (an action without parameters). */
  const optionalBody = async (req: Request, res: Response): Promise<Record<string, unknown> | null> => {
    const length = req.headers['content-length'];
    if ((length === undefined || Number(length) === 0) && !req.headers['transfer-encoding']) return {};
    return body(req, res);
  };
  const currentRule = (id: string): RuleDefinition | undefined =>
    marketing.rules.current.rules.find((r) => r.id === id);

  router.get('/marketing/console/me', async (req, res) => {
    const who = await adminCaller(guard(readers), req, res, 'Reading the console');
    if (!who) return;
    const role = (await options.authenticate(req)).role;
    const approver = options.approverRoles.includes(role);
    const author = authors.includes(role);
    res.json({
      id: who,
      role,
      may: { draft: author, dryRun: author, disable: author, publish: approver, enable: approver, rollback: approver },
    });
  });

  router.get('/marketing/console/catalog', async (req, res) => {
    if (!(await start(req, res, readers, 'Reading the console'))) return;
    const catalog = marketing.catalog();
    const on =
      typeof req.query.on === 'string' && req.query.on
        ? req.query.on.split(',').filter((k) => catalog.kinds.has(k))
        : [];
    res.json({
      kinds: marketing.eventKinds.types().map((type) => {
        const kind = marketing.eventKinds.get(type);
        return {
          type,
          label: kind?.kind.label,
          source: kind?.kind.source,
          description: kind?.kind.description,
          fields: kind?.fields ?? {},
        };
      }),
      event: eventCatalog(catalog, on),
      view: catalog.view,
      operators: OPERATORS_BY_TYPE,
      operatorLabels: OPERATOR_LABELS,
      calendar: ['day', 'week', 'month', 'year'],
      channels: ['PREFERRED', 'SMS', 'PUSH', 'EMAIL'],
    });
  });

  router.get('/marketing/console/rules', async (req, res) => {
    if (!(await start(req, res, readers, 'Reading the console'))) return;
    try {
      const [published, drafts] = await Promise.all([definitions.current('rule'), definitions.current(DRAFT_KIND)]);
      const draftOf = (id: string) => {
        const d = drafts.get(id);
        return d
          ? { definition: d.definition, by: d.by, at: d.at, version: d.version, sentence: sentences(d.definition) }
          : null;
      };
      const inForce = marketing.rules.current.rules.map((rule) => {
        const stored = published.get(rule.id);
        return {
          id: rule.id,
          enabled: rule.enabled,
          priority: rule.priority,
          description: rule.description ?? null,
          origin: stored ? 'registered' : 'config',
          definition: rule,
          sentence: sentences(rule),
          ...(stored ? { version: stored.version, by: stored.by, at: stored.at } : {}),
          draft: draftOf(rule.id),
        };
      });
      const known = new Set(inForce.map((r) => r.id));
      const draftsOnly = [...drafts.keys()]
        .filter((id) => !known.has(id))
        .map((id) => ({
          id,
          enabled: false,
          priority: null,
          description: null,
          origin: 'draft',
          definition: null,
          sentence: null,
          draft: draftOf(id),
        }));
      res.json({ rules: [...inForce, ...draftsOnly] });
    } catch (err) {
      fail(res, err);
    }
  });

  router.post('/marketing/console/sentence', async (req, res) => {
    if (!(await start(req, res, readers, 'Reading the console'))) return;
    const given = await body(req, res);
    if (!given) return;
    const checked = validate(given.definition, marketing.catalog());
    res.json({ sentence: checked.ok ? sentences(checked.rule) : null, problems: checked.ok ? [] : checked.problems });
  });

  router.put('/marketing/console/rules/:id/draft', async (req, res) => {
    const caller = await start(req, res, authors, 'Drafting a rule');
    if (!caller) return;
    const given = await body(req, res);
    if (!given) return;
    try {
      const draft = await definitions.change(DRAFT_KIND, caller.id, given.definition ?? null, caller.who);
      res.json({ draft: { ...draft, sentence: sentences(draft.definition) } });
    } catch (err) {
      fail(res, err);
    }
  });

  router.delete('/marketing/console/rules/:id/draft', async (req, res) => {
    const caller = await start(req, res, authors, 'Discarding a draft');
    if (!caller) return;
    try {
      res.json(await definitions.change(DRAFT_KIND, caller.id, null, caller.who));
    } catch (err) {
      fail(res, err);
    }
  });

  router.post('/marketing/console/rules/:id/dry-run', async (req, res) => {
    const caller = await start(req, res, authors, 'Trying a rule');
    if (!caller) return;
    const given = await body(req, res);
    if (!given) return;
    const rule = definitions.kind('rule');
    try {
      let definition = given.definition;
      if (definition === undefined) {
        const draft = (await definitions.current(DRAFT_KIND)).get(caller.id);
        definition = draft?.definition ?? currentRule(caller.id);
      }
      if (definition === undefined) throw new DefinitionNotFound(`no rule or draft ${caller.id}`);
      const problems = (await rule?.validate(definition, caller.id)) ?? [];
      if (problems.length > 0 || !rule?.dryRun) return void res.json({ valid: problems.length === 0, problems });
      res.json({ valid: true, problems: [], result: await rule.dryRun(definition, given.input, caller.id) });
    } catch (err) {
      if (err instanceof DefinitionRefused) return void res.json({ valid: false, problems: err.problems });
      fail(res, err);
    }
  });

  router.post('/marketing/console/rules/:id/publish', async (req, res) => {
    const caller = await start(req, res, options.approverRoles, 'Publishing a rule');
    if (!caller) return;
    const given = await optionalBody(req, res);
    if (!given) return;
    const seen = given.version;
    if (seen !== undefined && (typeof seen !== 'number' || !Number.isInteger(seen)))
      return void sendError(
        res,
        'BAD_REQUEST',
        '"version" is the version of the draft the approver read, a whole number.',
      );
    try {
      const draft = (await definitions.current(DRAFT_KIND)).get(caller.id);
      if (!draft) throw new DefinitionNotFound(`rule ${caller.id} has no draft to publish`);
      if (draft.by === caller.who)
        return void sendError(
          res,
          'FOUR_EYES',
          `${caller.who} drafted this version of rule ${caller.id}: another approver (${options.approverRoles.join(', ')}) publishes it.`,
        );
      // The approver approves what they read: a draft changed since (its version given) is not published.
      if (seen !== undefined && seen !== draft.version)
        return void sendError(
          res,
          'DEFINITION_CONFLICT',
          `The draft of rule ${caller.id} is version ${draft.version} now, not ${seen}: read it again before publishing.`,
        );
      // The draft is taken first, on the version read: of two publishes (or a publish and an edit) at once only one
      // succeeds, and what is published is exactly the version whose author was checked.
      await definitions.change(DRAFT_KIND, caller.id, null, caller.who, { ifVersion: draft.version });
      let rule;
      try {
        rule = await definitions.change('rule', caller.id, draft.definition, caller.who);
      } catch (err) {
        // Not published (e.g. refused against today's catalog): the draft is put back as its author's.
        await definitions.change(DRAFT_KIND, caller.id, draft.definition, draft.by).catch((restore: unknown) => {
          logger.error({ err: restore, rule: caller.id }, 'could not put a draft back after a failed publish');
        });
        throw err;
      }
      res.json({ rule, draft: { by: draft.by, at: draft.at, version: draft.version } });
    } catch (err) {
      fail(res, err);
    }
  });

  router.get('/marketing/console/rules/:id/history', async (req, res) => {
    const caller = await start(req, res, readers, 'Reading a rule’s history');
    if (!caller) return;
    try {
      const [published, drafts] = await Promise.all([
        definitions.history('rule', caller.id),
        definitions.history(DRAFT_KIND, caller.id),
      ]);
      // `kind` says which: a published version (`rule`) or a draft.
      const items = [...published, ...drafts.map((e) => ({ ...e, kind: 'draft' }))]
        .sort((a, b) => b.version - a.version)
        .map((e) => ({ ...e, sentence: e.definition === null ? null : sentences(e.definition) }));
      res.json({ items });
    } catch (err) {
      fail(res, err);
    }
  });

  router.post('/marketing/console/rules/:id/rollback', async (req, res) => {
    const caller = await start(req, res, options.approverRoles, 'Rolling a rule back');
    if (!caller) return;
    const given = await body(req, res);
    if (!given) return;
    if (typeof given.version !== 'number' || !Number.isInteger(given.version))
      return void sendError(res, 'BAD_REQUEST', '"version" is required: the version to make current again.');
    try {
      res.json(await definitions.rollback('rule', caller.id, given.version, caller.who));
    } catch (err) {
      fail(res, err);
    }
  });

  for (const [action, enabled] of [
    ['enable', true],
    ['disable', false],
  ] as const)
    router.post(`/marketing/console/rules/:id/${action}`, async (req, res) => {
      const caller = await start(
        req,
        res,
        enabled ? options.approverRoles : authors,
        enabled ? 'Switching a rule on' : 'Switching a rule off',
      );
      if (!caller) return;
      const rule = currentRule(caller.id);
      try {
        if (!rule) throw new DefinitionNotFound(`no rule ${caller.id} is in force`);
        res.json(await definitions.change('rule', caller.id, { ...rule, enabled }, caller.who));
      } catch (err) {
        fail(res, err);
      }
    });

  router.get('/marketing/console/campaigns', async (req, res) => {
    if (!(await start(req, res, readers, 'Reading the console'))) return;
    try {
      const stored = await definitions.current('campaign');
      const campaigns = await Promise.all(
        [...stored.values()].map(async (e) => {
          const run = await marketing.campaigns.run(e.name);
          const d = e.definition as { name?: string; description?: string; offer?: unknown } | null;
          return {
            id: e.name,
            name: d?.name ?? e.name,
            description: d?.description ?? null,
            offer: d?.offer ?? null,
            version: e.version,
            owner: e.by,
            updatedAt: e.at,
            state: run?.state ?? 'draft',
            run,
          };
        }),
      );
      res.json({ campaigns });
    } catch (err) {
      fail(res, err);
    }
  });

  router.post('/marketing/console/campaigns/:id/preview', async (req, res) => {
    const caller = await start(req, res, authors, 'Previewing a campaign’s audience');
    if (!caller) return;
    const given = await body(req, res);
    if (!given) return;
    const kind = definitions.kind('campaign');
    try {
      const stored = (await definitions.current('campaign')).get(caller.id);
      if (!stored || !kind?.dryRun) throw new DefinitionNotFound(`no campaign ${caller.id}`);
      const result = await kind.dryRun(stored.definition, { sample: given.sample ?? 20 }, caller.id);
      res.json({ valid: true, problems: [], result });
    } catch (err) {
      if (err instanceof DefinitionRefused) return void res.json({ valid: false, problems: err.problems });
      fail(res, err);
    }
  });

  return router;
}
