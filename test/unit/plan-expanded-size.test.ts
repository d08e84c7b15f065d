/**
 * expandedSize counts the fields of an operation with every fragment spread written out in place, stops past the
 * limit, and stays linear however the fragments double (a document that would expand to billions of fields).
 */
import { parse } from 'graphql';
import { expandedSize } from '../../gateway/view/plan';

it('counts fields with fragments written out in place', () => {
  const document = parse(`
    { customer(id: "1") { ...P ...P billing { balance } } }
    fragment P on Customer { profile { name email } }
  `);
  // customer 1 + P (3) twice + billing 2 = 9
  expect(expandedSize(document, undefined, 1000)).toBe(9);
});

it('stops counting past the limit', () => {
  const document = parse('{ customer(id: "1") { id profile { name email msisdn } } }');
  expect(expandedSize(document, undefined, 3)).toBe(4);
});

it('answers at once for fragments that double 40 times', () => {
  const fragments = Array.from(
    { length: 40 },
    (_, i) => `fragment F${i} on Customer { ...F${i + 1} ...F${i + 1} }`,
  ).join('\n');
  const document = parse(`{ customer(id: "1") { ...F0 } }\n${fragments}\nfragment F40 on Customer { id }`);
  expect(expandedSize(document, undefined, 10_000)).toBe(10_001);
});

it('counts a fragment cycle (refused by validation anyway) as too big', () => {
  const document = parse('{ customer(id: "1") { ...A } } fragment A on Customer { id ...A }');
  expect(expandedSize(document, undefined, 100)).toBe(101);
});
