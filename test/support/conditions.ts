/** A small field catalog for the condition language's unit tests: one field of each type, closed sets labelled. */
import type { FieldCatalog } from '../../gateway/marketing/conditions';

export const CATALOG: FieldCatalog = {
  segment: {
    type: 'string',
    label: { zh: '客户分群', en: 'segment' },
    values: ['YOUTH_DATA', 'FAMILY', 'SENIOR'],
    valueLabels: { YOUTH_DATA: { zh: '年轻数据用户', en: 'young data users' }, FAMILY: { zh: '家庭', en: 'family' } },
  },
  churnProbability: { type: 'number', label: { zh: '流失概率', en: 'churn probability' } },
  arpuAverage3m: { type: 'number', label: { zh: '近3个月平均ARPU', en: '3-month average ARPU' }, unit: 'CNY' },
  tags: {
    type: 'string[]',
    label: { zh: '标签', en: 'tags' },
    values: ['frequent traveller', 'car lover'],
    valueLabels: { 'frequent traveller': { zh: '常旅客', en: 'frequent traveller' } },
  },
  roamingDestinations: { type: 'string[]', label: { zh: '漫游目的地', en: 'roaming destinations' } },
  keyAccount: { type: 'boolean', label: { zh: '集团客户', en: 'key account' } },
  customerSince: { type: 'date', label: { zh: '入网日期', en: 'customer since' } },
  name: { type: 'string', label: { zh: '姓名', en: 'name' } },
};
