/**
 * Fresh after a change: a backend's change event (e.g. the CRM's webhook when a customer orders a product) evicts the
 * records it makes stale, in every gateway instance. The instance that receives the event deletes the keys from the
 * cache and publishes them on a Redis channel; every instance (itself included) then forgets them locally: calls in
 * flight and fetches that raced the change. Without Redis there is one instance and the local step is enough.
 */
import { randomUUID } from 'node:crypto';
import type { Logger } from 'pino';
import type { Cache } from './cache/cache';
import { connectRedis, withDeadline } from './redis';
import type { Metrics } from '../metrics';
import type { Source } from './source';

interface Message {
  origin: string;
  targets: Array<{ source: string; resource: string; key: string }>;
}

export interface Invalidator {
  /**
   * Applies a change event from `sourceName`: null if not understood; otherwise how many records it names and
   * whether the shared cache and the other instances were told (false: retry the event).
   */
  handle(sourceName: string, event: unknown): Promise<{ evicted: number; applied: boolean } | null>;
  /**
   * Evicts records a change made through the gateway makes stale (an adapter command's `invalidates`), in every
   * instance, as a change event would. Resolves whether the shared cache and the other instances were told.
   */
  evict(sourceName: string, targets: ReadonlyArray<{ resource: string; key: string }>): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * @param deadlineMs deadline of each Redis command (the cache's `commandTimeoutMs`): a publish or subscribe that a
 * stalled Redis never answers fails within it (the event is answered CACHE_UNAVAILABLE, to be retried).
 */
export function createInvalidator(
  sources: readonly Source[] | (() => readonly Source[]),
  cache: Cache,
  metrics: Metrics,
  logger: Logger,
  redisUrl?: string,
  deadlineMs = 50,
): Invalidator {
  const origin = randomUUID();
  const channel = 'ucv:invalidate';
  // The sources of the current runtime (they change when an adapter is registered), looked up per event.
  const current = typeof sources === 'function' ? sources : () => sources;
  const find = (name: string): Source | undefined => current().find((s) => s.name === name);

  const forget = (message: Message, from: 'local' | 'peer'): string[] =>
    message.targets.flatMap(({ source, resource, key }) => {
      const target = find(source);
      if (!target) return [];
      metrics.invalidations.inc({ source, origin: from });
      return [target.invalidate(resource, key)];
    });

  const publisher = redisUrl ? connectRedis(redisUrl, logger) : undefined;
  const subscriber = publisher?.duplicate();
  if (subscriber) {
    subscriber.on('error', () => undefined); // the publisher's handler already reports outages
    subscriber
      .connect()
      .then(() =>
        // The client subscribes again by itself after a reconnection; this deadline only bounds the first answer.
        withDeadline(
          subscriber.subscribe(channel, (raw) => {
            try {
              const message = JSON.parse(raw) as Message;
              if (message.origin === origin) return;
              void cache.delete(forget(message, 'peer'));
            } catch (err) {
              logger.warn({ err }, 'ignored an unreadable invalidation message');
            }
          }),
          Math.max(deadlineMs, 1000),
        ),
      )
      .catch((err: Error) => logger.warn({ err: err.message }, 'cannot subscribe to invalidations'));
  }

  const evict = async (
    sourceName: string,
    targets: ReadonlyArray<{ resource: string; key: string }>,
  ): Promise<boolean> => {
    const message: Message = { origin, targets: targets.map((t) => ({ source: sourceName, ...t })) };
    const deleted = await cache.delete(forget(message, 'local'));
    let published = !publisher;
    if (publisher?.isReady)
      published = await withDeadline(publisher.publish(channel, JSON.stringify(message)), deadlineMs).then(
        () => true,
        () => false,
      );
    return deleted && published;
  };

  return {
    async handle(sourceName, event) {
      const source = find(sourceName);
      const targets = source?.adapter.invalidate?.(event);
      if (!source || !targets) return null;
      return { evicted: targets.length, applied: await evict(sourceName, targets) };
    },
    evict,
    async close() {
      subscriber?.destroy();
      publisher?.destroy();
    },
  };
}
