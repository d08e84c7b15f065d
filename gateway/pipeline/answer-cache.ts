/**
 * The rendered-answer cache: a complete answer, kept ready per (document, operation, variables, ROLE), served
 * without execution, loads or backend calls while every record it was built from is still what it was.
 *
 * Where it sits: after identity, limits, rights and the rate limit (a hit is still authenticated, limited, trimmed
 * to its role and counted), in place of execution. What it keeps is the answer of the execution itself, before the
 * rights plugin's errors, the masks and the audit, as JSON: each hit gets a fresh copy that goes through those
 * plugins exactly like an executed answer, so the masks, the FORBIDDEN errors, the audit record and the provenance
 * are the same as without the cache. The key holds the role, so answers never cross roles (the rights plugin trims
 * the document per role: two roles' raw answers differ too).
 *
 * Valid while every record it was built from is: for each record, the same source (an adapter swap builds new
 * sources), the same invalidation generation and no invalidation since it was fetched (a change event, here or
 * from a peer through Redis), still fresh by its source's TTL, and every breaker closed. Only answers with no
 * errors, from records that were LIVE or CACHED (never STALE, never UNAVAILABLE), are kept.
 *
 * Provenance is rendered per request: the records are replayed into the request's context as CACHED (so
 * `extensions.sources` and the log line are built as for any answer), and every `Customer.sources` in the answer is
 * rendered again from it, so `ageMs` grows with time and `status` says CACHED.
 *
 * Measured (docs/performance.md, "Round two"): what a hit still costs is HTTP, the JSON body, identity, the rate
 * limit, JSON.parse of the kept answer, the masks, the audit and graphql-http's JSON.stringify.
 */
import type { Plugin } from '@envelop/core';
import type { DocumentNode, ExecutionArgs, ExecutionResult, GraphQLSchema } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { Counter } from 'prom-client';
import type { Source } from '../source';
import type { GatewayContext } from './context';
import { walkAnswer } from './fields';
import { originalDocuments } from './mask';

export interface AnswerCacheOptions {
  schema: GraphQLSchema;
  /** Most bytes of kept answers (their JSON length), least recently used first out; 0 turns the cache off. */
  maxBytes: number;
  /** `ucv_answer_cache_total{result}`: hit, miss, stored. */
  counter?: Counter<'result'>;
}

/** A record the answer was built from, as it was. */
interface Dependency {
  source: Source;
  resource: string;
  key: string;
  customerId?: string;
  generation: number;
  fetchedAt: number;
  found: boolean;
}

/** A `Customer.sources` list in the answer: where it is, whose it is, and which SourceStatus field each key shows. */
interface ProvenanceSlot {
  path: ReadonlyArray<string | number>;
  customerId: string;
  /** Response key → SourceStatus field name; a key without one (`__typename`) keeps its kept value. */
  fields: ReadonlyArray<readonly [string, string | undefined]>;
}

interface Entry {
  json: string;
  dependencies: readonly Dependency[];
  slots: readonly ProvenanceSlot[];
}

/** Variables longer than this (as JSON) are not cached: the key's memory stays bounded. */
const MAX_VARIABLES_LENGTH = 2048;

export function useAnswerCache(options: AnswerCacheOptions): Plugin<GatewayContext> & { clear(): void } {
  const { schema, counter } = options;
  const entries = new LRUCache<string, Entry>({ maxSize: Math.max(1, options.maxBytes), sizeCalculation: (entry, key) => Math.max(1, entry.json.length + key.length) });
  // A short id per document object: the facades keep one document per query text (GraphQL) or per envelope shape (SOAP).
  const documentIds = new WeakMap<DocumentNode, number>();
  let nextDocumentId = 0;
  const documentId = (document: DocumentNode): number => {
    let id = documentIds.get(document);
    if (id === undefined) documentIds.set(document, (id = ++nextDocumentId));
    return id;
  };

  const keyOf = (args: ExecutionArgs, role: string): string | undefined => {
    const variables = args.variableValues ? JSON.stringify(args.variableValues) : '';
    if (variables.length > MAX_VARIABLES_LENGTH) return undefined;
    const document = originalDocuments.get(args) ?? args.document;
    return `${role}\u0000${documentId(document)}\u0000${args.operationName ?? ''}\u0000${variables}`;
  };

  const valid = (entry: Entry, sources: readonly Source[], now: number): boolean => {
    for (const source of sources) if (source.breakerState() !== 'CLOSED') return false;
    for (const d of entry.dependencies) {
      if (!sources.includes(d.source)) return false; // an adapter swap
      if (d.source.generation(d.resource, d.key) !== d.generation) return false;
      if (d.source.lastInvalidated(d.resource, d.key) >= d.fetchedAt) return false;
      if (!d.source.isFresh(d.found, d.fetchedAt, now)) return false;
    }
    return true;
  };

  /** A fresh copy of the kept answer, with the provenance of this request. */
  const render = (entry: Entry, context: GatewayContext): ExecutionResult => {
    const { ucv } = context;
    for (const d of entry.dependencies) {
      if (d.customerId !== undefined) ucv.record(d.customerId, d.source.name, { ok: true, value: d.found ? true : null, status: 'CACHED', fetchedAt: d.fetchedAt, latencyMs: null });
    }
    const data = JSON.parse(entry.json) as Record<string, unknown>;
    const now = Date.now();
    for (const slot of entry.slots) {
      let holder: unknown = data;
      for (let i = 0; i < slot.path.length - 1; i++) holder = (holder as Record<string | number, unknown>)[slot.path[i] as string];
      const last = slot.path[slot.path.length - 1] as string;
      const list = (holder as Record<string, unknown>)[last] as Array<Record<string, unknown>>;
      const kept = list[0] ?? {};
      (holder as Record<string, unknown>)[last] = ucv.sourcesOf(slot.customerId, now).map((status) => {
        const item: Record<string, unknown> = {};
        for (const [key, field] of slot.fields) item[key] = field === undefined ? kept[key] : (status as unknown as Record<string, unknown>)[field];
        return item;
      });
    }
    return { data };
  };

  /** Where the answer shows provenance, and whose; undefined when a list's customer cannot be told (not kept). */
  const slotsOf = (args: ExecutionArgs, data: Record<string, unknown>, customers: ReadonlySet<string>): ProvenanceSlot[] | undefined => {
    const ids = new Map<object, string>();
    const lists: Array<{ holder: object; path: ReadonlyArray<string | number> }> = [];
    const fieldsOf = new Map<object, Map<string, string>>();
    walkAnswer(schema, args.document, args.operationName, data, ({ holder, key, type, field, path }) => {
      if (type.name === 'Customer' && field.name === 'id' && typeof holder[key] === 'string') ids.set(holder, holder[key]);
      if (type.name === 'Customer' && field.name === 'sources') lists.push({ holder, path });
      if (type.name === 'SourceStatus') {
        let fields = fieldsOf.get(holder);
        if (!fields) fieldsOf.set(holder, (fields = new Map()));
        fields.set(key, field.name);
      }
      return 'descend';
    });
    const only = customers.size === 1 ? [...customers][0] : undefined;
    const slots: ProvenanceSlot[] = [];
    for (const { holder, path } of lists) {
      const customerId = ids.get(holder) ?? only;
      const list = (holder as Record<string, unknown>)[path[path.length - 1] as string];
      if (customerId === undefined || !Array.isArray(list) || list.length === 0) return undefined;
      const first = list[0] as Record<string, unknown>;
      const fields = fieldsOf.get(first);
      slots.push({ path, customerId, fields: Object.keys(first).map((key) => [key, fields?.get(key)] as const) });
    }
    return slots;
  };

  const store = async (key: string, json: string, args: ExecutionArgs, context: GatewayContext): Promise<void> => {
    const { ucv } = context;
    const loaded = [...ucv.loaded];
    const outcomes = await Promise.all(loaded.map((l) => l.outcome));
    const dependencies: Dependency[] = [];
    const customers = new Set<string>();
    for (const [i, outcome] of outcomes.entries()) {
      const l = loaded[i] as (typeof loaded)[number];
      // Only answers built wholly from good records: a STALE or missing section must be asked again next time.
      if (!outcome.ok || outcome.status === 'STALE') return;
      dependencies.push({ source: l.source, resource: l.resource, key: l.key, customerId: l.customerId, generation: l.generation, fetchedAt: outcome.fetchedAt, found: outcome.value !== null });
      if (l.customerId !== undefined) customers.add(l.customerId);
    }
    const slots = slotsOf(args, JSON.parse(json) as Record<string, unknown>, customers);
    if (!slots) return;
    const entry: Entry = { json, dependencies, slots };
    // Checked now too: a record may have changed while the answer was being built.
    if (!valid(entry, ucv.sources, Date.now())) return;
    entries.set(key, entry);
    counter?.inc({ result: 'stored' });
  };

  return {
    clear: () => entries.clear(),
    onExecute: ({ args, context, executeFn, setExecuteFn }) => {
      if (options.maxBytes <= 0) return;
      const role = context.consumer?.role;
      if (role === undefined) return;
      const key = keyOf(args, role);
      if (key === undefined) return;
      const entry = entries.get(key);
      if (entry) {
        if (valid(entry, context.ucv.sources, Date.now())) {
          counter?.inc({ result: 'hit' });
          const answer = render(entry, context);
          setExecuteFn(() => answer);
          return;
        }
        entries.delete(key);
      }
      counter?.inc({ result: 'miss' });
      setExecuteFn(async (executionArgs: ExecutionArgs) => {
        const result = (await executeFn(executionArgs)) as ExecutionResult;
        // Serialized now, before the rights and mask plugins change the answer in place.
        if (result.data && !result.errors?.length) {
          const json = JSON.stringify(result.data);
          void store(key, json, executionArgs, context).catch(() => undefined);
        }
        return result;
      });
    },
  };
}
