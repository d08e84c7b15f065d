/**
 * The customer event schema, version 1: what the network and the order systems tell the gateway happened to a
 * customer, in real time. The same JSON arrives by the signed webhook (`POST /events/network`) and from RabbitMQ.
 *
 *     { "version": 1, "id": "evt-…", "type": "ROAMING_ENTERED", "customerId": "C00000001",
 *       "at": "2026-11-24T06:00:00Z", "data": { "region": "Hong Kong" } }
 *
 * `id` is the sender's: redelivery of the same id is recognised and handled once. A later version adds a literal
 * to `version`; version 1 stays readable. What `data` holds is the event kind's (event-kind.ts): kinds are data, so
 * a new kind is registered at run time without a release.
 */
import { z } from 'zod';
import { DEFAULT_KINDS, type EventKinds } from './event-kind';

const base = {
  version: z.literal(1),
  /** The sender's id of the event: the idempotency key of its handling. */
  id: z.string().regex(/^[\w.:-]{1,128}$/, '1 to 128 letters, digits, ".", ":", "_" or "-"'),
  customerId: z.string().regex(/^[\w-]{1,64}$/, '1 to 64 letters, digits, "-" or "_", e.g. C00000001'),
  /** When it happened (ISO 8601 with an offset). */
  at: z.string().datetime({ offset: true }),
};

/** The envelope; `data` is checked against the event's kind (event-kind.ts), which `type` names. */
export const CustomerEventSchema = z
  .object({
    ...base,
    type: z.string().regex(/^[A-Z][A-Z0-9_]{1,63}$/, 'an event kind, e.g. ROAMING_ENTERED'),
    data: z.record(z.unknown()),
  })
  .strict();

export interface CustomerEvent {
  version: 1;
  id: string;
  type: string;
  customerId: string;
  at: string;
  data: Record<string, unknown>;
}

/**
 * The event, or what is wrong with it (each problem with its path), never a throw: the envelope, then a kind in
 * force for its `type` (`kinds`, the built-in ones when not given), then its data against the kind's schema.
 */
export function parseCustomerEvent(
  input: unknown,
  kinds: Pick<EventKinds, 'get' | 'types'> = DEFAULT_KINDS,
): { ok: true; event: CustomerEvent } | { ok: false; problems: string[] } {
  const parsed = CustomerEventSchema.safeParse(input);
  const problems = parsed.success
    ? []
    : parsed.error.issues.slice(0, 10).map((i) => `${i.path.join('.') || '(event)'}: ${i.message}`);
  // The data is checked against its kind even when the envelope has problems: the sender hears of all of them.
  const given = input !== null && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  if (typeof given.type === 'string' && /^[A-Z][A-Z0-9_]{1,63}$/.test(given.type)) {
    const kind = kinds.get(given.type);
    if (!kind) problems.push(`type: no event kind ${given.type}; the kinds are ${kinds.types().join(', ')}`);
    else if (given.data !== null && typeof given.data === 'object' && !Array.isArray(given.data))
      problems.push(...kind.check(given.data));
  }
  if (!parsed.success || problems.length > 0) return { ok: false, problems: problems.slice(0, 10) };
  return { ok: true, event: parsed.data as CustomerEvent };
}
