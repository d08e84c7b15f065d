/**
 * Judges a condition given as data (a console's form, an API body) against the fields a backend can select on:
 * every problem with its path, what was expected and what was given, the way a refused definition is reported.
 */
import type { FieldCatalog, FieldSpec, FieldType } from '../../backends';
import type { Problem } from '../../definitions';
import {
  LIST_OPERATORS,
  MAX_DEPTH,
  MAX_LEAVES,
  MAX_LIST,
  MAX_STRING,
  OPERATORS,
  OPERATORS_BY_TYPE,
  type Operator,
} from './condition';

/** At most this many problems are reported: enough to fix a form, bounded for a hostile body. */
const MAX_PROBLEMS = 20;
const GROUPS = ['all', 'any', 'not'] as const;
const LEAF_KEYS = ['field', 'operator', 'value'] as const;
const SHAPE = '{ "all": [...] }, { "any": [...] }, { "not": {...} } or { "field", "operator", "value" }';
const ISO_DATE = /^(\d{4})-(\d{2})-(\d{2})$/;

/**
 * The problems of `input` as a condition over `catalog`'s fields; [] when it is fine. Refused: a shape that is not
 * a condition, an empty `all`/`any`, nesting deeper than MAX_DEPTH, more than MAX_LEAVES leaves, an unknown field
 * (`expected` lists the close names), an operator that does not fit the field's type (`lessThan` on a set,
 * `contains` on a number), a value of the wrong type (a number for a string field, a list for `equal`, one value
 * for `in`), a value outside the field's closed set. Paths start at `basePath`: `where.all.2.field`. Never throws.
 */
export function checkCondition(input: unknown, catalog: FieldCatalog, basePath = 'where'): Problem[] {
  const problems: Problem[] = [];
  const add = (problem: Problem): void => {
    if (problems.length < MAX_PROBLEMS) problems.push(problem);
  };
  let leaves = 0;
  let tooDeep = false;

  const walk = (node: unknown, path: string, depth: number): void => {
    if (problems.length >= MAX_PROBLEMS || leaves > MAX_LEAVES) return;
    if (depth > MAX_DEPTH) {
      // Reported once, and never descended: a hostile body cannot make the walk deep.
      if (!tooDeep) add({ path, message: `conditions nest more than ${MAX_DEPTH} deep here; at most ${MAX_DEPTH}` });
      tooDeep = true;
      return;
    }
    if (node === null || typeof node !== 'object' || Array.isArray(node)) {
      add({ path, message: 'expected a condition', expected: SHAPE, given: describe(node) });
      return;
    }
    const record = node as Record<string, unknown>;
    const keys = Object.keys(record);
    const groups = GROUPS.filter((g) => Object.hasOwn(record, g));
    const leafKeys = LEAF_KEYS.filter((k) => Object.hasOwn(record, k));
    if (groups.length > 0 && leafKeys.length > 0) {
      add({
        path,
        message: `either a group (${groups.join(', ')}) or a leaf (${leafKeys.join(', ')}), not both`,
        expected: SHAPE,
      });
      return;
    }
    if (groups.length > 1) {
      add({
        path,
        message: `one of "all", "any" or "not" per condition, given ${groups.join(' and ')}`,
        expected: SHAPE,
      });
      return;
    }
    const known: readonly string[] = groups.length === 1 ? groups : LEAF_KEYS;
    for (const key of keys.filter((k) => !known.includes(k)))
      add({
        path: `${path}.${key}`,
        message: 'unknown key',
        expected: groups.length === 1 ? `only "${groups[0]}"` : SHAPE,
      });
    if (groups.length === 0 && leafKeys.length === 0) {
      if (keys.length === 0) add({ path, message: 'expected a condition', expected: SHAPE, given: '{}' });
      return;
    }
    const group = groups[0];
    if (group === 'not') return walk(record.not, `${path}.not`, depth + 1);
    if (group !== undefined) {
      const children = record[group];
      if (!Array.isArray(children)) {
        add({ path: `${path}.${group}`, message: 'expected a list of conditions', given: describe(children) });
        return;
      }
      if (children.length === 0) {
        add({ path: `${path}.${group}`, message: 'expected at least one condition', given: '[]' });
        return;
      }
      children.forEach((child, i) => walk(child, `${path}.${group}.${i}`, depth + 1));
      return;
    }
    leaves++;
    if (leaves === MAX_LEAVES + 1)
      add({ path: basePath, message: `more than ${MAX_LEAVES} conditions; at most ${MAX_LEAVES}` });
    checkLeaf(record, path, catalog, add);
  };

  walk(input, basePath, 1);
  return problems;
}

function checkLeaf(
  leaf: Record<string, unknown>,
  path: string,
  catalog: FieldCatalog,
  add: (problem: Problem) => void,
): void {
  const { field, operator, value } = leaf;
  let spec: FieldSpec | undefined;
  if (typeof field !== 'string') {
    add({ path: `${path}.field`, message: 'expected the name of a field', given: describe(field) });
  } else if (!Object.hasOwn(catalog, field)) {
    add({
      path: `${path}.field`,
      message: `no field named ${field}`,
      expected: closeNames(field, Object.keys(catalog)),
      given: field,
    });
  } else {
    spec = catalog[field];
  }
  const fits = spec ? OPERATORS_BY_TYPE[spec.type] : OPERATORS;
  if (typeof operator !== 'string' || !(OPERATORS as readonly string[]).includes(operator)) {
    add({
      path: `${path}.operator`,
      message: 'unknown operator',
      expected: fits.join(', '),
      given: describe(operator),
    });
    return;
  }
  if (!fits.includes(operator as Operator)) {
    add({
      path: `${path}.operator`,
      message: `${operator} does not apply to ${String(field)}, a ${spec?.type}`,
      expected: fits.join(', '),
      given: operator,
    });
    return;
  }
  if (!Object.hasOwn(leaf, 'value')) {
    add({ path: `${path}.value`, message: 'required', given: 'nothing' });
    return;
  }
  const list = LIST_OPERATORS.includes(operator as Operator);
  if (list) {
    if (!Array.isArray(value)) {
      add({
        path: `${path}.value`,
        message: `${operator} takes a list of values`,
        expected: 'a list of 1 to 100',
        given: describe(value),
      });
      return;
    }
    if (value.length === 0 || value.length > MAX_LIST) {
      add({
        path: `${path}.value`,
        message: `${operator} takes 1 to ${MAX_LIST} values`,
        given: `${value.length} values`,
      });
      return;
    }
    value.forEach((item, i) => checkValue(item, `${path}.value.${i}`, spec, add));
    return;
  }
  if (Array.isArray(value)) {
    add({
      path: `${path}.value`,
      message: `${operator} takes one value, not a list`,
      expected: expectedOf(spec),
      given: describe(value),
    });
    return;
  }
  checkValue(value, `${path}.value`, spec, add);
}

/** The type a value must have: a set's items are strings. */
const ITEM_TYPE: Record<FieldType, 'string' | 'number' | 'boolean' | 'date'> = {
  string: 'string',
  'string[]': 'string',
  number: 'number',
  boolean: 'boolean',
  date: 'date',
};

function expectedOf(spec: FieldSpec | undefined): string {
  if (!spec) return 'a string, a number or a boolean';
  const type = ITEM_TYPE[spec.type];
  if (spec.values && type === 'string') return `one of ${listed(spec.values)}`;
  return type === 'date' ? 'a date, YYYY-MM-DD' : `a ${type}`;
}

function checkValue(value: unknown, path: string, spec: FieldSpec | undefined, add: (problem: Problem) => void): void {
  const type = spec ? ITEM_TYPE[spec.type] : undefined;
  const fine =
    type === undefined
      ? typeof value === 'string' || (typeof value === 'number' && Number.isFinite(value)) || typeof value === 'boolean'
      : type === 'number'
        ? typeof value === 'number' && Number.isFinite(value)
        : type === 'date'
          ? typeof value === 'string' && isIsoDate(value)
          : typeof value === type;
  if (!fine) {
    add({ path, message: `expected ${expectedOf(spec)}`, expected: expectedOf(spec), given: describe(value) });
    return;
  }
  if (typeof value === 'string' && value.length > MAX_STRING) {
    add({ path, message: `at most ${MAX_STRING} characters`, given: `${value.length} characters` });
    return;
  }
  if (typeof value === 'string' && spec?.values && type === 'string' && !spec.values.includes(value))
    add({
      path,
      message: "not one of the field's values",
      expected: `one of ${listed(spec.values)}`,
      given: describe(value),
    });
}

function isIsoDate(text: string): boolean {
  const m = ISO_DATE.exec(text);
  if (!m) return false;
  const date = new Date(`${text}T00:00:00Z`);
  return !Number.isNaN(date.getTime()) && date.toISOString().slice(0, 10) === text;
}

/** A value as the problem's `given`: JSON, cut at 80 characters. */
function describe(value: unknown): string {
  if (value === undefined) return 'nothing';
  let text: string;
  try {
    text = JSON.stringify(value) ?? String(value);
  } catch {
    text = String(value);
  }
  return text.length > 80 ? `${text.slice(0, 77)}...` : text;
}

function listed(values: readonly string[]): string {
  const shown = values.slice(0, 30).map((v) => JSON.stringify(v));
  return values.length > 30 ? `${shown.join(', ')} … (${values.length} in all)` : shown.join(', ');
}

/** The names close to `name` (a typo, another case, a part of it), or every name when none is close. */
function closeNames(name: string, names: readonly string[]): string {
  const wanted = name.toLowerCase();
  const close = names.filter((candidate) => {
    const c = candidate.toLowerCase();
    if (wanted.length >= 3 && (c.includes(wanted) || wanted.includes(c))) return true;
    return distance(c, wanted) <= Math.max(2, Math.floor(wanted.length / 4));
  });
  return `one of ${(close.length > 0 ? close : names).slice(0, 30).join(', ')}`;
}

/** Levenshtein distance, for names of a few dozen characters (longer ones are not close to anything). */
function distance(a: string, b: string): number {
  if (a.length > 64 || b.length > 64) return Math.abs(a.length - b.length) + 64;
  let previous = Array.from({ length: b.length + 1 }, (_, j) => j);
  for (let i = 1; i <= a.length; i++) {
    const current = [i];
    for (let j = 1; j <= b.length; j++)
      current[j] = Math.min(
        (previous[j] as number) + 1,
        (current[j - 1] as number) + 1,
        (previous[j - 1] as number) + (a[i - 1] === b[j - 1] ? 0 : 1),
      );
    previous = current;
  }
  return previous[b.length] as number;
}
