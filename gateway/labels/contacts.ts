/** The contact trail's codes: what a contact was about, how it ended, the customer's answer to an offer. */
import type { Labels } from './types';

export const contactType: Labels = {
  BILL_ENQUIRY: { zh: '账单查询', en: 'bill enquiry' },
  BALANCE_ENQUIRY: { zh: '余额查询', en: 'balance enquiry' },
  TOP_UP: { zh: '充值缴费', en: 'top-up' },
  PACKAGE_CHANGE: { zh: '套餐变更', en: 'package change' },
  COMPLAINT: { zh: '投诉', en: 'complaint' },
  CAMPAIGN_OFFER: { zh: '营销推荐', en: 'offer' },
  ITEMISED_BILL_PRINT: { zh: '详单打印', en: 'itemised bill print' },
};

/** How a contact ended; a complaint PENDING or ESCALATED is still open (RISK.openComplaintOutcomes). */
export const contactOutcome: Labels = {
  RESOLVED: { zh: '已解决', en: 'resolved' },
  ESCALATED: { zh: '已升级处理', en: 'escalated' },
  PENDING: { zh: '处理中', en: 'pending' },
  COMPLETED: { zh: '已办理', en: 'completed' },
  CANCELLED: { zh: '已取消', en: 'cancelled' },
  ACCEPTED: { zh: '接受', en: 'accepted' },
  DECLINED: { zh: '拒绝', en: 'declined' },
  NO_RESPONSE: { zh: '未回应', en: 'no response' },
  CALLBACK: { zh: '约定回访', en: 'call back' },
  SENT: { zh: '已发送', en: 'sent' },
};

/** The customer's answer to an offer, as recorded with the contact. */
export const offerResponse: Labels = {
  ACCEPTED: { zh: '接受', en: 'accepted' },
  DECLINED: { zh: '拒绝', en: 'declined' },
  CALLBACK: { zh: '约定回访', en: 'call back' },
  LATER: { zh: '稍后考虑', en: 'later' },
  CLICKED: { zh: '已点击', en: 'clicked' },
};

/** The systems that record contacts no person had (an agent is shown by id). */
export const contactSystem: Labels = {
  'self-service': { zh: '自助服务系统', en: 'self-service system' },
  'ucv-rules': { zh: '事件营销规则', en: 'event marketing rules' },
  'ucv-campaigns': { zh: '营销活动', en: 'campaigns' },
};

/** What recording a contact answered. */
export const recordStatus: Labels = {
  RECORDED: { zh: '已记录', en: 'recorded' },
  ACCEPTED: { zh: '已受理（CRM 恢复后写入）', en: 'accepted (written when the CRM is back)' },
};
