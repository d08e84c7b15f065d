/**
 * Identity: who is calling, decided before anything else runs. Every credential is checked here, for every facade:
 * - `/graphql`: an API key (`x-api-key`, matched by its SHA-256 against `security.consumers`) or a JWT bearer token
 *   (`Authorization: Bearer`, HS256/RS256/ES256 through `jose`; `exp`, `nbf`, `iss`, `aud` checked);
 * - SOAP: a WS-Security UsernameToken with PasswordDigest (nonce and `Created` checked against replay inside a window,
 *   shared through Redis when configured) or HTTP Basic.
 * A missing or bad credential is UNAUTHENTICATED (the facades answer 401 with `WWW-Authenticate`). Credentials are
 * never logged: the request log serializes only id, method and URL, and no message here quotes one.
 *
 * Failed attempts are throttled per source address and per claimed identity (rate-limit/login-throttle.ts has the
 * policy): past either counter, an attempt is RATE_LIMITED (429, `Retry-After`) before its credentials are checked.
 *
 * `authenticate` is exported for routes outside GraphQL (the admin API): it accepts an API key, a JWT or Basic.
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import { once } from 'node:events';
import fs from 'node:fs';
import type { IncomingMessage } from 'node:http';
import type { Plugin } from '@envelop/core';
import { createLocalJWKSet, errors as joseErrors, jwtVerify, type JWTPayload, type JWTVerifyGetKey } from 'jose';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { ConfigError, type SecurityConfig } from '../config';
import { gatewayError } from '../errors';
import { connectRedis, type RedisClient } from '../backends/redis';
import { createLoginThrottle, type LoginThrottle } from '../rate-limit/login-throttle';
import type { Consumer, GatewayContext } from './context';

const sha256 = (text: string): Buffer => createHash('sha256').update(text, 'utf8').digest();

/** Constant-time comparison of two secrets of any length (their digests have the same length). */
const sameSecret = (a: string, b: string): boolean => timingSafeEqual(sha256(a), sha256(b));

const unauthenticated = (message: string) => gatewayError(message, { code: 'UNAUTHENTICATED' });

/** Remembers WS-Security nonces for the replay window: in Redis when configured (shared by every instance), else here. */
export interface NonceStore {
  /**
   * True when the nonce was not seen inside the window (and now is). Rejects with RATE_LIMITED when the store holds
   * as many nonces as it may and none has expired yet: it never forgets one early to make room.
   */
  firstUse(key: string, ttlMs: number): Promise<boolean>;
  close(): Promise<void>;
}

/**
 * Nonces in this instance's memory, each kept until its window has passed, never evicted sooner: a store that
 * forgot the oldest nonce once full (an LRU) let a signed-in caller flood it with valid tokens, then replay a
 * captured one. Memory is bounded by time (what the window holds) and by `max`: past it, new tokens are refused
 * (RATE_LIMITED, until the oldest expires) rather than an old nonce forgotten. Entries are kept in insertion order,
 * which is expiry order for one window length, so expired ones are dropped from the front.
 */
export function memoryNonceStore(max = 500_000, now: () => number = Date.now): NonceStore {
  const expiries = new Map<string, number>();
  const purge = (at: number): void => {
    for (const [key, expires] of expiries) {
      if (expires > at) break;
      expiries.delete(key);
    }
  };
  return {
    firstUse: async (key, ttlMs) => {
      const at = now();
      purge(at);
      const expires = expiries.get(key);
      if (expires !== undefined && expires > at) return false;
      if (expiries.size >= max) {
        const oldest = expiries.values().next().value as number;
        const retryAfterSeconds = Math.max(1, Math.ceil((oldest - at) / 1000));
        throw gatewayError(
          `The gateway holds as many WS-Security nonces as it may; retry after ${retryAfterSeconds} s.`,
          { code: 'RATE_LIMITED', retryAfterSeconds },
        );
      }
      expiries.delete(key); // an expired entry for the same key goes to the back with its new expiry
      expiries.set(key, at + ttlMs);
      return true;
    },
    close: async () => undefined,
  };
}

/**
 * Nonces in Redis (`SET NX PX`), raced against a short deadline: a Redis that stalls or is down must not hang a
 * request, so past the deadline the nonce is checked in this instance's memory (which every nonce also enters):
 * during an outage a replay to another instance inside the window is not caught. Logged once per outage.
 */
export function redisNonceStore(
  url: string,
  keyPrefix: string,
  timeoutMs: number,
  logger: Logger,
  maxLocal?: number,
  client: RedisClient = connectRedis(url, logger),
): NonceStore {
  const local = memoryNonceStore(maxLocal);
  return {
    firstUse: async (key, ttlMs) => {
      // This instance's memory full (its RATE_LIMITED refusal): Redis decides alone, and the refusal stands without it.
      let full: unknown;
      const locally = await local.firstUse(key, ttlMs).catch((err: unknown) => {
        full = err;
        return true;
      });
      const withoutRedis = (): boolean => {
        if (full) throw full;
        return locally;
      };
      let timer: NodeJS.Timeout | undefined;
      const deadline = new Promise<'timeout'>((resolve) => (timer = setTimeout(() => resolve('timeout'), timeoutMs)));
      try {
        // Commands are refused while disconnected (no offline queue): a client still connecting gets the deadline.
        if (!client.isReady && (await Promise.race([once(client, 'ready'), deadline])) === 'timeout')
          return withoutRedis();
        const reply = await Promise.race([
          client.set(`${keyPrefix}wsse:${key}`, '1', { condition: 'NX', expiration: { type: 'PX', value: ttlMs } }),
          deadline,
        ]);
        if (reply === 'timeout') return withoutRedis();
        return locally && reply === 'OK';
      } catch {
        return withoutRedis();
      } finally {
        clearTimeout(timer);
      }
    },
    close: async () => {
      // Not close(): it waits for replies a stalled Redis never sends, and a nonce is worth nothing at shutdown.
      client.destroy();
    },
  };
}

export interface AuthenticatorOptions {
  logger: Logger;
  /** Where WS-Security nonces are remembered. Default: memory. */
  nonces?: NonceStore;
  /** Now, in ms (tests). */
  now?: () => number;
  /** Where failed attempts are counted. Default: in memory, with security.loginThrottle. */
  throttle?: LoginThrottle;
}

export interface Authenticator {
  /** The consumer of a GraphQL or SOAP request, or a rejection with an UNAUTHENTICATED (or FORBIDDEN) GraphQLError. */
  identify(
    req: IncomingMessage,
    facade: GatewayContext['facade'],
    soapHeader?: Record<string, unknown>,
  ): Promise<Consumer>;
  /** For routes outside GraphQL (the admin API): an API key, a JWT or HTTP Basic. */
  authenticate(req: IncomingMessage): Promise<Consumer>;
  close(): Promise<void>;
}

/** The element of a parsed SOAP header by local name, whatever its namespace prefix. */
function child(node: unknown, name: string): unknown {
  if (!node || typeof node !== 'object') return undefined;
  for (const [key, value] of Object.entries(node)) if (key === name || key.endsWith(`:${name}`)) return value;
  return undefined;
}
const text = (node: unknown): string | undefined =>
  typeof node === 'string'
    ? node
    : node && typeof node === 'object' && typeof (node as { $value?: unknown }).$value === 'string'
      ? (node as { $value: string }).$value
      : undefined;

export function createAuthenticator(security: Readonly<SecurityConfig>, options: AuthenticatorOptions): Authenticator {
  const now = options.now ?? Date.now;
  const nonces = options.nonces ?? memoryNonceStore();
  const throttle =
    options.throttle ??
    createLoginThrottle({ settings: security.loginThrottle, keyPrefix: 'login:', logger: options.logger });

  /**
   * Checks one credential, throttled: a refusal (UNAUTHENTICATED) is counted against its source address and the
   * identity it claims, and once either has used up its failures every attempt is refused with RATE_LIMITED, a
   * right credential as a wrong one, so a right guess looks like a wrong one. The counters are read after the check,
   * in the same single store operation per attempt (rate-limit/login-throttle.ts): read before it, a burst of
   * guesses sent at once would all be checked before any of its failures was counted.
   */
  const throttled = async (
    req: IncomingMessage,
    identity: string | undefined,
    check: () => Consumer | Promise<Consumer>,
  ): Promise<Consumer> => {
    const address = throttle.sourceOf(req);
    const limited = (waitSeconds: number) =>
      gatewayError(`Too many failed authentications; retry after ${waitSeconds} s.`, {
        code: 'RATE_LIMITED',
        retryAfterSeconds: waitSeconds,
        limit: 'authentication',
      });
    let found: Consumer;
    try {
      found = await check();
    } catch (err) {
      // Any other refusal (a valid token naming no role) is answered as a success would be: 429 once full.
      const waitSeconds =
        (err as { extensions?: { code?: unknown } }).extensions?.code === 'UNAUTHENTICATED'
          ? await throttle.failed(address, identity)
          : await throttle.waitSeconds(address, identity);
      if (waitSeconds > 0) throw limited(waitSeconds);
      throw err;
    }
    const waitSeconds = await throttle.waitSeconds(address, identity);
    if (waitSeconds > 0) throw limited(waitSeconds);
    return found;
  };
  const windowMs = security.wsSecurity.windowSeconds * 1000;
  const consumer = (c: SecurityConfig['consumers'][number], via: Consumer['via']): Consumer => ({
    id: c.id,
    name: c.name ?? c.id,
    role: c.role,
    via,
  });
  const byKeyHash = new Map(security.consumers.flatMap((c) => (c.apiKeySha256 ? [[c.apiKeySha256, c] as const] : [])));
  const byUser = new Map(security.consumers.flatMap((c) => (c.username ? [[c.username, c] as const] : [])));
  const jwtKey = jwtKeyResolver(security.jwt);

  const fromApiKey = (req: IncomingMessage, key: string): Promise<Consumer> => {
    const hash = sha256(key).toString('hex');
    return throttled(req, `key:${hash}`, () => {
      const found = byKeyHash.get(hash);
      if (!found) throw unauthenticated('The API key is not valid.');
      return consumer(found, 'api-key');
    });
  };

  /**
   * Tokens already verified, until they expire: a client sends the same token on every request, and verifying
   * its signature each time cost about a tenth of the cached view's throughput. Keyed by the whole token, so a
   * changed byte is a different key; `exp` and `nbf` are checked again at each use.
   */
  const verified = new LRUCache<string, { consumer: Consumer; expMs: number; nbfMs: number }>({ max: 10_000 });
  const toleranceMs = (security.jwt?.clockToleranceSeconds ?? 0) * 1000;

  // A JWT claims no identity before its signature is checked: its failures count for its address only.
  const fromJwt = (req: IncomingMessage, token: string): Promise<Consumer> =>
    throttled(req, undefined, () => jwtConsumer(token));

  const jwtConsumer = async (token: string): Promise<Consumer> => {
    const jwt = security.jwt;
    if (!jwt || !jwtKey) throw unauthenticated('Bearer tokens are not accepted by this gateway.');
    const known = verified.get(token);
    if (known) {
      const at = now();
      if (at < known.expMs + toleranceMs && at >= known.nbfMs - toleranceMs) return known.consumer;
      verified.delete(token);
    }
    let payload: JWTPayload;
    try {
      ({ payload } = await jwtVerify(token, jwtKey, {
        issuer: jwt.issuer,
        audience: jwt.audience,
        algorithms: jwt.algorithms,
        clockTolerance: jwt.clockToleranceSeconds,
        requiredClaims: ['exp', 'sub'],
      }));
    } catch (err) {
      throw unauthenticated(jwtProblem(err));
    }
    const role = payload[jwt.roleClaim];
    if (typeof role !== 'string' || !Object.hasOwn(security.roles, role)) {
      throw gatewayError(`The token's "${jwt.roleClaim}" claim names no role of this gateway.`, { code: 'FORBIDDEN' });
    }
    const name = typeof payload.name === 'string' ? payload.name : (payload.sub as string);
    const consumer: Consumer = { id: payload.sub as string, name, role, via: 'jwt' };
    verified.set(token, {
      consumer,
      expMs: (payload.exp as number) * 1000,
      nbfMs: typeof payload.nbf === 'number' ? payload.nbf * 1000 : 0,
    });
    return consumer;
  };

  const fromBasic = (req: IncomingMessage, encoded: string): Promise<Consumer> => {
    const decoded = Buffer.from(encoded, 'base64').toString('utf8');
    const colon = decoded.indexOf(':');
    const username = colon > 0 ? decoded.slice(0, colon) : undefined;
    return throttled(req, username === undefined ? undefined : `user:${username}`, () => {
      const found = username === undefined ? undefined : byUser.get(username);
      // Compare even when the user is unknown, so the answer takes as long either way.
      const ok = sameSecret(decoded.slice(colon + 1), found?.password ?? '\u0000unknown user');
      if (!found || !ok) throw unauthenticated('The user name or password is not valid.');
      return consumer(found, 'basic');
    });
  };

  const fromUsernameToken = (req: IncomingMessage, token: unknown): Promise<Consumer> => {
    const username = text(child(token, 'Username'));
    return throttled(req, username ? `user:${username}` : undefined, () => usernameTokenConsumer(token, username));
  };

  const usernameTokenConsumer = async (token: unknown, username: string | undefined): Promise<Consumer> => {
    const passwordNode = child(token, 'Password');
    const password = text(passwordNode);
    const type = (passwordNode as { attributes?: { Type?: unknown } } | undefined)?.attributes?.Type;
    const nonce = text(child(token, 'Nonce'));
    const created = text(child(token, 'Created'));
    if (!username || !password || !nonce || !created)
      throw unauthenticated('The UsernameToken needs Username, Password (PasswordDigest), Nonce and Created.');
    if (typeof type === 'string' && !type.endsWith('#PasswordDigest'))
      throw unauthenticated('Only PasswordDigest UsernameTokens are accepted.');
    const createdAt = Date.parse(created);
    if (!Number.isFinite(createdAt) || Math.abs(now() - createdAt) > windowMs) {
      throw unauthenticated(
        `The UsernameToken's Created is not within ${security.wsSecurity.windowSeconds} s of the gateway's clock.`,
      );
    }
    const found = byUser.get(username);
    const expected = createHash('sha1')
      .update(
        Buffer.concat([
          Buffer.from(nonce, 'base64'),
          Buffer.from(created, 'utf8'),
          Buffer.from(found?.password ?? '\u0000unknown user', 'utf8'),
        ]),
      )
      .digest('base64');
    if (!sameSecret(password, expected) || !found) throw unauthenticated('The user name or password is not valid.');
    // Only a token with a valid digest may take a nonce, so no one can burn another consumer's nonces.
    if (
      !(await nonces.firstUse(createHash('sha256').update(`${username}\u0000${nonce}`).digest('hex'), windowMs * 2))
    ) {
      throw unauthenticated('This UsernameToken was already used (replay).');
    }
    return consumer(found, 'ws-security');
  };

  const anonymous = (): Consumer => {
    if (!security.anonymous) throw unauthenticated('Credentials are required.');
    return { id: 'anonymous', name: 'anonymous', role: security.anonymous.role, via: 'anonymous' };
  };

  const fromAuthorization = async (
    req: IncomingMessage,
    authorization: string,
    allowBearer: boolean,
    allowBasic: boolean,
  ): Promise<Consumer> => {
    const space = authorization.indexOf(' ');
    const scheme = authorization.slice(0, space < 0 ? undefined : space).toLowerCase();
    const value = space < 0 ? '' : authorization.slice(space + 1).trim();
    if (scheme === 'bearer' && allowBearer) return fromJwt(req, value);
    if (scheme === 'basic' && allowBasic) return fromBasic(req, value);
    throw unauthenticated(`The Authorization scheme is not accepted here.`);
  };

  const identify: Authenticator['identify'] = async (req, facade, soapHeader) => {
    const { authorization } = req.headers;
    const apiKey = req.headers['x-api-key'];
    if (facade === 'soap') {
      const token = child(child(soapHeader, 'Security'), 'UsernameToken');
      if (token !== undefined) return fromUsernameToken(req, token);
      if (authorization) return fromAuthorization(req, authorization, false, true);
      return anonymous();
    }
    if (authorization) return fromAuthorization(req, authorization, true, false);
    if (typeof apiKey === 'string') return fromApiKey(req, apiKey);
    return anonymous();
  };

  return {
    identify,
    authenticate: async (req) => {
      const { authorization } = req.headers;
      const apiKey = req.headers['x-api-key'];
      if (authorization) return fromAuthorization(req, authorization, true, true);
      if (typeof apiKey === 'string') return fromApiKey(req, apiKey);
      throw unauthenticated('Credentials are required.');
    },
    close: async () => {
      await Promise.all([nonces.close(), throttle.close()]);
    },
  };
}

/** What was wrong with a JWT, in words a client can act on (jose's own messages name internals). */
function jwtProblem(err: unknown): string {
  if (err instanceof joseErrors.JWTExpired) return 'The token has expired.';
  if (err instanceof joseErrors.JWTClaimValidationFailed)
    return `The token's "${err.claim}" claim is not valid for this gateway.`;
  if (err instanceof joseErrors.JWSSignatureVerificationFailed) return 'The token signature is not valid.';
  if (err instanceof joseErrors.JOSEAlgNotAllowed)
    return 'The token is signed with an algorithm this gateway does not accept.';
  if (err instanceof joseErrors.JWKSNoMatchingKey) return 'No key of this gateway matches the token.';
  return 'The token is not a valid JWT.';
}

/** The key for a token: the HS256 secret, or the config's and the JWKS file's public keys. */
function jwtKeyResolver(jwt: SecurityConfig['jwt']): JWTVerifyGetKey | undefined {
  if (!jwt) return undefined;
  let fileKeys: Array<Record<string, unknown>> = [];
  if (jwt.jwksFile) {
    try {
      fileKeys = (JSON.parse(fs.readFileSync(jwt.jwksFile, 'utf8')) as { keys: Array<Record<string, unknown>> }).keys;
      if (!Array.isArray(fileKeys)) throw new Error('no "keys" array');
    } catch (err) {
      throw new ConfigError(
        `security.jwt.jwksFile: cannot read a JWKS from ${jwt.jwksFile}: ${(err as Error).message}`,
      );
    }
  }
  const publicKeys = [...jwt.keys, ...fileKeys];
  const jwks = publicKeys.length > 0 ? createLocalJWKSet({ keys: publicKeys as never }) : undefined;
  const secret = jwt.secret === undefined ? undefined : new TextEncoder().encode(jwt.secret);
  return async (header, token) => {
    if (header.alg === 'HS256') {
      if (!secret) throw new joseErrors.JWKSNoMatchingKey();
      return secret;
    }
    if (!jwks) throw new joseErrors.JWKSNoMatchingKey();
    return jwks(header, token);
  };
}

/**
 * The identity plugin: the consumer joins the context before the operation is parsed. An in-process consumer
 * (rules, campaigns) comes with the context from the seam (operation.ts), which only code in this process can
 * build; every network request is identified by its credentials here.
 */
export function useIdentity(authenticator: Authenticator): Plugin<GatewayContext> {
  return {
    onContextBuilding: async ({ context, extendContext }) => {
      if (context.facade === 'internal' && context.consumer) return;
      if (!context.req) throw unauthenticated('The request carries no credentials.');
      extendContext({ consumer: await authenticator.identify(context.req, context.facade, context.soapHeader) });
    },
  };
}

/** `Authorization: Bearer <token>` against a SHA-256 digest (for /readyz and /metrics when `opsTokenSha256` is set). */
export function hasOpsToken(req: IncomingMessage, tokenSha256: string): boolean {
  const authorization = req.headers.authorization ?? '';
  if (!authorization.toLowerCase().startsWith('bearer ')) return false;
  return timingSafeEqual(sha256(authorization.slice(7).trim()), Buffer.from(tokenSha256, 'hex'));
}
