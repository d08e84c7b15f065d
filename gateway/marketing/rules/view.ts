/**
 * The customer's view as rules see it: one GraphQL operation run through the one pipeline (identity, limits,
 * rights, masking, audit, observation) as an in-process consumer of the `marketing` role, so every load goes through
 * the sources' cache, coalescing and breakers like any client's. Never around them.
 *
 * A burst of events must not become a burst on production, so on top of the sources' own protection:
 * - loads of the same customer in flight are joined (one operation for all the events that wait on it);
 * - operations per second are capped by a token bucket (rate-limiter-flexible's RateLimiterQueue: a load waits for
 *   its token, in order, up to `maxWaiting` loads waiting; past that it fails and the event is retried later);
 * - both are measured: `ucv_rule_view_loads_total{result}`, `ucv_rule_view_load_wait_seconds`.
 */
import { randomUUID } from 'node:crypto';
import { Counter, Histogram, type Registry } from 'prom-client';
import { RateLimiterMemory, RateLimiterQueue } from 'rate-limiter-flexible';
import type { Pipeline } from '../../pipeline';
import type { Consumer } from '../../pipeline/context';
import type { TraceContext } from '../../telemetry';
import { ELIGIBILITY_SELECTION, unavailableSections, type EligibilityView } from '../eligibility';
import { selectionOf } from './fields';

/**
 * What the marketing role may read that rules use, and the eligibility facts every offer is checked against.
 * Fields the role may not read are never asked for.
 */
export const RULE_VIEW_QUERY = ruleViewQuery([]);

/**
 * The operation a view load runs: what every rule reads (the preferred channel, the eligibility facts, the usual
 * insights) and the fields the rules in force test (`extra`, e.g. a registered section's `network.roamingState`).
 * Built when the rules change, not per event.
 */
export function ruleViewQuery(extra: readonly string[]): string {
  const more = extra.length ? `\n    ${selectionOf(extra)}` : '';
  return `query RuleView($id: ID!) {
  customer(id: $id) {
    id
    insights { segment tags roamingDestinations churnProbability loyaltyYears campaignResponsesLast12Months lifetimeValue
      usageMix { dataPercent voicePercent } channelPreferences { channel level } }
    score { creditScore creditGrade valueTier positioning }
    recommendations { offerCode offerName propensity }
    ${ELIGIBILITY_SELECTION}${more}
  }
}`;
}

export interface CustomerView {
  /** Sections and fields beyond these when rules in force read them (registered sections too). */
  [section: string]: unknown;
  id: string;
  insights: {
    segment: string;
    tags: string[];
    roamingDestinations: string[];
    churnProbability: number;
    loyaltyYears: number;
    campaignResponsesLast12Months: number;
    lifetimeValue: string | number;
    usageMix: { dataPercent: number; voicePercent: number };
    channelPreferences: Array<{ channel: string; level: string }>;
  } | null;
  score: { creditScore: number; creditGrade: string; valueTier: string; positioning: string } | null;
  recommendations: Array<{ offerCode: string; offerName: string; propensity: number }> | null;
  /** The eligibility facts (eligibility/): status, products held, balance and bills. */
  profile: EligibilityView['profile'];
  products: EligibilityView['products'];
  billing: EligibilityView['billing'];
  /** Sections that could not be read live (an error other than NOT_FOUND): an offer is never made on them. */
  unavailable: string[];
}

export interface ViewLoaderOptions {
  /** The runtime's pipeline in force when a view is loaded: its seam runs the operation. */
  pipeline: Pick<Pipeline, 'run'>;
  /** The in-process consumer (role `marketing`) that runs the operation. */
  consumer: Consumer;
  /** The operation to run (ruleViewQuery of the rules in force); RULE_VIEW_QUERY when not given. */
  query?: () => string;
  /** Most view operations per second, per instance. */
  loadsPerSecond: number;
  /** Most loads waiting for a token; past it a load fails (ViewLoadRefused) at once. */
  maxWaiting: number;
  registry?: Registry;
}

export class ViewLoadRefused extends Error {}

export interface ViewLoader {
  /**
   * The view, or null when the customer is unknown or none of its sections could be read. `query`: another
   * operation than the rules in force read (a dry run's, which reads its own rule's fields too); such a load joins
   * only loads of the same operation. `trace`: the caller's span (telemetry/), the operation's parent.
   */
  load(customerId: string, query?: string, trace?: TraceContext): Promise<CustomerView | null>;
  /** Operations run (each a view load through the pipeline), and loads that joined one in flight. */
  stats(): { operations: number; joined: number; refused: number };
}

export function createViewLoader(options: ViewLoaderOptions): ViewLoader {
  const bucket = new RateLimiterQueue(new RateLimiterMemory({ points: options.loadsPerSecond, duration: 1 }), {
    maxQueueSize: options.maxWaiting,
  });
  const inFlight = new Map<string, Promise<CustomerView | null>>();
  const counts = { operations: 0, joined: 0, refused: 0 };
  const registers = options.registry ? [options.registry] : [];
  const loads = new Counter({
    name: 'ucv_rule_view_loads_total',
    help: 'Customer views loaded for rules, by result (operation: run through the pipeline; joined: a load in flight served it; refused: the token bucket was full).',
    labelNames: ['result'] as const,
    registers,
  });
  const waited = new Histogram({
    name: 'ucv_rule_view_load_wait_seconds',
    help: 'Time a rule view load waited for its token (the loads-per-second cap).',
    buckets: [0.001, 0.01, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5],
    registers,
  });

  const run = async (customerId: string, query?: string, trace?: TraceContext): Promise<CustomerView | null> => {
    const started = performance.now();
    try {
      await bucket.removeTokens(1);
    } catch {
      counts.refused++;
      loads.inc({ result: 'refused' });
      throw new ViewLoadRefused(
        `more than ${options.maxWaiting} view loads are waiting for the ${options.loadsPerSecond}/s cap`,
      );
    }
    waited.observe((performance.now() - started) / 1000);
    counts.operations++;
    loads.inc({ result: 'operation' });
    const outcome = await options.pipeline.run({
      facade: 'internal',
      requestId: `rules-${randomUUID()}`,
      caller: { consumer: options.consumer },
      query: query ?? options.query?.() ?? RULE_VIEW_QUERY,
      variables: { id: customerId },
      ...(trace ? { trace } : {}),
    });
    if (outcome.kind !== 'result') {
      const error = outcome.kind === 'refused' ? outcome.error : outcome.errors[0];
      throw new Error(`the rule view operation was refused: ${error?.message}`);
    }
    const result = outcome.result;
    const customer = (result.data as { customer?: CustomerView | null } | null | undefined)?.customer ?? null;
    // Unavailable sections are null: conditions over them are false (a rule never fires on data it could not read).
    if (!customer) return null;
    const unavailable = unavailableSections(result.errors);
    return { ...customer, unavailable: [...unavailable] };
  };

  return {
    load(customerId, query, trace) {
      const key = query === undefined ? customerId : `${customerId}\n${query}`;
      const pending = inFlight.get(key);
      if (pending) {
        counts.joined++;
        loads.inc({ result: 'joined' });
        return pending;
      }
      const started = run(customerId, query, trace).finally(() => inFlight.delete(key));
      inFlight.set(key, started);
      return started;
    },
    stats: () => ({ ...counts }),
  };
}
