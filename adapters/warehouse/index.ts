/**
 * Enterprise data warehouse (REST/JSON): consumption history and mined insights from the nightly batch.
 * Changes once a night, so its cache TTL is hours.
 */
import { defineAdapter, field, getJson, jsonHttpClient, type JsonClient } from '../../gateway/adapter';
import { schemaFile } from '../../schemas';

interface EdwRecord {
  customer_id: string;
  batch_date: string;
  arpu_3m: Array<{ month: string; arpu: number }>;
  usage_mix: { data_pct: number; voice_pct: number; local_pct: number; long_distance_pct: number };
  roaming_destinations: string[];
  tags: string[];
  segment: string;
  churn_probability: number;
  lifetime_value: number;
  loyalty_years: number;
  campaign_responses_12m: number;
  channel_preferences: Array<{ channel: string; level: string }>;
}

export default defineAdapter<JsonClient>({
  name: 'warehouse',
  description: 'Data warehouse: ARPU, usage mix, roaming, tags, segment, churn, lifetime value, channel preferences',
  typeDefs: schemaFile('insights.graphql'),
  connect: ({ url }) => jsonHttpClient(url),
  close: (client) => client.destroy(),
  resources: {
    insights: {
      async fetch(client, id, ctx) {
        const r = await getJson<EdwRecord>(client, `/edw/v1/customer-insights/${encodeURIComponent(id)}`, ctx);
        return (
          r && {
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
            channelPreferences: r.channel_preferences,
          }
        );
      },
    },
  },
  fields: { insights: field('insights') },
});
