/**
 * The gateway, composed in one place: this file shows the whole request path.
 *
 *   request → request id + one log line (pino-http) → route
 *     POST /graphql   → straight to the GraphQL listener, without Express's router (the hot path)
 *     /graphql        → GraphiQL for browsers (not in production), else body limit / JSON → graphql-http
 *                     → the pipeline (pipeline/index.ts): identity → limits → rights → [rate limit] → execute → mask
 *                       → [audit] → log · metrics · Server-Timing
 *                     → resolvers → RequestContext.load (once per request)
 *                     → Source.load: coalescing → cache → breaker → bulkhead → retries → deadline → adapter → backend
 *                                    (stale-if-error when the backend fails)
 *     POST /soap/CustomerView → XML guard → node-soap → one GraphQL operation → the same pipeline (soap/index.ts)
 *     GET /soap/CustomerView?wsdl → the WSDL, generated from the schema
 *     /events/:source → a backend's change event evicts what it makes stale, in every instance (invalidation.ts)
 *     /healthz        → liveness;  /readyz → breakers and cache;  /metrics → Prometheus (both: ops token if set)
 *   → errors: one catalog (errors.ts), masked when unexpected
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import express, { type NextFunction, type Request, type Response } from 'express';
import pino, { type Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { Plugin } from '@envelop/core';
import type { AdapterDefinition } from './adapter';
import type { GatewayContext } from './pipeline/context';
import { ConfigError, type GatewayConfig } from './config';
import { bodyError, sendError } from './errors';
import { GRAPHIQL_ASSETS_PATH, graphiqlAssets, graphiqlPage } from './graphiql';
import { createExecutor } from './executor';
import { graphqlHandler } from './facades/graphql-http';
import { createPipeline, isProduction, type Pipeline } from './pipeline';
import { createAuthenticator, hasOpsToken, memoryNonceStore, redisNonceStore, type Authenticator } from './pipeline/identity';
import { operationLogs } from './pipeline/observe';
import type { Cache } from './cache/cache';
import { memoryCache } from './cache/memory-cache';
import { redisCache } from './cache/redis-cache';
import { createInvalidator } from './invalidation';
import { createMetrics } from './metrics';
import { buildSchema } from './schema';
import { clientFaults, mountSoapFacade, SOAP_PATH } from './soap';
import { Source } from './source';

export interface Gateway {
  readonly app: express.Express;
  readonly sources: readonly Source[];
  readonly cache: Cache;
  /** The consumer of a request outside GraphQL (the admin API): API key, JWT or Basic; rejects UNAUTHENTICATED. */
  readonly authenticate: Authenticator['authenticate'];
  /** The one request pipeline both facades run operations through. */
  readonly pipeline: Pipeline;
  /** Base URL once listening, e.g. http://127.0.0.1:4000 */
  url: string;
  listen(): Promise<string>;
  /** Graceful shutdown: requests in flight get `graceMs` (default 1000) to finish. */
  close(graceMs?: number): Promise<void>;
}

export interface GatewayOptions {
  logger?: Logger;
  /** The rate-limit plugin, placed in the pipeline after rights (gateway/pipeline/rate-limit.ts). */
  rateLimit?: Plugin<GatewayContext>;
  /** Headers GraphiQL starts with (the `npm start` demo puts a demo consumer's API key here). */
  graphiqlHeaders?: Record<string, string>;
  /** The audit plugin, placed in the pipeline after masking (gateway/pipeline/audit.ts). */
  audit?: Plugin<GatewayContext>;
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
  const { security } = config;
  const nonces = redisUrl ? redisNonceStore(redisUrl, config.cache.keyPrefix, security.wsSecurity.redisTimeoutMs, logger) : memoryNonceStore();
  const authenticator = createAuthenticator(security, { logger, nonces });
  const pipeline = createPipeline({ config, schema, sources, metrics, run, authenticator, logger, rateLimit: options.rateLimit, audit: options.audit });
  const graphiql = security.graphiql ?? !isProduction();

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
    // A SOAP fault of the client's making is answered 500 (SOAP 1.1) but is no server error.
    customLogLevel: (_req, res, err) => (clientFaults.has(res) ? 'info' : err || res.statusCode >= 500 ? 'error' : 'info'),
    serializers: { req: (req) => ({ id: req.id, method: req.method, url: req.url }), res: (res) => ({ statusCode: res.statusCode }) },
  });

  const app = express();
  app.disable('x-powered-by');
  app.disable('etag');
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok' }));
  // /readyz and /metrics carry no personal data: open unless `security.opsTokenSha256` asks for a token.
  const opsGuard = (req: Request, res: Response, next: NextFunction): void => {
    if (!security.opsTokenSha256 || hasOpsToken(req, security.opsTokenSha256)) return next();
    res.setHeader('www-authenticate', 'Bearer realm="ucv-gateway-ops"');
    sendError(res, 'UNAUTHENTICATED', 'This endpoint needs the operations token.');
  };
  app.get('/readyz', opsGuard, async (_req, res) => {
    // Ready even when a breaker is open or Redis is down: the gateway still answers, degraded, and says so.
    const reachable = await cache.reachable();
    const breakers = sources.map((s) => ({ source: s.name, breaker: s.breakerState() }));
    const degraded = !reachable || breakers.some((b) => b.breaker !== 'CLOSED');
    res.json({ status: degraded ? 'degraded' : 'ok', cache: { backend: cache.kind, reachable }, sources: breakers });
  });
  app.get('/metrics', opsGuard, async (_req, res) => {
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

  const page = graphiqlPage(SAMPLE_QUERY, options.graphiqlHeaders);
  const graphql = graphqlHandler(schema, sources, logger, pipeline, config.limits.maxBodyBytes);
  app.get('/graphql', (req, res, next) => {
    if (graphiql && req.query.query === undefined && req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html') {
      res.type('html').send(page);
      return;
    }
    next();
  });
  app.use('/graphql', (req, res) => graphql(req, res));

  const soap = mountSoapFacade(app, { schema, sources, logger, pipeline, maxBodyBytes: config.limits.maxBodyBytes });

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

  const gateway: Gateway = {
    app,
    sources,
    cache,
    authenticate: authenticator.authenticate,
    pipeline,
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
    close: async (graceMs = 1000) => {
      // Stop accepting, close idle keep-alive connections, let requests in flight finish within the grace period,
      // then close whatever is left (a client still sending a refused body must not hold the shutdown).
      await new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeIdleConnections();
        setTimeout(() => server.closeAllConnections(), graceMs).unref();
      });
      await Promise.all([...sources.map((s) => s.close()), invalidator.close(), cache.close(), authenticator.close()]);
    },
  };
  return gateway;
}
