/**
 * A Source over an in-process adapter for unit tests (test/unit): no socket, the adapter's one resource `record`
 * answers with what the test's `fetch` returns. Policy: the configured defaults with the test's overrides.
 */
import pino from 'pino';
import type { AdapterDefinition } from '../../gateway/backends/adapter';
import { memoryCache } from '../../gateway/backends/cache/memory-cache';
import { Source } from '../../gateway/backends/source';
import { PolicySchema } from '../../gateway/config';
import { createMetrics } from '../../gateway/metrics';

export function inProcessSource(fetch: (key: string) => Promise<unknown>, policy: unknown = {}): Source {
  const adapter: AdapterDefinition = {
    name: 'unit',
    description: 'an in-process backend for unit tests',
    typeDefs: 'extend type Customer { unit: String }',
    connect: () => ({}),
    resources: { record: { fetch: (_client: unknown, key: string) => fetch(key) } },
    fields: { unit: { resource: 'record' } },
  };
  return new Source(
    adapter,
    { name: 'unit', url: 'http://unit.invalid', policy: PolicySchema.parse(policy) },
    {
      cache: memoryCache({ maxEntries: 100, maxBytes: 1_000_000 }),
      metrics: createMetrics(),
      logger: pino({ level: 'silent' }),
    },
  );
}
