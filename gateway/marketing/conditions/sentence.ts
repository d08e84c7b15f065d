/**
 * A condition as a sentence business staff read, in Chinese or English, with the catalog's labels:
 *
 *   zh  客户分群为"年轻数据用户"，且流失概率小于 0.5，且标签含"港澳常旅客"
 *   en  Segment is "young data users" and churn probability is less than 0.5 and tags include "…"
 */
import type { FieldCatalog, FieldSpec } from '../../backends';
import { isLeaf, type Condition, type Leaf, type Operator, type Scalar } from './condition';

export type Language = 'zh' | 'en';

interface Words {
  and: string;
  or: string;
  not: (inner: string) => string;
  group: (inner: string) => string;
  list: (items: string[]) => string;
  operators: Record<Operator, (field: string, value: string) => string>;
}

const WORDS: Record<Language, Words> = {
  zh: {
    and: '，且',
    or: '，或',
    not: (inner) => `并非（${inner}）`,
    group: (inner) => `（${inner}）`,
    list: (items) => items.join('、'),
    operators: {
      equal: (f, v) => `${f}为${v}`,
      notEqual: (f, v) => `${f}不为${v}`,
      in: (f, v) => `${f}为${v}之一`,
      notIn: (f, v) => `${f}不为${v}中任一`,
      contains: (f, v) => `${f}含${v}`,
      doesNotContain: (f, v) => `${f}不含${v}`,
      lessThan: (f, v) => `${f}小于 ${v}`,
      lessThanInclusive: (f, v) => `${f}不大于 ${v}`,
      greaterThan: (f, v) => `${f}大于 ${v}`,
      greaterThanInclusive: (f, v) => `${f}不小于 ${v}`,
    },
  },
  en: {
    and: ' and ',
    or: ' or ',
    not: (inner) => `not (${inner})`,
    group: (inner) => `(${inner})`,
    list: (items) => items.join(', '),
    operators: {
      equal: (f, v) => `${f} is ${v}`,
      notEqual: (f, v) => `${f} is not ${v}`,
      in: (f, v) => `${f} is one of ${v}`,
      notIn: (f, v) => `${f} is none of ${v}`,
      contains: (f, v) => `${f} include ${v}`,
      doesNotContain: (f, v) => `${f} do not include ${v}`,
      lessThan: (f, v) => `${f} is less than ${v}`,
      lessThanInclusive: (f, v) => `${f} is at most ${v}`,
      greaterThan: (f, v) => `${f} is greater than ${v}`,
      greaterThanInclusive: (f, v) => `${f} is at least ${v}`,
    },
  },
};

/**
 * The condition as one sentence. Groups nested in another group are bracketed, so `a and (b or c)` reads as it
 * evaluates. Fields and values read with the catalog's labels (`label`, `valueLabels`), numbers with their unit;
 * a field the catalog does not name reads as its name.
 */
export function sentence(condition: Condition, catalog: FieldCatalog, lang: Language): string {
  const words = WORDS[lang];
  const say = (node: Condition, nested: boolean): string => {
    if (isLeaf(node)) return leaf(node, catalog, lang, words);
    if ('not' in node) return words.not(say(node.not, false));
    const [children, joiner] = 'all' in node ? [node.all, words.and] : [node.any, words.or];
    if (children.length === 1) return say(children[0] as Condition, nested);
    const text = children.map((c) => say(c, true)).join(joiner);
    return nested ? words.group(text) : text;
  };
  const text = say(condition, false);
  return lang === 'en' ? text.charAt(0).toUpperCase() + text.slice(1) : text;
}

function leaf(node: Leaf, catalog: FieldCatalog, lang: Language, words: Words): string {
  const spec: FieldSpec | undefined = Object.hasOwn(catalog, node.field) ? catalog[node.field] : undefined;
  const label = spec ? spec.label[lang] : node.field;
  const one = (value: Scalar): string => {
    if (typeof value === 'string') return `"${spec?.valueLabels?.[value]?.[lang] ?? value}"`;
    if (typeof value === 'boolean') return lang === 'zh' ? (value ? '是' : '否') : String(value);
    return spec?.unit ? `${value} ${spec.unit}` : String(value);
  };
  const value = Array.isArray(node.value) ? words.list(node.value.map(one)) : one(node.value);
  const phrase = words.operators[node.operator];
  return phrase ? phrase(label, value) : `${label} ${node.operator} ${value}`;
}
