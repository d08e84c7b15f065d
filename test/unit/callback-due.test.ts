/**
 * When a callback is due (touchpoints/callbacks.ts `callbackDueAt`): the next start of one of the customer's best
 * hours outside the quiet hours; with none, 10:00 local the next day, moved past the quiet hours. Times in
 * Asia/Shanghai (UTC+8), instants given, so the same every run.
 */
import { callbackDueAt } from '../../gateway/touchpoints/callbacks';

const POLICY = { timeZone: 'Asia/Shanghai', quietHours: { start: '21:00', end: '08:00' } };
/** 2026-12-07 14:25 Beijing time. */
const NOW = new Date('2026-12-07T06:25:00Z');

it('is the next start of a best hour: later today when one is still ahead, else tomorrow', () => {
  expect(callbackDueAt(NOW, [19, 9], POLICY).toISOString()).toBe('2026-12-07T11:00:00.000Z'); // 19:00 today
  expect(callbackDueAt(NOW, [9], POLICY).toISOString()).toBe('2026-12-08T01:00:00.000Z'); // 09:00 tomorrow
  expect(callbackDueAt(NOW, [14], POLICY).toISOString()).toBe('2026-12-08T06:00:00.000Z'); // 14:00 tomorrow
});

it('is 10:00 the next day when the customer has no best hour yet, also just before midnight', () => {
  expect(callbackDueAt(NOW, [], POLICY).toISOString()).toBe('2026-12-08T02:00:00.000Z');
  // 23:59 Beijing time: the next day is an hour away, and still 10:00 of it.
  expect(callbackDueAt(new Date('2026-12-07T15:59:00Z'), [], POLICY).toISOString()).toBe('2026-12-08T02:00:00.000Z');
});

it('never falls in the quiet hours: a best hour in them is passed over, and 10:00 moves past them', () => {
  expect(callbackDueAt(NOW, [22], POLICY).toISOString()).toBe('2026-12-08T02:00:00.000Z');
  const lateMornings = { ...POLICY, quietHours: { start: '21:00', end: '11:30' } };
  expect(callbackDueAt(NOW, [], lateMornings).toISOString()).toBe('2026-12-08T04:00:00.000Z'); // 12:00
});
