/**
 * Hardened XML intake for the SOAP facade, before node-soap sees a byte:
 * - the body is capped twice: as sent (Content-Length) and once inflated (gzip/deflate bombs);
 * - the envelope is read once with sax in strict mode, and refused when it has a DOCTYPE (so no entity is ever
 *   declared, expanded or fetched), a processing instruction other than the XML declaration, nesting deeper than
 *   `maxDepth`, an element or attribute named like an object-prototype key (`__proto__`, `constructor`,
 *   `prototype`), or is not well-formed;
 * - the operation must be one the service has.
 * Every refusal is a SOAP fault with a code from the gateway's catalog, never a stack trace.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import bodyParser from 'body-parser';
import sax from 'sax';
import { soapFaultCode, type ErrorCode } from '../errors';
import { TARGET_NAMESPACE } from './wsdl';

export interface XmlGuardOptions {
  /** Largest body as sent, in bytes. */
  maxBodyBytes: number;
  /** Largest body once inflated, in bytes. */
  maxInflatedBytes: number;
  /** Deepest element nesting accepted. */
  maxDepth: number;
  operations: ReadonlySet<string>;
}

/** Names that would reach object prototypes when node-soap turns XML into objects: every Object.prototype key. */
const FORBIDDEN_NAMES = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);

const escapeXml = (text: string): string => text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');

/** A SOAP 1.1 fault envelope carrying the gateway's error code. */
export function faultEnvelope(code: ErrorCode, message: string): string {
  const faultcode = soapFaultCode(code);
  return (
    '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><soap:Fault>' +
    `<faultcode>${faultcode}</faultcode><faultstring>${escapeXml(message)}</faultstring>` +
    `<detail><tns:GatewayFault xmlns:tns="${TARGET_NAMESPACE}"><tns:code>${code}</tns:code><tns:message>${escapeXml(message)}</tns:message></tns:GatewayFault></detail>` +
    '</soap:Fault></soap:Body></soap:Envelope>'
  );
}

export function sendFault(res: ServerResponse, status: number, code: ErrorCode, message: string): void {
  const body = faultEnvelope(code, message);
  res.writeHead(status, { 'content-type': 'text/xml; charset=utf-8', 'content-length': Buffer.byteLength(body) }).end(body);
}

class Refusal extends Error {}

/**
 * Reads the envelope once; throws Refusal with the client-facing reason. Accepts exactly
 * Envelope > [Header] > Body > one operation element, with no text between them, so node-soap never meets a shape
 * it cannot handle (its own errors would leak their messages).
 */
export function inspectEnvelope(xml: string, maxDepth: number, operations: ReadonlySet<string>): string {
  const parser = sax.parser(true, { trim: false, normalize: false });
  const localName = (name: string): string => name.slice(name.indexOf(':') + 1);
  const path: string[] = [];
  let roots = 0;
  let bodies = 0;
  let operationsInBody = 0;
  let operation = '';
  parser.ondoctype = () => {
    throw new Refusal('DOCTYPE and entity declarations are not accepted.');
  };
  parser.onprocessinginstruction = (pi) => {
    if (roots > 0 || pi.name.toLowerCase() !== 'xml') throw new Refusal('Processing instructions are not accepted.');
  };
  parser.ontext = (text) => {
    if (path.length <= 2 && text.trim() !== '') throw new Refusal('The envelope has text outside its elements.');
  };
  parser.onopentag = (node) => {
    const name = localName(node.name);
    if (FORBIDDEN_NAMES.has(name) || Object.keys(node.attributes).some((a) => FORBIDDEN_NAMES.has(localName(a)))) {
      throw new Refusal(`The name "${name}" is not accepted in a request.`);
    }
    path.push(name);
    if (path.length > maxDepth) throw new Refusal(`The request nests elements deeper than ${maxDepth} levels.`);
    if (path.length === 1) {
      if (++roots > 1) throw new Refusal('The request has more than one root element.');
      if (name !== 'Envelope') throw new Refusal('The request is not a SOAP envelope.');
    } else if (path.length === 2) {
      if (name === 'Body') bodies++;
      else if (name !== 'Header') throw new Refusal(`A SOAP envelope holds a Header and a Body, not "${name}".`);
    } else if (path.length === 3 && path[1] === 'Body') {
      if (!operations.has(name)) throw new Refusal(`Unknown operation "${name}"; the service has ${[...operations].join(', ')}.`);
      if (++operationsInBody > 1) throw new Refusal('The Body holds more than one operation.');
      operation = name;
    }
  };
  parser.onclosetag = () => void path.pop();
  parser.onerror = (err) => {
    throw new Refusal(`The request is not well-formed XML: ${err.message.split('\n')[0]}.`);
  };
  try {
    parser.write(xml).close();
  } catch (err) {
    if (err instanceof Refusal) throw err;
    throw new Refusal('The request is not well-formed XML.');
  }
  if (roots === 0) throw new Refusal('The request body is empty.');
  if (bodies !== 1 || operationsInBody !== 1) throw new Refusal('The envelope must hold one Body with one operation.');
  return operation;
}

/**
 * Reads and checks a SOAP request on plain node objects; calls `next` with the body in `req.body` (a Buffer) when
 * it may go on to node-soap, and answers the fault itself otherwise.
 */
export function xmlGuard(options: XmlGuardOptions): (req: IncomingMessage & { body?: unknown }, res: ServerResponse, next: () => void) => void {
  // Without content encoding, the cap as sent applies to the bytes read, chunked or not; with one, the cap once
  // inflated (the Content-Length check below covers the compressed size when it is declared).
  const readPlain = bodyParser.raw({ type: () => true, limit: options.maxBodyBytes, inflate: false });
  const readEncoded = bodyParser.raw({ type: () => true, limit: options.maxInflatedBytes, inflate: true });
  const inspect = (req: IncomingMessage & { body?: unknown }, res: ServerResponse, next: () => void): void => {
    const body = Buffer.isBuffer(req.body) ? req.body.toString('utf8') : '';
    let operation: string;
    try {
      operation = inspectEnvelope(body, options.maxDepth, options.operations);
    } catch (err) {
      return sendFault(res, 500, 'BAD_REQUEST', err instanceof Refusal ? err.message : 'The request could not be read.');
    }
    // node-soap picks the operation by SOAPAction when one is given, and fails on one it does not know: a
    // SOAPAction must name the Body's operation, or be absent or empty.
    const action = String(req.headers.soapaction ?? '').trim().replace(/^"(.*)"$/, '$1');
    const expected = `${TARGET_NAMESPACE}#${operation}`;
    if (action !== '' && action !== expected) {
      return sendFault(res, 500, 'BAD_REQUEST', `The SOAPAction "${action}" does not name the Body's operation ${operation}: send "${expected}", or none.`);
    }
    next();
  };
  return (req, res, next) => {
    const type = (req.headers['content-type'] ?? '').split(';')[0]?.trim().toLowerCase();
    if (type !== 'text/xml' && type !== 'application/soap+xml') {
      return sendFault(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'A SOAP request must be sent as text/xml.');
    }
    if (Number(req.headers['content-length'] ?? 0) > options.maxBodyBytes) {
      return sendFault(res, 413, 'PAYLOAD_TOO_LARGE', `The request body is larger than ${options.maxBodyBytes} bytes.`);
    }
    const encoded = (req.headers['content-encoding'] ?? 'identity').toLowerCase() !== 'identity';
    (encoded ? readEncoded : readPlain)(req as never, res as never, (err?: unknown) => {
      if (!err) return inspect(req, res, next);
      const type = (err as { type?: string }).type;
      if (type === 'entity.too.large') {
        return sendFault(res, 413, 'PAYLOAD_TOO_LARGE', encoded ? `The request body is larger than ${options.maxInflatedBytes} bytes once inflated.` : `The request body is larger than ${options.maxBodyBytes} bytes.`);
      }
      if (type === 'encoding.unsupported') return sendFault(res, 415, 'UNSUPPORTED_MEDIA_TYPE', 'The content encoding is not supported (gzip, deflate or none).');
      return sendFault(res, 400, 'BAD_REQUEST', 'The request body could not be read.');
    });
  };
}
