/**
 * Labels of channel steering (gateway/steering/): the channels a customer can be steered to, the preference levels,
 * the guideline's diversion principles (a service's rule), the two bases of a recommendation and the reasons a line
 * gives. Chinese first (the agents' language), English second. The services' labels are data: each row of the
 * diversion table carries its own (gateway/steering/default-table.ts).
 */

/** A code's label: Chinese first, English second. */
export interface SteeringLabel {
  zh: string;
  en: string;
}

/**
 * The guideline's channel list, with the phone hall (the call centre and its IVR, which the warehouse keeps a
 * preference level for). Codes as the CRM's contacts and the warehouse name them.
 */
export const STEERING_CHANNELS = {
  BUSINESS_HALL: { zh: '营业厅', en: 'business hall' },
  FLAGSHIP_STORE: { zh: '旗舰店', en: 'flagship store' },
  SELF_SERVICE_HALL: { zh: '自助营业厅', en: 'self-service hall' },
  PHONE_HALL: { zh: '电话营业厅', en: 'phone hall' },
  SMS_HALL: { zh: '短信营业厅', en: 'SMS hall' },
  WEB_HALL: { zh: '网上营业厅', en: 'web hall' },
  WAP_HALL: { zh: '掌上营业厅', en: 'WAP hall' },
  SELF_SERVICE_TERMINAL: { zh: '自助终端', en: 'self-service terminal' },
  ACCOUNT_MANAGER: { zh: '客户经理', en: 'account manager' },
  FRANCHISE_STORE: { zh: '加盟店', en: 'franchise store' },
  AGENT_POINT: { zh: '代理网点', en: 'agent point' },
} as const satisfies Record<string, SteeringLabel>;
export type SteeringChannel = keyof typeof STEERING_CHANNELS;

/** The electronic channels a preference level is kept for (the warehouse's channel preferences). */
export const ELECTRONIC_CHANNELS = ['PHONE_HALL', 'SMS_HALL', 'WEB_HALL', 'WAP_HALL', 'SELF_SERVICE_TERMINAL'] as const;
export type ElectronicChannel = (typeof ELECTRONIC_CHANNELS)[number];

/** Strongest first. */
export const PREFERENCE_LEVELS = {
  STRONGEST: { zh: '最强', en: 'strongest' },
  STRONG: { zh: '强', en: 'strong' },
  MEDIUM: { zh: '中', en: 'medium' },
  WEAK: { zh: '弱', en: 'weak' },
} as const satisfies Record<string, SteeringLabel>;
export type PreferenceLevel = keyof typeof PREFERENCE_LEVELS;
export const LEVEL_ORDER = Object.keys(PREFERENCE_LEVELS) as PreferenceLevel[];

/** The guideline's diversion principles: why a service goes to the channels its row lists. */
export const DIVERSION_RULES = {
  LOW_RISK_LOW_TOUCH: {
    zh: '低风险、低接触业务，引导至电子渠道',
    en: 'low-risk, low-touch service: electronic channels',
  },
  NICHE_SERVICE: { zh: '小众业务，引导至电子渠道', en: 'niche service: electronic channels' },
  STANDARD_PRODUCT: {
    zh: '标准化产品，引导至加盟店和代理网点',
    en: 'standard product: franchise stores and agent points',
  },
  OVERLOAD_TO_SELF_SERVICE: {
    zh: '占用人工渠道的业务，引导至自助渠道',
    en: 'service that crowds staffed channels: self-service',
  },
} as const satisfies Record<string, SteeringLabel>;
export type DiversionRule = keyof typeof DIVERSION_RULES;

/** What a recommendation is ranked by: high-value customers by their preference, ordinary ones by cost. */
export const STEERING_BASES = {
  PREFERENCE: { zh: '高价值客户，按渠道偏好优先', en: 'high-value customer: preference first' },
  COST: { zh: '普通客户，按渠道成本优先', en: 'ordinary customer: cost first' },
} as const satisfies Record<string, SteeringLabel>;
export type SteeringBasis = keyof typeof STEERING_BASES;

/** Why a line recommends its channel. */
export const STEERING_REASONS = {
  STRONGEST_PREFERENCE: { zh: '客户最常用的渠道', en: "the customer's most used channel" },
  LOWEST_COST: { zh: '成本最低的渠道', en: 'the cheapest channel' },
  NEXT_NOT_SATURATED: { zh: '更优渠道繁忙，改选次优渠道', en: 'a better channel is saturated: the next one' },
  ALL_SATURATED: { zh: '可选渠道均繁忙，选负荷最低者', en: 'every eligible channel is saturated: the least loaded' },
} as const satisfies Record<string, SteeringLabel>;
export type SteeringReasonCode = keyof typeof STEERING_REASONS;

/** The counts behind the preference levels (the warehouse's channel usage, per month). */
export const USAGE_INDICATORS = {
  billEnquiries: { zh: '账单查询次数', en: 'bill enquiries' },
  addressEnquiries: { zh: '地址电话查询次数', en: 'address and phone enquiries' },
  sms: { zh: '短信条数', en: 'SMS sent' },
  mms: { zh: '彩信条数', en: 'MMS sent' },
  gprsMb: { zh: 'GPRS流量(MB)', en: 'GPRS MB' },
  newDataServices: { zh: '新开数据业务数', en: 'new data services' },
  ringbackChanges: { zh: '彩铃更换次数', en: 'ringback-tone changes' },
  wapGprsMb: { zh: 'WAP GPRS流量(MB)', en: 'GPRS MB through WAP' },
  wapNewDataServices: { zh: 'WAP新开数据业务数', en: 'new data services through WAP' },
  itemisedBillPrints: { zh: '详单打印次数', en: 'itemised-bill prints' },
} as const satisfies Record<string, SteeringLabel>;
export type UsageIndicator = keyof typeof USAGE_INDICATORS;
