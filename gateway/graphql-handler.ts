/**
 * GraphQL over HTTP at /graphql, following the GraphQL-over-HTTP specification through graphql-http (its reference
 * implementation): POST with JSON, GET for queries, `application/graphql-response+json` and `application/json`,
 * and the spec's status codes. What the gateway adds:
 * - parsed documents and their validation are cached by query text (the same few queries arrive all day), and
 *   `run` (executor.ts) compiles each operation once;
 * - before execution, the Customer fields the operation selects are put on the request context (see plan.ts);
 * - `extensions` carries the request id and the per-source provenance;
 * - every error leaves with a stable `extensions.code`, and unexpected ones are masked.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHandler, type HandlerOptions } from 'graphql-http';
import { GraphQLError, Kind, parse, specifiedRules, validate, type DocumentNode, type ExecutionArgs, type GraphQLSchema, type ValidationRule } from 'graphql';
import { LRUCache } from 'lru-cache';
import type { Logger } from 'pino';
import { isErrorCode, sendError, type ErrorCode } from './errors';
import { BodyError, readJson, type BodyLimits } from './http/body';
import type { Executor } from './executor';
import { selectedFieldsOf, type Plan } from './plan';
import { RequestContext } from './request-context';
import type { GraphQLContext } from './schema';
import type { Source } from './source';

/** What the request log line reports about the GraphQL operation. */
export interface OperationLog {
  operationName?: string;
  customers?: string[];
  sources?: Record<string, string>;
  errorCodes?: string[];
}

/** The operation each response answered, for its request log line. */
export const operationLogs = new WeakMap<ServerResponse, OperationLog>();

const withCode = (error: GraphQLError, code: string): GraphQLError =>
  new GraphQLError(error.message, { nodes: error.nodes, source: error.source, positions: error.positions, path: error.path, extensions: { ...error.extensions, code } });

/** Most root fields in one operation: each may fan out to every backend, so one request cannot fill the bulkheads. */
export const MAX_ROOT_FIELDS = 10;

const MaxRootFieldsRule: ValidationRule = (context) => ({
  OperationDefinition(node) {
    const count = node.selectionSet.selections.filter((s) => s.kind === Kind.FIELD && !s.name.value.startsWith('__')).length;
    if (count > MAX_ROOT_FIELDS) context.reportError(new GraphQLError(`An operation may select at most ${MAX_ROOT_FIELDS} root fields; this one selects ${count}.`, { nodes: [node] }));
  },
});
const RULES = [...specifiedRules, MaxRootFieldsRule];

/** graphql-http refuses some requests with a status and no body: the catalog's code for each. */
const REFUSALS: Partial<Record<number, ErrorCode>> = { 400: 'BAD_REQUEST', 405: 'METHOD_NOT_ALLOWED', 406: 'NOT_ACCEPTABLE', 415: 'UNSUPPORTED_MEDIA_TYPE' };

/** Queries longer than this are parsed every time rather than cached, so the cache's memory stays bounded. */
const MAX_CACHED_QUERY_LENGTH = 8 * 1024;

/**
 * The /graphql endpoint as a plain node request listener: the server routes `POST /graphql` to it before Express
 * (Express 5's routing alone cost more than the whole cached view; see the commit), and Express mounts the same
 * listener for the other methods. It reads the JSON body itself, through the one body reader (http/body.ts).
 */
export function graphqlHandler(schema: GraphQLSchema, sources: readonly Source[], logger: Logger, run: Executor, bodyLimits: BodyLimits) {
  // Bounded by the size of the query texts (a parsed document is a small multiple of its text).
  const documents = new LRUCache<string, DocumentNode | GraphQLError>({ maxSize: 4 * 1024 * 1024, sizeCalculation: (_value, query) => Math.max(1, query.length) });
  const validations = new WeakMap<DocumentNode, readonly GraphQLError[]>();
  const plans = new WeakMap<DocumentNode, Map<string, Plan>>();
  const cachedParse = (query: string): DocumentNode => {
    let document = documents.get(query);
    if (!document) {
      try {
        document = parse(query, { maxTokens: 5000 });
      } catch (err) {
        document = err instanceof GraphQLError ? withCode(err, 'GRAPHQL_PARSE_FAILED') : new GraphQLError('Query could not be parsed.', { extensions: { code: 'GRAPHQL_PARSE_FAILED' } });
      }
      if (query.length <= MAX_CACHED_QUERY_LENGTH) documents.set(query, document);
    }
    if (document instanceof GraphQLError) throw document;
    return document;
  };

  const cachedValidate = (s: GraphQLSchema, document: DocumentNode): readonly GraphQLError[] => {
    let errors = validations.get(document);
    if (!errors) {
      errors = validate(s, document, RULES).map((e) => withCode(e, 'GRAPHQL_VALIDATION_FAILED'));
      validations.set(document, errors);
    }
    return errors;
  };

  const formatError = (error: Error): GraphQLError => {
    if (!(error instanceof GraphQLError)) {
      // graphql-http's own request errors: missing query, unparsable URL, bad variables…
      return new GraphQLError(error.message, { extensions: { code: 'BAD_REQUEST' } });
    }
    if (isErrorCode(error.extensions?.code)) return error;
    // No path: a request error, raised before any field ran (a variable missing or of the wrong type).
    if (!error.path) return withCode(error, 'BAD_USER_INPUT');
    logger.error({ err: error.originalError ?? error, path: error.path }, 'unexpected error in a resolver');
    return new GraphQLError('Unexpected error.', { path: error.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } });
  };

  const options: HandlerOptions<IncomingMessage & { id?: unknown }, { res: ServerResponse }, GraphQLContext> = {
    schema,
    parse: cachedParse as typeof parse,
    validate: cachedValidate as typeof validate,
    context: (req) => ({ ucv: new RequestContext(String(req.raw.id), sources) }),
    execute: (args: ExecutionArgs) => {
      const context = args.contextValue as GraphQLContext;
      const key = args.operationName ?? '';
      let byOperation = plans.get(args.document);
      let plan = byOperation?.get(key);
      if (!plan) {
        plan = selectedFieldsOf(args.schema, args.document, args.operationName, args.variableValues, 'Customer');
        // A plan that does not depend on variables holds for every request with this document.
        if (!plan.dependsOnVariables) {
          if (!byOperation) plans.set(args.document, (byOperation = new Map()));
          byOperation.set(key, plan);
        }
      }
      context.ucv.customerFields = plan.fields;
      // A directive that cannot be evaluated is a request error (graphql-jit would drop the field silently).
      if (plan.error !== undefined) return { errors: [new GraphQLError(plan.error, { extensions: { code: 'BAD_USER_INPUT' } })] };
      return run(args);
    },
    onOperation: async (req, args, result) => {
      if (!('data' in result) && !('errors' in result)) return;
      const { ucv } = args.contextValue as GraphQLContext;
      await ucv.allSettled();
      const provenance = ucv.provenance();
      const log: OperationLog = {
        operationName: args.operationName ?? undefined,
        customers: provenance.map((p) => p.customerId),
        sources: Object.fromEntries(provenance.flatMap((p) => p.sources.filter((s) => s.status !== 'SKIPPED').map((s) => [s.source, s.status]))),
      };
      operationLogs.set(req.context.res, log);
      req.context.res.setHeader('server-timing', ucv.serverTiming());
      result.extensions = { ...result.extensions, requestId: ucv.requestId, sources: provenance };
      return result;
    },
    formatError,
  };
  const handler = createHandler(options);

  const handle = (req: IncomingMessage & { body?: unknown }, res: ServerResponse): void => {
    if (req.method === 'POST' && req.body === undefined) {
      // The JSON reader read nothing: the media type is not JSON to it. Never let the body be read without its limit.
      return sendError(res, 'UNSUPPORTED_MEDIA_TYPE', 'The request body must be application/json.');
    }
    if (Array.isArray(req.body)) {
      // Batched operations are not supported: say so instead of "Missing query".
      return sendError(res, 'BAD_REQUEST', 'JSON body must be an object (batched operations are not supported)');
    }
    void handler({ url: req.url ?? '/', method: req.method ?? 'GET', headers: req.headers, body: (req.body as Record<string, unknown> | undefined) ?? null, raw: req, context: { res } }).then(
      ([body, init]) => {
        if (body === null && init.status >= 400) {
          // An empty refusal (method, media type, Accept): the catalog's code, with graphql-http's headers.
          for (const [name, value] of Object.entries(init.headers ?? {})) res.setHeader(name, value);
          return sendError(res, REFUSALS[init.status] ?? 'BAD_REQUEST');
        }
        res.writeHead(init.status, init.statusText, init.headers).end(body);
      },
      (err: unknown) => {
        logger.error({ err }, 'GraphQL request failed');
        if (!res.headersSent) sendError(res, 'INTERNAL_SERVER_ERROR');
      },
    );
  };

  return (req: IncomingMessage & { body?: unknown }, res: ServerResponse): void => {
    // Since the spec's 2025 watershed, a client that names no media type gets application/graphql-response+json.
    const accept = req.headers.accept;
    if (!accept || accept.trim() === '*/*') req.headers.accept = 'application/graphql-response+json';
    if (req.method !== 'POST') return handle(req, res);
    readJson(req, res, bodyLimits).then(
      (body) => handle(Object.assign(req, { body }), res),
      (err: unknown) => (err instanceof BodyError ? sendError(res, err.code, err.message) : sendError(res, 'INTERNAL_SERVER_ERROR')),
    );
  };
}
