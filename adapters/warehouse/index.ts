/**
 * Enterprise data warehouse (REST/JSON): consumption history and mined insights from the nightly batch.
 * Changes once a night, so its cache TTL is hours.
 */
import { z } from 'zod';
import { defineAdapter, field, getJson, jsonHttpClient, resource, type JsonClient } from '../../gateway/backends';
import { schemaFile } from '../../schemas';

// The nightly batch's record in the EDW's own snake_case; checked after every fetch, extra fields pass.
const EdwRecord = z
  .object({
    customer_id: z.string(),
    batch_date: z.string(),
    arpu_3m: z.array(z.object({ month: z.string(), arpu: z.number() }).passthrough()),
    usage_mix: z
      .object({ data_pct: z.number(), voice_pct: z.number(), local_pct: z.number(), long_distance_pct: z.number() })
      .passthrough(),
    roaming_destinations: z.array(z.string()),
    tags: z.array(z.string()),
    segment: z.string(),
    churn_probability: z.number(),
    lifetime_value: z.number(),
    loyalty_years: z.number(),
    campaign_responses_12m: z.number(),
    channel_preferences: z.array(z.object({ channel: z.string(), level: z.string() }).passthrough()),
  })
  .passthrough();

export default defineAdapter<JsonClient>({
  name: 'warehouse',
  description: 'Data warehouse: ARPU, usage mix, roaming, tags, segment, churn, lifetime value, channel preferences',
  typeDefs: schemaFile('insights.graphql'),
  connect: ({ url }) => jsonHttpClient(url),
  close: (client) => client.destroy(),
  resources: {
    insights: resource({
      fetch: (client: JsonClient, id, ctx) =>
        getJson(client, `/edw/v1/customer-insights/${encodeURIComponent(id)}`, ctx),
      schema: EdwRecord,
      toRecord: (r) => ({
        batchDate: r.batch_date,
        arpu: r.arpu_3m.map((m) => ({ month: m.month, amount: m.arpu })),
        usageMix: {
          dataPercent: r.usage_mix.data_pct,
          voicePercent: r.usage_mix.voice_pct,
          localPercent: r.usage_mix.local_pct,
          longDistancePercent: r.usage_mix.long_distance_pct,
        },
        roamingDestinations: r.roaming_destinations,
        tags: r.tags,
        segment: r.segment,
        churnProbability: r.churn_probability,
        lifetimeValue: r.lifetime_value,
        loyaltyYears: r.loyalty_years,
        campaignResponsesLast12Months: r.campaign_responses_12m,
        channelPreferences: r.channel_preferences.map((c) => ({ channel: c.channel, level: c.level })),
      }),
    }),
  },
  fields: { insights: field('insights') },
});
