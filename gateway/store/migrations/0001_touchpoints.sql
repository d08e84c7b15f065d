-- Touchpoints and their outbox (issue 12, item 1). Every contact recorded, by an agent through recordContact /
-- RecordContact or by a business rule, is one row of `touchpoints`, in one format; the write to the system of record
-- (the CRM) goes through `outbox`, delivered in order per customer, exactly once as the CRM sees it (each delivery
-- carries the touchpoint's id as its idempotency key). gateway/touchpoints/ writes and reads both.
CREATE TABLE touchpoints (
  id text PRIMARY KEY,
  customer_id text NOT NULL,
  channel text NOT NULL,
  at timestamptz NOT NULL,
  type text NOT NULL,
  outcome text NOT NULL,
  agent_id text,
  system text,
  offer_code text,
  response text,
  -- 'agent' | 'rule' today; active marketing (item 6) adds 'campaign' with campaign_id.
  origin text NOT NULL,
  rule_id text,
  campaign_id text,
  -- Whose idempotency key this is: a consumer's id, or 'rules'. Keys are unique within a scope.
  scope text NOT NULL,
  idempotency_key text NOT NULL,
  -- SHA-256 of the request's content: the same key with other content is refused (IDEMPOTENCY_CONFLICT).
  request_hash text NOT NULL,
  -- ACCEPTED (in the outbox) → RECORDED (the CRM has it) | REJECTED (the CRM refused it for good).
  status text NOT NULL,
  contact_id text,
  -- The first answer given for this key, replayed to every retry.
  answer jsonb,
  accepted_at timestamptz NOT NULL DEFAULT now(),
  recorded_at timestamptz,
  CONSTRAINT touchpoints_scope_key UNIQUE (scope, idempotency_key)
);
--> statement-breakpoint
-- The contact trail of one customer, newest first; frequency caps count by customer, channel and time.
CREATE INDEX touchpoints_customer_at ON touchpoints (customer_id, at DESC);
--> statement-breakpoint
-- Campaign and offer reporting (who was offered what, when): active marketing selects and counts by offer.
CREATE INDEX touchpoints_offer_at ON touchpoints (offer_code, at) WHERE offer_code IS NOT NULL;
--> statement-breakpoint
CREATE TABLE outbox (
  -- The order of delivery: per customer, by id.
  id bigserial PRIMARY KEY,
  touchpoint_id text NOT NULL REFERENCES touchpoints (id),
  source text NOT NULL,
  command text NOT NULL,
  customer_id text NOT NULL,
  idempotency_key text NOT NULL,
  payload jsonb NOT NULL,
  -- pending → delivered | rejected
  state text NOT NULL DEFAULT 'pending',
  attempts integer NOT NULL DEFAULT 0,
  next_attempt_at timestamptz NOT NULL DEFAULT now(),
  -- A delivery in progress holds the row until then (a lease): an instance that dies mid-delivery lets it go.
  locked_until timestamptz,
  last_error text,
  created_at timestamptz NOT NULL DEFAULT now(),
  delivered_at timestamptz
);
--> statement-breakpoint
CREATE INDEX outbox_pending ON outbox (customer_id, id) WHERE state = 'pending';
