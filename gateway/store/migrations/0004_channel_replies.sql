-- channel_replies: every customer reply the channel gateway delivered (an SMS "Y", a push click), one row per reply
-- id, written before the gateway answers the sender: a reply accepted is never lost, even before a campaign reads
-- it, and a redelivered reply finds its row and is not recorded twice. handled_at and outcome stay null until the
-- reply's consumer (e.g. a campaign placing the order a "Y" asks for) marks what it did.
CREATE TABLE channel_replies (
  reply_id text PRIMARY KEY,
  message_id text NOT NULL,
  customer_id text NOT NULL,
  channel text NOT NULL,
  text text NOT NULL,
  replied_at timestamptz NOT NULL,
  received_at timestamptz NOT NULL DEFAULT now(),
  handled_at timestamptz,
  outcome jsonb
);
--> statement-breakpoint
CREATE INDEX channel_replies_message ON channel_replies (message_id);
--> statement-breakpoint
CREATE INDEX channel_replies_customer_at ON channel_replies (customer_id, replied_at);
