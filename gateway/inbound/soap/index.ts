/**
 * The SOAP facade for legacy systems: `POST /soap/CustomerView`, WSDL at `GET /soap/CustomerView?wsdl`.
 *
 * One data path: every operation becomes a GraphQL operation executed against the gateway's own schema, so SOAP
 * goes through the same adapters, cache, breakers and coalescing as GraphQL; nothing here calls a backend.
 * Errors map to SOAP faults with the gateway's codes, except an unavailable source, which is not a fault: the
 * answer carries the other sections, a sectionError for it and the per-source status.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import express, { type Express } from 'express';
import {
  isObjectType,
  getNamedType,
  parse,
  type DocumentNode,
  type ExecutionResult,
  type GraphQLNamedType,
  type GraphQLSchema,
} from 'graphql';
import type { Logger } from 'pino';
import * as soap from 'soap';
import { ERROR_CATALOG, soapFaultCode, type ErrorCode } from '../../errors';
import { refusalHeaders, type Pipeline, type Refusal } from '../../pipeline';
import { isKept } from '../../pipeline/answer-cache';
import { MSISDN_MESSAGE, normalizeMsisdn } from '../../view';
import { buildWsdl, hasRecordContact, PORT_NAME, SERVICE_NAME, sectionOperations, sectionsOf } from './wsdl';
import type { BodyLimits } from '../http/body';
import type { PlainArguments } from './envelope';
import { personalAnswer } from '../http/headers';
import { notesOf } from '../http/notes';
import { noteFault, sendFault, xmlGuard } from './xml-guard';
import { escapeText } from './xml';

export const SOAP_PATH = '/soap/CustomerView';

export interface SoapFacadeOptions {
  schema: GraphQLSchema;
  /** The one request pipeline, as for /graphql: identity, limits, rights, masking, observation. */
  pipeline: Pipeline;
  logger: Logger;
  /** Limits of a request body (http/body.ts). */
  bodyLimits: BodyLimits;
  /** The gateway's public base URL, for the WSDL's soap:address (never the request's Host header). */
  publicUrl: () => string;
  /**
   * The sections GetCustomerView returns when none is named: those of the configured adapters. A registered
   * adapter's section is returned only when asked for by name, so a client generated from an earlier WSDL never
   * receives an element it does not know. Default: every section.
   */
  defaultSections?: readonly string[];
}

/**
 * A request as the operations see it: pino-http gave it its id, and `post` its response (node-soap hands an
 * operation the request only), for the headers of a refusal, Server-Timing and the request's notes.
 */
type SoapRequest = IncomingMessage & { id?: unknown; soapResponse?: ServerResponse };

export interface SoapFacade {
  /** Resolves when node-soap has parsed the WSDL and serves requests. */
  ready: Promise<void>;
  /** `POST /soap/CustomerView` on plain node objects: the XML guard, then node-soap. */
  post(req: IncomingMessage, res: ServerResponse): void;
}

interface SoapFault {
  Fault: {
    faultcode: string;
    faultstring: string;
    detail: { 'tns:GatewayFault': { 'tns:code': ErrorCode; 'tns:message': string } };
    statusCode: number;
  };
}

/** The challenge of a 401 on SOAP: HTTP Basic (a WS-Security UsernameToken works too; it has no HTTP scheme). */
export const SOAP_CHALLENGE = 'Basic realm="ucv-gateway"';

/** SOAP 1.1 answers a fault with 500; a refusal keeps its HTTP meaning (401 with a challenge, 429, 403). */
const fault = (code: ErrorCode, message: string, statusCode = 500): SoapFault => ({
  Fault: {
    faultcode: soapFaultCode(code),
    faultstring: message,
    // Qualified, as the WSDL declares tns:GatewayFault (node-soap's envelope binds the tns prefix).
    detail: { 'tns:GatewayFault': { 'tns:code': code, 'tns:message': message } },
    statusCode,
  },
});

/** The full selection set of a type, in schema order (the order of the WSDL's xsd:sequence). */
function selectionOf(type: GraphQLNamedType): string {
  if (!isObjectType(type)) return '';
  const fields = Object.values(type.getFields()).map((f) => {
    const named = getNamedType(f.type);
    return isObjectType(named) ? `${f.name} { ${selectionOf(named)} }` : f.name;
  });
  return fields.join(' ');
}

/**
 * Renders an answer as the elements of its response: objects in key order (which is the WSDL's xsd:sequence
 * order), arrays as repeated elements, absent values omitted. node-soap inserts it under the response element as
 * it is (`$xml`), in that element's default namespace: measured, node-soap's own objectToXML was ~15% of a SOAP
 * view's CPU. Only own properties are rendered: nothing inherited can reach the answer.
 */
export function renderElements(value: Record<string, unknown>): string {
  let out = '';
  for (const key in value) if (Object.hasOwn(value, key)) out = renderElement(out, key, value[key]);
  return out;
}

function renderElement(out: string, name: string, v: unknown): string {
  if (v === null || v === undefined) return out;
  if (Array.isArray(v)) {
    for (const item of v) out = renderElement(out, name, item);
    return out;
  }
  if (typeof v === 'object') return `${out}<${name}>${contentOf(v as Record<string, unknown>)}</${name}>`;
  return `${out}<${name}>${typeof v === 'string' ? escapeText(v) : String(v)}</${name}>`;
}

/**
 * Makes node-soap's server take the guard's reading of the envelope instead of parsing it a second time (measured:
 * node-soap's parse and sax were ~18% of a cached SOAP view's CPU). `wsdl.xmlToObject` is what its server reads a
 * request with; any other reading, or a request without a plain reading, goes to node-soap's own parser.
 */
function readOnce(wsdl: soap.WSDL, take: () => Record<string, unknown> | undefined): void {
  const parse = wsdl.xmlToObject.bind(wsdl);
  wsdl.xmlToObject = (xml: unknown, callback?: unknown) =>
    callback === undefined ? (take() ?? parse(xml)) : parse(xml, callback as never);
}

/** The XML of each object of a kept answer (answer-cache.ts `isKept`): a hit renders only what is new. */
const keptXml = new WeakMap<object, string>();

/**
 * The string made flat (one piece) in place: `+=` builds a rope of thousands of pieces, which V8 walks again every
 * time a rope holding it is written. Measured: a kept view's XML kept as a rope made a hit cost more than
 * rendering it anew (bench/soap-ab.ts, +120 µs of CPU per view). `Number()` flattens its argument in place.
 */
const flat = (text: string): string => (Number(text), text);

function contentOf(fields: Record<string, unknown>): string {
  const kept = isKept(fields);
  let out = kept ? keptXml.get(fields) : undefined;
  if (out !== undefined) return out;
  out = '';
  for (const key in fields) if (Object.hasOwn(fields, key)) out = renderElement(out, key, fields[key]);
  if (kept) keptXml.set(fields, flat(out));
  return out;
}

const asList = (value: unknown): unknown[] =>
  value === undefined || value === null || value === '' ? [] : Array.isArray(value) ? value : [value];

/**
 * Mounts the facade on the app (the WSDL, and POST for requests that come through Express) and returns its POST
 * listener, which the server also calls directly, without Express's router.
 */
export function mountSoapFacade(app: Express, options: SoapFacadeOptions): SoapFacade {
  const { schema, logger } = options;
  const customerType = schema.getType('Customer') as GraphQLNamedType;
  const allSections = sectionsOf(schema);
  const defaultSections = new Set(options.defaultSections ?? allSections);
  const fieldsOfCustomer = isObjectType(customerType) ? customerType.getFields() : {};
  const sourcesSelection = selectionOf(schema.getType('SourceStatus') as GraphQLNamedType);
  // One document (and its plan) per root and set of sections: at most 2 × 2^sections, built on first use.
  const documents = new Map<string, { document: DocumentNode }>();

  const documentFor = (root: 'customer' | 'customerByMsisdn', sections: readonly string[]) => {
    const key = `${root}:${sections.join(',')}`;
    let entry = documents.get(key);
    if (!entry) {
      const selections = sections.map((s) => {
        const named = getNamedType((fieldsOfCustomer[s] as { type: Parameters<typeof getNamedType>[0] }).type);
        return isObjectType(named) ? `${s} { ${selectionOf(named)} }` : s;
      });
      const [arg, type] = root === 'customer' ? ['id', 'ID!'] : ['msisdn', 'String!'];
      const document = parse(
        `query($key: ${type}) { view: ${root}(${arg}: $key) { id ${selections.join(' ')} sources { ${sourcesSelection} } } }`,
      );
      entry = { document };
      documents.set(key, entry);
    }
    return entry;
  };

  const sectionsFrom = (given: unknown): string[] => {
    const asked = asList(given).map(String);
    const unknown = asked.filter((s) => !allSections.includes(s));
    if (unknown.length > 0)
      throw fault(
        'BAD_USER_INPUT',
        `Unknown section(s) ${unknown.join(', ')}; sections are ${allSections.join(', ')}.`,
      );
    return allSections.filter(asked.length === 0 ? (s) => defaultSections.has(s) : (s) => asked.includes(s));
  };

  /** A refusal as a fault: its code, and its HTTP status and headers (401 with a challenge, 429…). */
  const refusalFault = (refusal: Refusal, res: ServerResponse | undefined): SoapFault => {
    if (res)
      for (const [name, value] of Object.entries(refusalHeaders(refusal, SOAP_CHALLENGE))) res.setHeader(name, value);
    return fault(refusal.code, refusal.error.message, refusal.status);
  };

  /**
   * One operation through the seam (pipeline/operation.ts), as /graphql runs its own: the executed result, or the
   * fault its refusal or request error makes. Unexpected errors arrive masked and already logged.
   */
  async function operate(
    req: SoapRequest | undefined,
    headers: Record<string, unknown> | undefined,
    document: DocumentNode,
    variables: Record<string, unknown>,
    implicitFields = false,
  ): Promise<ExecutionResult> {
    if (!req) throw fault('INTERNAL_SERVER_ERROR', 'Unexpected error.');
    const res = req.soapResponse;
    const outcome = await options.pipeline.run({
      facade: 'soap',
      requestId: String(req.id ?? 'soap'),
      caller: { req, res, soapHeader: headers },
      document,
      variables,
      implicitFields,
      ...(res ? { notes: notesOf(res) } : {}),
    });
    if (outcome.kind === 'refused') throw refusalFault(outcome, res);
    if (outcome.kind === 'invalid') {
      const error = outcome.errors[0];
      const code = (error?.extensions.code ?? 'BAD_REQUEST') as ErrorCode;
      throw fault(code, error?.message ?? ERROR_CATALOG[code].message, Math.max(ERROR_CATALOG[code].status, 400));
    }
    return outcome.result;
  }

  /** The view as a GraphQL operation, split into data, section errors and provenance. */
  async function view(
    req: SoapRequest | undefined,
    headers: Record<string, unknown> | undefined,
    root: 'customer' | 'customerByMsisdn',
    key: string,
    sections: readonly string[],
  ) {
    const { document } = documentFor(root, sections);
    // Every field of each section: what the caller's role may read of it (the rights plugin leaves out the rest).
    const result = await operate(req, headers, document, { key }, true);
    const errors = result.errors ?? [];
    const codeOf = (e: (typeof errors)[number]): ErrorCode => e.extensions.code as ErrorCode;
    const customer = (result.data?.view ?? null) as Record<string, unknown> | null;
    if (!customer) {
      const rootError = errors.find((e) => (e.path?.length ?? 0) <= 1) ?? errors[0];
      throw fault(rootError ? codeOf(rootError) : 'INTERNAL_SERVER_ERROR', rootError?.message ?? 'Unexpected error.');
    }
    const sectionErrors = new Map<string, object>();
    for (const e of errors) {
      const section = String(e.path?.[1] ?? '');
      if (!section || sectionErrors.has(section)) continue;
      sectionErrors.set(section, {
        section,
        code: codeOf(e),
        source: e.extensions.source,
        reason: e.extensions.reason,
        message: e.message,
      });
    }
    const { sources: provenance, ...data } = customer;
    return { customer: data, sourceStatus: provenance, sectionError: [...sectionErrors.values()] };
  }

  const recordDocument = parse(
    'mutation($input: ContactInput!, $key: String) { result: recordContact(input: $input, idempotencyKey: $key) { status contactId idempotencyKey acceptedAt } }',
  );

  /** RecordContact: the recordContact mutation through the same pipeline (identity, rights, audit…). */
  async function record(
    req: SoapRequest | undefined,
    headers: Record<string, unknown> | undefined,
    input: Record<string, unknown>,
    key: string | undefined,
  ): Promise<object> {
    const result = await operate(req, headers, recordDocument, { input, key: key ?? null });
    const answer = (result.data?.result ?? null) as Record<string, unknown> | null;
    if (answer)
      return {
        status: answer.status,
        ...(answer.contactId ? { contactId: answer.contactId } : {}),
        idempotencyKey: answer.idempotencyKey,
        acceptedAt: answer.acceptedAt,
      };
    const error = result.errors?.[0];
    throw fault(
      (error?.extensions.code ?? 'INTERNAL_SERVER_ERROR') as ErrorCode,
      error?.message ?? 'Unexpected error.',
    );
  }

  const requireId = (value: unknown): string => {
    if (typeof value !== 'string' || value.trim() === '') throw fault('BAD_USER_INPUT', 'customerId is required.');
    return value.trim();
  };

  /** Turns anything thrown into a SOAP fault: no stack trace, no message of an unexpected error leaves. */
  const guarded =
    <A>(
      operation: (
        args: A,
        req: SoapRequest | undefined,
        headers: Record<string, unknown> | undefined,
      ) => Promise<object>,
    ) =>
    async (
      args: A,
      _callback: unknown,
      headers: Record<string, unknown> | undefined,
      req?: SoapRequest,
    ): Promise<object> => {
      try {
        return { $xml: renderElements((await operation(args ?? ({} as A), req, headers)) as Record<string, unknown>) };
      } catch (err) {
        if ((err as SoapFault).Fault) {
          noteFault(req?.soapResponse, (err as SoapFault).Fault.detail['tns:GatewayFault']['tns:code']);
          throw err;
        }
        logger.error({ err }, 'SOAP operation failed');
        throw fault('INTERNAL_SERVER_ERROR', 'Unexpected error.');
      }
    };

  const text = (value: unknown): string | undefined =>
    typeof value === 'string' && value.trim() !== '' ? value.trim() : undefined;
  const recordContact = guarded(async (args: Record<string, unknown>, req, headers) => {
    const input: Record<string, unknown> = { customerId: requireId(args.customerId) };
    for (const name of ['channel', 'type', 'outcome', 'agentId', 'system', 'offerCode', 'response']) {
      const value = text(args[name]);
      if (value !== undefined) input[name] = value;
    }
    // node-soap reads an xsd:dateTime into a Date, an Invalid Date when it is none: the same instant goes on to the
    // DateTime scalar, and a value that is no date is refused here, as the scalar refuses it on GraphQL.
    const at = args.at;
    if (at instanceof Date) {
      if (Number.isNaN(at.getTime()))
        throw fault('BAD_USER_INPUT', 'at must be an xsd:dateTime with its offset, e.g. 2026-11-30T09:15:00+08:00.');
      input.at = at.toISOString();
    } else if (text(at) !== undefined) input.at = text(at);
    for (const name of ['channel', 'type', 'outcome'])
      if (input[name] === undefined) throw fault('BAD_USER_INPUT', `${name} is required.`);
    const header = req?.headers['idempotency-key'];
    return record(req, headers, input, text(args.idempotencyKey) ?? (typeof header === 'string' ? header : undefined));
  });

  const operations = {
    ...(hasRecordContact(schema) ? { RecordContact: recordContact } : {}),
    GetCustomerView: guarded(
      async (args: { customerId?: string; msisdn?: string; section?: unknown }, req, headers) => {
        const sections = sectionsFrom(args.section);
        const byId = typeof args.customerId === 'string' && args.customerId !== '';
        const byMsisdn = typeof args.msisdn === 'string' && args.msisdn !== '';
        if (byId === byMsisdn) throw fault('BAD_USER_INPUT', 'Give exactly one of customerId and msisdn.');
        if (byMsisdn && !normalizeMsisdn(args.msisdn as string)) throw fault('BAD_USER_INPUT', MSISDN_MESSAGE);
        return view(
          req,
          headers,
          byId ? 'customer' : 'customerByMsisdn',
          byId ? requireId(args.customerId) : (args.msisdn as string),
          sections,
        );
      },
    ),
    // GetBillingSummary and its like (wsdl.ts SECTION_OPERATIONS): one section, when the schema has it.
    ...Object.fromEntries(
      sectionOperations(schema).map(({ name, section }) => [
        name,
        guarded(async (args: { customerId?: string }, req, headers) => {
          const { customer, sourceStatus, sectionError } = await view(
            req,
            headers,
            'customer',
            requireId(args.customerId),
            [section],
          );
          const { id, [section]: value } = customer as { id: string } & Record<string, unknown>;
          return { customerId: id, ...(value ? { [section]: value } : {}), sourceStatus, sectionError };
        }),
      ]),
    ),
    GetSourceStatus: guarded(async (args: { customerId?: string; section?: unknown }, req, headers) => {
      const { customer, sourceStatus } = await view(
        req,
        headers,
        'customer',
        requireId(args.customerId),
        sectionsFrom(args.section),
      );
      return { customerId: (customer as { id: string }).id, sourceStatus };
    }),
  };

  // node-soap serves through an Express-shaped host: it calls `route(path).all(listener)` once it has parsed the
  // WSDL. This host keeps the listener, which works on plain node objects once the guard has read the body.
  let soapListener: ((req: IncomingMessage, res: ServerResponse) => void) | undefined;
  const host = {
    route: () => ({ all: (listener: typeof soapListener) => void (soapListener = listener) }),
    use: () => undefined,
  };
  // The view operations' arguments, as the WSDL declares them (wsdl.ts): read in the guard's pass when plain.
  const argumentsOf = (entries: Record<string, 'once' | 'repeated'>): PlainArguments =>
    new Map(Object.entries(entries));
  const plain = new Map<string, PlainArguments>([
    ['GetCustomerView', argumentsOf({ customerId: 'once', msisdn: 'once', section: 'repeated' })],
    ['GetSourceStatus', argumentsOf({ customerId: 'once', section: 'repeated' })],
    ...sectionOperations(schema).map(({ name }) => [name, argumentsOf({ customerId: 'once' })] as const),
  ]);
  const guard = xmlGuard({
    body: options.bodyLimits,
    maxDepth: 32,
    operations: new Set(Object.keys(operations)),
    plain,
  });
  // The plain reading of the request node-soap is about to read: its server reads the envelope (wsdl.xmlToObject)
  // synchronously inside its listener, so the slot is filled just before the call and emptied by the read or after.
  let reading: Record<string, unknown> | undefined;
  const post = (req: SoapRequest, res: ServerResponse): void => {
    req.soapResponse = res;
    personalAnswer(res, 'Authorization');
    guard(req, res, (envelope) => {
      if (!soapListener) return sendFault(res, 500, 'INTERNAL_SERVER_ERROR', 'The SOAP service is starting.');
      reading = envelope.reading;
      try {
        soapListener(req, res);
      } finally {
        reading = undefined;
      }
    });
  };

  const router = express.Router();
  app.use(router);
  const wsdlFor = new Map<string, string>();
  const notAllowed = (res: ServerResponse, allow: string): void => {
    res.setHeader('allow', allow);
    sendFault(res, 405, 'METHOD_NOT_ALLOWED', 'POST a SOAP envelope here; the WSDL is at ?wsdl.');
  };
  router.get(SOAP_PATH, (req, res) => {
    if (!Object.keys(req.query).some((k) => k.toLowerCase() === 'wsdl')) return notAllowed(res, 'POST');
    const location = `${options.publicUrl()}${SOAP_PATH}`;
    let wsdl = wsdlFor.get(location);
    if (!wsdl) wsdlFor.set(location, (wsdl = buildWsdl(schema, location)));
    res.type('text/xml; charset=utf-8').send(wsdl);
  });
  router.post(SOAP_PATH, post);
  router.all(SOAP_PATH, (_req, res) => notAllowed(res, 'GET, POST'));
  const ready = new Promise<void>((resolve, reject) => {
    const server = soap.listen(host as unknown as Express, {
      path: SOAP_PATH,
      services: { [SERVICE_NAME]: { [PORT_NAME]: operations } },
      xml: buildWsdl(schema, `http://localhost${SOAP_PATH}`),
      suppressStack: true,
      callback: (err: unknown) => {
        if (err) return reject(err);
        // `wsdl` is private in node-soap's types; test/soap-single-parse.test.ts fails if the server stops reading through it.
        readOnce((server as unknown as { wsdl: soap.WSDL }).wsdl, () => {
          const read = reading;
          reading = undefined;
          return read;
        });
        resolve();
      },
    });
  });
  return { ready, post };
}
