-- Callback tasks: a contact an agent recorded with the response CALLBACK (the customer asked to be called back)
-- becomes a task for that agent, one per touchpoint, due at the customer's next best hour to contact.
CREATE TABLE callback_tasks (
  id text PRIMARY KEY,
  -- The touchpoint that asked for the callback: one task per touchpoint, however often its hook runs.
  touchpoint_id text NOT NULL,
  -- The consumer (agent) who recorded it and whose task it is.
  assignee text NOT NULL,
  customer_id text NOT NULL,
  channel text NOT NULL,
  offer_code text,
  -- The campaign or rule that made the offer, when one did: 'campaign' or 'rule', and its id.
  origin text,
  origin_id text,
  created_at timestamptz NOT NULL,
  due_at timestamptz NOT NULL,
  -- OPEN, DONE
  state text NOT NULL,
  outcome text,
  closed_at timestamptz,
  CONSTRAINT callback_tasks_touchpoint UNIQUE (touchpoint_id)
);
--> statement-breakpoint
CREATE INDEX callback_tasks_assignee ON callback_tasks (assignee, state, due_at);
