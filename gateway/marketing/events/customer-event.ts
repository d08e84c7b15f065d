/**
 * The customer event schema, version 1: what the network and the order systems tell the gateway happened to a
 * customer, in real time. The same JSON arrives by the signed webhook (`POST /events/network`) and from RabbitMQ.
 *
 *     { "version": 1, "id": "evt-…", "type": "ROAMING_ENTERED", "customerId": "C00000001",
 *       "at": "2026-11-24T06:00:00Z", "data": { "region": "Hong Kong" } }
 *
 * `id` is the sender's: redelivery of the same id is recognised and handled once. A later version adds a literal
 * to `version` and its own union; version 1 stays readable.
 */
import { z } from 'zod';

const base = {
  version: z.literal(1),
  /** The sender's id of the event: the idempotency key of its handling. */
  id: z.string().regex(/^[\w.:-]{1,128}$/, '1 to 128 letters, digits, ".", ":", "_" or "-"'),
  customerId: z.string().regex(/^[\w-]{1,64}$/, '1 to 64 letters, digits, "-" or "_", e.g. C00000001'),
  /** When it happened (ISO 8601 with an offset). */
  at: z.string().datetime({ offset: true }),
};

export const CustomerEventSchema = z.discriminatedUnion('type', [
  /** The handset registered in a region (province, or Hong Kong, Macau, abroad) other than the last one. */
  z
    .object({
      ...base,
      type: z.literal('ROAMING_ENTERED'),
      data: z.object({ region: z.string().min(1).max(64), previousRegion: z.string().max(64).optional() }).strict(),
    })
    .strict(),
  /** The handset was switched on; `missedCalls` were missed while it was off. */
  z
    .object({
      ...base,
      type: z.literal('HANDSET_ON'),
      data: z.object({ missedCalls: z.number().int().min(0).max(10_000) }).strict(),
    })
    .strict(),
  /** The customer called directory enquiries (e.g. 114). */
  z
    .object({
      ...base,
      type: z.literal('DIRECTORY_ENQUIRY'),
      data: z.object({ number: z.string().max(32).optional() }).strict(),
    })
    .strict(),
  /** The prepaid balance fell under the threshold, in CNY. */
  z
    .object({
      ...base,
      type: z.literal('BALANCE_LOW'),
      data: z.object({ balance: z.number().finite(), threshold: z.number().finite() }).strict(),
    })
    .strict(),
  /** A product was ordered. */
  z
    .object({
      ...base,
      type: z.literal('PRODUCT_ORDERED'),
      data: z.object({ productCode: z.string().min(1).max(64) }).strict(),
    })
    .strict(),
]);

export type CustomerEvent = z.infer<typeof CustomerEventSchema>;
export type CustomerEventType = CustomerEvent['type'];
export const EVENT_TYPES: readonly CustomerEventType[] = [
  'ROAMING_ENTERED',
  'HANDSET_ON',
  'DIRECTORY_ENQUIRY',
  'BALANCE_LOW',
  'PRODUCT_ORDERED',
];

/** The event, or what is wrong with it (each problem with its path), never a throw. */
export function parseCustomerEvent(
  input: unknown,
): { ok: true; event: CustomerEvent } | { ok: false; problems: string[] } {
  const parsed = CustomerEventSchema.safeParse(input);
  if (parsed.success) return { ok: true, event: parsed.data };
  return {
    ok: false,
    problems: parsed.error.issues.slice(0, 10).map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`),
  };
}
