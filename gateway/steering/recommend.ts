/**
 * Where to steer a customer for a service, by the channel guideline: a pure function of the table, the customer's
 * value tier and monthly channel counts, and the channels' load.
 *
 *   eligible   the service's channels in the table
 *   rank       high value (table.highValueTiers): preference level first (strongest first), then cost, then the
 *              table's order; ordinary (or tier unknown): cost first, then preference, then the table's order
 *   load       a channel whose utilisation is at or above table.saturatedAt is not recommended: the first channel
 *              of the ranking that is not saturated is (every one saturated: the least loaded); with no load reading
 *              the ranking stands and the line says the load was not known
 *
 * A channel's preference level is the strongest level of its indicators (the guideline rates the web hall by GPRS
 * MB "or" data services); a channel with no indicator (the business hall, the stores) has none.
 */
import { levelOf, type SteeringService, type SteeringTable } from './definition';
import {
  LEVEL_ORDER,
  PREFERENCE_LEVELS,
  STEERING_BASES,
  STEERING_CHANNELS,
  STEERING_REASONS,
  DIVERSION_RULES,
  type ElectronicChannel,
  type PreferenceLevel,
  type SteeringBasis,
  type SteeringChannel,
  type SteeringLabel,
  type SteeringReasonCode,
  type UsageIndicator,
} from '../labels/steering';

export type ChannelUsage = Readonly<Partial<Record<UsageIndicator, number>>>;

export interface LoadReading {
  channel: string;
  measure: string;
  value: number;
  capacity: number;
  utilisation: number;
}

/** One indicator's count and the level it gives. */
export interface IndicatorLevel {
  indicator: UsageIndicator;
  count: number;
  level: PreferenceLevel;
}

export interface ComputedPreference {
  channel: ElectronicChannel;
  label: SteeringLabel;
  level: PreferenceLevel;
  levelLabel: SteeringLabel;
  indicators: IndicatorLevel[];
}

/** Each electronic channel's level from the counts, by the table's thresholds. */
export function preferencesOf(table: SteeringTable, usage: ChannelUsage): ComputedPreference[] {
  const out: ComputedPreference[] = [];
  for (const [channel, indicators] of Object.entries(table.preferences) as Array<
    [ElectronicChannel, NonNullable<SteeringTable['preferences'][ElectronicChannel]>]
  >) {
    const levels: IndicatorLevel[] = [];
    for (const [indicator, ranges] of Object.entries(indicators) as Array<
      [UsageIndicator, Parameters<typeof levelOf>[0]]
    >) {
      const count = usage[indicator];
      if (typeof count === 'number') levels.push({ indicator, count, level: levelOf(ranges, count) });
    }
    if (levels.length === 0) continue;
    const level = levels.reduce<PreferenceLevel>(
      (best, l) => (LEVEL_ORDER.indexOf(l.level) < LEVEL_ORDER.indexOf(best) ? l.level : best),
      'WEAK',
    );
    out.push({
      channel,
      label: STEERING_CHANNELS[channel],
      level,
      levelLabel: PREFERENCE_LEVELS[level],
      indicators: levels,
    });
  }
  return out;
}

export interface SteeringOption {
  channel: SteeringChannel;
  label: SteeringLabel;
  level: PreferenceLevel | null;
  costCny: number;
  utilisation: number | null;
  saturated: boolean;
}

export interface ServiceSteering {
  service: SteeringService;
  label: SteeringLabel;
  rule: string;
  ruleLabel: SteeringLabel;
  channel: SteeringChannel;
  channelLabel: SteeringLabel;
  reason: { code: SteeringReasonCode; zh: string; en: string; avoided: SteeringChannel[] };
  /** One line for the agent: where to steer, and why. */
  line: SteeringLabel;
  /** Every eligible channel, best first (saturated ones last). */
  channels: SteeringOption[];
}

export interface SteeringInputs {
  valueTier: string | null;
  /** Null: the warehouse did not answer, or its batch does not have the customer. */
  usage: ChannelUsage | null;
  /** Null: the load was not read (no load source, or it did not answer). */
  load: readonly LoadReading[] | null;
}

export function basisOf(table: SteeringTable, valueTier: string | null): SteeringBasis {
  return valueTier !== null && table.highValueTiers.has(valueTier) ? 'PREFERENCE' : 'COST';
}

const rankOfLevel = (level: PreferenceLevel | null): number =>
  level === null ? LEVEL_ORDER.length : LEVEL_ORDER.indexOf(level);

/** The line of one service for one customer. */
export function steer(
  table: SteeringTable,
  row: SteeringTable['services'][number],
  inputs: SteeringInputs,
  preferences: readonly ComputedPreference[],
): ServiceSteering {
  const basis = basisOf(table, inputs.valueTier);
  const levelOfChannel = new Map(preferences.map((p) => [p.channel as string, p.level]));
  const loadOf = new Map((inputs.load ?? []).map((l) => [l.channel, l]));
  const options: Array<SteeringOption & { order: number }> = row.channels.map((channel, order) => {
    const utilisation = loadOf.get(channel)?.utilisation ?? null;
    return {
      channel,
      label: STEERING_CHANNELS[channel],
      level: levelOfChannel.get(channel) ?? null,
      costCny: table.cost[channel] ?? 0,
      utilisation,
      saturated: utilisation !== null && utilisation >= table.saturatedAt,
      order,
    };
  });
  const byPreference = (a: SteeringOption, b: SteeringOption) => rankOfLevel(a.level) - rankOfLevel(b.level);
  const byCost = (a: SteeringOption, b: SteeringOption) => a.costCny - b.costCny;
  const ranked = [...options].sort(
    (a, b) =>
      (basis === 'PREFERENCE' ? byPreference(a, b) || byCost(a, b) : byCost(a, b) || byPreference(a, b)) ||
      a.order - b.order,
  );
  const open = ranked.filter((o) => !o.saturated);
  const chosen =
    open[0] ?? [...ranked].sort((a, b) => (a.utilisation ?? 0) - (b.utilisation ?? 0) || a.order - b.order)[0];
  const best = chosen as (typeof ranked)[number];
  const avoided = open.length === 0 ? [] : ranked.slice(0, ranked.indexOf(best)).map((o) => o.channel);
  const code: SteeringReasonCode =
    open.length === 0
      ? 'ALL_SATURATED'
      : avoided.length > 0
        ? 'NEXT_NOT_SATURATED'
        : basis === 'PREFERENCE'
          ? 'STRONGEST_PREFERENCE'
          : 'LOWEST_COST';
  const reason = reasonText(code, basis, best, avoided, inputs);
  const serviceLabel = row.label;
  return {
    service: row.service,
    label: serviceLabel,
    rule: row.rule,
    ruleLabel: DIVERSION_RULES[row.rule],
    channel: best.channel,
    channelLabel: best.label,
    reason: { code, ...reason, avoided },
    line: {
      zh: `${serviceLabel.zh}：建议引导至${best.label.zh}（${reason.zh}）`,
      en: `${serviceLabel.en}: steer to the ${best.label.en} (${reason.en})`,
    },
    channels: [...open, ...ranked.filter((o) => o.saturated)].map(({ order: _order, ...o }) => o),
  };
}

/** Why, in both languages: the basis, what decided, what was avoided, what was not known. */
function reasonText(
  code: SteeringReasonCode,
  basis: SteeringBasis,
  best: SteeringOption,
  avoided: readonly SteeringChannel[],
  inputs: SteeringInputs,
): SteeringLabel {
  const zh: string[] = [STEERING_BASES[basis].zh];
  const en: string[] = [STEERING_BASES[basis].en];
  if (code === 'ALL_SATURATED') {
    zh.push(STEERING_REASONS.ALL_SATURATED.zh);
    en.push(STEERING_REASONS.ALL_SATURATED.en);
  } else if (basis === 'PREFERENCE' && best.level !== null) {
    zh.push(`偏好${PREFERENCE_LEVELS[best.level].zh}`);
    en.push(`${PREFERENCE_LEVELS[best.level].en} preference`);
  } else {
    zh.push(`每笔成本${best.costCny.toFixed(2)}元`);
    en.push(`${best.costCny.toFixed(2)} CNY a transaction`);
  }
  if (avoided.length > 0) {
    zh.push(`${avoided.map((c) => STEERING_CHANNELS[c].zh).join('、')}繁忙已避开`);
    en.push(`avoiding the saturated ${avoided.map((c) => STEERING_CHANNELS[c].en).join(', ')}`);
  }
  if (basis === 'PREFERENCE' && inputs.usage === null) {
    zh.push('偏好数据暂缺');
    en.push('preferences not known');
  }
  if (inputs.valueTier === null) {
    zh.push('价值等级暂缺');
    en.push('value tier not known');
  }
  if (inputs.load === null) {
    zh.push('渠道负荷暂无法获取');
    en.push('channel load not known');
  }
  return { zh: zh.join('，'), en: en.join('; ') };
}
