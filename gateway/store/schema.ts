/**
 * The durable store's tables, as Drizzle sees them. The SQL that creates them is in `migrations/` (the one migration
 * set, run at start on PGlite and PostgreSQL alike); a table added there is declared here with the same columns.
 * Table names are unqualified: every connection's `search_path` is the store's schema (`store.schema`).
 */
import { bigserial, index, pgTable, text, timestamp } from 'drizzle-orm/pg-core';

/** One row per customer per request that returned personal data: who read what, when, through which facade. */
export const auditLog = pgTable(
  'audit_log',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    /** When the gateway answered (taken before the group commit, so batching does not shift it). */
    at: timestamp('at', { withTimezone: true, mode: 'date' }).notNull(),
    requestId: text('request_id').notNull(),
    facade: text('facade').notNull(),
    consumerId: text('consumer_id').notNull(),
    role: text('role').notNull(),
    customerId: text('customer_id').notNull(),
    /** The personal-data field paths the answer carried after masking, e.g. `profile.name`, `contacts.channel`. */
    fields: text('fields').array().notNull(),
  },
  (t) => [index('audit_log_customer_at').on(t.customerId, t.at, t.id)],
);

export const tables = { auditLog };
