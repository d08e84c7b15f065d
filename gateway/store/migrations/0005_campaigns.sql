-- Campaigns to selected customers (gateway/marketing/campaigns/): one run per campaign, its targets claimed in
-- batches by any instance, and the responses that come back for campaigns and rules alike.
CREATE TABLE campaign_runs (
  campaign_id text PRIMARY KEY,
  -- The definitions-store version of the campaign launched: what the run sends, whatever is put later.
  version integer NOT NULL,
  definition jsonb NOT NULL,
  -- selecting, running, paused, cancelled, completed
  state text NOT NULL,
  launched_by text NOT NULL,
  launched_at timestamptz NOT NULL,
  -- The audience's pages are read into campaign_targets; `after` is the last id read, so a restart continues.
  selection_after text,
  selected integer NOT NULL DEFAULT 0,
  control integer NOT NULL DEFAULT 0,
  batch_date text,
  updated_at timestamptz NOT NULL,
  completed_at timestamptz,
  -- When every selected customer was measured after the response window (conversions, NO_RESPONSE)
  measured_at timestamptz
);
--> statement-breakpoint
CREATE TABLE campaign_targets (
  campaign_id text NOT NULL,
  customer_id text NOT NULL,
  -- target or control (selected, never contacted: the baseline lift is measured against)
  cohort text NOT NULL,
  -- pending, claimed, sending (counted by the caps, the channel call under way), sent, ineligible, failed, control
  state text NOT NULL,
  reason text,
  channel text,
  message_id text,
  segment text,
  value_tier text,
  claimed_by text,
  lease_until timestamptz,
  attempts integer NOT NULL DEFAULT 0,
  processed_at timestamptz,
  -- After the response window: whether the customer holds the offered product (live), for target and control alike
  converted boolean,
  measured_at timestamptz,
  PRIMARY KEY (campaign_id, customer_id)
);
--> statement-breakpoint
CREATE INDEX campaign_targets_work ON campaign_targets (campaign_id, state, customer_id);
--> statement-breakpoint
-- What the caps count: campaign offers to one customer, by when they went out.
CREATE INDEX campaign_targets_customer ON campaign_targets (customer_id, processed_at);
--> statement-breakpoint
CREATE INDEX campaign_targets_message ON campaign_targets (message_id);
--> statement-breakpoint
-- One row per response, however many times its channel delivers it: `ref` is the response's own id (a reply's id,
-- a touchpoint's id, or "<origin>:<id>:<customer>:no-response").
CREATE TABLE offer_responses (
  ref text PRIMARY KEY,
  -- campaign or rule
  origin text NOT NULL,
  origin_id text NOT NULL,
  customer_id text NOT NULL,
  offer_code text NOT NULL,
  channel text NOT NULL,
  -- ACCEPTED, DECLINED, CLICKED, CALLBACK, NO_RESPONSE
  response text NOT NULL,
  at timestamptz NOT NULL,
  -- The CRM's order id when an ACCEPTED placed one
  order_id text,
  cohort text
);
--> statement-breakpoint
CREATE INDEX offer_responses_origin ON offer_responses (origin, origin_id, response);
--> statement-breakpoint
CREATE INDEX offer_responses_customer ON offer_responses (customer_id, at);
