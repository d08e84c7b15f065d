/**
 * Field rights, shared by the rights and mask plugins: the right of a role on one schema coordinate, the coordinates
 * a document selects, and a walk of an answer along the operation's selections that finds each field's value.
 */
import { operationOf } from '../view';
import {
  getNamedType,
  isListType,
  isNonNullType,
  isObjectType,
  Kind,
  TypeInfo,
  visit,
  visitWithTypeInfo,
  type DocumentNode,
  type FieldNode,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import type { Role } from '../config';

export type FieldRight = Role['fields'][string] | Role['default'];

/** The most specific right: `Type.field`, then `Type.*`, then the role's default. Introspection is not a field right. */
export function rightOf(role: Role, type: string, field: string): FieldRight {
  if (field.startsWith('__') || type.startsWith('__')) return 'allow';
  return role.fields[`${type}.${field}`] ?? role.fields[`${type}.*`] ?? role.default;
}

/** Every coordinate (`Type.field`) the document selects, in any operation or fragment. */
export function selectedCoordinates(schema: GraphQLSchema, document: DocumentNode): Set<string> {
  const coordinates = new Set<string>();
  const typeInfo = new TypeInfo(schema);
  visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node) {
        const parent = typeInfo.getParentType();
        if (parent) coordinates.add(`${parent.name}.${node.name.value}`);
      },
    }),
  );
  return coordinates;
}

/**
 * The document with every field the role may not read replaced by `__typename` under the same response key: no
 * resolver runs for it (so a denied section is never fetched, and the plan built from this document does not
 * contain it), the answer keeps its shape, and the rights plugin then puts null there.
 */
export function withoutDenied(
  schema: GraphQLSchema,
  document: DocumentNode,
  isDenied: (type: string, field: string) => boolean,
): DocumentNode {
  const typeInfo = new TypeInfo(schema);
  return visit(
    document,
    visitWithTypeInfo(typeInfo, {
      Field(node): FieldNode | undefined {
        const parent = typeInfo.getParentType();
        if (!parent || !isDenied(parent.name, node.name.value)) return undefined;
        return {
          kind: Kind.FIELD,
          alias: node.alias ?? { kind: Kind.NAME, value: node.name.value },
          name: { kind: Kind.NAME, value: '__typename' },
          arguments: [],
          // @skip/@include still decide whether the key is in the answer.
          directives: node.directives ?? [],
        };
      },
    }),
  );
}

export interface Visit {
  /** The object holding the field's value, and its key in it. */
  holder: Record<string, unknown>;
  key: string;
  type: GraphQLObjectType;
  field: GraphQLField<unknown, unknown>;
  /** The response path of the value. */
  path: ReadonlyArray<string | number>;
}

/**
 * What a visitor decides for a field: go on into its value, leave it as it is, null it (the walk applies
 * GraphQL's null propagation: a non-null field's null goes up to the nearest nullable field), or omit its key (a
 * field the caller never chose to ask for).
 */
export type Decision = 'descend' | 'keep' | 'null' | 'omit';

/**
 * Walks an answer along the operation's selections, through inline fragments and named fragments, calling `decide`
 * for every field present in the answer. Each selection set is walked once per object, however often a fragment is
 * spread, so the walk is linear in the answer and the document.
 */
export function walkAnswer(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  data: Record<string, unknown>,
  decide: (visit: Visit) => Decision,
): boolean {
  const { operation, fragments } = operationOf(document, operationName);
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return false;
  const seen = new WeakMap<object, Set<SelectionSetNode>>();

  /** Returns true when `object` itself must become null (a non-null field in it was nulled). */
  const walk = (
    object: Record<string, unknown>,
    selectionSet: SelectionSetNode,
    type: GraphQLObjectType,
    path: ReadonlyArray<string | number>,
  ): boolean => {
    let walked = seen.get(object);
    if (!walked) seen.set(object, (walked = new Set()));
    if (walked.has(selectionSet)) return false;
    walked.add(selectionSet);
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const key = selection.alias?.value ?? selection.name.value;
        if (!Object.hasOwn(object, key) || selection.name.value.startsWith('__')) continue;
        const field = type.getFields()[selection.name.value];
        if (!field) continue;
        const fieldPath = [...path, key];
        let decision = decide({ holder: object, key, type, field, path: fieldPath });
        if (decision === 'descend' && selection.selectionSet) {
          const named = getNamedType(field.type);
          if (isObjectType(named) && valueNeedsNull(object[key], selection.selectionSet, named, fieldPath))
            decision = 'null';
        }
        if (decision === 'null') {
          if (isNonNullType(field.type)) return true;
          object[key] = null;
        } else if (decision === 'omit') delete object[key]; // as if never asked: nothing to make null
      } else {
        const next = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
        if (!next) continue;
        const condition = next.typeCondition && schema.getType(next.typeCondition.name.value);
        // This schema has object types only: a fragment on another object type does not apply here.
        if (condition && isObjectType(condition) && condition !== type) continue;
        if (walk(object, next.selectionSet, type, path)) return true;
      }
    }
    return false;
  };

  /** Walks a field's value (an object, or a list of them); true when the field itself must become null. */
  const valueNeedsNull = (
    value: unknown,
    selectionSet: SelectionSetNode,
    type: GraphQLObjectType,
    path: ReadonlyArray<string | number>,
  ): boolean => {
    if (value === null || typeof value !== 'object') return false;
    if (!Array.isArray(value)) return walk(value as Record<string, unknown>, selectionSet, type, path);
    // An item that must be null: list items here are non-null, so the list itself becomes null.
    return value.some((item, i) => valueNeedsNull(item, selectionSet, type, [...path, i]));
  };

  return walk(data, operation.selectionSet, root, []);
}

/** Whether a field's type is a list (masks apply to each string of it). */
export const isList = (field: GraphQLField<unknown, unknown>): boolean =>
  isListType(isNonNullType(field.type) ? field.type.ofType : field.type);
