/**
 * Which fields of one type an operation selects, through fragments and honouring @skip/@include. The gateway uses
 * it to know, before any resolver runs, which sources a query needs: to start all their calls at once, to consult
 * the directory only when its sections are asked for, and to mark the other sources SKIPPED.
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

export function selectedFieldsOf(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  variables: Record<string, unknown> | null | undefined,
  typeName: string,
): Set<string> {
  const fields = new Set<string>();
  const fragments = new Map<string, FragmentDefinitionNode>();
  let operation: OperationDefinitionNode | undefined;
  for (const def of document.definitions) {
    if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
    else if (def.kind === Kind.OPERATION_DEFINITION && (!operationName || def.name?.value === operationName)) operation ??= def;
  }
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return fields;
  const vars = variables ?? {};
  const included = (node: Parameters<typeof getDirectiveValues>[1]): boolean =>
    getDirectiveValues(GraphQLSkipDirective, node, vars)?.if !== true && getDirectiveValues(GraphQLIncludeDirective, node, vars)?.if !== false;

  const walk = (selectionSet: SelectionSetNode, parent: GraphQLNamedType, seen: Set<string>): void => {
    for (const selection of selectionSet.selections) {
      if (!included(selection)) continue;
      if (selection.kind === Kind.FIELD) {
        if (parent.name === typeName) fields.add(selection.name.value);
        if (!selection.selectionSet || !(isObjectType(parent) || isInterfaceType(parent))) continue;
        const def = parent.getFields()[selection.name.value];
        if (def) walk(selection.selectionSet, getNamedType(def.type), seen);
      } else if (selection.kind === Kind.INLINE_FRAGMENT) {
        const type = selection.typeCondition ? schema.getType(selection.typeCondition.name.value) : parent;
        if (type) walk(selection.selectionSet, type, seen);
      } else {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        if (!fragment || seen.has(name)) continue;
        const type = schema.getType(fragment.typeCondition.name.value);
        if (type) walk(fragment.selectionSet, type, new Set(seen).add(name));
      }
    }
  };
  walk(operation.selectionSet, root, new Set());
  return fields;
}
