/**
 * A condition as json-rules-engine conditions, so an event rule can test the same language over one of its facts.
 */
import { isLeaf, type Condition, type Operator, type Scalar } from './condition';

/** json-rules-engine's condition shape (its NestedCondition), spelt here so this module needs no engine to load. */
export type JsonRulesEngineCondition =
  | { fact: string; path: string; operator: Operator; value: Scalar | Scalar[] }
  | { all: JsonRulesEngineCondition[] }
  | { any: JsonRulesEngineCondition[] }
  | { not: JsonRulesEngineCondition };

/**
 * The condition with each leaf `{ field, operator, value }` as `{ fact, path: '$.' + field, operator, value }`:
 * `fact` is the json-rules-engine fact holding the fields (e.g. `view`, or a fact of the selection's columns), and
 * groups keep their names (`all`, `any`, `not`). Field names are plain identifiers, so the path needs no quoting.
 *
 * One difference stays (see evaluate): with undefined facts allowed, json-rules-engine holds `notEqual` and `notIn`
 * for a fact that is missing, where evaluate does not.
 */
export function toJsonRulesEngine(condition: Condition, fact: string): JsonRulesEngineCondition {
  if (isLeaf(condition))
    return { fact, path: `$.${condition.field}`, operator: condition.operator, value: condition.value };
  if ('not' in condition) return { not: toJsonRulesEngine(condition.not, fact) };
  if ('all' in condition) return { all: condition.all.map((c) => toJsonRulesEngine(c, fact)) };
  return { any: condition.any.map((c) => toJsonRulesEngine(c, fact)) };
}
