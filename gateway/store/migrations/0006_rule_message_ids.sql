-- offers_sent: the channel gateway's message id of a rule's offer, so a customer's reply to it is recorded against
-- the rule (rows written before this migration have none).
ALTER TABLE offers_sent ADD COLUMN message_id text;
--> statement-breakpoint
CREATE INDEX offers_sent_message ON offers_sent (message_id);
