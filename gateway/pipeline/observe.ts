/**
 * What the gateway tells about each operation, for both facades: the provenance of every customer it touched in
 * `extensions` (requestId, sources), `Server-Timing` on the HTTP response, the operation on the request's log line
 * (`context.notes`, which the request log reads), and the operations metric by facade, role and outcome.
 */
import type { Plugin } from '@envelop/core';
import type { ExecutionResult } from 'graphql';
import type { Metrics } from '../metrics';
import type { GatewayContext } from './context';

export function useObserve({ metrics }: { metrics: Metrics }): Plugin<GatewayContext> {
  // prom-client hashes a labels object on every inc(): keep each labelled counter once.
  const counters = new Map<string, ReturnType<Metrics['operations']['labels']>>();
  const counted = (facade: string, role: string, outcome: string) => {
    const key = `${facade}\u0000${role}\u0000${outcome}`;
    let counter = counters.get(key);
    if (!counter) counters.set(key, (counter = metrics.operations.labels({ facade, role, outcome })));
    return counter;
  };
  return {
    onExecute: ({ args, context }) => ({
      onExecuteDone: async ({ result, setResult }) => {
        const answer = result as ExecutionResult;
        const { ucv, consumer, res, facade, notes } = context;
        await ucv.allSettled();
        const provenance = ucv.provenance();
        const errorCodes = [
          ...new Set((answer.errors ?? []).map((e) => String(e.extensions?.code ?? 'INTERNAL_SERVER_ERROR'))),
        ];
        if (notes)
          notes.operation = {
            operationName: args.operationName ?? undefined,
            consumer: consumer?.id,
            role: consumer?.role,
            customers: provenance.map((p) => p.customerId),
            sources: Object.fromEntries(
              provenance.flatMap((p) =>
                p.sources.filter((s) => s.status !== 'SKIPPED').map((s) => [s.source, s.status]),
              ),
            ),
            ...(errorCodes.length > 0 ? { errorCodes } : {}),
          };
        if (res && !res.headersSent) res.setHeader('server-timing', ucv.serverTiming());
        counted(
          facade,
          consumer?.role ?? 'none',
          answer.data ? (errorCodes.length > 0 ? 'partial' : 'complete') : 'refused',
        ).inc();
        setResult({ ...answer, extensions: { ...answer.extensions, requestId: ucv.requestId, sources: provenance } });
      },
    }),
  };
}
