/**
 * GraphQL over HTTP at /graphql, following the GraphQL-over-HTTP specification through graphql-http (its reference
 * implementation): POST with JSON, GET for queries, `application/graphql-response+json` and `application/json`,
 * and the spec's status codes. Translation only: each request becomes one operation with a GatewayContext and runs
 * through the pipeline (gateway/pipeline/), which does identity, limits, rights, masking and observation.
 * What stays here is HTTP: a refusal gets its catalog status (401 with `WWW-Authenticate`, 403, 429 with
 * `Retry-After`, 400), and unexpected errors are masked.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { createHandler, type HandlerOptions } from 'graphql-http';
import { GraphQLError, type ExecutionArgs, type ExecutionResult, type GraphQLSchema } from 'graphql';
import type { Logger } from 'pino';
import { isErrorCode, refusalHead, refusalOf, sendError, type ErrorCode } from '../errors';
import { BodyError, readJson, type BodyLimits } from './http/body';
import type { GatewayContext } from '../pipeline/context';
import type { Pipeline } from '../pipeline';
import { keptJsonOf } from '../pipeline/answer-cache';
import { RequestContext } from '../view/request-context';
import type { Source } from '../backends/source';

const withCode = (error: GraphQLError, code: string): GraphQLError =>
  new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { ...error.extensions, code },
  });

/** graphql-http refuses some requests with a status and no body: the catalog's code for each. */
const REFUSALS: Partial<Record<number, ErrorCode>> = {
  400: 'BAD_REQUEST',
  405: 'METHOD_NOT_ALLOWED',
  406: 'NOT_ACCEPTABLE',
  415: 'UNSUPPORTED_MEDIA_TYPE',
};

/** The challenge of a 401 on /graphql: an API key header or a bearer token. */
export const GRAPHQL_CHALLENGE = 'Bearer realm="ucv-gateway", ApiKey realm="ucv-gateway", header="x-api-key"';

/**
 * The media type graphql-http answers a successful operation with, for this Accept header: its own choice
 * (graphql-http/lib/handler.js, createHandler), repeated for the answers the facade writes itself; undefined where
 * graphql-http would refuse (it has refused before any operation runs).
 */
function acceptedMediaType(
  accept: string | undefined,
): 'application/graphql-response+json' | 'application/json' | undefined {
  for (const entry of (accept || '*/*').replace(/\s/g, '').toLowerCase().split(',')) {
    const [mediaType, ...params] = entry.split(';');
    const charset = params.find((param) => param.includes('charset=')) || 'charset=utf-8';
    if (mediaType === 'application/graphql-response+json' && charset === 'charset=utf-8')
      return 'application/graphql-response+json';
    if (
      (mediaType === 'application/json' || mediaType === 'application/*' || mediaType === '*/*') &&
      (charset === 'charset=utf-8' || charset === 'charset=utf8')
    )
      return 'application/json';
  }
  return undefined;
}

/** The context and execution of each request, for graphql-http's execute callback. */
const executions = new WeakMap<object, (args: ExecutionArgs) => Promise<ExecutionResult>>();

/**
 * The /graphql endpoint as a plain node request listener: the server routes `POST /graphql` to it before Express
 * (Express 5's routing alone cost more than the whole cached view; see the commit), and Express mounts the same
 * listener for the other methods. It reads the JSON body itself, with the body limit.
 */
export function graphqlHandler(
  schema: GraphQLSchema,
  sources: readonly Source[],
  logger: Logger,
  pipeline: Pipeline,
  bodyLimits: BodyLimits,
) {
  /** Requests refused as a whole, so the response gets the refusal's status and headers. */
  const refusals = new WeakMap<IncomingMessage, GraphQLError>();

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

  const options: HandlerOptions<IncomingMessage & { id?: unknown }, { res: ServerResponse }> = {
    schema,
    onSubscribe: async (req, params) => {
      const requestId = String(req.raw.id);
      const context: GatewayContext = {
        facade: 'graphql',
        requestId,
        ucv: new RequestContext(requestId, sources),
        req: req.raw,
        res: req.context.res,
      };
      const prepared = await pipeline.prepare(context, {
        query: params.query,
        operationName: params.operationName,
        variables: params.variables,
      });
      if (!prepared.ok) {
        if (prepared.refusal) refusals.set(req.raw, prepared.refusal);
        return [...prepared.errors];
      }
      executions.set(context, prepared.execute);
      return prepared.args as never;
    },
    execute: async (args: ExecutionArgs) => {
      const execute = executions.get(args.contextValue as object);
      if (!execute) throw new Error('an operation reached execution without the pipeline');
      const result = await execute(args);
      const refusal = refusalOf(result);
      if (refusal) refusals.set((args.contextValue as GatewayContext).req, refusal);
      return result;
    },
    // A rendered-answer cache hit whose answer is still the kept one: its JSON from the kept fragments, not
    // serialized again (answer-cache.ts, KeptJson). Same body and headers as graphql-http's own response.
    onOperation: (req, _args, result) => {
      const json = keptJsonOf(result as ExecutionResult);
      if (json === undefined) return;
      const type = acceptedMediaType(req.raw.headers.accept);
      if (!type) return;
      return [json, { status: 200, statusText: 'OK', headers: { 'content-type': `${type}; charset=utf-8` } }];
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
    void handler({
      url: req.url ?? '/',
      method: req.method ?? 'GET',
      headers: req.headers,
      body: (req.body as Record<string, unknown> | undefined) ?? null,
      raw: req,
      context: { res },
    }).then(
      ([body, init]) => {
        const refusal = refusals.get(req);
        if (refusal) {
          const head = refusalHead(refusal, GRAPHQL_CHALLENGE);
          return void res.writeHead(head.status, { ...init.headers, ...head.headers }).end(body);
        }
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
    // The one body reader (http/body.ts): refused as soon as the cap is passed, cut off when it stalls.
    readJson(req, res, bodyLimits).then(
      (body) => handle(Object.assign(req, { body }), res),
      (err: unknown) => {
        if (err instanceof BodyError) return sendError(res, err.code, err.message);
        logger.error({ err }, 'could not read a request body');
        sendError(res, 'INTERNAL_SERVER_ERROR');
      },
    );
  };
}
