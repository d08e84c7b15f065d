/**
 * Placing an order (the product a customer's "Y" asks for) through the protected path, as a contact is recorded
 * (gateway/touchpoints/): the adapter command `placeOrder`, sent by `Source.command` (its payload checked against the
 * command's schema, then bulkhead, breaker, deadline, retries with the idempotency key), then the records it changes
 * (`invalidates`) evicted in every instance. The gateway names no backend: the order goes to the source whose adapter
 * offers a command of that name (the first in configuration order, should several).
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Invalidator } from '../../backends/invalidation';
import type { Source } from '../../backends/source';
import type { UnavailableReason } from '../../errors';

/** The adapter command an order is sent as. */
export const PLACE_ORDER_COMMAND = 'placeOrder';

export interface Order {
  customerId: string;
  /** The catalogue's code of the product, e.g. DATA-HKMO. */
  offerCode: string;
}

/** What an order came to; `placeOrder` never rejects. */
export type OrderOutcome =
  /** The backend placed it (or had placed it for this key before: the same answer). */
  | { status: 'PLACED'; source: string; productId: string | null }
  /** Refused for good: the backend does not know the customer (`not_found`) or refused the order (`invalid`). */
  | { status: 'REJECTED'; detail: 'not_found' | 'invalid'; message: string }
  /**
   * Not placed now (backend down or slow, breaker open, bulkhead full), or no source takes orders (`no_source`):
   * place it again later with the same idempotency key; it is placed once.
   */
  | { status: 'UNAVAILABLE'; reason: UnavailableReason | 'no_source'; message: string };

/** The running gateway's sources and invalidator, read when an order is placed (they change with the runtime). */
export interface OrderDeps {
  readonly sources: readonly Source[];
  readonly invalidator: Pick<Invalidator, 'evict'>;
  readonly logger: Logger;
}

const CUSTOMER_ID = /^[\w-]{1,64}$/;
/** As a header value must be: 1 to 128 printable ASCII characters without spaces. */
const IDEMPOTENCY_KEY = /^[\x21-\x7e]{1,128}$/;

/** The source that takes orders: the first whose adapter offers the command `placeOrder`. */
export function orderSource(sources: readonly Source[]): Source | undefined {
  return sources.find((s) => s.adapter.commands?.[PLACE_ORDER_COMMAND] !== undefined);
}

/**
 * Places one order, once per idempotency key as the backend sees it: the key goes with every attempt (the CRM's
 * `Idempotency-Key`), so a retry, a redelivered reply or a second instance never places a second product. Use a key
 * that names what asks for the order (e.g. `order:<replyId>`).
 */
export async function placeOrder(
  deps: OrderDeps,
  order: Order,
  idempotencyKey: string,
  options: { requestId?: string } = {},
): Promise<OrderOutcome> {
  const source = orderSource(deps.sources);
  if (!source)
    return {
      status: 'UNAVAILABLE',
      reason: 'no_source',
      message: `No source offers the command ${PLACE_ORDER_COMMAND}.`,
    };
  if (!CUSTOMER_ID.test(order.customerId))
    return {
      status: 'REJECTED',
      detail: 'invalid',
      message: 'customerId must be 1 to 64 letters, digits, "-" or "_", e.g. C00000001.',
    };
  if (!IDEMPOTENCY_KEY.test(idempotencyKey))
    return {
      status: 'REJECTED',
      detail: 'invalid',
      message: 'The idempotency key must be 1 to 128 printable ASCII characters without spaces.',
    };
  const outcome = await source.command(
    PLACE_ORDER_COMMAND,
    order.customerId,
    { offerCode: order.offerCode },
    { requestId: options.requestId ?? `order-${randomUUID()}`, idempotencyKey },
  );
  if (!outcome.ok)
    return outcome.rejected
      ? { status: 'REJECTED', detail: outcome.detail, message: outcome.message }
      : {
          status: 'UNAVAILABLE',
          reason: outcome.reason,
          message: `${source.name} could not take the order now (${outcome.reason}); place it again with the same key.`,
        };
  const resources = source.adapter.commands?.[PLACE_ORDER_COMMAND]?.invalidates ?? [];
  if (resources.length > 0) {
    const told = await deps.invalidator
      .evict(
        source.name,
        resources.map((resource) => ({ resource, key: order.customerId })),
      )
      .catch(() => false);
    if (!told)
      deps.logger.warn(
        { source: source.name, customerId: order.customerId },
        'an order could not be announced to every instance; their cache entries expire by TTL',
      );
  }
  const value = outcome.value as { productId?: unknown } | null;
  return {
    status: 'PLACED',
    source: source.name,
    productId: typeof value?.productId === 'string' ? value.productId : null,
  };
}
