/**
 * Callback tasks: an agent's contact with the response CALLBACK (the customer asked to be called back) becomes a
 * task for the consumer who recorded it, one per touchpoint, kept in `callback_tasks` (migration 0008).
 *
 *   created   by the touchpoint service's `onAgentContact` hook, after the contact is recorded (not on a replay);
 *             inserted with ON CONFLICT (touchpoint_id) DO NOTHING, so a hook run twice makes one task
 *   due       the next start of one of the customer's best hours to contact (contact-time.ts), outside the quiet
 *             hours; with no best hour yet, 10:00 local the next day (or the first hour after it outside the quiet
 *             hours). Local means the contact policy's time zone (Asia/Shanghai by default).
 *   read      `Query.callbackTasks(state:)`: the calling consumer's own tasks, latest due first, each naming the
 *             campaign or rule that made the offer as it is defined now (`campaignName`, `ruleDescription`), so a
 *             page shows people a name, never an id
 *   closed    `Mutation.closeCallbackTask(id:, outcome:)`: only by the consumer it is assigned to (else FORBIDDEN);
 *             an unknown id is NOT_FOUND, a task already done CALLBACK_TASK_CLOSED
 *
 * Both operations run through the one pipeline, so the roles' field rights and the audit apply to them.
 */
import { randomUUID } from 'node:crypto';
import { and, desc, eq } from 'drizzle-orm';
import type { IResolvers } from '@graphql-tools/utils';
import { gatewayError } from '../errors';
import type { Store } from '../store';
import { callbackTasks } from '../store/schema';
import type { GatewayContext } from '../pipeline/context';
import type { GraphQLContext } from '../view';
import { bestHoursOf, type ContactTimeDeps, type ContactWindowPolicy } from './contact-time';
import { localHour, localMinutes, localTime, quietInHour } from '../local-time';

/** The response that asks for a callback (the desk's 回访 button). */
export const CALLBACK_RESPONSE = 'CALLBACK';
/** The local hour a callback is due the next day when the customer has no best hour yet. */
export const DEFAULT_CALLBACK_HOUR = 10;
/** Most tasks one read answers (the latest due). */
const MAX_TASKS = 200;
/** An outcome: a code of 1 to 64 upper-case letters, digits or "_", e.g. REACHED_ACCEPTED. */
const OUTCOME = /^[A-Z][A-Z0-9_]{0,63}$/;

const HOUR_MS = 3_600_000;
const MINUTE_MS = 60_000;

const localDate = (at: Date, timeZone: string): string => localTime(at, timeZone).date;

/**
 * The first local hour start strictly after `now` (zones with whole-hour or half-hour offsets alike): from the next
 * whole minute, on by the minutes left in its local hour; read again, as a change of offset may land off the hour.
 */
function nextHourStart(now: Date, timeZone: string): Date {
  let at = Math.floor(now.getTime() / MINUTE_MS) * MINUTE_MS + MINUTE_MS;
  let minute = localMinutes(new Date(at), timeZone) % 60;
  while (minute !== 0) {
    at += (60 - minute) * MINUTE_MS;
    minute = localMinutes(new Date(at), timeZone) % 60;
  }
  return new Date(at);
}

/**
 * When a callback asked for at `now` is due: the next start of one of `bestHours` (local, outside the quiet hours),
 * within two days; else 10:00 local the next day, moved to the first hour after it outside the quiet hours. Pure.
 */
export function callbackDueAt(now: Date, bestHours: readonly number[], policy: ContactWindowPolicy): Date {
  const { timeZone, quietHours } = policy;
  const first = nextHourStart(now, timeZone);
  const allowed = (at: Date) => !quietInHour(localHour(at, timeZone), quietHours);
  if (bestHours.length > 0)
    for (let i = 0, at = first; i < 48; i++, at = new Date(at.getTime() + HOUR_MS))
      if (bestHours.includes(localHour(at, timeZone)) && allowed(at)) return at;
  const today = localDate(now, timeZone);
  let at = first;
  for (let i = 0; i < 72; i++, at = new Date(at.getTime() + HOUR_MS))
    if (localDate(at, timeZone) !== today && localHour(at, timeZone) === DEFAULT_CALLBACK_HOUR) break;
  for (let i = 0; i < 24 && !allowed(at); i++) at = new Date(at.getTime() + HOUR_MS);
  return at;
}

export interface CallbackDeps extends ContactTimeDeps {
  store: Store;
}

/** What a callback task is made from: the agent's contact, and who made the offer when known. */
export interface CallbackRequest {
  touchpointId: string;
  assignee: string;
  customerId: string;
  channel: string;
  offerCode?: string | null;
  madeBy?: { origin: 'campaign' | 'rule'; id: string } | null;
}

/** Whether a contact asks for a callback. */
export const asksForCallback = (response: string | null | undefined): boolean =>
  (response ?? '').toUpperCase() === CALLBACK_RESPONSE;

/** Creates the task of a touchpoint that asked for a callback; a second call for the same touchpoint does nothing. */
export async function createCallbackTask(deps: CallbackDeps, request: CallbackRequest): Promise<void> {
  const now = deps.now?.() ?? new Date();
  // The best hours are a help, not a condition: without them the task is still made, due the next morning.
  const best = await bestHoursOf(deps, request.customerId).catch(() => [] as number[]);
  await deps.store.db
    .insert(callbackTasks)
    .values({
      id: randomUUID(),
      touchpointId: request.touchpointId,
      assignee: request.assignee,
      customerId: request.customerId,
      channel: request.channel,
      offerCode: request.offerCode ?? null,
      origin: request.madeBy?.origin ?? null,
      originId: request.madeBy?.id ?? null,
      createdAt: now,
      dueAt: callbackDueAt(now, best, deps.policy()),
      state: 'OPEN',
    })
    .onConflictDoNothing({ target: callbackTasks.touchpointId });
}

type Row = typeof callbackTasks.$inferSelect;

/** A task as the schema has it (schemas/callbacks.graphql). */
const taskOf = (r: Row) => ({
  id: r.id,
  customerId: r.customerId,
  channel: r.channel,
  offerCode: r.offerCode,
  campaignId: r.origin === 'campaign' ? r.originId : null,
  ruleId: r.origin === 'rule' ? r.originId : null,
  createdAt: new Date(r.createdAt).toISOString(),
  dueAt: new Date(r.dueAt).toISOString(),
  state: r.state,
  outcome: r.outcome,
  closedAt: r.closedAt ? new Date(r.closedAt).toISOString() : null,
});

const unavailable = () =>
  gatewayError('The callback tasks cannot be read or changed now; try again shortly.', { code: 'STORE_UNAVAILABLE' });

/** The calling consumer's id (the identity plugin sets it on every request that reaches a resolver). */
const consumerOf = (ctx: GraphQLContext & GatewayContext): string => {
  const id = ctx.consumer?.id;
  if (!id) throw gatewayError('The request has no consumer.', { code: 'UNAUTHENTICATED' });
  return id;
};

/**
 * The names of what makes offers, as defined now: a campaign's `name`, an event rule's `description` (a rule has no
 * other name). Undefined when it is not defined (any more), or, for a rule, has no description.
 */
export interface OriginNames {
  campaign(id: string): string | undefined;
  rule(id: string): string | undefined;
}

/** `Query.callbackTasks` and `Mutation.closeCallbackTask`: their SDL is schemas/callbacks.graphql. */
export function callbackResolvers(deps: Pick<CallbackDeps, 'store' | 'now'> & { names?: OriginNames }): IResolvers {
  return {
    CallbackTask: {
      campaignName: (task: { campaignId: string | null }) =>
        (task.campaignId && deps.names?.campaign(task.campaignId)) ?? null,
      // An empty description names nothing: null, as for a rule without one.
      ruleDescription: (task: { ruleId: string | null }) => (task.ruleId && deps.names?.rule(task.ruleId)) || null,
    },
    Query: {
      callbackTasks: async (_root: unknown, args: { state?: string | null }, ctx: GraphQLContext & GatewayContext) => {
        const assignee = consumerOf(ctx);
        // Changes with every contact recorded and every task closed: never kept by the rendered-answer cache.
        ctx.ucv.volatile = true;
        try {
          const rows = await deps.store.db
            .select()
            .from(callbackTasks)
            .where(and(eq(callbackTasks.assignee, assignee), eq(callbackTasks.state, args.state ?? 'OPEN')))
            .orderBy(desc(callbackTasks.dueAt), desc(callbackTasks.createdAt))
            .limit(MAX_TASKS);
          return rows.map(taskOf);
        } catch {
          throw unavailable();
        }
      },
    },
    Mutation: {
      closeCallbackTask: async (
        _root: unknown,
        args: { id: string; outcome: string },
        ctx: GraphQLContext & GatewayContext,
      ) => {
        const assignee = consumerOf(ctx);
        if (!OUTCOME.test(args.outcome))
          throw gatewayError('outcome must be a code of 1 to 64 upper-case letters, digits or "_", e.g. NOT_REACHED.', {
            code: 'BAD_USER_INPUT',
            argument: 'outcome',
          });
        const now = deps.now?.() ?? new Date();
        let row: Row | undefined;
        let closed: Row | undefined;
        try {
          // Closed only while open and only by its assignee: one statement, so two closes race to one winner.
          [closed] = await deps.store.db
            .update(callbackTasks)
            .set({ state: 'DONE', outcome: args.outcome, closedAt: now })
            .where(
              and(eq(callbackTasks.id, args.id), eq(callbackTasks.assignee, assignee), eq(callbackTasks.state, 'OPEN')),
            )
            .returning();
          if (!closed)
            [row] = await deps.store.db.select().from(callbackTasks).where(eq(callbackTasks.id, args.id)).limit(1);
        } catch {
          throw unavailable();
        }
        if (closed) return taskOf(closed);
        if (!row) throw gatewayError(`No callback task has id ${args.id}.`, { code: 'NOT_FOUND', argument: 'id' });
        if (row.assignee !== assignee)
          throw gatewayError('This callback task is assigned to another agent; only they may close it.', {
            code: 'FORBIDDEN',
            argument: 'id',
          });
        throw gatewayError(
          `This callback task was closed already (${row.outcome ?? ''}, ${new Date(row.closedAt ?? now).toISOString()}).`,
          { code: 'CALLBACK_TASK_CLOSED', argument: 'id' },
        );
      },
    },
  };
}
