/**
 * The channel guideline's steering table, the one in force until `steering.table` (config) or a registered `steering`
 * definition replaces it. Data, checked like any other table (definition.ts) when the gateway starts.
 *
 * Costs: the business hall's 5.31 CNY and the phone hall's 2 CNY a transaction are the guideline's; it says only
 * "far lower" of SMS, web and WAP, so the electronic halls' figures here are estimates, as are the stores' and the
 * account manager's. Thresholds: the guideline's monthly counts; where its ranges meet at one count ("8+ strongest,
 * 5–8 strong"), the count belongs to the stronger level (8 is strongest); "3+, 3, 2" ringback changes reads as 4+
 * strongest, 3 strong.
 */
import type { SteeringTableInput } from './definition';

const E = ['SMS_HALL', 'WAP_HALL', 'WEB_HALL', 'SELF_SERVICE_TERMINAL', 'PHONE_HALL'] as const;

/** `[from strongest, from strong, from medium]`: the four ranges of one indicator, weak from 0. */
const levels = (strongest: number, strong: number, medium: number) => [
  { level: 'STRONGEST' as const, from: strongest },
  { level: 'STRONG' as const, from: strong, to: strongest },
  { level: 'MEDIUM' as const, from: medium, to: strong },
  { level: 'WEAK' as const, from: 0, to: medium },
];

export const DEFAULT_STEERING_TABLE: SteeringTableInput = {
  services: {
    BALANCE_ENQUIRY: { label: { zh: '余额查询', en: 'balance enquiry' }, rule: 'LOW_RISK_LOW_TOUCH', channels: [...E] },
    PUK_QUERY: { label: { zh: 'PUK码查询', en: 'PUK code' }, rule: 'LOW_RISK_LOW_TOUCH', channels: [...E] },
    PASSWORD_RESET: {
      label: { zh: '密码修改与重置', en: 'password change or reset' },
      rule: 'LOW_RISK_LOW_TOUCH',
      channels: ['WEB_HALL', 'WAP_HALL', 'SELF_SERVICE_TERMINAL', 'PHONE_HALL'],
    },
    REAL_TIME_CHARGES: {
      label: { zh: '实时话费查询', en: 'real-time charges' },
      rule: 'LOW_RISK_LOW_TOUCH',
      channels: [...E],
    },
    TOP_UP_CARD_STATUS: {
      label: { zh: '充值卡状态查询', en: 'top-up card status' },
      rule: 'LOW_RISK_LOW_TOUCH',
      channels: ['SMS_HALL', 'WAP_HALL', 'WEB_HALL', 'PHONE_HALL'],
    },
    ITEMISED_BILL: {
      label: { zh: '详单查询', en: 'itemised bill' },
      rule: 'LOW_RISK_LOW_TOUCH',
      channels: ['SELF_SERVICE_TERMINAL', 'WEB_HALL', 'WAP_HALL', 'SMS_HALL', 'PHONE_HALL'],
    },
    BILL_ENQUIRY: { label: { zh: '账单查询', en: 'bill enquiry' }, rule: 'LOW_RISK_LOW_TOUCH', channels: [...E] },
    PAYMENT: {
      label: { zh: '缴费充值', en: 'payment and top-up' },
      rule: 'OVERLOAD_TO_SELF_SERVICE',
      channels: ['SELF_SERVICE_TERMINAL', 'WAP_HALL', 'WEB_HALL', 'PHONE_HALL'],
    },
    VOICE_VAS: {
      label: { zh: '语音增值业务', en: 'voice value-added services' },
      rule: 'NICHE_SERVICE',
      channels: ['PHONE_HALL', 'SMS_HALL', 'WAP_HALL', 'WEB_HALL'],
    },
    PACKAGE_CHANGE: { label: { zh: '套餐变更', en: 'package change' }, rule: 'LOW_RISK_LOW_TOUCH', channels: [...E] },
    POINTS: {
      label: { zh: '积分查询与兑换', en: 'points enquiry and redemption' },
      rule: 'LOW_RISK_LOW_TOUCH',
      channels: [...E],
    },
    MONTERNET: {
      label: { zh: '梦网业务查询与退订', en: 'Monternet enquiry and unsubscribe' },
      rule: 'NICHE_SERVICE',
      channels: ['SMS_HALL', 'WAP_HALL', 'WEB_HALL', 'PHONE_HALL'],
    },
    RINGBACK_TONES: {
      label: { zh: '彩铃', en: 'ringback tones' },
      rule: 'LOW_RISK_LOW_TOUCH',
      channels: ['WAP_HALL', 'WEB_HALL', 'SMS_HALL', 'PHONE_HALL'],
    },
    MOBILE_NEWSPAPER: {
      label: { zh: '手机报', en: 'mobile newspaper' },
      rule: 'NICHE_SERVICE',
      channels: ['SMS_HALL', 'WAP_HALL', 'WEB_HALL'],
    },
    GPRS: {
      label: { zh: 'GPRS业务', en: 'GPRS' },
      rule: 'NICHE_SERVICE',
      channels: ['WAP_HALL', 'WEB_HALL', 'SMS_HALL'],
    },
    WEATHER: { label: { zh: '天气预报', en: 'weather' }, rule: 'NICHE_SERVICE', channels: ['SMS_HALL', 'WAP_HALL'] },
    ONE_CARD_MULTI_NUMBER: {
      label: { zh: '一卡多号', en: 'one card, several numbers' },
      rule: 'NICHE_SERVICE',
      channels: ['WEB_HALL', 'WAP_HALL', 'PHONE_HALL'],
    },
    INTERNATIONAL_LONG_DISTANCE: {
      label: { zh: '国际长途', en: 'international long distance' },
      rule: 'NICHE_SERVICE',
      channels: ['WEB_HALL', 'WAP_HALL', 'SMS_HALL', 'PHONE_HALL'],
    },
    FETION: {
      label: { zh: '飞信', en: 'Fetion' },
      rule: 'NICHE_SERVICE',
      channels: ['WAP_HALL', 'WEB_HALL', 'SMS_HALL'],
    },
    ACCOUNT_OPENING: {
      label: { zh: '开户', en: 'account opening' },
      rule: 'STANDARD_PRODUCT',
      channels: ['FRANCHISE_STORE', 'AGENT_POINT', 'BUSINESS_HALL'],
    },
    TOP_UP_CARD_SALE: {
      label: { zh: '充值卡销售', en: 'top-up cards' },
      rule: 'STANDARD_PRODUCT',
      channels: ['FRANCHISE_STORE', 'AGENT_POINT', 'SELF_SERVICE_TERMINAL'],
    },
    SIM_BUNDLE: {
      label: { zh: '标准SIM卡套装', en: 'standard SIM bundle' },
      rule: 'STANDARD_PRODUCT',
      channels: ['FRANCHISE_STORE', 'AGENT_POINT', 'BUSINESS_HALL'],
    },
    DATA_SERVICE: {
      label: { zh: '标准数据业务', en: 'standard data services' },
      rule: 'STANDARD_PRODUCT',
      channels: ['FRANCHISE_STORE', 'AGENT_POINT', 'WAP_HALL', 'WEB_HALL'],
    },
  },
  channels: {
    BUSINESS_HALL: { costCny: 5.31 },
    FLAGSHIP_STORE: { costCny: 5.31 },
    SELF_SERVICE_HALL: { costCny: 1.2 },
    PHONE_HALL: { costCny: 2 },
    SMS_HALL: { costCny: 0.1 },
    WEB_HALL: { costCny: 0.2 },
    WAP_HALL: { costCny: 0.15 },
    SELF_SERVICE_TERMINAL: { costCny: 0.5 },
    ACCOUNT_MANAGER: { costCny: 12 },
    FRANCHISE_STORE: { costCny: 3 },
    AGENT_POINT: { costCny: 2.5 },
  },
  preferences: {
    PHONE_HALL: { billEnquiries: levels(8, 5, 2), addressEnquiries: levels(6, 4, 2) },
    SMS_HALL: { sms: levels(300, 150, 50), mms: levels(30, 15, 8) },
    WEB_HALL: { gprsMb: levels(500, 300, 100), ringbackChanges: levels(4, 3, 2), newDataServices: levels(4, 3, 1) },
    WAP_HALL: { wapGprsMb: levels(500, 300, 100), wapNewDataServices: levels(4, 3, 1) },
    SELF_SERVICE_TERMINAL: { itemisedBillPrints: levels(5, 3, 2) },
  },
  highValueTiers: ['DIAMOND', 'PLATINUM', 'GOLD'],
  saturatedAt: 0.9,
};
