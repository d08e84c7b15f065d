/**
 * The steering table as data: the guideline's diversion table (service → eligible channels, with the rule behind
 * it), what each channel costs a transaction, how preference levels are read from the customer's monthly counts,
 * which value tiers are "high value", and the load at which a channel counts as saturated. One shape, checked with
 * zod and named paths, for the configured table (`steering.table`, checked at start) and the definitions kind
 * `steering` (checked at every change, gateway/steering/kind.ts).
 *
 *   services.<SERVICE>      { label: { zh, en }, rule, channels: [<CHANNEL>…] }   eligible channels, table order
 *   channels.<CHANNEL>      { costCny }                                           cost of one transaction
 *   preferences.<CHANNEL>.<indicator>   [{ level, from, to? }…]                   counts from ≤ n < to
 *   highValueTiers          ["DIAMOND", "PLATINUM", "GOLD"]                       preference first; others cost first
 *   saturatedAt             0.9                                                   utilisation from which a channel is saturated
 *
 * A level's range is `from` (inclusive) to `to` (exclusive; absent: no upper bound). An indicator's ranges must cover
 * every count from 0 up, without gap or overlap, each level once, stronger levels at higher counts.
 */
import { z } from 'zod';
import { problemsOf, type Problem } from '../runtime/declarative';
import {
  DIVERSION_RULES,
  ELECTRONIC_CHANNELS,
  LEVEL_ORDER,
  PREFERENCE_LEVELS,
  STEERING_CHANNELS,
  USAGE_INDICATORS,
  type DiversionRule,
  type ElectronicChannel,
  type PreferenceLevel,
  type SteeringChannel,
  type SteeringLabel,
  type UsageIndicator,
} from '../labels/steering';

/** The services the guideline steers, by code. A table names only these. */
export const STEERING_SERVICES = [
  'BALANCE_ENQUIRY',
  'PUK_QUERY',
  'PASSWORD_RESET',
  'REAL_TIME_CHARGES',
  'TOP_UP_CARD_STATUS',
  'ITEMISED_BILL',
  'BILL_ENQUIRY',
  'PAYMENT',
  'VOICE_VAS',
  'PACKAGE_CHANGE',
  'POINTS',
  'MONTERNET',
  'RINGBACK_TONES',
  'MOBILE_NEWSPAPER',
  'GPRS',
  'WEATHER',
  'ONE_CARD_MULTI_NUMBER',
  'INTERNATIONAL_LONG_DISTANCE',
  'FETION',
  'ACCOUNT_OPENING',
  'TOP_UP_CARD_SALE',
  'SIM_BUNDLE',
  'DATA_SERVICE',
] as const;
export type SteeringService = (typeof STEERING_SERVICES)[number];

const keys = <T extends string>(labels: Record<T, unknown>) => Object.keys(labels) as [T, ...T[]];
const Channel = z.enum(keys(STEERING_CHANNELS));
const Level = z.enum(keys(PREFERENCE_LEVELS));
const Text = z.object({ zh: z.string().min(1).max(60), en: z.string().min(1).max(120) }).strict();

const RangeSchema = z
  .object({
    level: Level,
    /** Lowest count of the level (inclusive). */
    from: z.number().int().min(0),
    /** First count above the level (exclusive); absent: no upper bound. */
    to: z.number().int().min(1).optional(),
  })
  .strict();

/** An enum-keyed record whose unknown keys are named by their path (zod's record reports the key as it is). */
const recordOf = <K extends string, V extends z.ZodTypeAny>(allowed: readonly K[], value: V, what: string) =>
  z.record(z.string(), value).superRefine((record, ctx) => {
    for (const key of Object.keys(record))
      if (!(allowed as readonly string[]).includes(key))
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: [key],
          message: `no ${what} named ${JSON.stringify(key)}; ${what}s are ${allowed.join(', ')}`,
        });
  }) as unknown as z.ZodType<Partial<Record<K, z.output<V>>>, z.ZodTypeDef, unknown>;

export const SteeringTableSchema = z
  .object({
    services: recordOf(
      STEERING_SERVICES,
      z
        .object({
          label: Text,
          rule: z.enum(keys(DIVERSION_RULES)),
          /** The eligible channels, in the table's order (which breaks ties). */
          channels: z.array(Channel).min(1).max(11),
        })
        .strict(),
      'service',
    ),
    channels: recordOf(keys(STEERING_CHANNELS), z.object({ costCny: z.number().min(0).max(1000) }).strict(), 'channel'),
    preferences: recordOf(
      ELECTRONIC_CHANNELS,
      recordOf(keys(USAGE_INDICATORS), z.array(RangeSchema).min(1).max(4), 'indicator'),
      'electronic channel',
    ),
    highValueTiers: z.array(z.string().regex(/^[A-Z][A-Z_]{0,31}$/, 'a value tier, e.g. "GOLD"')).min(1),
    /** Utilisation (load / capacity) from which a channel is saturated and not recommended. */
    saturatedAt: z.number().gt(0).max(10),
  })
  .strict()
  .superRefine((table, ctx) => {
    for (const [service, row] of Object.entries(table.services)) {
      const seen = new Set<string>();
      row?.channels.forEach((channel, i) => {
        const path = ['services', service, 'channels', i];
        if (seen.has(channel))
          ctx.addIssue({ code: z.ZodIssueCode.custom, path, message: `${channel} is listed twice` });
        seen.add(channel);
        if (!table.channels[channel as SteeringChannel])
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path,
            message: `${channel} has no cost: add channels.${channel}.costCny`,
          });
      });
    }
    for (const [channel, indicators] of Object.entries(table.preferences))
      for (const [indicator, ranges] of Object.entries(indicators ?? {}))
        for (const problem of rangeProblems(ranges ?? []))
          ctx.addIssue({
            code: z.ZodIssueCode.custom,
            path: ['preferences', channel, indicator, ...problem.path],
            message: problem.message,
          });
  });

type Range = z.output<typeof RangeSchema>;

/** A table as written (the configured one, a registered definition, the default). */
export interface SteeringTableInput {
  services: Partial<
    Record<SteeringService, { label: SteeringLabel; rule: DiversionRule; channels: SteeringChannel[] }>
  >;
  channels: Partial<Record<SteeringChannel, { costCny: number }>>;
  preferences: Partial<Record<ElectronicChannel, Partial<Record<UsageIndicator, Range[]>>>>;
  highValueTiers: string[];
  saturatedAt: number;
}

/**
 * What is wrong with one indicator's ranges: a level twice, a gap or an overlap between neighbours, a range that
 * does not start at 0 or a last one with an upper bound, `to` not above `from`, a weaker level above a stronger.
 */
export function rangeProblems(ranges: readonly Range[]): Array<{ path: Array<string | number>; message: string }> {
  const problems: Array<{ path: Array<string | number>; message: string }> = [];
  const levels = new Map<string, number>();
  ranges.forEach((r, i) => {
    if (levels.has(r.level))
      problems.push({ path: [i, 'level'], message: `${r.level} is given twice (also at ${levels.get(r.level)})` });
    levels.set(r.level, i);
    if (r.to !== undefined && r.to <= r.from)
      problems.push({ path: [i, 'to'], message: `must be above from (${r.from})` });
  });
  if (problems.length > 0) return problems;
  const order = ranges.map((r, i) => ({ ...r, i })).sort((a, b) => a.from - b.from);
  const first = order[0];
  if (first && first.from !== 0)
    problems.push({
      path: [first.i, 'from'],
      message: `counts 0 to ${first.from - 1} have no level: the lowest range starts at 0`,
    });
  for (let k = 1; k < order.length; k++) {
    const prev = order[k - 1] as (typeof order)[number];
    const next = order[k] as (typeof order)[number];
    if (prev.to === undefined)
      problems.push({
        path: [prev.i, 'to'],
        message: `overlaps ${next.level} (from ${next.from}): only the highest range may be open`,
      });
    else if (prev.to > next.from)
      problems.push({ path: [next.i, 'from'], message: `overlaps ${prev.level} (${prev.from} to ${prev.to - 1})` });
    else if (prev.to < next.from)
      problems.push({
        path: [next.i, 'from'],
        message: `counts ${prev.to} to ${next.from - 1} have no level: ${prev.level} ends at ${prev.to}, ${next.level} starts at ${next.from}`,
      });
    if (LEVEL_ORDER.indexOf(next.level) > LEVEL_ORDER.indexOf(prev.level))
      problems.push({
        path: [next.i, 'level'],
        message: `${next.level} above ${prev.level}: stronger levels take higher counts`,
      });
  }
  const last = order[order.length - 1];
  if (last && last.to !== undefined)
    problems.push({
      path: [last.i, 'to'],
      message: `counts from ${last.to} up have no level: the highest range has no "to"`,
    });
  return problems;
}

/** A checked table, ready to steer by. */
export interface SteeringTable {
  services: ReadonlyArray<{
    service: SteeringService;
    label: SteeringLabel;
    rule: DiversionRule;
    channels: readonly SteeringChannel[];
  }>;
  cost: Readonly<Partial<Record<SteeringChannel, number>>>;
  preferences: Readonly<Partial<Record<ElectronicChannel, Partial<Record<UsageIndicator, readonly Range[]>>>>>;
  highValueTiers: ReadonlySet<string>;
  saturatedAt: number;
}

/** The table, or its problems with their paths. */
export function checkSteeringTable(
  input: unknown,
): { ok: true; table: SteeringTable } | { ok: false; problems: Problem[] } {
  const parsed = SteeringTableSchema.safeParse(input);
  if (!parsed.success) return { ok: false, problems: problemsOf(parsed.error, input) };
  const t = parsed.data;
  return {
    ok: true,
    table: {
      // In the guideline's order, whatever the order of the keys.
      services: STEERING_SERVICES.flatMap((service) => {
        const row = t.services[service];
        return row ? [{ service, label: row.label, rule: row.rule, channels: row.channels }] : [];
      }),
      cost: Object.fromEntries(Object.entries(t.channels).map(([c, v]) => [c, v?.costCny ?? 0])),
      preferences: t.preferences,
      highValueTiers: new Set(t.highValueTiers),
      saturatedAt: t.saturatedAt,
    },
  };
}

/** The level a count falls in, by an indicator's ranges (checked: exactly one holds). */
export function levelOf(ranges: readonly Range[], count: number): PreferenceLevel {
  for (const r of ranges) if (count >= r.from && (r.to === undefined || count < r.to)) return r.level;
  return 'WEAK';
}
