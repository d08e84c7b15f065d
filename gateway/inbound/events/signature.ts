/**
 * Signed change events: `POST /events/<source>` is accepted only with a valid signature of its exact body, made
 * with the source's secret (config `events.secrets`), fresh, and never seen before. The scheme is Stripe's
 * (docs/events.md):
 *
 *     x-ucv-signature: t=<unix seconds>,v1=<hex HMAC-SHA256(secret, "<t>.<raw body>")>
 *
 * - the timestamp must be within `toleranceSeconds` of the gateway's clock, so a captured event cannot be replayed
 *   later;
 * - inside that window a signature is accepted once: seen signatures are remembered for the window, in Redis when
 *   configured (so every instance refuses a replay), in memory otherwise;
 * - the comparison is constant-time; several v1 entries may be sent (a sender rotating its secret).
 * Without this, anyone could evict cached records at will, each forged event costing a backend call.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';
import type { IncomingHttpHeaders } from 'node:http';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { connectRedis, withDeadline } from '../../backends/redis';
import type { ErrorCode } from '../../errors';

export const SIGNATURE_HEADER = 'x-ucv-signature';

/** What a 401 on /events says about the expected credentials (RFC 9110 §11.6.1). */
export const EVENTS_CHALLENGE = `HMAC-SHA256 realm="ucv-events", header="${SIGNATURE_HEADER}"`;

const hmac = (secret: string, timestamp: number, body: Buffer | string): Buffer =>
  createHmac('sha256', secret).update(`${timestamp}.`).update(body).digest();

/** The header value a sender puts in `x-ucv-signature` for `body`, signed now (or at `timestamp`, unix seconds). */
export function signEvent(secret: string, body: Buffer | string, timestamp = Math.floor(Date.now() / 1000)): string {
  return `t=${timestamp},v1=${hmac(secret, timestamp, body).toString('hex')}`;
}

export class EventRefusal extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string,
  ) {
    super(message);
  }
}

/** Remembers signatures for the window: `claim` is true the first time a key is seen, false for a replay. */
export interface ReplayStore {
  claim(key: string, ttlMs: number): Promise<boolean>;
  /** Forgets a claim, so the sender may retry an event whose handling failed with the same signature. */
  release(key: string): Promise<void>;
  close(): Promise<void>;
}

/** One instance: bounded, oldest forgotten first (a flood of valid events cannot exhaust memory). */
export function memoryReplayStore(maxEntries = 100_000): ReplayStore {
  const seen = new LRUCache<string, true>({ max: maxEntries, ttlAutopurge: false });
  return {
    claim: async (key, ttlMs) => {
      if (seen.has(key)) return false;
      seen.set(key, true, { ttl: ttlMs });
      return true;
    },
    release: async (key) => void seen.delete(key),
    close: async () => undefined,
  };
}

function readyWithin(
  client: {
    isReady: boolean;
    once(event: 'ready', listener: () => void): unknown;
    off(event: 'ready', listener: () => void): unknown;
  },
  ms: number,
): Promise<boolean> {
  return new Promise((resolve) => {
    const ready = (): void => {
      clearTimeout(timer);
      resolve(true);
    };
    const timer = setTimeout(() => {
      client.off('ready', ready);
      resolve(client.isReady);
    }, ms);
    client.once('ready', ready);
  });
}

/**
 * Shared by every instance: `SET key NX PX ttl`. Each command has a short deadline; when Redis cannot answer the
 * event is refused with CACHE_UNAVAILABLE (the sender retries), never let through unchecked.
 */
export function redisReplayStore(url: string, keyPrefix: string, timeoutMs: number, logger: Logger): ReplayStore {
  const client = connectRedis(url, logger);
  const unavailable = (): EventRefusal =>
    new EventRefusal('CACHE_UNAVAILABLE', 'The replay check could not reach the shared cache; retry the event.');
  return {
    claim: async (key, ttlMs) => {
      // Just after start (or a reconnect) the client may still be connecting: give it the same deadline.
      if (!client.isReady && !(await readyWithin(client, timeoutMs))) throw unavailable();
      try {
        // Our own deadline, as for every Redis command (cache/redis-cache.ts: withDeadline, the queue bounded per connection).
        return (
          (await withDeadline(
            client.set(keyPrefix + key, '1', {
              condition: 'NX',
              expiration: { type: 'PX', value: Math.max(1, Math.ceil(ttlMs)) },
            }),
            timeoutMs,
          )) === 'OK'
        );
      } catch {
        throw unavailable();
      }
    },
    release: async (key) => {
      await withDeadline(client.del(keyPrefix + key), timeoutMs).catch(() => undefined);
    },
    close: async () => client.destroy(),
  };
}

export interface VerifierOptions {
  /** Secret by source name. */
  secrets: Readonly<Record<string, string>>;
  toleranceSeconds: number;
  replay: ReplayStore;
  now?: () => number;
}

export interface EventVerifier {
  /** Resolves with a release function (call it if the event was not applied) or throws an EventRefusal. */
  verify(source: string, headers: IncomingHttpHeaders, body: Buffer): Promise<() => Promise<void>>;
}

const refused = (message: string): EventRefusal => new EventRefusal('UNAUTHENTICATED', message);

export function eventVerifier(options: VerifierOptions): EventVerifier {
  const now = options.now ?? Date.now;
  return {
    async verify(source, headers, body) {
      const secret = Object.hasOwn(options.secrets, source) ? options.secrets[source] : undefined;
      const header = headers[SIGNATURE_HEADER];
      if (typeof header !== 'string' || header === '')
        throw refused(`Events must be signed: send ${SIGNATURE_HEADER}: t=<unix seconds>,v1=<hex HMAC-SHA256>.`);
      let timestamp = NaN;
      const signatures: Buffer[] = [];
      for (const part of header.split(',')) {
        const [key, value = ''] = part.trim().split('=', 2) as [string, string?];
        if (key === 't' && /^\d{1,12}$/.test(value)) timestamp = Number(value);
        else if (key === 'v1' && /^[0-9a-f]{64}$/i.test(value)) signatures.push(Buffer.from(value, 'hex'));
      }
      if (!Number.isFinite(timestamp) || signatures.length === 0)
        throw refused(`${SIGNATURE_HEADER} must be t=<unix seconds>,v1=<64 hex digits>.`);
      if (Math.abs(now() / 1000 - timestamp) > options.toleranceSeconds)
        throw refused(`The event's timestamp is more than ${options.toleranceSeconds} s from the gateway's clock.`);
      // A source with no secret: the same answer as a wrong signature, so a prober learns nothing.
      const expected = hmac(secret ?? '', timestamp, body);
      const match = signatures.find((s) => timingSafeEqual(s, expected));
      if (secret === undefined || !match) throw refused('The event signature does not match.');
      const key = `${source}:${match.toString('hex')}`;
      if (!(await options.replay.claim(key, options.toleranceSeconds * 2000)))
        throw refused('This event signature was already used.');
      return () => options.replay.release(key);
    },
  };
}
