/**
 * Labels of channel steering (gateway/steering/): the channels a customer can be steered to, the preference levels,
 * the guideline's diversion principles (a service's rule), the two bases of a recommendation and the reasons a line
 * gives. Chinese first (the agents' language), English second. The services' labels are data: each row of the
 * diversion table carries its own (gateway/steering/default-table.ts).
 */
import { channel } from './channels';

/** A code's label: Chinese first, English second. */
export interface SteeringLabel {
  zh: string;
  en: string;
}

/**
 * The guideline's channel list (their labels are the catalog's `channel`), with the phone hall (the call centre and its IVR, which the warehouse keeps a
 * preference level for). Codes as the CRM's contacts and the warehouse name them.
 */
export const STEERING_CHANNELS = {
  BUSINESS_HALL: channel.BUSINESS_HALL as SteeringLabel,
  FLAGSHIP_STORE: channel.FLAGSHIP_STORE as SteeringLabel,
  SELF_SERVICE_HALL: channel.SELF_SERVICE_HALL as SteeringLabel,
  PHONE_HALL: channel.PHONE_HALL as SteeringLabel,
  SMS_HALL: channel.SMS_HALL as SteeringLabel,
  WEB_HALL: channel.WEB_HALL as SteeringLabel,
  WAP_HALL: channel.WAP_HALL as SteeringLabel,
  SELF_SERVICE_TERMINAL: channel.SELF_SERVICE_TERMINAL as SteeringLabel,
  ACCOUNT_MANAGER: channel.ACCOUNT_MANAGER as SteeringLabel,
  FRANCHISE_STORE: channel.FRANCHISE_STORE as SteeringLabel,
  AGENT_POINT: channel.AGENT_POINT as SteeringLabel,
} as const;
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
