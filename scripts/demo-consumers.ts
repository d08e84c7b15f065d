/**
 * The demo consumers of `npm start`, one per role: their keys are printed at start and are public, so they exist
 * only in the demo (scripts/start.ts adds them to the config); `npm run gateway` knows none of them.
 */
import fs from 'node:fs';
import path from 'node:path';
import { createHash } from 'node:crypto';
import type { RuleDefinitionInput } from '../gateway/marketing/rules/definition';

export interface DemoConsumer {
  id: string;
  role: string;
  apiKey: string;
  /** SOAP user (HTTP Basic or WS-Security UsernameToken); the password is the API key. */
  username: string;
}

export const DEMO_CONSUMERS: readonly DemoConsumer[] = [
  'front-desk',
  'call-center',
  'self-service',
  'marketing',
  'legacy-billing',
  'admin',
].map((role) => ({
  id: `demo-${role}`,
  role,
  apiKey: `demo-${role}-key`,
  username: `demo-${role}`,
}));

/**
 * The config with the demo consumers added, GraphiQL and introspection on, and registered adapters allowed to reach
 * loopback addresses (the demo's mocks, e.g. network-events on 127.0.0.1:4105): it is a demo on a developer's machine.
 */
export function withDemoConsumers(json: unknown): unknown {
  const config = (json ?? {}) as {
    security?: { consumers?: unknown[] } & Record<string, unknown>;
    admin?: Record<string, unknown>;
  };
  const security = config.security ?? {};
  return {
    ...config,
    admin: { allowLoopback: true, ...config.admin },
    security: {
      graphiql: true,
      introspection: true,
      ...security,
      consumers: [
        ...(security.consumers ?? []),
        ...DEMO_CONSUMERS.map((c) => ({
          id: c.id,
          role: c.role,
          apiKeySha256: createHash('sha256').update(c.apiKey).digest('hex'),
          username: c.username,
          password: c.apiKey,
        })),
      ],
    },
  };
}

/** The Hong Kong / Macau roaming data pack, to the customer's preferred channel, for frequent travellers there. */
export const HK_ROAMING_RULE: RuleDefinitionInput = {
  id: 'hk-roaming-data',
  description: '常去港澳的客户进入港澳时，推荐港澳漫游流量包',
  priority: 10,
  when: {
    all: [
      { fact: 'event', path: '$.type', operator: 'equal', value: 'ROAMING_ENTERED' },
      { fact: 'event', path: '$.data.region', operator: 'in', value: ['Hong Kong', 'Macau'] },
      { fact: 'view', path: '$.insights.tags', operator: 'contains', value: 'frequent traveller to Hong Kong/Macau' },
    ],
  },
  then: {
    offerCode: 'DATA-HKMO',
    channel: 'PREFERRED',
    message: 'Welcome to {{event.data.region}}: 1 GB for 30 CNY ({{offerCode}}).',
  },
};

/**
 * The operator's six examples of event-triggered marketing as rules (config/sample-rules.json, data like any rule):
 * 114 → 12580; national roaming → a roaming package; handset on after missed calls → the missed-call reminder; first
 * long-distance call or first national roaming of the year without 12593 → a care offer; 60 minutes in a securities
 * firm's cells → mobile securities; the Spring Festival travel period at a station or a port → a local package.
 */
export const SAMPLE_RULES: RuleDefinitionInput[] = JSON.parse(
  fs.readFileSync(path.join(__dirname, '..', 'config', 'sample-rules.json'), 'utf8'),
) as RuleDefinitionInput[];

/**
 * The sample business rules for the demo (docs/event-marketing.md), unless the config has its own: a data pack for a
 * frequent Hong Kong/Macau traveller who roams there, a top-up reminder for a low balance, and SAMPLE_RULES.
 */
export function withDemoRules(json: unknown): unknown {
  const config = (json ?? {}) as { marketing?: { rules?: unknown[] } & Record<string, unknown> };
  if (config.marketing?.rules?.length) return config;
  return {
    ...config,
    marketing: {
      ...config.marketing,
      rules: [
        HK_ROAMING_RULE,
        {
          id: 'low-balance-topup',
          priority: 5,
          when: { all: [{ fact: 'event', path: '$.type', operator: 'equal', value: 'BALANCE_LOW' }] },
          then: {
            offerCode: 'TOPUP-50',
            channel: 'PREFERRED',
            message: 'Your balance is low: top up 50 CNY and get 5 CNY back.',
          },
        },
        ...SAMPLE_RULES,
      ],
    },
  };
}
