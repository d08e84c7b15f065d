/**
 * checkCondition refuses what a backend could not evaluate, each problem at its path with what was expected and
 * what was given; a fine condition has no problem. It never throws, whatever it is given.
 */
import { checkCondition } from '../../gateway/marketing/conditions';
import { CATALOG } from '../support/conditions';

const leaf = (field: string, operator: string, value: unknown) => ({ field, operator, value });

it('accepts a condition of every type and operator that fits', () => {
  const fine = {
    all: [
      leaf('segment', 'equal', 'YOUTH_DATA'),
      leaf('segment', 'notIn', ['FAMILY', 'SENIOR']),
      leaf('churnProbability', 'lessThan', 0.5),
      leaf('arpuAverage3m', 'in', [58, 88]),
      { any: [leaf('tags', 'contains', 'car lover'), leaf('roamingDestinations', 'doesNotContain', 'Japan')] },
      { not: leaf('keyAccount', 'equal', true) },
      leaf('customerSince', 'greaterThanInclusive', '2024-02-29'),
      leaf('name', 'notEqual', '张伟'),
    ],
  };
  expect(checkCondition(fine, CATALOG)).toEqual([]);
});

it('refuses an unknown field, listing the close names', () => {
  const problems = checkCondition(
    { all: [leaf('segment', 'equal', 'FAMILY'), leaf('churnProbabilty', 'lessThan', 1), leaf('tag', 'contains', 'x')] },
    CATALOG,
  );
  expect(problems).toEqual([
    {
      path: 'where.all.1.field',
      message: 'no field named churnProbabilty',
      expected: 'one of churnProbability',
      given: 'churnProbabilty',
    },
    { path: 'where.all.2.field', message: 'no field named tag', expected: 'one of tags', given: 'tag' },
  ]);
});

it('lists every field when none is close', () => {
  const [problem] = checkCondition(leaf('zzzzzzzzzz', 'equal', 1), CATALOG);
  expect(problem).toMatchObject({ path: 'where.field', expected: `one of ${Object.keys(CATALOG).join(', ')}` });
});

it('does not take an inherited name for a field', () => {
  expect(checkCondition(leaf('toString', 'equal', 'x'), CATALOG)).toMatchObject([{ path: 'where.field' }]);
  expect(checkCondition(leaf('__proto__', 'equal', 'x'), CATALOG)).toMatchObject([{ path: 'where.field' }]);
});

it('refuses an operator that does not fit the field type, naming those that do', () => {
  expect(checkCondition(leaf('tags', 'lessThan', 'x'), CATALOG)).toEqual([
    {
      path: 'where.operator',
      message: 'lessThan does not apply to tags, a string[]',
      expected: 'contains, doesNotContain',
      given: 'lessThan',
    },
  ]);
  expect(checkCondition(leaf('churnProbability', 'contains', 1), CATALOG)).toMatchObject([
    { path: 'where.operator', given: 'contains', expected: expect.stringContaining('lessThan') },
  ]);
  expect(checkCondition(leaf('segment', 'greaterThan', 'A'), CATALOG)).toMatchObject([{ path: 'where.operator' }]);
  expect(checkCondition(leaf('keyAccount', 'in', [true]), CATALOG)).toMatchObject([{ path: 'where.operator' }]);
  expect(checkCondition(leaf('segment', 'like', 'A%'), CATALOG)).toMatchObject([
    { path: 'where.operator', message: 'unknown operator', given: '"like"' },
  ]);
});

it('refuses a value of the wrong type', () => {
  expect(checkCondition(leaf('name', 'equal', 5), CATALOG)).toEqual([
    { path: 'where.value', message: 'expected a string', expected: 'a string', given: '5' },
  ]);
  expect(checkCondition(leaf('churnProbability', 'lessThan', '0.5'), CATALOG)).toMatchObject([
    { path: 'where.value', expected: 'a number', given: '"0.5"' },
  ]);
  expect(checkCondition(leaf('keyAccount', 'equal', 'true'), CATALOG)).toMatchObject([
    { path: 'where.value', expected: 'a boolean' },
  ]);
  expect(checkCondition(leaf('customerSince', 'lessThan', '2024-02-30'), CATALOG)).toMatchObject([
    { path: 'where.value', expected: 'a date, YYYY-MM-DD' },
  ]);
  expect(checkCondition(leaf('churnProbability', 'lessThan', null), CATALOG)).toMatchObject([
    { path: 'where.value', given: 'null' },
  ]);
  expect(checkCondition({ field: 'churnProbability', operator: 'lessThan' }, CATALOG)).toMatchObject([
    { path: 'where.value', message: 'required' },
  ]);
});

it('refuses a list for a one-value operator and one value for a list operator', () => {
  expect(checkCondition(leaf('segment', 'equal', ['FAMILY']), CATALOG)).toMatchObject([
    { path: 'where.value', message: 'equal takes one value, not a list', given: '["FAMILY"]' },
  ]);
  expect(checkCondition(leaf('segment', 'in', 'FAMILY'), CATALOG)).toMatchObject([
    { path: 'where.value', message: 'in takes a list of values', given: '"FAMILY"' },
  ]);
  expect(checkCondition(leaf('segment', 'notIn', []), CATALOG)).toMatchObject([
    { path: 'where.value', given: '0 values' },
  ]);
  expect(checkCondition(leaf('churnProbability', 'in', [0.1, 'x']), CATALOG)).toMatchObject([
    { path: 'where.value.1', given: '"x"' },
  ]);
});

it('refuses a value outside a closed set, for a string and for the items of a set', () => {
  expect(checkCondition(leaf('segment', 'in', ['FAMILY', 'STUDENT']), CATALOG)).toEqual([
    {
      path: 'where.value.1',
      message: "not one of the field's values",
      expected: 'one of "YOUTH_DATA", "FAMILY", "SENIOR"',
      given: '"STUDENT"',
    },
  ]);
  expect(checkCondition(leaf('tags', 'contains', 'boat lover'), CATALOG)).toMatchObject([{ path: 'where.value' }]);
  expect(checkCondition(leaf('roamingDestinations', 'contains', 'Atlantis'), CATALOG)).toEqual([]);
});

it('refuses an empty group, a group of the wrong kind, and a shape that is no condition', () => {
  expect(checkCondition({ all: [] }, CATALOG)).toEqual([
    { path: 'where.all', message: 'expected at least one condition', given: '[]' },
  ]);
  expect(checkCondition({ any: [{ any: [] }] }, CATALOG)).toMatchObject([{ path: 'where.any.0.any' }]);
  expect(checkCondition({ all: leaf('segment', 'equal', 'FAMILY') }, CATALOG)).toMatchObject([
    { path: 'where.all', message: 'expected a list of conditions' },
  ]);
  expect(checkCondition({ all: [leaf('segment', 'equal', 'FAMILY')], any: [] }, CATALOG)).toMatchObject([
    { path: 'where', message: 'one of "all", "any" or "not" per condition, given all and any' },
  ]);
  expect(checkCondition({ ...leaf('segment', 'equal', 'FAMILY'), path: '$.x' }, CATALOG)).toMatchObject([
    { path: 'where.path', message: 'unknown key' },
  ]);
  for (const input of [null, 'segment = FAMILY', 42, [], {}, undefined])
    expect(checkCondition(input, CATALOG)).toMatchObject([{ path: 'where', message: 'expected a condition' }]);
});

it('refuses nesting deeper than 5 and more than 50 leaves, at the base path given', () => {
  let deep: unknown = leaf('segment', 'equal', 'FAMILY');
  for (let i = 0; i < 4; i++) deep = { not: deep };
  expect(checkCondition(deep, CATALOG)).toEqual([]);
  expect(checkCondition({ not: deep }, CATALOG, 'audience.where')).toEqual([
    { path: 'audience.where.not.not.not.not.not', message: 'conditions nest more than 5 deep here; at most 5' },
  ]);
  const many = { any: Array.from({ length: 51 }, () => leaf('churnProbability', 'lessThan', 0.5)) };
  expect(checkCondition(many, CATALOG)).toEqual([{ path: 'where', message: 'more than 50 conditions; at most 50' }]);
  expect(checkCondition({ any: many.any.slice(1) }, CATALOG)).toEqual([]);
});

it('never throws, and bounds its work and its answer on a hostile input', () => {
  let hostile: unknown = leaf('x', 'y', 'z');
  for (let i = 0; i < 100_000; i++) hostile = { all: [hostile] };
  expect(checkCondition(hostile, CATALOG)).toHaveLength(1);
  const wide = { any: Array.from({ length: 10_000 }, (_, i) => leaf(`f${i}`, 'equal', i)) };
  expect(checkCondition(wide, CATALOG).length).toBeLessThanOrEqual(20);
  const cyclic: Record<string, unknown> = { field: 'name', operator: 'equal' };
  cyclic.value = cyclic;
  expect(checkCondition(cyclic, CATALOG)).toMatchObject([{ path: 'where.value', expected: 'a string' }]);
});
