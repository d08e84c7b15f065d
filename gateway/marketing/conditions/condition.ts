/**
 * The condition language's shape: a tree business staff can read and a console can build with forms, shared by
 * active-marketing audiences (evaluated where the data lives) and, later, event rules (json-rules-engine).
 *
 *     { "all": [
 *       { "field": "segment", "operator": "equal", "value": "YOUTH_DATA" },
 *       { "field": "churnProbability", "operator": "lessThan", "value": 0.5 },
 *       { "not": { "field": "products", "operator": "contains", "value": "DATA-HKMO" } } ] }
 *
 * Fields are named by a FieldCatalog (gateway/backends/adapter.ts): its types decide which operators and values fit
 * (`OPERATORS_BY_TYPE`, checkCondition).
 */
import type { FieldType } from '../../backends';

/** The operators a condition may use: json-rules-engine's built-in ones, the names event rules use too. */
export const OPERATORS = [
  'equal',
  'notEqual',
  'in',
  'notIn',
  'contains',
  'doesNotContain',
  'lessThan',
  'lessThanInclusive',
  'greaterThan',
  'greaterThanInclusive',
] as const;
export type Operator = (typeof OPERATORS)[number];

/** One value a leaf compares with. No null: a missing fact has its own meaning (see evaluate). */
export type Scalar = string | number | boolean;

/** A test of one field: `{ field: 'churnProbability', operator: 'lessThan', value: 0.5 }`. */
export interface Leaf {
  field: string;
  operator: Operator;
  value: Scalar | Scalar[];
}

export type Condition = { all: Condition[] } | { any: Condition[] } | { not: Condition } | Leaf;

const ORDERING = ['lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive'] as const;
const MEMBERSHIP = ['equal', 'notEqual', 'in', 'notIn'] as const;

/**
 * Which operators fit a field's type. A set (`string[]`) is tested for one item (`contains`, `doesNotContain`):
 * json-rules-engine's `equal` and `in` compare it as a whole, which a form would never mean. Numbers and dates
 * (ISO `YYYY-MM-DD`, so their text orders as the dates do) may also be ordered; strings and booleans may not.
 */
export const OPERATORS_BY_TYPE: Readonly<Record<FieldType, readonly Operator[]>> = {
  string: MEMBERSHIP,
  number: [...MEMBERSHIP, ...ORDERING],
  date: [...MEMBERSHIP, ...ORDERING],
  boolean: ['equal', 'notEqual'],
  'string[]': ['contains', 'doesNotContain'],
};

/** Operators whose value is a list (of at least one item); the others take one value. */
export const LIST_OPERATORS: readonly Operator[] = ['in', 'notIn'];

/** Conditions nest at most this deep (a leaf alone is 1 deep), the same bound as event rules. */
export const MAX_DEPTH = 5;
/** A condition has at most this many leaves. */
export const MAX_LEAVES = 50;
/** A list value (`in`, `notIn`) has at most this many items. */
export const MAX_LIST = 100;
/** A string value has at most this many characters. */
export const MAX_STRING = 256;

export const isLeaf = (condition: Condition): condition is Leaf => 'field' in condition;

/** A group's children (the one child of a `not`); none for a leaf. */
export function childrenOf(condition: Condition): readonly Condition[] {
  if ('all' in condition) return condition.all;
  if ('any' in condition) return condition.any;
  if ('not' in condition) return [condition.not];
  return [];
}
