/**
 * Runs launched campaigns, in every instance at once, from the durable store:
 *
 *   launch → selecting: the audience read page by page from its source (the adapter's extraction, through the
 *            protected path) into `campaign_targets`, each customer in the control group or not by a stable hash;
 *            a page is written with the cursor that read it, compared and set in one transaction, so two instances
 *            or a restart never read a page twice
 *   running → targets claimed in batches (`FOR UPDATE SKIP LOCKED` and a lease: a crashed instance's claims are
 *            taken over when their lease ends) → per target, within the campaign's throttles: the live view through
 *            the pipeline as the marketing role → the eligibility check (eligibility/) → suppression and caps under
 *            the customer's lock, the target marked `sending` (what the caps count) → the channel gateway, with the
 *            key `campaign:<id>:<customer>` (a retry after a crash sends nothing twice) → `sent`, a touchpoint
 *   → completed when no target is left, or at the schedule's end
 *
 * Pause, resume and cancel change the run's state; a claim in flight finishes its target, no new one is claimed.
 */
import { NO_TRACE, traced, type TraceContext } from '../../telemetry';
import { randomUUID } from 'node:crypto';
import { and, eq, sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import { Counter, type Registry } from 'prom-client';
import { RateLimiterMemory, RateLimiterQueue } from 'rate-limiter-flexible';
import type { Consumer, Pipeline } from '../../pipeline';
import { rowsOf, type Store } from '../../store';
import { campaignRuns, campaignTargets } from '../../store/schema';
import { contactRefusal as policyRefusal, type ContactPolicyHolder } from '../channels/contact-policy';
import { postMessage } from '../channels/gateway-client';
import type { RecordTouchpoint } from '../channels/dispatcher';
import { preferredChannel } from '../channels/preference';
import {
  CHANNEL_HALL,
  contactRefusal,
  offerRefusal,
  sectionsRead,
  unavailableSections,
  type EligibilityView,
  type FrequencyCaps,
} from '../eligibility';
import {
  channelFor,
  inControl,
  inSendingWindow,
  renderMessage,
  sendingRefusal,
  untilBestHour,
  type BestHours,
  type Campaign,
} from './definition';

/** The audience extraction of a source (its adapter's `audience` commands, through the protected path). */
export interface AudienceSource {
  readonly name: string;
  count(where: unknown, requestId: string): Promise<{ count: number; batchDate: string | null }>;
  page(
    where: unknown,
    after: string | null,
    pageSize: number,
    requestId: string,
  ): Promise<{ ids: string[]; nextAfter: string | null; batchDate: string | null }>;
}

/** The audience source a campaign names (or the one there is), or an Error saying why there is none. */
export type AudienceSources = (name: string | undefined) => AudienceSource | Error;

/** The view a campaign reads of each target: the eligibility facts (eligibility/ ELIGIBILITY_SELECTION), the name and gender, preferences, and what the report breaks down by. */
export const CAMPAIGN_VIEW_QUERY = `query CampaignTarget($id: ID!) {
  customer(id: $id) {
    id
    profile { status type name gender }
    products { code status }
    billing { balance bills { status dueDate amount } }
    insights { segment channelPreferences { channel level } }
    score { valueTier }
  }
}`;

/** The live check of the campaign's offer for one customer's view (eligibility/), the unavailable sections named. */
const refusalFor = (campaign: Campaign, view: TargetView | null, unavailable: ReadonlySet<string>, at: Date) =>
  offerRefusal(view, sectionsRead(unavailable), { offerCode: campaign.offer.code, kind: campaign.offer.kind }, at);

const MEASURE_QUERY = 'query CampaignMeasure($id: ID!) { customer(id: $id) { products { code status } } }';

/** A target's best contact hours, for campaigns sent at the best time (the gateway's own, from its touchpoints). */
const BEST_TIME_QUERY =
  'query CampaignBestTime($id: ID!) { customer(id: $id) { bestContactTime { timeZone bestHours } } }';

interface TargetView extends EligibilityView {
  profile: { status: string; type?: string; name: string; gender: string | null } | null;
  insights: { segment: string; channelPreferences: Array<{ channel: string; level: string }> } | null;
  score: { valueTier: string } | null;
}

export interface RunnerOptions {
  store: Store;
  pipeline: () => Pick<Pipeline, 'run'>;
  consumer: Consumer;
  audiences: AudienceSources;
  channelsUrl: string;
  channelTimeoutMs: number;
  caps: FrequencyCaps;
  policy: Pick<ContactPolicyHolder, 'current'>;
  recordTouchpoint: RecordTouchpoint;
  logger: Logger;
  registry?: Registry;
  /** Targets claimed at once. Default 50. */
  batchSize?: number;
  /** How long a claim holds before another instance may take it over, ms. Default 30000. */
  leaseMs?: number;
  /** Ids read per audience page. Default 1000. */
  pageSize?: number;
  /** Pause between rounds when there was nothing to do, ms. Default 250. */
  idleMs?: number;
  /** The campaign clock: schedules, windows, response windows (leases and backoffs are real time). */
  now?: () => Date;
  /**
   * A target waiting for its best contact hour (`sendAt: "bestTime"`) is looked at again when that hour starts by
   * the campaign clock, or after this long at most, ms. Default 60000.
   */
  bestTimeRecheckMs?: number;
}

export type RunState = 'selecting' | 'running' | 'paused' | 'cancelled' | 'completed';

export interface CampaignRunner {
  start(): void;
  /** One round over every active run (tests call it directly); resolves when the round is done. */
  round(): Promise<boolean>;
  /** What the campaign would do for each customer now (the live check, suppression, caps, the message): nothing is written or sent. */
  preview(campaign: Campaign, customerIds: readonly string[]): Promise<TargetPreview[]>;
  close(): Promise<void>;
}

export interface TargetPreview {
  customerId: string;
  inControl: boolean;
  eligible: boolean;
  /** Why not (eligibility/ IneligibleReason). */
  reason?: string;
  channel?: string;
  /** The message as this customer would read it. */
  message?: string;
}

/**
 * Why a target could not be processed now: left for a later round (its claim released), or for good after
 * MAX_ATTEMPTS; `retryInMs`, when known, is how long it is left (else the backoff).
 */
class Deferred extends Error {
  constructor(
    message: string,
    readonly retryInMs?: number,
  ) {
    super(message);
  }
}

/** Tries of one target before it is failed: backoffs of 0.5, 1, 2, 4 and 8 s between them. */
const MAX_ATTEMPTS = 6;

export function createCampaignRunner(options: RunnerOptions): CampaignRunner {
  const { store, logger } = options;
  const db = store.db;
  // The campaign's clock (schedules, windows, response windows, when offers went out): injected by tests. Leases and
  // backoffs are real time, whatever that clock says: they measure how long an instance may hold a target.
  const now = options.now ?? (() => new Date());
  const me = randomUUID();
  const batchSize = options.batchSize ?? 50;
  const leaseMs = options.leaseMs ?? 30_000;
  const pageSize = options.pageSize ?? 1000;
  const registers = options.registry ? [options.registry] : [];
  const targets = new Counter({
    name: 'ucv_campaign_targets_total',
    help: 'Campaign targets processed, by campaign and result (sent, ineligible, failed, deferred).',
    labelNames: ['campaign', 'result'] as const,
    registers,
  });
  /** Per campaign (and its version), the instance's throttles. */
  const throttles = new Map<string, { sends: RateLimiterQueue; views: RateLimiterQueue; key: string }>();
  const throttleOf = (id: string, campaign: Campaign) => {
    const key = `${campaign.throttle.sendsPerSecond}/${campaign.throttle.viewLoadsPerSecond}`;
    let t = throttles.get(id);
    if (!t || t.key !== key) {
      t = {
        key,
        sends: new RateLimiterQueue(new RateLimiterMemory({ points: campaign.throttle.sendsPerSecond, duration: 1 }), {
          maxQueueSize: 10_000,
        }),
        views: new RateLimiterQueue(
          new RateLimiterMemory({ points: campaign.throttle.viewLoadsPerSecond, duration: 1 }),
          { maxQueueSize: 10_000 },
        ),
      };
      throttles.set(id, t);
    }
    return t;
  };

  const timeZone = (): string => options.policy.current.timeZone;
  const bestTimeRecheckMs = options.bestTimeRecheckMs ?? 60_000;

  /**
   * A target's best contact hours through the pipeline, as the marketing role reads them; null when they cannot be
   * had (a gateway without touchpoints, a role that may not read them, the store not answering): the sending
   * windows then apply, as to a target with no best hour.
   */
  const bestHoursOf = async (customerId: string): Promise<BestHours | null> => {
    const outcome = await options
      .pipeline()
      .run({
        facade: 'internal',
        requestId: `campaign-${randomUUID()}`,
        caller: { consumer: options.consumer },
        query: BEST_TIME_QUERY,
        variables: { id: customerId },
      })
      .catch(() => null);
    if (outcome?.kind !== 'result') return null;
    type Answer = { customer?: { bestContactTime?: { timeZone: string; bestHours: number[] } | null } | null };
    const best = (outcome.result.data as Answer | null | undefined)?.customer?.bestContactTime;
    return best ? { timeZone: best.timeZone, hours: best.bestHours } : null;
  };

  /**
   * Why a target may not be sent to now (its best hour, or the sending windows), and when to look at it again. A
   * campaign sent at the best time is not paused outside its windows (a target's best hour may be there): a target
   * waiting is looked at again when its best hour starts by the campaign clock, and at most bestTimeRecheckMs from
   * now (a window's opening included), so waiting targets are not read over and over. Otherwise the usual backoff.
   */
  const notNow = (campaign: Campaign, at: Date, best: BestHours | null): Deferred | null => {
    const why = sendingRefusal(campaign, at, timeZone(), best);
    if (!why) return null;
    if (campaign.schedule.sendAt !== 'bestTime') return new Deferred(why);
    const until = best && why === 'OUTSIDE_BEST_TIME' ? (untilBestHour(at, best) ?? Infinity) : Infinity;
    return new Deferred(why, Math.min(until, bestTimeRecheckMs));
  };

  /** Reads one page of the audience and writes it with the cursor, if no one else wrote it meanwhile. */
  const selectPage = async (run: { campaignId: string; selectionAfter: string | null; definition: Campaign }) => {
    const campaign = run.definition;
    const source = options.audiences(campaign.audience.source);
    if (source instanceof Error) {
      logger.error({ campaign: run.campaignId, err: source.message }, 'campaign audience source missing');
      return false;
    }
    const page = await source.page(
      campaign.audience.where,
      run.selectionAfter,
      pageSize,
      `campaign-${run.campaignId}-select`,
    );
    await db.transaction(async (tx) => {
      const [current] = await tx
        .select({ after: campaignRuns.selectionAfter, state: campaignRuns.state })
        .from(campaignRuns)
        .where(eq(campaignRuns.campaignId, run.campaignId))
        .for('update');
      if (!current || current.state !== 'selecting' || current.after !== run.selectionAfter) return;
      let control = 0;
      if (page.ids.length > 0) {
        const rows = page.ids.map((customerId) => {
          const isControl = inControl(run.campaignId, customerId, campaign.controlShare);
          if (isControl) control++;
          return {
            campaignId: run.campaignId,
            customerId,
            cohort: isControl ? 'control' : 'target',
            state: isControl ? 'control' : 'pending',
          };
        });
        for (let i = 0; i < rows.length; i += 500)
          await tx
            .insert(campaignTargets)
            .values(rows.slice(i, i + 500))
            .onConflictDoNothing();
      }
      await tx
        .update(campaignRuns)
        .set({
          selectionAfter: page.nextAfter ?? page.ids.at(-1) ?? run.selectionAfter,
          selected: sql`${campaignRuns.selected} + ${page.ids.length}`,
          control: sql`${campaignRuns.control} + ${control}`,
          batchDate: page.batchDate,
          state: page.nextAfter ? 'selecting' : 'running',
          updatedAt: now(),
        })
        .where(eq(campaignRuns.campaignId, run.campaignId));
    });
    return true;
  };

  /**
   * Claims up to batchSize targets whose lease has ended or who have none: pending ones (a deferred one's lease is
   * its backoff), claimed or sending ones of an instance that died, sending ones given back after a failed channel
   * call (resent under their key).
   */
  const claim = async (campaignId: string): Promise<Array<{ customerId: string; state: string; attempts: number }>> =>
    rowsOf<{ customer_id: string; state: string; attempts: number }>(
      await db.execute(sql`
        UPDATE campaign_targets t
        SET state = CASE WHEN t.state = 'sending' THEN 'sending' ELSE 'claimed' END,
            claimed_by = ${me}, lease_until = ${new Date(Date.now() + leaseMs).toISOString()},
            attempts = t.attempts + 1
        FROM (
          SELECT customer_id FROM campaign_targets
          WHERE campaign_id = ${campaignId}
            AND state IN ('pending', 'claimed', 'sending')
            AND (lease_until IS NULL OR lease_until < ${new Date().toISOString()})
          ORDER BY customer_id
          LIMIT ${batchSize}
          FOR UPDATE SKIP LOCKED
        ) picked
        WHERE t.campaign_id = ${campaignId} AND t.customer_id = picked.customer_id
        RETURNING t.customer_id, t.state, t.attempts`),
    ).map((r) => ({ customerId: r.customer_id, state: r.state, attempts: Number(r.attempts) }));

  const finish = (campaignId: string, customerId: string, values: Partial<typeof campaignTargets.$inferInsert>) =>
    db
      .update(campaignTargets)
      .set({ ...values, claimedBy: null, leaseUntil: null })
      .where(
        and(
          eq(campaignTargets.campaignId, campaignId),
          eq(campaignTargets.customerId, customerId),
          eq(campaignTargets.claimedBy, me),
        ),
      );

  const loadView = async (
    customerId: string,
    trace: TraceContext,
  ): Promise<{ view: TargetView | null; unavailable: Set<string> }> => {
    const outcome = await options.pipeline().run({
      facade: 'internal',
      requestId: `campaign-${randomUUID()}`,
      caller: { consumer: options.consumer },
      query: CAMPAIGN_VIEW_QUERY,
      variables: { id: customerId },
      trace,
    });
    if (outcome.kind !== 'result') throw new Deferred('the campaign view was refused by the pipeline');
    const unavailable = unavailableSections(outcome.result.errors);
    const view = (outcome.result.data as { customer?: TargetView | null } | null | undefined)?.customer ?? null;
    return { view, unavailable };
  };

  const process = async (
    run: { campaignId: string; definition: Campaign },
    target: { customerId: string; state: string; attempts: number },
    trace: TraceContext,
  ): Promise<void> => {
    const { campaignId, definition: campaign } = run;
    const { customerId } = target;
    const throttle = throttleOf(campaignId, campaign);
    const key = `campaign:${campaignId}:${customerId}`;
    try {
      // Sent at the best time: a target waits for its hour before its view is loaded, so waiting costs the
      // production systems nothing.
      const best = campaign.schedule.sendAt === 'bestTime' ? await bestHoursOf(customerId) : null;
      const early = notNow(campaign, now(), best);
      if (early) throw early;
      await throttle.views.removeTokens(1);
      const { view, unavailable } = await loadView(customerId, trace);
      const at = now();
      const refusal = refusalFor(campaign, view, unavailable, at);
      const breakdown = { segment: view?.insights?.segment ?? null, valueTier: view?.score?.valueTier ?? null };
      if (refusal === 'LIVE_DATA_UNAVAILABLE' && target.attempts < MAX_ATTEMPTS) throw new Deferred(refusal);
      if (refusal) {
        targets.inc({ campaign: campaignId, result: 'ineligible' });
        await finish(campaignId, customerId, { state: 'ineligible', reason: refusal, processedAt: at, ...breakdown });
        return;
      }
      const channel = channelFor(campaign, preferredChannel('PREFERRED', view?.insights?.channelPreferences ?? null));
      const closed = policyRefusal(at, channel, options.policy.current);
      if (closed) throw new Deferred(closed);
      const late = notNow(campaign, at, best);
      if (late) throw late;
      // A target found `sending` was claimed and counted before a crash: its message may have gone; sent again
      // under the same key, the channel gateway answers the first message's id and sends nothing.
      if (target.state !== 'sending') {
        const refused = await db.transaction(async (tx) => {
          const why = await contactRefusal(tx, customerId, channel, at, options.caps);
          if (why) return why;
          await tx
            .update(campaignTargets)
            .set({ state: 'sending', channel, processedAt: at, ...breakdown })
            .where(
              and(
                eq(campaignTargets.campaignId, campaignId),
                eq(campaignTargets.customerId, customerId),
                eq(campaignTargets.claimedBy, me),
              ),
            );
          return null;
        });
        if (refused) {
          targets.inc({ campaign: campaignId, result: 'ineligible' });
          await finish(campaignId, customerId, {
            state: 'ineligible',
            reason: refused.reason,
            processedAt: at,
            ...breakdown,
          });
          return;
        }
      }
      const name = view?.profile?.name ?? null;
      const message = renderMessage(campaign.messages[channel] ?? '', campaign, {
        surname: name ? ([...name][0] ?? null) : null,
        gender: view?.profile?.gender ?? null,
      });
      await throttle.sends.removeTokens(1);
      const messageId = await postMessage(
        options.channelsUrl,
        channel,
        { customerId, message, offerCode: campaign.offer.code, idempotencyKey: key },
        options.channelTimeoutMs,
      );
      await finish(campaignId, customerId, { state: 'sent', channel, messageId });
      targets.inc({ campaign: campaignId, result: 'sent' });
      await options
        .recordTouchpoint(
          {
            customerId,
            channel: CHANNEL_HALL[channel] ?? channel,
            at: at.toISOString(),
            type: 'CAMPAIGN_OFFER',
            outcome: 'SENT',
            system: 'ucv-campaigns',
            offerCode: campaign.offer.code,
            origin: 'campaign',
            campaignId,
          },
          key,
        )
        .catch((err: unknown) =>
          logger.warn({ campaign: campaignId, err: (err as Error).message }, 'campaign touchpoint not recorded'),
        );
    } catch (err) {
      // Not now: the claim is given back, not to be taken again before a backoff (0.5 s, doubling, at most 30 s),
      // so a backend or channel that failed for a moment has time to recover; a `sending` target stays `sending`
      // (its offer is counted; it is resent under its key). A closed window is no failure: it does not count as an
      // attempt. After MAX_ATTEMPTS a target that still cannot be processed is failed with the reason.
      const reason = err instanceof Deferred ? err.message : (err as Error).name || 'ERROR';
      const closed = err instanceof Deferred && /QUIET_HOURS|OUTSIDE_WINDOW|OUTSIDE_BEST_TIME/.test(reason);
      if (target.attempts >= MAX_ATTEMPTS && !closed) {
        targets.inc({ campaign: campaignId, result: 'failed' });
        await finish(campaignId, customerId, { state: 'failed', reason: reason.slice(0, 100) });
      } else {
        targets.inc({ campaign: campaignId, result: 'deferred' });
        const backoff =
          err instanceof Deferred && err.retryInMs !== undefined
            ? err.retryInMs
            : Math.min(30_000, 500 * 2 ** Math.max(0, target.attempts - 1));
        await db
          .update(campaignTargets)
          .set({
            state: sql`CASE WHEN ${campaignTargets.state} = 'sending' THEN 'sending' ELSE 'pending' END`,
            claimedBy: null,
            leaseUntil: new Date(Date.now() + backoff),
            ...(closed ? { attempts: sql`${campaignTargets.attempts} - 1` } : {}),
          })
          .where(
            and(
              eq(campaignTargets.campaignId, campaignId),
              eq(campaignTargets.customerId, customerId),
              eq(campaignTargets.claimedBy, me),
            ),
          );
      }
      if (!(err instanceof Deferred))
        logger.warn({ campaign: campaignId, err: (err as Error).message }, 'campaign target deferred');
    }
  };

  /**
   * After the response window (from the schedule's end, or from completion when that came first): every selected
   * customer, target and control alike, is measured once: does the customer hold the offered product now (the CRM,
   * live)? That is the conversion lift is computed on. A sent target with no response by then gets NO_RESPONSE.
   */
  const measure = async (run: { campaignId: string; definition: Campaign }): Promise<boolean> => {
    const { campaignId, definition: campaign } = run;
    const claimed = rowsOf<{ customer_id: string; cohort: string; state: string; channel: string | null }>(
      await db.execute(sql`
        UPDATE campaign_targets t SET claimed_by = ${me}, lease_until = ${new Date(Date.now() + leaseMs).toISOString()}
        FROM (
          SELECT customer_id FROM campaign_targets
          WHERE campaign_id = ${campaignId} AND measured_at IS NULL
            AND (lease_until IS NULL OR lease_until < ${new Date().toISOString()})
          ORDER BY customer_id LIMIT ${batchSize}
          FOR UPDATE SKIP LOCKED
        ) picked
        WHERE t.campaign_id = ${campaignId} AND t.customer_id = picked.customer_id
        RETURNING t.customer_id, t.cohort, t.state, t.channel`),
    );
    if (claimed.length === 0) return false;
    const throttle = throttleOf(campaignId, campaign);
    await Promise.all(
      claimed.map(async (t) => {
        try {
          await throttle.views.removeTokens(1);
          const outcome = await options.pipeline().run({
            facade: 'internal',
            requestId: `campaign-${randomUUID()}`,
            caller: { consumer: options.consumer },
            query: MEASURE_QUERY,
            variables: { id: t.customer_id },
          });
          if (outcome.kind !== 'result') throw new Error('refused');
          const products = (outcome.result.data as { customer?: { products?: Array<{ code: string }> | null } | null })
            ?.customer?.products;
          if (products === undefined || (products === null && outcome.result.errors?.length))
            throw new Error('unavailable');
          const converted = (products ?? []).some((p) => p.code === campaign.offer.code);
          const at = now();
          await db.transaction(async (tx) => {
            if (t.state === 'sent')
              await tx.execute(sql`
                INSERT INTO offer_responses (ref, origin, origin_id, customer_id, offer_code, channel, response, at, cohort)
                SELECT ${`campaign:${campaignId}:${t.customer_id}:no-response`}, 'campaign', ${campaignId}, ${t.customer_id},
                       ${campaign.offer.code}, ${t.channel ?? ''}, 'NO_RESPONSE', ${at.toISOString()}, 'target'
                WHERE NOT EXISTS (SELECT 1 FROM offer_responses WHERE origin = 'campaign' AND origin_id = ${campaignId}
                                  AND customer_id = ${t.customer_id} AND response <> 'NO_RESPONSE')
                ON CONFLICT (ref) DO NOTHING`);
            await tx
              .update(campaignTargets)
              .set({ converted, measuredAt: at, claimedBy: null, leaseUntil: null })
              .where(and(eq(campaignTargets.campaignId, campaignId), eq(campaignTargets.customerId, t.customer_id)));
          });
        } catch (err) {
          // Measured in a later round: the lease ends by itself.
          logger.debug({ campaign: campaignId, err: (err as Error).message }, 'campaign measurement deferred');
        }
      }),
    );
    return true;
  };

  /** Runs one round; true when there was work (the next round comes at once). */
  const round = async (): Promise<boolean> => {
    const runs = await db
      .select({
        campaignId: campaignRuns.campaignId,
        state: campaignRuns.state,
        definition: campaignRuns.definition,
        selectionAfter: campaignRuns.selectionAfter,
        completedAt: campaignRuns.completedAt,
      })
      .from(campaignRuns)
      .where(
        sql`${campaignRuns.state} IN ('selecting', 'running') OR (${campaignRuns.state} IN ('completed', 'cancelled') AND ${campaignRuns.measuredAt} IS NULL)`,
      );
    let worked = false;
    for (const run of runs) {
      const campaign = run.definition as Campaign;
      const at = now();
      if (run.state === 'completed' || run.state === 'cancelled') {
        const ended = Math.min(Date.parse(campaign.schedule.end), run.completedAt?.getTime() ?? Infinity);
        if (at.getTime() < ended + campaign.responseWindowHours * 3600_000) continue;
        if (await measure({ campaignId: run.campaignId, definition: campaign })) worked = true;
        else {
          // Nothing claimable: done when nobody is left to measure (others are under another claim's lease).
          const [left] = rowsOf<{ n: unknown }>(
            await db.execute(
              sql`SELECT count(*) AS n FROM campaign_targets WHERE campaign_id = ${run.campaignId} AND measured_at IS NULL`,
            ),
          );
          if (Number(left?.n ?? 0) === 0)
            await db
              .update(campaignRuns)
              .set({ measuredAt: at, updatedAt: at })
              .where(eq(campaignRuns.campaignId, run.campaignId));
        }
        continue;
      }
      if (run.state === 'selecting') {
        worked = (await selectPage({ ...run, definition: campaign })) || worked;
        continue;
      }
      if (at.getTime() < Date.parse(campaign.schedule.start)) continue;
      if (at.getTime() >= Date.parse(campaign.schedule.end)) {
        await complete(run.campaignId);
        continue;
      }
      // A campaign sent at the best time runs outside its windows too: a target's best hour may be there.
      if (campaign.schedule.sendAt !== 'bestTime' && !inSendingWindow(campaign, at, timeZone())) continue;
      const claimed = await claim(run.campaignId);
      if (claimed.length === 0) {
        const [left] = rowsOf<{ n: unknown }>(
          await db.execute(
            sql`SELECT count(*) AS n FROM campaign_targets WHERE campaign_id = ${run.campaignId} AND state IN ('pending', 'claimed', 'sending')`,
          ),
        );
        if (Number(left?.n ?? 0) === 0) await complete(run.campaignId);
        continue;
      }
      worked = true;
      await Promise.all(
        claimed.map((t) =>
          traced(
            `campaign ${run.campaignId}`,
            { attributes: { 'ucv.campaign.id': run.campaignId, 'ucv.campaign.attempt': t.attempts } },
            (_, inside) => process({ campaignId: run.campaignId, definition: campaign }, t, inside),
          ),
        ),
      );
    }
    return worked;
  };

  const complete = (campaignId: string) =>
    db
      .update(campaignRuns)
      .set({ state: 'completed', completedAt: now(), updatedAt: now() })
      .where(and(eq(campaignRuns.campaignId, campaignId), sql`${campaignRuns.state} IN ('selecting', 'running')`));

  let stopped = true;
  let loop: Promise<void> = Promise.resolve();
  let wake: (() => void) | null = null;
  return {
    start() {
      if (!stopped) return;
      stopped = false;
      loop = (async () => {
        while (!stopped) {
          let worked = false;
          try {
            worked = await round();
          } catch (err) {
            logger.warn({ err: (err as Error).message }, 'campaign round failed');
          }
          if (!worked && !stopped)
            await new Promise<void>((resolve) => {
              wake = resolve;
              setTimeout(resolve, options.idleMs ?? 250).unref();
            });
        }
      })();
    },
    round,
    async preview(campaign, customerIds) {
      return Promise.all(
        customerIds.map(async (customerId): Promise<TargetPreview> => {
          const control = inControl(campaign.id, customerId, campaign.controlShare);
          const { view, unavailable } = await loadView(customerId, NO_TRACE);
          const at = now();
          const refusal = refusalFor(campaign, view, unavailable, at);
          if (refusal) return { customerId, inControl: control, eligible: false, reason: refusal };
          const channel = channelFor(
            campaign,
            preferredChannel('PREFERRED', view?.insights?.channelPreferences ?? null),
          );
          // Read in a transaction that writes nothing: the customer's lock makes the counts consistent.
          const refused = await db.transaction((tx) => contactRefusal(tx, customerId, channel, at, options.caps));
          if (refused) return { customerId, inControl: control, eligible: false, reason: refused.reason, channel };
          const name = view?.profile?.name ?? null;
          return {
            customerId,
            inControl: control,
            eligible: true,
            channel,
            message: renderMessage(campaign.messages[channel] ?? '', campaign, {
              surname: name ? ([...name][0] ?? null) : null,
              gender: view?.profile?.gender ?? null,
            }),
          };
        }),
      );
    },
    async close() {
      stopped = true;
      wake?.();
      await loop;
    },
  };
}
