/**
 * The one catalog of error codes the gateway gives its clients. GraphQL carries the code in
 * `errors[].extensions.code`; the SOAP facade uses the same code as its fault detail. `docs/errors.md` documents
 * every code, and a test keeps the two in step.
 *
 * Unexpected errors are masked as INTERNAL_SERVER_ERROR: no stack trace, hostname or backend URL leaves the gateway.
 */
import type { ServerResponse } from 'node:http';
import { GraphQLError } from 'graphql';

export const ERROR_CATALOG = {
  BAD_REQUEST: { status: 400, message: 'The request is malformed.' },
  GRAPHQL_PARSE_FAILED: { status: 400, message: 'The query is not valid GraphQL syntax.' },
  GRAPHQL_VALIDATION_FAILED: { status: 400, message: 'The query does not match the schema.' },
  BAD_USER_INPUT: { status: 200, message: 'An argument has an invalid value.' },
  NOT_FOUND: { status: 200, message: 'The customer is not known.' },
  SOURCE_UNAVAILABLE: { status: 200, message: 'A backend system could not answer; its section is null.' },
  PAYLOAD_TOO_LARGE: { status: 413, message: 'The request body is larger than the gateway accepts.' },
  REQUEST_TIMEOUT: { status: 408, message: 'The request body did not arrive in time.' },
  UNAUTHENTICATED: { status: 401, message: 'The request carries no valid credentials.' },
  RATE_LIMITED: { status: 429, message: 'Too many requests for this consumer; retry after the time given.' },
  VERSION_MISMATCH: {
    status: 500,
    message: 'The envelope is not SOAP 1.1 (namespace http://schemas.xmlsoap.org/soap/envelope/).',
  },
  MUST_UNDERSTAND: {
    status: 500,
    message: 'A SOAP header marked mustUnderstand="1" is not one the gateway processes.',
  },
  UNSUPPORTED_MEDIA_TYPE: { status: 415, message: 'The request body has a media type the gateway does not read.' },
  NOT_ACCEPTABLE: { status: 406, message: 'The Accept header names no media type the gateway can answer with.' },
  METHOD_NOT_ALLOWED: { status: 405, message: 'The HTTP method is not allowed on this path.' },
  ROUTE_NOT_FOUND: { status: 404, message: 'There is nothing at this path.' },
  CACHE_UNAVAILABLE: {
    status: 503,
    message: 'The shared cache could not be reached; the change was not applied everywhere. Retry it.',
  },
  FORBIDDEN: { status: 403, message: "The consumer's role may not do this." },
  QUERY_TOO_COMPLEX: { status: 400, message: "The operation is over one of the gateway's limits." },
  EVENT_NOT_HANDLED: {
    status: 503,
    message:
      'The event could not be handled now (the store, the customer view or the channel gateway failed); nothing was sent. Retry it.',
  },
  AUDIT_UNAVAILABLE: {
    status: 503,
    message: 'The read could not be recorded in the audit trail, so it was not answered. Retry it.',
  },
  IDEMPOTENCY_CONFLICT: {
    status: 409,
    message: 'This idempotency key was already used for a request with other content.',
  },
  STORE_UNAVAILABLE: {
    status: 503,
    message: 'The durable store could not be reached; nothing was recorded. Retry with the same idempotency key.',
  },
  DEFINITION_REFUSED: {
    status: 422,
    message: 'The definition was refused (see extensions.problems); the running gateway is unchanged.',
  },
  DEFINITION_NOT_FOUND: { status: 404, message: 'No definition of this kind has this name (or this version).' },
  SUPPRESSION_NOT_FOUND: { status: 404, message: 'The customer is not on the suppression list.' },
  CAMPAIGN_NOT_FOUND: { status: 404, message: 'No campaign has this id, or it has not been launched.' },
  CAMPAIGN_STATE: {
    status: 409,
    message: 'The campaign run is in a state that does not allow this (see the message); read it and retry.',
  },
  FOUR_EYES: {
    status: 409,
    message: 'A draft is published by someone other than its author (four eyes): another approver must publish it.',
  },
  EXCEPTION_NOT_FOUND: { status: 404, message: 'No exception in the queue has this id.' },
  EXCEPTION_RESOLVED: {
    status: 409,
    message: 'The exception is resolved already (see the message: by whom and when).',
  },
  CALLBACK_TASK_CLOSED: {
    status: 409,
    message: 'The callback task is closed already (see the message: with which outcome and when).',
  },
  DEFINITION_CONFLICT: {
    status: 409,
    message: 'The definitions changed meanwhile (another admin or instance); read them again and retry.',
  },
  PERSISTED_DOCUMENT_NOT_FOUND: {
    status: 400,
    message: 'No trusted document has this documentId.',
  },
  PERSISTED_DOCUMENTS_ONLY: {
    status: 400,
    message: 'This gateway runs only trusted documents: send a registered documentId (or its exact text).',
  },
  INTERNAL_SERVER_ERROR: { status: 500, message: 'An unexpected error occurred in the gateway.' },
} as const;

export type ErrorCode = keyof typeof ERROR_CATALOG;

/** Why a source could not answer; carried in `extensions.reason` next to SOURCE_UNAVAILABLE. */
export type UnavailableReason = 'timeout' | 'error' | 'circuit_open' | 'overloaded' | 'bad_response';

export interface GatewayErrorExtensions {
  code: ErrorCode;
  /** The backend system the error is about, for NOT_FOUND and SOURCE_UNAVAILABLE. */
  source?: string;
  reason?: UnavailableReason;
  [key: string]: unknown;
}

/**
 * An expected outcome reported as a GraphQL error (a customer not found, a source unavailable), made without a
 * stack trace: it is no bug, no one reads its stack, and capturing one (source-mapped under tsx, read again by
 * graphql-jit) cost ~70 µs per error, on every request while a breaker is open.
 */
export function gatewayError(message: string, extensions: GatewayErrorExtensions): GraphQLError {
  const limit = Error.stackTraceLimit;
  Error.stackTraceLimit = 0;
  try {
    return new GraphQLError(message, { extensions });
  } finally {
    Error.stackTraceLimit = limit;
  }
}

/**
 * Answers a request that never reached GraphQL execution: the catalog's status, the GraphQL error shape. Works on a
 * plain node response, so the GraphQL route can answer before Express is involved.
 */
export function sendError(res: ServerResponse, code: ErrorCode, message: string = ERROR_CATALOG[code].message): void {
  const body = JSON.stringify({ errors: [{ message, extensions: { code } }] });
  res
    .writeHead(ERROR_CATALOG[code].status, {
      'content-type': 'application/json; charset=utf-8',
      'content-length': Buffer.byteLength(body),
    })
    .end(body);
}

/** The catalog's code and message for a request body that body-parser refused; undefined for any other error. */
export function bodyError(err: unknown, maxBodyBytes: number): [ErrorCode, string] | undefined {
  const { type, status } = (err ?? {}) as { type?: string; status?: number };
  if (type === 'entity.too.large')
    return ['PAYLOAD_TOO_LARGE', `The request body is larger than ${maxBodyBytes} bytes.`];
  if (type === 'entity.parse.failed') return ['BAD_REQUEST', 'The request body is not valid JSON.'];
  if (type === 'encoding.unsupported' || type === 'charset.unsupported')
    return ['UNSUPPORTED_MEDIA_TYPE', ERROR_CATALOG.UNSUPPORTED_MEDIA_TYPE.message];
  if (status === 400) return ['BAD_REQUEST', ERROR_CATALOG.BAD_REQUEST.message];
  return undefined;
}

/**
 * SOAP 1.1 faultcode for a catalog code (SOAP 1.1 §4.4.1): the envelope's version and unprocessed mandatory headers
 * have faultcodes of their own; the gateway's or a backend's failure is the Server's, the rest the Client's.
 */
export function soapFaultCode(
  code: ErrorCode,
): 'soap:Client' | 'soap:Server' | 'soap:VersionMismatch' | 'soap:MustUnderstand' {
  if (code === 'VERSION_MISMATCH') return 'soap:VersionMismatch';
  if (code === 'MUST_UNDERSTAND') return 'soap:MustUnderstand';
  return code === 'INTERNAL_SERVER_ERROR' ||
    code === 'SOURCE_UNAVAILABLE' ||
    code === 'CACHE_UNAVAILABLE' ||
    code === 'AUDIT_UNAVAILABLE' ||
    code === 'STORE_UNAVAILABLE' ||
    code === 'EVENT_NOT_HANDLED'
    ? 'soap:Server'
    : 'soap:Client';
}

/**
 * The error a pipeline plugin refused the whole request with: a catalog code whose status is not 200, on an answer
 * with no data. Both facades map it the same way (status and headers, or a SOAP fault with the code).
 */
export function refusalOf(result: { data?: unknown; errors?: ReadonlyArray<GraphQLError> }): GraphQLError | undefined {
  if (result.data !== undefined && result.data !== null) return undefined;
  return result.errors?.find((e) => isErrorCode(e.extensions?.code) && ERROR_CATALOG[e.extensions.code].status !== 200);
}

/** Status and headers of a request refused as a whole, the same for every refusal a plugin makes. */
export function refusalHead(
  refusal: GraphQLError,
  challenge: string,
): { status: number; headers: Record<string, string> } {
  const code = refusal.extensions.code as ErrorCode;
  const headers: Record<string, string> = {};
  if (code === 'UNAUTHENTICATED') headers['www-authenticate'] = challenge;
  const retryAfter = refusal.extensions.retryAfterSeconds;
  if (code === 'RATE_LIMITED' && typeof retryAfter === 'number')
    headers['retry-after'] = String(Math.max(1, Math.ceil(retryAfter)));
  return { status: ERROR_CATALOG[code].status, headers };
}

export const isErrorCode = (code: unknown): code is ErrorCode =>
  typeof code === 'string' && Object.hasOwn(ERROR_CATALOG, code);
