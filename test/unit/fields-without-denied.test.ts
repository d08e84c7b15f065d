/**
 * A denied field is taken out of the document: replaced by `__typename` under the same response key (so no
 * resolver runs for it and the answer keeps its shape), its @skip/@include kept.
 */
import { parse, print } from 'graphql';
import { withoutDenied } from '../../gateway/pipeline/fields';
import { viewSchema } from '../support/view-schema';

it('replaces each denied field by __typename under its response key', () => {
  const document = parse(
    '{ customer(id: "1") { id billing { balance } money: billing { balance } profile { name } } }',
  );
  const trimmed = withoutDenied(viewSchema, document, (type, field) => type === 'Customer' && field === 'billing');
  expect(print(trimmed)).toBe(
    print(parse('{ customer(id: "1") { id billing: __typename money: __typename profile { name } } }')),
  );
});

it('keeps the directives of a denied field', () => {
  const document = parse('query ($b: Boolean!) { customer(id: "1") { billing @include(if: $b) { balance } } }');
  const trimmed = withoutDenied(viewSchema, document, (_type, field) => field === 'billing');
  expect(print(trimmed)).toContain('billing: __typename @include(if: $b)');
});

it('returns an equal document when nothing is denied', () => {
  const document = parse('{ customer(id: "1") { id profile { name } } }');
  expect(print(withoutDenied(viewSchema, document, () => false))).toBe(print(document));
});
