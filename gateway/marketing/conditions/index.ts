/**
 * The condition language, public face: what a console builds with forms, business staff read as a sentence, a
 * backend evaluates where the data lives (an adapter's `audience`), and event rules may reuse (json-rules-engine).
 * Pure code: no I/O, no state.
 */
export {
  OPERATORS,
  OPERATORS_BY_TYPE,
  LIST_OPERATORS,
  MAX_DEPTH,
  MAX_LEAVES,
  MAX_LIST,
  MAX_STRING,
  type Condition,
  type Leaf,
  type Operator,
  type Scalar,
} from './condition';
export { checkCondition } from './check-condition';
export { evaluate } from './evaluate';
export { sentence, type Language } from './sentence';
export { toJsonRulesEngine, type JsonRulesEngineCondition } from './to-json-rules-engine';
export type { FieldCatalog, FieldSpec, FieldType } from '../../backends';
export type { Problem } from '../../definitions';
