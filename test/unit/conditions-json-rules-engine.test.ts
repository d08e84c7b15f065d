/**
 * toJsonRulesEngine: the same condition as json-rules-engine conditions over one fact; the engine then decides as
 * evaluate does (every fact present: see evaluate for the one difference on missing facts).
 */
import { Engine, type TopLevelCondition } from 'json-rules-engine';
import { evaluate, toJsonRulesEngine, type Condition } from '../../gateway/marketing/conditions';

const condition: Condition = {
  all: [
    { field: 'segment', operator: 'in', value: ['YOUTH_DATA', 'FAMILY'] },
    {
      any: [
        { field: 'tags', operator: 'contains', value: 'car lover' },
        { field: 'churnProbability', operator: 'lessThan', value: 0.2 },
      ],
    },
    { not: { field: 'customerSince', operator: 'greaterThan', value: '2025-01-01' } },
  ],
};

it('maps each leaf to { fact, path: $.field, operator, value } and keeps the groups', () => {
  expect(toJsonRulesEngine(condition, 'view')).toEqual({
    all: [
      { fact: 'view', path: '$.segment', operator: 'in', value: ['YOUTH_DATA', 'FAMILY'] },
      {
        any: [
          { fact: 'view', path: '$.tags', operator: 'contains', value: 'car lover' },
          { fact: 'view', path: '$.churnProbability', operator: 'lessThan', value: 0.2 },
        ],
      },
      { not: { fact: 'view', path: '$.customerSince', operator: 'greaterThan', value: '2025-01-01' } },
    ],
  });
});

it('decides as evaluate does on customers with every fact', async () => {
  const engine = new Engine([], { allowUndefinedFacts: true });
  engine.addRule({ conditions: toJsonRulesEngine(condition, 'c') as TopLevelCondition, event: { type: 'selected' } });
  const customers = [
    { segment: 'FAMILY', tags: ['car lover'], churnProbability: 0.5, customerSince: '2020-01-01' },
    { segment: 'FAMILY', tags: [], churnProbability: 0.5, customerSince: '2020-01-01' },
    { segment: 'YOUTH_DATA', tags: [], churnProbability: 0.1, customerSince: '2024-12-31' },
    { segment: 'YOUTH_DATA', tags: [], churnProbability: 0.1, customerSince: '2025-01-02' },
    { segment: 'SENIOR', tags: ['car lover'], churnProbability: 0.1, customerSince: '2020-01-01' },
  ];
  for (const c of customers) {
    const { events } = await engine.run({ c });
    expect([c, events.length === 1]).toEqual([c, evaluate(condition, c)]);
  }
  expect(customers.filter((c) => evaluate(condition, c))).toHaveLength(2);
});
