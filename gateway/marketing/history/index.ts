/**
 * Conditions over time and history, kept per customer in the durable store and shared by every instance:
 *
 *   count   how many events of a kind (matching `where`) the customer had in a window ending at this event, this one
 *           included: "first long-distance call of the year" is a count of 1, "3rd call to 114 this week" of 3;
 *   dwell   for how many minutes the customer has stayed where `where` holds (e.g. in any of cells G), from the
 *           first of the run of location updates that all match, up to this event;
 *   during  whether the event happened in a date and time window, in the operator's time zone (the Spring Festival
 *           travel period, office hours).
 *
 * Every accepted event is recorded once (`customer_event_history`, by event id) before its rules run, so the count
 * and the dwell see it, whichever instance handles the next one. Events are ordered by their own time (`at`, then
 * id), not by arrival: a redelivered or late event is counted where it happened.
 */
import { and, asc, desc, eq, gt, gte, lte, ne, or } from 'drizzle-orm';
import type { Store } from '../../store';
import { customerEventHistory } from '../../store/schema';
import { evaluate, type Condition } from '../conditions';
import type { CustomerEvent } from '../events/customer-event';
import { inDailySpan, localTime, WEEKDAYS, type Weekday } from '../../local-time';

/** A window ending at the event: the last `days` days, or since the start of the local calendar `period`. */
export type Within = { days: number } | { calendar: 'day' | 'week' | 'month' | 'year' };

/** At most this many events are read at once, and counted: a count beyond it reads as this many. */
export const MAX_HISTORY_ROWS = 1000;
/**
 * At most this many events of the kind are read for one count with a `where`, in pages of MAX_HISTORY_ROWS: the
 * matching ones may come after many that do not (the first long-distance call after a thousand local ones), so the
 * filter cannot be a limit's; past this a count stops, bounded in time.
 */
export const MAX_HISTORY_SCAN = 10 * MAX_HISTORY_ROWS;
/** A dwell looks back at most this far: a stay longer than a day reads as a day. */
const DWELL_LOOKBACK_MS = 24 * 60 * 60_000;

/** The instant of local midnight starting the day `y-m-d` in the zone (its offset read at that day's noon UTC). */
function localMidnight(y: number, m: number, d: number, timeZone: string): Date {
  const guess = Date.UTC(y, m - 1, d);
  const noon = new Date(guess + 12 * 3600_000);
  const p = localTime(noon, timeZone);
  const offset = Date.UTC(p.y, p.m - 1, p.d, Math.floor(p.minutes / 60), p.minutes % 60) - noon.getTime();
  return new Date(guess - offset);
}

/** The start of the window ending at `at`. */
export function windowStart(at: Date, within: Within, timeZone: string): Date {
  if ('days' in within) return new Date(at.getTime() - within.days * 86_400_000);
  const p = localTime(at, timeZone);
  switch (within.calendar) {
    case 'day':
      return localMidnight(p.y, p.m, p.d, timeZone);
    case 'week': {
      // Weeks start on Monday, as they do in the operator's calendar.
      const monday = new Date(Date.UTC(p.y, p.m - 1, p.d) - WEEKDAYS.indexOf(p.weekday) * 86_400_000);
      return localMidnight(monday.getUTCFullYear(), monday.getUTCMonth() + 1, monday.getUTCDate(), timeZone);
    }
    case 'month':
      return localMidnight(p.y, p.m, 1, timeZone);
    case 'year':
      return localMidnight(p.y, 1, 1, timeZone);
  }
}

/** A date and time window: local dates (inclusive), days of the week, and a time of day (may cross midnight). */
export interface During {
  dates?: Array<{ from: string; to: string }>;
  days?: Weekday[];
  start?: string;
  end?: string;
}

/** Whether `at` falls in the window, read in the zone. Every part given must hold. */
export function isDuring(at: Date, during: During, timeZone: string): boolean {
  const p = localTime(at, timeZone);
  if (during.dates && !during.dates.some((r) => r.from <= p.date && p.date <= r.to)) return false;
  if (during.days && !during.days.includes(p.weekday)) return false;
  // A time of day that ends where it starts is the whole day.
  return (
    during.start === undefined || during.end === undefined || inDailySpan(p.minutes, during.start, during.end, true)
  );
}

/** The event's data as the condition language names its fields: `event.<name>`, and `event.at`. */
export function eventFacts(type: string, at: string, data: unknown): Record<string, unknown> {
  const facts: Record<string, unknown> = { 'event.type': type, 'event.at': at };
  if (data && typeof data === 'object')
    for (const [name, value] of Object.entries(data as Record<string, unknown>)) facts[`event.${name}`] = value;
  return facts;
}

export interface History {
  /** Records the event once (by id); a redelivery changes nothing. */
  record(event: CustomerEvent): Promise<void>;
  /** Events of `type` matching `where` in the window ending at `event` (by event time), `event` itself included (recorded or not). */
  count(event: CustomerEvent, query: { type: string; where?: Condition; within: Within }): Promise<number>;
  /** Minutes the customer has stayed where `where` holds (events of `type`), up to `event`; 0 when it does not hold now. */
  dwellMinutes(event: CustomerEvent, query: { type: string; where?: Condition }): Promise<number>;
}

export function createHistory(store: Store, timeZone: string): History {
  const db = store.db;
  const h = customerEventHistory;
  const matches = (where: Condition | undefined, type: string, at: Date, data: unknown): boolean =>
    where === undefined || evaluate(where, eventFacts(type, at.toISOString(), data));
  /** The customer's other events of `type` from `from` up to the event's time, at most MAX_HISTORY_ROWS, in time order. */
  const others = (
    event: CustomerEvent,
    type: string,
    from: Date,
    order: 'asc' | 'desc',
    after?: { at: Date; eventId: string },
  ) =>
    db
      .select({ eventId: h.eventId, at: h.at, data: h.data })
      .from(h)
      .where(
        and(
          eq(h.customerId, event.customerId),
          eq(h.type, type),
          gte(h.at, from),
          lte(h.at, new Date(event.at)),
          ne(h.eventId, event.id),
          // The next page (ascending): after the last row read, in (at, id) order.
          after ? or(gt(h.at, after.at), and(eq(h.at, after.at), gt(h.eventId, after.eventId))) : undefined,
        ),
      )
      .orderBy(...(order === 'asc' ? [asc(h.at), asc(h.eventId)] : [desc(h.at), desc(h.eventId)]))
      .limit(MAX_HISTORY_ROWS);
  return {
    async record(event) {
      await db
        .insert(h)
        .values({
          eventId: event.id,
          customerId: event.customerId,
          type: event.type,
          at: new Date(event.at),
          data: event.data,
        })
        .onConflictDoNothing();
    },
    async count(event, query) {
      const at = new Date(event.at);
      const from = windowStart(at, query.within, timeZone);
      // The event itself counts whether or not it is recorded yet (a dry run's is never); ties in time are ordered
      // by id, so two events at one instant count in one order on every instance.
      let before = 0;
      let read = 0;
      let after: { at: Date; eventId: string } | undefined;
      while (before < MAX_HISTORY_ROWS && read < MAX_HISTORY_SCAN) {
        const rows = await others(event, query.type, from, 'asc', after);
        read += rows.length;
        before += rows.filter(
          (r) =>
            (r.at.getTime() < at.getTime() || r.eventId < event.id) && matches(query.where, query.type, r.at, r.data),
        ).length;
        const last = rows[rows.length - 1];
        if (!last || rows.length < MAX_HISTORY_ROWS) break;
        after = { at: last.at, eventId: last.eventId };
      }
      return (
        Math.min(before, MAX_HISTORY_ROWS) +
        (event.type === query.type && matches(query.where, query.type, at, event.data) ? 1 : 0)
      );
    },
    async dwellMinutes(event, query) {
      const at = new Date(event.at);
      if (event.type !== query.type || !matches(query.where, query.type, at, event.data)) return 0;
      const rows = await others(event, query.type, new Date(at.getTime() - DWELL_LOOKBACK_MS), 'desc');
      // Back from this event through the run of updates that all match: the stay began at the first of them.
      let since = at;
      for (const row of rows) {
        if (row.at.getTime() === at.getTime() && row.eventId > event.id) continue;
        if (!matches(query.where, query.type, row.at, row.data)) break;
        since = row.at;
      }
      return Math.floor((at.getTime() - since.getTime()) / 60_000);
    },
  };
}
