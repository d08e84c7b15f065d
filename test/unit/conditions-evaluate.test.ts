/**
 * evaluate: a condition over one customer's facts, in memory. Each operator as json-rules-engine names it; a missing
 * fact makes its leaf false whatever the operator, and `not` of such a leaf true.
 */
import { evaluate, type Condition } from '../../gateway/marketing/conditions';

const facts = {
  segment: 'YOUTH_DATA',
  churnProbability: 0.25,
  tags: ['car lover', 'frequent traveller'],
  keyAccount: false,
  customerSince: '2021-06-30',
  nothing: null,
};

it('reads each operator as json-rules-engine does', () => {
  const cases: Array<[Condition, boolean]> = [
    [{ field: 'segment', operator: 'equal', value: 'YOUTH_DATA' }, true],
    [{ field: 'segment', operator: 'notEqual', value: 'YOUTH_DATA' }, false],
    [{ field: 'segment', operator: 'in', value: ['FAMILY', 'YOUTH_DATA'] }, true],
    [{ field: 'segment', operator: 'notIn', value: ['FAMILY', 'YOUTH_DATA'] }, false],
    [{ field: 'tags', operator: 'contains', value: 'car lover' }, true],
    [{ field: 'tags', operator: 'doesNotContain', value: 'car lover' }, false],
    [{ field: 'churnProbability', operator: 'lessThan', value: 0.25 }, false],
    [{ field: 'churnProbability', operator: 'lessThanInclusive', value: 0.25 }, true],
    [{ field: 'churnProbability', operator: 'greaterThan', value: 0.2 }, true],
    [{ field: 'churnProbability', operator: 'greaterThanInclusive', value: 0.3 }, false],
    [{ field: 'keyAccount', operator: 'equal', value: false }, true],
    [{ field: 'customerSince', operator: 'lessThan', value: '2021-07-01' }, true],
    [{ field: 'customerSince', operator: 'greaterThan', value: '2021-06-30' }, false],
  ];
  for (const [condition, expected] of cases)
    expect([condition, evaluate(condition, facts)]).toEqual([condition, expected]);
});

it('compares strictly: a number is not its text', () => {
  expect(evaluate({ field: 'churnProbability', operator: 'equal', value: '0.25' }, facts)).toBe(false);
  expect(evaluate({ field: 'churnProbability', operator: 'in', value: ['0.25'] }, facts)).toBe(false);
});

it('makes a leaf over a missing fact false, notEqual and notIn too; not of it is true', () => {
  for (const field of ['absent', 'nothing']) {
    const leaves: Condition[] = [
      { field, operator: 'equal', value: 'x' },
      { field, operator: 'notEqual', value: 'x' },
      { field, operator: 'notIn', value: ['x'] },
      { field, operator: 'doesNotContain', value: 'x' },
      { field, operator: 'lessThan', value: 1 },
    ];
    for (const leaf of leaves) {
      expect([leaf, evaluate(leaf, facts)]).toEqual([leaf, false]);
      expect([leaf, evaluate({ not: leaf }, facts)]).toEqual([leaf, true]);
    }
  }
});

it('does not read an inherited property as a fact', () => {
  expect(evaluate({ field: 'constructor', operator: 'notEqual', value: 'x' }, facts)).toBe(false);
});

it('combines with all, any and not', () => {
  const young = { field: 'segment', operator: 'equal', value: 'YOUTH_DATA' } as const;
  const loyal = { field: 'churnProbability', operator: 'lessThan', value: 0.1 } as const;
  expect(evaluate({ all: [young, loyal] }, facts)).toBe(false);
  expect(evaluate({ any: [young, loyal] }, facts)).toBe(true);
  expect(evaluate({ all: [young, { not: loyal }] }, facts)).toBe(true);
  expect(evaluate({ any: [{ not: young }, { all: [loyal] }] }, facts)).toBe(false);
});
