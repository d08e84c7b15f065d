/**
 * The demo consumers of `npm start`, one per role: their keys are printed at start and are public, so they exist
 * only in the demo (scripts/start.ts adds them to the config); `npm run gateway` knows none of them.
 */
import { createHash } from 'node:crypto';

export interface DemoConsumer {
  id: string;
  role: string;
  apiKey: string;
  /** SOAP user (HTTP Basic or WS-Security UsernameToken); the password is the API key. */
  username: string;
}

export const DEMO_CONSUMERS: readonly DemoConsumer[] = ['front-desk', 'call-center', 'self-service', 'marketing', 'legacy-billing', 'admin'].map((role) => ({
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
  const config = (json ?? {}) as { security?: { consumers?: unknown[] } & Record<string, unknown>; admin?: Record<string, unknown> };
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
        ...DEMO_CONSUMERS.map((c) => ({ id: c.id, role: c.role, apiKeySha256: createHash('sha256').update(c.apiKey).digest('hex'), username: c.username, password: c.apiKey })),
      ],
    },
  };
}
