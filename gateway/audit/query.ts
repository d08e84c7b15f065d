/**
 * Reading the audit trail for the data-protection officer: one customer's records in a time window, newest first,
 * a page at a time. Pages are keyed on (at, id), the tail of the `(customer_id, at, id)` index, so a page costs the
 * same however deep it is and records committed meanwhile never shift a page.
 */
import { and, desc, eq, gte, lt, sql } from 'drizzle-orm';
import { tables, type Store } from '../store';

export interface AuditQuery {
  customerId: string;
  /** Inclusive. */
  from?: Date;
  /** Exclusive. */
  to?: Date;
  limit: number;
  /** From a previous page's `next`. */
  cursor?: string;
}

export interface AuditEntry {
  at: string;
  requestId: string;
  facade: string;
  consumer: { id: string; role: string };
  customerId: string;
  fields: string[];
}

export interface AuditPage {
  records: AuditEntry[];
  /** Cursor of the next (older) page; null on the last page. */
  next: string | null;
}

/** An opaque page cursor: the (at, id) of the last record of a page. */
export function encodeCursor(at: Date, id: number): string {
  return Buffer.from(JSON.stringify([at.toISOString(), id])).toString('base64url');
}

/** The (at, id) a cursor stands for, or null when it is not one this gateway made. */
export function decodeCursor(cursor: string): { at: Date; id: number } | null {
  try {
    const value: unknown = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
    if (!Array.isArray(value) || value.length !== 2) return null;
    const [at, id] = value as [unknown, unknown];
    if (typeof at !== 'string' || !Number.isSafeInteger(id) || (id as number) < 1) return null;
    const date = new Date(at);
    return Number.isNaN(date.getTime()) ? null : { at: date, id: id as number };
  } catch {
    return null;
  }
}

export async function queryAudit(store: Store, query: AuditQuery): Promise<AuditPage> {
  const t = tables.auditLog;
  const after = query.cursor === undefined ? null : decodeCursor(query.cursor);
  if (query.cursor !== undefined && !after) throw new TypeError('invalid cursor');
  const rows = await store.db
    .select()
    .from(t)
    .where(
      and(
        eq(t.customerId, query.customerId),
        query.from ? gte(t.at, query.from) : undefined,
        query.to ? lt(t.at, query.to) : undefined,
        after ? sql`(${t.at}, ${t.id}) < (${after.at.toISOString()}::timestamptz, ${after.id})` : undefined,
      ),
    )
    .orderBy(desc(t.at), desc(t.id))
    .limit(query.limit + 1);
  const page = rows.slice(0, query.limit);
  const last = page[page.length - 1];
  return {
    records: page.map((r) => ({
      at: r.at.toISOString(),
      requestId: r.requestId,
      facade: r.facade,
      consumer: { id: r.consumerId, role: r.role },
      customerId: r.customerId,
      fields: r.fields,
    })),
    next: rows.length > query.limit && last ? encodeCursor(last.at, last.id) : null,
  };
}
