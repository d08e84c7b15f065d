/**
 * Mask rule `cityOnly`: an address keeps its province (or autonomous region) and city, `广东省深圳市`; an address
 * without a city keeps its first six characters.
 */
import { MASKS } from '../../gateway/pipeline/mask';

it('keeps the province and the city', () => {
  expect(MASKS.cityOnly('广东省深圳市南山区科技园路1号')).toBe('广东省深圳市');
  expect(MASKS.cityOnly('内蒙古自治区呼和浩特市新城区')).toBe('内蒙古自治区呼和浩特市');
});

it('keeps a municipality as its city', () => {
  expect(MASKS.cityOnly('北京市朝阳区建国路88号')).toBe('北京市');
});

it('keeps the first six characters of an address without a city', () => {
  expect(MASKS.cityOnly('香港九龍彌敦道100號')).toBe('香港九龍彌敦');
});

it('is idempotent', () => {
  const once = MASKS.cityOnly('广东省深圳市南山区科技园路1号');
  expect(MASKS.cityOnly(once)).toBe(once);
  const short = MASKS.cityOnly('香港九龍彌敦道100號');
  expect(MASKS.cityOnly(short)).toBe(short);
});
