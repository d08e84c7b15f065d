/**
 * Audit: records every answer that carries personal data, and holds the answer until the record is committed.
 *
 * Runs after masking (its `onExecuteDone` comes after the mask plugin's in the pipeline's list), so it records the
 * fields actually given. One record per customer the answer is about (customers some source found, from the
 * request's provenance), each listing the personal-data paths of the whole answer: with one customer per request,
 * the usual case, that is exact; with several, each record lists the union, which may over-state but never omits.
 *
 * If the records cannot be committed (queue full, store down), the answer is replaced by AUDIT_UNAVAILABLE: a
 * data-protection officer can accept a refused read, not a disclosure missing from the trail (docs/audit.md).
 */
import type { Plugin } from '@envelop/core';
import type { ExecutionArgs, ExecutionResult } from 'graphql';
import { gatewayError } from '../errors';
import type { AuditRecorder } from '../audit/sink';
import { personalPaths, readsAt } from '../audit/personal-data';
import type { KeptJson } from './answer-cache';

/** The fields of the pipeline's GatewayContext this plugin reads (structurally compatible with it). */
export interface AuditContext {
  facade: 'graphql' | 'soap' | 'internal';
  requestId: string;
  ucv: { provenance(): Array<{ customerId: string; sources: ReadonlyArray<{ found: boolean | null }> }> };
  consumer?: { id: string; role: string };
  /** Set on an answer served from the answer cache (answer-cache.ts). */
  keptJson?: KeptJson;
}

export interface AuditPluginOptions {
  /**
   * Fields of a root field's value (the Customer) that are not personal data (config `audit.notPersonalData`); every
   * other field is, so a section a new adapter adds is recorded without anyone remembering to list it.
   */
  notPersonalData: readonly string[];
}

/** Recorded as the consumer when identity did not run (a branch without it, or a misordered pipeline). */
const ANONYMOUS = { id: 'anonymous', role: 'anonymous' } as const;

/** Generic over the context so it slots into a `Plugin<GatewayContext>[]` (envelop's Plugin type is invariant). */
export function useAudit<C extends AuditContext = AuditContext>(
  sink: AuditRecorder,
  { notPersonalData }: AuditPluginOptions,
): Plugin<C> {
  const notPersonal = new Set(notPersonalData);
  /**
   * The paths of each kept answer, found on its first hit. Every hit of one kept answer is the same data but for its
   * provenance lists (answer-cache.ts renders them per request; the rest is shared and never changed), so when the
   * walk reads nothing in those lists (`sources` is not personal, by default) every hit carries the same paths.
   */
  const ofKept = new WeakMap<object, string[]>();
  const pathsOf = (args: ExecutionArgs, data: ExecutionResult['data'], hit: KeptJson | undefined): string[] => {
    if (!hit || data !== hit.data) return personalPaths(args.document, args.operationName, data, notPersonal);
    let fields = ofKept.get(hit.kept);
    if (!fields) {
      fields = personalPaths(args.document, args.operationName, data, notPersonal);
      if (!hit.listPaths.some((path) => readsAt(args.document, args.operationName, notPersonal, path)))
        ofKept.set(hit.kept, Object.freeze(fields) as string[]); // shared by every hit's records: never changed
    }
    return fields;
  };
  return {
    onExecute: () => ({
      onExecuteDone: async ({ args, result, setResult }) => {
        // The gateway has no subscriptions or @defer: an answer is one result. A stream would escape the trail, so
        // it is refused rather than passed through.
        if (!isSingle(result)) return setResult(refusal());
        const fields = pathsOf(args, result.data, args.contextValue.keptJson);
        if (fields.length === 0) return;
        const { facade, requestId, ucv, consumer = ANONYMOUS } = args.contextValue;
        const customers = ucv
          .provenance()
          .filter((p) => p.sources.some((s) => s.found === true))
          .map((p) => p.customerId);
        // Personal data with no customer in the provenance would be a resolver that bypassed the request context:
        // still recorded, under "(unknown)", rather than not at all.
        const at = new Date();
        const records = (customers.length > 0 ? customers : ['(unknown)']).map((customerId) => ({
          at,
          requestId,
          facade,
          consumerId: consumer.id,
          role: consumer.role,
          customerId,
          fields,
        }));
        try {
          await sink.record(records);
        } catch {
          setResult(refusal());
        }
      },
    }),
  };
}

function isSingle(result: unknown): result is ExecutionResult {
  return typeof result === 'object' && result !== null && !(Symbol.asyncIterator in result);
}

function refusal(): ExecutionResult {
  return {
    errors: [
      gatewayError('The read could not be recorded in the audit trail, so it was not answered. Retry it.', {
        code: 'AUDIT_UNAVAILABLE',
      }),
    ],
  };
}
