/**
 * Business rules as data: what a rule definition is (validated with zod, problems with their paths), how a set of
 * them compiles to a RuleSet (json-rules-engine), and what one would do for a sample customer (dry run).
 *
 * A rule:
 *
 *     { "id": "hk-roaming-data", "priority": 10,
 *       "when": { "all": [
 *         { "fact": "event", "path": "$.type", "operator": "equal", "value": "ROAMING_ENTERED" },
 *         { "fact": "event", "path": "$.data.region", "operator": "in", "value": ["Hong Kong", "Macau"] },
 *         { "fact": "view", "path": "$.insights.churnProbability", "operator": "lessThan", "value": 0.5 } ] },
 *       "then": { "offerCode": "DATA-HKMO", "channel": "PREFERRED",
 *                 "message": "Welcome to {{event.data.region}}: 1 GB for 30 CNY, reply Y." } }
 *
 * Facts are `event` (the customer event, gateway/marketing/events/customer-event.ts) and `view` (the customer's view as the
 * `marketing` role reads it, rules/view.ts). Event conditions are evaluated first (fact priority): the view is loaded
 * only for an event that passes them, so most events cost no view load at all.
 *
 * These are the functions the definitions store registers as kind `rule`: `validate`, `dryRun`,
 * and `compile` (its `apply` swaps the compiled RuleSet: rules/rule-set.ts `RuleSetHolder.swap`).
 */
import { Engine, Rule, type TopLevelCondition } from 'json-rules-engine';
import { z } from 'zod';
import { OPERATORS, type Condition as FieldCondition } from '../conditions';
import type { CustomerEvent } from '../events/customer-event';
import { isDuring, type During, type History, type Within } from '../history';
import { ruleViewQuery, type CustomerView } from './view';
import { checkWhen, kindsTested, resolvePath, toEngine, viewPaths, type RuleCatalog } from './when';

/** The operators a condition may use: json-rules-engine's built-in ones, the condition language's (conditions/). */
export { OPERATORS };

/** Where an offer goes: a fixed channel, or the customer's strongest electronic one. */
export const OFFER_CHANNELS = ['SMS', 'PUSH', 'EMAIL'] as const;
export type OfferChannel = (typeof OFFER_CHANNELS)[number];

/** `{{event.data.region}}`: the fact, then plain steps. */
const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;
const PLACEHOLDER_PATH = /^(event|view|offerCode)(\.[A-Za-z_][A-Za-z0-9_]*|\[\d{1,3}\])*$/;
/** A rule has at most this many conditions (rules/when.ts checks each against the catalog, and the depth). */
const MAX_LEAVES = 50;
const EVENT_TYPE = z.string().regex(/^[A-Z][A-Z0-9_]{1,63}$/, 'an event kind, e.g. ROAMING_ENTERED');
/** One condition: its shape and fields are checked against the catalog (rules/when.ts), with their paths. */
const ConditionSchema = z.record(z.unknown());

export const RuleDefinitionSchema = z
  .object({
    /** Stable id: the key of the rule in the admin API, in touchpoints (`ruleId`) and in the caps' records. */
    id: z.string().regex(/^[\w.-]{1,64}$/, '1 to 64 letters, digits, ".", "_" or "-"'),
    description: z.string().max(500).optional(),
    /** A disabled rule is kept but never matches. Default true. */
    enabled: z.boolean().default(true),
    /** When several rules match one event, only the highest priority's offer is sent (ties: the smaller id). 1-100, default 1. */
    priority: z.number().int().min(1).max(100).default(1),
    /**
     * The event kinds the rule answers (one, or a list): its `event.*` fields are theirs. Absent: any kind, tested by
     * an `event.type` condition (the first spelling of rules).
     */
    on: z.union([EVENT_TYPE, z.array(EVENT_TYPE).min(1).max(20)]).optional(),
    /** `{ all: [...] }` or `{ any: [...] }` (one of them): one object, so a missing or misspelt one gets a plain message. */
    when: z
      .object({
        all: z.array(ConditionSchema).min(1).max(MAX_LEAVES).optional(),
        any: z.array(ConditionSchema).min(1).max(MAX_LEAVES).optional(),
      })
      .strict()
      .refine((w) => (w.all === undefined) !== (w.any === undefined), 'either "all" or "any", not both'),
    then: z
      .object({
        offerCode: z.string().regex(/^[\w.-]{1,64}$/, '1 to 64 letters, digits, ".", "_" or "-"'),
        /** A fixed channel, or PREFERRED: the customer's strongest electronic channel (channels/preference.ts). Default PREFERRED. */
        channel: z.enum([...OFFER_CHANNELS, 'PREFERRED']).default('PREFERRED'),
        /** The text sent; `{{event.…}}`, `{{view.…}}` and `{{offerCode}}` are replaced (missing → empty). */
        message: z.string().min(1).max(500),
        /** `upsell` (default): never to a suspended customer or one in arrears; `care`: a service offer, allowed to them. */
        kind: z.enum(['upsell', 'care']).default('upsell'),
      })
      .strict(),
  })
  .strict();

export type RuleDefinition = z.infer<typeof RuleDefinitionSchema>;
export type RuleDefinitionInput = z.input<typeof RuleDefinitionSchema>;

export interface Problem {
  /** Where in the definition, e.g. `when.all.1.operator`. */
  path: string;
  message: string;
}

/** The kinds a rule is on, as a list ([] when it names none). */
export const kindsOf = (rule: Pick<RuleDefinition, 'on'>): string[] =>
  rule.on === undefined ? [] : Array.isArray(rule.on) ? rule.on : [rule.on];

/**
 * The definition, normalised (defaults filled), or every problem with its path. Never throws. With a catalog (the
 * event kinds and view fields in force), every condition is checked against it: an unknown field or kind, a wrong
 * type, an operator that does not fit are refused; without one only the shape is checked (a configured rule at
 * start, checked again against the catalog once the schema is built).
 */
export function validate(
  input: unknown,
  catalog?: RuleCatalog,
): { ok: true; rule: RuleDefinition } | { ok: false; problems: Problem[] } {
  const parsed = RuleDefinitionSchema.safeParse(input);
  if (!parsed.success) {
    const problems: Problem[] = parsed.error.issues
      .slice(0, 20)
      .map((i) => ({ path: i.path.join('.') || '(rule)', message: i.message }));
    // The conditions' problems too, so that one answer lists everything to fix.
    const when = (input as { when?: unknown } | null)?.when;
    if (when !== null && typeof when === 'object' && !problems.some((p) => p.path.startsWith('when')))
      problems.push(...checkWhen(when, catalog ?? null, []).slice(0, 10));
    return { ok: false, problems };
  }
  const rule = parsed.data;
  const problems: Problem[] = [];
  if (!catalog) problems.push(...checkWhen(rule.when, null, []));
  else {
    kindsOf(rule).forEach((kind, i) => {
      if (!catalog.kinds.has(kind))
        problems.push({
          path: Array.isArray(rule.on) ? `on.${i}` : 'on',
          message: `no event kind ${kind} is in force`,
          expected: [...catalog.kinds.keys()].join(', '),
          given: kind,
        } as Problem);
    });
    const on = kindsOf(rule).length ? kindsOf(rule) : kindsTested(rule.when);
    problems.push(
      ...checkWhen(
        rule.when,
        catalog,
        on.filter((k) => catalog.kinds.has(k)),
      ),
    );
  }
  for (const [, placeholder] of rule.then.message.matchAll(PLACEHOLDER)) {
    if (!PLACEHOLDER_PATH.test(placeholder ?? ''))
      problems.push({ path: 'then.message', message: `{{${placeholder}}} is not event.…, view.… or offerCode` });
    else if (catalog && placeholder?.startsWith('view.')) {
      // What a message reads of the view is selected by every view load, as conditions are: a field the rules' role
      // may not read, reads masked, or that no schema has would make that one operation fail (or null a section)
      // for every event of every rule, and a masked value must never be sent. Only the catalog's fields.
      const field = `customer.${placeholder.slice(5).replace(/\[\d+\]/g, '')}`;
      if (!Object.hasOwn(catalog.view, field))
        problems.push({
          path: 'then.message',
          message: `{{${placeholder}}} names no field of the view rules may read`,
          expected: 'a view field of the catalog, e.g. {{view.insights.segment}}',
          given: placeholder,
        } as Problem);
    }
  }
  if (problems.length === 0)
    try {
      // json-rules-engine's own checks (e.g. a condition it cannot read): a definition it refuses is refused here.
      new Rule({ conditions: conditionsOf(rule), event: { type: 'offer' } });
    } catch (err) {
      problems.push({ path: 'when', message: (err as Error).message });
    }
  return problems.length ? { ok: false, problems } : { ok: true, rule };
}

/** The rule's conditions for the engine: its `when`, and the kinds it is on first (cheap, so most events stop there). */
function conditionsOf(rule: RuleDefinition): TopLevelCondition {
  const when = toEngine(rule.when) as TopLevelCondition;
  const kinds = kindsOf(rule);
  if (kinds.length === 0) return when;
  return { all: [{ fact: 'event', path: 'type', operator: 'in', value: kinds }, when] } as TopLevelCondition;
}

/** The view paths the rules and their messages read (`insights.tags`): what the view load selects. */
export function viewPathsOf(rules: readonly RuleDefinition[]): string[] {
  const paths = new Set<string>();
  for (const rule of rules) {
    viewPaths(rule.when, paths);
    for (const [, placeholder] of rule.then.message.matchAll(PLACEHOLDER))
      if (placeholder?.startsWith('view.')) paths.add(placeholder.slice(5).replace(/\[\d+\]/g, ''));
  }
  return [...paths].sort();
}

/** A matched rule and what it asks for, the message rendered. */
export interface RuleMatch {
  rule: RuleDefinition;
  message: string;
}

/** Loads the customer's view (once per evaluation at most); null when the customer has none (unknown, or unavailable). */
export type ViewLoad = () => Promise<CustomerView | null>;

/**
 * The compiled rules: one json-rules-engine Engine. `evaluate` runs it for one event and answers the match to act
 * on: the highest-priority enabled rule whose conditions hold (one trigger, one answer), or null.
 */
export interface RuleSet {
  readonly rules: readonly RuleDefinition[];
  /** The view paths the enabled rules read (`insights.tags`): what a view load selects beyond the eligibility facts. */
  readonly viewPaths: readonly string[];
  /** The view load's operation for them (rules/view.ts ruleViewQuery), built once with the set, not per event. */
  readonly viewQuery: string;
  evaluate(
    event: CustomerEvent,
    loadView: ViewLoad,
    options?: { explain?: boolean },
  ): Promise<{ match: RuleMatch | null; viewLoaded: boolean; view: CustomerView | null; conditions: ConditionTrace[] }>;
}

/** One condition of a rule as it was judged for one event (a dry run shows these): held, did not, or not reached. */
export interface ConditionTrace {
  ruleId: string;
  /** The fact and its path or parameters, as the engine judged it. */
  fact: string;
  path?: string;
  params?: Record<string, unknown>;
  operator: string;
  value: unknown;
  /** What the fact was (the count, the minutes, the field's value); absent when it was not reached. */
  factResult?: unknown;
  /** true, false, or null when an earlier condition already decided. */
  held: boolean | null;
}

interface JudgedCondition {
  fact?: string;
  path?: string;
  params?: Record<string, unknown>;
  operator?: string;
  value?: unknown;
  factResult?: unknown;
  result?: boolean;
  all?: JudgedCondition[];
  any?: JudgedCondition[];
  not?: JudgedCondition;
}

/** Every leaf of the rules' judged conditions, in order. */
function explain(results: ReadonlyArray<{ name?: unknown; conditions?: unknown }>): ConditionTrace[] {
  const out: ConditionTrace[] = [];
  const walk = (ruleId: string, c: JudgedCondition | undefined): void => {
    if (!c) return;
    for (const child of [...(c.all ?? []), ...(c.any ?? [])]) walk(ruleId, child);
    if (c.not) walk(ruleId, c.not);
    if (c.fact === undefined) return;
    if (c.fact === 'input') return;
    out.push({
      ruleId,
      fact: c.fact,
      ...(c.path ? { path: c.path } : {}),
      ...(c.params ? { params: c.params } : {}),
      operator: String(c.operator),
      value: c.value,
      ...(c.result === undefined ? {} : { factResult: c.factResult }),
      held: c.result === undefined ? null : c.result,
    });
  };
  for (const r of results) walk(String(r.name), r.conditions as JudgedCondition);
  return out.slice(0, 200);
}

/** What rules over time read: the customers' event history (history/) and the operator's time zone. */
export interface RuleContext {
  history: History;
  timeZone: string;
}

/** Compiles validated definitions (each passed `validate`); throws on one that did not. */
export function compile(definitions: readonly RuleDefinition[], context?: RuleContext): RuleSet {
  const rules = [...definitions].sort((a, b) => b.priority - a.priority || a.id.localeCompare(b.id));
  const engine = new Engine([], {
    allowUndefinedFacts: true,
    replaceFactsInEventParams: false,
    // Dotted paths, projecting through lists (rules/when.ts): `products.code` is every product's code.
    pathResolver: (value: unknown, path: string) => resolvePath(value, path.replace(/^\$\.?/, '')),
  });
  // Facts by cost: the event first, then the time window, then history (one query), the view last. An `all` stops at
  // the first false group, so the view is loaded only for events that pass the rest.
  const inputOf = async (almanac: { factValue(id: string): Promise<unknown> }): Promise<Input> =>
    (await almanac.factValue('input')) as Input;
  engine.addFact('event', async (_params, almanac) => (await inputOf(almanac)).event, { priority: 10 });
  engine.addFact(
    'during',
    async (params, almanac) =>
      isDuring(
        new Date((await inputOf(almanac)).event.at),
        (params as { during: During }).during,
        context?.timeZone ?? 'Asia/Shanghai',
      ),
    { priority: 9 },
  );
  engine.addFact(
    'history',
    async (params, almanac) => {
      if (!context) return undefined;
      const p = params as { type: string; where?: FieldCondition; within: Within };
      return context.history.count((await inputOf(almanac)).event, p);
    },
    { priority: 5 },
  );
  engine.addFact(
    'dwell',
    async (params, almanac) => {
      if (!context) return undefined;
      const p = params as { type: string; where?: FieldCondition };
      return context.history.dwellMinutes((await inputOf(almanac)).event, p);
    },
    { priority: 5 },
  );
  engine.addFact('view', async (_params, almanac) => (await inputOf(almanac)).view(), { priority: 1 });
  for (const rule of rules) {
    if (!rule.enabled) continue;
    engine.addRule(
      new Rule({
        name: rule.id,
        priority: rule.priority,
        conditions: conditionsOf(rule),
        event: { type: 'offer', params: { ruleId: rule.id } },
      }),
    );
  }
  const byId = new Map(rules.map((r) => [r.id, r]));
  const enabled = rules.filter((r) => r.enabled);
  const paths = viewPathsOf(enabled);
  return {
    rules,
    viewPaths: paths,
    viewQuery: ruleViewQuery(paths),
    async evaluate(event, loadView, options) {
      let loaded: Promise<CustomerView | null> | undefined;
      const view = (): Promise<CustomerView | null> => (loaded ??= loadView());
      const { events, results, failureResults } = await engine.run({ input: { event, view } satisfies Input });
      const matched = events
        .map((e) => byId.get(String(e.params?.ruleId)))
        .filter((r): r is RuleDefinition => r !== undefined);
      matched.sort((a, b) => b.priority - a.priority || a.id.localeCompare(b.id));
      const rule = matched[0];
      const v = loaded ? await loaded : null;
      return {
        match: rule
          ? { rule, message: render(rule.then.message, { event, view: v, offerCode: rule.then.offerCode }) }
          : null,
        viewLoaded: loaded !== undefined,
        view: v,
        conditions: options?.explain ? explain([...results, ...failureResults]) : [],
      };
    },
  };
}

interface Input {
  event: CustomerEvent;
  view: () => Promise<CustomerView | null>;
}

/**
 * `{{a.b[0]}}` replaced by the value at that path of `facts`; missing or an object → empty. Own properties only:
 * `{{event.constructor}}` is empty, not the source text of a function.
 */
export function render(template: string, facts: Record<string, unknown>): string {
  return template.replace(PLACEHOLDER, (_all, path: string) => {
    let value: unknown = facts;
    for (const step of path.split(/\.|\[|\]/).filter(Boolean))
      value =
        value !== null && typeof value === 'object' && Object.hasOwn(value, step)
          ? (value as Record<string, unknown>)[step]
          : undefined;
    return value === null || value === undefined || typeof value === 'object' ? '' : String(value);
  });
}

/** Sample data of the built-in kinds: what the network sends most often. */
const SAMPLE_DATA: Record<string, Record<string, unknown>> = {
  ROAMING_ENTERED: { region: 'Hong Kong', scope: 'INTERNATIONAL' },
  HANDSET_ON: { missedCalls: 3 },
  DIRECTORY_ENQUIRY: { number: '114' },
  CALL_MADE: { callType: 'LONG_DISTANCE', calledNumber: '02088886666' },
  CELL_LOCATION: { cellId: 'CELL-0001', site: 'OTHER' },
  BALANCE_LOW: { balance: 5, threshold: 10 },
  PRODUCT_ORDERED: { productCode: 'P-DATA-10G' },
};

/**
 * A sample event of each kind the rule is on (of every built-in kind when it names none), for a dry run given no
 * events: the built-in kinds' usual data, a registered kind's made from its schema (the first allowed value, 1, true).
 */
export function sampleEvents(
  customerId: string,
  kinds: ReadonlyArray<{
    type: string;
    properties: Record<string, { type: string; enum?: string[] }>;
    required: string[];
  }>,
  at = new Date(),
): CustomerEvent[] {
  return kinds.map((kind) => {
    const data: Record<string, unknown> = { ...(SAMPLE_DATA[kind.type] ?? {}) };
    if (!SAMPLE_DATA[kind.type])
      for (const name of kind.required) {
        const p = kind.properties[name];
        data[name] =
          p?.enum?.[0] ??
          (p?.type === 'number' || p?.type === 'integer'
            ? 1
            : p?.type === 'boolean'
              ? true
              : p?.type === 'array'
                ? []
                : 'sample');
      }
    return {
      version: 1 as const,
      id: `dry-run-${kind.type.toLowerCase()}`,
      customerId,
      at: at.toISOString(),
      type: kind.type,
      data,
    };
  });
}

export interface DryRunResult {
  /** One entry per event tried: whether the rule matched, each condition as judged, and the offer it would send (never sent). */
  results: Array<{
    event: CustomerEvent;
    matched: boolean;
    conditions: ConditionTrace[];
    offer?: { offerCode: string; channel: OfferChannel | null; message: string };
  }>;
  /** Whether a customer's view could be loaded (null view: conditions over it are false). */
  viewLoaded: boolean;
}

/**
 * What the rule would do for each event given (a sample customer's sample events, or the last real events):
 * evaluated against each event's customer's real view, through the same protected path, over the real history,
 * without sending anything, recording anything or counting against caps.
 */
export async function dryRun(
  definition: RuleDefinition,
  events: readonly CustomerEvent[],
  deps: {
    loadView: (customerId: string) => Promise<CustomerView | null>;
    channelFor: (rule: RuleDefinition, view: CustomerView | null) => OfferChannel | null;
    context?: RuleContext;
  },
): Promise<DryRunResult> {
  const set = compile([{ ...definition, enabled: true }], deps.context);
  let viewLoaded = false;
  const results: DryRunResult['results'] = [];
  for (const event of events) {
    const { match, view, conditions } = await set.evaluate(
      event,
      async () => {
        const v = await deps.loadView(event.customerId);
        viewLoaded ||= v !== null;
        return v;
      },
      { explain: true },
    );
    if (!match) {
      results.push({ event, matched: false, conditions });
      continue;
    }
    const v = view ?? (await deps.loadView(event.customerId));
    results.push({
      event,
      matched: true,
      conditions,
      offer: { offerCode: match.rule.then.offerCode, channel: deps.channelFor(match.rule, v), message: match.message },
    });
  }
  return { results, viewLoaded };
}
