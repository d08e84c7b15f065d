/** The billing system's codes. */
import type { Labels } from './types';

export const paymentMethod: Labels = {
  AUTO_DEBIT: { zh: '银行代扣', en: 'direct debit' },
  ONLINE: { zh: '网上缴费', en: 'online' },
  CASH: { zh: '现金', en: 'cash' },
  BANK_TRANSFER: { zh: '银行转账', en: 'bank transfer' },
};

export const billStatus: Labels = {
  PAID: { zh: '已缴', en: 'paid' },
  UNPAID: { zh: '未缴', en: 'unpaid' },
  OVERDUE: { zh: '逾期', en: 'overdue' },
};

export const currency: Labels = { CNY: { zh: '人民币元', en: 'CNY' } };
