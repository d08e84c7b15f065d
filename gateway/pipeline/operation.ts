/**
 * The one seam every consumer of the view calls: GraphQL over HTTP, SOAP, business rules, campaigns, the console.
 *
 *   caller (a network request, or an in-process consumer) + one operation
 *     → the pipeline (identity, parse, validate, limits, rights, rate limit, answer cache, execute, mask, audit,
 *       observe)
 *     → one typed Outcome: a result, request errors, or a refusal with its catalog code and HTTP status
 *
 * What must be the same for every facade is decided here, once: an error without a catalog code is either a
 * request error (no path: a variable of the wrong type, BAD_USER_INPUT) or a bug in a resolver (masked as
 * INTERNAL_SERVER_ERROR and logged here, once); an exception anywhere in the pipeline is logged once and becomes
 * an INTERNAL_SERVER_ERROR refusal. A facade only translates an Outcome into its protocol.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { GraphQLError, type DocumentNode, type ExecutionResult } from 'graphql';
import { ERROR_CATALOG, isErrorCode, refusalOf, type ErrorCode } from '../errors';
import type { SourceStatus } from '../view';
import type { Consumer, Facade, RequestNotes } from './context';
import type { TraceContext } from '../telemetry';

/** Who runs the operation. */
export type Caller =
  /** A request from the network: the identity plugin reads its credentials (headers, or the SOAP header). */
  | { req: IncomingMessage; res?: ServerResponse; soapHeader?: Record<string, unknown> }
  /**
   * An in-process consumer (rules, campaigns): already known, so no credential exists that could leak. Only code in
   * this process can build one; a network request always comes as `req`.
   */
  | { consumer: Consumer };

/** One operation as a consumer hands it over: a query text (GraphQL) or a document it built (SOAP, rules). */
export interface OperationCall {
  facade: Facade;
  requestId: string;
  caller: Caller;
  query?: string;
  /** A trusted document's id (`sha256:<hex>`, pipeline/documents.ts), in place of `query`. */
  documentId?: string;
  document?: DocumentNode;
  operationName?: string | null;
  variables?: Record<string, unknown> | null;
  /** False where a mutation must not run (GraphQL over GET): refused with METHOD_NOT_ALLOWED. Default true. */
  mutations?: boolean;
  /** The facade chose the fields, not the client (SOAP): a denied field inside a section is left out silently. */
  implicitFields?: boolean;
  /** Where the operation's summary goes for the request's log line (the HTTP facades pass the response's notes). */
  notes?: RequestNotes;
  /**
   * The span an in-process caller runs in (a customer event's, a campaign target's): the operation's parent. A
   * network request's parent is its `traceparent` header instead.
   */
  trace?: TraceContext;
}

export type Outcome =
  /** The operation ran: data (possibly partial), and every error carries a catalog code. */
  | {
      kind: 'result';
      result: ExecutionResult;
      /** Per customer, which source answered, how fresh, and what was unavailable (also in `extensions.sources`). */
      provenance: ReadonlyArray<{ customerId: string; sources: readonly SourceStatus[] }>;
      /** The answer's JSON, when the rendered-answer cache already holds it: write it as it is. */
      json?: string;
    }
  /** The request itself is not a valid operation (parse, validation): nothing ran. */
  | { kind: 'invalid'; errors: readonly GraphQLError[] }
  /**
   * Refused as a whole: who calls (401), what they may do (403), how much (429), an unavailable audit trail (503),
   * a method (405), or an unexpected failure (500). `result` is the answer as executed when the refusal came from
   * execution (it carries the request's extensions).
   */
  | {
      kind: 'refused';
      error: GraphQLError;
      code: ErrorCode;
      status: number;
      /** RATE_LIMITED: seconds until the consumer may retry. */
      retryAfterSeconds?: number;
      /** METHOD_NOT_ALLOWED: the methods that are. */
      allow?: string;
      result?: ExecutionResult;
    };

export type Refusal = Extract<Outcome, { kind: 'refused' }>;

/** A refusal Outcome for a catalog error. */
export function refusalOutcome(error: GraphQLError, result?: ExecutionResult): Refusal {
  const code = (isErrorCode(error.extensions?.code) ? error.extensions.code : 'INTERNAL_SERVER_ERROR') as ErrorCode;
  const retryAfter = error.extensions?.retryAfterSeconds;
  return {
    kind: 'refused',
    error,
    code,
    status: ERROR_CATALOG[code].status,
    ...(code === 'RATE_LIMITED' && typeof retryAfter === 'number' ? { retryAfterSeconds: retryAfter } : {}),
    ...(code === 'METHOD_NOT_ALLOWED' ? { allow: 'POST' } : {}),
    ...(result ? { result } : {}),
  };
}

/** Headers every facade sends with a refusal over HTTP: the challenge of a 401, `Retry-After`, `Allow`. */
export function refusalHeaders(refusal: Refusal, challenge: string): Record<string, string> {
  const headers: Record<string, string> = {};
  if (refusal.code === 'UNAUTHENTICATED') headers['www-authenticate'] = challenge;
  if (refusal.retryAfterSeconds !== undefined)
    headers['retry-after'] = String(Math.max(1, Math.ceil(refusal.retryAfterSeconds)));
  if (refusal.allow) headers.allow = refusal.allow;
  return headers;
}

export const withCode = (error: GraphQLError, code: ErrorCode): GraphQLError =>
  new GraphQLError(error.message, {
    nodes: error.nodes,
    source: error.source,
    positions: error.positions,
    path: error.path,
    extensions: { ...error.extensions, code },
  });

/** The masked stand-in of an error no one expected: its message, stack and cause stay in the log. */
const unexpected = (error: GraphQLError): GraphQLError =>
  new GraphQLError('Unexpected error.', { path: error.path, extensions: { code: 'INTERNAL_SERVER_ERROR' } });

export interface UnexpectedLog {
  error(details: object, message: string): void;
}

/**
 * Every error of an executed result with a catalog code. The same array is returned when nothing changes, so an
 * answer the rendered-answer cache wrote keeps its JSON.
 */
export function codedErrors(
  errors: ExecutionResult['errors'],
  log: UnexpectedLog,
  requestId: string,
): ExecutionResult['errors'] {
  if (!errors || errors.every((e) => isErrorCode(e.extensions?.code))) return errors;
  return errors.map((error) => {
    if (isErrorCode(error.extensions?.code)) return error;
    // No path: raised before any field ran (a variable missing or of the wrong type, an unknown operation name).
    if (!error.path) return withCode(error, 'BAD_USER_INPUT');
    log.error({ err: error.originalError ?? error, path: error.path, requestId }, 'unexpected error in a resolver');
    return unexpected(error);
  });
}

/**
 * Whether a JSON value nests objects and lists deeper than `max`, measured without recursion (the value may be
 * deep enough to overflow the stack of any recursive walk).
 */
export function nestsDeeperThan(value: unknown, max: number): boolean {
  const stack: Array<[unknown, number]> = [[value, 0]];
  while (stack.length > 0) {
    const [next, depth] = stack.pop() as [unknown, number];
    if (typeof next !== 'object' || next === null) continue;
    if (depth >= max) return true;
    for (const child of Array.isArray(next) ? next : Object.values(next)) stack.push([child, depth + 1]);
  }
  return false;
}

/** The Outcome of an executed result: a refusal when a plugin refused it as a whole, else the result. */
export function outcomeOf(result: ExecutionResult, json: string | undefined): Outcome {
  const refusal = refusalOf(result);
  if (refusal) return refusalOutcome(refusal, result);
  const provenance = (result.extensions?.sources ?? []) as Extract<Outcome, { kind: 'result' }>['provenance'];
  return { kind: 'result', result, provenance, ...(json === undefined ? {} : { json }) };
}
