/** Mask rule `idCard`: the region code (first three) and the last four characters kept, the rest starred. */
import { MASKS } from '../../gateway/pipeline/mask';

it('keeps the region code and the last four', () => {
  expect(MASKS.idCard('110101199003071234')).toBe('110***********1234');
  expect(MASKS.idCard('11010119900307123X')).toBe('110***********123X');
});

it('stars a value too short to keep anything', () => {
  expect(MASKS.idCard('1234567')).toBe('*******');
  expect(MASKS.idCard('')).toBe('');
});

it('is idempotent', () => {
  const once = MASKS.idCard('110101199003071234');
  expect(MASKS.idCard(once)).toBe(once);
});
