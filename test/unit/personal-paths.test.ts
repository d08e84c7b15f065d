/**
 * The audit's reading of which personal data an answer carried (gateway/audit/personal-data.ts): paths by schema
 * name, non-null leaves only, lists collapsed, fragments followed, the root's not-personal fields left out; and, since
 * the walk leaves a list once every path below it is found, a field only a later item carries is still counted.
 */
import { parse } from 'graphql';
import { personalPaths, readsAt } from '../../gateway/audit/personal-data';

const NOT_PERSONAL = new Set(['id', 'sources']);
const paths = (text: string, data: unknown, operationName?: string): string[] =>
  personalPaths(parse(text), operationName, data, NOT_PERSONAL);

test('paths by schema name, aliases read, null leaves and __typename not counted', () => {
  const text = '{ c: customer(id: "C1") { id p: profile { __typename n: name email gender } } }';
  const data = { c: { id: 'C1', p: { __typename: 'Profile', n: '张三', email: null, gender: 'F' } } };
  expect(paths(text, data)).toEqual(['profile.gender', 'profile.name']);
});

test('a field only a later item of a list carries is counted; an empty list carries nothing', () => {
  const text = '{ customer(id: "C1") { contacts { channel agentId offerCode } products { offerName } } }';
  const data = {
    customer: {
      contacts: [
        { channel: 'SMS', agentId: null, offerCode: null },
        { channel: 'SMS', agentId: 'A1', offerCode: null },
        [{ channel: 'CALL', agentId: null, offerCode: 'DATA-HKMO' }],
      ],
      products: [],
    },
  };
  expect(paths(text, data)).toEqual(['contacts.agentId', 'contacts.channel', 'contacts.offerCode']);
});

test('fragments, inline fragments and root fragments are followed; a cycle is not', () => {
  const text = `query Q { ...Root }
    fragment Root on Query { customer(id: "C1") { ...Who ... on Customer { billing { balance } } } }
    fragment Who on Customer { profile { name ...Who } }`;
  const data = { customer: { profile: { name: 'x' }, billing: { balance: 1 } } };
  expect(paths(text, data, 'Q')).toEqual(['billing.balance', 'profile.name']);
});

test("the root value's not-personal fields are left out, the same names deeper are not", () => {
  const text = '{ customer(id: "C1") { id sources { name } household { id } } }';
  const data = { customer: { id: 'C1', sources: [{ name: 'crm' }], household: { id: 'H1' } } };
  expect(paths(text, data)).toEqual(['household.id']);
});

test('the operation named is the one read, and several root values are one set', () => {
  const text = `query A { a: customer(id: "1") { profile { name } } b: customer(id: "2") { profile { email } } }
    query B { customer(id: "1") { billing { balance } } }`;
  const data = { a: { profile: { name: 'x' } }, b: { profile: { email: 'e' } } };
  expect(paths(text, data, 'A')).toEqual(['profile.email', 'profile.name']);
  expect(paths(text, { customer: { billing: { balance: 2 } } }, 'B')).toEqual(['billing.balance']);
  expect(paths(text, data, 'C')).toEqual([]);
});

test('a document read again gives each answer its own paths', () => {
  const document = parse('{ customer(id: "C1") { profile { name email } } }');
  expect(
    personalPaths(document, undefined, { customer: { profile: { name: 'x', email: null } } }, NOT_PERSONAL),
  ).toEqual(['profile.name']);
  expect(
    personalPaths(document, undefined, { customer: { profile: { name: null, email: 'e' } } }, NOT_PERSONAL),
  ).toEqual(['profile.email']);
  expect(personalPaths(document, undefined, { customer: null }, NOT_PERSONAL)).toEqual([]);
});

test('readsAt: whether the walk reads at a response path (what a cached answer may change between hits)', () => {
  const document = parse(
    '{ c: customer(id: "C1") { id sources { source } profile { name } } list: customers { sources { status } } }',
  );
  const reads = (path: Array<string | number>, notPersonal = NOT_PERSONAL) =>
    readsAt(document, undefined, notPersonal, path);
  expect(reads(['c', 'sources'])).toBe(false);
  expect(reads(['list', 2, 'sources'])).toBe(false);
  expect(reads(['c', 'profile'])).toBe(true);
  expect(reads(['c', 'sources'], new Set(['id']))).toBe(true);
  expect(reads(['list', 0, 'sources'], new Set(['id']))).toBe(true);
  expect(reads(['c', 'nothing'])).toBe(false);
  expect(reads(['elsewhere', 'sources'])).toBe(false);
});
