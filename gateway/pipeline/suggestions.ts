/**
 * No name suggestions in production: graphql-js ends many errors with "Did you mean …?" (a field, an argument, an
 * enum value, a type, an input field), which lets anyone probe the schema that introspection keeps closed. Both
 * places such errors come from are covered: validation (a misspelt field or enum value in the query) and the
 * coercion of variables at execution (an enum value or an input field given as a variable: errors with no path).
 *
 * GraphQL Armor's block-field-suggestions covers only the first place, and only the field form
 * (`Did you mean "x"?`, not `Did you mean the enum value "X"?`), so this small plugin replaces it.
 */
import type { Plugin } from '@envelop/core';
import { GraphQLError, type ExecutionResult } from 'graphql';
import type { GatewayContext } from './context';

/** Every suggestion graphql-js writes is one sentence that starts so and ends at its question mark. */
const SUGGESTION = /\s*Did you mean [^?]*\?/g;

const withoutSuggestion = (error: GraphQLError): GraphQLError => {
  if (!(error instanceof GraphQLError)) return error;
  const message = error.message.replace(SUGGESTION, '');
  if (message === error.message) return error;
  return new GraphQLError(message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    originalError: error.originalError,
    extensions: error.extensions,
  });
};

/** The same list when nothing changed, so a kept answer keeps its JSON. */
const stripped = (errors: readonly GraphQLError[]): readonly GraphQLError[] => {
  const out = errors.map(withoutSuggestion);
  return out.every((e, i) => e === errors[i]) ? errors : out;
};

export function useNoSuggestions(): Plugin<GatewayContext> {
  return {
    onValidate:
      () =>
      ({ valid, result, setResult }) => {
        if (!valid) setResult([...stripped(result as readonly GraphQLError[])]);
      },
    onExecute: () => ({
      onExecuteDone: ({ result, setResult }) => {
        const { errors } = result as ExecutionResult;
        if (!errors) return;
        const next = stripped(errors);
        if (next !== errors) setResult({ ...(result as ExecutionResult), errors: next });
      },
    }),
  };
}
