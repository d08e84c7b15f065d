/**
 * Prometheus metrics (prom-client), one registry per gateway instance. Names follow Prometheus conventions:
 * `_total` counters, `_seconds` histograms, a `source` label on everything about a backend.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ucv_' });
  const source = ['source'] as const;
  return {
    registry,
    calls: new Counter({ name: 'ucv_source_calls_total', help: 'Backend calls made, by result (success, not_found, failure, rejected).', labelNames: ['source', 'result'] as const, registers: [registry] }),
    latency: new Histogram({
      name: 'ucv_source_call_duration_seconds',
      help: 'Duration of backend calls that reached the backend, successful or not.',
      labelNames: source,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    errors: new Counter({ name: 'ucv_source_errors_total', help: 'Backend calls that failed, by reason (timeout, error, bad_response, circuit_open, overloaded).', labelNames: ['source', 'reason'] as const, registers: [registry] }),
    breakerState: new Gauge({ name: 'ucv_breaker_state', help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open.', labelNames: source, registers: [registry] }),
    cache: new Counter({ name: 'ucv_cache_requests_total', help: 'Cache look-ups by result: hit (fresh), miss, stale (served past TTL because the backend failed).', labelNames: ['source', 'result'] as const, registers: [registry] }),
    coalesced: new Counter({ name: 'ucv_coalesced_calls_total', help: 'Loads that joined an identical load already in flight instead of calling the backend.', labelNames: source, registers: [registry] }),
    bulkheadRejections: new Counter({ name: 'ucv_bulkhead_rejections_total', help: 'Calls refused because the backend already had its maximum of concurrent calls.', labelNames: source, registers: [registry] }),
    retries: new Counter({ name: 'ucv_retries_total', help: 'Retried backend calls (within the retry budget).', labelNames: source, registers: [registry] }),
    compilations: new Counter({ name: 'ucv_graphql_compilations_total', help: 'GraphQL operations compiled by graphql-jit, by result (compiled, interpreted: kept on graphql-js).', labelNames: ['result'] as const, registers: [registry] }),
    operations: new Counter({ name: 'ucv_operations_total', help: 'GraphQL operations (both facades) by facade, role and outcome (complete, partial: with errors, refused).', labelNames: ['facade', 'role', 'outcome'] as const, registers: [registry] }),
    invalidations: new Counter({ name: 'ucv_cache_invalidations_total', help: 'Cache entries evicted on a change event, by origin (local, peer).', labelNames: ['source', 'origin'] as const, registers: [registry] }),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;
