/**
 * walkAnswer visits every field of an answer along the operation's selections (aliases, fragments, list items) and
 * applies GraphQL's null propagation to the fields a visitor nulls: a non-null field's null goes up to the nearest
 * nullable field.
 */
import { parse } from 'graphql';
import { walkAnswer } from '../../gateway/pipeline/fields';
import { viewSchema } from '../support/view-schema';

it('visits each field present, by response key and path, through fragments and lists', () => {
  const document = parse(`
    { customer(id: "1") { who: profile { ...P } contacts { channel } } }
    fragment P on Profile { name }
  `);
  const data = { customer: { who: { name: '张伟' }, contacts: [{ channel: 'SMS' }, { channel: 'APP' }] } };
  const seen: string[] = [];
  walkAnswer(viewSchema, document, undefined, data, ({ type, field, path }) => {
    seen.push(`${type.name}.${field.name}@${path.join('.')}`);
    return 'descend';
  });
  expect(seen).toEqual([
    'Query.customer@customer',
    'Customer.profile@customer.who',
    'Profile.name@customer.who.name',
    'Customer.contacts@customer.contacts',
    'Contact.channel@customer.contacts.0.channel',
    'Contact.channel@customer.contacts.1.channel',
  ]);
});

it('nulls a nullable field in place', () => {
  const document = parse('{ customer(id: "1") { profile { name email } } }');
  const data = { customer: { profile: { name: '张伟', email: 'z@163.com' } } };
  walkAnswer(viewSchema, document, undefined, data, ({ field }) => (field.name === 'email' ? 'null' : 'descend'));
  expect(data).toEqual({ customer: { profile: { name: '张伟', email: null } } });
});

it("propagates a non-null field's null to the nearest nullable field", () => {
  const document = parse('{ customer(id: "1") { profile { name manager { name phone } } } }');
  const data = { customer: { profile: { name: '张伟', manager: { name: '李娜', phone: '1' } } } };
  // Manager.name is String!: its object, manager (nullable), becomes null.
  walkAnswer(viewSchema, document, undefined, data, ({ type, field }) =>
    type.name === 'Manager' && field.name === 'name' ? 'null' : 'descend',
  );
  expect(data).toEqual({ customer: { profile: { name: '张伟', manager: null } } });
});

it('nulls a whole list when one of its items (non-null) must be null', () => {
  const document = parse('{ customer(id: "1") { contacts { id channel } } }');
  const data = {
    customer: {
      contacts: [
        { id: 'a', channel: 'SMS' },
        { id: 'b', channel: 'APP' },
      ],
    },
  };
  // Contact.id is ID!: its item becomes null; items of [Contact!] are non-null, so the list itself does.
  walkAnswer(viewSchema, document, undefined, data, ({ type, field, path }) =>
    type.name === 'Contact' && field.name === 'id' && path[2] === 1 ? 'null' : 'descend',
  );
  expect(data).toEqual({ customer: { contacts: null } });
});
