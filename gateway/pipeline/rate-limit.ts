/**
 * The rate-limit plugin: after identity (who), limits (`context.cost`) and rights, before execution, charges the
 * request and its cost to its consumer and refuses with RATE_LIMITED once the role's allowance for this second is
 * spent. The facades answer that with 429 and `Retry-After` (SOAP: a fault with the same code).
 *
 * A request with no consumer (an endpoint the identity plugin leaves open) is limited by its remote address, under
 * the default limits.
 */
import type { IncomingMessage } from 'node:http';
import type { Plugin } from '@envelop/core';
import { GraphQLError } from 'graphql';
import type { Counter } from 'prom-client';
import type { ConsumerRateLimiter } from '../rate-limit/limiter';

/** The fields of the pipeline's GatewayContext (pipeline/context.ts) this plugin reads. */
export interface RateLimitContext {
  /** Absent for an in-process consumer, which always has a consumer. */
  req?: IncomingMessage;
  consumer?: { id: string; role: string };
  /** Estimated backend calls of the operation, set by the limits plugin; 1 when absent. */
  cost?: number;
}

export function useRateLimit<C extends RateLimitContext = RateLimitContext>(
  limiter: ConsumerRateLimiter,
  rateLimited?: Counter<'role' | 'limit'>,
): Plugin<C> {
  return {
    async onExecute({ args }) {
      const { consumer, cost, req } = args.contextValue;
      const key = consumer ? `consumer:${consumer.id}` : `address:${req?.socket.remoteAddress ?? 'unknown'}`;
      const decision = await limiter.check(key, consumer?.role, cost ?? 1);
      if (decision.allowed) return;
      rateLimited?.inc({ role: consumer?.role ?? 'none', limit: decision.limit });
      const what = decision.limit === 'requests' ? 'requests' : 'backend cost';
      throw new GraphQLError(
        `Too many ${what} per second for this consumer; retry after ${decision.retryAfterSeconds} s.`,
        {
          extensions: { code: 'RATE_LIMITED', retryAfterSeconds: decision.retryAfterSeconds, limit: decision.limit },
        },
      );
    },
  };
}
