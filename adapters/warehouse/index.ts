/**
 * Enterprise data warehouse (REST/JSON): consumption history and mined insights from the nightly batch.
 * Changes once a night, so its cache TTL is hours.
 *
 * It also selects customers where the data lives (`audience`: active marketing's target groups): a condition in the
 * gateway's language (gateway/marketing/conditions/) over the fields of AUDIENCE_FIELDS is translated to the EDW's
 * columns (AUDIENCE_COLUMNS) and sent to its extraction API, which counts the batch's customers it selects or
 * answers their ids a page at a time. Commands, never cached: each call asks the warehouse.
 */
import { z } from 'zod/v4';
import {
  BadResponseError,
  command,
  CommandRejectedError,
  defineAdapter,
  field,
  getJson,
  jsonHttpClient,
  postJson,
  resource,
  type CommandContext,
  type FieldCatalog,
  type JsonClient,
} from '../../gateway/backends';
import { CATALOG, labelOf, type Labels } from '../../gateway/labels';
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
    // The counts behind the preferences; a batch without them still reads (channelUsage null).
    channel_usage: z
      .object({
        bill_enquiries: z.number().int(),
        address_enquiries: z.number().int(),
        sms: z.number().int(),
        mms: z.number().int(),
        gprs_mb: z.number().int(),
        new_data_services: z.number().int(),
        ringback_changes: z.number().int(),
        wap_gprs_mb: z.number().int(),
        wap_new_data_services: z.number().int(),
        itemised_bill_prints: z.number().int(),
      })
      .passthrough()
      .optional(),
  })
  .passthrough();

// ---------------------------------------------------------------------------------------------------------
// Audience: selecting customers of the batch by condition
// ---------------------------------------------------------------------------------------------------------

/** The electronic channels a preference level is kept for (the channel guideline), by their EDW name. */
const PREFERENCE_CHANNELS = ['PHONE_HALL', 'SMS_HALL', 'WEB_HALL', 'WAP_HALL', 'SELF_SERVICE_TERMINAL'] as const;
const CHANNELS = Object.fromEntries(
  PREFERENCE_CHANNELS.map((code) => [code, labelOf('channel', code) ?? { zh: code, en: code }]),
);

const closed = (labels: Labels) => ({ values: Object.keys(labels), valueLabels: labels });

/** `SMS_HALL` → `preferenceSmsHall`: one flat field per channel, which a form lists like any other. */
const preferenceField = (channel: string): string =>
  `preference${channel
    .toLowerCase()
    .split('_')
    .map((w) => w.charAt(0).toUpperCase() + w.slice(1))
    .join('')}`;

/**
 * The fields an audience may select on, by the gateway's name. A channel's preference level is one field per
 * channel, `preference` + the channel in camel case (`preferenceSmsHall`), so that every field is a plain name a
 * form lists and json-rules-engine reads as `$.preferenceSmsHall`.
 */
export const AUDIENCE_FIELDS: FieldCatalog = {
  segment: { type: 'string', label: { zh: '客户分群', en: 'segment' }, ...closed(CATALOG.segment) },
  tags: { type: 'string[]', label: { zh: '标签', en: 'tags' }, ...closed(CATALOG.tag) },
  valueTier: { type: 'string', label: { zh: '价值等级', en: 'value tier' }, ...closed(CATALOG.valueTier) },
  churnProbability: { type: 'number', label: { zh: '流失概率', en: 'churn probability' } },
  lifetimeValue: { type: 'number', label: { zh: '客户终身价值', en: 'lifetime value' }, unit: 'CNY' },
  arpuAverage3m: { type: 'number', label: { zh: '近三月平均ARPU', en: '3-month average ARPU' }, unit: 'CNY' },
  arpuTrend: { type: 'string', label: { zh: 'ARPU趋势', en: 'ARPU trend' }, ...closed(CATALOG.trend) },
  dataPercent: { type: 'number', label: { zh: '数据业务占比', en: 'data share of usage' }, unit: '%' },
  longDistancePercent: { type: 'number', label: { zh: '长途通话占比', en: 'long-distance share of calls' }, unit: '%' },
  roamingDestinations: {
    type: 'string[]',
    label: { zh: '漫游目的地', en: 'roaming destinations' },
    valueLabels: CATALOG.roamingDestination,
  },
  ...Object.fromEntries(
    Object.entries(CHANNELS).map(([channel, name]) => [
      preferenceField(channel),
      {
        type: 'string',
        label: { zh: `${name.zh}偏好`, en: `${name.en} preference` },
        ...closed(CATALOG.preferenceLevel),
      },
    ]),
  ),
  region: { type: 'string', label: { zh: '地区', en: 'region' }, ...closed(CATALOG.region) },
  products: { type: 'string[]', label: { zh: '已订产品', en: 'products held' }, ...closed(CATALOG.offer) },
  status: { type: 'string', label: { zh: '客户状态', en: 'status' }, ...closed(CATALOG.profileStatus) },
};

/** Each field's EDW column. */
export const AUDIENCE_COLUMNS: Readonly<Record<string, string>> = {
  segment: 'segment',
  tags: 'tags',
  valueTier: 'value_tier',
  churnProbability: 'churn_probability',
  lifetimeValue: 'lifetime_value',
  arpuAverage3m: 'arpu_3m_avg',
  arpuTrend: 'arpu_trend',
  dataPercent: 'data_pct',
  longDistancePercent: 'long_distance_pct',
  roamingDestinations: 'roaming_destinations',
  ...Object.fromEntries(Object.keys(CHANNELS).map((c) => [preferenceField(c), `pref_${c.toLowerCase()}`])),
  region: 'region',
  products: 'products',
  status: 'status',
};
const FIELD_OF_COLUMN = new Map(Object.entries(AUDIENCE_COLUMNS).map(([f, c]) => [c, f]));

/** Deeper than this the warehouse refuses anyway: the rest is sent as it is, for it to say where. */
const MAX_WALK = 10;

/**
 * The condition with each leaf's `field` renamed to its EDW column; the rest of the tree as it is (the warehouse
 * judges it, and says where). A field that is not an audience field is refused here, with its path.
 */
function toColumns(node: unknown, path: string, depth = 1): unknown {
  if (node === null || typeof node !== 'object' || depth > MAX_WALK) return node;
  if (Array.isArray(node)) return node.map((child, i) => toColumns(child, `${path}.${i}`, depth));
  const record = node as Record<string, unknown>;
  if (Object.hasOwn(record, 'field')) {
    const name = record.field;
    const column = typeof name === 'string' && Object.hasOwn(AUDIENCE_COLUMNS, name) ? AUDIENCE_COLUMNS[name] : null;
    if (!column)
      throw new CommandRejectedError(`${path}.field: no audience field named ${JSON.stringify(name)}`, 'invalid');
    return { ...record, field: column };
  }
  return Object.fromEntries(
    Object.entries(record).map(([key, child]) => [key, toColumns(child, `${path}.${key}`, depth + 1)]),
  );
}

/** A refusal's message with the EDW's column names (`"churn_probability"`) put back as the gateway's fields. */
function inFieldNames(err: unknown): unknown {
  if (!(err instanceof CommandRejectedError)) return err;
  const message = err.message.replace(/"([a-z0-9_]+)"/g, (quoted, column: string) => {
    const name = FIELD_OF_COLUMN.get(column);
    return name ? `"${name}"` : quoted;
  });
  return new CommandRejectedError(message, err.detail);
}

async function extraction<T extends object>(
  client: JsonClient,
  path: string,
  body: object,
  ctx: CommandContext,
): Promise<T> {
  try {
    return await postJson<T>(client, path, body, ctx);
  } catch (err) {
    throw inFieldNames(err);
  }
}

/** The payloads, camelCase; `where` is judged by the translation and the warehouse (and best by checkCondition first). */
const Where = z.unknown().refine((w) => w !== undefined, 'required: the condition');
const AudienceCount = z.object({ where: Where }).strict();
const AudiencePage = z
  .object({
    where: Where,
    /** Ids per page, 1 to 10,000. Default 1,000. */
    pageSize: z.number().int().min(1).max(10_000).default(1_000),
    /** The previous page's `nextAfter`; absent for the first page. */
    after: z.string().max(64).optional(),
  })
  .strict();
const CountAnswer = z.object({ count: z.number().int().min(0), batch_date: z.string() }).passthrough();
const PageAnswer = z
  .object({ ids: z.array(z.string()), next_after: z.string().nullable(), batch_date: z.string() })
  .passthrough();

/** The answer checked against its shape: another shape is a bad response (a failure, never an answer). */
function checked<T>(schema: z.ZodType<T>, answer: unknown, path: string): T {
  const parsed = schema.safeParse(answer);
  if (!parsed.success) throw new BadResponseError(`${path}: answer of an unexpected shape`, 'wrong_shape');
  return parsed.data;
}

const COUNT_PATH = '/edw/v1/extractions:count';
const PAGE_PATH = '/edw/v1/extractions:page';

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
        channelUsage: r.channel_usage
          ? {
              billEnquiries: r.channel_usage.bill_enquiries,
              addressEnquiries: r.channel_usage.address_enquiries,
              sms: r.channel_usage.sms,
              mms: r.channel_usage.mms,
              gprsMb: r.channel_usage.gprs_mb,
              newDataServices: r.channel_usage.new_data_services,
              ringbackChanges: r.channel_usage.ringback_changes,
              wapGprsMb: r.channel_usage.wap_gprs_mb,
              wapNewDataServices: r.channel_usage.wap_new_data_services,
              itemisedBillPrints: r.channel_usage.itemised_bill_prints,
            }
          : null,
      }),
    }),
  },
  commands: {
    // The key is not used: a selection is about the whole batch.
    audienceCount: command({
      schema: AudienceCount,
      send: async (client: JsonClient, _key, payload, ctx) => {
        const where = toColumns(payload.where, 'where');
        const answer = checked(CountAnswer, await extraction(client, COUNT_PATH, { where }, ctx), COUNT_PATH);
        return { count: answer.count, batchDate: answer.batch_date };
      },
    }),
    audiencePage: command({
      schema: AudiencePage,
      send: async (client: JsonClient, _key, payload, ctx) => {
        const body = {
          where: toColumns(payload.where, 'where'),
          page_size: payload.pageSize,
          ...(payload.after !== undefined ? { after: payload.after } : {}),
        };
        const answer = checked(PageAnswer, await extraction(client, PAGE_PATH, body, ctx), PAGE_PATH);
        return { ids: answer.ids, nextAfter: answer.next_after, batchDate: answer.batch_date };
      },
    }),
  },
  fields: { insights: field('insights') },
  audience: { fields: AUDIENCE_FIELDS, count: 'audienceCount', page: 'audiencePage' },
});
