/**
 * What every SOAP backend shares, the TypeScript billing adapter and declarative `type: 'soap'` adapters alike: the
 * transport node-soap sends through (one function, `soapTransport`, so it can be swapped for both at once), the
 * client built once from the WSDL on first use, and the reading of a failed call (SOAP Fault, too large, unreadable).
 */
import http from 'node:http';
import https from 'node:https';
import type { LookupFunction } from 'node:net';
import axios, { type AxiosInstance } from 'axios';
import * as soap from 'soap';
import { BadResponseError, ResponseTooLargeError } from './adapter';

export interface SoapTransportOptions {
  /** Most bytes of any answer (the WSDL's too, unless its fetch says otherwise). */
  maxResponseBytes: number;
  /**
   * For backends the gateway does not trust (registered at run time): a DNS lookup that refuses addresses, and a
   * check of every URL before it is requested (scheme, literal addresses, which skip the lookup). Without it the
   * transport is a configured backend's: any http(s) URL, the environment's proxy settings ignored either way.
   */
  guard?: { lookup: LookupFunction; checkUrl(url: string): string | null };
}

/**
 * The HTTP transport node-soap sends through (its `request` option): keep-alive, no redirects, every answer capped
 * while it is read (axios aborts past `maxContentLength`, see soapFailure).
 */
export function soapTransport({ maxResponseBytes, guard }: SoapTransportOptions): AxiosInstance {
  const agent = { keepAlive: true, maxSockets: 256, ...(guard ? { lookup: guard.lookup } : {}) };
  const transport = axios.create({ httpAgent: new http.Agent(agent), httpsAgent: new https.Agent(agent), maxRedirects: 0, maxContentLength: maxResponseBytes, proxy: false });
  if (guard) {
    transport.interceptors.request.use((config) => {
      const refused = guard.checkUrl(axios.getUri(config));
      if (refused) throw Object.assign(new Error(`refused: ${refused}`), { code: 'EADDRREFUSED' });
      return config;
    });
  }
  return transport;
}

/** A node-soap client built on first use, not at start (the gateway starts while the backend is down), again after a failure. */
export interface LazySoapClient {
  get(): Promise<soap.Client>;
}

export function lazySoapClient(wsdlUrl: string, options: soap.IOptions): LazySoapClient {
  let client: Promise<soap.Client> | undefined;
  return {
    get() {
      if (!client) {
        const pending = soap.createClientAsync(wsdlUrl, options);
        pending.catch(() => {
          if (client === pending) client = undefined; // try the WSDL again on the next call
        });
        client = pending;
      }
      return client;
    },
  };
}

/** The SOAP Fault a failed call carries (faultcode, faultstring, detail), or undefined. */
export function soapFault(err: unknown): Record<string, unknown> | undefined {
  const fault = (err as { root?: { Envelope?: { Body?: { Fault?: unknown } } } } | null)?.root?.Envelope?.Body?.Fault;
  return fault && typeof fault === 'object' ? (fault as Record<string, unknown>) : undefined;
}

/**
 * What a failed SOAP call means. axios counts the body while reading it and aborts past `maxContentLength`
 * (lib/adapters/http.js: "maxContentLength size of … exceeded"): the answer is too large. An error that carries a
 * 2xx response and no SOAP Fault is node-soap failing to read the envelope (truncated, not XML, wrong elements): the
 * answer is bad, not the backend down. Anything else: undefined (the error as it is).
 */
export function soapFailure(err: unknown, operation: string, maxBytes: number): Error | undefined {
  const e = err as { message?: unknown; response?: { status?: number }; root?: unknown } | null;
  if (typeof e?.message === 'string' && e.message.startsWith('maxContentLength size of')) return new ResponseTooLargeError(operation, maxBytes);
  const status = e?.response?.status;
  if (status !== undefined && status >= 200 && status < 300 && !e?.root) return new BadResponseError(`${operation} answered an unreadable envelope`, 'unreadable');
  return undefined;
}

/** node-soap reads xsd:date(Time) as Date: as plain JSON (ISO 8601 strings), for a shape check, a mapping and the cache. */
export function plainJson(value: unknown): unknown {
  if (value instanceof Date) return Number.isNaN(value.getTime()) ? null : value.toISOString();
  if (Array.isArray(value)) return value.map(plainJson);
  if (value && typeof value === 'object') return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, plainJson(v)]));
  return value;
}
