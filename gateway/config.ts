/**
 * The gateway's configuration: one JSON file (default `config/default.json`, or the path in UCV_CONFIG), validated
 * once at start against the schema below and frozen. An invalid file stops the start with a message that names the
 * key, what was expected and what was given.
 *
 * Environment variables override: PORT (the listening port), UCV_<ADAPTER>_URL (a backend's base URL, e.g.
 * UCV_CRM_URL), REDIS_URL (selects the Redis cache), UCV_<SOURCE>_EVENTS_SECRET (a source's event secret),
 * DATABASE_URL (selects PostgreSQL as the durable store), UCV_WORKERS (`workers`: a number, or `auto`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { isIP } from 'node:net';
import { z } from 'zod';
import { isTimeZone } from './local-time';

const ms = (description: string, fallback: number) => z.number().int().min(0).default(fallback).describe(description);

/** A source's read path: the keys of `policy` other than `commands`. */
const ReadPolicySchema = z
  .object({
    /** Deadline of one backend call, in milliseconds; the call is aborted when it passes. Default 2000. */
    timeoutMs: z.number().int().min(1).default(2000),
    cache: z
      .object({
        /** How long a fetched record is served from the cache without calling the backend, in seconds. Default 5. */
        ttlSeconds: z.number().min(0).default(5),
        /** How long past its TTL a record may still be served, marked stale, when the backend fails, in seconds. Default 3600. */
        staleSeconds: z.number().min(0).default(3600),
        /** How long a "not found" answer is remembered, in seconds. Default 5. */
        notFoundTtlSeconds: z.number().min(0).default(5),
      })
      .strict()
      .default({}),
    /**
     * Most bytes read of one backend answer's body, counted while it is read: past it the read is aborted and the
     * call fails as `bad_response` (detail `too_large`), nothing parsed. Default 1048576 (1 MiB).
     */
    maxResponseBytes: z
      .number()
      .int()
      .min(1)
      .default(1024 * 1024),
    /** The circuit breaker; its semantics are in gateway/backends/breaker.ts and docs/reliability.md. */
    breaker: z
      .object({
        /** Share of bad calls (failed or slow) in the rolling window that opens the breaker, in percent. Default 50. */
        errorThresholdPercentage: z.number().min(1).max(100).default(50),
        /** Calls recorded in the rolling window before the breaker may open (Resilience4j minimumNumberOfCalls). Default 10. */
        volumeThreshold: z.number().int().min(1).default(10),
        /**
         * Bad calls in a row that open the breaker whatever the window holds (Envoy's consecutive_5xx). At a 30%
         * error rate 10 in a row happen about once in 170,000 calls. Default 10.
         */
        consecutiveFailures: z.number().int().min(1).default(10),
        /** Length of the rolling window, in milliseconds (10 buckets). Default 10000. */
        rollingCountTimeoutMs: z.number().int().min(10).default(10_000),
        /**
         * How long the breaker stays open before it admits probes, in milliseconds. Short, so a backend that is back
         * is refused little (under 1.5 s flapping, see docs/reliability.md); the price is `halfOpenProbes` calls per
         * this period to a backend that stays down. Default 500.
         */
        resetTimeoutMs: ms('reset timeout', 500),
        /**
         * A call still unanswered after this long counts as bad, at that moment, even if it later succeeds
         * (Resilience4j slowCallDurationThreshold): a backend that hangs opens the breaker before its calls time
         * out. In milliseconds. Default 1000.
         */
        slowCallDurationMs: z.number().int().min(1).default(1_000),
        /** Calls admitted while half-open; all must succeed to close, any bad one opens again. Default 3. */
        halfOpenProbes: z.number().int().min(1).default(3),
      })
      .strict()
      .default({}),
    bulkhead: z
      .object({
        /**
         * Most calls in flight to this backend from one gateway instance. Size it by Little's law: calls per view ×
         * views per second × latency in seconds, with headroom (docs/reliability.md). The default 100 covers a
         * source read once per view at 500 views/s and 100 ms, twice over. Default 100.
         */
        maxConcurrent: z.number().int().min(1).default(100),
        /**
         * Calls that may wait for room when `maxConcurrent` are in flight; one more is refused at once (reason
         * "overloaded"). 0: refuse at once, no queue. Default 300.
         */
        queue: z.number().int().min(0).default(300),
        /** Longest a call waits in the queue, in milliseconds; then it is refused ("overloaded"). Default 1000. */
        queueTimeoutMs: z.number().int().min(1).default(1_000),
      })
      .strict()
      .default({}),
    retry: z
      .object({
        /** Extra attempts after a failed idempotent read. Default 1. */
        attempts: z.number().int().min(0).max(5).default(1),
        /** First backoff, doubled at each attempt, with full jitter, in milliseconds. Default 50. */
        backoffMs: ms('backoff', 50),
        /** Retries may be at most this share of calls (the retry budget), 0 to 1. Default 0.2. */
        budgetRatio: z.number().min(0).max(1).default(0.2),
      })
      .strict()
      .default({}),
  })
  .strict();

/**
 * The write side of a source (its adapter's commands, e.g. recording a contact in the CRM): a path of its own, so
 * slow or failing writes never open the breaker or fill the bulkhead of the reads, and the other way round.
 */
const CommandPolicySchema = z
  .object({
    /** Deadline of one command call, in milliseconds; the call is aborted when it passes. Default 3000. */
    timeoutMs: z.number().int().min(1).default(3000),
    /** The commands' own circuit breaker: the keys and defaults of `breaker`. */
    breaker: ReadPolicySchema.shape.breaker,
    /** The commands' own bulkhead: the keys and defaults of `bulkhead`. */
    bulkhead: ReadPolicySchema.shape.bulkhead,
    retry: z
      .object({
        /**
         * Extra attempts after a failed command, made ONLY when the command carries an idempotency key (without one
         * a retry could record twice), and never after a timeout or a refusal by the backend. Default 1.
         */
        attempts: z.number().int().min(0).max(5).default(1),
        /** First backoff, doubled at each attempt, with full jitter, in milliseconds. Default 100. */
        backoffMs: ms('backoff', 100),
      })
      .strict()
      .default({}),
  })
  .strict();
export type CommandPolicy = z.infer<typeof CommandPolicySchema>;

/**
 * Bounds of a registered adapter's JSONata mapping (gateway/runtime/mapping.ts): `admin.mappings`. Mappings run in
 * child processes, never on the gateway's event loop. A call past a bound fails its own section (SOURCE_UNAVAILABLE,
 * reason bad_response, detail mapping_limit); a definition whose mapping exceeds them on its sample records is refused
 * at validate (DEFINITION_REFUSED, path resources.<name>.mapping).
 */
export const MappingBoundsSchema = z
  .object({
    /**
     * Longest one mapping call may run, in milliseconds. JSONata stops at it by itself; a call it cannot
     * interrupt (one regular expression, one builtin) has its process killed after as long again (at
     * least 100 ms more). Default 100.
     */
    timeoutMs: z.number().int().min(1).max(60_000).default(100),
    /** Deepest nesting of evaluations (recursion), in JSONata evaluation frames. Default 500. */
    maxDepth: z.number().int().min(10).default(500),
    /** Largest record one call may produce (its JSON), and widest `$pad`, in bytes. Default 1048576 (1 MiB). */
    maxOutputBytes: z
      .number()
      .int()
      .min(1024)
      .default(1024 * 1024),
    /** Most items in one sequence or range, in items. Default 100000. */
    maxSequence: z.number().int().min(100).default(100_000),
    /** Heap limit of each mapping process, in MiB (past it that process ends, and only its call fails). Default 128. */
    maxMemoryMb: z.number().int().min(32).default(128),
    /** Mapping processes per gateway process, started at the first mapping call: calls run in parallel on as many. Default 2. */
    processes: z.number().int().min(1).max(16).default(2),
  })
  .strict();

export const PolicySchema = ReadPolicySchema.extend({
  /** The adapter's commands (writes): timeout, breaker and bulkhead of their own; see CommandPolicySchema. */
  commands: CommandPolicySchema.default({}),
}).strict();

export type Policy = z.infer<typeof PolicySchema>;

/** A consumer's allowance; both limits apply. Shared by every instance through Redis when `cache.redisUrl` is set. */
const RateSchema = z
  .object({
    /** Requests per second, a consumer's steady rate; a burst of one second's worth is allowed. Default 50. */
    requestsPerSecond: z.number().int().min(1).default(50),
    /** Backend cost per second (an operation's estimated backend calls, from the limits plugin; 1 when unknown). Default 500. */
    costPerSecond: z.number().int().min(1).default(500),
  })
  .strict();

const AdapterEntrySchema = z
  .object({
    /** The source name: lower-case letters and digits. It names the adapter folder unless `module` is set. */
    name: z.string().regex(/^[a-z][a-z0-9]*$/, 'a lower-case name of letters and digits'),
    /** Module exporting the adapter (default: `adapters/<name>`), resolved from the repository root. */
    module: z.string().min(1).optional(),
    /** The backend's base URL. */
    url: z.string().url(),
    /** Resilience and cache policy; every key is optional and has the default documented on PolicySchema. */
    policy: PolicySchema.default({}),
  })
  .strict();

/** The masking rules a role may name (gateway/pipeline/mask.ts implements them). */
export const MASK_RULES = ['idCard', 'msisdn', 'cityOnly', 'email', 'name'] as const;

/** What a role may do with one field: read it, read it masked by a named rule, or not read it. */
const FieldRightSchema = z.union([z.enum(['allow', 'deny']), z.object({ mask: z.enum(MASK_RULES) }).strict()]);

export const RoleSchema = z
  .object({
    /**
     * Rights per field, keyed by schema coordinate `Type.field` or `Type.*` (every field of the type). The most
     * specific key wins: `Type.field`, then `Type.*`, then `default`. A denied Customer section is never fetched.
     */
    fields: z
      .record(
        z
          .string()
          .regex(/^[A-Za-z_][A-Za-z0-9_]*\.([A-Za-z_][A-Za-z0-9_]*|\*)$/, 'a schema coordinate Type.field or Type.*'),
        FieldRightSchema,
      )
      .default({}),
    /** Right of a field no key names. Default "allow". */
    default: z.enum(['allow', 'deny']).default('allow'),
    /**
     * A request that selects a denied field: "null" answers it with the field null and a FORBIDDEN error naming it
     * (GraphQL's null propagation applies to non-null fields); "refuse" refuses the whole request (403 FORBIDDEN)
     * before any backend call. Default "null".
     */
    onDenied: z.enum(['null', 'refuse']).default('null'),
  })
  .strict();
export type Role = z.infer<typeof RoleSchema>;

/**
 * The default roles. Every role may read the provenance (`Customer.sources`) and look customers up (`Query.customer`,
 * `Query.customerByMsisdn`); each section a role may not read is denied at its Customer field, so it is never
 * fetched. The marketing reports (`Query.campaignReport`, `Query.offersReport`) are for marketing and admin; an
 * agent's own callback tasks (`Query.callbackTasks`, `Mutation.closeCallbackTask`) for the desk roles and admin.
 */
export const DEFAULT_ROLES: Record<string, z.input<typeof RoleSchema>> = {
  /** The whole view; the ID-card number masked. No marketing reports. */
  'front-desk': {
    fields: {
      'Profile.idCardNumber': { mask: 'idCard' },
      'Query.campaignReport': 'deny',
      'Query.offersReport': 'deny',
    },
  },
  /** No full address (city only); ID card masked. No marketing reports. */
  'call-center': {
    fields: {
      'Query.campaignReport': 'deny',
      'Query.offersReport': 'deny',
      'Profile.idCardNumber': { mask: 'idCard' },
      'Profile.address': { mask: 'cityOnly' },
      'Profile.email': { mask: 'email' },
    },
  },
  /** Name, masked MSISDN, billing summary. No marketing reports. */
  'self-service': {
    fields: {
      'Query.callbackTasks': 'deny',
      'Mutation.closeCallbackTask': 'deny',
      'Query.campaignReport': 'deny',
      'Query.offersReport': 'deny',
      'Profile.*': 'deny',
      'Profile.name': 'allow',
      'Profile.msisdn': { mask: 'msisdn' },
      'Customer.products': 'deny',
      'Customer.contacts': 'deny',
      'Customer.insights': 'deny',
      'Customer.score': 'deny',
      'Customer.recommendations': 'deny',
      'Customer.steering': 'deny',
      'Customer.bestContactTime': 'deny',
      'Billing.bills': 'deny',
      'Billing.paymentBehaviour': 'deny',
      'Mutation.recordContact': 'deny',
    },
  },
  /**
   * Insights, score and recommendations, and what deciding whether an offer may go needs (the eligibility check of
   * rules and campaigns): products held, status, type, region, gender and the name masked (the surname a message
   * greets with), balance and bills (arrears). No contacts, no identity data (ID card, number, address, e-mail), no
   * payment behaviour. Records contacts only through rules and campaigns (which call the touchpoint service
   * themselves), never through recordContact.
   */
  marketing: {
    fields: {
      'Query.callbackTasks': 'deny',
      'Mutation.closeCallbackTask': 'deny',
      'Profile.*': 'deny',
      'Profile.name': { mask: 'name' },
      'Profile.gender': 'allow',
      'Profile.status': 'allow',
      'Profile.type': 'allow',
      'Profile.region': 'allow',
      'Profile.customerSince': 'allow',
      'Customer.contacts': 'deny',
      'Billing.paymentBehaviour': 'deny',
      'Mutation.recordContact': 'deny',
    },
  },
  /** Billing only. No marketing reports. */
  'legacy-billing': {
    fields: {
      'Query.callbackTasks': 'deny',
      'Mutation.closeCallbackTask': 'deny',
      'Query.campaignReport': 'deny',
      'Query.offersReport': 'deny',
      'Customer.profile': 'deny',
      'Customer.contacts': 'deny',
      'Customer.products': 'deny',
      'Customer.insights': 'deny',
      'Customer.score': 'deny',
      'Customer.recommendations': 'deny',
      'Customer.steering': 'deny',
      'Customer.bestContactTime': 'deny',
      'Mutation.recordContact': 'deny',
    },
  },
  /** Everything, unmasked: the admin API and operators' tools. */
  admin: {},
};

const sha256Hex = z.string().regex(/^[0-9a-f]{64}$/, 'a SHA-256 digest as 64 lower-case hex digits');

/** Shortest SOAP password, in characters. */
export const MIN_PASSWORD_LENGTH = 12;

/**
 * Why a SOAP password is too weak to configure, or null. A SOAP password can be guessed over the network (Basic, or a
 * PasswordDigest); the login throttle (security.loginThrottle) slows guessing, and this keeps the guesses needed
 * out of reach: at least MIN_PASSWORD_LENGTH characters, of at least two kinds (lower case, upper case, digits,
 * others), at least 6 different characters, and not the user name. The message never quotes the password.
 */
export function passwordWeakness(password: string, username?: string): string | null {
  const length = [...password].length;
  if (length < MIN_PASSWORD_LENGTH)
    return `too short: ${length} characters, at least ${MIN_PASSWORD_LENGTH} are required`;
  const kinds = [/\p{Ll}/u, /\p{Lu}/u, /\p{Nd}/u, /[^\p{Ll}\p{Lu}\p{Nd}]/u].filter((kind) =>
    kind.test(password),
  ).length;
  if (kinds < 2) return 'too weak: use at least two kinds of characters (lower case, upper case, digits, others)';
  if (new Set(password).size < 6) return 'too weak: at least 6 different characters are required';
  if (username !== undefined && password.toLowerCase() === username.toLowerCase())
    return 'too weak: the password must not be the user name';
  return null;
}

const ConsumerSchema = z
  .object({
    /** Stable id of the consumer (logs, audit trail, rate limits). */
    id: z.string().regex(/^[\w.:-]{1,64}$/, '1 to 64 letters, digits, ".", ":", "_" or "-"'),
    /** Human-readable name. Default: the id. */
    name: z.string().min(1).optional(),
    /** A role named in `security.roles`. */
    role: z.string().min(1),
    /** SHA-256 (hex) of the consumer's API key, sent as `x-api-key` on /graphql. The key itself is never stored. */
    apiKeySha256: sha256Hex.optional(),
    /** User name for SOAP: WS-Security UsernameToken or HTTP Basic. */
    username: z.string().min(1).optional(),
    /**
     * The SOAP password. WS-Security PasswordDigest is computed from the password itself, so the gateway must hold
     * it (keep the config file private); HTTP Basic compares it in constant time. At least 12 characters, of at
     * least two kinds (lower case, upper case, digits, others), at least 6 different ones, not the user name
     * (passwordWeakness).
     */
    password: z.string().optional(),
  })
  .strict();

const JwtSchema = z
  .object({
    /** Expected `iss` claim. */
    issuer: z.string().min(1),
    /** Expected `aud` claim (one of). */
    audience: z.union([z.string().min(1), z.array(z.string().min(1)).min(1)]),
    /** Accepted algorithms. Default ["HS256", "RS256", "ES256"]. */
    algorithms: z
      .array(z.enum(['HS256', 'RS256', 'ES256']))
      .min(1)
      .default(['HS256', 'RS256', 'ES256']),
    /** Shared secret for HS256 (UTF-8, at least 32 characters). */
    secret: z.string().min(32).optional(),
    /** Public keys as JWKs (RSA or EC), matched by `kid` when the token names one. */
    keys: z.array(z.record(z.unknown())).default([]),
    /** A JWKS file (`{ "keys": [...] }`), read once at start, resolved from the working directory. */
    jwksFile: z.string().min(1).optional(),
    /** Claim holding the role. Default "role". */
    roleClaim: z.string().min(1).default('role'),
    /** Allowed clock skew for `exp` and `nbf`, in seconds. Default 30. */
    clockToleranceSeconds: z.number().int().min(0).max(300).default(30),
  })
  .strict();

const SecuritySchema = z
  .object({
    /** Roles by name. Default: DEFAULT_ROLES (front-desk, call-center, self-service, marketing, legacy-billing, admin). */
    roles: z.record(z.string().regex(/^[a-z][a-z0-9-]*$/, 'a lower-case role name'), RoleSchema).default(DEFAULT_ROLES),
    /** Who may call: API keys (hashed), SOAP users. Default: nobody. */
    consumers: z.array(ConsumerSchema).default([]),
    /** JWT bearer tokens on /graphql; absent: JWTs are refused. */
    jwt: JwtSchema.optional(),
    /** A request with no credentials gets this role instead of 401. Off by default; never turn it on for personal data. */
    anonymous: z
      .object({ role: z.string().min(1) })
      .strict()
      .optional(),
    /**
     * Failed authentication, throttled (gateway/rate-limit/login-throttle.ts has the whole policy): per source address
     * and per claimed identity (Basic or WS-Security user name, API key), shared through Redis when cache.redisUrl is
     * set. Past a counter, every attempt it covers is refused with RATE_LIMITED (429, Retry-After) until its window ends.
     */
    loginThrottle: z
      .object({
        /** False: no attempt is counted or refused. Default true. */
        enabled: z.boolean().default(true),
        /** Failed attempts from one source address, any identities. Default 30 in 900 seconds (15 minutes). */
        perAddress: z
          .object({
            /** Failed attempts counted before further attempts are refused. Default 30. */
            failures: z.number().int().min(1).default(30),
            /** Window from the first failure, in seconds. Default 900. */
            windowSeconds: z.number().int().min(1).max(86_400).default(900),
          })
          .strict()
          .default({}),
        /** Failed attempts for one claimed identity, from any address. Default 10 in 900 seconds (15 minutes). */
        perIdentity: z
          .object({
            /** Failed attempts counted before further attempts are refused. Default 10. */
            failures: z.number().int().min(1).default(10),
            /** Window from the first failure, in seconds. Default 900. */
            windowSeconds: z.number().int().min(1).max(86_400).default(900),
          })
          .strict()
          .default({}),
        /**
         * Addresses or CIDR ranges (e.g. "10.0.0.0/8") of the proxies in front of the gateway (the load balancer):
         * for a request from one, the source address is the right-most X-Forwarded-For entry that is not a trusted
         * proxy. Default none: the peer's address is the source.
         */
        trustedProxies: z
          .array(
            z.string().refine((entry) => {
              const [address = '', bits, ...rest] = entry.split('/');
              const family = isIP(address);
              if (family === 0 || rest.length > 0) return false;
              if (bits === undefined) return true;
              const n = Number(bits);
              return /^\d+$/.test(bits) && n <= (family === 4 ? 32 : 128);
            }, 'an IP address or a CIDR range such as "10.0.0.0/8"'),
          )
          .default([]),
        /** Deadline of one Redis round trip of the throttle, in milliseconds; past it this instance's own count decides. Default 50. */
        redisTimeoutMs: z.number().int().min(1).default(50),
      })
      .strict()
      .default({}),
    wsSecurity: z
      .object({
        /** How far `Created` may be from now, and how long a nonce is remembered, in seconds. Default 300. */
        windowSeconds: z.number().int().min(1).max(3600).default(300),
        /** Deadline of one Redis command of the nonce check, in milliseconds; past it the check is made in memory. Default 50. */
        redisTimeoutMs: z.number().int().min(1).default(50),
        /**
         * Most nonces one instance keeps in memory, in nonces (each is kept for twice windowSeconds, never forgotten
         * sooner). Past it, new UsernameTokens are refused with RATE_LIMITED until the oldest expires (with Redis,
         * Redis alone then decides). Default 500000 (about 75 MB).
         */
        maxNonces: z.number().int().min(1).default(500_000),
      })
      .strict()
      .default({}),
    /**
     * SHA-256 (hex) of the token `/readyz` and `/metrics` require as `Authorization: Bearer <token>`. Absent: they
     * stay open (no personal data; bind the gateway to a private network or set this in production).
     */
    opsTokenSha256: sha256Hex.optional(),
    /** Introspection and "Did you mean" suggestions. Default: on unless NODE_ENV=production. */
    introspection: z.boolean().optional(),
    /** GraphiQL at GET /graphql. Default: on unless NODE_ENV=production (`npm start` turns it on for its demo). */
    graphiql: z.boolean().optional(),
    /**
     * Which GraphQL documents the network may send (pipeline/documents.ts): "any" (default), or "registered": only
     * trusted documents, by `documentId` or by their exact text (the desk page's, and those of the definitions kind
     * `document`); anything else is PERSISTED_DOCUMENTS_ONLY. SOAP and in-process consumers are not affected.
     */
    trustedDocuments: z.enum(['any', 'registered']).default('any'),
  })
  .strict()
  .superRefine((security, ctx) => {
    const roles = new Set(Object.keys(security.roles));
    security.consumers.forEach((c, i) => {
      if (!roles.has(c.role))
        ctx.addIssue({
          code: 'custom',
          path: ['consumers', i, 'role'],
          message: `one of the roles ${[...roles].join(', ')}`,
        });
      if ((c.username === undefined) !== (c.password === undefined))
        ctx.addIssue({ code: 'custom', path: ['consumers', i, 'password'], message: 'username and password together' });
      const weak = c.password === undefined ? null : passwordWeakness(c.password, c.username);
      if (weak) ctx.addIssue({ code: 'custom', path: ['consumers', i, 'password'], message: weak });
    });
    if (security.anonymous && !roles.has(security.anonymous.role))
      ctx.addIssue({
        code: 'custom',
        path: ['anonymous', 'role'],
        message: `one of the roles ${[...roles].join(', ')}`,
      });
    const keys = security.consumers.flatMap((c) => (c.apiKeySha256 ? [c.apiKeySha256] : []));
    if (new Set(keys).size !== keys.length)
      ctx.addIssue({ code: 'custom', path: ['consumers'], message: 'a distinct apiKeySha256 per consumer' });
    const users = security.consumers.flatMap((c) => (c.username ? [c.username] : []));
    if (new Set(users).size !== users.length)
      ctx.addIssue({ code: 'custom', path: ['consumers'], message: 'a distinct username per consumer' });
  });
export type SecurityConfig = z.infer<typeof SecuritySchema>;

/**
 * The ports the WHATWG Fetch standard blocks ("bad ports", https://fetch.spec.whatwg.org/#port-blocking): Node's
 * fetch (undici) and browsers refuse to connect to them, with no answer at all. A gateway listening on one of them
 * gets no change webhook from the CRM and no network event (their senders use fetch), and a channel gateway on one
 * is never called. A test keeps this list equal to undici's.
 */
export const FETCH_BAD_PORTS: ReadonlySet<number> = new Set([
  1, 7, 9, 11, 13, 15, 17, 19, 20, 21, 22, 23, 25, 37, 42, 43, 53, 69, 77, 79, 87, 95, 101, 102, 103, 104, 109, 110,
  111, 113, 115, 117, 119, 123, 135, 137, 139, 143, 161, 179, 389, 427, 465, 512, 513, 514, 515, 526, 530, 531, 532,
  540, 548, 554, 556, 563, 587, 601, 636, 989, 990, 993, 995, 1719, 1720, 1723, 2049, 3659, 4045, 4190, 5060, 5061,
  6000, 6566, 6665, 6666, 6667, 6668, 6669, 6679, 6697, 10080,
]);

const badPortReason = (port: number): string =>
  `a port HTTP clients accept: Node's fetch and browsers refuse port ${port} (the WHATWG Fetch "bad ports" list), so nothing sent to it with fetch arrives`;

/** A listening port outside the Fetch standard's bad ports. */
const fetchablePort = (fallback: number) =>
  z
    .number()
    .int()
    .min(0)
    .max(65535)
    .superRefine((port, ctx) => {
      if (FETCH_BAD_PORTS.has(port)) ctx.addIssue({ code: 'custom', message: badPortReason(port) });
    })
    .default(fallback);

/** An http(s) URL whose port (explicit or the scheme's) fetch will connect to. */
const fetchableUrl = () =>
  z
    .string()
    .url()
    .superRefine((text, ctx) => {
      if (!URL.canParse(text)) return; // url() has said so
      const port = Number(new URL(text).port);
      if (port && FETCH_BAD_PORTS.has(port)) ctx.addIssue({ code: 'custom', message: badPortReason(port) });
    });

export const ConfigSchema = z
  .object({
    /** Listening port. Default 4000; 0 picks a free port. Not one of FETCH_BAD_PORTS (fetch refuses them). */
    port: fetchablePort(4000),
    /** Listening address. Default 0.0.0.0. */
    host: z.string().min(1).default('0.0.0.0'),
    adapters: z.array(AdapterEntrySchema).min(1),
    cache: z
      .object({
        /** Redis URL; when absent the gateway uses its in-memory cache. REDIS_URL overrides it. */
        redisUrl: z.string().url().optional(),
        /** Most entries kept in process: the in-memory cache, or with Redis the local copies of what it holds. Default 100000. */
        maxEntries: z.number().int().min(1).default(100_000),
        /**
         * Most bytes kept in process, by the same measure (a record's JSON length): least recently used entries go
         * first; a record larger than this is not kept. Metric ucv_cache_local_bytes. Default 134217728 (128 MiB).
         */
        maxBytes: z
          .number()
          .int()
          .min(1)
          .default(128 * 1024 * 1024),
        /**
         * Deadline of one Redis command, in milliseconds, raced against the reply (it holds when Redis stops
         * answering on an open socket): past it the read is a miss, the gateway calls the backend, and the cache is
         * counted unreachable until Redis answers a probe. Default 50.
         */
        commandTimeoutMs: z.number().int().min(1).default(50),
        /**
         * Most bytes of rendered answers kept in process (gateway/pipeline/answer-cache.ts; their JSON length), per
         * role, document and variables, each valid while every record it was built from is. 0 turns it off. Metric
         * ucv_answer_cache_total. Default 134217728 (128 MiB): a 10,000-customer hot set read through both facades is
         * about 100 MB of answers (5 KB of JSON a GraphQL view, its SOAP twin kept beside it); at 32 MiB, SOAP reads
         * evicted GraphQL answers and the hit ratio fell to 28% (bench/answer-bytes-ab.ts).
         */
        answerBytes: z
          .number()
          .int()
          .min(0)
          .default(128 * 1024 * 1024),
        /**
         * Which answers are kept. `onReuse` (default): an answer is kept when its question (role, document,
         * variables) was asked before, or when every record it was built from was in the cache already (the
         * customer is in use: read by another role or facade, or by a peer through Redis); a first read, which
         * fetched records for a question never asked, is answered and not kept (metric result `first_read`).
         * One-time reads, most of a front desk's, then neither pay for the keeping (the answer walked, cut and
         * marked, then held on the heap) nor push out answers that are read again. `always`: every answer that can
         * be kept is.
         */
        keepAnswers: z.enum(['onReuse', 'always']).default('onReuse'),
        /** Key prefix, so several deployments can share one Redis. Default "ucv:". */
        keyPrefix: z.string().default('ucv:'),
      })
      .strict()
      .default({}),
    /**
     * The base URL clients reach the gateway at, e.g. https://ucv.example.com (behind a proxy or load balancer). The
     * WSDL's soap:address is built from it, never from a request's Host header (which anyone can set). Default: the
     * gateway's listening URL, http://<host>:<port> (http://127.0.0.1:<port> when host is 0.0.0.0).
     */
    publicUrl: fetchableUrl().optional(),
    /**
     * Gateway processes serving the one port (node:cluster), each a full gateway: a number ≥ 1, or "auto" for one per
     * core. Without Redis each worker caches alone. Default 1 (no cluster: the gateway runs in the started process).
     */
    workers: z
      .union([z.literal('auto'), z.number().int().min(1).max(256)], {
        errorMap: () => ({ message: 'a whole number from 1 to 256, or "auto"' }),
      })
      .default(1),
    shutdown: z
      .object({
        /**
         * On SIGTERM, how long requests in flight may take to finish before their connections are cut, in
         * milliseconds. It must cover the slowest adapter's worst call (timeout × attempts plus backoff), checked at
         * start. Default 10000.
         */
        graceMs: z.number().int().min(0).default(10_000),
        /**
         * On SIGTERM, how long the gateway keeps accepting new connections while /readyz answers 503 and every answer
         * says `Connection: close`, so a load balancer's health check takes it out first, in milliseconds. Set it to
         * the balancer's check interval × its fall count. Default 0 (stop listening at once).
         */
        delayMs: z.number().int().min(0).default(0),
      })
      .strict()
      .default({}),
    limits: z
      .object({
        /** Largest request body as sent (GraphQL, SOAP, events), in bytes. Default 102400. */
        maxBodyBytes: z
          .number()
          .int()
          .min(1)
          .default(100 * 1024),
        /** Largest request body once inflated (Content-Encoding gzip or deflate), in bytes. Default 409600. */
        maxInflatedBodyBytes: z
          .number()
          .int()
          .min(1)
          .default(400 * 1024),
        /** Longest silence while a request body is being sent, in milliseconds; then 408 REQUEST_TIMEOUT. Default 5000. */
        bodyIdleTimeoutMs: z.number().int().min(1).default(5_000),
        /** Longest time to receive a whole request body, in milliseconds; then 408 REQUEST_TIMEOUT. Default 10000. */
        bodyTimeoutMs: z.number().int().min(1).default(10_000),
        /** Deepest selection, counted through fragments (GraphQL Armor max-depth). Default 6. */
        maxDepth: z.number().int().min(1).default(6),
        /** Most aliases in one operation, counted through fragments (GraphQL Armor max-aliases). Default 15. */
        maxAliases: z.number().int().min(0).default(15),
        /** Most tokens in one document (parse aborts past it). Default 1000. */
        maxTokens: z.number().int().min(1).default(1000),
        /** Most directives in one operation, through fragments (GraphQL Armor max-directives). Default 50. */
        maxDirectives: z.number().int().min(0).default(50),
        /** Highest GraphQL Armor cost (objects 2, scalars 1, ×1.5 per level). Default 5000. */
        maxCost: z.number().int().min(1).default(5000),
        /** Most distinct root fields, counted through inline and named fragments. Default 10. */
        maxRootFields: z.number().int().min(1).default(10),
        /**
         * Deepest nesting of objects and lists in an operation's variables; deeper is BAD_USER_INPUT before anything
         * runs (graphql-js coerces input recursively: 5,000 levels ran it out of stack). Default 32, far more than
         * any input type of the schema nests.
         */
        maxVariablesDepth: z.number().int().min(1).default(32),
        /** Most backend calls the operation's plan would make (root fields × resources they read). Default 80. */
        maxBackendCalls: z.number().int().min(1).default(80),
      })
      .strict()
      .default({}),
    events: z
      .object({
        /**
         * The shared secret of each source's change events (`POST /events/<source>`), by source name: the sender
         * signs every event with it (HMAC-SHA256, see docs/events.md). Also `network` for customer events
         * (`POST /events/network`) and `channels` for the channel gateway's customer replies (`POST /events/replies`).
         * A source with no secret has every event refused. UCV_<SOURCE>_EVENTS_SECRET overrides, e.g.
         * UCV_CRM_EVENTS_SECRET, UCV_CHANNELS_EVENTS_SECRET. At least 16 characters.
         */
        secrets: z.record(z.string().min(16)).default({}),
        /** How far an event's signed timestamp may be from the gateway's clock, in seconds. Default 300. */
        toleranceSeconds: z.number().int().min(1).default(300),
        /** Deadline of the Redis replay check, in milliseconds; past it the event is refused (the sender retries). Default 200. */
        redisTimeoutMs: z.number().int().min(1).default(200),
      })
      .strict()
      .default({}),
    rateLimit: z
      .object({
        /** Limits of a consumer whose role has none below (and of anonymous requests, as one consumer). */
        default: RateSchema.default({}),
        /** Limits per role, by role name (e.g. "self-service"); each key optional, defaulting as `default`'s. */
        roles: z.record(RateSchema).default({}),
        /**
         * Deadline of one Redis round trip, in milliseconds. Past it, or while Redis is down, the request goes
         * through unlimited (fail open) and ucv_rate_limit_fail_open_total counts it. Default 50.
         */
        redisTimeoutMs: z.number().int().min(1).default(50),
      })
      .strict()
      .default({}),
    store: z
      .object({
        /**
         * PostgreSQL URL of the durable store (audit trail, later outbox and rules). When absent the gateway uses its
         * embedded PGlite in `dataDir`, which needs no service. DATABASE_URL overrides it.
         */
        url: z
          .string()
          .regex(/^postgres(ql)?:\/\//, 'a postgres:// URL')
          .optional(),
        /** Folder of the embedded store, resolved from the repository root. Default "var/store". One process only. */
        dataDir: z.string().min(1).default('var/store'),
        /** Schema holding the store's tables and migration journal: a lower-case SQL identifier. Default "ucv". */
        schema: z
          .string()
          .regex(/^[a-z_][a-z0-9_]{0,62}$/, 'a lower-case SQL identifier')
          .default('ucv'),
        /** Most PostgreSQL connections per instance. Default 10. */
        poolSize: z.number().int().min(2).max(100).default(10),
      })
      .strict()
      .default({}),
    /** Recording contacts (recordContact / RecordContact) and their outbox (gateway/touchpoints/, docs/touchpoints.md). */
    touchpoints: z
      .object({
        /** The adapter whose command records a contact. Default "crm". */
        source: z.string().min(1).default('crm'),
        /** That adapter's command. Default "recordContact". */
        command: z.string().min(1).default('recordContact'),
        /**
         * Width of the window of a derived idempotency key (a request without one), in seconds: the same consumer
         * sending the same contact for the same customer within one window records it once. Default 60.
         */
        derivedKeyWindowSeconds: z.number().int().min(1).default(60),
        outbox: z
          .object({
            /** Run the delivery worker in this instance. Default true. */
            enabled: z.boolean().default(true),
            /** Pause between two polls of the outbox when nothing was due, in milliseconds. Default 500. */
            pollMs: z.number().int().min(10).default(500),
            /** Most items one poll claims (one per customer: the head of its queue). Default 50. */
            batchSize: z.number().int().min(1).max(1000).default(50),
            /**
             * How long a claimed item stays with the instance delivering it, in milliseconds; an instance that dies
             * mid-delivery lets it go after this, and another delivers it again with the same idempotency key.
             * Longer than a command's worst call (attempts × timeout). Default 30000.
             */
            leaseMs: z.number().int().min(100).default(30_000),
            /** Wait before the second delivery attempt, doubled at each further one, with jitter, in milliseconds. Default 500. */
            backoffMs: z.number().int().min(1).default(500),
            /** Longest wait between two delivery attempts, in milliseconds. Default 30000. */
            maxBackoffMs: z.number().int().min(1).default(30_000),
          })
          .strict()
          .default({}),
        /** The best time to contact (Customer.bestContactTime, docs/touchpoints.md), from the touchpoints kept. */
        contactTime: z
          .object({
            /**
             * Outcomes of a contact the customer did not answer (an offer sent and never replied to, a call not
             * picked up); every other outcome counts as answered. Default SENT, NO_RESPONSE, NO_ANSWER,
             * UNREACHABLE, BUSY, FAILED.
             */
            unansweredOutcomes: z
              .array(z.string().min(1))
              .default(['SENT', 'NO_RESPONSE', 'NO_ANSWER', 'UNREACHABLE', 'BUSY', 'FAILED']),
            /** How many best hours are named, best first. Default 3. */
            bestHours: z.number().int().min(1).max(24).default(3),
            /** Most contacts of one customer read, the newest first. Default 2000. */
            maxContacts: z.number().int().min(10).max(100_000).default(2000),
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({}),
    audit: z
      .object({
        /**
         * Record every read of personal data (docs/audit.md). Default true. While on, a read that cannot be recorded
         * is refused with AUDIT_UNAVAILABLE rather than answered unrecorded.
         */
        enabled: z.boolean().default(true),
        /**
         * Customer fields that are not personal data; every other field is, so an answer carrying any non-null field
         * outside this list is recorded (a section a new adapter adds is recorded without being listed anywhere).
         * Default ["id", "sources"]: the id the caller already had, and the provenance of the answer.
         */
        notPersonalData: z
          .array(z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, 'a GraphQL field name'))
          .default(['id', 'sources']),
        /**
         * Most audit records waiting for their group commit, in records. Past it, reads are refused
         * (AUDIT_UNAVAILABLE, metric ucv_audit_refused_total{reason="queue_full"}). Default 10000.
         */
        maxQueue: z.number().int().min(1).default(10_000),
        /** Most records in one group commit (one multi-row INSERT), in records. Default 500. */
        maxBatch: z.number().int().min(1).max(5000).default(500),
        /**
         * Longest a read waits for its audit record's commit, in milliseconds; past it the read is refused
         * (AUDIT_UNAVAILABLE, ucv_audit_refused_total{reason="timeout"}). Default 2000.
         */
        commitTimeoutMs: z.number().int().min(1).default(2000),
        /** Role allowed to read the trail through GET /admin/audit. Default "admin". */
        adminRole: z.string().min(1).default('admin'),
      })
      .strict()
      .default({}),
    /** Definitions registered at run time through the admin API (gateway/definitions/, docs/integrators.md). */
    admin: z
      .object({
        /** Role allowed to call /admin/adapters (and every definitions kind). Default "admin". */
        role: z.string().min(1).default('admin'),
        /**
         * Let a registered adapter's URL resolve to a loopback address (127.0.0.0/8, ::1). Default false: a
         * registered URL reaching the gateway's own host is an SSRF risk. The demo (`npm start`) and the tests allow it.
         */
        allowLoopback: z.boolean().default(false),
        /**
         * Where definitions are kept without Redis, from the repository root (written atomically: a temporary file,
         * then rename). With `cache.redisUrl` they are kept in Redis and shared by every instance. Default var/definitions.json.
         */
        definitionsFile: z.string().min(1).default('var/definitions.json'),
        /** Deadline of the reachability probe of a registered adapter's base URL, in ms. Default 2000. */
        probeTimeoutMs: z.number().int().min(1).default(2000),
        /**
         * Most bytes of each document of a registered SOAP adapter's WSDL (the WSDL and every document it imports),
         * read at validate and when node-soap loads it; larger is refused. Default 1048576 (1 MiB).
         */
        maxWsdlBytes: z
          .number()
          .int()
          .min(1024)
          .default(1024 * 1024),
        /** Versions kept in each definition's history (older ones are dropped). Default 50. */
        historyLimit: z.number().int().min(1).default(50),
        /** Bounds of a registered adapter's JSONata mapping: time, depth, size, memory (MappingBoundsSchema). */
        mappings: MappingBoundsSchema.default({}),
      })
      .strict()
      .default({}),
    /**
     * Channel steering (gateway/steering/, the view's `steering` section): where to steer a customer per service, by
     * the channel guideline's diversion table, the customer's preference levels and value tier, and the channels'
     * load.
     */
    steering: z
      .object({
        /**
         * The steering table (gateway/steering/definition.ts has its shape), checked at start with named paths.
         * Default: the guideline's table (gateway/steering/default-table.ts). A registered definition of kind
         * `steering` (`/admin/steerings/default`) replaces it at run time.
         */
        table: z.unknown().optional(),
        /**
         * The channel systems' load, read through the protected path like an adapter (`adapters/<name>`, by
         * default `channelload`: the channel gateway's `GET /channels/v1/load`); its record is cached for
         * `policy.cache.ttlSeconds` (keep it short). UCV_CHANNELLOAD_URL overrides the URL. Absent: steering
         * answers without load, and says so.
         */
        load: AdapterEntrySchema.optional(),
      })
      .strict()
      .default({}),
    /**
     * Event-triggered marketing (docs/event-marketing.md): customer events in (`POST /events/network`, signed with
     * `events.secrets.network`; RabbitMQ when `amqp.url` is set), business rules over the event and the customer's
     * view, offers out through the channel gateway within caps, quiet hours and the suppression list. Needs the
     * durable store; without `channelsUrl` events are refused.
     */
    marketing: z
      .object({
        /** Base URL of the channel gateway (SMS, push, e-mail). UCV_CHANNELS_URL overrides. No default: no offers are sent. */
        channelsUrl: fetchableUrl().optional(),
        /** Deadline of one channel gateway call, in milliseconds. Default 2000. */
        channelTimeoutMs: z.number().int().min(1).default(2000),
        /** Role of the in-process consumer that loads the views rules read (through the pipeline). Default "marketing". */
        role: z.string().min(1).default('marketing'),
        /** Most customer-view loads per second for rules, per instance (token bucket). Default 50. */
        viewLoadsPerSecond: z.number().int().min(1).default(50),
        /** Most view loads waiting for a token; past it an event fails and is retried by its sender. Default 2000. */
        maxWaitingViewLoads: z.number().int().min(1).default(2000),
        caps: z
          .object({
            /** Most offers to one customer in 24 h (rolling), all channels. Default 1. */
            perCustomerPerDay: z.number().int().min(0).default(1),
            /** Most offers to one customer in 7 × 24 h (rolling). Default 3. */
            perCustomerPerWeek: z.number().int().min(0).default(3),
            /** Most offers to one customer on one channel in 24 h. Default 1. */
            perChannelPerDay: z.number().int().min(0).default(1),
          })
          .strict()
          .default({}),
        quietHours: z
          .object({
            /** Start of the quiet hours, "HH:MM" local time. Default "21:00". */
            start: z
              .string()
              .regex(/^([01]\d|2[0-3]):[0-5]\d$/, '"HH:MM"')
              .default('21:00'),
            /** End, "HH:MM" local time (may be the next day). Equal to start: no quiet hours. Default "08:00". */
            end: z
              .string()
              .regex(/^([01]\d|2[0-3]):[0-5]\d$/, '"HH:MM"')
              .default('08:00'),
            /** IANA time zone of start and end. Default "Asia/Shanghai". */
            timeZone: z
              .string()
              .refine(isTimeZone, 'an IANA time zone such as "Asia/Shanghai"')
              .default('Asia/Shanghai'),
          })
          .strict()
          .default({}),
        amqp: z
          .object({
            /** RabbitMQ URL, e.g. amqp://guest:guest@127.0.0.1:5672. UCV_AMQP_URL overrides. No default: webhook only. */
            url: z
              .string()
              .regex(/^amqps?:\/\//, 'an amqp:// URL')
              .optional(),
            /** Durable queue of customer events; its dead-letter queue is "<queue>.dlq". Default "ucv.customer-events". */
            queue: z
              .string()
              .regex(/^[\w.:-]{1,200}$/, 'a queue name')
              .default('ucv.customer-events'),
            /** Most unacknowledged messages at once, per instance. Default 16. */
            prefetch: z.number().int().min(1).max(1000).default(16),
            /** Wait before requeueing an event that failed once, in milliseconds. Default 1000. */
            retryDelayMs: z.number().int().min(0).default(1000),
            /** First reconnect delay, in milliseconds (doubles). Default 500. */
            reconnectMinMs: z.number().int().min(1).default(500),
            /** Longest reconnect delay, in milliseconds. Default 30000. */
            reconnectMaxMs: z.number().int().min(1).default(30_000),
          })
          .strict()
          .default({}),
        /** Rules in force at start (gateway/marketing/rules/definition.ts), before the definitions store's. Default none. */
        rules: z.array(z.unknown()).default([]),
        /**
         * Event kinds in force at start (gateway/marketing/events/event-kind.ts), before the definitions store's.
         * Absent: the built-in kinds (DEFAULT_EVENT_KINDS: roaming, handset on, directory enquiry, call made, cell
         * location, balance low, product ordered).
         */
        eventKinds: z.array(z.unknown()).optional(),
        /**
         * The marketing console's rules (`/marketing/console`, docs/event-marketing.md): who drafts, and who approves and
         * publishes (four eyes: never the draft's own author).
         */
        console: z
          .object({
            /** Roles that may draft rules, dry-run them and switch one off. Default ["marketing", "admin"]. */
            authorRoles: z.array(z.string().min(1)).min(1).default(['marketing', 'admin']),
            /** Roles that may publish a draft, roll back and switch a rule on. Default ["admin"]. */
            approverRoles: z.array(z.string().min(1)).min(1).default(['admin']),
          })
          .strict()
          .default({}),
        /** Campaigns to selected customers (gateway/marketing/campaigns/, docs/campaigns.md). */
        campaigns: z
          .object({
            /** Roles that may launch, pause, resume and cancel a campaign. Default ["admin"]. */
            launchRoles: z.array(z.string().min(1)).min(1).default(['admin']),
            /** Roles that may read a campaign's run and report. Default ["admin", "marketing"]. */
            readRoles: z.array(z.string().min(1)).min(1).default(['admin', 'marketing']),
            /** Targets one instance claims at once. Default 50. */
            batchSize: z.number().int().min(1).max(1000).default(50),
            /** How long a claim holds before another instance may take its targets over, in ms. Default 30000. */
            leaseMs: z.number().int().min(1000).default(30_000),
            /** Customer ids read per audience page. Default 1000. */
            pageSize: z.number().int().min(1).max(10_000).default(1000),
            /** Pause of an instance's campaign loop when there is nothing to do, in ms. Default 250. */
            idleMs: z.number().int().min(10).default(250),
            /**
             * A target of a campaign sent at the best time (`schedule.sendAt: "bestTime"`) that may not be sent to
             * now is looked at again when its best hour starts, or after this long at most, in ms. Default 60000.
             */
            bestTimeRecheckMs: z.number().int().min(10).default(60_000),
          })
          .strict()
          .default({}),
      })
      .strict()
      .default({}),
    /**
     * Compile each GraphQL operation to JavaScript (graphql-jit) the first time it is seen, instead of interpreting
     * it on every request (graphql-js). Default true; false is the switch back should a compiled query misbehave.
     */
    compileQueries: z.boolean().default(true),
    /** Identity, roles, field rights and masking (gateway/pipeline/, docs/security.md). */
    security: SecuritySchema.default({}),
    /** Log level: fatal, error, warn, info, debug, trace or silent. Default info. */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict()
  .superRefine((config, ctx) => {
    const { graceMs, delayMs } = config.shutdown;
    if (delayMs >= graceMs && graceMs > 0) {
      ctx.addIssue({
        code: z.ZodIssueCode.custom,
        path: ['shutdown', 'delayMs'],
        message: `less than shutdown.graceMs (${graceMs})`,
      });
    }
    config.adapters.forEach((adapter, i) => {
      const worst = worstCallMs(adapter.policy);
      if (worst > graceMs) {
        ctx.addIssue({
          code: z.ZodIssueCode.custom,
          path: ['shutdown', 'graceMs'],
          message: `at least ${worst} (adapters[${i}] "${adapter.name}": ${adapter.policy.retry.attempts + 1} attempts of ${adapter.policy.timeoutMs} ms plus backoff), so a drain never cuts a call in flight`,
        });
      }
    });
  });

/** The longest one backend call can take through its retries: every attempt at its deadline, every backoff in full. */
export function worstCallMs(policy: Policy): number {
  const { attempts, backoffMs } = policy.retry;
  let backoff = 0;
  for (let i = 0; i < attempts; i++) backoff += backoffMs * 2 ** i;
  return (attempts + 1) * policy.timeoutMs + backoff;
}

export type GatewayConfig = z.infer<typeof ConfigSchema>;
/** A configuration as written, before defaults are applied. */
export type GatewayConfigInput = z.input<typeof ConfigSchema>;
export type AdapterEntry = z.infer<typeof AdapterEntrySchema>;

export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
}

/** Keys whose values are secrets: a config error shows that they are there, never what they are. */
const SECRET_KEYS = new Set(['password', 'secret', 'secrets']);
const hide = (value: unknown): unknown =>
  typeof value === 'string'
    ? '(hidden)'
    : value && typeof value === 'object'
      ? Object.fromEntries(Object.keys(value).map((k) => [k, '(hidden)']))
      : value;

const describe = (value: unknown, key?: string | number): string =>
  value === undefined
    ? 'nothing'
    : typeof key === 'string' && SECRET_KEYS.has(key)
      ? JSON.stringify(hide(value))
      : JSON.stringify(value, (k: string, v: unknown) => (SECRET_KEYS.has(k) ? hide(v) : v));

function valueAt(input: unknown, keys: ReadonlyArray<string | number>): unknown {
  return keys.reduce<unknown>(
    (node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined),
    input,
  );
}

function expectation(issue: z.ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected;
    case 'too_small':
      if (issue.type === 'string') return `a string of at least ${issue.minimum} character(s)`;
      return issue.type === 'array' ? `at least ${issue.minimum} item(s)` : `${issue.type} ≥ ${issue.minimum}`;
    case 'too_big':
      return issue.type === 'array' ? `at most ${issue.maximum} item(s)` : `${issue.type} ≤ ${issue.maximum}`;
    case 'invalid_enum_value':
      return `one of ${issue.options.map((o) => JSON.stringify(o)).join(', ')}`;
    case 'custom':
    case 'invalid_union':
      return issue.message;
    default:
      return issue.message.replace(/^Invalid /, 'a valid ').toLowerCase();
  }
}

function formatIssue(issue: z.ZodIssue, input: unknown): string {
  const key = issue.path.map((k, i) => (typeof k === 'number' ? `[${k}]` : i === 0 ? k : `.${k}`)).join('') || '(root)';
  if (issue.code === 'unrecognized_keys') return `${key}: unknown key(s) ${issue.keys.map((k) => `"${k}"`).join(', ')}`;
  const expected = expectation(issue);
  return `${key}: expected ${expected}, got ${describe(valueAt(input, issue.path), issue.path[issue.path.length - 1])}`;
}

/** Validates a parsed config object and applies the environment overrides; throws ConfigError. */
export function parseConfig(
  input: unknown,
  env: NodeJS.ProcessEnv = process.env,
  source = 'config',
): Readonly<GatewayConfig> {
  const withEnv = applyEnv(input, env);
  const result = ConfigSchema.safeParse(withEnv);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  - ${formatIssue(issue, withEnv)}`);
    throw new ConfigError(`invalid configuration in ${source}:\n${lines.join('\n')}`);
  }
  return deepFreeze(result.data);
}

export function loadConfig(
  env: NodeJS.ProcessEnv = process.env,
  extend: (json: unknown) => unknown = (json) => json,
): Readonly<GatewayConfig> {
  const file = path.resolve(env.UCV_CONFIG ?? path.join(__dirname, '..', 'config', 'default.json'));
  let text: string;
  try {
    text = fs.readFileSync(file, 'utf8');
  } catch (err) {
    throw new ConfigError(`cannot read configuration file ${file}: ${(err as Error).message}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch (err) {
    throw new ConfigError(`configuration file ${file} is not valid JSON: ${(err as Error).message}`);
  }
  // `extend`: what a launcher adds before validation (the `npm start` demo adds its demo consumers).
  return parseConfig(extend(json), env, file);
}

function applyEnv(input: unknown, env: NodeJS.ProcessEnv): unknown {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return input;
  const out = { ...(input as Record<string, unknown>) };
  if (env.PORT !== undefined) out.port = /^\d+$/.test(env.PORT) ? Number(env.PORT) : env.PORT;
  if (env.UCV_WORKERS !== undefined)
    out.workers = /^\d+$/.test(env.UCV_WORKERS) ? Number(env.UCV_WORKERS) : env.UCV_WORKERS;
  if (env.REDIS_URL) out.cache = { ...((out.cache as object) ?? {}), redisUrl: env.REDIS_URL };
  const secrets = Object.entries(env).flatMap(([name, value]) => {
    const source = /^UCV_([A-Z][A-Z0-9]*)_EVENTS_SECRET$/.exec(name)?.[1];
    return source && value ? [[source.toLowerCase(), value] as const] : [];
  });
  if (secrets.length > 0) {
    const events = (out.events && typeof out.events === 'object' ? out.events : {}) as { secrets?: object };
    out.events = { ...events, secrets: { ...(events.secrets ?? {}), ...Object.fromEntries(secrets) } };
  }
  if (env.UCV_CHANNELS_URL || env.UCV_AMQP_URL) {
    const marketing = (out.marketing && typeof out.marketing === 'object' ? out.marketing : {}) as { amqp?: object };
    out.marketing = {
      ...marketing,
      ...(env.UCV_CHANNELS_URL ? { channelsUrl: env.UCV_CHANNELS_URL } : {}),
      ...(env.UCV_AMQP_URL ? { amqp: { ...(marketing.amqp ?? {}), url: env.UCV_AMQP_URL } } : {}),
    };
  }
  if (env.UCV_CHANNELLOAD_URL && out.steering && typeof out.steering === 'object') {
    const steering = out.steering as { load?: object };
    if (steering.load) out.steering = { ...steering, load: { ...steering.load, url: env.UCV_CHANNELLOAD_URL } };
  }
  if (env.DATABASE_URL) out.store = { ...((out.store as object) ?? {}), url: env.DATABASE_URL };
  if (Array.isArray(out.adapters)) {
    out.adapters = out.adapters.map((entry: unknown) => {
      if (!entry || typeof entry !== 'object') return entry;
      const name = (entry as { name?: unknown }).name;
      const url = typeof name === 'string' ? env[`UCV_${name.toUpperCase()}_URL`] : undefined;
      return url ? { ...entry, url } : entry;
    });
  }
  return out;
}

function deepFreeze<T>(value: T): T {
  if (value && typeof value === 'object') {
    Object.values(value).forEach(deepFreeze);
    Object.freeze(value);
  }
  return value;
}
