/**
 * Masking: after execution, before the answer is rendered, every field the consumer's role reads masked is
 * replaced by its masked form, by a named rule. The cache and coalescing hold raw records; only the answer of this
 * request is masked, so no answer reaches a consumer with other rights. The same plugin serves GraphQL and SOAP.
 */
import { operationOf } from '../view';
import type { Plugin } from '@envelop/core';
import {
  getNamedType,
  isObjectType,
  Kind,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLObjectType,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import type { MASK_RULES, Role } from '../config';
import type { GatewayContext } from './context';
import { rightOf } from './fields';

export type MaskRule = (typeof MASK_RULES)[number];

const stars = (n: number): string => '*'.repeat(Math.max(0, n));

/** Keeps the first `head` and last `tail` characters; a value too short to keep anything is all stars. */
const keepEnds = (value: string, head: number, tail: number): string => {
  const chars = [...value];
  if (chars.length <= head + tail) return stars(chars.length);
  return chars.slice(0, head).join('') + stars(chars.length - head - tail) + chars.slice(chars.length - tail).join('');
};

/** The masking rules, by the names roles use in config. Each is idempotent: masking twice changes nothing. */
export const MASKS: Record<MaskRule, (value: string) => string> = {
  /** ID-card number: region code and last four kept, `110***********1234`. */
  idCard: (value) => keepEnds(value, 3, 4),
  /** Mobile number: `138****5678`. */
  msisdn: (value) => keepEnds(value, 3, 4),
  /** Address: the province and city only, `广东省深圳市`; without a city, the first six characters. */
  cityOnly: (value) => /^.*?(?:省|自治区)?.*?市/u.exec(value)?.[0] ?? [...value].slice(0, 6).join(''),
  /** E-mail: first character of the local part and the domain, `z***@163.com`. */
  email: (value) => {
    const at = value.lastIndexOf('@');
    return at < 1 ? stars(value.length) : `${[...value][0]}***${value.slice(at)}`;
  },
  /** Personal name: the first character, `张*`. */
  name: (value) => {
    const chars = [...value];
    return chars.length === 0 ? value : chars[0] + stars(chars.length - 1 || 1);
  },
};

const maskValue = (rule: MaskRule, value: unknown): unknown =>
  typeof value === 'string' ? MASKS[rule](value) : Array.isArray(value) ? value.map((v) => maskValue(rule, v)) : value;

export interface MaskDeps {
  schema: GraphQLSchema;
  roles: Readonly<Record<string, Role>>;
}

/**
 * Where the masked fields of one operation are, by response key: only the branches that lead to a masked field,
 * so applying it to an answer touches those few values and nothing else (measured: walking the whole cached full
 * view per request cost about a third of the gateway's throughput; this costs almost nothing).
 */
interface MaskNode {
  mask?: MaskRule;
  children?: Map<string, MaskNode>;
}

function maskTree(
  schema: GraphQLSchema,
  document: DocumentNode,
  operationName: string | null | undefined,
  role: Role,
): MaskNode | null {
  const { operation, fragments } = operationOf(document, operationName);
  const root = operation && schema.getRootType(operation.operation);
  if (!operation || !root) return null;
  // Each selection set is added once per node, however often a fragment is spread.
  const added = new WeakMap<MaskNode, Set<SelectionSetNode>>();
  const add = (node: MaskNode, selectionSet: SelectionSetNode, type: GraphQLObjectType): boolean => {
    let sets = added.get(node);
    if (!sets) added.set(node, (sets = new Set()));
    if (sets.has(selectionSet)) return false;
    sets.add(selectionSet);
    let any = false;
    for (const selection of selectionSet.selections) {
      if (selection.kind === Kind.FIELD) {
        const field = type.getFields()[selection.name.value];
        if (!field) continue;
        const key = selection.alias?.value ?? selection.name.value;
        const right = rightOf(role, type.name, field.name);
        const named = getNamedType(field.type);
        node.children ??= new Map();
        const child = node.children.get(key) ?? {};
        let used = false;
        if (typeof right === 'object') {
          child.mask = right.mask;
          used = true;
        } else if (right === 'allow' && selection.selectionSet && isObjectType(named))
          used = add(child, selection.selectionSet, named);
        if (used || node.children.has(key)) {
          node.children.set(key, child);
          any = true;
        }
      } else {
        const next = selection.kind === Kind.INLINE_FRAGMENT ? selection : fragments.get(selection.name.value);
        const condition = next?.typeCondition && schema.getType(next.typeCondition.name.value);
        if (!next || (condition && isObjectType(condition) && condition !== type)) continue;
        if (add(node, next.selectionSet, type)) any = true;
      }
    }
    return any;
  };
  const tree: MaskNode = {};
  return add(tree, operation.selectionSet, root) ? tree : null;
}

function applyMasks(node: MaskNode, value: unknown): void {
  if (value === null || typeof value !== 'object' || !node.children) return;
  if (Array.isArray(value)) {
    for (const item of value) applyMasks(node, item);
    return;
  }
  const object = value as Record<string, unknown>;
  for (const [key, child] of node.children) {
    if (!Object.hasOwn(object, key)) continue;
    if (child.mask) object[key] = maskValue(child.mask, object[key]);
    else applyMasks(child, object[key]);
  }
}

export function useMask({ schema, roles }: MaskDeps): Plugin<GatewayContext> {
  /** Per original document, per role and operation: where its masked fields are, or null (most select none). */
  const trees = new WeakMap<DocumentNode, Map<string, MaskNode | null>>();
  const treeFor = (
    document: DocumentNode,
    operationName: string | null | undefined,
    roleName: string,
    role: Role,
  ): MaskNode | null => {
    const key = `${roleName}\u0000${operationName ?? ''}`;
    let byRole = trees.get(document);
    let tree = byRole?.get(key);
    if (tree === undefined) {
      tree = maskTree(schema, document, operationName, role);
      if (!byRole) trees.set(document, (byRole = new Map()));
      byRole.set(key, tree);
    }
    return tree;
  };

  return {
    onExecute: ({ args, context }) => {
      const roleName = context.consumer?.role;
      const role = roleName === undefined ? undefined : roles[roleName];
      if (!role || !roleName) return;
      // The rights plugin may have replaced the document: the fields to mask are those of the one sent.
      const document = context.clientDocument ?? args.document;
      const tree = treeFor(document, args.operationName, roleName, role);
      if (!tree) return;
      return {
        // A kept answer (answer-cache.ts) was masked for this role before it was kept.
        onExecuteDone: ({ result }) =>
          void (context.answeredFromCache || applyMasks(tree, (result as ExecutionResult).data)),
      };
    },
  };
}
