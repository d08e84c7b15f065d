/**
 * Campaigns to selected customers (docs/campaigns.md): the definitions kind `campaign`, their runs (runner.ts),
 * launch / pause / resume / cancel, the preview, responses recorded once, and the closed-loop report.
 */
import { and, eq, sql } from 'drizzle-orm';
import { DefinitionRefused, type DefinitionKind, type Problem } from '../../definitions';
import { rowsOf, type Store } from '../../store';
import { campaignRuns } from '../../store/schema';
import { campaignProblems, type Campaign } from './definition';
import type { AudienceSources, RunState, TargetPreview } from './runner';

export { createCampaignRunner, CAMPAIGN_VIEW_QUERY, type AudienceSource, type AudienceSources } from './runner';
export { campaignProblems, renderMessage, type Campaign } from './definition';

/** The audience conditions' problems (the source's field catalog), given by the conditions module when wired. */
export type AudienceCheck = (where: unknown, source: string | undefined) => Problem[];

export interface Campaigns {
  readonly kind: DefinitionKind;
  /** The campaign definitions in force, by id, with the store version that put them. */
  definition(id: string): { campaign: Campaign; version: number } | undefined;
  /** Starts a run of the campaign in force; refused when it runs already, or its schedule has ended. */
  launch(id: string, by: string): Promise<Transition>;
  pause(id: string, by: string): Promise<Transition>;
  resume(id: string, by: string): Promise<Transition>;
  cancel(id: string, by: string): Promise<Transition>;
  run(id: string): Promise<RunRow | null>;
  report(id: string): Promise<CampaignReport | null>;
}

export type Transition = { ok: true; run: RunRow } | { ok: false; code: 'NOT_FOUND' | 'CONFLICT'; message: string };

export interface RunRow {
  campaignId: string;
  version: number;
  state: RunState;
  launchedBy: string;
  launchedAt: string;
  selected: number;
  control: number;
  batchDate: string | null;
  completedAt: string | null;
}

export interface CampaignsDeps {
  store: Store;
  audiences: AudienceSources;
  checkAudience: AudienceCheck;
  /** The runner's preview of a sample: what the campaign would do for each (runner.ts `preview`). */
  preview: (campaign: Campaign, customerIds: readonly string[]) => Promise<TargetPreview[]>;
  now?: () => Date;
}

const toRun = (r: typeof campaignRuns.$inferSelect): RunRow => ({
  campaignId: r.campaignId,
  version: r.version,
  state: r.state as RunState,
  launchedBy: r.launchedBy,
  launchedAt: r.launchedAt.toISOString(),
  selected: r.selected,
  control: r.control,
  batchDate: r.batchDate,
  completedAt: r.completedAt?.toISOString() ?? null,
});

export function createCampaigns(deps: CampaignsDeps): Campaigns {
  const { store } = deps;
  const db = store.db;
  const now = deps.now ?? (() => new Date());
  let inForce = new Map<string, { campaign: Campaign; version: number }>();

  const problemsOf = (definition: unknown, name: string): Problem[] => {
    const { campaign, problems } = campaignProblems(definition, name);
    if (campaign) {
      const source = deps.audiences(campaign.audience.source);
      if (source instanceof Error) problems.push({ path: 'audience.source', message: source.message });
      else problems.push(...deps.checkAudience(campaign.audience.where, campaign.audience.source ?? source.name));
    }
    return problems;
  };

  const kind: DefinitionKind = {
    kind: 'campaign',
    validate: problemsOf,
    async dryRun(definition, input, name) {
      const problems = problemsOf(definition, name);
      const { campaign } = campaignProblems(definition, name);
      if (problems.length > 0 || !campaign) throw new DefinitionRefused(problems);
      const source = deps.audiences(campaign.audience.source);
      if (source instanceof Error) throw new DefinitionRefused([{ path: 'audience.source', message: source.message }]);
      const given = (input as { sample?: unknown } | null | undefined)?.sample;
      if (given !== undefined && !(Number.isInteger(given) && (given as number) >= 1 && (given as number) <= 100))
        throw new DefinitionRefused([
          { path: 'input.sample', message: 'a whole number of customers, 1 to 100', given: String(given).slice(0, 40) },
        ]);
      const size = (given as number | undefined) ?? 20;
      const [{ count, batchDate }, page] = await Promise.all([
        source.count(campaign.audience.where, `campaign-${name}-preview`),
        source.page(campaign.audience.where, null, size, `campaign-${name}-preview-sample`),
      ]);
      // The sample: the first ids of the audience (ids carry no meaning, so they are as good as any), checked live.
      const sample = await deps.preview(campaign, page.ids);
      const targets = sample.filter((t) => !t.inControl);
      const eligible = targets.filter((t) => t.eligible);
      const reasons: Record<string, number> = {};
      for (const t of targets) if (!t.eligible && t.reason) reasons[t.reason] = (reasons[t.reason] ?? 0) + 1;
      return {
        audience: { count, control: Math.round(count * campaign.controlShare), batchDate },
        sample: {
          size: sample.length,
          targets: targets.length,
          eligible: eligible.length,
          eligibleShare: targets.length > 0 ? Math.round((eligible.length / targets.length) * 1000) / 1000 : null,
          ineligible: reasons,
          // The message as customers would read it: the first eligible one of each channel.
          messages: Object.fromEntries(
            [...new Map(eligible.map((t) => [t.channel, t])).values()].map((t) => [t.channel, t.message]),
          ),
        },
        messages: campaign.messages,
      };
    },
    async apply(definitions, version) {
      const next = new Map<string, { campaign: Campaign; version: number }>();
      for (const [name, definition] of definitions) {
        const { campaign } = campaignProblems(definition, name);
        if (campaign) next.set(name, { campaign, version });
      }
      inForce = next;
    },
    notFound: (name) => `no campaign named ${name}`,
  };

  const readRun = async (id: string): Promise<RunRow | null> => {
    const [row] = await db.select().from(campaignRuns).where(eq(campaignRuns.campaignId, id));
    return row ? toRun(row) : null;
  };

  /** Moves the run from one of `from` to `to`; CONFLICT naming the state it is in otherwise. */
  const transition = async (id: string, from: RunState[], to: RunState, verb: string): Promise<Transition> => {
    const rows = rowsOf<{ campaign_id: string }>(
      await db.execute(sql`
        UPDATE campaign_runs SET state = ${to}, updated_at = ${now().toISOString()}
          ${to === 'cancelled' ? sql`, completed_at = ${now().toISOString()}` : sql``}
        WHERE campaign_id = ${id} AND state IN (${sql.join(
          from.map((s) => sql`${s}`),
          sql`, `,
        )})
        RETURNING campaign_id`),
    );
    const run = await readRun(id);
    if (!run) return { ok: false, code: 'NOT_FOUND', message: `campaign ${id} has not been launched` };
    if (rows.length === 0)
      return { ok: false, code: 'CONFLICT', message: `campaign ${id} is ${run.state}: it cannot be ${verb}` };
    return { ok: true, run };
  };

  return {
    kind,
    definition: (id) => inForce.get(id),
    async launch(id, by) {
      const current = inForce.get(id);
      if (!current) return { ok: false, code: 'NOT_FOUND', message: `no campaign named ${id}` };
      const at = now();
      if (at.getTime() >= Date.parse(current.campaign.schedule.end))
        return {
          ok: false,
          code: 'CONFLICT',
          message: `campaign ${id}'s schedule ended at ${current.campaign.schedule.end}`,
        };
      const inserted = await db
        .insert(campaignRuns)
        .values({
          campaignId: id,
          version: current.version,
          definition: current.campaign,
          state: 'selecting',
          launchedBy: by,
          launchedAt: at,
          updatedAt: at,
        })
        .onConflictDoNothing()
        .returning({ id: campaignRuns.campaignId });
      const run = await readRun(id);
      if (inserted.length === 0 || !run)
        return { ok: false, code: 'CONFLICT', message: `campaign ${id} was launched already (${run?.state})` };
      return { ok: true, run };
    },
    pause: (id) => transition(id, ['selecting', 'running'], 'paused', 'paused'),
    resume: async (id) => {
      // A paused run continues where it was: selecting when its audience was not read whole.
      const [row] = await db
        .select({ after: campaignRuns.selectionAfter, selected: campaignRuns.selected, state: campaignRuns.state })
        .from(campaignRuns)
        .where(and(eq(campaignRuns.campaignId, id)));
      const pending = rowsOf<{ n: unknown }>(
        await db.execute(sql`SELECT count(*) AS n FROM campaign_targets WHERE campaign_id = ${id}`),
      );
      const selecting = row !== undefined && Number(pending[0]?.n ?? 0) === 0 && row.selected === 0;
      return transition(id, ['paused'], selecting ? 'selecting' : 'running', 'resumed');
    },
    cancel: (id) => transition(id, ['selecting', 'running', 'paused'], 'cancelled', 'cancelled'),
    run: readRun,
    report: (id) => campaignReport(store, id),
  };
}

export interface Funnel {
  selected: number;
  control: number;
  targets: number;
  eligible: number;
  ineligible: Record<string, number>;
  sent: number;
  delivered: number;
  failed: number;
  pending: number;
  responded: number;
  accepted: number;
  declined: number;
  clicked: number;
  noResponse: number;
  ordered: number;
  /** accepted ÷ sent. */
  conversionRate: number | null;
}

export interface Lift {
  /** Customers of the target cohort who hold the offer after the window, ÷ the target cohort measured. */
  targetRate: number;
  controlRate: number;
  /** targetRate − controlRate, with its 95% confidence interval (normal approximation). */
  absolute: number;
  ci95: [number, number];
  /** targetRate ÷ controlRate, null when no control customer converted. */
  relative: number | null;
  measuredTargets: number;
  measuredControl: number;
}

export interface CampaignReport {
  campaignId: string;
  run: RunRow;
  funnel: Funnel;
  bySegment: Array<{ segment: string; sent: number; accepted: number }>;
  byValueTier: Array<{ valueTier: string; sent: number; accepted: number }>;
  byChannel: Array<{ channel: string; sent: number; accepted: number }>;
  /** Null until the response window has passed and every selected customer was measured. */
  lift: Lift | null;
}

/** The closed loop of one campaign, from the store: the funnel, breakdowns and lift against the control group. */
export async function campaignReport(store: Store, id: string): Promise<CampaignReport | null> {
  const db = store.db;
  const [row] = await db.select().from(campaignRuns).where(eq(campaignRuns.campaignId, id));
  if (!row) return null;
  const states = rowsOf<{ cohort: string; state: string; reason: string | null; n: unknown }>(
    await db.execute(sql`SELECT cohort, state, reason, count(*) AS n FROM campaign_targets
      WHERE campaign_id = ${id} GROUP BY cohort, state, reason`),
  );
  const responses = rowsOf<{ response: string; n: unknown; ordered: unknown }>(
    await db.execute(sql`SELECT response, count(DISTINCT customer_id) AS n, count(order_id) AS ordered
      FROM offer_responses WHERE origin = 'campaign' AND origin_id = ${id} GROUP BY response`),
  );
  const count = (f: (r: (typeof states)[number]) => boolean) =>
    states.filter(f).reduce((sum, r) => sum + Number(r.n), 0);
  const response = (name: string) => Number(responses.find((r) => r.response === name)?.n ?? 0);
  const ineligible: Record<string, number> = {};
  for (const r of states.filter((s) => s.state === 'ineligible'))
    ineligible[r.reason ?? 'UNKNOWN'] = (ineligible[r.reason ?? 'UNKNOWN'] ?? 0) + Number(r.n);
  const sent = count((r) => r.state === 'sent');
  const accepted = response('ACCEPTED');
  const declined = response('DECLINED');
  const clicked = response('CLICKED');
  const funnel: Funnel = {
    selected: count(() => true),
    control: count((r) => r.cohort === 'control'),
    targets: count((r) => r.cohort === 'target'),
    eligible: count((r) => r.state === 'sent' || r.state === 'sending' || r.state === 'failed'),
    ineligible,
    sent,
    // The channel gateway's acceptance: it reports no delivery receipts, so a message it took is counted delivered.
    delivered: sent,
    failed: count((r) => r.state === 'failed'),
    pending: count((r) => ['pending', 'claimed', 'sending'].includes(r.state)),
    responded: accepted + declined + clicked,
    accepted,
    declined,
    clicked,
    noResponse: response('NO_RESPONSE'),
    ordered: responses.reduce((sum, r) => sum + Number(r.ordered), 0),
    conversionRate: sent > 0 ? accepted / sent : null,
  };
  const breakdown = async (column: 'segment' | 'value_tier' | 'channel') =>
    rowsOf<{ key: string | null; sent: unknown; accepted: unknown }>(
      await db.execute(sql`SELECT t.${sql.raw(column)} AS key, count(*) AS sent,
          count(*) FILTER (WHERE EXISTS (SELECT 1 FROM offer_responses r WHERE r.origin = 'campaign'
            AND r.origin_id = t.campaign_id AND r.customer_id = t.customer_id AND r.response = 'ACCEPTED')) AS accepted
        FROM campaign_targets t WHERE t.campaign_id = ${id} AND t.state = 'sent'
        GROUP BY 1 ORDER BY 2 DESC`),
    ).map((r) => ({ key: r.key ?? 'UNKNOWN', sent: Number(r.sent), accepted: Number(r.accepted) }));
  const [measured] = rowsOf<{ mt: unknown; ct: unknown; mc: unknown; cc: unknown }>(
    await db.execute(sql`SELECT
        count(*) FILTER (WHERE cohort = 'target' AND measured_at IS NOT NULL) AS mt,
        count(*) FILTER (WHERE cohort = 'target' AND converted) AS ct,
        count(*) FILTER (WHERE cohort = 'control' AND measured_at IS NOT NULL) AS mc,
        count(*) FILTER (WHERE cohort = 'control' AND converted) AS cc
      FROM campaign_targets WHERE campaign_id = ${id}`),
  );
  let lift: Lift | null = null;
  const mt = Number(measured?.mt ?? 0);
  const mc = Number(measured?.mc ?? 0);
  if (row.measuredAt && mt > 0 && mc > 0) {
    const pt = Number(measured?.ct ?? 0) / mt;
    const pc = Number(measured?.cc ?? 0) / mc;
    const se = Math.sqrt((pt * (1 - pt)) / mt + (pc * (1 - pc)) / mc);
    const round = (x: number) => Math.round(x * 10_000) / 10_000;
    lift = {
      targetRate: round(pt),
      controlRate: round(pc),
      absolute: round(pt - pc),
      ci95: [round(pt - pc - 1.96 * se), round(pt - pc + 1.96 * se)],
      relative: pc > 0 ? round(pt / pc) : null,
      measuredTargets: mt,
      measuredControl: mc,
    };
  }
  return {
    campaignId: id,
    run: toRun(row),
    funnel,
    bySegment: (await breakdown('segment')).map((r) => ({ segment: r.key, sent: r.sent, accepted: r.accepted })),
    byValueTier: (await breakdown('value_tier')).map((r) => ({
      valueTier: r.key,
      sent: r.sent,
      accepted: r.accepted,
    })),
    byChannel: (await breakdown('channel')).map((r) => ({ channel: r.key, sent: r.sent, accepted: r.accepted })),
    lift,
  };
}

/** A customer's response to an offer, as it comes back: `ref` is its own id (a reply's, a touchpoint's). */
export interface OfferResponse {
  ref: string;
  customerId: string;
  /** The message it answers, when it came on a channel; else the offer it is about. */
  messageId?: string;
  offerCode?: string;
  channel: string;
  response: 'ACCEPTED' | 'DECLINED' | 'CLICKED' | 'CALLBACK';
  at: Date;
}

/**
 * A response to a campaign's message (a channel reply, a click, an agent's outcome at the desk), recorded once by
 * its `ref`. Matched to the campaign by the message id, or by the customer and offer. Answers the campaign it was
 * recorded against, or null when no campaign sent the customer that offer (the caller records it elsewhere).
 */
export async function recordCampaignResponse(
  store: Store,
  response: OfferResponse,
): Promise<{ campaignId: string; offerCode: string; duplicate: boolean } | null> {
  const db = store.db;
  const [target] = rowsOf<{ campaign_id: string; offer_code: string }>(
    await db.execute(sql`SELECT t.campaign_id, r.definition->'offer'->>'code' AS offer_code
      FROM campaign_targets t JOIN campaign_runs r ON r.campaign_id = t.campaign_id
      WHERE t.customer_id = ${response.customerId}
        AND ${
          response.messageId
            ? // A fast reply can come before the sender has noted the message's id: its target is still `sending`.
              sql`((t.state = 'sent' AND t.message_id = ${response.messageId}) OR (t.state = 'sending' AND t.message_id IS NULL))`
            : sql`t.state = 'sent' AND r.definition->'offer'->>'code' = ${response.offerCode ?? ''}`
        }
      ORDER BY t.processed_at DESC LIMIT 1`),
  );
  if (!target) return null;
  const inserted = rowsOf(
    await db.execute(sql`INSERT INTO offer_responses (ref, origin, origin_id, customer_id, offer_code, channel, response, at, cohort)
      VALUES (${response.ref}, 'campaign', ${target.campaign_id}, ${response.customerId}, ${target.offer_code},
              ${response.channel}, ${response.response}, ${response.at.toISOString()}, 'target')
      ON CONFLICT (ref) DO NOTHING RETURNING ref`),
  );
  return { campaignId: target.campaign_id, offerCode: target.offer_code, duplicate: inserted.length === 0 };
}

/**
 * A response to a rule's offer (a reply to its message, or an agent's outcome for its offer), recorded once by its
 * `ref`: matched by the message id, or by the customer and the offer (the latest rule offer of it in 7 days).
 */
export async function recordRuleResponse(
  store: Store,
  response: OfferResponse,
): Promise<{ ruleId: string; offerCode: string; duplicate: boolean } | null> {
  const db = store.db;
  const weekAgo = new Date(response.at.getTime() - 7 * 24 * 3600_000).toISOString();
  const [offer] = rowsOf<{ rule_id: string; offer_code: string }>(
    await db.execute(sql`SELECT rule_id, offer_code FROM offers_sent
      WHERE customer_id = ${response.customerId}
        AND ${
          response.messageId
            ? sql`((status = 'sent' AND message_id = ${response.messageId}) OR (status = 'sending' AND message_id IS NULL))`
            : sql`status = 'sent' AND offer_code = ${response.offerCode ?? ''} AND sent_at > ${weekAgo}`
        }
      ORDER BY sent_at DESC LIMIT 1`),
  );
  if (!offer) return null;
  const inserted = rowsOf(
    await db.execute(sql`INSERT INTO offer_responses (ref, origin, origin_id, customer_id, offer_code, channel, response, at)
      VALUES (${response.ref}, 'rule', ${offer.rule_id}, ${response.customerId}, ${offer.offer_code},
              ${response.channel}, ${response.response}, ${response.at.toISOString()})
      ON CONFLICT (ref) DO NOTHING RETURNING ref`),
  );
  return { ruleId: offer.rule_id, offerCode: offer.offer_code, duplicate: inserted.length === 0 };
}

/** One line of the closed loop: offers of one origin (a campaign or a rule), offer and channel. */
export interface OfferLine {
  origin: 'campaign' | 'rule';
  originId: string;
  offerCode: string;
  channel: string;
  sent: number;
  responded: number;
  accepted: number;
  declined: number;
  ordered: number;
  /** accepted ÷ sent. */
  conversionRate: number | null;
}

/**
 * The closed loop across every campaign and event rule, by origin, by offer and by channel: offers sent (rules'
 * `offers_sent`, campaigns' sent targets) and what came back (`offer_responses`), since `since`.
 */
export async function offersReport(
  store: Store,
  since: Date,
): Promise<{ since: string; lines: OfferLine[]; byOffer: OfferLine[]; byChannel: OfferLine[] }> {
  const rows = rowsOf<{
    origin: 'campaign' | 'rule';
    origin_id: string;
    offer_code: string;
    channel: string;
    sent: unknown;
    responded: unknown;
    accepted: unknown;
    declined: unknown;
    ordered: unknown;
  }>(
    await store.db.execute(sql`
      WITH sent AS (
        SELECT 'rule' AS origin, rule_id AS origin_id, offer_code, channel, customer_id
          FROM offers_sent WHERE status = 'sent' AND sent_at >= ${since.toISOString()}
        UNION ALL
        SELECT 'campaign', t.campaign_id, r.definition->'offer'->>'code', t.channel, t.customer_id
          FROM campaign_targets t JOIN campaign_runs r ON r.campaign_id = t.campaign_id
          WHERE t.state = 'sent' AND t.processed_at >= ${since.toISOString()}
      ), answered AS (
        SELECT origin, origin_id, customer_id,
               bool_or(response IN ('ACCEPTED', 'DECLINED', 'CLICKED', 'CALLBACK')) AS responded,
               bool_or(response = 'ACCEPTED') AS accepted, bool_or(response = 'DECLINED') AS declined,
               bool_or(order_id IS NOT NULL) AS ordered
          FROM offer_responses GROUP BY origin, origin_id, customer_id
      )
      SELECT s.origin, s.origin_id, s.offer_code, s.channel, count(*) AS sent,
             count(*) FILTER (WHERE a.responded) AS responded, count(*) FILTER (WHERE a.accepted) AS accepted,
             count(*) FILTER (WHERE a.declined) AS declined, count(*) FILTER (WHERE a.ordered) AS ordered
        FROM sent s LEFT JOIN answered a
          ON a.origin = s.origin AND a.origin_id = s.origin_id AND a.customer_id = s.customer_id
        GROUP BY s.origin, s.origin_id, s.offer_code, s.channel
        ORDER BY sent DESC`),
  );
  const line = (r: (typeof rows)[number]): OfferLine => {
    const sent = Number(r.sent);
    const accepted = Number(r.accepted);
    return {
      origin: r.origin,
      originId: r.origin_id,
      offerCode: r.offer_code,
      channel: r.channel,
      sent,
      responded: Number(r.responded),
      accepted,
      declined: Number(r.declined),
      ordered: Number(r.ordered),
      conversionRate: sent > 0 ? Math.round((accepted / sent) * 10_000) / 10_000 : null,
    };
  };
  const lines = rows.map(line);
  const sum = (key: (l: OfferLine) => string, fill: (l: OfferLine) => Partial<OfferLine>): OfferLine[] => {
    const groups = new Map<string, OfferLine>();
    for (const l of lines) {
      const k = key(l);
      const g = groups.get(k) ?? {
        ...l,
        ...fill(l),
        sent: 0,
        responded: 0,
        accepted: 0,
        declined: 0,
        ordered: 0,
        conversionRate: null,
      };
      g.sent += l.sent;
      g.responded += l.responded;
      g.accepted += l.accepted;
      g.declined += l.declined;
      g.ordered += l.ordered;
      g.conversionRate = g.sent > 0 ? Math.round((g.accepted / g.sent) * 10_000) / 10_000 : null;
      groups.set(k, g);
    }
    return [...groups.values()].sort((a, b) => b.sent - a.sent);
  };
  return {
    since: since.toISOString(),
    lines,
    byOffer: sum(
      (l) => l.offerCode,
      () => ({ origin: 'campaign', originId: '*', channel: '*' }),
    ),
    byChannel: sum(
      (l) => l.channel,
      () => ({ origin: 'campaign', originId: '*', offerCode: '*' }),
    ),
  };
}

/** Stores the CRM's order id on the response that placed it. */
export async function recordOrder(store: Store, ref: string, orderId: string): Promise<void> {
  await store.db.execute(sql`UPDATE offer_responses SET order_id = ${orderId} WHERE ref = ${ref}`);
}

/** The GraphQL resolvers of schemas/campaigns.graphql: the reports, read from the store. */
export function campaignReportResolvers(store: Store) {
  return {
    Query: {
      campaignReport: async (_root: unknown, args: { id: string }) => {
        const report = await campaignReport(store, args.id);
        if (!report) return null;
        const { run, funnel, lift } = report;
        return {
          campaignId: report.campaignId,
          state: run.state,
          launchedBy: run.launchedBy,
          launchedAt: run.launchedAt,
          batchDate: run.batchDate,
          funnel: {
            ...funnel,
            ineligible: Object.entries(funnel.ineligible).map(([reason, count]) => ({ reason, count })),
          },
          bySegment: report.bySegment.map((b) => ({ key: b.segment, sent: b.sent, accepted: b.accepted })),
          byValueTier: report.byValueTier.map((b) => ({ key: b.valueTier, sent: b.sent, accepted: b.accepted })),
          byChannel: report.byChannel.map((b) => ({ key: b.channel, sent: b.sent, accepted: b.accepted })),
          lift: lift ? { ...lift, ci95Low: lift.ci95[0], ci95High: lift.ci95[1] } : null,
        };
      },
      offersReport: (_root: unknown, args: { since?: string | null }) =>
        offersReport(store, args.since ? new Date(args.since) : new Date(Date.now() - 30 * 24 * 3600_000)),
    },
  };
}
