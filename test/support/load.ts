/**
 * Keep-alive clients under steady load, for the drain tests: each client sends its next request as soon as it has
 * its answer, over node's http.Agent with keep-alive (the connection reuse a load balancer or SDK does), and every
 * outcome is sorted so a test can tell a clean refusal from a reset request.
 */
import http from 'node:http';
import { AUTH } from './harness';

export interface LoadOutcome {
  /** Requests answered, by status. */
  statuses: Record<number, number>;
  /** Answers that carried `Connection: close`. */
  connectionClose: number;
  /** New connections refused (ECONNREFUSED): nothing was sent, a client may retry elsewhere. */
  refused: number;
  /** Requests sent and never answered (ECONNRESET, socket hang up, EPIPE...): what a drain must never do. */
  reset: number;
  resetCodes: string[];
  /** Requests started before `mark()` was called, and how many of them were answered. */
  startedBeforeMark: number;
  answeredOfThoseStartedBeforeMark: number;
}

export interface Load {
  /** Marks the moment (e.g. SIGTERM): requests started before it must all be answered. */
  mark(): void;
  /** What happened so far, live (for `waitFor` conditions such as "some requests answered"). */
  progress(): Readonly<LoadOutcome>;
  /** Requests answered so far, whatever their status. */
  answered(): number;
  /** Stops the clients after their current request and returns what happened. */
  stop(): Promise<LoadOutcome>;
}

export function startLoad(url: string, options: { clients: number; body: string; path?: string }): Load {
  const agent = new http.Agent({ keepAlive: true, maxSockets: options.clients });
  const target = new URL(options.path ?? '/graphql', url);
  const outcome: LoadOutcome = {
    statuses: {},
    connectionClose: 0,
    refused: 0,
    reset: 0,
    resetCodes: [],
    startedBeforeMark: 0,
    answeredOfThoseStartedBeforeMark: 0,
  };
  let marked = false;
  let stopped = false;

  const once = (): Promise<'answered' | 'refused' | 'reset'> =>
    new Promise((resolve) => {
      const beforeMark = !marked;
      if (beforeMark) outcome.startedBeforeMark++;
      const req = http.request(
        target,
        {
          method: 'POST',
          agent,
          headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(options.body), ...AUTH },
          timeout: 30_000,
        },
        (res) => {
          res.resume();
          res.on('end', () => {
            outcome.statuses[res.statusCode ?? 0] = (outcome.statuses[res.statusCode ?? 0] ?? 0) + 1;
            if (res.headers.connection === 'close') outcome.connectionClose++;
            if (beforeMark) outcome.answeredOfThoseStartedBeforeMark++;
            resolve('answered');
          });
          res.on('error', (err: NodeJS.ErrnoException) => fail(err));
        },
      );
      const fail = (err: NodeJS.ErrnoException): void => {
        if (err.code === 'ECONNREFUSED') {
          outcome.refused++;
          resolve('refused');
        } else {
          outcome.reset++;
          outcome.resetCodes.push(err.code ?? err.message);
          resolve('reset');
        }
      };
      req.on('error', fail);
      req.on('timeout', () => req.destroy(Object.assign(new Error('timeout'), { code: 'TIMEOUT' })));
      req.end(options.body);
    });

  const clients = Array.from({ length: options.clients }, async () => {
    // A refused connection means the server stopped listening: this client is done.
    while (!stopped) if ((await once()) === 'refused') return;
  });

  return {
    mark: () => {
      marked = true;
    },
    progress: () => outcome,
    answered: () => Object.values(outcome.statuses).reduce((a, b) => a + b, 0),
    stop: async () => {
      stopped = true;
      await Promise.all(clients);
      agent.destroy();
      return outcome;
    },
  };
}

/** One GET over a new connection: status, `Connection` header and body. */
export async function getOnce(url: string): Promise<{ status: number; connection: string | undefined; body: string }> {
  return new Promise((resolve, reject) => {
    http
      .get(url, { agent: false }, (res) => {
        let body = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (body += chunk));
        res.on('end', () => resolve({ status: res.statusCode ?? 0, connection: res.headers.connection, body }));
      })
      .on('error', reject);
  });
}
