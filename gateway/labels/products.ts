/** The CRM's catalogue and what the scoring system says of its offers. */
import type { Labels } from './types';

/** The catalogue, by offer code. */
export const offer: Labels = {
  'LV-58': { zh: '本地通话套餐58元', en: 'local voice plan 58 CNY' },
  'LV-88': { zh: '本地通话套餐88元', en: 'local voice plan 88 CNY' },
  'LD-10': { zh: '国内长途优惠包', en: 'domestic long-distance pack' },
  'LD-IDD': { zh: '国际及港澳台长途包', en: 'international long-distance pack' },
  'DATA-10G': { zh: '4G流量包10GB', en: '4G data 10 GB' },
  'DATA-30G': { zh: '5G流量包30GB', en: '5G data 30 GB' },
  'DATA-HKMO': { zh: '港澳漫游流量包', en: 'Hong Kong/Macau roaming data' },
  'VAS-CRBT': { zh: '彩铃', en: 'ringback tones' },
  'VAS-CLIP': { zh: '来电显示', en: 'caller ID' },
  'VAS-NEWS': { zh: '手机报', en: 'mobile newspaper' },
  'VAS-CLOUD': { zh: '和彩云存储50GB', en: 'cloud storage 50 GB' },
  'VAS-VIDEO': { zh: '视频会员', en: 'video membership' },
  'VAS-12580': { zh: '12580综合信息服务', en: '12580 information line' },
  'LD-12593': { zh: '12593长途优惠', en: '12593 long-distance savings' },
  'VAS-MISSED-CALL': { zh: '来电提醒', en: 'missed-call reminder' },
  'VAS-SECURITIES': { zh: '手机证券', en: 'mobile securities' },
  'ROAM-NATIONAL': { zh: '国内漫游优惠包', en: 'national roaming pack' },
  'LOCAL-HOME': { zh: '回家本地套餐', en: 'welcome-home local plan' },
};

export const productCategory: Labels = {
  LOCAL_VOICE: { zh: '本地语音', en: 'local voice' },
  LONG_DISTANCE: { zh: '长途', en: 'long distance' },
  DATA: { zh: '流量', en: 'data' },
  VALUE_ADDED: { zh: '增值业务', en: 'value-added service' },
};

/** A product held: in force, suspended with the line, or cancelled. */
export const productStatus: Labels = {
  ACTIVE: { zh: '生效', en: 'active' },
  SUSPENDED: { zh: '暂停', en: 'suspended' },
  CANCELLED: { zh: '已退订', en: 'cancelled' },
};

/**
 * Why the scoring system recommends an offer (`reasonCode`); the system also gives the reason in Chinese with the
 * customer's own figures (`reason`), which the desk shows as it is.
 */
export const offerReason: Labels = {
  ROAMING_HK_MO: {
    zh: '近3个月中有2个月漫游港澳',
    en: 'Roamed to Hong Kong/Macau in 2 of the last 3 months',
  },
  DATA_HEAVY: {
    zh: '流量占使用量比重高，现有流量包多数月份不够用',
    en: 'Data is most of the usage; the current data pack runs out most months',
  },
  KEY_ACCOUNT_TEAM: { zh: '集团客户多线路：团队共享云存储', en: 'Key account with many lines: shared cloud storage' },
  SIMILAR_CUSTOMERS: { zh: '同细分群体的相似客户已订购', en: 'Similar customers in the same segment took it' },
};
