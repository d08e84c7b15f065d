/**
 * What every mock system shares: an express app with fault injection and the control endpoint, listening on
 * its own port, that can be stopped (connections refused) and started again on the same port.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express, { type Express } from 'express';
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
): Promise<MockServer> {
  const app = express();
  app.disable('x-powered-by');
  const faults = createFaultInjector(faultOptions);
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
