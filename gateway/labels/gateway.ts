/**
 * The gateway's own codes: its sections, its sources and their provenance, and why an offer is withheld (the
 * eligibility check's reasons).
 */
import type { Labels } from './types';

/** The Customer sections. */
export const section: Labels = {
  profile: { zh: '基本信息', en: 'Profile' },
  products: { zh: '已订产品', en: 'Products held' },
  contacts: { zh: '接触记录', en: 'Contact trail' },
  billing: { zh: '账务', en: 'Billing' },
  insights: { zh: '客户洞察', en: 'Insights' },
  score: { zh: '信用与定位', en: 'Credit and positioning' },
  recommendations: { zh: '推荐营销', en: 'Recommended offers' },
};

/** The backend systems, by their source name. */
export const source: Labels = {
  crm: { zh: 'CRM系统', en: 'CRM' },
  billing: { zh: '计费系统', en: 'billing' },
  warehouse: { zh: '数据仓库', en: 'data warehouse' },
  scoring: { zh: '评分系统', en: 'scoring' },
};

/** How a source took part in an answer (`SourceState`). */
export const sourceState: Labels = {
  LIVE: { zh: '实时', en: 'live' },
  CACHED: { zh: '缓存', en: 'cached' },
  STALE: { zh: '过期', en: 'stale' },
  UNAVAILABLE: { zh: '不可用', en: 'unavailable' },
  SKIPPED: { zh: '未请求', en: 'not asked' },
};

/** Why a source was unavailable. */
export const sourceReason: Labels = {
  timeout: { zh: '超时', en: 'timeout' },
  error: { zh: '故障', en: 'failure' },
  circuit_open: { zh: '熔断中', en: 'circuit open' },
  overloaded: { zh: '繁忙', en: 'overloaded' },
  bad_response: { zh: '响应异常', en: 'bad response' },
};

/** The state of a source's circuit breaker. */
export const breakerState: Labels = {
  CLOSED: { zh: '正常', en: 'closed' },
  OPEN: { zh: '熔断', en: 'open' },
  HALF_OPEN: { zh: '试探恢复', en: 'half open' },
};

/** Why an offer may not be made now (the eligibility check, gateway/marketing/eligibility). */
export const ineligibleReason: Labels = {
  UNKNOWN_CUSTOMER: { zh: '客户不存在', en: 'unknown customer' },
  LIVE_DATA_UNAVAILABLE: { zh: '实时数据暂不可用，无法核验', en: 'live data unavailable: cannot be checked' },
  HOLDS_PRODUCT: { zh: '已订购该产品', en: 'already holds the product' },
  SUSPENDED: { zh: '客户已停机', en: 'the line is suspended' },
  IN_ARREARS: { zh: '客户欠费', en: 'in arrears' },
  SUPPRESSED: { zh: '客户已退订营销', en: 'opted out of offers' },
  CAPPED: { zh: '已达接触频次上限', en: 'contact cap reached' },
  QUIET_HOURS: { zh: '免打扰时段', en: 'quiet hours' },
  OUTSIDE_WINDOW: { zh: '不在发送时段内', en: 'outside the sending window' },
};
