/**
 * Limits on what one operation may ask, all checked before any backend call and all counting through inline and
 * named fragments:
 * - tokens: graphql-js's own parse limit (`maxTokens`, in the parse function of index.ts), the limit GraphQL Armor's
 *   max-tokens enforces by wrapping the lexer; the parsed document is cached, so the text is parsed once;
 * - depth, aliases, directives, cost: GraphQL Armor's validation rules, with its defaults or stricter;
 * - root fields: distinct response keys at the root, through fragments (each may fan out to every backend);
 * - backend calls: from the plan, the calls the operation would make (root fields × resources they read, plus a
 *   directory lookup per MSISDN root), set on the context as `cost` for the rate limit.
 * Introspection and "Did you mean" suggestions are off in production. A refusal is QUERY_TOO_COMPLEX (400).
 */
import type { Plugin } from '@envelop/core';
import { costLimitRule } from '@escape.tech/graphql-armor-cost-limit';
import { maxAliasesRule } from '@escape.tech/graphql-armor-max-aliases';
import { maxDepthRule } from '@escape.tech/graphql-armor-max-depth';
import { maxDirectivesRule } from '@escape.tech/graphql-armor-max-directives';
import type { GraphQLError } from 'graphql';
import {
  Kind,
  NoSchemaIntrospectionCustomRule,
  type DocumentNode,
  type FragmentDefinitionNode,
  type OperationDefinitionNode,
  type SelectionSetNode,
  type ValidationContext,
  type ValidationRule,
} from 'graphql';
import type { GatewayConfig } from '../config';
import { gatewayError } from '../errors';
import type { Planner } from '../view';
import type { Source } from '../backends/source';
import type { GatewayContext } from './context';

const tooComplex = (message: string): GraphQLError => gatewayError(message, { code: 'QUERY_TOO_COMPLEX' });

/** Armor reports through the validation context, with our code, instead of throwing out of `validate`. */
const armor = {
  propagateOnRejection: false,
  exposeLimits: true,
  onReject: [
    (ctx: ValidationContext | null, err: GraphQLError) =>
      ctx?.reportError(tooComplex(err.message.replace(/^Syntax Error: /, ''))),
  ],
};

/** The distinct root fields (response key → field name) of an operation, through inline and named fragments. */
export function rootFieldsOf(
  operation: OperationDefinitionNode,
  fragments: ReadonlyMap<string, FragmentDefinitionNode>,
): Map<string, string> {
  const fields = new Map<string, string>();
  const walked = new Set<string>();
  const walk = (selectionSet: SelectionSetNode): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        if (!selection.name.value.startsWith('__'))
          fields.set(selection.alias?.value ?? selection.name.value, selection.name.value);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) walk(selection.selectionSet);
      else if (!walked.has(selection.name.value)) {
        // Spreading one fragment twice selects the same response keys: it counts once.
        walked.add(selection.name.value);
        const fragment = fragments.get(selection.name.value);
        if (fragment) walk(fragment.selectionSet);
      }
    }
  };
  walk(operation.selectionSet);
  return fields;
}

const fragmentsOf = (document: DocumentNode): Map<string, FragmentDefinitionNode> =>
  new Map(
    document.definitions.flatMap((d) => (d.kind === Kind.FRAGMENT_DEFINITION ? [[d.name.value, d] as const] : [])),
  );

const maxRootFieldsRule =
  (max: number): ValidationRule =>
  (context) => ({
    OperationDefinition(node) {
      const count = rootFieldsOf(node, fragmentsOf(context.getDocument())).size;
      if (count > max)
        context.reportError(
          tooComplex(`An operation may select at most ${max} root fields; this one selects ${count}.`),
        );
    },
  });

export interface LimitsDeps {
  limits: GatewayConfig['limits'];
  sources: readonly Source[];
  planner: Planner;
  /** Introspection and suggestions allowed (development). */
  introspection: boolean;
  /** Customer fields the gateway computes → the fields they read (view/schema.ts SchemaExtension.reads). */
  reads?: Readonly<Record<string, readonly string[]>>;
}

export function useLimits({ limits, sources, planner, introspection, reads = {} }: LimitsDeps): Plugin<GatewayContext> {
  // Armor's rules are made once here: its envelop plugins make new ones on every request, for a validation that
  // is cached per document (index.ts), so they would cost on every request and matter only on a cache miss.
  const rules: ValidationRule[] = [
    // Depth as GraphQL nests it: a fragment spread is no level of its own (Armor's default counts each spread as one,
    // so a client's nested fragments would pass for a deep query); the cost rule still charges spreads.
    maxDepthRule({ ...armor, n: limits.maxDepth, flattenFragments: true }),
    maxAliasesRule({ ...armor, n: limits.maxAliases }),
    maxDirectivesRule({ ...armor, n: limits.maxDirectives }),
    costLimitRule({ ...armor, maxCost: limits.maxCost }),
    maxRootFieldsRule(limits.maxRootFields),
    ...(introspection ? [] : [NoSchemaIntrospectionCustomRule]),
  ];
  /** Customer field → the resource it reads. */
  const resourceOf = new Map<string, string>();
  for (const source of sources)
    for (const [field, binding] of Object.entries(source.adapter.fields))
      resourceOf.set(field, `${source.name}\u0000${binding.resource}`);

  /** The backend calls of an operation: each customer root loads every resource its sections read; a root by MSISDN first asks the directory. */
  const costOf = (
    document: DocumentNode,
    operationName: string | null | undefined,
    fields: ReadonlySet<string>,
  ): number => {
    const operation = document.definitions.find(
      (d: DocumentNode['definitions'][number]): d is OperationDefinitionNode =>
        d.kind === Kind.OPERATION_DEFINITION && (!operationName || d.name?.value === operationName),
    );
    if (!operation) return 0;
    const resources = new Set<string>();
    for (const field of fields)
      for (const read of [field, ...(reads[field] ?? [])]) {
        const resource = resourceOf.get(read);
        if (resource) resources.add(resource);
      }
    let cost = 0;
    for (const name of rootFieldsOf(operation, fragmentsOf(document)).values()) {
      if (name === 'customer') cost += resources.size;
      else if (name === 'customerByMsisdn') cost += resources.size + 1;
    }
    return cost;
  };
  const costs = new WeakMap<DocumentNode, WeakMap<object, number>>();

  return {
    onValidate: ({ addValidationRule }) => {
      for (const rule of rules) addValidationRule(rule);
    },
    onExecute: ({ args, extendContext, setResultAndStopExecution }) => {
      const plan = planner(args.document, args.operationName, args.variableValues);
      let byPlan = costs.get(args.document);
      let cost = byPlan?.get(plan);
      if (cost === undefined) {
        cost = costOf(args.document, args.operationName, plan.fields);
        // Plans that hold for every request of the document are cached by the planner: so is their cost.
        if (!plan.dependsOnVariables) {
          if (!byPlan) costs.set(args.document, (byPlan = new WeakMap()));
          byPlan.set(plan, cost);
        }
      }
      extendContext({ cost });
      if (cost > limits.maxBackendCalls) {
        setResultAndStopExecution({
          errors: [
            tooComplex(`This operation would make ${cost} backend calls; the limit is ${limits.maxBackendCalls}.`),
          ],
        });
      }
    },
  };
}
