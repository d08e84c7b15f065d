/**
 * Which fields of one type an operation selects, through fragments and honouring @skip/@include. The gateway uses
 * it to know, before any resolver runs, which sources a query needs: to start all their calls at once, to consult
 * the directory only when its sections are asked for, and to mark the other sources SKIPPED.
 *
 * Each fragment is walked once per operation, whatever the number of spreads (its fields depend only on its own
 * type condition), so the walk is linear in the size of the document.
 */
import {
  GraphQLIncludeDirective,
  GraphQLSkipDirective,
  getDirectiveValues,
  getNamedType,
  isInterfaceType,
  isObjectType,
  Kind,
  type DocumentNode,
  type FragmentDefinitionNode,
  type GraphQLNamedType,
  type GraphQLSchema,
  type OperationDefinitionNode,
  type SelectionSetNode,
} from 'graphql';
import { getVariableValues } from 'graphql/execution/values';

export interface Plan {
  fields: Set<string>;
  /** Whether @skip/@include read variables, so that the plan holds only for these variables. */
  dependsOnVariables: boolean;
  /** Why a @skip/@include could not be evaluated (e.g. `if: null` from a nullable variable): a request error. */
  error?: string;
}

/** The operation a request runs (the named one, else the first) and the document's fragments by name. */
export function operationOf(
  document: DocumentNode,
  operationName: string | null | undefined,
): { operation?: OperationDefinitionNode; fragments: Map<string, FragmentDefinitionNode> } {
  const fragments = new Map<string, FragmentDefinitionNode>();
  let operation: OperationDefinitionNode | undefined;
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    else if (def.kind === Kind.OPERATION_DEFINITION && (!operationName || def.name?.value === operationName))
      operation ??= def;
  }
  return { operation, fragments };
}

export function selectedFieldsOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  typeName: string,
): Plan {
  const fields = new Set<string>();
  const { operation, fragments } = operationOf(document, operationName);
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return { fields, dependsOnVariables: false };
  // Directives read coerced variables (defaults applied); invalid variables plan nothing and execution reports them.
  const coerced = getVariableValues(schema, operation.variableDefinitions ?? [], variables ?? {});
  if (coerced.errors) return { fields, dependsOnVariables: true };
  const vars = coerced.coerced;
  let dependsOnVariables = false;
  let error: string | undefined;
  const included = (node: Parameters<typeof getDirectiveValues>[1]): boolean => {
    if (!node.directives?.length) return true;
    if (node.directives.some((d) => d.arguments?.some((a) => a.value.kind === Kind.VARIABLE)))
      dependsOnVariables = true;
    try {
      return (
        getDirectiveValues(GraphQLSkipDirective, node, vars)?.if !== true &&
        getDirectiveValues(GraphQLIncludeDirective, node, vars)?.if !== false
      );
    } catch (err) {
      error ??= err instanceof Error ? err.message : 'A directive argument has an invalid value.';
      return true;
    }
  };

  const walked = new Set<string>();
  const walk = (selectionSet: SelectionSetNode, parent: GraphQLNamedType): void => {
    for (const selection of selectionSet.selections) {
      if (!included(selection)) continue;
      if (selection.kind === Kind.FIELD) {
        if (parent.name === typeName) fields.add(selection.name.value);
        if (!selection.selectionSet || !(isObjectType(parent) || isInterfaceType(parent))) continue;
        const def = parent.getFields()[selection.name.value];
        if (def) walk(selection.selectionSet, getNamedType(def.type));
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (type) walk(selection.selectionSet, type);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || walked.has(name)) continue;
        walked.add(name);
        const type = schema.getType(fragment.typeCondition.name.value);
        if (type) walk(fragment.selectionSet, type);
      }
    }
  };
  walk(operation.selectionSet, root);
  return { fields, dependsOnVariables, ...(error === undefined ? {} : { error }) };
}

/**
 * How many fields an operation selects once every fragment spread is written out in place, as a compiler that
 * inlines fragments sees it; stops counting past `limit` (returns limit + 1). Linear in the document: each
 * fragment's size is counted once, however often it is spread, so doubling fragments cannot make it slow.
 */
export function expandedSize(document: DocumentNode, operationName: string | null | undefined, limit: number): number {
  const { operation, fragments } = operationOf(document, operationName);
  if (!operation) return 0;
  const sizes = new Map<string, number>();
  const sizeOf = (selectionSet: SelectionSetNode): number => {
    let size = 0;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) size += 1 + (selection.selectionSet ? sizeOf(selection.selectionSet) : 0);
      else if (selection.kind === Kind.INLINE_FRAGMENT) size += sizeOf(selection.selectionSet);
      else {
        const name = selection.name.value;
        let fragmentSize = sizes.get(name);
        if (fragmentSize === undefined) {
          sizes.set(name, limit + 1); // a cycle (refused by validation anyway) counts as too big
          const fragment = fragments.get(name);
          fragmentSize = fragment ? sizeOf(fragment.selectionSet) : 0;
          sizes.set(name, fragmentSize);
        }
        size += fragmentSize;
      }
      if (size > limit) return limit + 1;
    }
    return size;
  };
  return sizeOf(operation.selectionSet);
}

/** Plans by document and operation, computed once for every plan that does not depend on variables. */
export function createPlanner(schema: GraphQLSchema, typeName = 'Customer') {
  const plans = new WeakMap<DocumentNode, Map<string, Plan>>();
  return (
    document: DocumentNode,
    operationName: string | null | undefined,
    variables: Record<string, unknown> | null | undefined,
  ): Plan => {
    const key = operationName ?? '';
    let byOperation = plans.get(document);
    let plan = byOperation?.get(key);
    if (!plan) {
      plan = selectedFieldsOf(schema, document, operationName, variables, typeName);
      // A plan that does not depend on variables holds for every request with this document.
      if (!plan.dependsOnVariables) {
        if (!byOperation) plans.set(document, (byOperation = new Map()));
        byOperation.set(key, plan);
      }
    }
    return plan;
  };
}
export type Planner = ReturnType<typeof createPlanner>;
