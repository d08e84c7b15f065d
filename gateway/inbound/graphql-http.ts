/**
 * GraphQL over HTTP at /graphql, following the GraphQL-over-HTTP specification through graphql-http (its reference
 * implementation): POST with JSON, GET for queries, `application/graphql-response+json` and `application/json`,
 * and the spec's status codes. Translation only: each request becomes one call of the seam (pipeline/operation.ts),
 * which runs identity, limits, rights, masking, audit and observation and masks unexpected errors; what stays here
 * is HTTP: the body reader, and each Outcome written with its status (401 with `WWW-Authenticate`, 403, 405 with
 * `Allow`, 429 with `Retry-After`, 400).
 */
import { STATUS_CODES, type IncomingMessage, type ServerResponse } from 'node:http';
import { createHandler, type HandlerOptions, type Request, type RequestParams } from 'graphql-http';
import { GraphQLError } from 'graphql';
import type { Logger } from 'pino';
import { isErrorCode, sendError, type ErrorCode } from '../errors';
import { refusalHeaders, type Pipeline } from '../pipeline';
import { BodyError, readJson, type BodyLimits } from './http/body';
import { personalAnswer } from './http/headers';
import { notesOf } from './http/notes';

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

/** graphql-http's answer: a body and its status and headers. */
type Reply = [string, { status: number; statusText: string; headers: Record<string, string> }];

/** What one request carries from graphql-http's reading of it to the operation. */
interface Exchange {
  res: ServerResponse;
  /** A trusted document's id, when the request names one instead of a query (pipeline/documents.ts). */
  documentId?: string;
}

const refusedParams = (message: string): Reply => {
  const body = JSON.stringify({ errors: [{ message, extensions: { code: 'BAD_REQUEST' } }] });
  return [
    body,
    { status: 400, statusText: 'Bad Request', headers: { 'content-type': 'application/json; charset=utf-8' } },
  ];
};

/**
 * A request that names a trusted document instead of sending its text: `documentId` (the GraphQL-over-HTTP
 * persisted-documents proposal), or Apollo's `extensions.persistedQuery.sha256Hash`, in the JSON body or (GET) the
 * URL. Its parameters as graphql-http wants them (an empty query, never parsed); undefined for any other request,
 * which graphql-http reads itself.
 */
function trustedDocumentParams(req: Request<IncomingMessage, Exchange>): RequestParams | Reply | undefined {
  let given: Record<string, unknown>;
  if (req.method === 'POST') given = (req.body as Record<string, unknown> | null) ?? {};
  else {
    // Most GETs name no document: graphql-http reads their URL itself, so it is parsed here only when it may.
    if (!req.url.includes('documentId=')) return undefined;
    const search = new URL(req.url, 'http://gateway').searchParams;
    if (!search.has('documentId')) return undefined;
    given = { documentId: search.get('documentId'), operationName: search.get('operationName') ?? undefined };
    const variables = search.get('variables');
    if (variables !== null) {
      try {
        given.variables = JSON.parse(variables);
      } catch {
        return refusedParams('The variables parameter is not valid JSON.');
      }
    }
  }
  const apq = (given.extensions as { persistedQuery?: { sha256Hash?: unknown } } | undefined)?.persistedQuery;
  const documentId =
    given.documentId ?? (typeof apq?.sha256Hash === 'string' && !given.query ? `sha256:${apq.sha256Hash}` : undefined);
  if (documentId === undefined || documentId === null) return undefined;
  if (typeof documentId !== 'string') return refusedParams('documentId must be a string.');
  const { variables, operationName } = given;
  if (variables !== undefined && variables !== null && (typeof variables !== 'object' || Array.isArray(variables)))
    return refusedParams('variables must be an object.');
  if (operationName !== undefined && operationName !== null && typeof operationName !== 'string')
    return refusedParams('operationName must be a string.');
  req.context.documentId = documentId;
  return { query: '', variables: variables as Record<string, unknown> | null, operationName };
}

/**
 * The /graphql endpoint as a plain node request listener: the server routes `POST /graphql` to it before Express
 * (Express 5's routing alone cost more than the whole cached view, measured on a precomputed answer), and Express
 * mounts the same listener for the other methods. It reads the JSON body itself, with the body limit.
 *
 * graphql-http reads the request as the spec says (GET or POST, the parameters, Accept) and writes the answer with
 * the spec's status codes; in between, the operation runs through the seam as a whole, and its Outcome is
 * translated here: a result (or the kept JSON of a hit) as it is, request errors as graphql-http answers them, a
 * refusal with its catalog status and headers.
 */
export function graphqlHandler(logger: Logger, pipeline: Pipeline, bodyLimits: BodyLimits) {
  /** graphql-http's own request errors (missing query, unparsable URL, bad variables…); the seam coded the rest. */
  const formatError = (error: Error): GraphQLError =>
    error instanceof GraphQLError && isErrorCode(error.extensions?.code)
      ? error
      : new GraphQLError(error.message, { extensions: { code: 'BAD_REQUEST' } });

  const options: HandlerOptions<IncomingMessage & { id?: unknown }, Exchange> = {
    parseRequestParams: trustedDocumentParams,
    onSubscribe: async (req, params) => {
      const { res, documentId } = req.context;
      const outcome = await pipeline.run({
        facade: 'graphql',
        requestId: String(req.raw.id),
        caller: { req: req.raw, res },
        ...(documentId === undefined ? { query: params.query } : { documentId }),
        operationName: params.operationName,
        variables: params.variables,
        mutations: req.method !== 'GET',
        notes: notesOf(res),
      });
      if (outcome.kind === 'invalid') return [...outcome.errors];
      // The media type of an answer written here, as graphql-http would choose it. onSubscribe runs only once
      // graphql-http accepted the Accept header, so one is found.
      const type = (): string => `${acceptedMediaType(req.raw.headers.accept) ?? 'application/json'}; charset=utf-8`;
      if (outcome.kind === 'refused') {
        const body = JSON.stringify(outcome.result ?? { errors: [outcome.error] });
        const headers = { 'content-type': type(), ...refusalHeaders(outcome, GRAPHQL_CHALLENGE) };
        return [body, { status: outcome.status, statusText: STATUS_CODES[outcome.status] ?? '', headers }] as Reply;
      }
      // A rendered-answer cache hit whose answer is still the kept one: its JSON from the kept fragments, not
      // serialized again (answer-cache.ts, KeptJson). Same body and headers as graphql-http's own response.
      if (outcome.json !== undefined)
        return [outcome.json, { status: 200, statusText: 'OK', headers: { 'content-type': type() } }] as Reply;
      // graphql-http writes what has a `data` member as a result (variables refused at execution have none).
      return 'data' in outcome.result ? outcome.result : { data: undefined, ...outcome.result };
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
    personalAnswer(res, 'Accept, Authorization, X-Api-Key');
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
