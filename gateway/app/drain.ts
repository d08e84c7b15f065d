/**
 * A graceful drain of an HTTP server: what `Gateway.close()` does on SIGTERM.
 *
 *   1. `draining` turns true: `/readyz` answers 503 so a load balancer stops sending, and every answer from now on,
 *      including those of requests already in flight, carries `Connection: close`, so a keep-alive client moves to
 *      another connection (another instance, behind a balancer) after its answer instead of having it cut.
 *   2. After `delayMs` (default 0: at once; else time for a balancer's health check to notice), the listener
 *      closes: new connections are refused, which a client or balancer may safely retry elsewhere since nothing was
 *      sent. With no delay it closes before the first `Connection: close`, so clients that reconnect are refused
 *      rather than queued in the kernel, whose queue is reset when the listener closes.
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

/** What a drain did, for the log and the chaos suite. */
export interface DrainStats {
  /** Requests answered in full after the drain began (those in flight then, and any accepted since). */
  answered: number;
  /** Requests the gateway had accepted and did not answer: cut at the grace period, or the client left. */
  unanswered: number;
  /** Kept-alive connections closed while idle (step 3): a request sent on one just then would be reset. */
  idleClosed: number;
  /** From the start of the drain to the last connection closed, in milliseconds. */
  ms: number;
}

export interface Drain {
  /** True from the start of the drain: `/readyz` reports it. */
  readonly draining: boolean;
  /** Called first for every request: counts it in flight and, once draining, asks the client to close. */
  track(req: http.IncomingMessage, res: http.ServerResponse): void;
  /**
   * Closes the listener now, before the drain (new connections refused, those open go on as usual). Several
   * processes behind one port (cluster.ts) all stop listening first, so no client told to leave by one of them
   * reconnects into a listener that is about to close.
   */
  stopListening(): void;
  /** Runs the drain once; later calls return the same promise. Resolves when every connection is closed. */
  drain(options: DrainOptions): Promise<DrainStats>;
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
  let listening = true;
  let done: Promise<DrainStats> | undefined;
  const stats: DrainStats = { answered: 0, unanswered: 0, idleClosed: 0, ms: 0 };

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
        if (draining) {
          if (res.writableFinished) stats.answered++;
          else stats.unanswered++;
        }
        if (connection) {
          connection.active--;
          connection.idleSince = performance.now();
        }
      });
    },
    stopListening() {
      if (!listening) return;
      listening = false;
      // net.Server's close, not http.Server's: the latter also closes idle kept-alive connections at once, which is
      // the race described in step 3.
      net.Server.prototype.close.call(server);
    },
    drain({ graceMs, delayMs = 0, idleMs = 250 }) {
      done ??= new Promise<DrainStats>((resolve) => {
        const started = performance.now();
        const closeListener = (): void => {
          listening = false;
          // net.Server's close (see stopListening). Its callback runs once the last connection has closed, also
          // when the listener was already closed (then with ERR_SERVER_NOT_RUNNING, which is no failure here).
          net.Server.prototype.close.call(server, () => {
            clearInterval(sweep);
            stats.ms = Math.round(performance.now() - started);
            resolve(stats);
          });
        };
        // Without a delay the listener closes before any client is told to leave: a client that reconnects after
        // its `Connection: close` answer is then refused cleanly, where a connection waiting in the kernel's accept
        // queue when the listener closes is reset with its request unanswered.
        if (delayMs <= 0 || !listening) closeListener();
        draining = true;
        inFlight.forEach(askToClose);
        // Each sweep runs in the check phase (setImmediate), right after the poll phase: by then the event loop
        // has accepted the connections waiting in the kernel's queue and parsed the requests already received (a
        // socket whose request sits unread would look idle).
        const sweep = setInterval(() => setImmediate(sweepOnce), SWEEP_MS);
        const sweepOnce = (): void => {
          const now = performance.now();
          if (listening && now - started >= delayMs) closeListener();
          for (const [socket, connection] of connections) {
            if (connection.active === 0 && now - connection.idleSince >= idleMs) {
              stats.idleClosed++;
              socket.destroy();
              connections.delete(socket);
            }
          }
          if (now - started >= graceMs) {
            server.closeAllConnections();
            for (const socket of connections.keys()) socket.destroy();
          }
        };
      });
      return done;
    },
  };
}
