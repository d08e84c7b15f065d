/**
 * Masking: after execution, before the answer is rendered, every field the consumer's role reads masked is
 * replaced by its masked form, by a named rule. The cache and coalescing hold raw records; only the answer of this
 * request is masked, so no answer reaches a consumer with other rights. The same plugin serves GraphQL and SOAP.
 */
import type { Plugin } from '@envelop/core';
import type { DocumentNode, ExecutionResult, GraphQLSchema } from 'graphql';
import type { MASK_RULES, Role } from '../config';
import type { GatewayContext } from './context';
import { rightOf, selectedCoordinates, walkAnswer } from './fields';

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

export function useMask({ schema, roles }: MaskDeps): Plugin<GatewayContext> {
  /** Per original document, per role: whether it selects any field the role reads masked (most do not). */
  const masks = new WeakMap<DocumentNode, Map<string, boolean>>();
  const selectsMasked = (document: DocumentNode, roleName: string, role: Role): boolean => {
    let byRole = masks.get(document);
    let found = byRole?.get(roleName);
    if (found === undefined) {
      found = [...selectedCoordinates(schema, document)].some((c) => {
        const dot = c.indexOf('.');
        return typeof rightOf(role, c.slice(0, dot), c.slice(dot + 1)) === 'object';
      });
      if (!byRole) masks.set(document, (byRole = new Map()));
      byRole.set(roleName, found);
    }
    return found;
  };

  return {
    onExecute: ({ args, context }) => {
      const roleName = context.consumer?.role;
      const role = roleName === undefined ? undefined : roles[roleName];
      if (!role || !roleName) return;
      // The rights plugin may have replaced the document: the fields to mask are those of the one sent.
      const document = originalDocuments.get(args) ?? args.document;
      if (!selectsMasked(document, roleName, role)) return;
      return {
        onExecuteDone: ({ result }) => {
          const data = (result as ExecutionResult).data as Record<string, unknown> | null | undefined;
          if (!data) return;
          walkAnswer(schema, document, args.operationName, data, ({ holder, key, type, field }) => {
            const right = rightOf(role, type.name, field.name);
            if (typeof right === 'object') {
              holder[key] = maskValue(right.mask, holder[key]);
              return 'keep';
            }
            return 'descend';
          });
        },
      };
    },
  };
}

/** The document a client sent, for execution arguments whose document the rights plugin replaced. */
export const originalDocuments = new WeakMap<object, DocumentNode>();
