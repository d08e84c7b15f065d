/**
 * The gateway, composed in one place: this file shows the whole request path.
 *
 *   request → request id + one log line (pino-http) → route
 *     POST /graphql   → straight to the GraphQL listener, without Express's router (the hot path)
 *     /graphql        → GraphiQL for browsers, else body limit / JSON → graphql-http → stitched schema → resolvers
 *                     → RequestContext.load (once per request)
 *                     → Source.load: coalescing → cache → breaker → bulkhead → retries → deadline → adapter → backend
 *                                    (stale-if-error when the backend fails)
 *     POST /soap/CustomerView → XML guard → node-soap → the same schema as /graphql (soap/index.ts); no router
 *     GET /soap/CustomerView?wsdl → the WSDL, generated from the schema
 *     /events/:source → a backend's change event evicts what it makes stale, in every instance (invalidation.ts)
 *     /healthz        → liveness;  /readyz → breakers and cache, 503 while draining;  /metrics → Prometheus
 *   → errors: one catalog (errors.ts), masked when unexpected
 *   close() drains (drain.ts): readyz 503, `Connection: close` on every answer, requests in flight finish
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import pino, { type Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { AdapterDefinition } from './adapter';
import { ConfigError, type GatewayConfig } from './config';
import { bodyError, sendError } from './errors';
import { GRAPHIQL_ASSETS_PATH, graphiqlAssets, graphiqlPage } from './graphiql';
import { createExecutor } from './executor';
import { graphqlHandler, operationLogs } from './graphql-handler';
import type { Cache } from './cache/cache';
import { memoryCache } from './cache/memory-cache';
import { redisCache } from './cache/redis-cache';
import { createDrain, type DrainStats } from './drain';
import { createInvalidator } from './invalidation';
import { createMetrics } from './metrics';
import { buildSchema } from './schema';
import { mountSoapFacade, SOAP_PATH } from './soap';
import { Source } from './source';

export interface Gateway {
  readonly app: express.Express;
  readonly sources: readonly Source[];
  readonly cache: Cache;
  /** Base URL once listening, e.g. http://127.0.0.1:4000 */
  url: string;
  listen(): Promise<string>;
  /** True once close() has begun: /readyz answers 503 and every answer says `Connection: close`. */
  readonly draining: boolean;
  /**
   * The drain (drain.ts), then the sources and the cache: requests in flight get `graceMs` (default: config
   * `shutdown.graceMs`) to finish. Resolves, once every connection is closed, with what the drain did.
   */
  close(graceMs?: number): Promise<DrainStats>;
}

export interface GatewayOptions {
  logger?: Logger;
}

const ROOT = path.join(__dirname, '..');

export const SAMPLE_QUERY = `# The unified view of a sample customer. Try C00000002 (suspended), C00000003 (new, not in the
# warehouse's nightly batch), C00000004 (no billing account), C00000005 (key account).
query CustomerView($id: ID! = "C00000001") {
  customer(id: $id) {
    id
    profile { name msisdn status type region { name } customerSince }
    products { code name category orderedOn monthlyFee }
    contacts { channel at type outcome }
    billing { balance creditLimit currentCharges { month amount } bills { month amount status } paymentBehaviour { method onTimeRatio } }
    insights { batchDate arpu { month amount } usageMix { dataPercent voicePercent } tags segment churnProbability channelPreferences { channel level } }
    score { creditScore creditGrade valueTier positioning }
    recommendations { offerName reason propensity }
    sources { source status ageMs latencyMs breaker reason }
  }
}
`;

/** Loads the adapters named in config; a missing or inconsistent adapter is a configuration error. */
export function loadAdapters(config: GatewayConfig): AdapterDefinition[] {
  return config.adapters.map((entry, i) => {
    const where = `adapters[${i}]`;
    const modulePath = path.resolve(ROOT, entry.module ?? path.join('adapters', entry.name));
    let adapter: AdapterDefinition | undefined;
    try {
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      const loaded = require(modulePath) as { default?: AdapterDefinition };
      adapter = loaded.default;
    } catch (err) {
      throw new ConfigError(`${where}: cannot load adapter module ${modulePath}: ${(err as Error).message}`);
    }
    if (!adapter || typeof adapter.connect !== 'function' || typeof adapter.resources !== 'object') {
      throw new ConfigError(`${where}: ${modulePath} must default-export defineAdapter({...})`);
    }
    if (adapter.name !== entry.name) throw new ConfigError(`${where}.name: expected "${adapter.name}" (the adapter's own name), got "${entry.name}"`);
    for (const [fieldName, binding] of Object.entries(adapter.fields)) {
      if (!adapter.resources[binding.resource]) throw new ConfigError(`adapter ${adapter.name}: field ${fieldName} reads unknown resource ${binding.resource}`);
    }
    return adapter;
  });
}

export function createGateway(config: Readonly<GatewayConfig>, options: GatewayOptions = {}): Gateway {
  const logger = options.logger ?? pino({ level: config.logLevel });
  const adapters = loadAdapters(config);
  const duplicates = adapters.filter((a) => a.directory).map((a) => a.name);
  if (duplicates.length > 1) throw new ConfigError(`adapters: at most one may be the customer directory, got ${duplicates.join(', ')}`);
  const metrics = createMetrics();
  const { redisUrl } = config.cache;
  const cache = redisUrl
    ? redisCache({ url: redisUrl, commandTimeoutMs: config.cache.commandTimeoutMs, keyPrefix: config.cache.keyPrefix, logger, localEntries: config.cache.maxEntries })
    : memoryCache(config.cache.maxEntries);
  const sources = adapters.map((adapter, i) => new Source(adapter, config.adapters[i] as GatewayConfig['adapters'][number], { cache, metrics, logger }));
  const invalidator = createInvalidator(sources, cache, metrics, logger, redisUrl);
  const schema = buildSchema(sources);
  const run = createExecutor({ compile: config.compileQueries, onCompile: (compiled) => metrics.compilations.inc({ result: compiled ? 'compiled' : 'interpreted' }) });

  // One log line per request, with its id (given by the caller or made here, sent back and on to every backend).
  const logRequest = pinoHttp({
    logger,
    genReqId: (req, res) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
      res.setHeader('x-request-id', id);
      return id;
    },
    customProps: (_req, res) => ({ graphql: operationLogs.get(res) }),
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
    serializers: { req: (req) => ({ id: req.id, method: req.method, url: req.url }), res: (res) => ({ statusCode: res.statusCode }) },
  });

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  app.get('/readyz', async (_req, res) => {
    // Not ready once draining, whatever else holds: a load balancer must stop sending here.
    if (drain.draining) return void res.status(503).json({ status: 'draining' });
    // Ready even when a breaker is open or Redis is down: the gateway still answers, degraded, and says so.
    const reachable = await cache.reachable();
    const breakers = sources.map((s) => ({ source: s.name, breaker: s.breakerState() }));
    const degraded = !reachable || breakers.some((b) => b.breaker !== 'CLOSED');
    res.json({ status: degraded ? 'degraded' : 'ok', cache: { backend: cache.kind, reachable }, sources: breakers });
  });
  app.get('/metrics', async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  app.post('/events/:source', express.json({ limit: '16kb' }), async (req, res) => {
    const result = await invalidator.handle(String(req.params.source), req.body);
    if (result === null) return sendError(res, 'BAD_REQUEST', `No source named "${req.params.source}" understands this event.`);
    // Not applied everywhere: say so, so the sender retries, rather than let instances serve the old record.
    if (!result.applied) return sendError(res, 'CACHE_UNAVAILABLE');
    res.status(202).json({ evicted: result.evicted });
  });
  app.use(GRAPHIQL_ASSETS_PATH, graphiqlAssets());

  const page = graphiqlPage(SAMPLE_QUERY);
  const graphql = graphqlHandler(schema, sources, logger, run, config.limits.maxBodyBytes);
  app.get('/graphql', (req, res, next) => {
    if (req.query.query === undefined && req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html') {
      res.type('html').send(page);
      return;
    }
    next();
  });
  app.use('/graphql', (req, res) => graphql(req, res));

  const soap = mountSoapFacade(app, { schema, sources, logger, run, maxBodyBytes: config.limits.maxBodyBytes });

  app.use((_req: Request, res: Response) => sendError(res, 'ROUTE_NOT_FOUND'));
  app.use((err: unknown, req: Request, res: Response, _next: NextFunction) => {
    const refused = bodyError(err, config.limits.maxBodyBytes);
    if (refused) return sendError(res, ...refused);
    req.log.error({ err }, 'unhandled error');
    if (!res.headersSent) sendError(res, 'INTERNAL_SERVER_ERROR');
  });

  // The hot routes, POST /graphql and POST /soap/CustomerView, skip Express's router: measured on a precomputed
  // answer, Express 5's routing held a server to a third of what the same handler does without it. Every other
  // request, and these paths in any other spelling, go through Express, which mounts the same listeners.
  const hotRoutes = new Map<string, (req: http.IncomingMessage, res: http.ServerResponse) => void>([
    ['/graphql', graphql],
    [SOAP_PATH, soap.post],
  ]);
  const server = http.createServer((req, res) => {
    drain.track(req, res);
    logRequest(req, res);
    const url = req.url ?? '';
    const query = url.indexOf('?');
    const hot = req.method === 'POST' ? hotRoutes.get(query < 0 ? url : url.slice(0, query)) : undefined;
    if (hot) hot(req, res);
    else app(req, res);
  });
  server.keepAliveTimeout = 65_000; // longer than common load balancer idle timeouts
  server.requestTimeout = 30_000;
  server.headersTimeout = 10_000;
  const drain = createDrain(server);

  const gateway: Gateway = {
    app,
    sources,
    cache,
    url: '',
    listen: async () => {
      await soap.ready;
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          const { port } = server.address() as AddressInfo;
          gateway.url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
          resolve(gateway.url);
        });
      });
    },
    get draining() {
      return drain.draining;
    },
    close: async (graceMs = config.shutdown.graceMs) => {
      const stats = await drain.drain({ graceMs, delayMs: Math.min(config.shutdown.delayMs, graceMs) });
      logger.info({ drain: stats }, 'drained');
      await Promise.all([...sources.map((s) => s.close()), invalidator.close(), cache.close()]);
      return stats;
    },
  };
  return gateway;
}
