/**
 * The one request pipeline. Both facades (GraphQL over HTTP, SOAP) turn a request into one GraphQL operation with
 * a GatewayContext and run it here; this list is the whole cross-cutting request path, in order:
 *
 *   identity → limits → rights (trim the plan) → [rate limit] → [answer cache] → execute (graphql-jit) → mask
 *            → [keep the answer] → [audit]
 *            → log · metrics · Server-Timing · provenance
 *
 * It is envelop (`@envelop/core`): each plugin is a plain object of optional hooks, one file each. The engine keeps
 * the gateway's performance work: parsed documents cached by query text, validation cached per document, and
 * `run` (executor.ts: graphql-jit with its compile policy) as the execute function.
 *
 * The order of calls differs from Yoga's on purpose: the context (identity) is built first, so a request without
 * valid credentials is refused before its query is even parsed.
 */
import { contextFrom, failed, NO_TRACE, SpanKind, traced, tracedSync, tracing, type TraceContext } from '../telemetry';
import { envelop, useEngine, useSchema, type Plugin } from '@envelop/core';
import {
  getOperationAST,
  GraphQLError,
  parse,
  specifiedRules,
  subscribe,
  validate,
  type DocumentNode,
  type ExecutionArgs,
  type ExecutionResult,
  type GraphQLSchema,
  type ValidationRule,
} from 'graphql';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import type { GatewayConfig } from '../config';
import { ERROR_CATALOG, isErrorCode } from '../errors';
import { type Executor, createPlanner, RequestContext } from '../view';
import type { Metrics } from '../metrics';
import type { Source } from '../backends/source';
import type { GatewayContext } from './context';
import { keptJsonOf } from './answer-cache';
import {
  codedErrors,
  nestsDeeperThan,
  outcomeOf,
  refusalOutcome,
  withCode,
  type OperationCall,
  type Outcome,
} from './operation';
import { useIdentity, type Authenticator } from './identity';
import { useLimits } from './limits';
import { useMask } from './mask';
import type { AnswerCache } from './answer-cache';
import { useObserve } from './observe';
import { useRights } from './rights';
import { useNoSuggestions } from './suggestions';
import type { TrustedDocuments } from './documents';

export type { Consumer, Facade, GatewayContext, OperationLog, RequestNotes } from './context';
export { refusalHeaders, type Caller, type OperationCall, type Outcome, type Refusal } from './operation';

export interface PipelineDeps {
  config: Readonly<GatewayConfig>;
  schema: GraphQLSchema;
  sources: readonly Source[];
  metrics: Metrics;
  run: Executor;
  authenticator: Authenticator;
  logger?: Logger;
  /** The rate limit (gateway/pipeline/rate-limit.ts): refuses with RATE_LIMITED. */
  rateLimit?: Plugin<GatewayContext>;
  /** The rendered-answer cache (gateway/pipeline/answer-cache.ts): in place of execution on a hit; kept after masking. */
  answerCache?: Pick<AnswerCache, 'lookup' | 'keep'>;
  /** Trusted documents (documents.ts): run from their parsed document; with "registered", the only ones. */
  documents?: TrustedDocuments;
  /** The audit trail (gateway/pipeline/audit.ts): sees the masked answer. */
  audit?: Plugin<GatewayContext>;
  /** Customer fields the gateway computes → the fields they read, so the backend-call limit counts them. */
  reads?: Readonly<Record<string, readonly string[]>>;
}

/** One GraphQL request as a facade hands it over: a query text (GraphQL) or a document the facade built (SOAP). */
export interface OperationRequest {
  query?: string;
  document?: DocumentNode;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
}

export type Prepared =
  | { ok: true; args: ExecutionArgs; execute(args: ExecutionArgs): Promise<ExecutionResult> }
  /** `refusal`: the request is refused as a whole (its catalog status, e.g. 401); else plain GraphQL request errors. */
  | { ok: false; errors: readonly GraphQLError[]; refusal?: GraphQLError };

/** Queries longer than this are parsed every time rather than cached, so the cache's memory stays bounded. */
const MAX_CACHED_QUERY_LENGTH = 8 * 1024;

/** True when NODE_ENV says production: introspection, suggestions and GraphiQL default to off. */
export const isProduction = (): boolean => process.env.NODE_ENV === 'production';

/** envelop's own plugins read no context: they fit any. */
const engine = (plugin: Plugin): Plugin<GatewayContext> => plugin as unknown as Plugin<GatewayContext>;

export function createPipeline(deps: PipelineDeps) {
  const { config, schema, sources, metrics } = deps;
  const { limits, security } = config;
  const introspection = security.introspection ?? !isProduction();
  const planner = createPlanner(schema);

  // Bounded by the size of the query texts (a parsed document is a small multiple of its text).
  const documents = new LRUCache<string, DocumentNode | GraphQLError>({
    maxSize: 4 * 1024 * 1024,
    sizeCalculation: (_value, query) => Math.max(1, query.length),
  });
  const cachedParse = (query: string): DocumentNode => {
    let document = documents.get(query);
    if (!document) {
      try {
        document = parse(query, { maxTokens: limits.maxTokens });
      } catch (err) {
        const tooMany = err instanceof GraphQLError && err.message.includes('tokens');
        document =
          err instanceof GraphQLError
            ? tooMany
              ? new GraphQLError(`The document has more than ${limits.maxTokens} tokens.`, {
                  extensions: { code: 'QUERY_TOO_COMPLEX' },
                })
              : withCode(err, 'GRAPHQL_PARSE_FAILED')
            : new GraphQLError('Query could not be parsed.', { extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
      }
      if (query.length <= MAX_CACHED_QUERY_LENGTH) documents.set(query, document);
    }
    if (document instanceof GraphQLError) throw document;
    return document;
  };
  // The rules are the same for every request of this pipeline, so the errors of a document are too. graphql-js's
  // specified rules are added here, on a miss, rather than given to useEngine: envelop would add its 25 rules to a
  // new list on every request, for a validation that is cached.
  const validations = new WeakMap<DocumentNode, readonly GraphQLError[]>();
  const cachedValidate = (
    s: GraphQLSchema,
    document: DocumentNode,
    rules: readonly ValidationRule[] = [],
  ): readonly GraphQLError[] => {
    let errors = validations.get(document);
    if (!errors) {
      errors = validate(s, document, [...specifiedRules, ...rules]).map((e) =>
        isErrorCode(e.extensions?.code) ? e : withCode(e, 'GRAPHQL_VALIDATION_FAILED'),
      );
      validations.set(document, errors);
    }
    return errors;
  };

  const roles = security.roles;
  // ── The one ordered list of plugins. ──────────────────────────────────────────────────────────────────────────
  const plugins: Array<Plugin<GatewayContext>> = [
    engine(
      useEngine({
        parse: cachedParse as typeof parse,
        validate: cachedValidate as typeof validate,
        execute: deps.run as never,
        subscribe,
      }),
    ),
    engine(useSchema(schema)),
    useIdentity(deps.authenticator), // who calls: before the query is parsed
    useLimits({ limits, sources, planner, introspection, reads: deps.reads }), // depth, aliases, tokens, directives, cost, root fields, backend calls
    ...(introspection ? [] : [useNoSuggestions()]), // no "Did you mean" where introspection is closed (production)
    useRights({ schema, roles, planner, warn: (message) => deps.logger?.warn(message) }), // denied fields out of the document; the plan of what remains
    ...(deps.rateLimit ? [deps.rateLimit] : []), // ── rate limit per consumer (gateway/pipeline/rate-limit.ts)
    ...(deps.answerCache ? [deps.answerCache.lookup] : []), // a kept answer of this role, valid while its records are (answer-cache.ts)
    // execute: graphql-jit (the engine above), after every onExecute hook of this list
    useMask({ schema, roles }), // masked fields, after execution (onExecuteDone runs in this order)
    ...(deps.answerCache ? [deps.answerCache.keep] : []), // keeps the answer as masked for this role, before the audit
    ...(deps.audit ? [deps.audit] : []), // ── audit trail of what was answered (gateway/pipeline/audit.ts)
    useObserve({ metrics }), // provenance extensions, operation log, Server-Timing, metrics
  ];
  const getEnveloped = envelop({ plugins });

  const countRefused = (context: GatewayContext): void =>
    metrics.operations.inc({ facade: context.facade, role: context.consumer?.role ?? 'none', outcome: 'refused' });
  const refused = (context: GatewayContext, refusal: GraphQLError): Prepared => {
    countRefused(context);
    return { ok: false, errors: [refusal], refusal };
  };
  const asRefusal = (err: unknown): GraphQLError | undefined =>
    err instanceof GraphQLError && isErrorCode(err.extensions?.code) ? err : undefined;

  /** Identity, parse and validation: the execution arguments, or why the request stops here. */
  const prepare = async (
    context: GatewayContext,
    request: OperationRequest,
    refuseOnceIdentified?: GraphQLError,
  ): Promise<Prepared> => {
    const env = getEnveloped(context);
    try {
      await (tracing()
        ? traced('identity', { parent: context.ucv.trace }, async () => env.contextFactory())
        : env.contextFactory());
    } catch (err) {
      const refusal = asRefusal(err);
      if (refusal) return refused(context, refusal);
      throw err;
    }
    if (refuseOnceIdentified) return refused(context, refuseOnceIdentified);
    let document: DocumentNode;
    if (request.document) document = request.document;
    else {
      try {
        document = tracedSync('graphql.parse', context.ucv.trace, () => env.parse(request.query ?? ''));
      } catch (err) {
        const error = asRefusal(err);
        if (!error) throw err;
        return error.extensions.code === 'QUERY_TOO_COMPLEX' ? refused(context, error) : { ok: false, errors: [error] };
      }
    }
    const errors: readonly GraphQLError[] = tracedSync('graphql.validate', context.ucv.trace, () =>
      env.validate(env.schema, document),
    );
    if (errors.length > 0) {
      const limit = errors.find((e) => e.extensions?.code === 'QUERY_TOO_COMPLEX');
      return limit ? refused(context, limit) : { ok: false, errors };
    }
    const args: ExecutionArgs = {
      schema: env.schema,
      document,
      operationName: request.operationName,
      variableValues: request.variables,
      contextValue: context,
    };
    return {
      ok: true,
      args,
      execute: (executionArgs) =>
        tracing()
          ? traced('graphql.execute', { parent: context.ucv.trace }, async (_, inside) => {
              // The sources' loads are children of this phase.
              context.ucv.trace = inside;
              return (await env.execute(executionArgs)) as ExecutionResult;
            })
          : (env.execute(executionArgs) as Promise<ExecutionResult>),
    };
  };

  const log = deps.logger ?? { error: () => undefined };

  /**
   * The seam (operation.ts): one operation of one caller through the whole pipeline, to one typed Outcome. Traced
   * as one span (telemetry/): a client's `traceparent` is its parent; an in-process caller's span is (a rule's event).
   */
  const run = (call: OperationCall): Promise<Outcome> => {
    if (!tracing()) return runOperation(call, NO_TRACE);
    const headers = 'req' in call.caller ? call.caller.req.headers : undefined;
    return traced(
      `operation ${call.facade}`,
      {
        kind: SpanKind.SERVER,
        parent: call.trace ?? contextFrom(headers),
        attributes: { 'ucv.facade': call.facade, 'ucv.request_id': call.requestId },
      },
      async (span, inside) => {
        const outcome = await runOperation(call, inside);
        if (call.operationName) span.setAttribute('graphql.operation.name', call.operationName);
        span.setAttribute('ucv.outcome', outcome.kind);
        if (outcome.kind === 'refused') failed(span, String(outcome.error.extensions?.code ?? 'refused'));
        return outcome;
      },
    );
  };

  const runOperation = async (call: OperationCall, trace: TraceContext): Promise<Outcome> => {
    const { caller, requestId } = call;
    const ucv = new RequestContext(requestId, sources, trace);
    const context: GatewayContext =
      'consumer' in caller
        ? { facade: call.facade, requestId, ucv, consumer: caller.consumer }
        : {
            facade: call.facade,
            requestId,
            ucv,
            req: caller.req,
            res: caller.res,
            soapHeader: caller.soapHeader,
          };
    if (call.notes) context.notes = call.notes;
    if (call.implicitFields) context.implicitFields = true;
    try {
      // A trusted document runs from its parsed document; a text that is one, too. With "registered", a network
      // request may send nothing else (SOAP gives documents it built; in-process text is no request's).
      // The refusal, if any, comes after identity: a caller without credentials learns nothing of the documents.
      let operation: OperationCall = call;
      let untrusted: GraphQLError | undefined;
      if (call.documentId !== undefined) {
        const trusted = deps.documents?.byDocumentId(call.documentId);
        if (trusted) operation = { ...call, query: undefined, document: trusted.document };
        else
          untrusted = new GraphQLError(`No trusted document has the id "${call.documentId}".`, {
            extensions: { code: 'PERSISTED_DOCUMENT_NOT_FOUND' },
          });
      } else if (call.query !== undefined && call.document === undefined) {
        const trusted = deps.documents?.byQuery(call.query);
        if (trusted) operation = { ...call, query: undefined, document: trusted.document };
        // Only a network request is held to "registered": an in-process consumer's text is code of this process.
        else if (security.trustedDocuments === 'registered' && !('consumer' in caller))
          untrusted = new GraphQLError(ERROR_CATALOG.PERSISTED_DOCUMENTS_ONLY.message, {
            extensions: { code: 'PERSISTED_DOCUMENTS_ONLY' },
          });
      }
      const prepared = await prepare(context, operation, untrusted);
      if (!prepared.ok)
        return prepared.refusal ? refusalOutcome(prepared.refusal) : { kind: 'invalid', errors: prepared.errors };
      if (nestsDeeperThan(call.variables, limits.maxVariablesDepth)) {
        const message = `The variables nest deeper than ${limits.maxVariablesDepth} levels.`;
        return { kind: 'invalid', errors: [new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } })] };
      }
      const ast = getOperationAST(prepared.args.document, call.operationName);
      if (!ast) {
        const message = call.operationName
          ? `The document has no operation named "${call.operationName}".`
          : 'The document has several operations: name the one to run with operationName.';
        return { kind: 'invalid', errors: [new GraphQLError(message, { extensions: { code: 'BAD_USER_INPUT' } })] };
      }
      if (ast.operation === 'mutation' && call.mutations === false) {
        countRefused(context);
        return refusalOutcome(
          new GraphQLError('A mutation must be sent with POST.', { extensions: { code: 'METHOD_NOT_ALLOWED' } }),
        );
      }
      let executed: ExecutionResult;
      try {
        executed = await prepared.execute(prepared.args);
      } catch (err) {
        // A plugin may refuse by throwing a catalog error.
        const refusal = asRefusal(err);
        if (!refusal) throw err;
        countRefused(context);
        return refusalOutcome(refusal);
      }
      const errors = codedErrors(executed.errors, log, requestId);
      const result = errors === executed.errors ? executed : { ...executed, errors };
      const outcome = outcomeOf(result, context.keptJson ? keptJsonOf(context.keptJson, result) : undefined);
      if (outcome.kind === 'refused') countRefused(context);
      return outcome;
    } catch (err) {
      // Logged here, once, with the request's id; no message, stack or host of it leaves the gateway.
      log.error({ err, requestId }, 'operation failed');
      return refusalOutcome(
        new GraphQLError(ERROR_CATALOG.INTERNAL_SERVER_ERROR.message, {
          extensions: { code: 'INTERNAL_SERVER_ERROR' },
        }),
      );
    }
  };

  return { plugins, run };
}

export type Pipeline = ReturnType<typeof createPipeline>;
