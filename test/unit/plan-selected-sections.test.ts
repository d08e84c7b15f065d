/**
 * The planner lists the Customer fields an operation selects, so only their sources are called: fields selected
 * directly, through inline fragments and through named fragments, but not fields of other types.
 */
import { parse } from 'graphql';
import { selectedFieldsOf } from '../../gateway/view/plan';
import { viewSchema } from '../support/view-schema';

const plan = (query: string, operationName?: string) =>
  selectedFieldsOf(viewSchema, parse(query), operationName, {}, 'Customer');

it('lists the Customer fields selected directly, and nothing else', () => {
  const { fields, dependsOnVariables } = plan('{ customer(id: "1") { id profile { name manager { name } } } version }');
  expect([...fields].sort()).toEqual(['id', 'profile']);
  expect(dependsOnVariables).toBe(false);
});

it('follows inline and named fragments, however nested', () => {
  const { fields } = plan(`
    { customer(id: "1") { ... on Customer { billing { balance } } ...Sections } }
    fragment Sections on Customer { insights { segment } ...More }
    fragment More on Customer { contacts { channel } }
  `);
  expect([...fields].sort()).toEqual(['billing', 'contacts', 'insights']);
});

it('plans the operation named, not the first one', () => {
  const query = `
    query A { customer(id: "1") { profile { name } } }
    query B { customer(id: "1") { billing { balance } } }
  `;
  expect([...plan(query, 'B').fields]).toEqual(['billing']);
  expect([...plan(query).fields]).toEqual(['profile']);
});

it('plans nothing for an operation that is not in the document', () => {
  expect(plan('query A { customer(id: "1") { id } }', 'Missing').fields.size).toBe(0);
});
