/** The operator's channels and the customers' preference for the electronic ones. */
import type { Labels } from './types';

/**
 * Every channel a contact, a preference or an offer names: the guideline's channel list (the schema's `Channel`) and
 * the phone hall, which the warehouse keeps a preference level for.
 */
export const channel: Labels = {
  BUSINESS_HALL: { zh: '营业厅', en: 'business hall' },
  FLAGSHIP_STORE: { zh: '旗舰店', en: 'flagship store' },
  SELF_SERVICE_HALL: { zh: '自助营业厅', en: 'self-service hall' },
  CALL_CENTER: { zh: '客服热线', en: 'call center' },
  IVR: { zh: '语音自助', en: 'IVR' },
  PHONE_HALL: { zh: '电话营业厅', en: 'phone hall' },
  SMS_HALL: { zh: '短信营业厅', en: 'SMS hall' },
  WEB_HALL: { zh: '网上营业厅', en: 'web hall' },
  WAP_HALL: { zh: '掌上营业厅', en: 'WAP hall' },
  SELF_SERVICE_TERMINAL: { zh: '自助终端', en: 'self-service terminal' },
  ACCOUNT_MANAGER: { zh: '客户经理', en: 'account manager' },
  FRANCHISE_STORE: { zh: '加盟店', en: 'franchise store' },
  AGENT_POINT: { zh: '代理网点', en: 'agent point' },
};

/** The channels marketing sends offers on (rules and campaigns). */
export const offerChannel: Labels = {
  SMS: { zh: '短信', en: 'SMS' },
  PUSH: { zh: '客户端推送', en: 'app push' },
  EMAIL: { zh: '电子邮件', en: 'e-mail' },
};

export const preferenceLevel: Labels = {
  STRONGEST: { zh: '最强', en: 'strongest' },
  STRONG: { zh: '强', en: 'strong' },
  MEDIUM: { zh: '中', en: 'medium' },
  WEAK: { zh: '弱', en: 'weak' },
};
