/**
 * Starts the four mock systems and a gateway on ephemeral ports, for one test file. Everything is real: HTTP, SOAP,
 * and (where a test asks for it) Redis.
 */
import pino from 'pino';
import type { z } from 'zod';
import { parseConfig, type ConfigSchema, type GatewayConfig } from '../../gateway/config';
import { createGateway, type Gateway } from '../../gateway/server';
import { startMocks, type Mocks } from '../../mocks';

export interface Harness {
  mocks: Mocks;
  gateway: Gateway;
  url: string;
  /** POST a GraphQL request; returns status, headers and parsed body. */
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

/** Config keys as written in the file (defaults optional), adapters aside. */
export type ConfigOverrides = Partial<Omit<z.input<typeof ConfigSchema>, 'adapters'>> & {
  /** Policy per adapter name, merged over the defaults. */
  policies?: Record<string, unknown>;
};

export function testConfig(mocks: Mocks, overrides: ConfigOverrides = {}, env: NodeJS.ProcessEnv = {}): GatewayConfig {
  const { policies = {}, ...rest } = overrides;
  return parseConfig(
    {
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent',
      ...rest,
      adapters: (['crm', 'billing', 'warehouse', 'scoring'] as const).map((name) => ({ name, url: mocks.urls[name], policy: policies[name] ?? {} })),
    },
    env,
  );
}

export async function postGraphQL(url: string, query: string, variables?: Record<string, unknown>, headers: Record<string, string> = {}): Promise<GqlResponse> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', accept: 'application/graphql-response+json', ...headers },
    body: JSON.stringify({ query, variables }),
  });
  return { status: res.status, headers: res.headers, body: await res.json() };
}

export async function startHarness(overrides: ConfigOverrides = {}, options: { mocks?: Mocks } = {}): Promise<Harness> {
  const mocks = options.mocks ?? (await startMocks());
  const gateway = createGateway(testConfig(mocks, overrides), { logger: pino({ level: 'silent' }) });
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
    recommendations { offerCode offerName reason propensity }
    sources { source status fetchedAt ageMs latencyMs breaker found reason }
  }
}`;

/** A response body as JSON, typed loosely for assertions. */
// eslint-disable-next-line @typescript-eslint/no-explicit-any
export const json = (res: Response): Promise<any> => res.json();

/** Policies that turn the cache off for every source: each request reaches the backends. */
export const NO_CACHE = Object.fromEntries(
  ['crm', 'billing', 'warehouse', 'scoring'].map((name) => [name, { cache: { ttlSeconds: 0, staleSeconds: 0, notFoundTtlSeconds: 0 } }]),
);
