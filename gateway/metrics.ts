/**
 * Prometheus metrics (prom-client), one registry per gateway instance. Names follow Prometheus conventions:
 * `_total` counters, `_seconds` histograms, a `source` label on everything about a backend.
 */
import { collectDefaultMetrics, Counter, Gauge, Histogram, Registry } from 'prom-client';

export function createMetrics() {
  const registry = new Registry();
  collectDefaultMetrics({ register: registry, prefix: 'ucv_' });
  const source = ['source'] as const;
  /** What ucv_cache_local_bytes reads when scraped; set once the cache exists. */
  let cacheBytes = (): number => 0;
  return {
    watchCacheBytes: (read: () => number): void => {
      cacheBytes = read;
    },
    registry,
    calls: new Counter({
      name: 'ucv_source_calls_total',
      help: 'Backend calls made, by result (success, not_found, failure, rejected).',
      labelNames: ['source', 'result'] as const,
      registers: [registry],
    }),
    latency: new Histogram({
      name: 'ucv_source_call_duration_seconds',
      help: 'Duration of backend calls that reached the backend, successful or not.',
      labelNames: source,
      buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
      registers: [registry],
    }),
    errors: new Counter({
      name: 'ucv_source_errors_total',
      help: 'Backend calls that failed, by reason (timeout, error, bad_response, circuit_open, overloaded).',
      labelNames: ['source', 'reason'] as const,
      registers: [registry],
    }),
    breakerState: new Gauge({
      name: 'ucv_breaker_state',
      help: 'Circuit breaker state: 0 closed, 1 half-open, 2 open.',
      labelNames: source,
      registers: [registry],
    }),
    cache: new Counter({
      name: 'ucv_cache_requests_total',
      help: 'Cache look-ups by result: hit (fresh), miss, stale (served past TTL because the backend failed).',
      labelNames: ['source', 'result'] as const,
      registers: [registry],
    }),
    coalesced: new Counter({
      name: 'ucv_coalesced_calls_total',
      help: 'Loads that joined an identical load already in flight instead of calling the backend.',
      labelNames: source,
      registers: [registry],
    }),
    bulkheadRejections: new Counter({
      name: 'ucv_bulkhead_rejections_total',
      help: 'Calls refused because the backend already had its maximum of concurrent calls.',
      labelNames: source,
      registers: [registry],
    }),
    retries: new Counter({
      name: 'ucv_retries_total',
      help: 'Retried backend calls (within the retry budget).',
      labelNames: source,
      registers: [registry],
    }),
    compilations: new Counter({
      name: 'ucv_graphql_compilations_total',
      help: 'GraphQL operations compiled by graphql-jit, by result (compiled, interpreted: kept on graphql-js).',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    rateLimitFailOpen: new Counter({
      name: 'ucv_rate_limit_fail_open_total',
      help: 'Requests let through unlimited because the rate limit store (Redis) could not answer in time, by reason (redis_unavailable, redis_timeout, redis_error).',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    rateLimited: new Counter({
      name: 'ucv_rate_limited_total',
      help: 'Requests refused with RATE_LIMITED, by role and limit (requests, cost).',
      labelNames: ['role', 'limit'] as const,
      registers: [registry],
    }),
    cacheBytes: new Gauge({
      name: 'ucv_cache_local_bytes',
      help: 'Bytes of records held in this process by the cache (in-memory cache, or Redis local copies), by JSON length.',
      registers: [registry],
      collect() {
        this.set(cacheBytes());
      },
    }),
    operations: new Counter({
      name: 'ucv_operations_total',
      help: 'GraphQL operations (both facades) by facade, role and outcome (complete, partial: with errors, refused).',
      labelNames: ['facade', 'role', 'outcome'] as const,
      registers: [registry],
    }),
    answerCache: new Counter({
      name: 'ucv_answer_cache_total',
      help: 'Rendered-answer cache lookups and stores, by result (hit, miss, stored, first_read: an answer not kept because it fetched records for itself).',
      labelNames: ['result'] as const,
      registers: [registry],
    }),
    invalidations: new Counter({
      name: 'ucv_cache_invalidations_total',
      help: 'Cache entries evicted on a change event, by origin (local, peer).',
      labelNames: ['source', 'origin'] as const,
      registers: [registry],
    }),
    commands: new Counter({
      name: 'ucv_source_commands_total',
      help: 'Adapter commands (writes) sent, by source, command and result (success, rejected: refused by the backend, failure, unsent: breaker open or bulkhead full).',
      labelNames: ['source', 'command', 'result'] as const,
      registers: [registry],
    }),
    outboxDeliveries: new Counter({
      name: 'ucv_outbox_deliveries_total',
      help: 'Outbox items delivered to their backend, by source and result (delivered, rejected: refused for good, failed: to be tried again).',
      labelNames: ['source', 'result'] as const,
      registers: [registry],
    }),
    outboxDepth: new Gauge({
      name: 'ucv_outbox_depth',
      help: 'Outbox items waiting for delivery (all instances: read from the store by the delivery worker).',
      registers: [registry],
    }),
    outboxOldestAge: new Gauge({
      name: 'ucv_outbox_oldest_age_seconds',
      help: 'Age of the oldest outbox item waiting for delivery, in seconds; 0 when none waits.',
      registers: [registry],
    }),
    touchpoints: new Counter({
      name: 'ucv_touchpoints_total',
      help: 'Touchpoints recorded, by origin (agent, rule) and first answer (RECORDED, ACCEPTED, REPLAYED: a retried key).',
      labelNames: ['origin', 'status'] as const,
      registers: [registry],
    }),
    ...auditMetrics(registry),
  };
}

export type Metrics = ReturnType<typeof createMetrics>;

/** The audit sink's metrics (gateway/audit/sink.ts); on their own so a sink can run with a registry of its own. */
export function auditMetrics(registry: Registry) {
  return {
    auditRecords: new Counter({
      name: 'ucv_audit_records_total',
      help: 'Audit records committed to the store.',
      registers: [registry],
    }),
    auditRefused: new Counter({
      name: 'ucv_audit_refused_total',
      help: 'Reads refused (AUDIT_UNAVAILABLE) because their audit records could not be committed, by reason (queue_full, store_error, timeout, closed).',
      labelNames: ['reason'] as const,
      registers: [registry],
    }),
    auditQueued: new Gauge({
      name: 'ucv_audit_queue_records',
      help: 'Audit records waiting for their group commit.',
      registers: [registry],
    }),
    auditBatch: new Histogram({
      name: 'ucv_audit_batch_duration_seconds',
      help: 'Duration of one group commit (one multi-row INSERT), successful or not.',
      buckets: [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1],
      registers: [registry],
    }),
    auditBatchRecords: new Histogram({
      name: 'ucv_audit_batch_records',
      help: 'Records per group commit.',
      buckets: [1, 2, 5, 10, 25, 50, 100, 250, 500, 1000],
      registers: [registry],
    }),
  };
}

export type AuditMetrics = ReturnType<typeof auditMetrics>;
