/**
 * The one Redis connection factory, and the one deadline every Redis command races. Every Redis user of the gateway
 * (the shared cache, the replay checks of signed events and WS-Security nonces, the rate limiter, the definitions
 * store, invalidation) connects through `connectRedis`, so each connection behaves the same: no offline queue, a
 * bounded queue of commands, reconnection with capped backoff, one log line per outage.
 *
 * The deadline is ours (`withDeadline`): @redis/client drops its per-command timeout once a command is written to
 * the socket, so a Redis that stops answering on an open socket would otherwise hold the caller for the whole stall.
 */
import { createClient } from 'redis';
import type { Logger } from 'pino';

export class RedisDeadlineError extends Error {
  readonly code = 'EREDISDEADLINE';
}

/**
 * Resolves or rejects as `work` does, or rejects with RedisDeadlineError once `ms` have passed without a reply,
 * whichever comes first. The losing promise's outcome is swallowed, so an abandoned command never becomes an
 * unhandled rejection.
 *
 * A busy event loop is not a slow Redis: when the loop was held past the deadline (a burst of requests on two
 * cores), the reply may be sitting unread in the socket. So the deadline is judged after the loop's next poll
 * phase has read what arrived (`setImmediate` runs after it): a reply that came in time is never taken for a stall.
 */
export function withDeadline<T>(work: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  let settled = false;
  const done = (): void => void (settled = true);
  work.then(done, done);
  const late = new Promise<never>((_, reject) => {
    let rearmed = false;
    const arm = (after: number): void => {
      const due = performance.now() + after;
      timer = setTimeout(() => {
        // A timer that fires long after it was due means the loop was held: the client writes a command only in
        // a later turn (@redis/client schedules its writes with setImmediate), so the command may have just gone
        // out. The deadline counts time the loop could serve: armed again once, from now.
        if (!settled && !rearmed && performance.now() - due > ms) {
          rearmed = true;
          return arm(ms);
        }
        setImmediate(() => {
          if (!settled) reject(new RedisDeadlineError(`redis did not answer within ${ms} ms`));
        });
      }, after);
    };
    arm(ms);
  });
  return Promise.race([work, late]).finally(() => clearTimeout(timer));
}

/** Most commands one connection holds unanswered; past it a command is refused at once (a miss, or fail-open). */
export const COMMANDS_QUEUE_MAX = 50_000;

/**
 * A client that never queues while offline and reconnects forever with backoff capped at 2 s; with `tracking`, Redis
 * tracks the keys it reads and the client emits `invalidate` (a key, or null for all) when one changes.
 */
export function connectRedis(url: string, logger: Logger, connectTimeoutMs = 1000, tracking = false) {
  const client = createClient({
    url,
    RESP: 3,
    ...(tracking ? { emitInvalidate: true } : {}),
    disableOfflineQueue: true,
    // Commands not yet answered are bounded here, not by a per-command `timeout`: node-redis makes that an
    // AbortSignal.timeout per command whose timer fires (and builds a DOMException) even after the reply, 4% of a
    // cached view's CPU on Redis; and it stops counting once the command is written anyway (see withDeadline).
    // node-redis 6 gives every command a 5 s timeout unless told otherwise: 0 is none.
    commandOptions: { timeout: 0 },
    commandsQueueMaxLength: COMMANDS_QUEUE_MAX,
    socket: {
      connectTimeout: connectTimeoutMs,
      reconnectStrategy: (retries: number) => Math.min(50 * 2 ** retries, 2000),
    },
  });
  let down = false;
  client.on('error', (err: Error) => {
    // Logged once per outage; the client keeps reconnecting.
    if (!down) logger.warn({ err: err.message }, 'redis unavailable; serving without it until it is back');
    down = true;
  });
  client.on('ready', () => {
    if (down) logger.info('redis is back');
    down = false;
  });
  client.connect().catch(() => undefined); // the first failure is reported by the error handler
  return client;
}

export type RedisClient = ReturnType<typeof connectRedis>;
