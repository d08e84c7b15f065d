-- The audit trail of personal-data reads (issue 10). One row per customer per request that returned personal data.
-- Written in group commits by gateway/audit/sink.ts; read by GET /admin/audit (newest first, by customer and time).
CREATE TABLE audit_log (
  id bigserial PRIMARY KEY,
  at timestamptz NOT NULL,
  request_id text NOT NULL,
  facade text NOT NULL,
  consumer_id text NOT NULL,
  role text NOT NULL,
  customer_id text NOT NULL,
  fields text[] NOT NULL
);
--> statement-breakpoint
CREATE INDEX audit_log_customer_at ON audit_log (customer_id, at, id);
