/**
 * A graceful drain of an HTTP server: what `Gateway.close()` does on SIGTERM.
 *
 *   1. `draining` turns true: `/readyz` answers 503 so a load balancer stops sending, and every answer from now on,
 *      including those of requests already in flight, carries `Connection: close`, so a keep-alive client moves to
 *      another connection (another instance, behind a balancer) after its answer instead of having it cut.
 *   2. After `delayMs` (default 0: time for a balancer's health check to notice), the listener closes: new
 *      connections are refused, which a client or balancer may safely retry elsewhere since nothing was sent.
 *   3. A kept-alive connection with no request in flight is closed only once it has been idle for `idleMs`. Closing
 *      it at once (what Node's `server.close()` does) races with a client that is just sending its next request on
 *      it: that request is reset with no answer. A client under steady load sends within a few milliseconds, gets its
 *      answer with `Connection: close`, and the connection ends cleanly.
 *   4. Requests in flight get until `graceMs` to finish; whatever is left then is cut, so a stuck client cannot hold
 *      the shutdown forever.
 */
import type http from 'node:http';
import net from 'node:net';

export interface DrainOptions {
  /** Longest wait for requests in flight to finish, in milliseconds, counted from the start of the drain. */
  graceMs: number;
  /** How long the listener stays open after the drain starts (readyz 503, answers with Connection: close), in ms. */
  delayMs?: number;
  /** An idle kept-alive connection is closed once it has been idle this long during the drain, in ms. Default 250. */
  idleMs?: number;
}

export interface Drain {
  /** True from the start of the drain: `/readyz` reports it. */
  readonly draining: boolean;
  /** Called first for every request: counts it in flight and, once draining, asks the client to close. */
  track(req: http.IncomingMessage, res: http.ServerResponse): void;
  /** Runs the drain once; later calls return the same promise. Resolves when every connection is closed. */
  drain(options: DrainOptions): Promise<void>;
}

interface Connection {
  active: number;
  idleSince: number;
}

const SWEEP_MS = 25;

export function createDrain(server: http.Server): Drain {
  const connections = new Map<net.Socket, Connection>();
  const inFlight = new Set<http.ServerResponse>();
  let draining = false;
  let done: Promise<void> | undefined;

  server.on('connection', (socket: net.Socket) => {
    connections.set(socket, { active: 0, idleSince: performance.now() });
    socket.once('close', () => connections.delete(socket));
  });

  const askToClose = (res: http.ServerResponse): void => {
    // Node ends the connection after an answer that says `Connection: close`.
    if (!res.headersSent) res.setHeader('connection', 'close');
  };

  return {
    get draining() {
      return draining;
    },
    track(req, res) {
      const connection = connections.get(req.socket);
      if (connection) connection.active++;
      inFlight.add(res);
      if (draining) askToClose(res);
      res.once('close', () => {
        inFlight.delete(res);
        if (connection) {
          connection.active--;
          connection.idleSince = performance.now();
        }
      });
    },
    drain({ graceMs, delayMs = 0, idleMs = 250 }) {
      done ??= new Promise<void>((resolve) => {
        draining = true;
        inFlight.forEach(askToClose);
        const started = performance.now();
        let listening = true;
        const sweep = setInterval(() => {
          const now = performance.now();
          if (listening && now - started >= delayMs) {
            listening = false;
            // net.Server's close, not http.Server's: the latter also closes idle kept-alive connections at once,
            // which is the race described in step 3. Its callback runs once the last connection has closed.
            net.Server.prototype.close.call(server, () => {
              clearInterval(sweep);
              resolve();
            });
          }
          for (const [socket, connection] of connections) {
            if (connection.active === 0 && now - connection.idleSince >= idleMs) socket.destroy();
          }
          if (now - started >= graceMs) {
            server.closeAllConnections();
            for (const socket of connections.keys()) socket.destroy();
          }
        }, SWEEP_MS);
      });
      return done;
    },
  };
}
