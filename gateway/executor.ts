/**
 * Executes GraphQL operations for both front doors (/graphql and the SOAP facade). Each operation is compiled to
 * JavaScript by graphql-jit the first time its document is seen, and the compiled function runs on every later
 * request; graphql-js stays the reference and runs whatever is not compiled.
 *
 * Not compiled (graphql-js runs it): an operation with more than MAX_COMPILED_FIELDS fields once its fragments are
 * inlined (graphql-jit inlines every spread, so a document that doubles its fragments would compile for seconds),
 * one with a variable of a custom type, or one the compiler refuses. Variables are always coerced by graphql-js
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
import { expandedSize } from './plan';

/** The full view has about 90 fields. */
export const MAX_COMPILED_FIELDS = 2000;

interface Compiled {
  query: CompiledQuery;
  variables: readonly VariableDefinitionNode[];
}

export type Executor = (args: ExecutionArgs) => ExecutionResult | Promise<ExecutionResult>;

export function createExecutor(options: { compile: boolean }): Executor {
  if (!options.compile) return execute as Executor;
  /** Per document (held as long as the document is), per operation name: the compiled query, or null. */
  const compiled = new WeakMap<DocumentNode, Map<string, Compiled | null>>();

  const compiledFor = (args: ExecutionArgs): Compiled | null => {
    const key = args.operationName ?? '';
    let byOperation = compiled.get(args.document);
    if (!byOperation) compiled.set(args.document, (byOperation = new Map()));
    let entry = byOperation.get(key);
    if (entry === undefined) {
      entry = null;
      const operation = getOperationAST(args.document, args.operationName);
      const variables = operation?.variableDefinitions ?? [];
      const builtIn = variables.every((v) => {
        const type = typeFromAST(args.schema, v.type);
        const named = type && getNamedType(type);
        return named !== undefined && isScalarType(named) && isSpecifiedScalarType(named);
      });
      if (operation && builtIn && expandedSize(args.document, args.operationName, MAX_COMPILED_FIELDS) <= MAX_COMPILED_FIELDS) {
        const result = compileQuery(args.schema, args.document, args.operationName ?? undefined, { disablingCapturingStackErrors: true });
        if (isCompiledQuery(result)) entry = { query: result, variables };
      }
      byOperation.set(key, entry);
    }
    return entry;
  };

  return (args) => {
    const entry = compiledFor(args);
    if (!entry) return execute(args);
    const coerced = getVariableValues(args.schema, entry.variables, args.variableValues ?? {});
    return coerced.errors ? execute(args) : (entry.query.query(args.rootValue, args.contextValue, coerced.coerced) as ExecutionResult | Promise<ExecutionResult>);
  };
}
