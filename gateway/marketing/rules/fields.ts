/**
 * The view's fields a rule may test, made from the schema in force (sections registered at run time included) and
 * the rights of the role rules read the view as: `customer.<section>.<field>`, typed from the schema (Int, Float,
 * Decimal: number; Date, DateTime: date; String, ID, enums: string, enums as closed sets; lists of them: string[]),
 * projected through lists (`customer.products.code` is the set of codes held). A field the role may not read, or
 * reads masked, is not offered: a condition on it could never match.
 */
import {
  getNamedType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLObjectType,
  type GraphQLOutputType,
  type GraphQLSchema,
} from 'graphql';
import type { FieldCatalog, FieldSpec, FieldType } from '../../backends';
import type { Role } from '../../config';
import { CATALOG, type Domain } from '../../labels';

/** Chinese and English names of the view's usual fields; a registered section's fields are named by their description. */
const LABELS: Record<string, { zh: string; en: string }> = {
  'profile.status': { zh: '客户状态', en: 'customer status' },
  'profile.type': { zh: '客户类型', en: 'customer type' },
  'profile.gender': { zh: '性别', en: 'gender' },
  'profile.customerSince': { zh: '入网日期', en: 'customer since' },
  'profile.region.name': { zh: '归属地区', en: 'home region' },
  'products.code': { zh: '已订购产品', en: 'products held' },
  'products.name': { zh: '已订购产品名称', en: 'names of products held' },
  'products.category': { zh: '已订购产品类别', en: 'categories of products held' },
  'billing.balance': { zh: '账户余额', en: 'balance' },
  'billing.creditLimit': { zh: '信用额度', en: 'credit limit' },
  'insights.segment': { zh: '客户分群', en: 'segment' },
  'insights.tags': { zh: '客户标签', en: 'tags' },
  'insights.roamingDestinations': { zh: '漫游目的地', en: 'roaming destinations' },
  'insights.churnProbability': { zh: '流失概率', en: 'churn probability' },
  'insights.lifetimeValue': { zh: '客户终身价值', en: 'lifetime value' },
  'insights.loyaltyYears': { zh: '在网年数', en: 'years of loyalty' },
  'insights.campaignResponsesLast12Months': { zh: '近12个月营销响应次数', en: 'campaign responses, last 12 months' },
  'insights.usageMix.dataPercent': { zh: '数据业务占比', en: 'data share of usage' },
  'insights.usageMix.voicePercent': { zh: '语音业务占比', en: 'voice share of usage' },
  'insights.usageMix.localPercent': { zh: '本地通话占比', en: 'local share of calls' },
  'insights.usageMix.longDistancePercent': { zh: '长途通话占比', en: 'long-distance share of calls' },
  'insights.channelPreferences.channel': { zh: '偏好渠道', en: 'preferred channels' },
  'score.creditScore': { zh: '信用分', en: 'credit score' },
  'score.creditGrade': { zh: '信用等级', en: 'credit grade' },
  'score.valueTier': { zh: '价值等级', en: 'value tier' },
  'score.positioning': { zh: '客户定位', en: 'positioning' },
  'recommendations.offerCode': { zh: '推荐产品', en: 'recommended offers' },
};

/** The label catalog's domain of a field's codes: forms offer its values by their names, sentences say them. */
const VALUE_DOMAINS: Record<string, Domain> = {
  'profile.status': 'profileStatus',
  'profile.type': 'customerType',
  'profile.gender': 'gender',
  'products.code': 'offer',
  'products.category': 'productCategory',
  'insights.segment': 'segment',
  'insights.tags': 'tag',
  'insights.roamingDestinations': 'roamingDestination',
  'insights.channelPreferences.channel': 'channel',
  'insights.channelPreferences.level': 'preferenceLevel',
  'score.creditGrade': 'creditGrade',
  'score.valueTier': 'valueTier',
  'score.positioning': 'positioning',
  'recommendations.offerCode': 'offer',
};

/** Which fields are not conditions: the provenance, and what identifies a person. */
const SKIPPED_SECTIONS = new Set(['sources', 'contacts']);
const MAX_DEPTH = 3;

/** Whether the role reads `Type.field` as it is (not denied, not masked). */
export function readable(role: Role | undefined, type: string, field: string): boolean {
  if (!role) return true;
  const right = role.fields[`${type}.${field}`] ?? role.fields[`${type}.*`] ?? role.default;
  return right === 'allow';
}

function unwrap(type: GraphQLOutputType): { list: boolean } {
  let t: unknown = type;
  let list = false;
  for (;;) {
    if (isNonNullType(t)) t = t.ofType;
    else if (isListType(t)) {
      list = true;
      t = t.ofType;
    } else return { list };
  }
}

function scalarType(name: string): FieldType | null {
  if (['Int', 'Float', 'Decimal'].includes(name)) return 'number';
  if (['Date', 'DateTime'].includes(name)) return 'date';
  if (['String', 'ID'].includes(name)) return 'string';
  if (name === 'Boolean') return 'boolean';
  return null;
}

const firstSentence = (text: string | null | undefined, fallback: string): string =>
  (text ?? '').split(/(?<=[.。])\s/)[0]?.slice(0, 60) || fallback;

/** The view's fields the role may read, as the rules' catalog names them (`customer.insights.segment`). */
export function viewCatalog(schema: GraphQLSchema, role?: Role): FieldCatalog {
  const catalog: Record<string, FieldSpec> = {};
  const customer = schema.getType('Customer');
  if (!isObjectType(customer)) return catalog;
  const walk = (type: GraphQLObjectType, prefix: string, inList: boolean, depth: number): void => {
    for (const field of Object.values(type.getFields()) as Array<GraphQLField<unknown, unknown>>) {
      if (field.args.length > 0 || !readable(role, type.name, field.name)) continue;
      if (depth === 1 && SKIPPED_SECTIONS.has(field.name)) continue;
      const path = prefix ? `${prefix}.${field.name}` : field.name;
      const named = getNamedType(field.type);
      const list = inList || unwrap(field.type).list;
      if (isObjectType(named)) {
        if (depth < MAX_DEPTH) walk(named, path, list, depth + 1);
        continue;
      }
      const base = isEnumType(named) ? 'string' : isScalarType(named) ? scalarType(named.name) : null;
      if (base === null || (list && base !== 'string')) continue;
      const label = LABELS[path] ?? {
        zh: firstSentence(field.description, path),
        en: firstSentence(field.description, path),
      };
      catalog[`customer.${path}`] = {
        type: list ? 'string[]' : base,
        label,
        ...(isEnumType(named) ? { values: named.getValues().map((v) => v.name) } : {}),
        ...(VALUE_DOMAINS[path] ? { valueLabels: CATALOG[VALUE_DOMAINS[path] as Domain] } : {}),
      };
    }
  };
  walk(customer, '', false, 1);
  return catalog;
}

/** A GraphQL selection of the paths (`insights.tags`, `products.code`, `profile.region.name`), merged. */
export function selectionOf(paths: Iterable<string>): string {
  type Tree = Map<string, Tree>;
  const root: Tree = new Map();
  for (const path of paths) {
    let node = root;
    for (const step of path.split('.')) {
      if (!/^[A-Za-z_][A-Za-z0-9_]*$/.test(step)) break;
      const next = node.get(step) ?? new Map();
      node.set(step, next);
      node = next;
    }
  }
  const print = (tree: Tree): string =>
    [...tree].map(([name, children]) => (children.size ? `${name} { ${print(children)} }` : name)).join(' ');
  return print(root);
}
