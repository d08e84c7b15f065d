/**
 * Local time in an IANA zone, and daily spans of it ("21:00" to "08:00"): the one reading for quiet hours, contact
 * windows, rule conditions over time, event-history windows, campaigns' best hours and callback due times.
 *
 * One formatter per zone, built on first use and kept: building an `Intl.DateTimeFormat` costs far more than reading
 * an instant with one, and a campaign or a rule reads thousands. The zones come from validated configuration and
 * definitions, so they are few; the map is bounded all the same.
 */

/** The days of the week as definitions spell them, Monday first (the operator's weeks start on Monday). */
export const WEEKDAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'] as const;
export type Weekday = (typeof WEEKDAYS)[number];

/** An instant as read on a clock in a zone. */
export interface LocalTime {
  y: number;
  /** 1–12. */
  m: number;
  d: number;
  weekday: Weekday;
  /** Minutes since local midnight, 0–1439. */
  minutes: number;
  /** `YYYY-MM-DD`. */
  date: string;
}

const MAX_ZONES = 64;
const formatters = new Map<string, Intl.DateTimeFormat>();
const SHORT_DAYS: Record<string, Weekday> = {
  Mon: 'MON',
  Tue: 'TUE',
  Wed: 'WED',
  Thu: 'THU',
  Fri: 'FRI',
  Sat: 'SAT',
  Sun: 'SUN',
};

function formatterOf(timeZone: string): Intl.DateTimeFormat {
  let formatter = formatters.get(timeZone);
  if (!formatter) {
    formatter = new Intl.DateTimeFormat('en-GB', {
      timeZone,
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      weekday: 'short',
      hourCycle: 'h23',
    });
    if (formatters.size >= MAX_ZONES) formatters.clear();
    formatters.set(timeZone, formatter);
  }
  return formatter;
}

/** The instant as read in the zone. Throws a RangeError for a zone that is not one (validated ones always are). */
export function localTime(at: Date, timeZone: string): LocalTime {
  let y = '';
  let m = '';
  let d = '';
  let hour = 0;
  let minute = 0;
  let weekday: Weekday = 'MON';
  for (const part of formatterOf(timeZone).formatToParts(at))
    switch (part.type) {
      case 'year':
        y = part.value;
        break;
      case 'month':
        m = part.value;
        break;
      case 'day':
        d = part.value;
        break;
      case 'hour':
        hour = Number(part.value);
        break;
      case 'minute':
        minute = Number(part.value);
        break;
      case 'weekday':
        weekday = SHORT_DAYS[part.value] ?? 'MON';
        break;
    }
  return { y: Number(y), m: Number(m), d: Number(d), weekday, minutes: hour * 60 + minute, date: `${y}-${m}-${d}` };
}

/** Minutes since local midnight in the zone. */
export const localMinutes = (at: Date, timeZone: string): number => localTime(at, timeZone).minutes;

/** The local hour, 0–23. */
export const localHour = (at: Date, timeZone: string): number => Math.floor(localMinutes(at, timeZone) / 60);

/** Minutes since midnight of an `HH:MM` time (24-hour, as the schemas check it). */
export const minutesOf = (hhmm: string): number => Number(hhmm.slice(0, 2)) * 60 + Number(hhmm.slice(3, 5));

/**
 * Whether minute `minute` of the day is in the daily span from `start` (included) to `end` (excluded), both `HH:MM`;
 * an end before the start crosses midnight. A span that ends where it starts is `whenEmpty`: quiet hours of 00:00 to
 * 00:00 are none (false), a contact window of 09:00 to 09:00 is open all day (true).
 */
export function inDailySpan(minute: number, start: string, end: string, whenEmpty: boolean): boolean {
  const s = minutesOf(start);
  const e = minutesOf(end);
  if (s === e) return whenEmpty;
  return s < e ? minute >= s && minute < e : minute >= s || minute < e;
}

/** Quiet hours: a daily span in which nothing is sent; one that ends where it starts is none. */
export interface QuietHours {
  /** "HH:MM", 24-hour. */
  start: string;
  end: string;
}

/** Whether minute `minute` of the local day is in the quiet hours. */
export const quietAt = (minute: number, quiet: QuietHours): boolean =>
  inDailySpan(minute, quiet.start, quiet.end, false);

/** Whether any minute of local hour `hour` (0–23) is in the quiet hours. */
export function quietInHour(hour: number, quiet: QuietHours): boolean {
  const s = minutesOf(quiet.start);
  const e = minutesOf(quiet.end);
  const from = hour * 60;
  const to = from + 60;
  if (s === e) return false;
  // Crossing midnight, the quiet hours are [s, 24:00) and [00:00, e).
  return s < e ? s < to && e > from : to > s || from < e;
}

/** Whether the quiet hours are any (they do not end where they start). */
export const hasQuietHours = (quiet: QuietHours): boolean => quiet.start !== quiet.end;

/** Whether a zone is an IANA time zone this runtime knows, e.g. "Asia/Shanghai". */
export function isTimeZone(zone: string): boolean {
  try {
    new Intl.DateTimeFormat('en', { timeZone: zone });
    return true;
  } catch {
    return false;
  }
}
