/** Mask rule `name`: a personal name keeps its first character, `张*`, and never shows its length to one. */
import { MASKS } from '../../gateway/pipeline/mask';

it('keeps the first character and stars the rest', () => {
  expect(MASKS.name('张伟')).toBe('张*');
  expect(MASKS.name('欧阳娜娜')).toBe('欧***');
});

it('stars a one-character name too, so the mask always hides something', () => {
  expect(MASKS.name('李')).toBe('李*');
});

it('counts characters, not UTF-16 units', () => {
  expect(MASKS.name('𠮷野家')).toBe('𠮷**');
});

it('leaves an empty name empty, and is idempotent', () => {
  expect(MASKS.name('')).toBe('');
  expect(MASKS.name(MASKS.name('欧阳娜娜'))).toBe('欧***');
});
