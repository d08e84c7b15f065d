/**
 * The SOAP transport of every SOAP adapter: a `soap` (node-soap) client generated from the service's own WSDL, its
 * HTTP over an undici connection pool with keep-alive instead of node-soap's default axios.
 *
 * Measured with `npx tsx bench/soap-transport.ts` against the billing mock (see the commit that introduced it): the
 * same client over axios with a keep-alive agent cost more CPU per call than over undici; node-soap's envelope
 * building and its sax parsing are unchanged (they read and write exactly as before).
 *
 * What a call guarantees, whatever the operation:
 * - the answer's body is counted while it is read and the read aborted past `maxResponseBytes`
 *   (ResponseTooLargeError, nothing parsed); the WSDL is read under the same cap;
 * - the call's signal aborts it (the source's deadline); the WSDL fetch has `timeoutMs`;
 * - no redirect is followed: a 3xx rejects with its status (node-soap would read its empty body as an empty answer);
 * - a SOAP Fault rejects with SoapFaultError (its `fault`: faultcode, faultstring, detail) for the adapter to read;
 *   an answer node-soap cannot read (truncated, not XML, an element its WSDL does not define) with BadResponseError
 *   `unreadable`; anything else (refused connection, HTTP 5xx without a Fault) with the error as it came;
 * - the request id goes out as `x-request-id`;
 * - the WSDL is fetched on the first call, not at start (the gateway starts while the service is down), and again
 *   on the next call after a failed fetch.
 */
import { Pool } from 'undici';
import * as soap from 'soap';
import { BadResponseError, readCapped, ResponseTooLargeError, type FetchContext } from './adapter';

export interface SoapClientOptions {
  /** The service's origin and path, e.g. `http://billing:8080/billing/AccountService`; the WSDL is `?wsdl` of it. */
  endpoint: string;
  /** Most bytes of any answer (the WSDL's too) read before the read is aborted: the source's `maxResponseBytes`. */
  maxResponseBytes: number;
  /** Deadline of the WSDL fetch, in milliseconds (a call has its own, through its signal). */
  timeoutMs: number;
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
  /** Closes its connections (the adapter's `close`, at shutdown or when a swap retires it). */
  close(): Promise<void>;
}

type AsyncMethod = (args: object, options: object, headers: object) => Promise<[unknown, ...unknown[]]>;

/** One function for the whole transport: a lazily built client whose calls keep the guarantees above. */
export function soapClient(options: SoapClientOptions): SoapClient {
  const transport = new UndiciHttpClient(options.endpoint, options.maxResponseBytes);
  let client: Promise<soap.Client> | undefined;
  const get = (): Promise<soap.Client> => {
    if (!client) {
      const pending = soap.createClientAsync(`${options.endpoint}?wsdl`, {
        endpoint: options.endpoint,
        httpClient: transport,
        wsdl_options: { timeout: options.timeoutMs },
        // node-soap otherwise keeps every WSDL per URL for the life of the process: a client made again (an adapter
        // swapped, a service redeployed behind the same URL) reads the WSDL the service has now.
        disableCache: true,
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
      if (typeof method !== 'function') throw new Error(`the WSDL of ${options.endpoint} has no operation ${operation}`);
      try {
        const [result] = await method(args, { signal: ctx.signal }, { 'x-request-id': ctx.requestId });
        return result;
      } catch (err) {
        throw callFailure(operation, err);
      }
    },
    close: () => transport.close(),
  };
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
  const e = err as { response?: { status?: number }; root?: { Envelope?: { Body?: { Fault?: SoapFaultError['fault'] } } } } | null;
  const fault = e?.root?.Envelope?.Body?.Fault;
  if (fault) return new SoapFaultError(operation, fault);
  const status = e?.response?.status;
  if (status !== undefined && status >= 200 && status < 300 && !e?.root) return new BadResponseError(`${operation} answered an unreadable envelope`, 'unreadable');
  return err;
}

interface ExOptions {
  signal?: AbortSignal;
  timeout?: number;
}

/**
 * node-soap's `IHttpClient` over one undici pool. node-soap calls `request(url, body, callback, headers, options)`
 * for the WSDL (GET, body null, options = `wsdl_options`) and for every call (POST, its headers: Content-Type,
 * SOAPAction and ours, options = what the caller passed: the signal); the callback wants a response with `status`,
 * `headers` and `data`, the body as text, for every status (a Fault comes with 500). Extending node-soap's own
 * HttpClient keeps its `handleResponse` (the envelope cut out of what surrounds it) as it was under axios.
 */
class UndiciHttpClient extends soap.HttpClient {
  private readonly pool: Pool;
  private readonly origin: string;

  constructor(
    endpoint: string,
    private readonly maxBytes: number,
  ) {
    super({});
    this.origin = new URL(endpoint).origin;
    this.pool = new Pool(this.origin, { connections: 256, keepAliveTimeout: 30_000, pipelining: 1 });
  }

  close(): Promise<void> {
    return this.pool.destroy();
  }

  override request(rurl: string, data: unknown, callback: (err: unknown, res?: unknown, body?: unknown) => unknown, exheaders?: Record<string, unknown>, exoptions?: ExOptions): never {
    const done = this.send(rurl, typeof data === 'string' ? data : null, exheaders, exoptions).then(
      (res) => callback(null, res, res.data),
      (err: unknown) => callback(err),
    );
    return done as never; // node-soap ignores what request returns (axios's promise, there)
  }

  private async send(rurl: string, body: string | null, exheaders: Record<string, unknown> | undefined, exoptions: ExOptions | undefined): Promise<{ status: number; headers: object; data: string }> {
    // One pool, one origin: a WSDL that imports from elsewhere is refused rather than fetched from an unchecked host.
    if (!rurl.startsWith(this.origin)) throw new Error(`SOAP transport for ${this.origin} asked for another origin`);
    const path = rurl.slice(this.origin.length) || '/';
    const signal = exoptions?.signal ?? (exoptions?.timeout ? AbortSignal.timeout(exoptions.timeout) : undefined);
    const response = await this.pool.request({
      path,
      method: body === null ? 'GET' : 'POST',
      headers: exheaders as Record<string, string> | undefined,
      body,
      signal,
    });
    if (response.statusCode >= 300 && response.statusCode < 400) {
      await response.body.dump();
      throw Object.assign(new Error(`${path} answered HTTP ${response.statusCode}; redirects are not followed`), { code: 'EHTTPSTATUS', status: response.statusCode });
    }
    if (Number(response.headers['content-length']) > this.maxBytes) {
      response.body.destroy(); // closes the connection: the body is never read
      throw new ResponseTooLargeError(path, this.maxBytes);
    }
    const text = await readCapped(response.body, this.maxBytes, path);
    const res = { status: response.statusCode, headers: response.headers, data: text };
    res.data = this.handleResponse(null as never, res as never, text) as string;
    return res;
  }
}
