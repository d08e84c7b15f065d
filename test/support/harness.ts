/**
 * Starts the four mock systems and a gateway on ephemeral ports, for one test file. Everything is real: HTTP, SOAP,
 * and (where a test asks for it) Redis.
 */
import os from 'node:os';
import path from 'node:path';
import { createHash, randomUUID } from 'node:crypto';
import pino from 'pino';
import { parseConfig, type GatewayConfig, type GatewayConfigInput } from '../../gateway/config';
import { createGateway, type Gateway } from '../../gateway/app/server';
import { startMocks, type Mocks } from '../../mocks';
import { waitFor } from './wait';

export interface Harness {
  mocks: Mocks;
  gateway: Gateway;
  url: string;
  /** POST a GraphQL request as the test consumer (unless `headers` give other credentials); status, headers, body. */
  gql(query: string, variables?: Record<string, unknown>, headers?: Record<string, string>): Promise<GqlResponse>;
  /** Requests received by each mock since the last reset. */
  counts(): Record<'crm' | 'billing' | 'warehouse' | 'scoring', number>;
  close(): Promise<void>;
}

export interface GqlResponse {
  status: number;
  headers: Headers;
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  body: any;
}

export type ConfigOverrides = Partial<Omit<GatewayConfigInput, 'adapters'>> & {
  /** Policy per adapter name, merged over the defaults. */
  policies?: Record<string, unknown>;
};

/**
 * Backends at an address nothing listens on, for a gateway whose test never reaches one (an operation decided before
 * any source is asked): an operation that did reach a backend would fail its test.
 */
export const NO_BACKENDS = {
  urls: {
    crm: 'http://127.0.0.1:9',
    billing: 'http://127.0.0.1:9',
    warehouse: 'http://127.0.0.1:9',
    scoring: 'http://127.0.0.1:9',
  },
} as unknown as Mocks;

/** The API key of the test consumer every harness has (role admin: the whole view, unmasked). */
export const TEST_API_KEY = 'test-key-0123456789abcdef';
/** The SOAP user of the test consumer (HTTP Basic or WS-Security UsernameToken). */
export const TEST_SOAP_USER = { username: 'test-soap', password: 'test-soap-password' };
/** Headers that authenticate a GraphQL request as the test consumer. */
export const AUTH: Readonly<Record<string, string>> = { 'x-api-key': TEST_API_KEY };
/** Headers that authenticate a SOAP request as the test consumer (HTTP Basic). */
export const SOAP_AUTH: Readonly<Record<string, string>> = {
  authorization: `Basic ${Buffer.from(`${TEST_SOAP_USER.username}:${TEST_SOAP_USER.password}`).toString('base64')}`,
};
export const sha256 = (text: string): string => createHash('sha256').update(text).digest('hex');

/** A consumer of `role` whose API key is `<role>-key-0123` (see `asRole`) and SOAP user `<role>` / `<role>-password`. */
export const roleConsumer = (role: string) => ({
  id: role,
  role,
  apiKeySha256: sha256(`${role}-key-0123`),
  username: role,
  password: `${role}-password`,
});
/** The headers of a request as roleConsumer(role). */
export const asRole = (role: string): Record<string, string> => ({ 'x-api-key': `${role}-key-0123` });
/** Record TTLs of 5 minutes on every mock source: within a test, only what it does makes a record out of date. */
export const LONG_TTLS = Object.fromEntries(
  ['crm', 'billing', 'warehouse', 'scoring'].map((name) => [name, { cache: { ttlSeconds: 300 } }]),
);

/** A consumer for each of front-desk, call-center and marketing (roleConsumer). */
export const ROLE_SECURITY = { consumers: ['front-desk', 'call-center', 'marketing'].map(roleConsumer) };

export interface AnswerCacheCounts {
  hit: number;
  miss: number;
  stored: number;
  first_read: number;
}

/** `ucv_answer_cache_total` of the gateway at `url`, by result (0 before the first), from one /metrics read. */
export async function answerCacheCounts(url: string): Promise<AnswerCacheCounts> {
  const text = await (await fetch(`${url}/metrics`)).text();
  const counts: AnswerCacheCounts = { hit: 0, miss: 0, stored: 0, first_read: 0 };
  for (const m of text.matchAll(/^ucv_answer_cache_total\{result="(\w+)"\} (\d+)/gm))
    counts[m[1] as keyof AnswerCacheCounts] = Number(m[2]);
  return counts;
}

/**
 * Reads until the answer is kept, as the default `cache.keepAnswers: onReuse` keeps answers: a first read of a
 * question, which fetched its records, is passed over (`first_read`); asked again, it is kept. A read whose records
 * were cached already (by another role, another query) is kept at once, and one answered from the cache was kept
 * before. Each read's outcome is waited for: keeping is decided once its records' outcomes are in, just after the
 * answer.
 */
export async function readUntilKept(url: string, read: () => Promise<unknown>): Promise<void> {
  for (let attempt = 0; attempt < 2; attempt++) {
    const before = await answerCacheCounts(url);
    await read();
    let after = before;
    await waitFor(
      async () => {
        after = await answerCacheCounts(url);
        return after.stored > before.stored || after.first_read > before.first_read || after.hit > before.hit;
      },
      { what: 'the answer kept, passed over or served from the cache' },
    );
    if (after.stored > before.stored || after.hit > before.hit) return;
  }
  throw new Error('the answer was not kept when its question was asked again');
}

/**
 * The answer-cache tests' pair over one set of mocks: `h` with the rendered-answer cache (the default) and `plain`
 * without it (the reference answers), both with a consumer per role (roleConsumer) and LONG_TTLS.
 */
export async function startAnswerCachePair(
  overrides: ConfigOverrides = {},
): Promise<{ mocks: Mocks; h: Harness; plain: Harness; close(): Promise<void> }> {
  const mocks = await startMocks();
  const base = { security: ROLE_SECURITY, policies: LONG_TTLS, ...overrides };
  const h = await startHarness(base, { mocks });
  const plain = await startHarness({ ...base, cache: { ...base.cache, answerBytes: 0 } }, { mocks });
  const close = async (): Promise<void> => {
    await Promise.all([h.close(), plain.close()]);
    await mocks.close();
  };
  return { mocks, h, plain, close };
}

/**
 * Tests send wrong credentials on purpose, from one address, on Redis key prefixes other files share: the login
 * throttle stays out of their way unless a test sets its own (test/login-throttle.test.ts).
 */
const UNTHROTTLED = { enabled: false };

/** The test consumers, and more of them given by a test. */
export function testSecurity(
  extra: Partial<GatewayConfigInput['security'] & object> = {},
): GatewayConfigInput['security'] {
  return {
    loginThrottle: UNTHROTTLED,
    ...extra,
    consumers: [
      { id: 'test', role: 'admin', apiKeySha256: sha256(TEST_API_KEY), ...TEST_SOAP_USER },
      ...(extra.consumers ?? []),
    ],
  };
}

export function testConfig(mocks: Mocks, overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = {}): GatewayConfig {
  const { policies = {}, security, ...rest } = overrides;
  return parseConfig(
    {
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent',
      // Tests fire bursts as one consumer: rate limits stay out of their way unless a test sets its own.
      rateLimit: { default: { requestsPerSecond: 1_000_000, costPerSecond: 1_000_000 } },
      ...rest,
      // A definitions file of its own unless the test names one: what a test registers never reaches another test
      // or the repository's var/ folder.
      admin: {
        definitionsFile: path.join(os.tmpdir(), `ucv-test-defs-${randomUUID()}.json`),
        ...(rest.admin as object | undefined),
      },
      security: testSecurity(security ?? {}),
      adapters: (['crm', 'billing', 'warehouse', 'scoring'] as const).map((name) => ({
        name,
        url: mocks.urls[name],
        policy: policies[name] ?? {},
      })),
    },
    env,
  );
}

/** POSTs a GraphQL request as the test consumer, unless `headers` give other credentials. */
export async function postGraphQL(
  url: string,
  query: string,
  variables?: Record<string, unknown>,
  headers: Record<string, string> = {},
): Promise<GqlResponse> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...AUTH, ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

export async function startHarness(overrides: ConfigOverrides = {}, options: { mocks?: Mocks } = {}): Promise<Harness> {
  const mocks = options.mocks ?? (await startMocks());
  // GraphiQL starts signed in as the test consumer, as the `npm start` demo does with its front-desk consumer.
  const gateway = createGateway(testConfig(mocks, overrides), {
    logger: pino({ level: 'silent' }),
    graphiqlHeaders: { ...AUTH },
  });
  const url = await gateway.listen();
  return {
    mocks,
    gateway,
    url,
    gql: (query, variables, headers) => postGraphQL(url, query, variables, headers),
    counts: () => ({
      crm: mocks.crm.faults.requests().total,
      billing: mocks.billing.faults.requests().total,
      warehouse: mocks.warehouse.faults.requests().total,
      scoring: mocks.scoring.faults.requests().total,
    }),
    close: async () => {
      await gateway.close();
      if (!options.mocks) await mocks.close();
    },
  };
}

export const FULL_VIEW = `query View($id: ID!) {
  customer(id: $id) {
    id
    profile { name msisdn gender idCardNumber address email region { code name } status type customerSince lifestyle }
    products { id code name category orderedOn monthlyFee status }
    contacts { id channel at type outcome }
    billing {
      accountId currency balance creditLimit
      currentCharges { month amount asOf }
      bills { month amount dueDate paidDate status }
      paymentBehaviour { method onTimeRatio averageDaysLate lastPaymentDate lastPaymentAmount }
    }
    insights {
      batchDate arpu { month amount } usageMix { dataPercent voicePercent localPercent longDistancePercent }
      roamingDestinations tags segment churnProbability lifetimeValue loyaltyYears campaignResponsesLast12Months
      channelPreferences { channel level }
    }
    score { creditScore creditGrade valueTier positioning evaluatedAt }
    recommendations { offerCode offerName reason reasonCode propensity }
    sources { source status fetchedAt ageMs latencyMs breaker found reason }
  }
}`;

/** A response body as JSON, typed loosely for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const json = (res: Response): Promise<any> => res.json();

/** Policies that turn the cache off for every source: each request reaches the backends. */
export const NO_CACHE = Object.fromEntries(
  ['crm', 'billing', 'warehouse', 'scoring'].map((name) => [
    name,
    { cache: { ttlSeconds: 0, staleSeconds: 0, notFoundTtlSeconds: 0 } },
  ]),
);
