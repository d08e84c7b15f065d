/**
 * Which personal data an answer carried: the field paths, by schema field name (not alias), of every non-null leaf
 * of a root field's value (the Customer), except under the fields named not personal (`id`, `sources`). `{ c: customer(id: "C1") { p: profile { name } } }` answered
 * with a name gives `profile.name`; a field that masking or rights turned to null is not counted, since it carried
 * nothing. Lists collapse (`contacts.channel`). Fragments are followed; `__typename` is not data.
 *
 * It reads the operation as executed, so it sees exactly the selection the answer was built from, and the answer as
 * it leaves (after masking), so it counts only what was given.
 */
import { Kind, getOperationAST, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';

export function personalPaths(
  document: DocumentNode,
  operationName: string | null | undefined,
  data: unknown,
  notPersonal: ReadonlySet<string>,
): string[] {
  const operation = getOperationAST(document, operationName);
  if (!operation || !isObject(data)) return [];
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const found = new Set<string>();

  /** Walks a selection over a value; `path` is the field path below the root field, '' at a root value. */
  const walk = (
    selectionSet: SelectionSetNode,
    value: Record<string, unknown>,
    path: string,
    seen: ReadonlySet<string>,
  ): void => {
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        walk(selection.selectionSet, value, path, seen);
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        // Validation forbids cycles; the guard keeps a malformed document from looping here all the same.
        if (fragment && !seen.has(name)) walk(fragment.selectionSet, value, path, new Set(seen).add(name));
        continue;
      }
      const name = selection.name.value;
      if (name === '__typename') continue;
      if (path === '' && notPersonal.has(name)) continue;
      const child = value[selection.alias?.value ?? name];
      if (child === null || child === undefined) continue;
      const childPath = path === '' ? name : `${path}.${name}`;
      if (!selection.selectionSet) {
        found.add(childPath);
        continue;
      }
      for (const item of flatten(child)) if (isObject(item)) walk(selection.selectionSet, item, childPath, seen);
    }
  };

  for (const selection of rootFields(operation.selectionSet, fragments, new Set())) {
    if (!selection.selectionSet) continue;
    const rootValue = data[selection.alias?.value ?? selection.name.value];
    for (const item of flatten(rootValue)) if (isObject(item)) walk(selection.selectionSet, item, '', new Set());
  }
  return [...found].sort();
}

/** The root fields of an operation, through fragments. */
function rootFields(selectionSet: SelectionSetNode, fragments: Map<string, FragmentDefinitionNode>, seen: Set<string>) {
  const fields: Array<Extract<SelectionSetNode['selections'][number], { kind: Kind.FIELD }>> = [];
  for (const selection of selectionSet.selections) {
    if (selection.kind === Kind.FIELD) fields.push(selection);
    else if (selection.kind === Kind.INLINE_FRAGMENT)
      fields.push(...rootFields(selection.selectionSet, fragments, seen));
    else if (!seen.has(selection.name.value)) {
      seen.add(selection.name.value);
      const fragment = fragments.get(selection.name.value);
      if (fragment) fields.push(...rootFields(fragment.selectionSet, fragments, seen));
    }
  }
  return fields;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function flatten(value: unknown): unknown[] {
  return Array.isArray(value) ? value.flatMap(flatten) : [value];
}
