/**
 * Executes GraphQL operations for both front doors (/graphql and the SOAP facade). An operation is compiled to
 * JavaScript by graphql-jit on its COMPILE_AFTER_RUNS-th run of the same parsed document (documents are cached by
 * query text, so a query sent again is the same document), and the compiled function runs on every later request;
 * graphql-js stays the reference and runs whatever is not compiled.
 *
 * Not compiled (graphql-js runs it): an operation with more than MAX_COMPILED_FIELDS fields once its fragments are
 * inlined (graphql-jit inlines every spread, so a document that doubles its fragments would compile for seconds),
 * one with a variable of a custom type, one the compiler refuses, and any document not seen often enough. Variables are always coerced by graphql-js
 * (graphql-jit ignores the default of a non-null variable); when they do not coerce, graphql-js executes the request
 * so that its errors are exactly graphql-js's. test/compiled-execution.test.ts holds the two to the same answers.
 */
import { compileQuery, isCompiledQuery, type CompiledQuery } from 'graphql-jit';
import {
  execute,
  getNamedType,
  getOperationAST,
  isScalarType,
  isSpecifiedScalarType,
  typeFromAST,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type VariableDefinitionNode,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';
import { LRUCache } from 'lru-cache';
import { expandedSize } from './plan';

/** The full view has about 90 fields. */
export const MAX_COMPILED_FIELDS = 500;

/**
 * An operation is compiled on its third run: compiling costs a few times one interpreted run and ~11 KB of
 * memory, worth it for the few documents a front end sends all day, not for one-off queries.
 */
export const COMPILE_AFTER_RUNS = 3;

/** Most documents kept compiled (least recently used out first). */
export const MAX_COMPILED_DOCUMENTS = 1000;

interface Compiled {
  query: CompiledQuery;
  variables: readonly VariableDefinitionNode[];
}

const isPromise = <T>(value: T | Promise<T>): value is Promise<T> =>
  typeof (value as { then?: unknown }).then === 'function';

/** graphql-js's layout: `errors` before `data` (graphql-jit writes them the other way round). */
const asGraphqlJs = (result: ExecutionResult): ExecutionResult =>
  result.errors ? { errors: result.errors, data: result.data } : result;

export type Executor = (args: ExecutionArgs) => ExecutionResult | Promise<ExecutionResult>;

export interface ExecutorOptions {
  compile: boolean;
  /** Told once per operation that reached COMPILE_AFTER_RUNS: whether it was compiled. */
  onCompile?: (compiled: boolean) => void;
}

export function createExecutor(options: ExecutorOptions): Executor {
  if (!options.compile) return execute as Executor;
  /** Runs of each document (held as long as the document is), per operation name, until it is compiled. */
  const runs = new WeakMap<DocumentNode, Map<string, number>>();
  /** Per document, per operation name: the compiled query, or null when it is not to be compiled. */
  const compiled = new LRUCache<DocumentNode, Map<string, Compiled | null>>({ max: MAX_COMPILED_DOCUMENTS });

  const compiledFor = (args: ExecutionArgs): Compiled | null => {
    const key = args.operationName ?? '';
    let byOperation = compiled.get(args.document);
    let entry = byOperation?.get(key);
    if (entry === undefined) {
      let counts = runs.get(args.document);
      if (!counts) runs.set(args.document, (counts = new Map()));
      const count = (counts.get(key) ?? 0) + 1;
      counts.set(key, count);
      if (count < COMPILE_AFTER_RUNS) return null;
      if (!byOperation) compiled.set(args.document, (byOperation = new Map()));
      entry = null;
      const operation = getOperationAST(args.document, args.operationName);
      const variables = operation?.variableDefinitions ?? [];
      const builtIn = variables.every((v) => {
        const type = typeFromAST(args.schema, v.type);
        const named = type && getNamedType(type);
        return named !== undefined && isScalarType(named) && isSpecifiedScalarType(named);
      });
      if (
        operation &&
        builtIn &&
        expandedSize(args.document, args.operationName, MAX_COMPILED_FIELDS) <= MAX_COMPILED_FIELDS
      ) {
        const result = compileQuery(args.schema, args.document, args.operationName ?? undefined, {
          disablingCapturingStackErrors: true,
        });
        if (isCompiledQuery(result)) entry = { query: result, variables };
      }
      byOperation.set(key, entry);
      options.onCompile?.(entry !== null);
    }
    return entry;
  };

  return (args) => {
    const entry = compiledFor(args);
    if (!entry) return execute(args);
    const coerced = getVariableValues(args.schema, entry.variables, args.variableValues ?? {});
    if (coerced.errors) return execute(args);
    const result = entry.query.query(args.rootValue, args.contextValue, coerced.coerced) as
      ExecutionResult | Promise<ExecutionResult>;
    return isPromise(result) ? result.then(asGraphqlJs) : asGraphqlJs(result);
  };
}
