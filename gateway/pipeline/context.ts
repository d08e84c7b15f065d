/**
 * What every plugin of the pipeline sees: the envelop context of one GraphQL operation, made by the seam
 * (operation.ts) before the operation enters the pipeline, and extended by the plugins as it goes. What one plugin
 * tells a later one, or tells the facade, is a typed field here: a reader finds who writes a value and who reads it.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { DocumentNode } from 'graphql';
import type { RequestContext } from '../view';
import type { KeptJson } from './answer-cache';

/** Who is calling: set by the identity plugin before anything else runs. */
export interface Consumer {
  /** Stable id: the configured consumer's id, or the JWT's `sub`. */
  id: string;
  name: string;
  /** A role of `security.roles`. */
  role: string;
  /**
   * How the consumer proved who it is ("anonymous": no credentials, `security.anonymous` is on; "internal": a
   * consumer in this process, such as the business rules).
   */
  via: 'api-key' | 'jwt' | 'basic' | 'ws-security' | 'anonymous' | 'internal';
}

/** Which consumer of the view runs the operation: a network facade, or code in this process (rules, campaigns). */
export type Facade = 'graphql' | 'soap' | 'internal';

/** What the operation reports about itself on the request's log line (never a credential or a value of the answer). */
export interface OperationLog {
  operationName?: string;
  consumer?: string;
  role?: string;
  customers?: string[];
  sources?: Record<string, string>;
  errorCodes?: string[];
}

/**
 * What the HTTP layer reads back about a request once it is answered, for its log line: kept on the response
 * (inbound/http/notes.ts), written by the pipeline (observe) and the SOAP facade.
 */
export interface RequestNotes {
  /** The operation the request ran. */
  operation?: OperationLog;
  /** A SOAP fault of the client's doing: answered with HTTP 500 as SOAP 1.1 wants, but not a server error. */
  clientFault?: boolean;
}

export interface GatewayContext {
  facade: Facade;
  requestId: string;
  /** Per-request loads, provenance and the Customer fields the (trimmed) operation selects. */
  ucv: RequestContext;
  /** The HTTP request, whose headers carry the credentials; absent for an in-process consumer. */
  req?: IncomingMessage;
  /** The HTTP response, for the headers plugins add (Server-Timing). */
  res?: ServerResponse;
  /** SOAP only: the envelope's Header as node-soap parsed it (WS-Security lives there). */
  soapHeader?: Record<string, unknown>;
  /** The request's notes for its log line (observe writes the operation's summary). */
  notes?: RequestNotes;
  /** Set by the identity plugin; given by the seam for an in-process consumer. */
  consumer?: Consumer;
  /** Set by the limits plugin: the backend calls the operation's plan would make. */
  cost?: number;
  /**
   * Given by the seam: the facade chose the fields (SOAP returns every field of a section), not the client, so the
   * rights plugin leaves out a denied field inside a section silently instead of answering it FORBIDDEN.
   */
  implicitFields?: boolean;
  /** Set by the rights plugin: schema coordinates (`Type.field`) the operation asks for that the role may not read. */
  denied?: readonly string[];
  /**
   * Set by the rights plugin when it trimmed the document: the one the client sent. The mask plugin and the answer
   * cache work on it, so a role's masks and a kept answer's key do not depend on what was trimmed.
   */
  clientDocument?: DocumentNode;
  /**
   * Set by the answer cache (answer-cache.ts) on a hit: the answer was kept after the rights and mask plugins ran
   * for this same role, so they leave it as it is.
   */
  answeredFromCache?: boolean;
  /** Set by the answer cache on a hit: the kept answer's JSON in fragments, for the facade to write as it is. */
  keptJson?: KeptJson;
  /**
   * Set by the answer cache's lookup on a miss, read by its keep step after masking: the entry's key, and whether
   * execution gave data and no error (only such answers are kept).
   */
  answerCacheMiss?: { key: string; clean: boolean };
}
