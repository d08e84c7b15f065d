/**
 * The SOAP transport of every SOAP adapter: a `soap` (node-soap) client generated from the service's own WSDL, its
 * HTTP over an undici connection pool with keep-alive instead of node-soap's default axios.
 *
 * Measured with `npx tsx bench/soap-transport.ts` against the billing mock: the
 * same client over axios with a keep-alive agent cost more CPU per call than over undici; node-soap's envelope
 * building and its sax parsing are unchanged (they read and write exactly as before).
 *
 * What a call guarantees, whatever the operation:
 * - the answer's body is counted while it is read and the read aborted past `maxResponseBytes`
 *   (ResponseTooLargeError, nothing parsed); the WSDL is read under the same cap;
 * - the call's signal aborts it (the source's deadline); reading the WSDL, with every document it imports, has
 *   `timeoutMs` in all (one deadline for the whole reading, not one per document), and a guarded (untrusted) one reads
 *   at most `guard.maxDocuments` distinct documents: what the backend serves node-soap may differ from what was
 *   checked at validate, so the caps hold where node-soap reads;
 * - no redirect is followed: a 3xx rejects with its status (node-soap would read its empty body as an empty answer);
 * - a SOAP Fault rejects with SoapFaultError (its `fault`: faultcode, faultstring, detail) for the adapter to read;
 *   an answer node-soap cannot read (truncated, not XML, an element its WSDL does not define) with BadResponseError
 *   `unreadable`; anything else (refused connection, HTTP 5xx without a Fault) with the error as it came;
 * - the request id goes out as `x-request-id`;
 * - the WSDL is fetched on the first call, not at start (the gateway starts while the service is down), and again
 *   on the next call after a failed fetch.
 */
import type { LookupFunction } from 'node:net';
import { Pool } from 'undici';
import * as soap from 'soap';
import { BadResponseError, readCapped, ResponseTooLargeError, type FetchContext } from './adapter';
import { readRepliesFaster } from './soap-reply';

export interface SoapClientOptions {
  /**
   * The service's origin and path, e.g. `http://billing:8080/billing/AccountService`; the WSDL is `?wsdl` of it unless
   * `wsdlUrl` says otherwise. Without it, the calls go where the WSDL's soap:address says.
   */
  endpoint?: string;
  /** The WSDL's URL, when it is not `<endpoint>?wsdl`. */
  wsdlUrl?: string;
  /** Most bytes of any answer read before the read is aborted: the source's `maxResponseBytes`. */
  maxResponseBytes: number;
  /** Most bytes of the WSDL and of each document it imports (default: maxResponseBytes). */
  maxWsdlBytes?: number;
  /** Deadline of the WSDL fetch, in milliseconds (a call has its own, through its signal). */
  timeoutMs: number;
  /**
   * For a backend the gateway does not trust (registered at run time): every URL checked before it is requested
   * (WSDL, imports, calls, whatever soap:address a later WSDL names), every connection's addresses checked by
   * `lookup` (DNS rebinding), and every import location by `importLocation` (node-soap reads a location that is not
   * http(s) from disk). Without it, only the endpoint's and the WSDL's origins are ever requested.
   */
  guard?: SoapGuard;
}

export interface SoapGuard {
  lookup: LookupFunction;
  /** Why a URL may not be requested, or null. */
  checkUrl(url: string): string | null;
  /** node-soap's `overrideImportLocation`: the location to read, or a throw that refuses it. */
  importLocation(location: string): string;
  /** Most distinct documents (the WSDL and its imports) one reading of the WSDL may fetch. */
  maxDocuments: number;
}

/** A SOAP Fault answered by the service; `fault` is the Fault element as node-soap read it. */
export class SoapFaultError extends Error {
  readonly code = 'ESOAPFAULT';
  constructor(
    readonly operation: string,
    readonly fault: { faultcode?: unknown; faultstring?: unknown; detail?: unknown },
  ) {
    super(`${operation} answered a SOAP Fault`);
    this.name = 'SoapFaultError';
  }
}

export interface SoapClient {
  /** Calls one operation of the WSDL with its arguments; resolves with the operation's output element. */
  call(operation: string, args: object, ctx: FetchContext): Promise<unknown>;
  /** The WSDL's services, ports and operations with their input elements, as node-soap reads them. */
  describe(): Promise<Record<string, Record<string, Record<string, { input?: unknown }>>>>;
  /** Closes its connections (the adapter's `close`, at shutdown or when a swap retires it). */
  close(): Promise<void>;
}

type AsyncMethod = (args: object, options: object, headers: object) => Promise<[unknown, ...unknown[]]>;

/** One function for the whole transport: a lazily built client whose calls keep the guarantees above. */
export function soapClient(options: SoapClientOptions): SoapClient {
  const { endpoint, guard } = options;
  const wsdlUrl = options.wsdlUrl ?? `${endpoint ?? ''}?wsdl`;
  const transport = new UndiciHttpClient(options.maxResponseBytes, guard ?? [wsdlUrl, ...(endpoint ? [endpoint] : [])]);
  let client: Promise<soap.Client> | undefined;
  const get = (): Promise<soap.Client> => {
    if (!client) {
      const pending = soap
        .createClientAsync(wsdlUrl, {
          ...(endpoint ? { endpoint } : {}),
          httpClient: transport,
          // Read by our transport for the WSDL and every import (node-soap passes them as the request's options): one
          // deadline for the whole reading, and for an untrusted backend the count of the documents it pulls in.
          wsdl_options: {
            signal: AbortSignal.timeout(options.timeoutMs),
            maxBytes: options.maxWsdlBytes ?? options.maxResponseBytes,
            ...(guard ? { overrideImportLocation: countedImports(guard, wsdlUrl) } : {}),
          },
          // node-soap otherwise keeps every WSDL per URL for the life of the process: a client made again (an adapter
          // swapped, a service redeployed behind the same URL) reads the WSDL the service has now.
          disableCache: true,
        })
        .then((made) => {
          // Replies read over saxes, node-soap's reading unchanged (soap-reply.ts).
          readRepliesFaster(made.wsdl as never);
          return made;
        });
      pending.catch(() => {
        if (client === pending) client = undefined; // fetch the WSDL again on the next call
      });
      client = pending;
    }
    return client;
  };
  return {
    async call(operation, args, ctx) {
      const method = (await untilAborted(get(), ctx.signal))[`${operation}Async`] as AsyncMethod | undefined;
      // The service now serves a WSDL without the operation (a registered adapter's was checked when it was put).
      if (typeof method !== 'function')
        throw new BadResponseError(`the WSDL ${wsdlUrl} has no operation ${operation}`, 'wrong_shape');
      try {
        const [result] = await method(args, { signal: ctx.signal }, { 'x-request-id': ctx.requestId, ...ctx.trace });
        return result;
      } catch (err) {
        throw callFailure(operation, err);
      }
    },
    describe: async () => (await get()).describe() as Awaited<ReturnType<SoapClient['describe']>>,
    close: () => transport.close(),
  };
}

/**
 * The guard's import check for one reading of the WSDL, refusing the document past `maxDocuments` distinct ones (the
 * WSDL itself counts): node-soap follows every import it is served, without a limit of its own.
 */
function countedImports(guard: SoapGuard, wsdlUrl: string): (location: string) => string {
  const seen = new Set<string>([wsdlUrl]);
  return (location) => {
    const checked = guard.importLocation(location);
    seen.add(checked);
    if (seen.size > guard.maxDocuments)
      throw new Error(`the WSDL ${wsdlUrl} pulls in more than ${guard.maxDocuments} documents`);
    return checked;
  };
}

/** node-soap reads xsd:date(Time) as Date: as plain JSON (ISO 8601 strings), for a shape check, a mapping and the cache. */
export function plainJson(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Array.isArray(value)) return value.map(plainJson);
  if (value && typeof value === 'object')
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainJson(v)]));
  return value;
}

/** The promise, or the signal's reason once it aborts: a call waiting for the WSDL keeps its own deadline. */
function untilAborted<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) return Promise.reject(signal.reason as Error);
  return new Promise<T>((resolve, reject) => {
    const onAbort = (): void => reject(signal.reason as Error);
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(resolve, reject).finally(() => signal.removeEventListener('abort', onAbort));
  });
}

/**
 * What a failed call means. node-soap puts the parsed envelope of a Fault in `err.root`; an error that carries a 2xx
 * response and no envelope is node-soap failing to read the answer: bad, not the backend down.
 */
function callFailure(operation: string, err: unknown): unknown {
  if (err instanceof BadResponseError) return err;
  const e = err as {
    response?: { status?: number };
    root?: { Envelope?: { Body?: { Fault?: SoapFaultError['fault'] } } };
  } | null;
  const fault = e?.root?.Envelope?.Body?.Fault;
  if (fault) return new SoapFaultError(operation, fault);
  const status = e?.response?.status;
  if (status !== undefined && status >= 200 && status < 300 && !e?.root)
    return new BadResponseError(`${operation} answered an unreadable envelope`, 'unreadable');
  return err;
}

interface ExOptions {
  signal?: AbortSignal;
  timeout?: number;
  /** The WSDL's own cap (wsdl_options.maxBytes). */
  maxBytes?: number;
}

/**
 * node-soap's `IHttpClient` over one undici pool. node-soap calls `request(url, body, callback, headers, options)`
 * for the WSDL (GET, body null, options = `wsdl_options`) and for every call (POST, its headers: Content-Type,
 * SOAPAction and ours, options = what the caller passed: the signal); the callback wants a response with `status`,
 * `headers` and `data`, the body as text, for every status (a Fault comes with 500). Extending node-soap's own
 * HttpClient keeps its `handleResponse` (the envelope cut out of what surrounds it) as it was under axios.
 */
class UndiciHttpClient extends soap.HttpClient {
  /** One keep-alive pool per origin, made on first use. */
  private readonly pools = new Map<string, Pool>();
  private readonly origins: ReadonlySet<string> | null;
  private readonly guard: SoapGuard | null;

  constructor(
    private readonly maxBytes: number,
    /** The only URLs' origins requested (a configured backend), or the guard of an untrusted one. */
    allowed: SoapGuard | readonly string[],
  ) {
    super({});
    this.guard = Array.isArray(allowed) ? null : (allowed as SoapGuard);
    this.origins = Array.isArray(allowed) ? new Set(allowed.map((url) => new URL(url).origin)) : null;
  }

  async close(): Promise<void> {
    await Promise.all([...this.pools.values()].map((pool) => pool.destroy()));
    this.pools.clear();
  }

  override request(
    rurl: string,
    data: unknown,
    callback: (err: unknown, res?: unknown, body?: unknown) => unknown,
    exheaders?: Record<string, unknown>,
    exoptions?: ExOptions,
  ): never {
    const done = this.send(rurl, typeof data === 'string' ? data : null, exheaders, exoptions).then(
      (res) => callback(null, res, res.data),
      (err: unknown) => callback(err),
    );
    return done as never; // node-soap ignores what request returns (axios's promise, there)
  }

  /** The pool of the URL's origin, and the path to request on it (the URL parsed once per call). */
  private poolFor(rurl: string): { pool: Pool; path: string } {
    const { origin, pathname, search } = new URL(rurl);
    // A configured backend's WSDL that imports from elsewhere is refused rather than fetched from an unchecked host;
    // an untrusted one's URLs each pass the allow-list.
    const refused = this.guard
      ? this.guard.checkUrl(rurl)
      : this.origins?.has(origin)
        ? null
        : `${origin} is not the service's origin`;
    if (refused) throw Object.assign(new Error(`SOAP transport refused ${rurl}: ${refused}`), { code: 'EADDRREFUSED' });
    let pool = this.pools.get(origin);
    if (!pool) {
      pool = new Pool(origin, {
        connections: 256,
        keepAliveTimeout: 30_000,
        pipelining: 1,
        ...(this.guard ? { connect: { lookup: this.guard.lookup } as never } : {}),
      });
      this.pools.set(origin, pool);
    }
    return { pool, path: `${pathname}${search}` };
  }

  private async send(
    rurl: string,
    body: string | null,
    exheaders: Record<string, unknown> | undefined,
    exoptions: ExOptions | undefined,
  ): Promise<{ status: number; headers: object; data: string }> {
    const { pool, path } = this.poolFor(rurl);
    const maxBytes = exoptions?.maxBytes ?? this.maxBytes;
    const signal = exoptions?.signal ?? (exoptions?.timeout ? AbortSignal.timeout(exoptions.timeout) : undefined);
    const response = await pool.request({
      path,
      method: body === null ? 'GET' : 'POST',
      headers: exheaders as Record<string, string> | undefined,
      body,
      signal,
    });
    if (response.statusCode >= 300 && response.statusCode < 400) {
      await response.body.dump();
      throw Object.assign(new Error(`${path} answered HTTP ${response.statusCode}; redirects are not followed`), {
        code: 'EHTTPSTATUS',
        status: response.statusCode,
      });
    }
    if (Number(response.headers['content-length']) > maxBytes) {
      response.body.destroy(); // closes the connection: the body is never read
      throw new ResponseTooLargeError(path, maxBytes);
    }
    const text = await readCapped(response.body, maxBytes, path);
    const res = { status: response.statusCode, headers: response.headers, data: text };
    res.data = this.handleResponse(null as never, res as never, text) as string;
    return res;
  }
}
