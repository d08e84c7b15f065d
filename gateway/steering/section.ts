/**
 * The `steering` section of the customer view (schemas/steering.graphql), computed in the gateway so that every
 * consumer (GraphQL, SOAP, the desk, rules) gets the same lines.
 *
 * It reads two sections through the request's context, as their own resolvers would (each record once per
 * request, through the source's protected path): `insights` (the warehouse's channel counts) and `score` (the value
 * tier); and the channel systems' load through its own source (`steering.load`, the same protected path: short
 * cache, breaker, deadline). Neither missing section nor a load source that is down keeps it from answering: the
 * inputs say what was not known, and each line's reason says it too. The root starts the two sections' loads with
 * the query's others (`reads`), so asking for steering costs no extra round trip.
 *
 * Rights: the section is one Customer field like the others (`Customer.steering` in a role's fields). It is computed
 * from insights and score: a role that may read neither should not read it (the default roles deny it where they
 * deny those).
 */
import type { IResolvers } from '@graphql-tools/utils';
import { schemaFile } from '../../schemas';
import { gatewayError } from '../errors';
import type { Outcome, Source } from '../backends/source';
import type { GraphQLContext } from '../view';
import { STEERING_BASES, STEERING_CHANNELS, USAGE_INDICATORS } from '../labels/steering';
import type { SteeringTable } from './definition';
import { singleHolder, type SingleHolder } from '../definitions';
import { basisOf, preferencesOf, steer, type ChannelUsage, type LoadReading } from './recommend';

/** The steering table in force, swapped whole when a `steering` definition changes (kind.ts). */
export type SteeringHolder = SingleHolder<SteeringTable>;

export const steeringHolder = (configured: SteeringTable): SteeringHolder => singleHolder(configured);

/** The Customer fields the section reads. */
export const STEERING_READS = { steering: ['insights', 'score'] } as const;

/** The resource the load source's adapter answers the load with, and its one key. */
export const LOAD_RESOURCE = 'load';
const LOAD_KEY = 'current';

interface CustomerRef {
  id: string;
}

/** The value of one Customer section as its own resolver would give it, or null (not known, not answered). */
async function sectionValue(
  ctx: GraphQLContext,
  field: string,
  customerId: string,
): Promise<Outcome & { section?: unknown }> {
  const source = ctx.ucv.sources.find((s) => Object.hasOwn(s.adapter.fields, field));
  const binding = source?.adapter.fields[field];
  if (!source || !binding) return { ok: false, reason: 'error', latencyMs: null };
  const outcome = await ctx.ucv.load(source, binding.resource, customerId, customerId);
  if (!outcome.ok || outcome.value === null) return outcome;
  return { ...outcome, section: binding.select ? binding.select(outcome.value as never) : outcome.value };
}

const loadReadings = (value: unknown): LoadReading[] | null => {
  const channels = (value as { channels?: unknown } | null)?.channels;
  return Array.isArray(channels) ? (channels as LoadReading[]) : null;
};

/** The schema's part of steering: its SDL and its resolver, reading the table in force at each request. */
export function steeringExtension(holder: SteeringHolder, loadSource: Source | null) {
  const typeDefs = schemaFile('steering.graphql');
  const resolvers: IResolvers = {
    Customer: {
      steering: async (customer: CustomerRef, args: { service?: string | null }, ctx: GraphQLContext) => {
        // The lines depend on the table in force and the load now, not only on the records loaded: never kept.
        ctx.ucv.volatile = true;
        const table = holder.current;
        const asked = args.service ?? null;
        const rows = asked === null ? table.services : table.services.filter((r) => r.service === asked);
        if (asked !== null && rows.length === 0)
          throw gatewayError(
            `No service ${JSON.stringify(asked)} in the steering table; services are ${table.services.map((r) => r.service).join(', ')}.`,
            { code: 'BAD_USER_INPUT', argument: 'service' },
          );
        const [insights, score, load] = await Promise.all([
          sectionValue(ctx, 'insights', customer.id),
          sectionValue(ctx, 'score', customer.id),
          loadSource ? ctx.ucv.load(loadSource, LOAD_RESOURCE, LOAD_KEY) : null,
        ]);
        if (insights.ok && score.ok && insights.value === null && score.value === null)
          throw gatewayError(`No system knows customer ${customer.id}.`, { code: 'NOT_FOUND' });
        const usage = (insights.section as { channelUsage?: ChannelUsage | null } | undefined)?.channelUsage ?? null;
        const valueTier = (score.section as { valueTier?: string } | undefined)?.valueTier ?? null;
        const readings = load?.ok ? loadReadings(load.value) : null;
        const inputs = { valueTier, usage, load: readings };
        const preferences = usage ? preferencesOf(table, usage) : [];
        const basis = basisOf(table, valueTier);
        return {
          inputs: {
            valueTier,
            highValue: basis === 'PREFERENCE',
            basis,
            basisLabel: STEERING_BASES[basis],
            preferencesKnown: usage !== null,
          },
          preferences: preferences.map((p) => ({
            ...p,
            indicators: p.indicators.map((i) => ({ ...i, label: USAGE_INDICATORS[i.indicator] })),
          })),
          load: {
            available: readings !== null,
            status: !loadSource ? 'NOT_CONFIGURED' : load?.ok ? load.status : 'UNAVAILABLE',
            reason: load && !load.ok ? load.reason : load?.ok ? (load.reason ?? null) : null,
            fetchedAt: load?.ok ? new Date(load.fetchedAt).toISOString() : null,
            saturatedAt: table.saturatedAt,
            channels: (readings ?? [])
              .filter((r) => Object.hasOwn(STEERING_CHANNELS, r.channel))
              .map((r) => ({ ...r, saturated: r.utilisation >= table.saturatedAt })),
          },
          services: rows.map((row) => steer(table, row, inputs, preferences)),
        };
      },
    },
  };
  return { typeDefs, resolvers, reads: STEERING_READS };
}
