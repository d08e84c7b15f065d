/** Mask rule `email`: the first character of the local part and the domain, `z***@163.com`. */
import { MASKS } from '../../gateway/pipeline/mask';

it('keeps the first character and the domain', () => {
  expect(MASKS.email('zhang.wei@163.com')).toBe('z***@163.com');
});

it('keeps the last @ as the domain separator', () => {
  expect(MASKS.email('"a@b"@example.cn')).toBe('"***@example.cn');
});

it('stars a value that is not an address', () => {
  expect(MASKS.email('no-at-sign')).toBe('**********');
  expect(MASKS.email('@163.com')).toBe('********');
});

it('is idempotent', () => {
  expect(MASKS.email(MASKS.email('zhang.wei@163.com'))).toBe('z***@163.com');
});
