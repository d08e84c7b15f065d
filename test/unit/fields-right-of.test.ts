/**
 * A role's right on one field: the most specific key wins (`Type.field`, then `Type.*`, then the role's default);
 * introspection is never subject to field rights.
 */
import { rightOf } from '../../gateway/pipeline/fields';
import { RoleSchema } from '../../gateway/config';

const role = RoleSchema.parse({
  default: 'deny',
  fields: {
    'Profile.*': 'allow',
    'Profile.idCardNumber': { mask: 'idCard' },
    'Billing.balance': 'deny',
  },
});

it('takes Type.field before Type.*', () => {
  expect(rightOf(role, 'Profile', 'idCardNumber')).toEqual({ mask: 'idCard' });
  expect(rightOf(role, 'Profile', 'name')).toBe('allow');
});

it("falls back to the role's default", () => {
  expect(rightOf(role, 'Insights', 'segment')).toBe('deny');
  expect(rightOf(RoleSchema.parse({}), 'Insights', 'segment')).toBe('allow');
});

it('allows introspection whatever the role says', () => {
  expect(rightOf(role, 'Customer', '__typename')).toBe('allow');
  expect(rightOf(role, '__Schema', 'types')).toBe('allow');
});
