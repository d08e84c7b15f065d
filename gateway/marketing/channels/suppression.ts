/**
 * The suppression list: customers who receive no rule-triggered offer (opted out, a complaint, the regulator). The
 * dispatcher reads it before anything else (dispatcher.ts); this module writes and reads it for the admin API
 * (suppression-route.ts). Table `suppression` of the durable store, one row per customer: a put again replaces the
 * reason, who and when.
 */
import { asc, eq, gt } from 'drizzle-orm';
import type { Store } from '../../store';
import { suppression } from '../../store/schema';

export interface Suppression {
  customerId: string;
  reason: string;
  /** Who put the customer on the list (null: before this was recorded). */
  by: string | null;
  at: string;
}

const entry = (row: typeof suppression.$inferSelect): Suppression => ({
  customerId: row.customerId,
  reason: row.reason,
  by: row.createdBy,
  at: row.createdAt.toISOString(),
});

/** Puts the customer on the list, or replaces its reason, who and when. */
export async function suppress(store: Store, customerId: string, reason: string, by: string): Promise<Suppression> {
  const values = { customerId, reason, createdBy: by, createdAt: new Date() };
  const [row] = await store.db
    .insert(suppression)
    .values(values)
    .onConflictDoUpdate({
      target: suppression.customerId,
      set: { reason: values.reason, createdBy: values.createdBy, createdAt: values.createdAt },
    })
    .returning();
  return entry(row as typeof suppression.$inferSelect);
}

/** Takes the customer off the list: the entry removed, or null when it was not on it. */
export async function unsuppress(store: Store, customerId: string): Promise<Suppression | null> {
  const [row] = await store.db.delete(suppression).where(eq(suppression.customerId, customerId)).returning();
  return row ? entry(row) : null;
}

export async function suppressionOf(store: Store, customerId: string): Promise<Suppression | null> {
  const [row] = await store.db.select().from(suppression).where(eq(suppression.customerId, customerId));
  return row ? entry(row) : null;
}

/** One page, by customer id: those after `after`, at most `limit`; `next` is the id to ask after, or null at the end. */
export async function listSuppressions(
  store: Store,
  limit: number,
  after?: string,
): Promise<{ items: Suppression[]; next: string | null }> {
  const rows = await store.db
    .select()
    .from(suppression)
    .where(after === undefined ? undefined : gt(suppression.customerId, after))
    .orderBy(asc(suppression.customerId))
    .limit(limit + 1);
  const items = rows.slice(0, limit).map(entry);
  return { items, next: rows.length > limit ? (items.at(-1)?.customerId ?? null) : null };
}
