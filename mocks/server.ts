/**
 * What every mock system shares: an express app with fault injection and the control endpoint, listening on
 * its own port, that can be stopped (connections refused) and started again on the same port.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express, type Response, type Router } from 'express';
import { LRUCache } from 'lru-cache';
import { createFaultInjector, type FaultInjector, type FaultOptions } from './faults';

export interface MockServer {
  readonly name: string;
  /** Base URL, e.g. http://127.0.0.1:4101 */
  readonly url: string;
  readonly port: number;
  readonly faults: FaultInjector;
  /** Stop listening: new connections are refused until `start()`. */
  stop(): Promise<void>;
  start(): Promise<void>;
  close(): Promise<void>;
}

export interface MockOptions {
  /** 0 picks a free port. */
  port?: number;
  host?: string;
}

export async function startMock(
  name: string,
  options: MockOptions,
  mount: (app: Express, server: http.Server) => void,
  faultOptions: FaultOptions = {},
  /** Control routes of this system's own (e.g. the channel gateway's simulated replies), under `/__control`. */
  control?: Router,
): Promise<MockServer> {
  const app = express();
  app.disable('x-powered-by');
  // No ETag: express would hash every body (SHA-1) for conditional GETs that no caller of a mock makes.
  app.disable('etag');
  const faults = createFaultInjector(faultOptions);
  // Before the fault middleware, like the faults' own control: a control request is never delayed, failed or counted.
  if (control) app.use('/__control', control);
  app.use('/__control', faults.control);
  app.use(faults.middleware);
  const server = http.createServer(app);
  server.keepAliveTimeout = 30_000;
  mount(app, server);
  const host = options.host ?? '127.0.0.1';

  const listen = (port: number): Promise<number> =>
    new Promise((resolve, reject) => {
      server.once('error', reject);
      server.listen(port, host, () => {
        server.off('error', reject);
        resolve((server.address() as AddressInfo).port);
      });
    });
  const stopListening = (): Promise<void> =>
    new Promise((resolve) => {
      if (!server.listening) return resolve();
      server.close(() => resolve());
      server.closeAllConnections();
    });

  const port = await listen(options.port ?? 0);
  return {
    name,
    url: `http://${host}:${port}`,
    port,
    faults,
    stop: stopListening,
    start: async () => {
      if (!server.listening) await listen(port);
    },
    close: stopListening,
  };
}

/**
 * A record of the data set, serialized once per customer and kept for the next caller: the data set is a pure
 * function of the id, so the bytes never change, and a benchmark asking for the same customers again (a hot set)
 * measures the gateway, not the mock's generation and JSON.stringify. Bounded: the `max` most recent customers.
 * Returns null when the system does not know the customer (not kept: cheap to find again).
 */
export function serializedRecords(record: (id: string) => object | null, max = 10_000): (id: string) => string | null {
  const kept = new LRUCache<string, string>({ max });
  return (id) => {
    const hit = kept.get(id);
    if (hit !== undefined) return hit;
    const value = record(id);
    if (value === null) return null;
    const json = JSON.stringify(value);
    kept.set(id, json);
    return json;
  };
}

/** Sends serialized JSON with the headers `res.json()` would set (`application/json; charset=utf-8`). */
export function sendJson(res: Response, json: string): void {
  res.type('json').send(json);
}
