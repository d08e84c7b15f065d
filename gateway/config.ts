/**
 * The gateway's configuration: one JSON file (default `config/default.json`, or the path in UCV_CONFIG), validated
 * once at start against the schema below and frozen. An invalid file stops the start with a message that names the
 * key, what was expected and what was given.
 *
 * Environment variables override: PORT (the listening port), UCV_<ADAPTER>_URL (a backend's base URL, e.g.
 * UCV_CRM_URL), REDIS_URL (selects the Redis cache), UCV_WORKERS (`workers`: a number, or `auto`).
 */
import fs from 'node:fs';
import path from 'node:path';
import { z } from 'zod';

const ms = (description: string, fallback: number) => z.number().int().min(0).default(fallback).describe(description);

export const PolicySchema = z
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
    breaker: z
      .object({
        /** Share of failed calls in the rolling window that opens the breaker, in percent. Default 50. */
        errorThresholdPercentage: z.number().min(1).max(100).default(50),
        /** Calls needed in the rolling window before the breaker may open. Default 10. */
        volumeThreshold: z.number().int().min(1).default(10),
        /** Length of the rolling window, in milliseconds. Default 10000. */
        rollingCountTimeoutMs: ms('rolling window', 10_000),
        /** How long the breaker stays open before one probe call may go through, in milliseconds. Default 5000. */
        resetTimeoutMs: ms('reset timeout', 5_000),
      })
      .strict()
      .default({}),
    bulkhead: z
      .object({
        /**
         * Most calls in flight to this backend from one gateway instance; more are refused at once (reason
         * "overloaded"). Size it by Little's law: calls per second × latency in seconds, with headroom; the default
         * 100 covers 1,000 calls/s at 50 ms. Default 100.
         */
        maxConcurrent: z.number().int().min(1).default(100),
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

export type Policy = z.infer<typeof PolicySchema>;

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

export const ConfigSchema = z
  .object({
    /** Listening port. Default 4000; 0 picks a free port. */
    port: z.number().int().min(0).max(65535).default(4000),
    /** Listening address. Default 0.0.0.0. */
    host: z.string().min(1).default('0.0.0.0'),
    adapters: z.array(AdapterEntrySchema).min(1),
    cache: z
      .object({
        /** Redis URL; when absent the gateway uses its in-memory cache. REDIS_URL overrides it. */
        redisUrl: z.string().url().optional(),
        /** Most entries kept in process: the in-memory cache, or with Redis the local copies of what it holds. Default 100000. */
        maxEntries: z.number().int().min(1).default(100_000),
        /** Deadline of one Redis command, in milliseconds; past it the gateway calls the backend. Default 50. */
        commandTimeoutMs: z.number().int().min(1).default(50),
        /** Key prefix, so several deployments can share one Redis. Default "ucv:". */
        keyPrefix: z.string().default('ucv:'),
      })
      .strict()
      .default({}),
    /**
     * Gateway processes serving the one port (node:cluster), each a full gateway: a number ≥ 1, or "auto" for one per
     * core. Without Redis each worker caches alone. Default 1 (no cluster: the gateway runs in the started process).
     */
    workers: z.union([z.literal('auto'), z.number().int().min(1).max(256)], { errorMap: () => ({ message: 'a whole number from 1 to 256, or "auto"' }) }).default(1),
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
        /** Largest request body, in bytes. Default 102400. */
        maxBodyBytes: z.number().int().min(1).default(100 * 1024),
      })
      .strict()
      .default({}),
    /**
     * Compile each GraphQL operation to JavaScript (graphql-jit) the first time it is seen, instead of interpreting
     * it on every request (graphql-js). Default true; false is the switch back should a compiled query misbehave.
     */
    compileQueries: z.boolean().default(true),
    /** Log level: fatal, error, warn, info, debug, trace or silent. Default info. */
    logLevel: z.enum(['fatal', 'error', 'warn', 'info', 'debug', 'trace', 'silent']).default('info'),
  })
  .strict()
  .superRefine((config, ctx) => {
    const { graceMs, delayMs } = config.shutdown;
    if (delayMs >= graceMs && graceMs > 0) {
      ctx.addIssue({ code: z.ZodIssueCode.custom, path: ['shutdown', 'delayMs'], message: `less than shutdown.graceMs (${graceMs})` });
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
export type AdapterEntry = z.infer<typeof AdapterEntrySchema>;

export class ConfigError extends Error {
  readonly code = 'INVALID_CONFIG';
}

const describe = (value: unknown): string => (value === undefined ? 'nothing' : JSON.stringify(value));

function valueAt(input: unknown, keys: ReadonlyArray<string | number>): unknown {
  return keys.reduce<unknown>((node, key) => (node && typeof node === 'object' ? (node as Record<string, unknown>)[key] : undefined), input);
}

function expectation(issue: z.ZodIssue): string {
  switch (issue.code) {
    case 'invalid_type':
      return issue.expected;
    case 'too_small':
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
  return `${key}: expected ${expected}, got ${describe(valueAt(input, issue.path))}`;
}

/** Validates a parsed config object and applies the environment overrides; throws ConfigError. */
export function parseConfig(input: unknown, env: NodeJS.ProcessEnv = process.env, source = 'config'): Readonly<GatewayConfig> {
  const withEnv = applyEnv(input, env);
  const result = ConfigSchema.safeParse(withEnv);
  if (!result.success) {
    const lines = result.error.issues.map((issue) => `  - ${formatIssue(issue, withEnv)}`);
    throw new ConfigError(`invalid configuration in ${source}:\n${lines.join('\n')}`);
  }
  return deepFreeze(result.data);
}

export function loadConfig(env: NodeJS.ProcessEnv = process.env): Readonly<GatewayConfig> {
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
  return parseConfig(json, env, file);
}

function applyEnv(input: unknown, env: NodeJS.ProcessEnv): unknown {
  if (!input || typeof input !== 'object' || Array.isArray(input)) return input;
  const out = { ...(input as Record<string, unknown>) };
  if (env.PORT !== undefined) out.port = /^\d+$/.test(env.PORT) ? Number(env.PORT) : env.PORT;
  if (env.UCV_WORKERS !== undefined) out.workers = /^\d+$/.test(env.UCV_WORKERS) ? Number(env.UCV_WORKERS) : env.UCV_WORKERS;
  if (env.REDIS_URL) out.cache = { ...((out.cache as object) ?? {}), redisUrl: env.REDIS_URL };
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
