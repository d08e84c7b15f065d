/** sentence: a condition as business staff read it, in Chinese or English, with the catalog's labels and units. */
import { sentence, type Condition } from '../../gateway/marketing/conditions';
import { CATALOG } from '../support/conditions';

const target: Condition = {
  all: [
    { field: 'segment', operator: 'equal', value: 'YOUTH_DATA' },
    { field: 'churnProbability', operator: 'lessThan', value: 0.5 },
    { field: 'tags', operator: 'contains', value: 'frequent traveller' },
  ],
};

it('joins with 且 in Chinese and "and" in English, values by their labels', () => {
  expect(sentence(target, CATALOG, 'zh')).toBe('客户分群为"年轻数据用户"，且流失概率小于 0.5，且标签含"常旅客"');
  expect(sentence(target, CATALOG, 'en')).toBe(
    'Segment is "young data users" and churn probability is less than 0.5 and tags include "frequent traveller"',
  );
});

it('brackets a nested group and says 或 / 并非, lists and units', () => {
  const condition: Condition = {
    any: [
      { field: 'segment', operator: 'in', value: ['FAMILY', 'SENIOR'] },
      {
        all: [
          { field: 'arpuAverage3m', operator: 'greaterThanInclusive', value: 100 },
          { not: { field: 'keyAccount', operator: 'equal', value: true } },
        ],
      },
    ],
  };
  expect(sentence(condition, CATALOG, 'zh')).toBe(
    '客户分群为"家庭"、"SENIOR"之一，或（近3个月平均ARPU不小于 100 CNY，且并非（集团客户为是））',
  );
  expect(sentence(condition, CATALOG, 'en')).toBe(
    'Segment is one of "family", "SENIOR" or (3-month average ARPU is at least 100 CNY and not (key account is true))',
  );
});

it('reads a group of one as its member, and an unknown field by its name', () => {
  const condition: Condition = { all: [{ any: [{ field: 'mystery', operator: 'notIn', value: ['a', 1] }] }] };
  expect(sentence(condition, CATALOG, 'zh')).toBe('mystery不为"a"、1中任一');
  expect(sentence(condition, CATALOG, 'en')).toBe('Mystery is none of "a", 1');
});
