/**
 * The durable store's tables, as Drizzle sees them. The SQL that creates them is in `migrations/` (the one migration
 * set, run at start on PGlite and PostgreSQL alike); a table added there is declared here with the same columns.
 * Table names are unqualified: every connection's `search_path` is the store's schema (`store.schema`).
 */
import {
  bigserial,
  boolean,
  index,
  integer,
  jsonb,
  pgTable,
  primaryKey,
  text,
  timestamp,
  unique,
} from 'drizzle-orm/pg-core';

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

const tz = (name: string) => timestamp(name, { withTimezone: true, mode: 'date' });

/** Every contact recorded, agent-recorded or rule-triggered, in one format (migration 0001_touchpoints). */
export const touchpoints = pgTable(
  'touchpoints',
  {
    id: text('id').primaryKey(),
    customerId: text('customer_id').notNull(),
    channel: text('channel').notNull(),
    at: tz('at').notNull(),
    type: text('type').notNull(),
    outcome: text('outcome').notNull(),
    agentId: text('agent_id'),
    system: text('system'),
    offerCode: text('offer_code'),
    response: text('response'),
    origin: text('origin').notNull(),
    ruleId: text('rule_id'),
    campaignId: text('campaign_id'),
    scope: text('scope').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    requestHash: text('request_hash').notNull(),
    status: text('status').notNull(),
    contactId: text('contact_id'),
    answer: jsonb('answer'),
    acceptedAt: tz('accepted_at').notNull().defaultNow(),
    recordedAt: tz('recorded_at'),
  },
  (t) => [
    unique('touchpoints_scope_key').on(t.scope, t.idempotencyKey),
    index('touchpoints_customer_at').on(t.customerId, t.at),
  ],
);

/** Commands waiting for (or done with) delivery to their backend, in order per customer (migration 0001_touchpoints). */
export const outbox = pgTable(
  'outbox',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    touchpointId: text('touchpoint_id').notNull(),
    source: text('source').notNull(),
    command: text('command').notNull(),
    customerId: text('customer_id').notNull(),
    idempotencyKey: text('idempotency_key').notNull(),
    payload: jsonb('payload').notNull(),
    state: text('state').notNull().default('pending'),
    attempts: integer('attempts').notNull().default(0),
    nextAttemptAt: tz('next_attempt_at').notNull().defaultNow(),
    lockedUntil: tz('locked_until'),
    lastError: text('last_error'),
    createdAt: tz('created_at').notNull().defaultNow(),
    deliveredAt: tz('delivered_at'),
  },
  (t) => [index('outbox_pending').on(t.customerId, t.id)],
);

/** Every customer event received (webhook or RabbitMQ), by its id: a redelivered event is recognised and not handled twice. */
export const events = pgTable('events', {
  id: text('id').primaryKey(),
  type: text('type').notNull(),
  customerId: text('customer_id').notNull(),
  /** `webhook` or `amqp`. */
  via: text('via').notNull(),
  receivedAt: timestamp('received_at', { withTimezone: true, mode: 'date' }).notNull(),
  /** Null until the event's rules ran and their offers were sent (or skipped): a row without it is handled again. */
  handledAt: timestamp('handled_at', { withTimezone: true, mode: 'date' }),
  /** What each matching rule did (gateway/marketing/events/handler.ts `Outcome`). */
  outcomes: jsonb('outcomes'),
});

/** Offers sent by rules: what the frequency caps count. One per (event, rule), so a retried event never sends twice. */
export const offersSent = pgTable(
  'offers_sent',
  {
    id: bigserial('id', { mode: 'number' }).primaryKey(),
    eventId: text('event_id').notNull(),
    ruleId: text('rule_id').notNull(),
    customerId: text('customer_id').notNull(),
    channel: text('channel').notNull(),
    offerCode: text('offer_code').notNull(),
    sentAt: timestamp('sent_at', { withTimezone: true, mode: 'date' }).notNull(),
    /** `sending` (claimed, channel call under way) or `sent`. */
    status: text('status').notNull(),
    /** The channel gateway's id of the message (0006): a reply to it is recorded against the rule. */
    messageId: text('message_id'),
  },
  (t) => [
    unique('offers_sent_event_rule').on(t.eventId, t.ruleId),
    index('offers_sent_customer_at').on(t.customerId, t.sentAt),
    index('offers_sent_message').on(t.messageId),
  ],
);

/** Customers who receive no rule-triggered offer. */
export const suppression = pgTable('suppression', {
  customerId: text('customer_id').primaryKey(),
  reason: text('reason').notNull(),
  createdAt: timestamp('created_at', { withTimezone: true, mode: 'date' }).notNull(),
  /** Who put the customer on the list (0003); null on rows written before it. */
  createdBy: text('created_by'),
});

/** One run per launched campaign (migration 0005_campaigns, gateway/marketing/campaigns/). */
export const campaignRuns = pgTable('campaign_runs', {
  campaignId: text('campaign_id').primaryKey(),
  version: integer('version').notNull(),
  definition: jsonb('definition').notNull(),
  /** `selecting`, `running`, `paused`, `cancelled` or `completed`. */
  state: text('state').notNull(),
  launchedBy: text('launched_by').notNull(),
  launchedAt: tz('launched_at').notNull(),
  /** The last customer id of the audience read so far: selection continues after it. */
  selectionAfter: text('selection_after'),
  selected: integer('selected').notNull().default(0),
  control: integer('control').notNull().default(0),
  batchDate: text('batch_date'),
  updatedAt: tz('updated_at').notNull(),
  completedAt: tz('completed_at'),
  /** When every selected customer was measured after the response window. */
  measuredAt: tz('measured_at'),
});

/** A campaign's selected customers, claimed in batches by any instance (lease), each processed once. */
export const campaignTargets = pgTable(
  'campaign_targets',
  {
    campaignId: text('campaign_id').notNull(),
    customerId: text('customer_id').notNull(),
    /** `target` or `control` (selected, never contacted). */
    cohort: text('cohort').notNull(),
    /** `pending`, `claimed`, `sending` (counted by the caps; the channel call under way), `sent`, `ineligible`, `failed` or `control`. */
    state: text('state').notNull(),
    /** Ineligible or failed: why. */
    reason: text('reason'),
    channel: text('channel'),
    messageId: text('message_id'),
    segment: text('segment'),
    valueTier: text('value_tier'),
    claimedBy: text('claimed_by'),
    leaseUntil: tz('lease_until'),
    attempts: integer('attempts').notNull().default(0),
    processedAt: tz('processed_at'),
    /** After the response window: whether the customer holds the offered product (live). */
    converted: boolean('converted'),
    measuredAt: tz('measured_at'),
  },
  (t) => [
    primaryKey({ columns: [t.campaignId, t.customerId] }),
    index('campaign_targets_work').on(t.campaignId, t.state, t.customerId),
  ],
);

/** Responses to offers (campaigns and rules), one per response however often it is delivered. */
export const offerResponses = pgTable(
  'offer_responses',
  {
    ref: text('ref').primaryKey(),
    /** `campaign` or `rule`. */
    origin: text('origin').notNull(),
    originId: text('origin_id').notNull(),
    customerId: text('customer_id').notNull(),
    offerCode: text('offer_code').notNull(),
    channel: text('channel').notNull(),
    /** `ACCEPTED`, `DECLINED`, `CLICKED`, `CALLBACK` or `NO_RESPONSE`. */
    response: text('response').notNull(),
    at: tz('at').notNull(),
    orderId: text('order_id'),
    cohort: text('cohort'),
  },
  (t) => [
    index('offer_responses_origin').on(t.origin, t.originId, t.response),
    index('offer_responses_customer').on(t.customerId, t.at),
  ],
);

/**
 * Customers' replies from the channel gateway (migration 0004_channel_replies), one row per reply id: written before
 * the sender is answered, so a reply accepted is never lost, and a redelivery is recognised.
 */
export const channelReplies = pgTable(
  'channel_replies',
  {
    /** The channel gateway's id of the reply: its idempotency key. */
    replyId: text('reply_id').primaryKey(),
    /** The channel gateway's id of the message answered (what a campaign matches the reply with). */
    messageId: text('message_id').notNull(),
    customerId: text('customer_id').notNull(),
    /** `SMS`, `PUSH` or `EMAIL`. */
    channel: text('channel').notNull(),
    /** What the customer answered: `Y` / `N` to an SMS, `CLICK` on a push, or free text. */
    text: text('text').notNull(),
    /** When the customer answered, as the channel gateway says. */
    repliedAt: tz('replied_at').notNull(),
    /** When the gateway first recorded it. */
    receivedAt: tz('received_at').notNull().defaultNow(),
    /** Null until the reply's consumer (e.g. a campaign) marks it handled. */
    handledAt: tz('handled_at'),
    /** What the consumer did with it. */
    outcome: jsonb('outcome'),
  },
  (t) => [
    index('channel_replies_message').on(t.messageId),
    index('channel_replies_customer_at').on(t.customerId, t.repliedAt),
  ],
);

/** Every customer event accepted (0007), for the rules' conditions over time (marketing/history/). */
export const customerEventHistory = pgTable(
  'customer_event_history',
  {
    eventId: text('event_id').primaryKey(),
    customerId: text('customer_id').notNull(),
    type: text('type').notNull(),
    at: tz('at').notNull(),
    data: jsonb('data').notNull(),
  },
  (t) => [index('customer_event_history_lookup').on(t.customerId, t.type, t.at)],
);

/** Abnormal information (0007): what could not be done for a customer, to be assigned and resolved (marketing/exceptions/). */
export const marketingExceptions = pgTable(
  'marketing_exceptions',
  {
    id: text('id').primaryKey(),
    /** UNKNOWN_CUSTOMER, CHANNEL_REJECTED, TOUCHPOINT_REJECTED, ORDER_FAILED. */
    cause: text('cause').notNull(),
    /** The event's, message's, touchpoint's or order's own id: one exception per (cause, ref). */
    ref: text('ref').notNull(),
    customerId: text('customer_id'),
    detail: jsonb('detail').notNull(),
    createdAt: tz('created_at').notNull(),
    /** open, assigned, resolved. */
    state: text('state').notNull(),
    assignee: text('assignee'),
    resolvedBy: text('resolved_by'),
    resolvedAt: tz('resolved_at'),
    resolution: text('resolution'),
  },
  (t) => [
    unique('marketing_exceptions_ref').on(t.cause, t.ref),
    index('marketing_exceptions_state').on(t.state, t.createdAt),
  ],
);

/** Callback tasks (0008): an agent's contact with the response CALLBACK, a task for that agent (touchpoints/callbacks.ts). */
export const callbackTasks = pgTable(
  'callback_tasks',
  {
    id: text('id').primaryKey(),
    /** The touchpoint that asked for the callback: one task per touchpoint. */
    touchpointId: text('touchpoint_id').notNull(),
    /** The consumer (agent) who recorded it, whose task it is. */
    assignee: text('assignee').notNull(),
    customerId: text('customer_id').notNull(),
    channel: text('channel').notNull(),
    offerCode: text('offer_code'),
    /** 'campaign' or 'rule' when one of them made the offer, and its id. */
    origin: text('origin'),
    originId: text('origin_id'),
    createdAt: tz('created_at').notNull(),
    dueAt: tz('due_at').notNull(),
    /** OPEN, DONE. */
    state: text('state').notNull(),
    outcome: text('outcome'),
    closedAt: tz('closed_at'),
  },
  (t) => [
    unique('callback_tasks_touchpoint').on(t.touchpointId),
    index('callback_tasks_assignee').on(t.assignee, t.state, t.dueAt),
  ],
);

export const tables = {
  auditLog,
  touchpoints,
  outbox,
  events,
  offersSent,
  suppression,
  campaignRuns,
  campaignTargets,
  offerResponses,
  channelReplies,
  customerEventHistory,
  marketingExceptions,
  callbackTasks,
};
