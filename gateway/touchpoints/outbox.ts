/**
 * The outbox: commands waiting for their backend, delivered in order per customer, exactly once as the backend sees
 * it. A row is written in the same transaction as its touchpoint, so nothing accepted is lost to a crash; every
 * delivery of it carries the same idempotency key (the touchpoint's id), so a delivery repeated after a crash or an
 * expired lease is recorded once by the backend.
 *
 * Claiming (`claim`): only the head of each customer's queue (no earlier pending row of that customer) that is due
 * and not leased, `FOR UPDATE SKIP LOCKED` so that instances polling together on PostgreSQL never claim the same row,
 * and a lease (`locked_until`) that holds it while it is delivered: the next row of that customer waits until the
 * head is delivered or refused for good, which keeps the order. On PGlite there is one instance (its folder is
 * locked), and the same SQL runs.
 */
import { sql } from 'drizzle-orm';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config';
import type { Invalidator } from '../backends/invalidation';
import type { Metrics } from '../metrics';
import type { Source } from '../backends/source';
import { rowsOf, storeErrorForLog, type Store } from '../store';

export type OutboxSettings = GatewayConfig['touchpoints']['outbox'];

export interface OutboxRow {
  id: number;
  touchpointId: string;
  source: string;
  command: string;
  customerId: string;
  idempotencyKey: string;
  payload: unknown;
  attempts: number;
}

export interface DeliveryDeps {
  store: Store;
  sources: readonly Source[];
  invalidator: Invalidator;
  metrics: Metrics;
  logger: Logger;
  settings: OutboxSettings;
  /**
   * Told of a touchpoint the system of record refused for good (not retried), e.g. to follow it up as an exception.
   * Its failure never fails the delivery: it is logged.
   */
  onRejected?: (rejected: {
    touchpointId: string;
    customerId: string;
    source: string;
    message: string;
  }) => Promise<void>;
}

export type Delivery =
  | { result: 'delivered'; contactId: string | null }
  | { result: 'rejected'; detail: 'not_found' | 'invalid'; message: string }
  | { result: 'failed'; reason: string };

/** The rows of a raw query, on either engine (node-postgres and PGlite both answer `{ rows }`). */
export { rowsOf };

const toRow = (r: Record<string, unknown>): OutboxRow => ({
  id: Number(r.id),
  touchpointId: String(r.touchpoint_id),
  source: String(r.source),
  command: String(r.command),
  customerId: String(r.customer_id),
  idempotencyKey: String(r.idempotency_key),
  payload: typeof r.payload === 'string' ? (JSON.parse(r.payload) as unknown) : r.payload,
  attempts: Number(r.attempts),
});

/** Claims up to `limit` due heads of customer queues for `leaseMs`. */
export async function claim(store: Store, limit: number, leaseMs: number): Promise<OutboxRow[]> {
  const result = await store.db.execute(sql`
    UPDATE outbox SET locked_until = now() + make_interval(secs => ${leaseMs / 1000})
    WHERE id IN (
      SELECT o.id FROM outbox o
      WHERE o.state = 'pending' AND o.next_attempt_at <= now() AND (o.locked_until IS NULL OR o.locked_until < now())
        AND NOT EXISTS (SELECT 1 FROM outbox p WHERE p.customer_id = o.customer_id AND p.state = 'pending' AND p.id < o.id)
      ORDER BY o.id
      LIMIT ${limit}
      FOR UPDATE SKIP LOCKED
    )
    RETURNING id, touchpoint_id, source, command, customer_id, idempotency_key, payload, attempts`);
  return rowsOf<Record<string, unknown>>(result)
    .map(toRow)
    .sort((a, b) => a.id - b.id);
}

/**
 * Delivers one claimed row and records what came of it: delivered (touchpoint RECORDED, the records the command
 * changes evicted in every instance), refused for good (REJECTED, the customer's next row may go), or failed (tried
 * again after a backoff, the lease released).
 */
export async function deliver(deps: DeliveryDeps, row: OutboxRow): Promise<Delivery> {
  const { store, metrics, settings } = deps;
  const source = deps.sources.find((s) => s.name === row.source);
  const outcome = source
    ? await source.command(row.command, row.customerId, row.payload, {
        requestId: `outbox-${row.id}`,
        idempotencyKey: row.idempotencyKey,
      })
    : ({ ok: false, rejected: false, reason: 'error', latencyMs: null } as const);
  if (outcome.ok) {
    const value = outcome.value as { contactId?: unknown } | null;
    const contactId = typeof value?.contactId === 'string' ? value.contactId : null;
    await store.db.transaction(async (tx) => {
      await tx.execute(
        sql`UPDATE outbox SET state = 'delivered', delivered_at = now(), locked_until = NULL, attempts = attempts + 1, last_error = NULL WHERE id = ${row.id}`,
      );
      await tx.execute(
        sql`UPDATE touchpoints SET status = 'RECORDED', contact_id = ${contactId}, recorded_at = now() WHERE id = ${row.touchpointId}`,
      );
    });
    metrics.outboxDeliveries.inc({ source: row.source, result: 'delivered' });
    const resources = source?.adapter.commands?.[row.command]?.invalidates ?? [];
    if (source && resources.length > 0) {
      const told = await deps.invalidator.evict(
        source.name,
        resources.map((resource) => ({ resource, key: row.customerId })),
      );
      if (!told)
        deps.logger.warn(
          { source: source.name, customerId: row.customerId },
          'a recorded change could not be announced to every instance; their cache entries expire by TTL',
        );
    }
    return { result: 'delivered', contactId };
  }
  if (outcome.rejected) {
    await store.db.transaction(async (tx) => {
      await tx.execute(
        sql`UPDATE outbox SET state = 'rejected', locked_until = NULL, attempts = attempts + 1, last_error = ${outcome.message} WHERE id = ${row.id}`,
      );
      await tx.execute(sql`UPDATE touchpoints SET status = 'REJECTED' WHERE id = ${row.touchpointId}`);
    });
    metrics.outboxDeliveries.inc({ source: row.source, result: 'rejected' });
    await deps
      .onRejected?.({
        touchpointId: row.touchpointId,
        customerId: row.customerId,
        source: row.source,
        message: outcome.message,
      })
      .catch((err: unknown) =>
        deps.logger.error({ err, touchpointId: row.touchpointId }, 'a rejected touchpoint was not followed up'),
      );
    return { result: 'rejected', detail: outcome.detail, message: outcome.message };
  }
  const waitMs =
    Math.min(settings.maxBackoffMs, settings.backoffMs * 2 ** Math.min(row.attempts, 20)) * (0.5 + Math.random() / 2);
  await store.db.execute(sql`
    UPDATE outbox SET attempts = attempts + 1, locked_until = NULL, last_error = ${outcome.reason},
      next_attempt_at = now() + make_interval(secs => ${waitMs / 1000})
    WHERE id = ${row.id}`);
  metrics.outboxDeliveries.inc({ source: row.source, result: 'failed' });
  return { result: 'failed', reason: outcome.reason };
}

/** Items waiting, and the age of the oldest, in seconds. */
export async function backlog(store: Store): Promise<{ depth: number; oldestAgeSeconds: number }> {
  const [row] = rowsOf<{ depth: unknown; age: unknown }>(
    await store.db.execute(
      sql`SELECT count(*)::int AS depth, COALESCE(EXTRACT(EPOCH FROM now() - min(created_at)), 0)::float8 AS age FROM outbox WHERE state = 'pending'`,
    ),
  );
  return { depth: Number(row?.depth ?? 0), oldestAgeSeconds: Number(row?.age ?? 0) };
}

export interface OutboxWorker {
  /** Polls now rather than at the next tick (a contact was just accepted). */
  wake(): void;
  /** Stops polling and waits for the deliveries in progress. */
  close(): Promise<void>;
}

/**
 * The delivery loop: claim a batch, deliver its rows concurrently (one per customer, so order holds), poll again at
 * once while there was work, else after `pollMs`. Safe with several instances on PostgreSQL (see `claim`).
 */
export function startOutboxWorker(deps: DeliveryDeps): OutboxWorker {
  const { settings, logger, metrics } = deps;
  let closed = false;
  let timer: NodeJS.Timeout | undefined;
  let running: Promise<void> | undefined;
  let wakeRequested = false;

  const tick = async (): Promise<void> => {
    let worked = false;
    try {
      const rows = await claim(deps.store, settings.batchSize, settings.leaseMs);
      worked = rows.length > 0;
      await Promise.all(
        rows.map((row) =>
          deliver(deps, row).catch((err: unknown) =>
            logger.warn(
              { err: storeErrorForLog(err), outboxId: row.id },
              'outbox delivery could not be recorded; retried after its lease',
            ),
          ),
        ),
      );
      const { depth, oldestAgeSeconds } = await backlog(deps.store);
      metrics.outboxDepth.set(depth);
      metrics.outboxOldestAge.set(oldestAgeSeconds);
    } catch (err) {
      if (!closed) logger.warn({ err: storeErrorForLog(err) }, 'outbox poll failed; polling again');
    }
    schedule(worked || wakeRequested ? 0 : settings.pollMs);
  };
  const schedule = (ms: number): void => {
    if (closed) return;
    wakeRequested = false;
    timer = setTimeout(() => {
      timer = undefined;
      running = tick().finally(() => {
        running = undefined;
      });
    }, ms);
    timer.unref();
  };
  schedule(0);
  return {
    wake() {
      if (closed) return;
      if (timer && !running) {
        clearTimeout(timer);
        schedule(0);
      } else wakeRequested = true;
    },
    async close() {
      closed = true;
      if (timer) clearTimeout(timer);
      await running;
    },
  };
}
