/**
 * When customers may be contacted, as data: the definitions kind `contact-policy` (`/admin/contact-policies/default`,
 * versioned and shared by every instance through the definitions store; marketing/index.ts registers it). One policy
 * is in force, named `default`:
 *
 *     { "timeZone": "Asia/Shanghai",
 *       "quietHours": { "start": "21:00", "end": "08:00" },
 *       "windows": { "SMS": [{ "days": ["MON", "TUE", "WED", "THU", "FRI"], "start": "09:00", "end": "20:00" }] } }
 *
 * - quiet hours: no offer on any channel between start and end (local time in timeZone; crossing midnight is the usual
 *   case; start equal to end: none);
 * - contact windows (optional, per channel): an offer on a channel that has windows goes out only inside one of them
 *   (on one of its `days`, all days when absent; start to end, which may cross midnight); a channel without windows
 *   may be used at any hour outside the quiet hours.
 * Until a policy is registered (and again once it is deleted), the configured `marketing.quietHours` is the policy,
 * with no windows.
 */
import { z } from 'zod';
import { singleHolder, type SingleHolder } from '../../definitions';
import { inDailySpan, isTimeZone, localMinutes, localTime, quietAt, WEEKDAYS, type QuietHours } from '../../local-time';
import { OFFER_CHANNELS, type OfferChannel } from '../rules/definition';

const HHMM = z.string().regex(/^([01]\d|2[0-3]):[0-5]\d$/, '"HH:MM", 24-hour, e.g. "09:00"');

const WindowSchema = z
  .object({
    /** Local days the window is open; all when absent. */
    days: z.array(z.enum(WEEKDAYS)).min(1).optional(),
    start: HHMM,
    /** May be before start: the window crosses midnight. Equal to start: open all day. */
    end: HHMM,
  })
  .strict();

export const ContactPolicySchema = z
  .object({
    /** IANA time zone of every time in the policy. */
    timeZone: z.string().refine(isTimeZone, 'an IANA time zone such as "Asia/Shanghai"'),
    /** No offer on any channel in this window. */
    quietHours: z.object({ start: HHMM, end: HHMM }).strict(),
    /** Per channel, when it may be used; a channel not listed may be used outside the quiet hours. */
    windows: z.record(z.enum(OFFER_CHANNELS), z.array(WindowSchema).min(1).max(14)).optional(),
  })
  .strict();

export type ContactPolicy = z.output<typeof ContactPolicySchema>;

/** The policy the configured quiet hours make: no windows. */
export const policyFromQuietHours = (quiet: QuietHours & { timeZone: string }): ContactPolicy => ({
  timeZone: quiet.timeZone,
  quietHours: { start: quiet.start, end: quiet.end },
});

/** Why an offer on `channel` may not go out at `at`, or null when it may. */
export function contactRefusal(
  at: Date,
  channel: OfferChannel,
  policy: ContactPolicy,
): 'QUIET_HOURS' | 'OUTSIDE_WINDOW' | null {
  if (quietAt(localMinutes(at, policy.timeZone), policy.quietHours)) return 'QUIET_HOURS';
  const windows = policy.windows?.[channel];
  if (!windows) return null;
  return insideWindows(at, windows, policy.timeZone) ? null : 'OUTSIDE_WINDOW';
}

/** A window of the week, local time: on `days` (all when absent), start to end (crossing midnight when end < start). */
export type ContactWindow = z.output<typeof WindowSchema>;
export { WindowSchema };

/** Whether `at` is inside one of `windows`, in `timeZone`. Start equal to end: open all day. */
export function insideWindows(at: Date, windows: readonly ContactWindow[], timeZone: string): boolean {
  const { minutes, weekday } = localTime(at, timeZone);
  return windows.some((w) => (!w.days || w.days.includes(weekday)) && inDailySpan(minutes, w.start, w.end, true));
}

/** The policy in force: the registered one, or the configured quiet hours; swapped whole when it changes. */
export type ContactPolicyHolder = SingleHolder<ContactPolicy>;

export function contactPolicyHolder(configured: ContactPolicy): ContactPolicyHolder {
  return singleHolder(configured);
}
