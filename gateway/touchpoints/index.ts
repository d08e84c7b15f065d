/**
 * Touchpoints: every contact with a customer, recorded once, in one format, whoever records it (an agent through
 * `recordContact` / `RecordContact`, a business rule through `recordTouchpoint`). See docs/touchpoints.md.
 *
 *   recordTouchpoint: check → one transaction: the touchpoint row (unique per scope and idempotency key) and its
 *                     outbox row → deliver at once through the adapter command (the source's write path), unless an
 *                     earlier contact of the customer still waits → RECORDED, or ACCEPTED (the worker delivers it
 *                     when the backend is back) → the answer kept on the row, replayed to every retry of the key.
 *
 * The store is written before the backend is called: a crash at any point leaves the contact in the outbox, never
 * lost, and every delivery carries the touchpoint's id as its idempotency key, so never recorded twice.
 */
import { createHash, randomUUID } from 'node:crypto';
import { sql } from 'drizzle-orm';
import type { GraphQLError } from 'graphql';
import type { GatewayConfig } from '../config';
import { gatewayError, type ErrorCode } from '../errors';
import type { GatewayContext } from '../pipeline/context';
import { storeErrorForLog } from '../store';
import { checkShape } from '../backends';
import { deliver, rowsOf, type DeliveryDeps, type OutboxWorker } from './outbox';

export { startOutboxWorker, backlog, type OutboxWorker } from './outbox';
export {
  asksForCallback,
  callbackDueAt,
  callbackResolvers,
  createCallbackTask,
  type CallbackDeps,
  type OriginNames,
} from './callbacks';
export { contactTimeOf, contactTimeResolvers, type ContactTimeDeps, type ContactWindowPolicy } from './contact-time';

/** One contact, in the one format every origin uses (the `touchpoints` table). */
export interface Touchpoint {
  customerId: string;
  /** The operator's channel (the Channel enum of the schema), e.g. CALL_CENTER. */
  channel: string;
  /** When the contact happened, ISO 8601 with offset; default: when it is recorded. */
  at?: string | null;
  /** What it was about, e.g. CAMPAIGN_OFFER. */
  type: string;
  /** How it ended, e.g. ACCEPTED. */
  outcome: string;
  /** The agent who had the contact; or `system` for a contact no person had. */
  agentId?: string | null;
  system?: string | null;
  /** The offer presented, and the customer's response to it. */
  offerCode?: string | null;
  response?: string | null;
  origin: 'agent' | 'rule' | 'campaign';
  ruleId?: string | null;
  /** The campaign whose offer this contact was (origin `campaign`). */
  campaignId?: string | null;
  /** Whose idempotency key it is (keys are unique per scope): the consumer's id; default "rules" for rules, "campaigns" for campaigns, else "agents". */
  scope?: string;
}

export interface TouchpointAnswer {
  /** RECORDED: the CRM has it. ACCEPTED: it is in the outbox, delivered when the CRM can take it. */
  status: 'RECORDED' | 'ACCEPTED';
  /** The CRM's id of the contact, when RECORDED. */
  contactId?: string;
  idempotencyKey: string;
  /** When the gateway first accepted it (ISO 8601). */
  acceptedAt: string;
  /** The touchpoint's id in the store (also the idempotency key every delivery sends the CRM). */
  touchpointId: string;
}

/** What `recordTouchpoint` needs of the running gateway (built once in server.ts). */
export interface TouchpointDeps extends DeliveryDeps {
  touchpoints: Pick<GatewayConfig['touchpoints'], 'source' | 'command' | 'derivedKeyWindowSeconds'>;
  /** The delivery worker of this instance, woken when a contact is queued behind another. */
  worker?: OutboxWorker;
  /**
   * Told of each agent's contact newly recorded (not a replay), e.g. to record the customer's response to an offer
   * against the campaign or rule that made it, and to make a callback task. Its failure never fails the contact:
   * it is logged.
   */
  onAgentContact?: (touchpoint: Touchpoint, touchpointId: string) => Promise<void>;
}

/** The first answer, as kept on the row: an answer, or the refusal it was. */
type StoredAnswer = Omit<TouchpointAnswer, 'touchpointId'> | { error: { code: ErrorCode; message: string } };

const CUSTOMER_ID = /^[A-Za-z0-9_-]{1,64}$/;
/** A given idempotency key: 1 to 128 printable characters without spaces (as a header value must be). */
export const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

const hash = (value: unknown): string => createHash('sha256').update(JSON.stringify(value)).digest('hex');

/** The content that must be equal for a retry: everything the caller gave (a defaulted `at` is not given). */
const contentOf = (t: Touchpoint) => [
  t.customerId,
  t.channel,
  t.at ?? null,
  t.type,
  t.outcome,
  t.agentId ?? null,
  t.system ?? null,
  t.offerCode ?? null,
  t.response ?? null,
  t.origin,
  t.ruleId ?? null,
  ...(t.campaignId ? [t.campaignId] : []),
];

/**
 * The key of a request that gave none: the consumer, the customer, the content and the window (by default the
 * minute) it arrived in. A retry within the same window records nothing twice; the same contact sent again in a
 * later window is taken as a new one. Clients that retry over longer spans send a key of their own.
 */
export function deriveIdempotencyKey(
  consumerId: string,
  touchpoint: Touchpoint,
  windowSeconds: number,
  now = Date.now(),
): string {
  return `derived-${hash([consumerId, ...contentOf(touchpoint), Math.floor(now / (windowSeconds * 1000))]).slice(0, 40)}`;
}

const refusal = (code: ErrorCode, message: string): GraphQLError => gatewayError(message, { code });

/** A NUL, or a surrogate that is not half of a pair (with the u flag, a pair is one code point and does not match). */
// eslint-disable-next-line no-control-regex -- the NUL is exactly what it looks for
const UNSTORABLE = /[\u0000\p{Cs}]/u;

/**
 * Records one touchpoint, once per idempotency key: RECORDED when its backend took it now, ACCEPTED when it is in
 * the outbox (backend down, slow, breaker open, or an earlier contact of the customer still waiting). A retry of
 * the key answers what the first answered. Rejects with a GraphQLError of the catalog: BAD_USER_INPUT (invalid
 * contact, or the CRM refused it), NOT_FOUND (the CRM does not know the customer), IDEMPOTENCY_CONFLICT (the key
 * was used for other content), STORE_UNAVAILABLE (nothing was recorded: retry).
 */
export async function recordTouchpoint(
  deps: TouchpointDeps,
  touchpoint: Touchpoint,
  idempotencyKey: string,
): Promise<TouchpointAnswer> {
  const { store, metrics, logger } = deps;
  const { source: sourceName, command: commandName } = deps.touchpoints;
  const source = deps.sources.find((s) => s.name === sourceName);
  const definition = source?.adapter.commands?.[commandName];
  if (!source || !definition)
    throw refusal(
      'SOURCE_UNAVAILABLE',
      `No source records contacts (touchpoints.source "${sourceName}" has no command ${commandName}).`,
    );
  if (!CUSTOMER_ID.test(touchpoint.customerId))
    throw refusal('BAD_USER_INPUT', 'customerId must be 1 to 64 letters, digits, "-" or "_", e.g. C00000001.');
  if (!IDEMPOTENCY_KEY.test(idempotencyKey))
    throw refusal('BAD_USER_INPUT', 'The idempotency key must be 1 to 128 printable ASCII characters without spaces.');
  // PostgreSQL stores neither a NUL character nor an unpaired UTF-16 surrogate (text or jsonb): that is the
  // contact's fault, refused here, not a store failure to retry.
  const unstorable = Object.entries(touchpoint).find(
    ([, value]) => typeof value === 'string' && UNSTORABLE.test(value),
  );
  if (unstorable)
    throw refusal(
      'BAD_USER_INPUT',
      `${unstorable[0]} contains a NUL character or an unpaired UTF-16 surrogate, which cannot be stored.`,
    );
  // Nor has it a year 0, which ISO 8601 has (the DateTime scalar and xsd:dateTime accept 0000-01-01T00:00:00Z).
  if (typeof touchpoint.at === 'string' && /^0000-/.test(touchpoint.at))
    throw refusal('BAD_USER_INPUT', 'at must be in the year 1 or later (there is no year 0 to store).');
  const at = touchpoint.at ?? new Date().toISOString();
  const payload = {
    channel: touchpoint.channel,
    at,
    type: touchpoint.type,
    outcome: touchpoint.outcome,
    agentId: touchpoint.agentId ?? null,
    system: touchpoint.system ?? null,
    offerCode: touchpoint.offerCode ?? null,
    response: touchpoint.response ?? null,
  };
  if (!payload.agentId && !payload.system)
    throw refusal('BAD_USER_INPUT', 'Give the agent (agentId) or the system that had the contact.');
  if (definition.schema) {
    const checked = checkShape(definition.schema, payload);
    if (!checked.ok)
      throw refusal('BAD_USER_INPUT', `Invalid contact: ${checked.path || 'contact'}: ${checked.message}.`);
  }
  const scope =
    touchpoint.scope ??
    (touchpoint.origin === 'rule' ? 'rules' : touchpoint.origin === 'campaign' ? 'campaigns' : 'agents');
  const requestHash = hash(contentOf(touchpoint));
  const id = randomUUID();
  const acceptedAt = new Date();
  const { leaseMs } = deps.settings;

  let created: { outboxId: number; inline: boolean } | null;
  try {
    created = await store.db.transaction(async (tx) => {
      const inserted = rowsOf(
        await tx.execute(sql`
          INSERT INTO touchpoints (id, customer_id, channel, at, type, outcome, agent_id, system, offer_code, response, origin, rule_id, campaign_id, scope, idempotency_key, request_hash, status, accepted_at)
          VALUES (${id}, ${touchpoint.customerId}, ${payload.channel}, ${at}, ${payload.type}, ${payload.outcome}, ${payload.agentId}, ${payload.system}, ${payload.offerCode},
                  ${payload.response}, ${touchpoint.origin}, ${touchpoint.ruleId ?? null}, ${touchpoint.campaignId ?? null}, ${scope}, ${idempotencyKey}, ${requestHash}, 'ACCEPTED', ${acceptedAt.toISOString()})
          ON CONFLICT (scope, idempotency_key) DO NOTHING
          RETURNING id`),
      );
      if (inserted.length === 0) return null;
      // Leased at once: this request delivers it, the worker does not, unless this instance dies first.
      const [outbox] = rowsOf<{ id: unknown }>(
        await tx.execute(sql`
          INSERT INTO outbox (touchpoint_id, source, command, customer_id, idempotency_key, payload, locked_until)
          VALUES (${id}, ${source.name}, ${commandName}, ${touchpoint.customerId}, ${id}, ${JSON.stringify(payload)}::jsonb, now() + make_interval(secs => ${leaseMs / 1000}))
          RETURNING id`),
      );
      const outboxId = Number(outbox?.id);
      const earlier = rowsOf(
        await tx.execute(
          sql`SELECT 1 FROM outbox WHERE customer_id = ${touchpoint.customerId} AND state = 'pending' AND id < ${outboxId} LIMIT 1`,
        ),
      );
      // An earlier contact of this customer still waits: this one goes after it, through the worker, in order.
      if (earlier.length > 0) await tx.execute(sql`UPDATE outbox SET locked_until = NULL WHERE id = ${outboxId}`);
      return { outboxId, inline: earlier.length === 0 };
    });
  } catch (err) {
    logger.error({ err: storeErrorForLog(err) }, 'touchpoint could not be stored');
    throw refusal(
      'STORE_UNAVAILABLE',
      'The contact could not be stored; nothing was recorded. Retry with the same idempotency key.',
    );
  }
  if (!created) return replay(deps, scope, idempotencyKey, requestHash, touchpoint.origin);

  let answer: StoredAnswer = { status: 'ACCEPTED', idempotencyKey, acceptedAt: acceptedAt.toISOString() };
  if (created.inline) {
    try {
      const delivery = await deliver(deps, {
        id: created.outboxId,
        touchpointId: id,
        source: source.name,
        command: commandName,
        customerId: touchpoint.customerId,
        idempotencyKey: id,
        payload,
        attempts: 0,
      });
      if (delivery.result === 'delivered')
        answer = { ...answer, status: 'RECORDED', ...(delivery.contactId ? { contactId: delivery.contactId } : {}) };
      if (delivery.result === 'rejected') {
        answer =
          delivery.detail === 'not_found'
            ? { error: { code: 'NOT_FOUND', message: `No customer has id ${touchpoint.customerId}.` } }
            : { error: { code: 'BAD_USER_INPUT', message: `The contact was refused: ${delivery.message}` } };
      }
    } catch (err) {
      // The outcome could not be written: the row stays leased, and after its lease the worker delivers it again
      // with the same key (the CRM records it once). It is accepted.
      logger.warn(
        { err: storeErrorForLog(err), touchpointId: id },
        'the delivery of a touchpoint could not be recorded; the outbox delivers it again',
      );
    }
  } else deps.worker?.wake();
  await store.db
    .execute(sql`UPDATE touchpoints SET answer = ${JSON.stringify(answer)}::jsonb WHERE id = ${id} AND answer IS NULL`)
    .catch((err: unknown) => {
      logger.warn(
        { err: storeErrorForLog(err), touchpointId: id },
        'the first answer of a touchpoint could not be kept; a retry answers from its status',
      );
    });
  if ('error' in answer) {
    metrics.touchpoints.inc({ origin: touchpoint.origin, status: 'REJECTED' });
    throw refusal(answer.error.code, answer.error.message);
  }
  metrics.touchpoints.inc({ origin: touchpoint.origin, status: answer.status });
  if (touchpoint.origin === 'agent' && deps.onAgentContact)
    await deps
      .onAgentContact(touchpoint, id)
      .catch((err: unknown) =>
        logger.warn(
          { err: storeErrorForLog(err), touchpointId: id },
          "what follows an agent's contact (the offer's response, a callback task) could not be recorded",
        ),
      );
  return { ...answer, touchpointId: id };
}

const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms));

/** A retry of a key already used: the first answer; while the first request is still at it, wait for it briefly. */
async function replay(
  deps: TouchpointDeps,
  scope: string,
  key: string,
  requestHash: string,
  origin: string,
): Promise<TouchpointAnswer> {
  const read = async () => {
    const [row] = rowsOf<Record<string, unknown>>(
      await deps.store.db.execute(
        sql`SELECT id, request_hash, status, contact_id, answer, accepted_at FROM touchpoints WHERE scope = ${scope} AND idempotency_key = ${key}`,
      ),
    );
    return row;
  };
  // The first request answers within a command's worst call; past that, the row's status is the answer.
  const { timeoutMs, retry } = deps.sources.find((s) => s.name === deps.touchpoints.source)?.policy.commands ?? {
    timeoutMs: 3000,
    retry: { attempts: 1, backoffMs: 100 },
  };
  const deadline = Date.now() + (retry.attempts + 1) * timeoutMs + retry.attempts * retry.backoffMs * 2 + 500;
  let row: Record<string, unknown> | undefined;
  try {
    row = await read();
    if (row && row.request_hash !== requestHash)
      throw refusal(
        'IDEMPOTENCY_CONFLICT',
        'This idempotency key was already used for a contact with other content; nothing was recorded.',
      );
    while (row && (row.answer === null || row.answer === undefined) && Date.now() < deadline) {
      await sleep(25);
      row = await read();
    }
  } catch (err) {
    if ((err as GraphQLError).extensions?.code === 'IDEMPOTENCY_CONFLICT') throw err;
    deps.logger.error({ err: storeErrorForLog(err) }, 'touchpoint could not be read');
    throw refusal('STORE_UNAVAILABLE', 'The contact could not be looked up; retry with the same idempotency key.');
  }
  if (!row)
    throw refusal('STORE_UNAVAILABLE', 'The contact could not be looked up; retry with the same idempotency key.');
  deps.metrics.touchpoints.inc({ origin, status: 'REPLAYED' });
  const stored = (typeof row.answer === 'string' ? JSON.parse(row.answer) : row.answer) as StoredAnswer | null;
  if (stored && 'error' in stored) throw refusal(stored.error.code, stored.error.message);
  if (stored) return { ...stored, touchpointId: String(row.id) };
  return {
    status: row.status === 'RECORDED' ? 'RECORDED' : 'ACCEPTED',
    ...(typeof row.contact_id === 'string' ? { contactId: row.contact_id } : {}),
    idempotencyKey: key,
    acceptedAt: new Date(row.accepted_at as string).toISOString(),
    touchpointId: String(row.id),
  };
}

/** The GraphQL input of recordContact (schemas/touchpoints.graphql): a touchpoint as an agent gives it. */
type ContactInput = Omit<Touchpoint, 'origin' | 'ruleId' | 'scope'>;

/**
 * The resolver of `Mutation.recordContact`: the consumer's identity is the agent when neither agent nor system is
 * given, and the scope of its idempotency keys; the key is the `idempotencyKey` argument, else the
 * `Idempotency-Key` header, else derived (`deriveIdempotencyKey`).
 */
export function touchpointResolvers(deps: TouchpointDeps) {
  return {
    Mutation: {
      recordContact: async (
        _root: unknown,
        args: { input: ContactInput; idempotencyKey?: string | null },
        context: GatewayContext,
      ) => {
        const consumer = context.consumer;
        if (!consumer) throw refusal('UNAUTHENTICATED', 'The request has no consumer.');
        const { input } = args;
        const touchpoint: Touchpoint = {
          ...input,
          agentId: input.agentId ?? (input.system ? null : consumer.id),
          origin: 'agent',
          scope: consumer.id,
        };
        const header = context.req?.headers['idempotency-key'];
        const given = args.idempotencyKey ?? (typeof header === 'string' ? header : undefined);
        const key = given ?? deriveIdempotencyKey(consumer.id, touchpoint, deps.touchpoints.derivedKeyWindowSeconds);
        const { touchpointId: _id, ...answer } = await recordTouchpoint(deps, touchpoint, key);
        return answer;
      },
    },
  };
}
