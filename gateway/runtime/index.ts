/**
 * The swappable runtime: everything derived from the adapter definitions and the config, built by one function.
 *
 *   adapters (configured TypeScript ones + registered declarative ones)
 *     → sources (carried over from the previous runtime when their definition did not change)
 *     → schema → executor (graphql-jit and its compiled-query cache) → pipeline (parse/validate/plan caches)
 *     → the /graphql listener, the SOAP facade and its WSDL
 *
 * The server holds one reference to the current runtime (`RuntimeHolder`); each request reads it once, when it
 * arrives, and finishes on that runtime even if a new one replaces it meanwhile: a query is answered wholly by one
 * schema, one set of sources. Whatever is schema-bound lives here and so is dropped with the runtime: no cache can
 * serve an answer of the old schema after a swap (a rendered-answer cache plugin belongs in `createPipeline`).
 *
 * Sources are what outlives a swap: one whose adapter and entry are unchanged is the same object in the new
 * runtime (its breaker state, in-flight coalescing, retry budget and metrics carry over, and the record cache is
 * keyed by source name anyway). A source that is gone or changed is closed once no request of an older runtime
 * still runs (`retire`).
 */
import { createHash } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import express from 'express';
import type { Plugin } from '@envelop/core';
import type { GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import type { AdapterDefinition } from '../backends/adapter';
import type { Cache } from '../backends/cache/cache';
import type { AdapterEntry, GatewayConfig } from '../config';
import { graphqlHandler, mountSoapFacade, type BodyLimits } from '../inbound';
import { buildSchema, createExecutor, type SchemaExtension } from '../view';
import type { Metrics } from '../metrics';
import { createPipeline, type Pipeline } from '../pipeline';
import { useAnswerCache } from '../pipeline/answer-cache';
import type { GatewayContext } from '../pipeline/context';
import type { Authenticator } from '../pipeline/identity';
import type { TrustedDocuments } from '../pipeline/documents';
import { Source } from '../backends/source';

type Listener = (req: IncomingMessage, res: ServerResponse) => void;

/** One adapter as the runtime gets it; `fingerprint` says whether it changed since the previous runtime. */
export interface RuntimeAdapter {
  adapter: AdapterDefinition;
  entry: AdapterEntry;
  /** Equal fingerprints: the same definition (the source is carried over). */
  fingerprint: string;
  /** Where it comes from: the config file, or the definitions store. */
  origin: 'config' | 'registered';
}

/** What every runtime shares: built once by the server, never schema-bound. */
export interface RuntimeShared {
  config: Readonly<GatewayConfig>;
  cache: Cache;
  metrics: Metrics;
  logger: Logger;
  authenticator: Authenticator;
  rateLimit?: Plugin<GatewayContext>;
  audit?: Plugin<GatewayContext>;
  bodyLimits: BodyLimits;
  publicUrl: () => string;
  /** Trusted documents (pipeline/documents.ts), the same registry for every runtime. */
  documents?: TrustedDocuments;
  /** More of the schema than the adapters' sections, e.g. the touchpoints' Mutation.recordContact. */
  schemaExtension?: SchemaExtension;
}

export interface Runtime {
  /** Increases with every runtime this process builds. */
  readonly generation: number;
  /** The definitions-store version it was built from (0: none yet). */
  readonly definitionsVersion: number;
  readonly adapters: readonly RuntimeAdapter[];
  readonly sources: readonly Source[];
  readonly schema: GraphQLSchema;
  readonly pipeline: Pipeline;
  /** POST/GET /graphql on this runtime. */
  readonly graphql: Listener;
  /** POST /soap/CustomerView on this runtime. */
  readonly soapPost: Listener;
  /** The SOAP routes (WSDL, 405s) on this runtime, as Express middleware. */
  readonly soapRouter: express.Router;
  /** Resolves once the SOAP facade has parsed its WSDL: the runtime may be swapped in then. */
  readonly ready: Promise<void>;
}

let generations = 0;

/**
 * Builds a runtime. Throws (ConfigError or GraphQL's errors) when the adapters do not make one schema: a field
 * defined twice, an unbound field, an unknown type. Nothing of `previous` is touched then: the caller keeps it.
 */
export function buildRuntime(
  shared: RuntimeShared,
  adapters: readonly RuntimeAdapter[],
  definitionsVersion: number,
  previous?: Runtime,
): Runtime {
  const names = new Set<string>();
  for (const { adapter } of adapters) {
    if (names.has(adapter.name))
      throw Object.assign(new Error(`adapter ${adapter.name} is defined twice`), { path: 'name' });
    names.add(adapter.name);
  }
  const carried = new Map<string, Source>();
  previous?.adapters.forEach((a, i) =>
    carried.set(`${a.adapter.name}\u0000${a.fingerprint}`, previous.sources[i] as Source),
  );
  const fresh: Source[] = [];
  const sources = adapters.map(({ adapter, entry, fingerprint, origin }) => {
    const kept = carried.get(`${adapter.name}\u0000${fingerprint}`);
    if (kept) return kept;
    // A registered definition's records are cached under its fingerprint: a changed mapping starts with fresh records.
    const cacheScope =
      origin === 'registered' ? `@${createHash('sha256').update(fingerprint).digest('hex').slice(0, 12)}` : undefined;
    const source = new Source(adapter, entry, {
      cache: shared.cache,
      metrics: shared.metrics,
      logger: shared.logger,
      cacheScope,
    });
    fresh.push(source);
    return source;
  });
  try {
    const schema = buildSchema(sources, shared.schemaExtension);
    const { config, metrics } = shared;
    const run = createExecutor({
      compile: config.compileQueries,
      onCompile: (compiled) => metrics.compilations.inc({ result: compiled ? 'compiled' : 'interpreted' }),
    });
    // The rendered-answer cache is schema-bound like the rest: each runtime has its own, dropped with it on a swap.
    const answerCache =
      config.cache.answerBytes > 0
        ? useAnswerCache({
            schema,
            maxBytes: config.cache.answerBytes,
            keep: config.cache.keepAnswers,
            counter: metrics.answerCache,
          })
        : undefined;
    const pipeline = createPipeline({
      config,
      schema,
      sources,
      metrics,
      run,
      authenticator: shared.authenticator,
      logger: shared.logger,
      rateLimit: shared.rateLimit,
      audit: shared.audit,
      answerCache,
      documents: shared.documents,
      reads: shared.schemaExtension?.reads,
    });
    const graphql = graphqlHandler(shared.logger, pipeline, shared.bodyLimits);
    // SOAP clients generated from the WSDL of the configured adapters keep getting exactly those sections by default.
    const defaultSections = adapters.filter((a) => a.origin === 'config').flatMap((a) => Object.keys(a.adapter.fields));
    const soapRouter = express.Router();
    const soap = mountSoapFacade(soapRouter as unknown as express.Express, {
      schema,
      logger: shared.logger,
      pipeline,
      bodyLimits: shared.bodyLimits,
      publicUrl: shared.publicUrl,
      defaultSections,
    });
    return {
      generation: ++generations,
      definitionsVersion,
      adapters,
      sources,
      schema,
      pipeline,
      graphql,
      soapPost: soap.post,
      soapRouter,
      ready: soap.ready,
    };
  } catch (err) {
    discard(fresh);
    throw err;
  }
}

const discard = (sources: readonly Source[]): void => sources.forEach((s) => void s.close().catch(() => undefined));

/** Closes what a runtime that was built but never swapped in opened (a dry run, a refused change). */
export function discardRuntime(runtime: Runtime, current: Runtime): void {
  const used = new Set(current.sources);
  discard(runtime.sources.filter((s) => !used.has(s)));
}

/**
 * The server's one reference to the current runtime. `enter` is called once per request: it returns the runtime
 * the request runs on and counts the request until its response closes, so a replaced runtime's sources are closed
 * only after the last request that uses them.
 */
export class RuntimeHolder {
  private runtime: Runtime;
  private readonly active = new Map<Runtime, number>();
  /** Sources waiting for the runtimes that still use them to go quiet. */
  private readonly retiring: Array<{ sources: Source[]; runtimes: Set<Runtime> }> = [];

  constructor(initial: Runtime) {
    this.runtime = initial;
  }

  get current(): Runtime {
    return this.runtime;
  }

  enter(res: ServerResponse): Runtime {
    const runtime = this.runtime;
    this.active.set(runtime, (this.active.get(runtime) ?? 0) + 1);
    res.once('close', () => this.leave(runtime));
    return runtime;
  }

  /** Makes `next` current (atomically: the next request reads it) and retires the sources it no longer has. */
  swap(next: Runtime): Runtime {
    const previous = this.runtime;
    this.runtime = next;
    const kept = new Set(next.sources);
    const gone = previous.sources.filter((s) => !kept.has(s));
    if (gone.length > 0) {
      // Every runtime still running requests may hold these sources (a request of an older runtime too).
      const runtimes = new Set([...this.active.keys()].filter((r) => r !== next && (this.active.get(r) ?? 0) > 0));
      this.retiring.push({ sources: gone, runtimes });
      this.settle();
    }
    return previous;
  }

  private leave(runtime: Runtime): void {
    const left = (this.active.get(runtime) ?? 1) - 1;
    if (left > 0) return void this.active.set(runtime, left);
    this.active.delete(runtime);
    if (this.retiring.length > 0) this.settle();
  }

  private settle(): void {
    for (let i = this.retiring.length - 1; i >= 0; i--) {
      const entry = this.retiring[i] as (typeof this.retiring)[number];
      for (const runtime of entry.runtimes) if (!this.active.has(runtime)) entry.runtimes.delete(runtime);
      if (entry.runtimes.size > 0) continue;
      this.retiring.splice(i, 1);
      for (const source of entry.sources) void source.close().catch(() => undefined);
    }
  }

  /** Every source still open: the current runtime's and those waiting to close (for shutdown). */
  openSources(): Source[] {
    return [...new Set([...this.runtime.sources, ...this.retiring.flatMap((r) => r.sources)])];
  }
}
