/**
 * Quiet hours: no offer is sent between `start` and `end` (local time in `timeZone`, e.g. 21:00 to 08:00 in
 * Asia/Shanghai). A window that crosses midnight is the usual case; start equal to end means no quiet hours. The
 * reading of local time and of daily spans is the gateway's one (local-time.ts).
 */
import { localMinutes, quietAt, type QuietHours as DailyQuietHours } from '../../local-time';

export interface QuietHours extends DailyQuietHours {
  /** An IANA time zone, e.g. "Asia/Shanghai". */
  timeZone: string;
}

export function inQuietHours(at: Date, quiet: QuietHours): boolean {
  return quietAt(localMinutes(at, quiet.timeZone), quiet);
}
