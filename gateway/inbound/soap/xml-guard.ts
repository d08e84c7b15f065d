/**
 * The SOAP facade's intake, before node-soap sees a byte: the media type, the body read through the one body reader
 * (http/body.ts: capped as sent and once inflated, cut off when it stalls), the envelope checked once
 * (envelope.ts: XML safety, SOAP 1.1, the service's namespace, mustUnderstand headers), and the SOAPAction matched
 * to the Body's operation. Every refusal is a SOAP 1.1 fault with a code from the gateway's catalog, never a stack
 * trace.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import { ERROR_CATALOG, soapFaultCode, type ErrorCode } from '../../errors';
import { BodyError, mediaTypeOf, readBody, type BodyLimits } from '../http/body';
import { EnvelopeRefusal, inspectEnvelope, type Envelope, type PlainArguments } from './envelope';
import { notesOf } from '../http/notes';
import { TARGET_NAMESPACE } from './wsdl';
import { escapeText } from './xml';

export interface XmlGuardOptions {
  body: BodyLimits;
  /** Deepest element nesting accepted. */
  maxDepth: number;
  operations: ReadonlySet<string>;
  /** Operations whose plain envelopes the guard also reads for node-soap (envelope.ts, `Envelope.reading`). */
  plain?: ReadonlyMap<string, PlainArguments>;
}

/**
 * Notes a fault of the client's doing (faultcode other than soap:Server) on the response's notes: SOAP 1.1 sends
 * every fault with HTTP 500, and the request log reads the note so a client's mistake is not logged as a server
 * error.
 */
export function noteFault(res: ServerResponse | undefined, code: ErrorCode): void {
  if (res && soapFaultCode(code) !== 'soap:Server') notesOf(res).clientFault = true;
}

/** A SOAP 1.1 fault envelope carrying the gateway's error code. */
export function faultEnvelope(code: ErrorCode, message: string): string {
  const faultcode = soapFaultCode(code);
  return (
    '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>' +
    `<faultcode>${faultcode}</faultcode><faultstring>${escapeText(message)}</faultstring>` +
    `<detail><tns:GatewayFault xmlns:tns="${TARGET_NAMESPACE}"><tns:code>${code}</tns:code><tns:message>${escapeText(message)}</tns:message></tns:GatewayFault></detail>` +
    '</soap:Fault></soap:Body></soap:Envelope>'
  );
}

export function sendFault(res: ServerResponse, status: number, code: ErrorCode, message: string): void {
  noteFault(res, code);
  const body = faultEnvelope(code, message);
  res
    .writeHead(status, { 'content-type': 'text/xml; charset=utf-8', 'content-length': Buffer.byteLength(body) })
    .end(body);
}

/**
 * Reads and checks a SOAP request on plain node objects; calls `next` with the body in `req.body` (a Buffer) and
 * the envelope as read (its plain reading, when it has one) when it may go on to node-soap, and answers the fault
 * itself otherwise.
 */
export function xmlGuard(
  options: XmlGuardOptions,
): (req: IncomingMessage & { body?: unknown }, res: ServerResponse, next: (envelope: Envelope) => void) => void {
  const inspect = (
    req: IncomingMessage & { body?: unknown },
    res: ServerResponse,
    next: (envelope: Envelope) => void,
  ): void => {
    const body = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    let envelope: Envelope;
    try {
      envelope = inspectEnvelope(body, options);
    } catch (err) {
      if (err instanceof EnvelopeRefusal) return sendFault(res, 500, err.code, err.message);
      return sendFault(res, 500, 'BAD_REQUEST', 'The request could not be read.');
    }
    // node-soap picks the operation by SOAPAction when one is given, and fails on one it does not know: a
    // SOAPAction must name the Body's operation, or be absent or empty.
    const { operation } = envelope;
    const action = String(req.headers.soapaction ?? '')
      .trim()
      .replace(/^"(.*)"$/, '$1');
    const expected = `${TARGET_NAMESPACE}#${operation}`;
    if (action !== '' && action !== expected) {
      return sendFault(
        res,
        500,
        'BAD_REQUEST',
        `The SOAPAction "${action}" does not name the Body's operation ${operation}: send "${expected}", or none.`,
      );
    }
    next(envelope);
  };
  return (req, res, next) => {
    const type = mediaTypeOf(req);
    // application/soap+xml is SOAP 1.2's media type: read, so that its envelope gets the VersionMismatch fault.
    if (type !== 'text/xml' && type !== 'application/soap+xml') {
      res.setHeader('connection', 'close'); // the body is left unread
      return sendFault(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'A SOAP request must be sent as text/xml.');
    }
    readBody(req, res, options.body).then(
      (body) => inspect(Object.assign(req, { body }), res, next),
      (err: unknown) => {
        if (!(err instanceof BodyError)) return sendFault(res, 500, 'INTERNAL_SERVER_ERROR', 'Unexpected error.');
        // The catalog's status for the body's refusal (413, 408, 415, 400), not SOAP's usual 500.
        sendFault(res, ERROR_CATALOG[err.code].status, err.code, err.message);
      },
    );
  };
}
