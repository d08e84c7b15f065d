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
import { OPERATORS } from '../conditions';
import { EVENT_TYPES, type CustomerEvent } from '../events/customer-event';
import type { CustomerView } from './view';

/** The operators a condition may use: json-rules-engine's built-in ones, the condition language's (conditions/). */
export { OPERATORS };

/** Where an offer goes: a fixed channel, or the customer's strongest electronic one. */
export const OFFER_CHANNELS = ['SMS', 'PUSH', 'EMAIL'] as const;
export type OfferChannel = (typeof OFFER_CHANNELS)[number];

/** A plain JSONPath into the fact: `$`, `.name` and `[index]` steps only (no filters or scripts: cheap and safe). */
const PATH = /^\$(\.[A-Za-z_][A-Za-z0-9_]*|\[\d{1,3}\])*$/;
/** `{{event.data.region}}`: the fact, then plain steps. */
const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;
const PLACEHOLDER_PATH = /^(event|view|offerCode)(\.[A-Za-z_][A-Za-z0-9_]*|\[\d{1,3}\])*$/;
/** Conditions nest at most this deep; a rule has at most this many leaves. */
const MAX_DEPTH = 5;
const MAX_LEAVES = 50;

const Scalar = z.union([z.string().max(256), z.number().finite(), z.boolean(), z.null()]);
const Leaf = z
  .object({
    fact: z.enum(['event', 'view']),
    path: z.string().regex(PATH, 'a plain JSONPath such as $.data.region or $.insights.tags').optional(),
    operator: z.enum(OPERATORS),
    value: z.union([Scalar, z.array(Scalar).max(100)]),
  })
  .strict();

type Condition = z.infer<typeof Leaf> | { all: Condition[] } | { any: Condition[] } | { not: Condition };
const ConditionSchema: z.ZodType<Condition> = z.lazy(() =>
  z.union([
    Leaf,
    z.object({ all: z.array(ConditionSchema).min(1).max(MAX_LEAVES) }).strict(),
    z.object({ any: z.array(ConditionSchema).min(1).max(MAX_LEAVES) }).strict(),
    z.object({ not: ConditionSchema }).strict(),
  ]),
);

export const RuleDefinitionSchema = z
  .object({
    /** Stable id: the key of the rule in the admin API, in touchpoints (`ruleId`) and in the caps' records. */
    id: z.string().regex(/^[\w.-]{1,64}$/, '1 to 64 letters, digits, ".", "_" or "-"'),
    description: z.string().max(500).optional(),
    /** A disabled rule is kept but never matches. Default true. */
    enabled: z.boolean().default(true),
    /** When several rules match one event, only the highest priority's offer is sent (ties: the smaller id). 1-100, default 1. */
    priority: z.number().int().min(1).max(100).default(1),
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

function depthAndLeaves(condition: Condition, depth = 1): { depth: number; leaves: number } {
  if ('fact' in condition) return { depth, leaves: 1 };
  const children = 'not' in condition ? [condition.not] : 'all' in condition ? condition.all : condition.any;
  return children
    .map((c) => depthAndLeaves(c, depth + 1))
    .reduce((a, b) => ({ depth: Math.max(a.depth, b.depth), leaves: a.leaves + b.leaves }), { depth, leaves: 0 });
}

/** The definition, normalised (defaults filled), or every problem with its path. Never throws. */
export function validate(input: unknown): { ok: true; rule: RuleDefinition } | { ok: false; problems: Problem[] } {
  const parsed = RuleDefinitionSchema.safeParse(input);
  if (!parsed.success)
    return {
      ok: false,
      problems: parsed.error.issues
        .slice(0, 20)
        .map((i) => ({ path: i.path.join('.') || '(rule)', message: i.message })),
    };
  const rule = parsed.data;
  const problems: Problem[] = [];
  const shape = depthAndLeaves(rule.when as Condition);
  if (shape.depth > MAX_DEPTH)
    problems.push({ path: 'when', message: `conditions nest ${shape.depth} deep; at most ${MAX_DEPTH}` });
  if (shape.leaves > MAX_LEAVES)
    problems.push({ path: 'when', message: `${shape.leaves} conditions; at most ${MAX_LEAVES}` });
  for (const [, placeholder] of rule.then.message.matchAll(PLACEHOLDER)) {
    if (!PLACEHOLDER_PATH.test(placeholder ?? ''))
      problems.push({ path: 'then.message', message: `{{${placeholder}}} is not event.…, view.… or offerCode` });
  }
  try {
    // json-rules-engine's own checks (e.g. a condition it cannot read): a definition it refuses is refused here.
    new Rule({ conditions: rule.when as TopLevelCondition, event: { type: 'offer' } });
  } catch (err) {
    problems.push({ path: 'when', message: (err as Error).message });
  }
  return problems.length ? { ok: false, problems } : { ok: true, rule };
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
  evaluate(
    event: CustomerEvent,
    loadView: ViewLoad,
  ): Promise<{ match: RuleMatch | null; viewLoaded: boolean; view: CustomerView | null }>;
}

/** Compiles validated definitions (each passed `validate`); throws on one that did not. */
export function compile(definitions: readonly RuleDefinition[]): RuleSet {
  const rules = [...definitions].sort((a, b) => b.priority - a.priority || a.id.localeCompare(b.id));
  const engine = new Engine([], { allowUndefinedFacts: true, replaceFactsInEventParams: false });
  // Event conditions first (higher fact priority): an `all` stops at the first false group, so the view is loaded
  // only for events that pass their event conditions.
  engine.addFact('event', async (_params, almanac) => ((await almanac.factValue('input')) as Input).event, {
    priority: 10,
  });
  engine.addFact(
    'view',
    async (_params, almanac) => {
      const input = (await almanac.factValue('input')) as Input;
      return input.view();
    },
    { priority: 1 },
  );
  for (const rule of rules) {
    if (!rule.enabled) continue;
    engine.addRule(
      new Rule({
        name: rule.id,
        priority: rule.priority,
        conditions: rule.when as TopLevelCondition,
        event: { type: 'offer', params: { ruleId: rule.id } },
      }),
    );
  }
  const byId = new Map(rules.map((r) => [r.id, r]));
  return {
    rules,
    async evaluate(event, loadView) {
      let loaded: Promise<CustomerView | null> | undefined;
      const view = (): Promise<CustomerView | null> => (loaded ??= loadView());
      const { events } = await engine.run({ input: { event, view } satisfies Input });
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
      };
    },
  };
}

interface Input {
  event: CustomerEvent;
  view: () => Promise<CustomerView | null>;
}

/** `{{a.b[0]}}` replaced by the value at that path of `facts`; missing or an object → empty. */
export function render(template: string, facts: Record<string, unknown>): string {
  return template.replace(PLACEHOLDER, (_all, path: string) => {
    let value: unknown = facts;
    for (const step of path.split(/\.|\[|\]/).filter(Boolean))
      value = value !== null && typeof value === 'object' ? (value as Record<string, unknown>)[step] : undefined;
    return value === null || value === undefined || typeof value === 'object' ? '' : String(value);
  });
}

/** A sample event of each type, for dry runs that are given none. */
export function sampleEvents(customerId: string, at = new Date()): CustomerEvent[] {
  const base = { version: 1 as const, customerId, at: at.toISOString() };
  const samples: CustomerEvent[] = [
    { ...base, id: 'dry-run-roaming', type: 'ROAMING_ENTERED', data: { region: 'Hong Kong' } },
    { ...base, id: 'dry-run-handset', type: 'HANDSET_ON', data: { missedCalls: 3 } },
    { ...base, id: 'dry-run-114', type: 'DIRECTORY_ENQUIRY', data: { number: '114' } },
    { ...base, id: 'dry-run-balance', type: 'BALANCE_LOW', data: { balance: 5, threshold: 10 } },
    { ...base, id: 'dry-run-order', type: 'PRODUCT_ORDERED', data: { productCode: 'P-DATA-10G' } },
  ];
  return samples.filter((e) => EVENT_TYPES.includes(e.type));
}

export interface DryRunResult {
  /** One entry per event tried: whether the rule matched, and the offer it would send (never sent). */
  results: Array<{
    event: CustomerEvent;
    matched: boolean;
    offer?: { offerCode: string; channel: OfferChannel | null; message: string };
  }>;
  /** Whether the customer's view could be loaded (null view: conditions over it are false). */
  viewLoaded: boolean;
}

/**
 * What the rule would do for the sample customer, for each sample event (or the events given): evaluated against the
 * customer's real view, through the same protected path, without sending anything or counting against caps.
 */
export async function dryRun(
  definition: RuleDefinition,
  sampleCustomerId: string,
  deps: {
    loadView: (customerId: string) => Promise<CustomerView | null>;
    channelFor: (rule: RuleDefinition, view: CustomerView | null) => OfferChannel | null;
    events?: CustomerEvent[];
  },
): Promise<DryRunResult> {
  const set = compile([{ ...definition, enabled: true }]);
  let viewLoaded = false;
  const results: DryRunResult['results'] = [];
  for (const event of deps.events ?? sampleEvents(sampleCustomerId)) {
    const { match, view } = await set.evaluate(event, async () => {
      const v = await deps.loadView(sampleCustomerId);
      viewLoaded ||= v !== null;
      return v;
    });
    if (!match) {
      results.push({ event, matched: false });
      continue;
    }
    const v = view ?? (await deps.loadView(sampleCustomerId));
    results.push({
      event,
      matched: true,
      offer: { offerCode: match.rule.then.offerCode, channel: deps.channelFor(match.rule, v), message: match.message },
    });
  }
  return { results, viewLoaded };
}
