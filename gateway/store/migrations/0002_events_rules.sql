-- Event-triggered marketing (issue 12, items 3-5). Migration 0001 (touchpoints, outbox) is engineer "contacts"'.
-- events: one row per customer event ever received, by its id: a redelivered event (RabbitMQ, a retried webhook)
-- finds its row and is not handled twice.
CREATE TABLE events (
  id text PRIMARY KEY,
  type text NOT NULL,
  customer_id text NOT NULL,
  via text NOT NULL,
  received_at timestamptz NOT NULL,
  handled_at timestamptz,
  outcomes jsonb
);
--> statement-breakpoint
-- offers: one row per offer a rule sent (or is sending). The frequency caps count these rows; (event_id, rule_id) is
-- unique so an event handled again never sends the same rule's offer twice.
CREATE TABLE offers_sent (
  id bigserial PRIMARY KEY,
  event_id text NOT NULL,
  rule_id text NOT NULL,
  customer_id text NOT NULL,
  channel text NOT NULL,
  offer_code text NOT NULL,
  sent_at timestamptz NOT NULL,
  status text NOT NULL,
  CONSTRAINT offers_sent_event_rule UNIQUE (event_id, rule_id)
);
--> statement-breakpoint
CREATE INDEX offers_sent_customer_at ON offers_sent (customer_id, sent_at);
--> statement-breakpoint
-- suppression: customers who must receive no rule-triggered offer (opted out, complaint, regulator).
CREATE TABLE suppression (
  customer_id text PRIMARY KEY,
  reason text NOT NULL,
  created_at timestamptz NOT NULL
);
