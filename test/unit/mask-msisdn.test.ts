/** Mask rule `msisdn`: a mobile number keeps its first three and last four digits, `138****5678`. */
import { MASKS } from '../../gateway/pipeline/mask';

it('keeps the first three and the last four digits', () => {
  expect(MASKS.msisdn('13812345678')).toBe('138****5678');
});

it('stars a number too short to keep anything', () => {
  expect(MASKS.msisdn('1234567')).toBe('*******');
});

it('is idempotent', () => {
  expect(MASKS.msisdn(MASKS.msisdn('13812345678'))).toBe('138****5678');
});
