/**
 * The best time to contact a customer: the local hours in which the customer answered contacts, from the
 * touchpoints the gateway keeps (agents' contacts, rules' and campaigns' offers) and the replies to offers
 * (`channel_replies`), within the quiet hours in force (the contact policy's, which marketing makes data).
 *
 *   answered   a touchpoint whose outcome is not one of `touchpoints.contactTime.unansweredOutcomes` (an agent's
 *              contact was had with the customer; an offer SENT is answered only by a reply), counted at its time;
 *              a reply to an offer, counted at the time the customer replied
 *   attempted  every touchpoint, and every reply (a reply is an answer to an attempt)
 *   best       the hours with answers, outside the quiet hours (an hour any minute of which is quiet is left out),
 *              most answers first, then the better answer rate, then the earlier hour
 *
 * Hours are local to the policy's time zone. `Customer.bestContactTime(days:)` is its section: computed by the
 * gateway from the store, never kept by the rendered-answer cache (it changes with every contact recorded).
 */
import { and, desc, eq, gte } from 'drizzle-orm';
import type { IResolvers } from '@graphql-tools/utils';
import type { GatewayConfig } from '../config';
import { gatewayError } from '../errors';
import type { Store } from '../store';
import { channelReplies, touchpoints } from '../store/schema';
import type { GraphQLContext } from '../view';
import { hasQuietHours, localHour, quietInHour } from '../local-time';

/** The quiet hours in force: "HH:MM" local times in `timeZone` (start equal to end: none). */
export interface ContactWindowPolicy {
  timeZone: string;
  quietHours: { start: string; end: string };
}

export interface ContactHour {
  hour: number;
  attempted: number;
  answered: number;
  /** Whether any minute of the hour is in the quiet hours. */
  quiet: boolean;
}

export interface ContactTime {
  timeZone: string;
  quietHours: string;
  since: string;
  contactsCounted: number;
  bestHours: number[];
  summary: { zh: string; en: string };
  hours: ContactHour[];
}

const span = (h: number): string => `${String(h).padStart(2, '0')}:00–${String((h + 1) % 24).padStart(2, '0')}:00`;

/** The hours and the best of them, from the times contacts were attempted and answered. Pure. */
export function contactTimeOf(
  contacts: ReadonlyArray<{ at: Date; answered: boolean }>,
  policy: ContactWindowPolicy,
  bestCount: number,
  since: Date,
): ContactTime {
  const byHour = new Map<number, ContactHour>();
  for (const c of contacts) {
    const hour = localHour(c.at, policy.timeZone);
    let row = byHour.get(hour);
    if (!row)
      byHour.set(hour, (row = { hour, attempted: 0, answered: 0, quiet: quietInHour(hour, policy.quietHours) }));
    row.attempted++;
    if (c.answered) row.answered++;
  }
  const hours = [...byHour.values()].sort((a, b) => a.hour - b.hour);
  const bestHours = hours
    .filter((h) => h.answered > 0 && !h.quiet)
    .sort((a, b) => b.answered - a.answered || b.answered / b.attempted - a.answered / a.attempted || a.hour - b.hour)
    .slice(0, bestCount)
    .map((h) => h.hour);
  const quietHours = `${policy.quietHours.start}–${policy.quietHours.end}`;
  const quiet = hasQuietHours(policy.quietHours);
  return {
    timeZone: policy.timeZone,
    quietHours,
    since: since.toISOString(),
    contactsCounted: contacts.length,
    bestHours,
    summary:
      bestHours.length === 0
        ? { zh: '暂无客户应答记录', en: 'no answered contact yet' }
        : {
            // Quiet hours that start where they end are none: nothing was avoided, so nothing is said.
            zh: `最佳联系时段：${bestHours.map(span).join('、')}${quiet ? `（已避开免打扰时段${quietHours}）` : ''}`,
            en: `best hours to contact: ${bestHours.map(span).join(', ')}${quiet ? ` (outside the quiet hours ${quietHours})` : ''}`,
          },
    hours,
  };
}

export interface ContactTimeDeps {
  store: Store;
  settings: GatewayConfig['touchpoints']['contactTime'];
  /** The quiet hours in force now (the contact policy, or the configured marketing.quietHours). */
  policy(): ContactWindowPolicy;
  now?: () => Date;
}

/** The customer's touchpoints and replies since `since`, each as answered or not. */
async function contactsOf(deps: ContactTimeDeps, customerId: string, since: Date) {
  const unanswered = new Set(deps.settings.unansweredOutcomes);
  const limit = deps.settings.maxContacts;
  const [rows, replies] = await Promise.all([
    deps.store.db
      .select({ at: touchpoints.at, outcome: touchpoints.outcome })
      .from(touchpoints)
      .where(and(eq(touchpoints.customerId, customerId), gte(touchpoints.at, since)))
      .orderBy(desc(touchpoints.at))
      .limit(limit),
    deps.store.db
      .select({ at: channelReplies.repliedAt })
      .from(channelReplies)
      .where(and(eq(channelReplies.customerId, customerId), gte(channelReplies.repliedAt, since)))
      .orderBy(desc(channelReplies.repliedAt))
      .limit(limit),
  ]);
  return [
    ...rows.map((r) => ({ at: new Date(r.at), answered: !unanswered.has(r.outcome) })),
    ...replies.map((r) => ({ at: new Date(r.at), answered: true })),
  ];
}

const DAY_MS = 86_400_000;

/** The customer's best local hours to contact now (best first), over the default 90 days, in the policy in force. */
export async function bestHoursOf(deps: ContactTimeDeps, customerId: string): Promise<number[]> {
  const since = new Date((deps.now?.() ?? new Date()).getTime() - 90 * DAY_MS);
  const contacts = await contactsOf(deps, customerId, since);
  return contactTimeOf(contacts, deps.policy(), deps.settings.bestHours, since).bestHours;
}

/** `Customer.bestContactTime(days:)`: its SDL is schemas/contact-time.graphql. */
export function contactTimeResolvers(deps: ContactTimeDeps): IResolvers {
  return {
    Customer: {
      bestContactTime: async (customer: { id: string }, args: { days?: number | null }, ctx: GraphQLContext) => {
        // Changes with every contact recorded: never kept by the rendered-answer cache.
        ctx.ucv.volatile = true;
        const days = args.days ?? 90;
        if (!Number.isInteger(days) || days < 1 || days > 365)
          throw gatewayError('days must be a whole number of days from 1 to 365.', {
            code: 'BAD_USER_INPUT',
            argument: 'days',
          });
        const since = new Date((deps.now?.() ?? new Date()).getTime() - days * DAY_MS);
        let contacts;
        try {
          contacts = await contactsOf(deps, customer.id, since);
        } catch {
          throw gatewayError('The contact history cannot be read now; try again shortly.', {
            code: 'STORE_UNAVAILABLE',
          });
        }
        return contactTimeOf(contacts, deps.policy(), deps.settings.bestHours, since);
      },
    },
  };
}
