/**
 * The planner keeps a plan per document and operation when it does not depend on variables, and computes a plan
 * that does for each request's variables.
 */
import { parse } from 'graphql';
import { createPlanner } from '../../gateway/view/plan';
import { viewSchema } from '../support/view-schema';

it('returns the same plan for the same document and operation', () => {
  const planner = createPlanner(viewSchema);
  const document = parse('query A { customer(id: "1") { profile { name } } } query B { customer(id: "1") { id } }');
  const first = planner(document, 'A', {});
  expect(planner(document, 'A', { unused: 1 })).toBe(first);
  expect(planner(document, 'B', {})).not.toBe(first);
  expect([...planner(document, 'B', {}).fields]).toEqual(['id']);
});

it('plans again for each request when the plan depends on its variables', () => {
  const planner = createPlanner(viewSchema);
  const document = parse('query ($b: Boolean!) { customer(id: "1") { id billing @include(if: $b) { balance } } }');
  expect([...planner(document, undefined, { b: true }).fields].sort()).toEqual(['billing', 'id']);
  expect([...planner(document, undefined, { b: false }).fields]).toEqual(['id']);
});
