/**
 * @skip and @include decide what the plan holds: a section skipped is not fetched. Directives that read variables
 * make the plan depend on the variables (it is then not kept); a directive that cannot be evaluated is reported.
 */
import { parse } from 'graphql';
import { selectedFieldsOf } from '../../gateway/view/plan';
import { viewSchema } from '../support/view-schema';

it('leaves out what a literal @skip(if: true) or @include(if: false) removes, on fields and fragments', () => {
  const plan = selectedFieldsOf(
    viewSchema,
    parse(`{ customer(id: "1") {
      profile @skip(if: true) { name }
      billing @include(if: false) { balance }
      ... on Customer @skip(if: true) { insights { segment } }
      ...C @include(if: false)
      id @skip(if: false)
    } }
    fragment C on Customer { contacts { channel } }`),
    undefined,
    {},
    'Customer',
  );
  expect([...plan.fields]).toEqual(['id']);
  expect(plan.dependsOnVariables).toBe(false);
});

it('reads variables, with their defaults, and says the plan depends on them', () => {
  const document = parse(`query ($withBilling: Boolean = false) {
    customer(id: "1") { id billing @include(if: $withBilling) { balance } }
  }`);
  const without = selectedFieldsOf(viewSchema, document, undefined, {}, 'Customer');
  expect([...without.fields]).toEqual(['id']);
  expect(without.dependsOnVariables).toBe(true);
  const withBilling = selectedFieldsOf(viewSchema, document, undefined, { withBilling: true }, 'Customer');
  expect([...withBilling.fields].sort()).toEqual(['billing', 'id']);
});

it('reports a directive it cannot evaluate (if: null from a nullable variable) as an error', () => {
  const plan = selectedFieldsOf(
    viewSchema,
    parse('query ($b: Boolean) { customer(id: "1") { billing @include(if: $b) { balance } } }'),
    undefined,
    { b: null },
    'Customer',
  );
  expect(plan.error).toEqual(expect.any(String));
});

it('plans nothing for variables that do not coerce (execution reports them)', () => {
  const plan = selectedFieldsOf(
    viewSchema,
    parse('query ($b: Boolean!) { customer(id: "1") { billing @include(if: $b) { balance } } }'),
    undefined,
    { b: 'yes' },
    'Customer',
  );
  expect(plan.fields.size).toBe(0);
  expect(plan.dependsOnVariables).toBe(true);
});
