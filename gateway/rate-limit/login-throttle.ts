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
 * window) before its credentials are checked, right or wrong, so guessing on cannot tell a right guess. A request with
 * no credentials is not an attempt.
 *
 * What this means for a legitimate caller: failures from other addresses block it only through its own identity's
 * counter (someone guessing its password `perIdentity.failures` times locks it out for that window; that is the
 * price of stopping a guess spread over many addresses); another address's failures on other identities never
 * block it. A success does not reset a counter (else a guesser who also knows one valid credential could go on).
 *
 * The source address is the peer's, or, when the peer is one of `trustedProxies` (the load balancer), the address
 * that proxy reports: the right-most `X-Forwarded-For` entry that is not itself a trusted proxy.
 *
 * Like the per-consumer limiter (limiter.ts), it fails open: Redis down or slower than `redisTimeoutMs`, attempts
 * are not throttled (and `ucv_rate_limit_fail_open_total` counts it), rather than every login refused.
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
  /** Counts one failed attempt against the address and the identity. */
  failed(address: string, identity: string | undefined): Promise<void>;
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
  const make = (name: string, window: ThrottleWindow): RateLimiterAbstract =>
    client
      ? new RateLimiterRedis({
          storeClient: client,
          useRedisPackage: true,
          keyPrefix: `${options.keyPrefix}${name}`,
          points: window.failures,
          duration: window.windowSeconds,
        })
      : new RateLimiterMemory({ keyPrefix: name, points: window.failures, duration: window.windowSeconds });
  const byAddress = make('address', settings.perAddress);
  const byIdentity = make('identity', settings.perIdentity);
  const proxies = proxyList(settings.trustedProxies);
  const trusted = (address: string): boolean => isIP(address) !== 0 && proxies.check(address, familyOf(address));

  /** The store's answer within the deadline; undefined (fail open) when it gives none. Not asked while disconnected. */
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

  const wait = (res: RateLimiterRes | null | undefined, window: ThrottleWindow): number =>
    res && res.consumedPoints >= window.failures ? Math.max(1, Math.ceil(res.msBeforeNext / 1000)) : 0;

  return {
    async waitSeconds(address, identity) {
      if (!settings.enabled) return 0;
      const [a, i] = (await withDeadline(() =>
        Promise.all([byAddress.get(address), identity === undefined ? null : byIdentity.get(identity)]),
      )) ?? [null, null];
      return Math.max(wait(a, settings.perAddress), wait(i, settings.perIdentity));
    },
    async failed(address, identity) {
      if (!settings.enabled) return;
      await withDeadline(() =>
        Promise.all([byAddress.penalty(address, 1), identity === undefined ? null : byIdentity.penalty(identity, 1)]),
      );
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
