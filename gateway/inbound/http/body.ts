/**
 * The one request-body reader, used by GraphQL over HTTP, the SOAP facade and `/events/<source>`.
 *
 * Why not body-parser: on a body over its limit it reads the rest of the request to its end before it answers
 * (`read.js` dumps the stream "to read off entire request"), so a chunked 1.18 GB upload was swallowed whole and
 * never answered; and neither it nor raw-body cuts off a body that stalls (node's `requestTimeout` did, after 30 s,
 * with an empty 408). This reader:
 * - refuses as soon as the bytes read pass the cap, chunked or not, and once inflated (gzip/deflate bombs);
 * - refuses a body that sends nothing for `idleTimeoutMs`, or has not ended after `timeoutMs`;
 * - on any refusal stops reading and marks the response `Connection: close`: node then closes the socket once the
 *   answer is written, so the client learns the verdict at once and stops sending.
 * Refusals are `BodyError`s carrying a code of the catalog; the caller answers them in its own format.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import zlib from 'node:zlib';
import { ERROR_CATALOG, type ErrorCode } from '../../errors';

export interface BodyLimits {
  /** Largest body as sent (compressed or not), in bytes. */
  maxBytes: number;
  /** Largest body once inflated (gzip/deflate), in bytes. */
  maxInflatedBytes: number;
  /** Longest wait for the next bytes of a body, in milliseconds. */
  idleTimeoutMs: number;
  /** Longest time to receive a whole body, in milliseconds. */
  timeoutMs: number;
}

export class BodyError extends Error {
  constructor(
    readonly code: ErrorCode,
    message: string = ERROR_CATALOG[code].message,
  ) {
    super(message);
  }
}

/**
 * Reads the whole body of `req` within `limits`. On refusal the rest of the body is left unread and `res` is marked
 * `Connection: close` (the connection cannot carry another request), then the promise rejects with a BodyError.
 */
export function readBody(req: IncomingMessage, res: ServerResponse, limits: BodyLimits): Promise<Buffer> {
  return new Promise((resolve, reject) => {
    const refuse = (error: BodyError): void => {
      if (!res.headersSent) res.setHeader('connection', 'close');
      reject(error);
    };
    const declared = req.headers['content-length'];
    if (declared !== undefined && Number(declared) > limits.maxBytes) return refuse(tooLarge(limits.maxBytes));
    const encoding = String(req.headers['content-encoding'] ?? 'identity')
      .trim()
      .toLowerCase();
    let inflater: zlib.Gunzip | zlib.Inflate | undefined;
    if (encoding === 'gzip' || encoding === 'x-gzip') inflater = zlib.createGunzip();
    else if (encoding === 'deflate') inflater = zlib.createInflate();
    else if (encoding !== 'identity')
      return refuse(
        new BodyError('UNSUPPORTED_MEDIA_TYPE', 'The content encoding is not supported (gzip, deflate or none).'),
      );

    const chunks: Buffer[] = [];
    let received = 0;
    let kept = 0;
    let settled = false;
    const settle = (error?: BodyError): void => {
      if (settled) return;
      settled = true;
      clearTimeout(idle);
      clearTimeout(total);
      req.off('data', onData).off('end', onEnd).off('error', onAborted).off('aborted', onAborted);
      req.on('error', () => undefined); // a late socket error has no one left to tell
      if (inflater) {
        inflater.removeAllListeners('data');
        inflater.on('error', () => undefined);
        inflater.destroy();
      }
      if (!error) return resolve(Buffer.concat(chunks, kept));
      req.pause(); // leave the rest unread: node closes the connection after the answer
      refuse(error);
    };
    // The refusal's message is built only on a refusal: an Error per chunk (its stack captured) cost ~4 µs of
    // every request's body (bench: docs/performance.md, "the pipeline's overhead").
    const keep = (chunk: Buffer, cap: number, message: () => string): void => {
      kept += chunk.length;
      if (kept > cap) return settle(new BodyError('PAYLOAD_TOO_LARGE', message()));
      chunks.push(chunk);
    };
    const timedOut = (message: string) => () => settle(new BodyError('REQUEST_TIMEOUT', message));
    const idle = setTimeout(
      timedOut(`The request body sent nothing for ${limits.idleTimeoutMs} ms.`),
      limits.idleTimeoutMs,
    );
    const total = setTimeout(
      timedOut(`The request body did not arrive within ${limits.timeoutMs} ms.`),
      limits.timeoutMs,
    );

    const onData = (chunk: Buffer): void => {
      received += chunk.length;
      if (received > limits.maxBytes) return settle(tooLarge(limits.maxBytes));
      idle.refresh();
      if (inflater) inflater.write(chunk);
      else keep(chunk, limits.maxBytes, () => tooLarge(limits.maxBytes).message);
    };
    const onEnd = (): void => (inflater ? void inflater.end() : settle());
    const onAborted = (): void => settle(new BodyError('BAD_REQUEST', 'The request body was not sent to its end.'));
    if (inflater) {
      const inflatedCap = (): string =>
        `The request body is larger than ${limits.maxInflatedBytes} bytes once inflated.`;
      inflater.on('data', (chunk: Buffer) => keep(chunk, limits.maxInflatedBytes, inflatedCap));
      inflater.on('end', () => settle());
      inflater.on('error', () =>
        settle(new BodyError('BAD_REQUEST', `The request body is not valid ${encoding} data.`)),
      );
    }
    req.on('data', onData).on('end', onEnd).on('error', onAborted).on('aborted', onAborted);
  });
}

const tooLarge = (maxBytes: number): BodyError =>
  new BodyError('PAYLOAD_TOO_LARGE', `The request body is larger than ${maxBytes} bytes.`);

/** The media type of a request, lower-cased, without parameters; '' when none. */
export const mediaTypeOf = (req: IncomingMessage): string =>
  (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase() ?? '';

const JSON_TYPES = new Set(['application/json', 'application/graphql-response+json']);

/**
 * The bytes of a JSON body (application/json, UTF-8), read through readBody, not parsed: for a caller that must
 * check them first (a signed webhook verifies its signature over the bytes as sent before parsing anything).
 */
export async function readJsonBytes(req: IncomingMessage, res: ServerResponse, limits: BodyLimits): Promise<Buffer> {
  const charset = /;\s*charset\s*=\s*"?([^";\s]+)/i.exec(req.headers['content-type'] ?? '')?.[1]?.toLowerCase();
  if (!JSON_TYPES.has(mediaTypeOf(req)) || (charset !== undefined && charset !== 'utf-8' && charset !== 'utf8')) {
    res.setHeader('connection', 'close'); // the body is left unread
    throw new BodyError('UNSUPPORTED_MEDIA_TYPE', 'The request body must be application/json.');
  }
  return readBody(req, res, limits);
}

/** JSON bytes as a value: an empty body is `{}`, anything not JSON a BAD_REQUEST BodyError. */
export function parseJson(raw: Buffer): unknown {
  const text = raw.toString('utf8');
  if (text.trim() === '') return {};
  try {
    return JSON.parse(text) as unknown;
  } catch {
    throw new BodyError('BAD_REQUEST', 'The request body is not valid JSON.');
  }
}

/**
 * Reads a JSON body: 415 unless its media type is JSON (checked before a byte is read) in UTF-8, 400 when it does
 * not parse. An empty body reads as `{}`, as body-parser did, so the GraphQL layer says what is missing.
 */
export async function readJson(req: IncomingMessage, res: ServerResponse, limits: BodyLimits): Promise<unknown> {
  return parseJson(await readJsonBytes(req, res, limits));
}
