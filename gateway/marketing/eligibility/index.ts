/**
 * The one eligibility check: may this offer go to this customer now? Used by campaigns, event rules and the desk's
 * recommendations alike, so that a customer is never offered what they hold, never upsold while suspended or in
 * arrears, and never contacted past the caps, whichever channel or system made the earlier contacts.
 *
 * Two halves:
 * - `offerRefusal(view, offer)`: pure, over the live view (products from the CRM, status, balance and bills from
 *   billing), loaded through the pipeline by the caller. A section that could not be read live refuses with
 *   LIVE_DATA_UNAVAILABLE: an offer is never sent on data the gateway could not check.
 * - `contactRefusal(tx, …)`: inside the caller's transaction, under the customer's advisory lock (`lockCustomer`),
 *   the suppression list and the frequency caps, counted over every offer made to the customer: rule offers
 *   (`offers_sent`), campaign offers (`campaign_targets` sending or sent) and offers recorded by agents or other
 *   systems (`touchpoints` with an offer code). The lock makes two instances deciding for one customer at once count
 *   each other.
 */
import { sql } from 'drizzle-orm';
import { rowsOf, type StoreDb } from '../../store';

/** The live facts the check reads, as the marketing role's view answers them (`ELIGIBILITY_SELECTION`). */
export interface EligibilityView {
  profile: { status: string; type?: string } | null;
  products: Array<{ code: string; status?: string }> | null;
  billing: {
    balance: number | string;
    bills: Array<{ status: string; dueDate: string; amount?: number | string }>;
  } | null;
}

/** What of the view the check reads: selected by every consumer that checks eligibility. */
export const ELIGIBILITY_SELECTION = `profile { status type }
    products { code status }
    billing { balance bills { status dueDate amount } }`;

/** Why an offer may not be made, in the order they are checked. */
export const INELIGIBLE_REASONS = [
  'UNKNOWN_CUSTOMER',
  'LIVE_DATA_UNAVAILABLE',
  'HOLDS_PRODUCT',
  'SUSPENDED',
  'IN_ARREARS',
  'SUPPRESSED',
  'CAPPED',
  'QUIET_HOURS',
  'OUTSIDE_WINDOW',
] as const;
export type IneligibleReason = (typeof INELIGIBLE_REASONS)[number];

/** The sections the check needs, and whether each could be read (false: unavailable, not "not found"). */
export interface SectionsRead {
  profile: boolean;
  products: boolean;
  billing: boolean;
}

/**
 * The sections of `customer(…)` a view load could not read live, from its errors: an error on a section that is
 * not NOT_FOUND (no billing account, not in the batch: answers) means its system failed.
 */
export function unavailableSections(
  errors: ReadonlyArray<{ path?: ReadonlyArray<string | number>; extensions?: { code?: unknown } }> | undefined,
): Set<string> {
  const unavailable = new Set<string>();
  for (const e of errors ?? []) {
    const section = e.path?.[1];
    if (typeof section === 'string' && e.extensions?.code !== 'NOT_FOUND') unavailable.add(section);
  }
  return unavailable;
}

/** Which of the check's sections were read, from the sections a view load reported unavailable. */
export function sectionsRead(unavailable: Iterable<string>): SectionsRead {
  const missing = new Set(unavailable);
  return { profile: !missing.has('profile'), products: !missing.has('products'), billing: !missing.has('billing') };
}

export interface OfferFacts {
  offerCode: string;
  /** `upsell` (the default): refused to a suspended customer or one in arrears; `care`: a service offer, allowed. */
  kind?: 'upsell' | 'care';
}

/** The amount owed and since how many days the oldest unpaid bill is overdue, or null when nothing is owed. */
export function arrearsOf(billing: EligibilityView['billing'], now: Date): { amount: number; days: number } | null {
  if (!billing) return null;
  const balance = Number(billing.balance);
  const overdue = billing.bills.filter((b) => b.status === 'OVERDUE');
  if (!(balance < 0) && overdue.length === 0) return null;
  const oldest = overdue.map((b) => Date.parse(`${b.dueDate}T00:00:00+08:00`)).sort((a, b) => a - b)[0];
  return {
    amount: balance < 0 ? Math.round(-balance * 100) / 100 : 0,
    days: oldest === undefined ? 0 : Math.max(0, Math.floor((now.getTime() - oldest) / 86_400_000)),
  };
}

/**
 * Why `offer` may not be made to the customer of `view` now, or null. `view` null: the customer is unknown.
 * `read` says which sections were unavailable (a null section that was read is an answer: no products, no
 * billing account).
 */
export function offerRefusal(
  view: EligibilityView | null,
  read: SectionsRead,
  offer: OfferFacts,
  now = new Date(),
): IneligibleReason | null {
  if (!view) return 'UNKNOWN_CUSTOMER';
  if (!read.profile || !read.products || !read.billing) return 'LIVE_DATA_UNAVAILABLE';
  if (!view.profile) return 'UNKNOWN_CUSTOMER';
  if ((view.products ?? []).some((p) => p.code === offer.offerCode && p.status !== 'CANCELLED')) return 'HOLDS_PRODUCT';
  if ((offer.kind ?? 'upsell') === 'care') return null;
  if (view.profile.status === 'SUSPENDED') return 'SUSPENDED';
  if (arrearsOf(view.billing, now)) return 'IN_ARREARS';
  return null;
}

export interface FrequencyCaps {
  /** Most offers to one customer in 24 h, all channels. */
  perCustomerPerDay: number;
  /** Most offers to one customer in 7 × 24 h. */
  perCustomerPerWeek: number;
  /** Most offers to one customer on one channel in 24 h. */
  perChannelPerDay: number;
}

/** The transaction of the caller (a Drizzle transaction or the database itself). */
type Executor = Pick<StoreDb, 'execute'>;

/** Takes the customer's offer lock until the caller's transaction ends (every instance, every origin). */
export async function lockCustomer(tx: Executor, customerId: string): Promise<void> {
  await tx.execute(sql`SELECT pg_advisory_xact_lock(hashtext(${`ucv-offer:${customerId}`}))`);
}

/** The offer channels (SMS, PUSH, EMAIL) as the contact trail records them. */
export const CHANNEL_HALL: Readonly<Record<string, string>> = { SMS: 'SMS_HALL', PUSH: 'WAP_HALL', EMAIL: 'WEB_HALL' };

/**
 * Offers made to the customer since `weekAgo`: in the last 24 h, in the last week, and on `channel` in the last
 * 24 h, over every origin. Call under `lockCustomer`.
 */
export async function offersMade(
  tx: Executor,
  customerId: string,
  channel: string,
  at: Date,
): Promise<{ day: number; week: number; channelDay: number }> {
  const day = new Date(at.getTime() - 24 * 3600_000).toISOString();
  const week = new Date(at.getTime() - 7 * 24 * 3600_000).toISOString();
  const hall = CHANNEL_HALL[channel] ?? channel;
  const [row] = rowsOf<{ day: unknown; week: unknown; channel_day: unknown }>(
    await tx.execute(sql`
      SELECT count(*) FILTER (WHERE at > ${day}) AS day, count(*) AS week,
             count(*) FILTER (WHERE at > ${day} AND channel = ${channel}) AS channel_day
      FROM (
        SELECT sent_at AS at, channel FROM offers_sent WHERE customer_id = ${customerId} AND sent_at > ${week}
        UNION ALL
        SELECT processed_at, channel FROM campaign_targets
          WHERE customer_id = ${customerId} AND state IN ('sending', 'sent') AND processed_at > ${week}
        UNION ALL
        SELECT at, CASE WHEN channel = ${hall} THEN ${channel} ELSE channel END FROM touchpoints
          WHERE customer_id = ${customerId} AND offer_code IS NOT NULL AND origin NOT IN ('rule', 'campaign')
            AND at > ${week}
      ) offers`),
  );
  return { day: Number(row?.day ?? 0), week: Number(row?.week ?? 0), channelDay: Number(row?.channel_day ?? 0) };
}

/** Which cap `counts` reach, or null. */
export function capReached(
  counts: { day: number; week: number; channelDay: number },
  caps: FrequencyCaps,
): keyof FrequencyCaps | null {
  if (counts.day >= caps.perCustomerPerDay) return 'perCustomerPerDay';
  if (counts.week >= caps.perCustomerPerWeek) return 'perCustomerPerWeek';
  if (counts.channelDay >= caps.perChannelPerDay) return 'perChannelPerDay';
  return null;
}

/** Whether the customer is on the suppression list. */
export async function suppressed(tx: Executor, customerId: string): Promise<boolean> {
  return rowsOf(await tx.execute(sql`SELECT 1 FROM suppression WHERE customer_id = ${customerId}`)).length > 0;
}

/**
 * Suppression and caps, under the customer's lock (taken here): why a contact on `channel` may not be made now, or
 * null. The caller records its offer in the same transaction, so the next decision counts it.
 */
export async function contactRefusal(
  tx: Executor,
  customerId: string,
  channel: string,
  at: Date,
  caps: FrequencyCaps,
): Promise<{ reason: 'SUPPRESSED' } | { reason: 'CAPPED'; cap: keyof FrequencyCaps } | null> {
  await lockCustomer(tx, customerId);
  if (await suppressed(tx, customerId)) return { reason: 'SUPPRESSED' };
  const cap = capReached(await offersMade(tx, customerId, channel, at), caps);
  return cap ? { reason: 'CAPPED', cap } : null;
}
