/**
 * A condition evaluated in memory over one customer's facts, with the semantics a backend selecting where the data
 * lives must have too: a dry run or a test compares the two.
 */
import { childrenOf, isLeaf, type Condition, type Leaf, type Scalar } from './condition';

/**
 * Whether `facts` (field name → value) satisfy the condition (checked with checkCondition first).
 *
 *   equal, notEqual          the fact is (is not) the value, compared strictly (`"5"` is not `5`)
 *   in, notIn                the fact is (is not) one of the values
 *   contains, doesNotContain the fact, a list, holds (does not hold) the value
 *   lessThan … greaterThanInclusive   numbers as numbers; dates (`YYYY-MM-DD`) as their text, which orders the same
 *
 * A missing fact (absent, null, or of another type than the operator reads) makes its leaf false, whatever the
 * operator: `notEqual` and `notIn` too, so `status notEqual SUSPENDED` never selects a customer whose status is
 * unknown. `not` inverts that: `{ not: <leaf over a missing fact> }` is true. (json-rules-engine with undefined facts
 * allowed differs for `notEqual` and `notIn`, which hold for an undefined fact.) An empty `all` is true and an empty
 * `any` false, as in logic; checkCondition refuses both.
 */
export function evaluate(condition: Condition, facts: Record<string, unknown>): boolean {
  if (isLeaf(condition))
    return holds(condition, Object.hasOwn(facts, condition.field) ? facts[condition.field] : undefined);
  if ('not' in condition) return !evaluate(condition.not, facts);
  const children = childrenOf(condition);
  return 'all' in condition ? children.every((c) => evaluate(c, facts)) : children.some((c) => evaluate(c, facts));
}

function holds(leaf: Leaf, fact: unknown): boolean {
  if (fact === undefined || fact === null) return false;
  const { operator, value } = leaf;
  switch (operator) {
    case 'equal':
      return isScalar(fact) && fact === value;
    case 'notEqual':
      return isScalar(fact) && fact !== value;
    case 'in':
      return isScalar(fact) && Array.isArray(value) && value.includes(fact);
    case 'notIn':
      return isScalar(fact) && Array.isArray(value) && !value.includes(fact);
    case 'contains':
      return Array.isArray(fact) && fact.includes(value);
    case 'doesNotContain':
      return Array.isArray(fact) && !fact.includes(value);
    default:
      return ordered(operator, fact, value);
  }
}

function ordered(operator: Leaf['operator'], fact: unknown, value: Scalar | Scalar[]): boolean {
  const comparable =
    (typeof fact === 'number' && typeof value === 'number') || (typeof fact === 'string' && typeof value === 'string');
  if (!comparable) return false;
  const [a, b] = [fact, value] as [number, number] | [string, string];
  switch (operator) {
    case 'lessThan':
      return a < b;
    case 'lessThanInclusive':
      return a <= b;
    case 'greaterThan':
      return a > b;
    case 'greaterThanInclusive':
      return a >= b;
    default:
      return false;
  }
}

const isScalar = (fact: unknown): fact is Scalar =>
  typeof fact === 'string' || typeof fact === 'number' || typeof fact === 'boolean';
