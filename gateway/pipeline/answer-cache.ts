/**
 * The rendered-answer cache: a complete answer, kept ready per (document, operation, variables, ROLE), served
 * without execution, loads or backend calls while every record it was built from is still what it was.
 *
 * Two hooks in the pipeline's list (index.ts): `lookup` after identity, limits, rights and the rate limit (a hit is
 * still authenticated, limited and counted), in place of execution; `keep` after the mask plugin and before the
 * audit. What is kept is the answer as the rights and mask plugins left it for that role; on a hit they leave it
 * as it is (`context.answeredFromCache`), and the audit and observation plugins run as for any answer: every hit is
 * in the audit trail. The key holds the role, so answers never cross roles.
 *
 * Valid while every record it was built from is: for each record, the same source (an adapter swap builds new
 * sources), the same invalidation generation and no invalidation since it was fetched (a change event, here or
 * from a peer through Redis), still fresh by its source's TTL, the same record (same fetch time) still held in this
 * process's cache (Redis's client tracking drops a local copy that anyone changed or deleted), and every breaker
 * closed. Only answers whose
 * execution had no errors, from records that were LIVE or CACHED (never STALE, never UNAVAILABLE), are kept, and
 * none that a resolver marked volatile (`ucv.volatile`: built from more than its records, like the steering section).
 *
 * Kept on reuse (`keep: 'onReuse'`, the default): an answer is kept when its question (role, document, operation,
 * variables) was asked before (the questions passed over are remembered, QUESTIONS_BYTES of them), or when none of
 * its records was fetched for it (the customer is in use: read by another role, another facade, a peer through
 * Redis). A first read, which fetched its records for a question never asked, is answered and not kept: a customer
 * read once is not read again in most front-desk traffic, and keeping its answer would cost the walk, the cut, the
 * marking and the heap for nothing, and push out answers that are read again. A question asked again after its
 * kept answer lapsed (a record's TTL, a change event) is kept again at once.
 *
 * Provenance is rendered per request: the records are replayed into the request's context as CACHED (so
 * `extensions.sources`, the log line and the audit's customers are built as for any answer), and every
 * `Customer.sources` in the answer is rendered again from it, so `ageMs` grows with time and `status` says CACHED.
 * The kept answer is never changed: a hit copies only the objects on the way to those lists.
 *
 * A hit is also served as bytes: the kept answer's JSON is written once, when it is kept, in fragments around its
 * `Customer.sources` lists; the answer a hit hands on carries them (`keptJson`), and the GraphQL facade writes
 * fragments, the lists of this request and the extensions instead of serializing the whole answer again, when
 * nothing after the lookup replaced the answer's data or errors (the audit's refusal, say). The plugins run as for
 * any hit; only the final JSON.stringify is saved.
 *
 * What a hit still costs: HTTP, the JSON body, identity, the rate limit, the audit and the observation
 * (docs/performance.md, "Round two").
 */
import { randomUUID } from 'node:crypto';
import type { Plugin } from '@envelop/core';
import type { DocumentNode, ExecutionArgs, ExecutionResult, GraphQLSchema } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { Counter } from 'prom-client';
import type { Source } from '../backends/source';
import type { GatewayContext } from './context';
import { walkAnswer } from './fields';

export interface AnswerCacheOptions {
  schema: GraphQLSchema;
  /** Most bytes of kept answers (their JSON length), least recently used first out; 0 turns the cache off. */
  maxBytes: number;
  /** `onReuse` (default): a question asked before, or one none of whose records was fetched for it; `always`: any. */
  keep?: 'onReuse' | 'always';
  /** `ucv_answer_cache_total{result}`: hit, miss, stored, first_read (an answer passed over under `onReuse`). */
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

/**
 * A hit's answer as JSON text to be: `fragments` of the kept answer's JSON with a gap before each but the first,
 * filled in order by the JSON of `lists[order[i]]` (the provenance lists rendered for this request).
 */
export interface KeptJson {
  /** The kept answer this hit was rendered from: the same object for every hit of one kept answer. */
  readonly kept: object;
  /** Where this hit's provenance lists are in `data` (response keys and list indexes): all that differs between hits. */
  readonly listPaths: ReadonlyArray<ReadonlyArray<string | number>>;
  /** The answer's `data` and `errors` as rendered for this hit: the JSON holds only while they are still the answer's. */
  readonly data: unknown;
  readonly errors: ExecutionResult['errors'];
  readonly fragments: readonly string[];
  readonly order: readonly number[];
  readonly lists: readonly unknown[];
}

/**
 * The answer's JSON as graphql-http would write it (`{"data":…,"errors":…,"extensions":…}`), from the kept
 * fragments of a hit (`context.keptJson`); undefined when the answer is not the hit's any more (a plugin replaced
 * its data or errors, or added a member), so that the caller serializes it the usual way.
 */
export function keptJsonOf(kept: KeptJson, result: ExecutionResult): string | undefined {
  if (result.data !== kept.data || result.errors !== kept.errors) return undefined;
  for (const key in result) if (key !== 'data' && key !== 'errors' && key !== 'extensions') return undefined;
  let json = `{"data":${kept.fragments[0] as string}`;
  for (let i = 1; i < kept.fragments.length; i++)
    json += JSON.stringify(kept.lists[kept.order[i - 1] as number]) + (kept.fragments[i] as string);
  if (kept.errors) json += `,"errors":${JSON.stringify(kept.errors)}`;
  if (result.extensions !== undefined) json += `,"extensions":${JSON.stringify(result.extensions)}`;
  return `${json}}`;
}

/**
 * Every object and array of every kept answer: never changed once kept (a hit copies the objects on the way to its
 * provenance lists and shares the rest), so a facade may keep what it renders from one by identity (the SOAP
 * facade keeps each one's XML).
 */
const keptObjects = new WeakSet<object>();
const markKept = (value: unknown): void => {
  if (typeof value !== 'object' || value === null || keptObjects.has(value)) return;
  keptObjects.add(value);
  for (const key in value) if (Object.hasOwn(value, key)) markKept((value as Record<string, unknown>)[key]);
};

/** Whether a value is an object of a kept answer: the same object always holds the same values. */
export const isKept = (value: object): boolean => keptObjects.has(value);

/** Stands for a provenance list in a kept answer's JSON, while it is cut into fragments; unguessable per process. */
const GAP = `ucv-provenance-${randomUUID()}-`;
const GAPS = new RegExp(`"${GAP}(\\d+)"`);

interface Entry {
  /** The answer as the rights and mask plugins left it; never changed once kept. */
  result: ExecutionResult;
  /** Its data's JSON cut around the provenance lists (see KeptJson), made when kept. */
  fragments: readonly string[];
  order: readonly number[];
  /** Its JSON length, for the cache's size bound. */
  size: number;
  dependencies: readonly Dependency[];
  slots: readonly ProvenanceSlot[];
  listPaths: ReadonlyArray<ReadonlyArray<string | number>>;
}

/**
 * How much of the questions passed over as first reads is remembered (their keys, least recently asked out first; a
 * key's length and an entry's upkeep counted): a question asked again while remembered is kept. Some 70,000 questions
 * of the full view by customer id.
 */
const QUESTIONS_BYTES = 8 * 1024 * 1024;
const QUESTION_UPKEEP_BYTES = 80;

/** Variables longer than this (as JSON) are not cached: the key's memory stays bounded. */
const MAX_VARIABLES_LENGTH = 2048;

export function useAnswerCache(options: AnswerCacheOptions) {
  const { schema, counter } = options;
  /** The questions passed over as first reads (onReuse only). */
  const asked =
    (options.keep ?? 'onReuse') === 'onReuse'
      ? new LRUCache<string, true>({
          maxSize: QUESTIONS_BYTES,
          sizeCalculation: (_value, key) => key.length + QUESTION_UPKEEP_BYTES,
        })
      : undefined;
  const entries = new LRUCache<string, Entry>({
    maxSize: Math.max(1, options.maxBytes),
    sizeCalculation: (entry, key) => Math.max(1, entry.size + key.length),
  });
  // A short id per document object: the facades keep one document per query text (GraphQL) or per envelope shape (SOAP).
  const documentIds = new WeakMap<DocumentNode, number>();
  let nextDocumentId = 0;
  const documentId = (document: DocumentNode): number => {
    let id = documentIds.get(document);
    if (id === undefined) documentIds.set(document, (id = ++nextDocumentId));
    return id;
  };

  const keyOf = (args: ExecutionArgs, context: GatewayContext, role: string): string | undefined => {
    const variables = args.variableValues ? JSON.stringify(args.variableValues) : '';
    if (variables.length > MAX_VARIABLES_LENGTH) return undefined;
    const document = context.clientDocument ?? args.document;
    return `${role}\u0000${documentId(document)}\u0000${args.operationName ?? ''}\u0000${variables}`;
  };

  const valid = (dependencies: readonly Dependency[], sources: readonly Source[], now: number): boolean => {
    for (const source of sources) if (source.breakerState() !== 'CLOSED') return false;
    for (const d of dependencies) {
      if (!sources.includes(d.source)) return false; // an adapter swap
      if (d.source.generation(d.resource, d.key) !== d.generation) return false;
      if (d.source.lastInvalidated(d.resource, d.key) >= d.fetchedAt) return false;
      if (!d.source.isFresh(d.found, d.fetchedAt, now)) return false;
      // The very record it was built from is still the one held: not deleted or replaced in Redis by anyone, not
      // dropped with a lost connection, not evicted.
      if (d.source.held(d.resource, d.key)?.fetchedAt !== d.fetchedAt) return false;
    }
    return true;
  };

  /** The answer's data with a value put in place of each provenance list: only the objects on the way are copied. */
  const withLists = (
    data: Record<string, unknown>,
    slots: readonly ProvenanceSlot[],
    list: (slot: ProvenanceSlot, index: number) => unknown,
  ): Record<string, unknown> => {
    const copies = new Set<object>();
    const own = <T extends object>(value: T): T => {
      if (copies.has(value)) return value;
      const copy = (Array.isArray(value) ? [...value] : { ...value }) as T;
      copies.add(copy);
      return copy;
    };
    const copy = own(data);
    slots.forEach((slot, index) => {
      let holder = copy as Record<string | number, unknown>;
      for (let i = 0; i < slot.path.length - 1; i++) {
        const step = slot.path[i] as string | number;
        holder = holder[step] = own(holder[step] as Record<string | number, unknown>);
      }
      const last = slot.path[slot.path.length - 1] as string;
      holder[last] = list(slot, index);
    });
    return copy;
  };

  /** The kept answer with the provenance of this request, and its JSON to be (KeptJson). */
  const render = (entry: Entry, context: GatewayContext): { result: ExecutionResult; json: KeptJson } => {
    const { ucv } = context;
    for (const d of entry.dependencies) {
      if (d.customerId !== undefined)
        ucv.record(d.customerId, d.source.name, {
          ok: true,
          value: d.found ? true : null,
          status: 'CACHED',
          fetchedAt: d.fetchedAt,
          latencyMs: null,
        });
    }
    const kept = entry.result.data as Record<string, unknown>;
    const now = Date.now();
    const lists: unknown[] = [];
    const data =
      entry.slots.length === 0
        ? kept
        : withLists(kept, entry.slots, (slot) => {
            const first =
              (
                slot.path.reduce<unknown>((at, step) => (at as Record<string | number, unknown>)[step], kept) as Array<
                  Record<string, unknown>
                >
              )[0] ?? {};
            const list = ucv.sourcesOf(slot.customerId, now).map((status) => {
              const item: Record<string, unknown> = {};
              for (const [key, field] of slot.fields)
                item[key] = field === undefined ? first[key] : (status as unknown as Record<string, unknown>)[field];
              return item;
            });
            lists.push(list);
            return list;
          });
    const json: KeptJson = {
      kept: entry.result,
      listPaths: entry.listPaths,
      data,
      errors: entry.result.errors,
      fragments: entry.fragments,
      order: entry.order,
      lists,
    };
    return { result: { ...entry.result, data }, json };
  };

  /** The data's JSON cut at each provenance list: fragments, and which list fills each gap (JSON's order, not the slots'). */
  const fragmentsOf = (
    data: Record<string, unknown>,
    slots: readonly ProvenanceSlot[],
  ): { fragments: string[]; order: number[] } => {
    const parts = JSON.stringify(withLists(data, slots, (_slot, index) => `${GAP}${index}`)).split(GAPS);
    const fragments: string[] = [];
    const order: number[] = [];
    parts.forEach((part, i) => (i % 2 === 0 ? fragments.push(part) : order.push(Number(part))));
    return { fragments, order };
  };

  /** Where the answer shows provenance, and whose; undefined when a list's customer cannot be told (not kept). */
  const slotsOf = (
    args: ExecutionArgs,
    data: Record<string, unknown>,
    customers: ReadonlySet<string>,
  ): ProvenanceSlot[] | undefined => {
    const ids = new Map<object, string>();
    const lists: Array<{ holder: object; path: ReadonlyArray<string | number> }> = [];
    const fieldsOf = new Map<object, Map<string, string>>();
    walkAnswer(schema, args.document, args.operationName, data, ({ holder, key, type, field, path }) => {
      if (type.name === 'Customer' && field.name === 'id' && typeof holder[key] === 'string')
        ids.set(holder, holder[key]);
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

  const store = async (
    key: string,
    result: ExecutionResult,
    args: ExecutionArgs,
    context: GatewayContext,
  ): Promise<void> => {
    const { ucv } = context;
    // Built from more than its records (e.g. the steering table in force): nothing says when it would change.
    if (ucv.volatile) return;
    const loaded = [...ucv.loaded];
    const outcomes = await Promise.all(loaded.map((l) => l.outcome));
    const dependencies: Dependency[] = [];
    const customers = new Set<string>();
    let fetched = false;
    for (const [i, outcome] of outcomes.entries()) {
      const l = loaded[i] as (typeof loaded)[number];
      // Only answers built wholly from good records: a STALE or missing section must be asked again next time.
      if (!outcome.ok || outcome.status === 'STALE') return;
      if (outcome.status === 'LIVE') fetched = true;
      dependencies.push({
        source: l.source,
        resource: l.resource,
        key: l.key,
        customerId: l.customerId,
        generation: l.generation,
        fetchedAt: outcome.fetchedAt,
        found: outcome.value !== null,
      });
      if (l.customerId !== undefined) customers.add(l.customerId);
    }
    // Checked now, before the answer is walked and written: a record may have changed while the answer was being
    // built, and a source whose records are never fresh (TTL 0, as on a live path) makes every answer unkeepable.
    // What follows runs without a pause, so nothing can change before the entry is set.
    if (!valid(dependencies, ucv.sources, Date.now())) return;
    if (fetched && asked && !asked.has(key)) {
      asked.set(key, true);
      counter?.inc({ result: 'first_read' });
      return;
    }
    const data = result.data as Record<string, unknown>;
    const slots = slotsOf(args, data, customers);
    if (!slots) return;
    const { fragments, order } = fragmentsOf(data, slots);
    const size = fragments.reduce((sum, f) => sum + f.length, 0);
    markKept(data);
    entries.set(key, {
      result: { data, ...(result.errors ? { errors: result.errors } : {}) },
      fragments,
      order,
      size,
      dependencies,
      slots,
      listPaths: slots.map((slot) => slot.path),
    });
    counter?.inc({ result: 'stored' });
  };

  const lookup: Plugin<GatewayContext> = {
    onExecute: ({ args, context, executeFn, setExecuteFn, extendContext }) => {
      if (options.maxBytes <= 0) return;
      const role = context.consumer?.role;
      if (role === undefined) return;
      const key = keyOf(args, context, role);
      if (key === undefined) return;
      const entry = entries.get(key);
      if (entry) {
        if (valid(entry.dependencies, context.ucv.sources, Date.now())) {
          counter?.inc({ result: 'hit' });
          const { result, json } = render(entry, context);
          extendContext({ answeredFromCache: true, keptJson: json });
          setExecuteFn(() => result);
          return;
        }
        entries.delete(key);
      }
      counter?.inc({ result: 'miss' });
      const miss = { key, clean: false };
      extendContext({ answerCacheMiss: miss });
      setExecuteFn(async (executionArgs: ExecutionArgs) => {
        const result = (await executeFn(executionArgs)) as ExecutionResult;
        miss.clean = result.data !== null && result.data !== undefined && !result.errors?.length;
        return result;
      });
    },
  };

  const keep: Plugin<GatewayContext> = {
    onExecute: ({ context }) => {
      const miss = context.answerCacheMiss;
      if (!miss) return;
      return {
        onExecuteDone: ({ args, result }) => {
          const answer = result as ExecutionResult;
          // The rights plugin's FORBIDDEN errors are part of the role's answer; any other error is not kept.
          if (!miss.clean || !answer.data || answer.errors?.some((e) => e.extensions?.code !== 'FORBIDDEN')) return;
          void store(miss.key, answer, args, context).catch(() => undefined);
        },
      };
    },
  };

  return { lookup, keep, clear: () => entries.clear() };
}

export type AnswerCache = ReturnType<typeof useAnswerCache>;
