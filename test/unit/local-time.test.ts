/**
 * The one reading of local time (gateway/local-time.ts): an instant's date, weekday and minute in a zone across the
 * UTC day, zones with half-hour offsets and daylight saving, and daily spans that cross midnight or are empty.
 */
import { inDailySpan, isTimeZone, localHour, localTime, quietAt, quietInHour } from '../../gateway/local-time';

it('reads an instant in the zone, not in UTC', () => {
  // 2026-12-06 (Sunday) 17:30 UTC is Monday 01:30 in Shanghai.
  expect(localTime(new Date('2026-12-06T17:30:00Z'), 'Asia/Shanghai')).toEqual({
    y: 2026,
    m: 12,
    d: 7,
    weekday: 'MON',
    minutes: 90,
    date: '2026-12-07',
  });
  expect(localTime(new Date('2026-12-06T17:30:00Z'), 'UTC')).toMatchObject({ weekday: 'SUN', date: '2026-12-06' });
  // Midnight reads as 00:00, never 24:00.
  expect(localTime(new Date('2026-12-06T16:00:00Z'), 'Asia/Shanghai')).toMatchObject({
    minutes: 0,
    date: '2026-12-07',
  });
});

it('reads half-hour offsets and daylight saving', () => {
  // India is UTC+05:30: 04:00 UTC is 09:30.
  expect(localTime(new Date('2026-12-07T04:00:00Z'), 'Asia/Kolkata').minutes).toBe(9 * 60 + 30);
  // New York: UTC-4 in July, UTC-5 in December.
  expect(localHour(new Date('2026-07-01T12:00:00Z'), 'America/New_York')).toBe(8);
  expect(localHour(new Date('2026-12-01T12:00:00Z'), 'America/New_York')).toBe(7);
});

it('tells a daily span, crossing midnight or not, and an empty one as asked', () => {
  const at = (hhmm: string) => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3));
  expect(inDailySpan(at('22:00'), '21:00', '08:00', false)).toBe(true);
  expect(inDailySpan(at('07:59'), '21:00', '08:00', false)).toBe(true);
  expect(inDailySpan(at('08:00'), '21:00', '08:00', false)).toBe(false);
  expect(inDailySpan(at('09:00'), '09:00', '20:00', false)).toBe(true);
  expect(inDailySpan(at('20:00'), '09:00', '20:00', false)).toBe(false);
  // Quiet hours that end where they start are none; a window that does is open all day.
  expect(quietAt(at('03:00'), { start: '00:00', end: '00:00' })).toBe(false);
  expect(inDailySpan(at('03:00'), '09:00', '09:00', true)).toBe(true);
});

it('tells an hour with any quiet minute, as minute by minute would', () => {
  const spans = [
    ['21:00', '08:00'],
    ['21:30', '07:45'],
    ['09:00', '20:00'],
    ['12:15', '12:45'],
    ['00:00', '00:00'],
    ['23:59', '00:01'],
  ] as const;
  for (const [start, end] of spans)
    for (let hour = 0; hour < 24; hour++) {
      let anyQuiet = false;
      for (let m = hour * 60; m < hour * 60 + 60; m++) anyQuiet ||= quietAt(m, { start, end });
      expect([start, end, hour, quietInHour(hour, { start, end })]).toEqual([start, end, hour, anyQuiet]);
    }
});

it('knows the zones', () => {
  expect(isTimeZone('Asia/Shanghai')).toBe(true);
  expect(isTimeZone('Mars/Olympus_Mons')).toBe(false);
});
