/**
 * Which personal data an answer carried: the field paths, by schema field name (not alias), of every non-null leaf
 * of a root field's value (the Customer), except under the fields named not personal (`id`, `sources`). `{ c: customer(id: "C1") { p: profile { name } } }` answered
 * with a name gives `profile.name`; a field that masking or rights turned to null is not counted, since it carried
 * nothing. Lists collapse (`contacts.channel`). Fragments are followed; `__typename` is not data.
 *
 * It reads the operation as executed, so it sees exactly the selection the answer was built from, and the answer as
 * it leaves (after masking), so it counts only what was given.
 *
 * It runs on every answer that may carry personal data, cached ones included, so the selection is read once per
 * document: a plan (fragments followed, each field's path written, the leaves below it numbered) kept per document
 * and operation. The walk over an answer then only reads values, and leaves a subtree as soon as every path below it
 * has been found: the second and later items of a list cost a look-up per leaf, not a walk.
 */
import { Kind, getOperationAST, type DocumentNode, type FragmentDefinitionNode, type SelectionSetNode } from 'graphql';

/** A field of the selection: where its value is, its path, and the leaves (by number) at or below it. */
interface PlanField {
  key: string;
  path: string;
  /** Null for a leaf. */
  children: PlanField[] | null;
  leaves: readonly number[];
}

interface Plan {
  /** The root fields with a selection, by response key, and the fields walked below each. */
  roots: Array<{ key: string; fields: PlanField[] }>;
  /** Every path a leaf may have, by leaf number. */
  paths: readonly string[];
}

/** Plans per document, then per operation name and the not-personal list (one list per gateway, in practice). */
const plans = new WeakMap<DocumentNode, Map<string, Plan | null>>();

export function personalPaths(
  document: DocumentNode,
  operationName: string | null | undefined,
  data: unknown,
  notPersonal: ReadonlySet<string>,
): string[] {
  if (!isObject(data)) return [];
  const plan = planOf(document, operationName, notPersonal);
  if (!plan) return [];
  const found = new Uint8Array(plan.paths.length);
  const complete = (field: PlanField): boolean => {
    for (const leaf of field.leaves) if (found[leaf] === 0) return false;
    return true;
  };
  const walk = (fields: readonly PlanField[], value: Record<string, unknown>): void => {
    for (const field of fields) {
      if (complete(field)) continue;
      const child = value[field.key];
      if (child === null || child === undefined) continue;
      if (field.children === null) {
        found[field.leaves[0] as number] = 1;
        continue;
      }
      if (!Array.isArray(child)) {
        if (isObject(child)) walk(field.children, child);
      } else eachItem(child, field, walk, complete);
    }
  };
  for (const root of plan.roots)
    for (const item of flatten(data[root.key])) if (isObject(item)) walk(root.fields, item);
  const paths: string[] = [];
  found.forEach((was, leaf) => {
    if (was === 1) paths.push(plan.paths[leaf] as string);
  });
  return paths.sort();
}

/**
 * Whether `personalPaths` reads anything at a response path of the answer (response keys; list indexes are passed
 * over, as lists collapse): a value there that changes changes nothing it finds when this is false.
 */
export function readsAt(
  document: DocumentNode,
  operationName: string | null | undefined,
  notPersonal: ReadonlySet<string>,
  path: ReadonlyArray<string | number>,
): boolean {
  const plan = planOf(document, operationName, notPersonal);
  const keys = path.filter((step): step is string => typeof step === 'string');
  const [rootKey, ...below] = keys;
  let fields: readonly PlanField[] | null =
    plan?.roots.filter((root) => root.key === rootKey).flatMap((r) => r.fields) ?? [];
  if (below.length === 0) return fields.length > 0;
  for (const key of below) {
    const matching: PlanField[] = (fields ?? []).filter((field) => field.key === key);
    if (matching.length === 0) return false;
    fields = matching.flatMap((field) => field.children ?? []);
    if (matching.some((field) => field.children === null)) return true;
  }
  return true;
}

function planOf(document: DocumentNode, operationName: string | null | undefined, notPersonal: ReadonlySet<string>) {
  let byOperation = plans.get(document);
  if (!byOperation) plans.set(document, (byOperation = new Map()));
  const key = `${operationName ?? ''}\u0000${[...notPersonal].join('\u0000')}`;
  let plan = byOperation.get(key);
  if (plan === undefined) byOperation.set(key, (plan = planned(document, operationName, notPersonal)));
  return plan;
}

/** The plan of one operation: its selection with fragments followed, each leaf path numbered once. */
function planned(
  document: DocumentNode,
  operationName: string | null | undefined,
  notPersonal: ReadonlySet<string>,
): Plan | null {
  const operation = getOperationAST(document, operationName);
  if (!operation) return null;
  const fragments = new Map<string, FragmentDefinitionNode>();
  for (const def of document.definitions) if (def.kind === Kind.FRAGMENT_DEFINITION) fragments.set(def.name.value, def);
  const paths: string[] = [];
  const numbers = new Map<string, number>();
  const leafOf = (path: string): number => {
    let n = numbers.get(path);
    if (n === undefined) {
      numbers.set(path, (n = paths.length));
      paths.push(path);
    }
    return n;
  };

  /** The fields of a selection over one value, `path` being the value's own path ('' at a root value). */
  const fieldsOf = (selectionSet: SelectionSetNode, path: string, seen: ReadonlySet<string>): PlanField[] => {
    const fields: PlanField[] = [];
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.INLINE_FRAGMENT) {
        fields.push(...fieldsOf(selection.selectionSet, path, seen));
        continue;
      }
      if (selection.kind === Kind.FRAGMENT_SPREAD) {
        const name = selection.name.value;
        const fragment = fragments.get(name);
        // Validation forbids cycles; the guard keeps a malformed document from looping here all the same.
        if (fragment && !seen.has(name)) fields.push(...fieldsOf(fragment.selectionSet, path, new Set(seen).add(name)));
        continue;
      }
      const name = selection.name.value;
      if (name === '__typename') continue;
      if (path === '' && notPersonal.has(name)) continue;
      const key = selection.alias?.value ?? name;
      const childPath = path === '' ? name : `${path}.${name}`;
      if (!selection.selectionSet) {
        fields.push({ key, path: childPath, children: null, leaves: [leafOf(childPath)] });
        continue;
      }
      const children = fieldsOf(selection.selectionSet, childPath, seen);
      const leaves = [...new Set(children.flatMap((child) => child.leaves))];
      fields.push({ key, path: childPath, children, leaves });
    }
    return fields;
  };

  const roots: Plan['roots'] = [];
  for (const selection of rootFields(operation.selectionSet, fragments, new Set())) {
    if (!selection.selectionSet) continue;
    roots.push({
      key: selection.alias?.value ?? selection.name.value,
      fields: fieldsOf(selection.selectionSet, '', new Set()),
    });
  }
  return { roots, paths };
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

/** Walks the objects of a (nested) list until every path below the field is found. */
function eachItem(
  list: readonly unknown[],
  field: PlanField,
  walk: (fields: readonly PlanField[], value: Record<string, unknown>) => void,
  complete: (field: PlanField) => boolean,
): boolean {
  for (const item of list) {
    if (Array.isArray(item)) {
      if (eachItem(item, field, walk, complete)) return true;
    } else if (isObject(item)) {
      walk(field.children as PlanField[], item);
      if (complete(field)) return true;
    }
  }
  return false;
}

const isObject = (value: unknown): value is Record<string, unknown> =>
  typeof value === 'object' && value !== null && !Array.isArray(value);

function flatten(value: unknown): unknown[] {
  return Array.isArray(value) ? value.flatMap(flatten) : [value];
}
