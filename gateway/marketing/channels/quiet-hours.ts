/**
 * Quiet hours: no offer is sent between `start` and `end` (local time in `timeZone`, e.g. 21:00 to 08:00 in
 * Asia/Shanghai). A window that crosses midnight is the usual case; start equal to end means no quiet hours.
 */
export interface QuietHours {
  /** "HH:MM", 24-hour. */
  start: string;
  end: string;
  /** An IANA time zone, e.g. "Asia/Shanghai". */
  timeZone: string;
}

const minutes = (hhmm: string): number => {
  const [h, m] = hhmm.split(':').map(Number) as [number, number];
  return h * 60 + m;
};

/** Minutes since local midnight in the zone. */
export function localMinutes(at: Date, timeZone: string): number {
  const parts = new Intl.DateTimeFormat('en-GB', {
    timeZone,
    hour: '2-digit',
    minute: '2-digit',
    hourCycle: 'h23',
  }).formatToParts(at);
  const get = (type: string): number => Number(parts.find((p) => p.type === type)?.value ?? 0);
  return get('hour') * 60 + get('minute');
}

export function inQuietHours(at: Date, quiet: QuietHours): boolean {
  const start = minutes(quiet.start);
  const end = minutes(quiet.end);
  if (start === end) return false;
  const now = localMinutes(at, quiet.timeZone);
  return start < end ? now >= start && now < end : now >= start || now < end;
}
