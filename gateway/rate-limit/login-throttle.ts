/**
 * Failed authentication, throttled (config `security.loginThrottle`), with rate-limiter-flexible: shared by every
 * gateway instance through Redis when `cache.redisUrl` is set, in memory otherwise.
 *
 * The policy. Two counters of failed attempts (a credential presented and refused: a wrong API key, Basic password
 * or WS-Security digest, a stale or replayed UsernameToken, a bad JWT), each a fixed window that begins at its first
 * failure:
 *   - per source address: `perAddress.failures` in `perAddress.windowSeconds`, whatever identities were tried;
 *   - per claimed identity: `perIdentity.failures` in `perIdentity.windowSeconds`, from any address. The identity is
 *     the Basic or WS-Security user name, or the API key (by its SHA-256; the key itself is never stored). A JWT
 *     claims no identity before its signature is checked: it counts for its address only.
 * Once a counter is full, every attempt it covers is refused with RATE_LIMITED (429, `Retry-After`: the rest of its
 * window), right or wrong, so guessing on cannot tell a right guess. A request with no credentials is not an attempt.
 *
 * The count decides after the credential is checked, in one store operation per attempt: a failure is counted and
 * its own count says whether it was one too many (`failed`); a success then looks at the counters (`waitSeconds`),
 * every time. Remembering that a caller just passed, to spare the read, would let a right guess through: a user name
 * (or a JWT's lack of one) is shared by whoever sits behind the same address (a NAT, a balancer not listed in
 * `trustedProxies`), and a right password presented there while the counters are full must look like a wrong one.
 * Looking before checking and counting after would let part of a burst sent at once through: each attempt that
 * looks while its predecessors' failures are still on their way to Redis. The store orders the operations, so at
 * most `failures` guesses of a burst are answered as checked, however many are sent at once.
 *
 * What this means for a legitimate caller: failures from other addresses block it only through its own identity's
 * counter (someone guessing its password `perIdentity.failures` times locks it out for that window; that is the
 * price of stopping a guess spread over many addresses); another address's failures on other identities never
 * block it. A success does not reset a counter (else a guesser who also knows one valid credential could go on).
 *
 * The source address is the peer's, or, when the peer is one of `trustedProxies` (the load balancer), the address
 * that proxy reports: the right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
 *
 * Every attempt is also counted in this instance's memory, and the larger count decides: Redis down or slower than
 * `redisTimeoutMs` (`ucv_rate_limit_fail_open_total` counts it), each instance still throttles what it sees, rather
 * than every login refused or none. Failing open would be a door a burst opens itself: 2,000 guesses sent at once
 * kept this gateway's own event loop busy past the 50 ms deadline, and 1,200 of them were checked.
 */
import type { IncomingMessage } from 'node:http';
import { BlockList, isIP } from 'node:net';
import type { Counter } from 'prom-client';
import type { Logger } from 'pino';
import {
  RateLimiterMemory,
  RateLimiterRedis,
  type RateLimiterAbstract,
  type RateLimiterRes,
} from 'rate-limiter-flexible';
import { connectRedis, type RedisClient } from '../backends/redis';

export interface ThrottleWindow {
  /** Failed attempts counted before every further attempt is refused. */
  failures: number;
  /** Length of the window, in seconds, from its first failure. */
  windowSeconds: number;
}

export interface LoginThrottleSettings {
  /** False: no attempt is counted or refused (and Redis is never asked). */
  enabled: boolean;
  perAddress: ThrottleWindow;
  perIdentity: ThrottleWindow;
  /** Addresses or CIDR ranges of proxies whose X-Forwarded-For is believed. */
  trustedProxies: readonly string[];
  /** Deadline of one Redis round trip, in milliseconds, past which the attempt is not throttled. */
  redisTimeoutMs: number;
}

export interface LoginThrottle {
  /** Seconds until the address or identity may try again; 0 when it may now. */
  waitSeconds(address: string, identity: string | undefined): Promise<number>;
  /**
   * Counts one failed attempt against the address and the identity; seconds until they may try again when this
   * attempt found a counter already full (it is then refused as RATE_LIMITED, not UNAUTHENTICATED), else 0.
   */
  failed(address: string, identity: string | undefined): Promise<number>;
  /** The request's source address (see trustedProxies). */
  sourceOf(req: IncomingMessage): string;
  close(): Promise<void>;
}

export interface LoginThrottleOptions {
  settings: LoginThrottleSettings;
  /** Shared store; memory when absent. */
  redisUrl?: string;
  /** Prefix of the Redis keys, e.g. "ucv:login:". */
  keyPrefix: string;
  logger: Logger;
  /** ucv_rate_limit_fail_open_total, labelled by reason. */
  failOpen?: Counter<'reason'>;
  /** A Redis client to use instead of connecting one (tests). */
  client?: RedisClient;
}

/** The proxies as a BlockList (addresses and CIDR ranges, IPv4 and IPv6). */
export function proxyList(entries: readonly string[]): BlockList {
  const list = new BlockList();
  for (const entry of entries) {
    const [address = '', bits] = entry.split('/');
    const family = isIP(address) === 6 ? 'ipv6' : 'ipv4';
    if (bits === undefined) list.addAddress(address, family);
    else list.addSubnet(address, Number(bits), family);
  }
  return list;
}

const plain = (address: string): string => address.replace(/^::ffff:(?=\d+\.\d+\.\d+\.\d+$)/, '');
const familyOf = (address: string): 'ipv4' | 'ipv6' => (isIP(address) === 6 ? 'ipv6' : 'ipv4');

export function createLoginThrottle(options: LoginThrottleOptions): LoginThrottle {
  const { settings } = options;
  const client = options.client ?? (options.redisUrl ? connectRedis(options.redisUrl, options.logger) : undefined);
  const shared = (name: string, window: ThrottleWindow): RateLimiterAbstract | undefined =>
    client
      ? new RateLimiterRedis({
          storeClient: client,
          useRedisPackage: true,
          keyPrefix: `${options.keyPrefix}${name}`,
          points: window.failures,
          duration: window.windowSeconds,
        })
      : undefined;
  const local = (name: string, window: ThrottleWindow): RateLimiterAbstract =>
    new RateLimiterMemory({ keyPrefix: name, points: window.failures, duration: window.windowSeconds });
  const sharedByAddress = shared('address', settings.perAddress);
  const sharedByIdentity = shared('identity', settings.perIdentity);
  const localByAddress = local('address', settings.perAddress);
  const localByIdentity = local('identity', settings.perIdentity);
  const proxies = proxyList(settings.trustedProxies);
  // Without proxies (the default) nothing is asked of the BlockList, whose check builds a SocketAddress per call.
  const trusted = (address: string): boolean =>
    settings.trustedProxies.length > 0 && isIP(address) !== 0 && proxies.check(address, familyOf(address));

  /** The store's answer within the deadline; undefined (memory decides) when it gives none. Not asked while disconnected. */
  const withDeadline = async <T>(ask: () => Promise<T>): Promise<T | undefined> => {
    if (client && !client.isReady) {
      options.failOpen?.inc({ reason: 'redis_unavailable' });
      return undefined;
    }
    const work = ask();
    work.catch(() => undefined); // a late failure, after the deadline, is no one's to handle
    let timer: NodeJS.Timeout | undefined;
    const deadline = new Promise<'timeout'>(
      (resolve) => (timer = setTimeout(() => resolve('timeout'), settings.redisTimeoutMs)),
    );
    try {
      const outcome = await Promise.race([work, deadline]);
      if (outcome === 'timeout') {
        options.failOpen?.inc({ reason: 'redis_timeout' });
        return undefined;
      }
      return outcome;
    } catch {
      options.failOpen?.inc({ reason: 'redis_error' });
      return undefined;
    } finally {
      clearTimeout(timer);
    }
  };

  /** Seconds to wait when the counter holds at least `full` points (full: looked at; past full: just counted). */
  const wait = (res: RateLimiterRes | null | undefined, full: number): number =>
    res && res.consumedPoints >= full ? Math.max(1, Math.ceil(res.msBeforeNext / 1000)) : 0;

  /**
   * The longest wait of the address's and the identity's counters, after `op` (get or penalty) on each: on this
   * instance's memory always, and on Redis when it answers within the deadline. Memory is the floor: a burst that
   * makes Redis late (the gateway's own event loop busy with it) meets this instance's own count, not an open door.
   */
  const longest = async (
    op: (limiter: RateLimiterAbstract, key: string) => Promise<RateLimiterRes | null>,
    address: string,
    identity: string | undefined,
    past: number,
  ): Promise<number> => {
    const ask = (byAddress: RateLimiterAbstract, byIdentity: RateLimiterAbstract) =>
      Promise.all([op(byAddress, address), identity === undefined ? null : op(byIdentity, identity)]);
    const mine = ask(localByAddress, localByIdentity);
    const [sa, si] = (sharedByAddress && sharedByIdentity
      ? await withDeadline(() => ask(sharedByAddress, sharedByIdentity))
      : undefined) ?? [null, null];
    const [la, li] = await mine;
    const byAddress = settings.perAddress.failures + past;
    const byIdentity = settings.perIdentity.failures + past;
    return Math.max(wait(sa, byAddress), wait(si, byIdentity), wait(la, byAddress), wait(li, byIdentity));
  };

  return {
    async waitSeconds(address, identity) {
      if (!settings.enabled) return 0;
      return longest((limiter, key) => limiter.get(key), address, identity, 0);
    },
    async failed(address, identity) {
      if (!settings.enabled) return 0;
      // This failure is the counter's (failures + 1)th or later: the counter was full when it came.
      return longest((limiter, key) => limiter.penalty(key, 1), address, identity, 1);
    },
    sourceOf(req) {
      const peer = plain(req.socket.remoteAddress ?? 'unknown');
      if (!trusted(peer)) return peer;
      const forwarded = req.headers['x-forwarded-for'];
      const hops = (Array.isArray(forwarded) ? forwarded.join(',') : (forwarded ?? ''))
        .split(',')
        .map((hop) => plain(hop.trim()))
        .filter((hop) => hop !== '');
      // Right to left: each hop was added by the proxy before it; the first one no trusted proxy is the source.
      for (let at = hops.length - 1; at >= 0; at--) if (!trusted(hops[at] as string)) return hops[at] as string;
      return hops[0] ?? peer;
    },
    async close() {
      if (!options.client) client?.destroy();
    },
  };
}
