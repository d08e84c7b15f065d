/**
 * `GET /admin/audit?customerId=&from=&to=&limit=&cursor=`: the audit trail of one customer, for the data-protection
 * officer, behind admin credentials. JSON: `{ records: [...], next }`, newest first (docs/audit.md).
 *
 * Who the caller is comes from an `authenticate` dependency (the identity plugin's, wired by the server); it
 * rejects with a GraphQLError whose `extensions.code` is UNAUTHENTICATED or FORBIDDEN. The caller's role must then be
 * `audit.adminRole`.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Logger } from 'pino';
import { sendError } from '../errors';
import { adminCaller } from '../inbound';
import type { Store } from '../store';
import { queryAudit, decodeCursor } from './query';

/** The part of the gateway's Consumer this route reads. */
export interface AdminConsumer {
  id: string;
  role: string;
}

/** Resolves the caller of a non-GraphQL route, or rejects with a GraphQLError UNAUTHENTICATED / FORBIDDEN. */
export type Authenticate = (req: IncomingMessage) => Promise<AdminConsumer>;

export interface AuditRouteOptions {
  store: Store;
  authenticate: Authenticate;
  adminRole: string;
  logger: Logger;
}

/** Default and largest page size, in records. */
export const DEFAULT_LIMIT = 100;
export const MAX_LIMIT = 1000;
const CUSTOMER_ID = /^[A-Za-z0-9_-]{1,64}$/;
const KNOWN = new Set(['customerId', 'from', 'to', 'limit', 'cursor']);
/** An ISO 8601 date-time with a time zone: a DPO's window must not depend on the server's zone. */
const INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

export function auditRoute({ store, authenticate, adminRole, logger }: AuditRouteOptions) {
  return async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    if ((await adminCaller({ authenticate, role: adminRole, logger }, req, res, 'Reading the audit trail')) === null)
      return;

    const parsed = parseQuery(new URL(req.url ?? '/', 'http://gateway').searchParams);
    if (typeof parsed === 'string') return sendError(res, 'BAD_REQUEST', parsed);
    try {
      const page = await queryAudit(store, parsed);
      const body = JSON.stringify(page);
      res
        .writeHead(200, {
          'content-type': 'application/json; charset=utf-8',
          'content-length': Buffer.byteLength(body),
          'cache-control': 'no-store',
        })
        .end(body);
    } catch (err) {
      logger.error({ err }, 'audit trail query failed');
      sendError(res, 'INTERNAL_SERVER_ERROR');
    }
  };
}

/** The query, or a message naming what is wrong with it. */
function parseQuery(params: URLSearchParams): Parameters<typeof queryAudit>[1] | string {
  for (const key of new Set(params.keys())) {
    if (!KNOWN.has(key)) return `Unknown parameter "${key}"; expected customerId, from, to, limit, cursor.`;
    if (params.getAll(key).length > 1) return `Parameter "${key}" is given more than once.`;
  }
  const customerId = params.get('customerId');
  if (customerId === null || !CUSTOMER_ID.test(customerId))
    return 'customerId is required: 1 to 64 letters, digits, "_" or "-".';
  const from = instant(params.get('from'));
  const to = instant(params.get('to'));
  if (from === null) return 'from must be an ISO 8601 date or date-time with a time zone, e.g. 2026-11-24T00:00:00Z.';
  if (to === null) return 'to must be an ISO 8601 date or date-time with a time zone, e.g. 2026-11-24T00:00:00Z.';
  const limitText = params.get('limit');
  const limit = limitText === null ? DEFAULT_LIMIT : /^\d{1,4}$/.test(limitText) ? Number(limitText) : NaN;
  if (!(limit >= 1 && limit <= MAX_LIMIT)) return `limit must be a whole number from 1 to ${MAX_LIMIT}.`;
  const cursor = params.get('cursor') ?? undefined;
  if (cursor !== undefined && !decodeCursor(cursor))
    return 'cursor is not one this gateway gave (use the "next" of a previous page).';
  return { customerId, from, to, limit, cursor };
}

/** undefined when absent, null when invalid. */
function instant(text: string | null): Date | undefined | null {
  if (text === null) return undefined;
  if (!INSTANT.test(text)) return null;
  const date = new Date(text);
  return Number.isNaN(date.getTime()) ? null : date;
}
