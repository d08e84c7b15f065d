/**
 * A rule read back as the sentence business staff would say it, in Chinese or English, with the catalog's labels:
 *
 *   zh  当客户发生「拨打查号台」，且所拨号码为"114"，且已订购产品不含"12580综合信息服务"时，经短信推荐「12580综合信息服务（VAS-12580）」：“您刚拨打了114…”
 *   en  When the customer called directory enquiries, and number called is "114" and products held do not include
 *       "12580 information line": recommend VAS-12580 by SMS: "…"
 *
 * Field conditions read as the condition language reads them (conditions/sentence.ts); conditions over time read as
 * what they mean: "今年内首次…", "在…停留不少于 60 分钟", "在 2027-01-22 至 2027-03-02 期间".
 */
import type { FieldCatalog } from '../../backends';
import { labelOf } from '../../labels';
import { sentence as conditionSentence, type Condition, type Language } from '../conditions';
import type { RuleDefinition } from './definition';
import { eventCatalog, type RuleCatalog } from './when';

type Node = Record<string, unknown>;

/** A condition as a clause of the rule's sentence (in English not capitalised: it is not the sentence's start). */
const fieldSentence = (condition: Condition, fields: FieldCatalog, lang: Language): string => {
  const text = conditionSentence(condition, fields, lang);
  return lang === 'en' ? text.charAt(0).toLowerCase() + text.slice(1) : text;
};
const isNode = (value: unknown): value is Node => value !== null && typeof value === 'object' && !Array.isArray(value);

const WINDOW: Record<Language, Record<string, string>> = {
  zh: { day: '当天', week: '本周', month: '本月', year: '今年' },
  en: { day: 'today', week: 'this week', month: 'this month', year: 'this year' },
};
const DAY_NAMES: Record<Language, Record<string, string>> = {
  zh: { MON: '周一', TUE: '周二', WED: '周三', THU: '周四', FRI: '周五', SAT: '周六', SUN: '周日' },
  en: { MON: 'Mon', TUE: 'Tue', WED: 'Wed', THU: 'Thu', FRI: 'Fri', SAT: 'Sat', SUN: 'Sun' },
};
const COMPARE: Record<Language, Record<string, string>> = {
  zh: {
    equal: '等于',
    notEqual: '不等于',
    lessThan: '少于',
    lessThanInclusive: '不多于',
    greaterThan: '多于',
    greaterThanInclusive: '不少于',
  },
  en: {
    equal: 'exactly',
    notEqual: 'other than',
    lessThan: 'fewer than',
    lessThanInclusive: 'at most',
    greaterThan: 'more than',
    greaterThanInclusive: 'at least',
  },
};
const CHANNEL: Record<Language, Record<string, string>> = {
  zh: { SMS: '短信', PUSH: '客户端推送', EMAIL: '电子邮件', PREFERRED: '客户首选电子渠道' },
  en: { SMS: 'SMS', PUSH: 'app push', EMAIL: 'e-mail', PREFERRED: "the customer's preferred electronic channel" },
};

const kindLabel = (labels: RuleLabels, type: string, lang: Language): string => labels.kinds.get(type)?.[lang] ?? type;

/** The kinds' names for people (the kind definitions' labels). */
export interface RuleLabels {
  kinds: ReadonlyMap<string, { zh: string; en: string }>;
}

function windowOf(within: unknown, lang: Language): string {
  if (isNode(within) && typeof within.days === 'number')
    return lang === 'zh' ? `近${within.days}天内` : `in the last ${within.days} days`;
  const calendar = isNode(within) ? String(within.calendar) : '';
  return lang === 'zh' ? `${WINDOW.zh[calendar] ?? calendar}内` : (WINDOW.en[calendar] ?? calendar);
}

function timesOf(operator: string, value: unknown, lang: Language): string {
  if (operator === 'equal' && value === 1) return lang === 'zh' ? '首次' : 'for the first time';
  if (operator === 'equal' && typeof value === 'number')
    return lang === 'zh' ? `第${value}次` : `for the ${value}${value === 2 ? 'nd' : value === 3 ? 'rd' : 'th'} time`;
  const compare = COMPARE[lang][operator] ?? operator;
  return lang === 'zh' ? `累计次数${compare} ${String(value)}` : `${compare} ${String(value)} times`;
}

/** The rule's conditions as one sentence. */
export function whenSentence(
  when: unknown,
  on: readonly string[],
  catalog: RuleCatalog,
  labels: RuleLabels,
  lang: Language,
): string {
  const fields: FieldCatalog = { ...eventCatalog(catalog, on), ...catalog.view };
  const and = lang === 'zh' ? '，且' : ' and ';
  const or = lang === 'zh' ? '，或' : ' or ';
  const say = (node: unknown, nested: boolean): string => {
    if (!isNode(node)) return '';
    const group = Array.isArray(node.all) ? node.all : Array.isArray(node.any) ? node.any : null;
    if (group) {
      if (group.length === 1) return say(group[0], nested);
      const text = group.map((c) => say(c, true)).join(Array.isArray(node.all) ? and : or);
      return nested ? (lang === 'zh' ? `（${text}）` : `(${text})`) : text;
    }
    if (isNode(node.not)) return lang === 'zh' ? `并非（${say(node.not, false)}）` : `not (${say(node.not, false)})`;
    if (isNode(node.history)) {
      const h = node.history;
      const kind = kindLabel(labels, String(h.event), lang);
      const where = isNode(h.where)
        ? lang === 'zh'
          ? `（${fieldSentence(h.where as Condition, { ...fields, ...eventCatalog(catalog, [String(h.event)]) }, lang)}）`
          : ` (${fieldSentence(h.where as Condition, { ...fields, ...eventCatalog(catalog, [String(h.event)]) }, lang)})`
        : '';
      const times = timesOf(String(node.operator), node.value, lang);
      return lang === 'zh'
        ? `${windowOf(h.within, lang)}${times}「${kind}」${where}`
        : `${kind}${where} ${times} ${windowOf(h.within, lang)}`;
    }
    if (isNode(node.dwell)) {
      const d = node.dwell;
      const where = isNode(d.where)
        ? fieldSentence(d.where as Condition, { ...fields, ...eventCatalog(catalog, [String(d.event)]) }, lang)
        : '';
      const compare = COMPARE[lang][String(node.operator)] ?? String(node.operator);
      return lang === 'zh'
        ? `在（${where}）处停留${compare} ${String(node.value)} 分钟`
        : `stayed where ${where} for ${compare} ${String(node.value)} minutes`;
    }
    if (isNode(node.during)) return duringSentence(node.during, lang);
    if ('fact' in node) {
      const path = String(node.path ?? '$').replace(/^\$\.?/, '');
      const field =
        node.fact === 'event'
          ? path.startsWith('data.')
            ? `event.${path.slice(5)}`
            : `event.${path}`
          : `customer.${path}`;
      if (field === 'event.type') return kindClause(node.value, catalog, labels, lang);
      return fieldSentence({ field, operator: node.operator, value: node.value } as Condition, fields, lang);
    }
    if (node.field === 'event.type') return kindClause(node.value, catalog, labels, lang);
    return fieldSentence(node as unknown as Condition, fields, lang);
  };
  return say(when, false);
}

function kindClause(value: unknown, catalog: RuleCatalog, labels: RuleLabels, lang: Language): string {
  const kinds = (Array.isArray(value) ? value : [value]).map((k) => kindLabel(labels, String(k), lang));
  return lang === 'zh' ? `事件为「${kinds.join('」或「')}」` : `the event is ${kinds.join(' or ')}`;
}

function duringSentence(during: Node, lang: Language): string {
  const parts: string[] = [];
  if (Array.isArray(during.dates)) {
    const ranges = (during.dates as Node[]).map((r) =>
      lang === 'zh' ? `${String(r.from)} 至 ${String(r.to)}` : `${String(r.from)} to ${String(r.to)}`,
    );
    parts.push(lang === 'zh' ? `在 ${ranges.join('、')} 期间` : `between ${ranges.join(', ')}`);
  }
  if (Array.isArray(during.days))
    parts.push(
      lang === 'zh'
        ? `逢${(during.days as string[]).map((d) => DAY_NAMES.zh[d] ?? d).join('、')}`
        : `on ${(during.days as string[]).map((d) => DAY_NAMES.en[d] ?? d).join(', ')}`,
    );
  if (typeof during.start === 'string' && typeof during.end === 'string')
    parts.push(lang === 'zh' ? `${during.start} 至 ${during.end}` : `from ${during.start} to ${during.end}`);
  return lang === 'zh' ? `事件发生${parts.join('、')}` : `the event happens ${parts.join(', ')}`;
}

/** The whole rule: on what, when, and what it sends. */
export function ruleSentence(
  rule: RuleDefinition,
  on: readonly string[],
  catalog: RuleCatalog,
  labels: RuleLabels,
  lang: Language,
): string {
  const kinds = on.map((k) => kindLabel(labels, k, lang));
  const when = whenSentence(rule.when, on, catalog, labels, lang);
  const channel = CHANNEL[lang][rule.then.channel] ?? rule.then.channel;
  const care = rule.then.kind === 'care';
  // The offer by its name when the catalog knows it (its code after it, which is what the systems record).
  const name = labelOf('offer', rule.then.offerCode)?.[lang];
  const offer = name ? `${name}（${rule.then.offerCode}）` : rule.then.offerCode;
  if (lang === 'zh') {
    const head = kinds.length ? `当客户发生「${kinds.join('」或「')}」` : '当客户事件发生';
    return `${head}${when ? `，且${when}` : ''}时，经${channel}推荐「${offer}」${care ? '（关怀类）' : ''}：“${rule.then.message}”${rule.enabled ? '' : '（已停用）'}`;
  }
  const head = kinds.length ? `When the customer: ${kinds.join(' or ')}` : 'When a customer event arrives';
  return `${head}${when ? `, and ${when}` : ''}: recommend ${name ? `${name} (${rule.then.offerCode})` : rule.then.offerCode}${care ? ' (care)' : ''} by ${channel}: "${rule.then.message}"${rule.enabled ? '' : ' (disabled)'}`;
}
