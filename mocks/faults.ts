/**
 * Fault injection and request counting for a mock production system.
 *
 * Every mock mounts `faults.middleware` before its routes and `faults.control` at `/__control`, so tests and
 * benchmarks can change a system's behaviour at runtime and read how much load reached "production":
 *
 *   GET    /__control          → { faults, requests: { total, byRoute } }
 *   PATCH  /__control/faults   → merge the JSON body into the current faults
 *   DELETE /__control/faults   → back to a healthy system
 *   POST   /__control/reset    → faults healthy and counters zero
 *
 * Control requests are never delayed, failed or counted. Faults apply to every other request of the system,
 * including the billing WSDL (`GET …?wsdl`): load it before injecting a fault that should hit only the answers.
 */
import express, { type Request, type Response, type NextFunction, type Router } from 'express';

export interface Faults {
  /** Added to every response, in milliseconds. Default 0. */
  latencyMs: number;
  /** Uniform random extra latency in [0, jitterMs], in milliseconds. Default 0. */
  jitterMs: number;
  /** Share of requests answered with `errorStatus`, 0 to 1. Default 0. */
  errorRate: number;
  /** HTTP status of an injected error. Default 500. */
  errorStatus: number;
  /** The next N requests fail with `errorStatus`, then the count is spent. Default 0. */
  failNext: number;
  /**
   * `false`: up. `'503'`: every request gets 503 Service Unavailable. `'reset'`: every request's connection is
   * destroyed without an answer, as when the process dies. (Refused connections: stop the mock's listener.)
   */
  down: false | '503' | 'reset';
  /** Share of requests answered 200 with a truncated, unparsable body, 0 to 1. Default 0. */
  malformedRate: number;
  /** When > 0, the body is sent in chunks of this many bytes, one every `trickleIntervalMs`. Default 0 (off). */
  trickleBytes: number;
  /** Pause between two trickled chunks, in milliseconds. Default 50. */
  trickleIntervalMs: number;
  /**
   * When > 0, every answer is a *valid* document padded to about this many bytes, sent chunked without a
   * content-length (as a runaway backend would): JSON gets a leading `"padding"` string member, XML (the SOAP
   * envelope) whitespace before its root element's closing tag. The padding is streamed, never built whole. Default 0 (off).
   */
  oversizeBytes: number;
  /**
   * `true`: every answer is 200 with a well-formed body of the wrong shape: JSON `{"unexpected":"x"}`; from billing
   * a valid SOAP envelope whose Body holds an unexpected element. Default false.
   */
  wrongShape: boolean;
}

export const HEALTHY: Readonly<Faults> = Object.freeze({
  latencyMs: 0,
  jitterMs: 0,
  errorRate: 0,
  errorStatus: 500,
  failNext: 0,
  down: false,
  malformedRate: 0,
  trickleBytes: 0,
  trickleIntervalMs: 50,
  oversizeBytes: 0,
  wrongShape: false,
});

export interface RequestCounts {
  total: number;
  byRoute: Record<string, number>;
  /** The x-request-id of the last request, to check that callers propagate theirs. */
  lastRequestId: string | null;
  /** Requests whose caller hung up before the answer was sent (e.g. a client deadline that really aborts). */
  aborted: number;
}

export interface FaultInjector {
  readonly faults: Readonly<Faults>;
  set(patch: Partial<Faults>): Faults;
  reset(): void;
  requests(): RequestCounts;
  middleware: (req: Request, res: Response, next: NextFunction) => void;
  control: Router;
}

// Unref: an injected delay must not keep a test process alive after the mock closed.
const sleep = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, ms).unref());

function validatePatch(body: unknown): Partial<Faults> | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body)) return 'body must be a JSON object of faults';
  const patch: Partial<Faults> = {};
  for (const [key, value] of Object.entries(body)) {
    if (!(key in HEALTHY)) return `unknown fault "${key}"; known: ${Object.keys(HEALTHY).join(', ')}`;
    if (key === 'down') {
      if (value !== false && value !== '503' && value !== 'reset') return 'down must be false, "503" or "reset"';
      patch.down = value;
      continue;
    }
    if (key === 'wrongShape') {
      if (typeof value !== 'boolean') return 'wrongShape must be true or false';
      patch.wrongShape = value;
      continue;
    }
    if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) return `${key} must be a number ≥ 0`;
    if ((key === 'errorRate' || key === 'malformedRate') && value > 1) return `${key} must be between 0 and 1`;
    (patch as Record<string, number>)[key] = value;
  }
  return patch;
}

export interface FaultOptions {
  /** Cuts a good answer into an unparsable one; default: its first half. */
  malformedBody?: (body: string) => string;
  /** The system's well-formed answer of the wrong shape; default: JSON `{"unexpected":"x"}`. */
  wrongShapeBody?: { contentType: string; body: string };
}

export function createFaultInjector(options: FaultOptions = {}): FaultInjector {
  let faults: Faults = { ...HEALTHY };
  let total = 0;
  let byRoute: Record<string, number> = {};
  let lastRequestId: string | null = null;
  let aborted = 0;
  const malformed =
    options.malformedBody ?? ((body: string) => body.slice(0, Math.max(1, Math.floor(body.length / 2))));
  const wrongShape = options.wrongShapeBody ?? {
    contentType: 'application/json; charset=utf-8',
    body: '{"unexpected":"x"}',
  };

  const routeOf = (req: Request): string =>
    `${req.method} ${req.path.replace(/\/(C\d{8}|1\d{10}|P\d+-\d+)(?=\/|$)/g, '/:id')}`;

  async function middleware(req: Request, res: Response, next: NextFunction): Promise<void> {
    total++;
    const route = routeOf(req);
    byRoute[route] = (byRoute[route] ?? 0) + 1;
    lastRequestId = req.get('x-request-id') ?? null;
    res.on('close', () => {
      if (!res.writableFinished && !res.headersSent) aborted++;
    });
    const f = faults;
    if (f.down === 'reset') {
      req.socket.destroy();
      return;
    }
    // "The next N requests" are the next N to arrive: the count is claimed now, before any injected delay, so
    // concurrent slow requests do not all read the same count and all fail.
    const failThis = faults.failNext > 0;
    if (failThis) faults = { ...faults, failNext: faults.failNext - 1 };
    const delay = f.latencyMs + (f.jitterMs > 0 ? Math.random() * f.jitterMs : 0);
    if (delay > 0) await sleep(delay);
    if (res.destroyed || req.socket.destroyed) return;
    if (f.down === '503') {
      res.status(503).set('retry-after', '5').json({ error: 'service unavailable (injected)' });
      return;
    }
    if (failThis || (f.errorRate > 0 && Math.random() < f.errorRate)) {
      res.status(f.errorStatus).json({ error: 'internal error (injected)' });
      return;
    }
    if (f.wrongShape) {
      res.status(200).type(wrongShape.contentType).send(wrongShape.body);
      return;
    }
    // Rolled once: the share of malformed answers is the rate itself.
    const malformNow = f.malformedRate > 0 && Math.random() < f.malformedRate;
    if (malformNow || f.trickleBytes > 0 || f.oversizeBytes > 0) {
      interceptBody(res, (body) => (malformNow ? malformed(body) : body), f);
    }
    next();
  }

  const control = express.Router();
  control.use(express.json());
  control.get('/', (_req, res) => {
    res.json({ faults, requests: { total, byRoute, lastRequestId, aborted } });
  });
  control.patch('/faults', (req, res) => {
    const patch = validatePatch(req.body);
    if (typeof patch === 'string') {
      res.status(400).json({ error: patch });
      return;
    }
    faults = { ...faults, ...patch };
    res.json({ faults });
  });
  control.delete('/faults', (_req, res) => {
    faults = { ...HEALTHY };
    res.json({ faults });
  });
  control.post('/reset', (_req, res) => {
    faults = { ...HEALTHY };
    total = 0;
    byRoute = {};
    lastRequestId = null;
    aborted = 0;
    res.json({ faults, requests: { total, byRoute, lastRequestId, aborted } });
  });

  return {
    get faults() {
      return faults;
    },
    set(patch) {
      faults = { ...faults, ...patch };
      return faults;
    },
    reset() {
      faults = { ...HEALTHY };
      total = 0;
      byRoute = {};
      lastRequestId = null;
      aborted = 0;
    },
    requests: () => ({ total, byRoute: { ...byRoute }, lastRequestId, aborted }),
    middleware: (req, res, next) => void middleware(req, res, next).catch(next),
    control,
  };
}

/**
 * Buffers what the route writes, then sends it transformed (malformed) and/or trickled. Works for both
 * `res.json()` and for libraries that write the body themselves (the SOAP server).
 */
function interceptBody(res: Response, transform: (body: string) => string, f: Faults): void {
  const chunks: Buffer[] = [];
  const write = res.write.bind(res) as (chunk: Buffer) => boolean;
  const end = res.end.bind(res) as (chunk?: Buffer) => Response;
  const toBuffer = (chunk: unknown): Buffer =>
    Buffer.isBuffer(chunk) ? chunk : Buffer.from(typeof chunk === 'string' ? chunk : String(chunk ?? ''));
  (res as unknown as { write: (chunk: unknown) => boolean }).write = (chunk: unknown) => {
    chunks.push(toBuffer(chunk));
    return true;
  };
  (res as unknown as { end: (chunk?: unknown) => Response }).end = (chunk?: unknown) => {
    if (chunk !== undefined && typeof chunk !== 'function') chunks.push(toBuffer(chunk));
    const body = Buffer.from(transform(Buffer.concat(chunks).toString('utf8')), 'utf8');
    if (f.oversizeBytes > 0) {
      if (!res.headersSent) res.removeHeader('content-length');
      void streamPadded(res, body, f.oversizeBytes, write, end);
      return res;
    }
    if (!res.headersSent) {
      res.removeHeader('content-length');
      res.setHeader('content-length', body.length);
    }
    if (f.trickleBytes <= 0) return end(body);
    void (async () => {
      for (let offset = 0; offset < body.length; offset += f.trickleBytes) {
        if (res.destroyed) return;
        write(body.subarray(offset, offset + f.trickleBytes));
        await sleep(f.trickleIntervalMs);
      }
      end();
    })();
    return res;
  };
}

/**
 * Sends `body` padded to about `size` bytes, still a valid document of its kind, in 64 KiB chunks that wait for
 * the socket to drain: a 50 MB answer costs the mock a few chunks of memory, not 50 MB.
 */
async function streamPadded(
  res: Response,
  body: Buffer,
  size: number,
  write: (chunk: Buffer) => boolean,
  end: (chunk?: Buffer) => Response,
): Promise<void> {
  const text = body.toString('utf8');
  const json = text.trimStart().startsWith('{');
  let head: string;
  let tail: string;
  if (json) {
    const rest = text.trimStart().slice(1).trimStart();
    head = '{"padding":"';
    tail = rest.startsWith('}') ? `"${rest}` : `",${rest}`;
  } else {
    // Whitespace inside the root element, before its closing tag, keeps the XML document (and its envelope) valid.
    const close = text.lastIndexOf('</');
    head = text.slice(0, close);
    tail = text.slice(close);
  }
  const chunk = Buffer.alloc(64 * 1024, json ? 'x' : ' ');
  let remaining = Math.max(0, size - Buffer.byteLength(head) - Buffer.byteLength(tail));
  const drained = (): Promise<void> =>
    new Promise((resolve) => {
      const done = (): void => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  if (!write(Buffer.from(head))) await drained();
  while (remaining > 0) {
    if (res.destroyed) return;
    const part = remaining >= chunk.length ? chunk : chunk.subarray(0, remaining);
    remaining -= part.length;
    if (!write(part)) await drained();
  }
  if (!res.destroyed) end(Buffer.from(tail));
}
