-- Every customer event accepted, kept per customer for the rules' conditions over time (first time, count in a
-- window, dwell): shared by every instance, so the second event on another instance sees the first.
CREATE TABLE customer_event_history (
  event_id text PRIMARY KEY,
  customer_id text NOT NULL,
  type text NOT NULL,
  at timestamptz NOT NULL,
  data jsonb NOT NULL
);
--> statement-breakpoint
CREATE INDEX customer_event_history_lookup ON customer_event_history (customer_id, type, at);
--> statement-breakpoint
-- Abnormal information: what could not be done for a customer (an event for a customer no system knows, a message
-- the channel gateway refused, a touchpoint the CRM rejected, a failed order), kept to be assigned and resolved.
CREATE TABLE marketing_exceptions (
  id text PRIMARY KEY,
  -- UNKNOWN_CUSTOMER, CHANNEL_REJECTED, TOUCHPOINT_REJECTED, ORDER_FAILED
  cause text NOT NULL,
  -- What it is about: the event, message, touchpoint or order's own id; one exception per (cause, ref).
  ref text NOT NULL,
  customer_id text,
  detail jsonb NOT NULL,
  created_at timestamptz NOT NULL,
  -- open, assigned, resolved
  state text NOT NULL,
  assignee text,
  resolved_by text,
  resolved_at timestamptz,
  resolution text,
  CONSTRAINT marketing_exceptions_ref UNIQUE (cause, ref)
);
--> statement-breakpoint
CREATE INDEX marketing_exceptions_state ON marketing_exceptions (state, created_at);
