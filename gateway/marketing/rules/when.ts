/**
 * A rule's conditions: the condition language (conditions/) over the rule's fields, plus three conditions over time
 * (history/). Every leaf is one of:
 *
 *   { "field": "event.region", "operator": "in", "value": ["Hong Kong", "Macau"] }        the event's data
 *   { "field": "customer.insights.tags", "operator": "contains", "value": "…" }             the live view
 *   { "history": { "event": "CALL_MADE", "where": {…}, "within": { "calendar": "year" } },
 *     "operator": "equal", "value": 1 }                                                      count in a window
 *   { "dwell": { "event": "CELL_LOCATION", "where": {…} }, "operator": "greaterThanInclusive", "value": 60 }
 *   { "during": { "dates": [{ "from": "2027-01-13", "to": "2027-02-21" }], "start": "09:00", "end": "18:00" } }
 *   { "fact": "event" | "view", "path": "$.data.region", "operator", "value" }              the first spelling of rules
 *
 * The first spelling (JSONPath over a fact) stays readable: it is the same leaf, `$.data.x` being `event.x`, `$.type`
 * `event.type`, and `$.a.b` of the view `customer.a.b`. Every leaf is checked against the catalog (fields of the
 * event kinds the rule is `on`, fields of the schema's Customer the rules' role reads, registered sections too):
 * a condition that can never match (an unknown path, a wrong type, an operator that does not fit) is refused with its
 * path, what was expected and what was given.
 *
 * Rules run on json-rules-engine: `toEngine` gives its conditions, over the facts `event`, `view`, `history`,
 * `dwell` and `during` (rules/definition.ts adds them), with paths in the dotted form the engine's path resolver
 * (`resolvePath`) reads, projecting through lists: `customer.products.code` is the codes of every product held.
 */
import type { FieldCatalog, FieldSpec } from '../../backends';
import type { Problem } from '../../definitions';
import {
  checkCondition,
  MAX_DEPTH,
  MAX_LEAVES,
  OPERATORS,
  OPERATORS_BY_TYPE,
  type Condition,
  type Operator,
} from '../conditions';
import type { During, Within } from '../history';
import { WEEKDAYS } from '../../local-time';

const HHMM = /^([01]\d|2[0-3]):[0-5]\d$/;
const ISO_DATE = /^\d{4}-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
/** A date of the calendar: "YYYY-MM-DD" whose day the month has (not 2027-02-30). */
const isCalendarDate = (value: unknown): boolean =>
  typeof value === 'string' &&
  ISO_DATE.test(value) &&
  new Date(`${value}T00:00:00Z`).toISOString().slice(0, 10) === value;
const COUNT_OPERATORS: readonly Operator[] = OPERATORS_BY_TYPE.number.filter((o) => o !== 'in' && o !== 'notIn');

/** The fields a rule may test: `event.*` of the kinds it is on, `customer.*` of the view. */
export interface RuleCatalog {
  /** The event kinds in force: each kind's fields (`event.<name>`), for `on` and for history's `event`. */
  kinds: ReadonlyMap<string, FieldCatalog>;
  /** The view's fields the rules' role may read: `customer.<section>.<field>`. */
  view: FieldCatalog;
}

/** A leaf in the engine's form: a fact, a dotted path or params, an operator and a value. */
export type EngineCondition =
  | { fact: string; path?: string; params?: Record<string, unknown>; operator: string; value: unknown }
  | { all: EngineCondition[] }
  | { any: EngineCondition[] }
  | { not: EngineCondition };

type Node = Record<string, unknown>;
const isNode = (value: unknown): value is Node => value !== null && typeof value === 'object' && !Array.isArray(value);
const describe = (value: unknown): string =>
  value === undefined ? 'nothing' : (JSON.stringify(value)?.slice(0, 80) ?? String(value));

/** The first spelling's leaf as a field leaf, or why it cannot be one. */
function legacyField(node: Node): { field: string } | { problem: string } {
  const path = typeof node.path === 'string' ? node.path : '$';
  const steps = path.replace(/^\$\.?/, '');
  if (/\[/.test(steps))
    return { problem: 'a list position ([0]) is not a field: test the list, e.g. customer.products.code contains …' };
  if (node.fact === 'event') {
    if (steps === 'type' || steps === 'at' || steps === 'customerId') return { field: `event.${steps}` };
    if (steps.startsWith('data.')) return { field: `event.${steps.slice(5)}` };
    return { problem: 'an event path is $.type, $.at or $.data.<field>' };
  }
  return { field: `customer.${steps}` };
}

/**
 * The problems of `when` over the catalog, for a rule `on` the given kinds (none: any kind, so only `event.type`,
 * `event.at` and fields every kind has are known). Paths start at `basePath`. Never throws.
 */
export function checkWhen(
  when: unknown,
  catalog: RuleCatalog | null,
  on: readonly string[],
  basePath = 'when',
): Problem[] {
  const problems: Problem[] = [];
  const fields: FieldCatalog = catalog ? { ...eventCatalog(catalog, on), ...catalog.view } : {};
  let leaves = 0;
  const walk = (node: unknown, path: string, depth: number): void => {
    if (problems.length >= 20) return;
    if (depth > MAX_DEPTH) {
      problems.push({ path, message: `conditions nest more than ${MAX_DEPTH} deep; at most ${MAX_DEPTH}` });
      return;
    }
    if (!isNode(node)) {
      problems.push({ path, message: 'expected a condition', given: describe(node) });
      return;
    }
    for (const group of ['all', 'any'] as const)
      if (Array.isArray(node[group])) {
        const children = node[group] as unknown[];
        if (children.length === 0)
          problems.push({
            path: `${path}.${group}`,
            message: 'an empty group: add a condition or remove it',
            given: '[]',
          });
        children.forEach((c, i) => walk(c, `${path}.${group}.${i}`, depth + 1));
        return;
      }
    if (isNode(node.not)) return walk(node.not, `${path}.not`, depth + 1);
    leaves++;
    if (leaves > MAX_LEAVES) {
      if (leaves === MAX_LEAVES + 1) problems.push({ path, message: `more than ${MAX_LEAVES} conditions` });
      return;
    }
    if ('history' in node) return catalog ? checkHistory(node, path, catalog, problems) : undefined;
    if ('dwell' in node) return catalog ? checkDwell(node, path, catalog, problems) : undefined;
    if ('during' in node) return checkDuring(node.during, `${path}.during`, problems, Object.keys(node));
    let leaf: Node = node;
    if ('fact' in node) {
      if (node.fact !== 'event' && node.fact !== 'view') {
        problems.push({
          path: `${path}.fact`,
          message: 'event or view',
          expected: 'event, view',
          given: describe(node.fact),
        });
        return;
      }
      const converted = legacyField(node);
      if ('problem' in converted) {
        problems.push({ path: `${path}.path`, message: converted.problem, given: describe(node.path) });
        return;
      }
      leaf = { field: converted.field, operator: node.operator, value: node.value };
      // The first spelling's `notEqual null` (or `equal null`) tests whether the field is there: its field is
      // checked, its value is what json-rules-engine compares it with.
      if (node.value === null && (node.operator === 'equal' || node.operator === 'notEqual')) {
        if (catalog && !Object.hasOwn(fields, converted.field))
          problems.push(
            ...checkCondition({ ...leaf, value: '' }, fields, path).filter((p) => p.path.endsWith('.field')),
          );
        return;
      }
    }
    if (catalog) problems.push(...checkCondition(leaf, fields, path));
    else if (typeof leaf.field !== 'string' || !(OPERATORS as readonly unknown[]).includes(leaf.operator))
      // Without a catalog (a configured rule before the schema is built) only the shape: the fields come later.
      problems.push({
        path: `${path}.operator`,
        message: 'an operator of the condition language',
        expected: OPERATORS.join(', '),
        given: describe(leaf.operator),
      });
  };
  walk(when, basePath, 1);
  return problems;
}

/** The `event.*` fields a rule on `on` may test: those of its kinds (of every kind when `on` is empty, only shared ones). */
export function eventCatalog(catalog: RuleCatalog, on: readonly string[]): FieldCatalog {
  const base: Record<string, FieldSpec> = {
    'event.type': { type: 'string', label: { zh: '事件类型', en: 'event type' }, values: [...catalog.kinds.keys()] },
    'event.at': { type: 'date', label: { zh: '事件时间', en: 'event time' } },
  };
  const kinds = (on.length ? on : [...catalog.kinds.keys()]).map((k) => catalog.kinds.get(k) ?? {});
  const [first, ...rest] = kinds;
  for (const [name, spec] of Object.entries(first ?? {}))
    if (on.length ? true : rest.every((k) => k[name]?.type === spec.type)) base[name] = spec;
  // A field of one kind of several (`on` lists two): known, its value missing for the other kind's events.
  for (const k of rest) for (const [name, spec] of Object.entries(k)) if (on.length && !base[name]) base[name] = spec;
  return base;
}

function checkKindRef(kind: unknown, path: string, catalog: RuleCatalog, problems: Problem[]): FieldCatalog | null {
  if (typeof kind === 'string' && catalog.kinds.has(kind)) return { ...eventCatalog(catalog, [kind]) };
  problems.push({
    path,
    message: 'names no event kind in force',
    expected: [...catalog.kinds.keys()].join(', '),
    given: describe(kind),
  });
  return null;
}

function checkCount(node: Node, path: string, problems: Problem[], what: string): void {
  if (typeof node.operator !== 'string' || !COUNT_OPERATORS.includes(node.operator as Operator))
    problems.push({
      path: `${path}.operator`,
      message: `an operator comparing ${what}`,
      expected: COUNT_OPERATORS.join(', '),
      given: describe(node.operator),
    });
  if (typeof node.value !== 'number' || !Number.isInteger(node.value) || node.value < 0 || node.value > 100_000)
    problems.push({
      path: `${path}.value`,
      message: `${what}: a whole number, 0 or more`,
      expected: 'integer',
      given: describe(node.value),
    });
  for (const key of Object.keys(node))
    if (!['history', 'dwell', 'operator', 'value'].includes(key))
      problems.push({ path: `${path}.${key}`, message: 'unknown key', expected: 'operator, value' });
}

function checkWithin(within: unknown, path: string, problems: Problem[]): void {
  if (isNode(within) && Object.keys(within).length === 1) {
    if (typeof within.days === 'number' && Number.isInteger(within.days) && within.days >= 1 && within.days <= 400)
      return;
    if (['day', 'week', 'month', 'year'].includes(within.calendar as string)) return;
  }
  problems.push({
    path,
    message: 'a window ending at the event',
    expected: '{ "days": 1…400 } or { "calendar": "day" | "week" | "month" | "year" }',
    given: describe(within),
  });
}

function checkHistory(node: Node, path: string, catalog: RuleCatalog, problems: Problem[]): void {
  const h = node.history;
  if (!isNode(h)) {
    problems.push({ path: `${path}.history`, message: 'expected { "event", "within", "where"? }', given: describe(h) });
    return;
  }
  const fields = checkKindRef(h.event, `${path}.history.event`, catalog, problems);
  if (fields && h.where !== undefined) problems.push(...checkCondition(h.where, fields, `${path}.history.where`));
  checkWithin(h.within, `${path}.history.within`, problems);
  for (const key of Object.keys(h))
    if (!['event', 'where', 'within'].includes(key))
      problems.push({ path: `${path}.history.${key}`, message: 'unknown key', expected: 'event, where, within' });
  checkCount(node, path, problems, 'the number of events');
}

function checkDwell(node: Node, path: string, catalog: RuleCatalog, problems: Problem[]): void {
  const d = node.dwell;
  if (!isNode(d)) {
    problems.push({ path: `${path}.dwell`, message: 'expected { "event", "where" }', given: describe(d) });
    return;
  }
  const fields = checkKindRef(d.event, `${path}.dwell.event`, catalog, problems);
  if (fields) {
    if (d.where === undefined)
      problems.push({
        path: `${path}.dwell.where`,
        message: 'where the customer stays',
        expected: '{ "field": "event.cellId", "operator": "in", "value": [...] }',
        given: 'nothing',
      });
    else problems.push(...checkCondition(d.where, fields, `${path}.dwell.where`));
  }
  for (const key of Object.keys(d))
    if (!['event', 'where'].includes(key))
      problems.push({ path: `${path}.dwell.${key}`, message: 'unknown key', expected: 'event, where' });
  checkCount(node, path, problems, 'minutes');
}

function checkDuring(during: unknown, path: string, problems: Problem[], keys: string[]): void {
  for (const key of keys.filter((k) => k !== 'during'))
    problems.push({ path: path.replace(/\.during$/, `.${key}`), message: 'unknown key', expected: 'only "during"' });
  if (!isNode(during) || Object.keys(during).length === 0) {
    problems.push({ path, message: 'expected { "dates"?, "days"?, "start"?, "end"? }', given: describe(during) });
    return;
  }
  for (const key of Object.keys(during))
    if (!['dates', 'days', 'start', 'end'].includes(key))
      problems.push({ path: `${path}.${key}`, message: 'unknown key', expected: 'dates, days, start, end' });
  if (during.dates !== undefined) {
    if (!Array.isArray(during.dates) || during.dates.length === 0 || during.dates.length > 20)
      problems.push({
        path: `${path}.dates`,
        message: '1 to 20 ranges { "from", "to" }',
        given: describe(during.dates),
      });
    else
      during.dates.forEach((r: unknown, i) => {
        const ok = isNode(r) && isCalendarDate(r.from) && isCalendarDate(r.to) && String(r.from) <= String(r.to);
        if (!ok)
          problems.push({
            path: `${path}.dates.${i}`,
            message: 'local dates "YYYY-MM-DD", from not after to',
            given: describe(r),
          });
      });
  }
  if (
    during.days !== undefined &&
    (!Array.isArray(during.days) ||
      during.days.length === 0 ||
      !during.days.every((d) => (WEEKDAYS as readonly unknown[]).includes(d)))
  )
    problems.push({
      path: `${path}.days`,
      message: 'days of the week',
      expected: WEEKDAYS.join(', '),
      given: describe(during.days),
    });
  if ((during.start === undefined) !== (during.end === undefined))
    problems.push({ path, message: '"start" and "end" together, or neither' });
  for (const key of ['start', 'end'] as const)
    if (during[key] !== undefined && !HHMM.test(String(during[key])))
      problems.push({ path: `${path}.${key}`, message: '"HH:MM", 24-hour', given: describe(during[key]) });
}

/** Engine form of a field name: the fact and its dotted path. */
function factOf(field: string): { fact: 'event' | 'view'; path: string } {
  if (field.startsWith('event.')) {
    const name = field.slice(6);
    return { fact: 'event', path: name === 'type' || name === 'at' || name === 'customerId' ? name : `data.${name}` };
  }
  return { fact: 'view', path: field.replace(/^customer\./, '') };
}

/** The checked `when` as json-rules-engine conditions (facts event, view, history, dwell, during). */
export function toEngine(node: unknown): EngineCondition {
  const n = node as Node;
  if (Array.isArray(n.all)) return { all: n.all.map(toEngine) };
  if (Array.isArray(n.any)) return { any: n.any.map(toEngine) };
  if (isNode(n.not)) return { not: toEngine(n.not) };
  if (isNode(n.history)) {
    const h = n.history as { event: string; where?: Condition; within: Within };
    return {
      fact: 'history',
      params: { type: h.event, where: h.where, within: h.within },
      operator: String(n.operator),
      value: n.value,
    };
  }
  if (isNode(n.dwell)) {
    const d = n.dwell as { event: string; where: Condition };
    return { fact: 'dwell', params: { type: d.event, where: d.where }, operator: String(n.operator), value: n.value };
  }
  if (isNode(n.during))
    return { fact: 'during', params: { during: n.during as During }, operator: 'equal', value: true };
  const field = 'fact' in n ? (legacyField(n) as { field: string }).field : String(n.field);
  return { ...factOf(field), operator: String(n.operator), value: n.value };
}

/**
 * The engine's path resolver: `a.b.c` into the fact, projecting through lists (`products.code` of a list of products
 * is the list of their codes), so `contains` reads a set whatever the list's length.
 */
export function resolvePath(value: unknown, path: string): unknown {
  let current: unknown = value;
  for (const step of path.split('.')) {
    if (current === null || current === undefined) return undefined;
    if (Array.isArray(current))
      current = current.flatMap((item) => {
        const v = isNode(item) ? item[step] : undefined;
        return v === undefined || v === null ? [] : Array.isArray(v) ? v : [v];
      });
    else current = isNode(current) ? current[step] : undefined;
  }
  return current;
}

/** Every leaf of a `when`, in order. */
function leavesOf(node: unknown, into: Node[] = []): Node[] {
  if (!isNode(node)) return into;
  const groups = [node.all, node.any].filter(Array.isArray) as unknown[][];
  if (groups.length === 0 && !isNode(node.not)) into.push(node);
  for (const group of groups) for (const child of group) leavesOf(child, into);
  if (isNode(node.not)) leavesOf(node.not, into);
  return into;
}

/** A leaf's field name (either spelling), or '' for a history, dwell or time window. */
function fieldOf(leaf: Node): string {
  if ('fact' in leaf) {
    const converted = legacyField(leaf);
    return 'field' in converted ? converted.field : '';
  }
  return typeof leaf.field === 'string' ? leaf.field : '';
}

/** The `customer.*` fields a `when` reads (view sections to load): `insights.tags`, `products.code`. */
export function viewPaths(when: unknown, into = new Set<string>()): Set<string> {
  for (const leaf of leavesOf(when)) {
    const field = fieldOf(leaf);
    if (field.startsWith('customer.')) into.add(field.slice(9));
  }
  return into;
}

/** The event kinds a `when` counts or dwells over. */
export function historyKinds(when: unknown, into = new Set<string>()): Set<string> {
  for (const leaf of leavesOf(when))
    for (const over of [leaf.history, leaf.dwell])
      if (isNode(over) && typeof over.event === 'string') into.add(over.event);
  return into;
}

/**
 * The kinds a `when` is on by its own conditions: an `event.type` leaf (`equal` or `in`) directly under the top
 * `all` (the first spelling of rules names the kind that way). [] when it has none.
 */
export function kindsTested(when: unknown): string[] {
  const n = when as Node;
  if (!isNode(n) || !Array.isArray(n.all)) return [];
  for (const leaf of n.all as unknown[]) {
    if (!isNode(leaf)) continue;
    if (fieldOf(leaf) !== 'event.type') continue;
    if (leaf.operator === 'equal' && typeof leaf.value === 'string') return [leaf.value];
    if (leaf.operator === 'in' && Array.isArray(leaf.value))
      return leaf.value.filter((v): v is string => typeof v === 'string');
  }
  return [];
}
