/**
 * The marketing console's codes: what state a rule, a campaign run or an exception is in, where a rule comes from,
 * the channels and kinds of an offer, the windows of a condition over history, and the queue's causes.
 */
import type { Labels } from './types';

/** Why something could not be done for a customer (the exception queue's causes). */
export const exceptionCause: Labels = {
  UNKNOWN_CUSTOMER: { zh: '客户不存在', en: 'unknown customer' },
  CHANNEL_REJECTED: { zh: '渠道拒绝发送', en: 'refused by the channel' },
  TOUCHPOINT_REJECTED: { zh: '接触记录被CRM拒绝', en: 'contact refused by the CRM' },
  ORDER_FAILED: { zh: '订购失败', en: 'order failed' },
};

export const exceptionState: Labels = {
  open: { zh: '待处理', en: 'open' },
  assigned: { zh: '处理中', en: 'assigned' },
  resolved: { zh: '已解决', en: 'resolved' },
};

/** A campaign run's state. */
export const campaignState: Labels = {
  draft: { zh: '未启动', en: 'not launched' },
  selecting: { zh: '筛选目标中', en: 'selecting' },
  running: { zh: '执行中', en: 'running' },
  paused: { zh: '已暂停', en: 'paused' },
  cancelled: { zh: '已取消', en: 'cancelled' },
  completed: { zh: '已完成', en: 'completed' },
};

/** Where a rule in force comes from. */
export const ruleOrigin: Labels = {
  config: { zh: '配置文件', en: 'configured' },
  registered: { zh: '已发布', en: 'published' },
  draft: { zh: '草稿', en: 'draft' },
};

/** The channel a rule's offer goes on: one of the offer channels, or the customer's preferred one. */
export const ruleChannel: Labels = {
  PREFERRED: { zh: '首选电子渠道', en: 'preferred electronic channel' },
  SMS: { zh: '短信', en: 'SMS' },
  PUSH: { zh: '客户端推送', en: 'app push' },
  EMAIL: { zh: '电子邮件', en: 'e-mail' },
};

/** What an offer is: a sale, or care (also sent to customers a sale would not be offered to). */
export const offerKind: Labels = {
  upsell: { zh: '营销推荐', en: 'upsell' },
  care: { zh: '关怀', en: 'care' },
};

/** The calendar windows of a condition over history (local calendar, weeks from Monday). */
export const calendarWindow: Labels = {
  day: { zh: '当天', en: 'today' },
  week: { zh: '本周', en: 'this week' },
  month: { zh: '本月', en: 'this month' },
  year: { zh: '本年', en: 'this year' },
};

export const weekday: Labels = {
  MON: { zh: '周一', en: 'Mon' },
  TUE: { zh: '周二', en: 'Tue' },
  WED: { zh: '周三', en: 'Wed' },
  THU: { zh: '周四', en: 'Thu' },
  FRI: { zh: '周五', en: 'Fri' },
  SAT: { zh: '周六', en: 'Sat' },
  SUN: { zh: '周日', en: 'Sun' },
};
