/**
 * Abnormal information, as the channel guideline names it: what could not be done for a customer is recorded,
 * counted, followed up and resolved, never silently lost and never retried forever.
 *
 *   UNKNOWN_CUSTOMER     an event for a customer no system knows: nothing was sent to anyone
 *   CHANNEL_REJECTED     the channel gateway refused a message for good (an answer of 400 to 499)
 *   TOUCHPOINT_REJECTED  the CRM refused a contact record for good
 *   ORDER_FAILED         an order a customer confirmed could not be placed
 *
 * One exception per (cause, what it is about): a redelivered event or reply finds the exception it made and answers
 * with the same id. States: open → assigned (to a person) → resolved (by whom, how); every change is kept on the row.
 * Counted in `ucv_marketing_exceptions_total{cause}`.
 */
import { randomUUID } from 'node:crypto';
import { and, desc, eq, lt, or, sql } from 'drizzle-orm';
import { Counter, type Registry } from 'prom-client';
import type { Store } from '../../store';
import { marketingExceptions } from '../../store/schema';

export const EXCEPTION_CAUSES = [
  'UNKNOWN_CUSTOMER',
  'CHANNEL_REJECTED',
  'TOUCHPOINT_REJECTED',
  'ORDER_FAILED',
] as const;
export type ExceptionCause = (typeof EXCEPTION_CAUSES)[number];
export const EXCEPTION_STATES = ['open', 'assigned', 'resolved'] as const;
export type ExceptionState = (typeof EXCEPTION_STATES)[number];

export interface MarketingException {
  id: string;
  cause: ExceptionCause;
  ref: string;
  customerId: string | null;
  detail: Record<string, unknown>;
  createdAt: string;
  state: ExceptionState;
  assignee: string | null;
  resolvedBy: string | null;
  resolvedAt: string | null;
  resolution: string | null;
}

export interface Exceptions {
  /** Records the exception, or finds the one recorded for the same (cause, ref); its id either way. */
  raise(exception: {
    cause: ExceptionCause;
    ref: string;
    customerId?: string | null;
    detail: Record<string, unknown>;
  }): Promise<string>;
  /** Newest first; `before` (the `next` of the page before: `<createdAt>|<id>`, or a createdAt) pages on. */
  list(query: {
    state?: ExceptionState;
    cause?: ExceptionCause;
    limit: number;
    before?: string;
  }): Promise<MarketingException[]>;
  get(id: string): Promise<MarketingException | null>;
  /** Assigns an open or assigned exception to a person; null when there is none of that id, or it is resolved. */
  assign(id: string, assignee: string): Promise<MarketingException | null>;
  /** Resolves it, with who and how; null when there is none of that id, or it is resolved already. */
  resolve(id: string, by: string, resolution: string): Promise<MarketingException | null>;
  /** Exceptions per state and cause (the console's queue header). */
  counts(): Promise<Array<{ state: ExceptionState; cause: ExceptionCause; count: number }>>;
}

type Row = typeof marketingExceptions.$inferSelect;
const toException = (r: Row): MarketingException => ({
  id: r.id,
  cause: r.cause as ExceptionCause,
  ref: r.ref,
  customerId: r.customerId,
  detail: r.detail as Record<string, unknown>,
  createdAt: r.createdAt.toISOString(),
  state: r.state as ExceptionState,
  assignee: r.assignee,
  resolvedBy: r.resolvedBy,
  resolvedAt: r.resolvedAt?.toISOString() ?? null,
  resolution: r.resolution,
});

export function createExceptions(store: Store, options: { registry?: Registry; now?: () => Date } = {}): Exceptions {
  const db = store.db;
  const t = marketingExceptions;
  const now = options.now ?? (() => new Date());
  const raised = new Counter({
    name: 'ucv_marketing_exceptions_total',
    help: 'Abnormal information recorded as exceptions to follow up, by cause (a redelivery finding its exception is not counted again).',
    labelNames: ['cause'] as const,
    registers: options.registry ? [options.registry] : [],
  });
  /**
   * Rows after a page's last one, newest first: `<createdAt>|<id>` (the `next` a page gives) goes on from that row,
   * so exceptions raised in one millisecond are neither skipped nor repeated; a bare `<createdAt>`, from before it.
   */
  const olderThan = (before: string) => {
    const [at = '', id] = before.split('|');
    const date = new Date(at);
    return id ? or(lt(t.createdAt, date), and(eq(t.createdAt, date), lt(t.id, id))) : lt(t.createdAt, date);
  };
  return {
    async raise(e) {
      const id = `exc-${randomUUID()}`;
      const inserted = await db
        .insert(t)
        .values({
          id,
          cause: e.cause,
          ref: e.ref.slice(0, 200),
          customerId: e.customerId ?? null,
          detail: e.detail,
          createdAt: now(),
          state: 'open',
        })
        .onConflictDoNothing()
        .returning({ id: t.id });
      if (inserted[0]) {
        raised.inc({ cause: e.cause });
        return inserted[0].id;
      }
      const [found] = await db
        .select({ id: t.id })
        .from(t)
        .where(and(eq(t.cause, e.cause), eq(t.ref, e.ref.slice(0, 200))));
      return found?.id ?? id;
    },
    async list(q) {
      const filters = [
        ...(q.state ? [eq(t.state, q.state)] : []),
        ...(q.cause ? [eq(t.cause, q.cause)] : []),
        ...(q.before ? [olderThan(q.before)] : []),
      ];
      const rows = await db
        .select()
        .from(t)
        .where(filters.length ? and(...filters) : undefined)
        .orderBy(desc(t.createdAt), desc(t.id))
        .limit(q.limit);
      return rows.map(toException);
    },
    async get(id) {
      const [row] = await db.select().from(t).where(eq(t.id, id));
      return row ? toException(row) : null;
    },
    async assign(id, assignee) {
      const [row] = await db
        .update(t)
        .set({ state: 'assigned', assignee })
        .where(and(eq(t.id, id), sql`${t.state} <> 'resolved'`))
        .returning();
      return row ? toException(row) : null;
    },
    async resolve(id, by, resolution) {
      const [row] = await db
        .update(t)
        .set({ state: 'resolved', resolvedBy: by, resolvedAt: now(), resolution })
        .where(and(eq(t.id, id), sql`${t.state} <> 'resolved'`))
        .returning();
      return row ? toException(row) : null;
    },
    async counts() {
      const rows = await db
        .select({ state: t.state, cause: t.cause, count: sql<number>`count(*)::int` })
        .from(t)
        .groupBy(t.state, t.cause);
      return rows.map((r) => ({
        state: r.state as ExceptionState,
        cause: r.cause as ExceptionCause,
        count: Number(r.count),
      }));
    },
  };
}
