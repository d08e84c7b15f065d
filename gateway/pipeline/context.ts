/**
 * What every plugin of the pipeline sees: the envelop context of one GraphQL operation, made by a facade (GraphQL
 * over HTTP or SOAP) before the operation enters the pipeline, and extended by the plugins as it goes.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { RequestContext } from '../view/request-context';

/** Who is calling: set by the identity plugin before anything else runs. */
export interface Consumer {
  /** Stable id: the configured consumer's id, or the JWT's `sub`. */
  id: string;
  name: string;
  /** A role of `security.roles`. */
  role: string;
  /** How the consumer proved who it is ("anonymous": no credentials, `security.anonymous` is on). */
  via: 'api-key' | 'jwt' | 'basic' | 'ws-security' | 'anonymous';
}

export interface GatewayContext {
  facade: 'graphql' | 'soap';
  requestId: string;
  /** Per-request loads, provenance and the Customer fields the (trimmed) operation selects. */
  ucv: RequestContext;
  /** The HTTP request: its headers carry the credentials. */
  req: IncomingMessage;
  /** The HTTP response, for the headers plugins add (Server-Timing). */
  res?: ServerResponse;
  /** SOAP only: the envelope's Header as node-soap parsed it (WS-Security lives there). */
  soapHeader?: Record<string, unknown>;
  /** Set by the identity plugin. */
  consumer?: Consumer;
  /** Set by the limits plugin: the backend calls the operation's plan would make. */
  cost?: number;
  /**
   * Set by the answer cache (answer-cache.ts) on a hit: the answer was kept after the rights and mask plugins ran
   * for this same role, so they leave it as it is.
   */
  answeredFromCache?: boolean;
  /** Set by the rights plugin: schema coordinates (`Type.field`) the consumer's role may not read. */
  denied?: readonly string[];
}
