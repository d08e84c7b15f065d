/**
 * A campaign to selected customers, as data: the definitions kind `campaign` (`/admin/campaigns/<id>`: versions, who
 * and when, history, rollback, every instance). Validated with zod, every problem with its path; the audience's
 * conditions are checked against the fields the audience source offers (its adapter's `audience.fields`).
 *
 *     { "id": "hkmo-roaming-2026w49", "name": "港澳漫游流量包 冬季推广",
 *       "audience": { "where": { "all": [
 *         { "field": "tags", "operator": "contains", "value": "frequent traveller to Hong Kong/Macau" },
 *         { "field": "churnProbability", "operator": "lessThan", "value": 0.5 } ] } },
 *       "offer": { "code": "DATA-HKMO", "name": "港澳漫游流量包", "confirmBy": "SMS_REPLY" },
 *       "messages": { "SMS": "尊敬的{{customer.title}}，{{offer.name}}每月25元，回复Y订购，回复N不再推荐。" },
 *       "channels": { "plan": "PREFERRED", "fallback": "SMS" },
 *       "schedule": { "start": "2026-12-07T09:00:00+08:00", "end": "2026-12-14T20:00:00+08:00", "sendAt": "bestTime" },
 *       "throttle": { "sendsPerSecond": 50, "viewLoadsPerSecond": 50 },
 *       "controlShare": 0.1, "responseWindowHours": 48 }
 */
import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { Problem } from '../../definitions';
import { OFFER_CHANNELS, type OfferChannel } from '../rules/definition';
import { insideWindows, WindowSchema } from '../channels/contact-policy';
import { localHour } from '../../local-time';

const CODE = z.string().regex(/^[\w.-]{1,64}$/, '1 to 64 letters, digits, ".", "_" or "-"');
const isoDateTime = z
  .string()
  .regex(/^\d{4}-\d\d-\d\dT\d\d:\d\d(:\d\d(\.\d+)?)?(Z|[+-]\d\d:\d\d)$/, 'an ISO 8601 date-time with its offset')
  .refine((v) => !Number.isNaN(Date.parse(v)), 'a real date and time');

/** What a message may name: `{{customer.title}}` is the surname and 先生/女士 (or 客户 when the gender is unknown). */
export const PLACEHOLDERS = [
  'customer.title',
  'customer.surname',
  'offer.name',
  'offer.code',
  'campaign.name',
] as const;
const PLACEHOLDER = /\{\{\s*([^}]*?)\s*\}\}/g;

export const CampaignSchema = z
  .object({
    id: CODE,
    /** For people, in the console and the reports. */
    name: z.string().min(1).max(100),
    description: z.string().max(1000).optional(),
    audience: z
      .object({
        /** The source whose `audience` extraction selects the customers; default: the one source that offers one. */
        source: z
          .string()
          .regex(/^[a-z][a-z0-9]{0,31}$/)
          .optional(),
        /** Conditions over the source's audience fields (marketing/conditions/). */
        where: z.unknown(),
      })
      .strict(),
    offer: z
      .object({
        /** The catalogue offer code (the CRM's), e.g. DATA-HKMO. */
        code: CODE,
        name: z.string().min(1).max(100),
        /** `upsell` (default): never to a suspended customer or one in arrears; `care`: a service offer. */
        kind: z.enum(['upsell', 'care']).default('upsell'),
        /** SMS_REPLY: a "Y" reply places the order through the CRM; NONE: the message informs only. Default SMS_REPLY. */
        confirmBy: z.enum(['SMS_REPLY', 'NONE']).default('SMS_REPLY'),
      })
      .strict(),
    /** The text per channel, Chinese, with placeholders; at least one channel. */
    messages: z
      .object({ SMS: z.string().min(1).max(500), PUSH: z.string().min(1).max(500), EMAIL: z.string().min(1).max(2000) })
      .partial()
      .strict()
      .refine((m) => Object.keys(m).length > 0, 'a message for at least one channel (SMS, PUSH, EMAIL)'),
    channels: z
      .object({
        /** PREFERRED: the customer's strongest electronic channel that has a message; else the fallback. */
        plan: z.enum(['PREFERRED', 'FALLBACK_ONLY']).default('PREFERRED'),
        /** The channel when the preferred one has no message (or for FALLBACK_ONLY). Default SMS. */
        fallback: z.enum(OFFER_CHANNELS).default('SMS'),
      })
      .strict()
      .default({}),
    schedule: z
      .object({
        start: isoDateTime,
        end: isoDateTime,
        /** Sending windows in the operator's time zone; none: any time outside the contact policy's quiet hours. */
        windows: z.array(WindowSchema).max(14).optional(),
        /**
         * When each target is sent to. `windows` (default): within the sending windows. `bestTime`: within the
         * target's best contact hours (Customer.bestContactTime: the local hours it answered contacts in, never a
         * quiet hour) when it has any, else within the sending windows. The schedule's start and end, and the
         * contact policy, hold either way.
         */
        sendAt: z.enum(['windows', 'bestTime']).default('windows'),
      })
      .strict()
      .refine((s) => Date.parse(s.end) > Date.parse(s.start), { message: 'end must be after start', path: ['end'] }),
    throttle: z
      .object({
        /** Most messages per second, per instance, to protect the channel gateway. 1 to 1000. */
        sendsPerSecond: z.number().int().min(1).max(1000),
        /** Most live view loads per second, per instance, to protect production. 1 to 1000. */
        viewLoadsPerSecond: z.number().int().min(1).max(1000),
      })
      .strict(),
    /** Share of the audience selected but never contacted: the baseline lift is measured against. 0 to 0.5, default 0.1. */
    controlShare: z.number().min(0).max(0.5).default(0.1),
    /** How long a response is awaited after the message; then NO_RESPONSE. Hours, 1 to 720, default 48. */
    responseWindowHours: z.number().int().min(1).max(720).default(48),
  })
  .strict();

export type Campaign = z.output<typeof CampaignSchema>;

/** The schema's problems, and each message's unknown placeholders, with their paths. */
export function campaignProblems(input: unknown, name: string): { campaign?: Campaign; problems: Problem[] } {
  const parsed = CampaignSchema.safeParse(input);
  if (!parsed.success)
    return {
      problems: parsed.error.issues.slice(0, 20).map((i) => ({
        path: i.path.join('.') || '(campaign)',
        message: i.message,
        ...('expected' in i ? { expected: String(i.expected) } : {}),
        ...('received' in i ? { given: String(i.received) } : {}),
      })),
    };
  const campaign = parsed.data;
  const problems: Problem[] = [];
  if (campaign.id !== name)
    problems.push({
      path: 'id',
      message: `must be "${name}", the name in the path`,
      expected: name,
      given: campaign.id,
    });
  for (const [channel, text] of Object.entries(campaign.messages)) {
    for (const [, placeholder] of (text ?? '').matchAll(PLACEHOLDER)) {
      if (!(PLACEHOLDERS as readonly string[]).includes(placeholder ?? ''))
        problems.push({
          path: `messages.${channel}`,
          message: `unknown placeholder {{${placeholder}}}`,
          expected: PLACEHOLDERS.map((p) => `{{${p}}}`).join(', '),
          given: `{{${placeholder}}}`,
        });
    }
  }
  return { campaign, problems };
}

/** What a message is filled with: from the live view as the marketing role reads it (the name masked but for the surname). */
export interface MessageFacts {
  surname: string | null;
  gender: string | null;
}

/** The message as the customer reads it. */
export function renderMessage(template: string, campaign: Campaign, facts: MessageFacts): string {
  const honorific =
    facts.gender === 'M' || facts.gender === '男'
      ? '先生'
      : facts.gender === 'F' || facts.gender === '女'
        ? '女士'
        : '';
  const title = facts.surname ? `${facts.surname}${honorific || '先生/女士'}` : '客户';
  const values: Record<(typeof PLACEHOLDERS)[number], string> = {
    'customer.title': title,
    'customer.surname': facts.surname ?? '',
    'offer.name': campaign.offer.name,
    'offer.code': campaign.offer.code,
    'campaign.name': campaign.name,
  };
  return template.replace(PLACEHOLDER, (_all, path: string) => values[path as keyof typeof values] ?? '');
}

/** The channel for one customer: the strongest electronic one with a message (preference.ts), else the fallback. */
export function channelFor(campaign: Campaign, preferred: OfferChannel | null): OfferChannel {
  if (campaign.channels.plan === 'PREFERRED' && preferred && campaign.messages[preferred]) return preferred;
  return campaign.channels.fallback;
}

/** Whether `at` is inside one of the campaign's sending windows (none: always), in `timeZone`. */
export function inSendingWindow(campaign: Campaign, at: Date, timeZone: string): boolean {
  const windows = campaign.schedule.windows;
  return !windows || windows.length === 0 || insideWindows(at, windows, timeZone);
}

/** One target's best contact hours, as `Customer.bestContactTime` gives them: local hours 0 to 23 in `timeZone`. */
export interface BestHours {
  timeZone: string;
  hours: readonly number[];
}

/**
 * Why one target may not be sent to at `at`, or null when it may: under `sendAt: "bestTime"` a target with best
 * contact hours is sent to inside one of them only (OUTSIDE_BEST_TIME), whatever the sending windows say; any other
 * target inside the sending windows (OUTSIDE_WINDOW). `best` is null when the target's best time is not known.
 */
export function sendingRefusal(
  campaign: Campaign,
  at: Date,
  timeZone: string,
  best: BestHours | null,
): 'OUTSIDE_BEST_TIME' | 'OUTSIDE_WINDOW' | null {
  if (campaign.schedule.sendAt === 'bestTime' && best && best.hours.length > 0)
    return best.hours.includes(localHour(at, best.timeZone)) ? null : 'OUTSIDE_BEST_TIME';
  return inSendingWindow(campaign, at, timeZone) ? null : 'OUTSIDE_WINDOW';
}

/**
 * How long from `at` until the next of the best hours starts (by the campaigns' clock), in ms; the hours are stepped
 * on the UTC hour, which is the local hour in zones of whole-hour offsets. Null when there is none within two days.
 */
export function untilBestHour(at: Date, best: BestHours): number | null {
  const hour = 3_600_000;
  for (let start = Math.floor(at.getTime() / hour) * hour, i = 0; i < 48; i++, start += hour)
    if (best.hours.includes(localHour(new Date(start), best.timeZone))) return Math.max(0, start - at.getTime());
  return null;
}

/**
 * Stable membership of the control group: a hash of the campaign and the customer, so the same customer is in it on
 * every instance and every run of the selection, and about `share` of the audience is.
 */
export function inControl(campaignId: string, customerId: string, share: number): boolean {
  if (share <= 0) return false;
  const digest = createHash('sha256').update(`${campaignId}:${customerId}`).digest();
  return digest.readUInt32BE(0) / 2 ** 32 < share;
}
