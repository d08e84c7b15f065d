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
 *     POST /events/network → signed → a customer event → rules → at most one offer on a channel (marketing.ts)
 *     /events/:source → signed (events/signature.ts) → a backend's change event evicts what it makes stale, in every
 *                       instance (invalidation.ts)
 *     /desk           → the front-desk page (web/desk/), a client of /graphql like any other
 *     GET /admin/audit → authenticate (admin role) → the audit trail of one customer from the store (audit/)
 *     /admin/<kind>s  → authenticate (admin role) → versioned definitions: adapters, business rules (definitions/)
 *     /admin/suppressions → authenticate (admin role) → the suppression list of rule-triggered offers (channels/)
 *     /healthz        → liveness;  /readyz → breakers, cache and store, 503 while draining;  /metrics → Prometheus (both: ops token if set)
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
import type { AdapterDefinition } from '../backends/adapter';
import type { GatewayContext } from '../pipeline/context';
import { ConfigError, type GatewayConfig } from '../config';
import { bodyError, sendError } from '../errors';
import { GRAPHIQL_ASSETS_PATH, graphiqlAssets, graphiqlPage } from '../inbound/pages/graphiql';
import { deskRouter, type DemoConsumer } from '../inbound/pages/desk';
import { isProduction, type Pipeline } from '../pipeline';
import {
  createAuthenticator,
  hasOpsToken,
  memoryNonceStore,
  redisNonceStore,
  type Authenticator,
} from '../pipeline/identity';
import { operationLogs } from '../pipeline/observe';
import type { Cache } from '../backends/cache/cache';
import { memoryCache } from '../backends/cache/memory-cache';
import { redisCache } from '../backends/cache/redis-cache';
import { createDrain, type DrainStats } from './drain';
import { createInvalidator } from '../backends/invalidation';
import { createMetrics } from '../metrics';
import { SOAP_PATH } from '../inbound/soap';
import { clientFaults } from '../inbound/soap/xml-guard';
import type { BodyLimits } from '../inbound/http/body';
import { htmlSecurityHeaders, sendHtml } from '../inbound/http/headers';
import { eventIntake } from '../inbound/events/change-intake';
import { eventVerifier, memoryReplayStore, redisReplayStore } from '../inbound/events/signature';
import { createRateLimiter } from '../rate-limit/limiter';
import { createLoginThrottle } from '../rate-limit/login-throttle';
import { useRateLimit } from '../pipeline/rate-limit';
import { useAudit } from '../pipeline/audit';
import type { Source } from '../backends/source';
import { auditRoute } from '../audit/admin-route';
import { AuditSink } from '../audit/sink';
import { openStore, storeReachable, type Store } from '../store';
import { schemaFile } from '../../schemas';
import {
  recordTouchpoint,
  startOutboxWorker,
  touchpointResolvers,
  type OutboxWorker,
  type TouchpointDeps,
} from '../touchpoints';
import type { RecordTouchpoint } from '../marketing/channels/dispatcher';
import { customerEventIntake } from '../marketing/events/customer-intake';
import { configuredRules, contactPolicyKind, createMarketing, ruleKind, type Marketing } from '../marketing';
import { withInternalConsumers } from '../marketing/rules/view';
import { buildRuntime, RuntimeHolder, type Runtime, type RuntimeAdapter, type RuntimeShared } from '../runtime';
import { adapterKind } from '../runtime/adapter-kind';
import { DefinitionsStore } from '../definitions';
import { fileBackend, redisBackend } from '../definitions/backends';
import { definitionsAdminRouter } from '../definitions/admin-router';
import { suppressionRouter } from '../marketing/channels/suppression-route';

export interface Gateway {
  readonly app: express.Express;
  /** The current runtime's sources (they change when an adapter is registered or removed). */
  readonly sources: readonly Source[];
  /** The runtime new requests run on (gateway/runtime/). */
  readonly runtime: Runtime;
  /** Versioned definitions (adapters now, rules next) behind /admin/<kind>s; register kinds before listen(). */
  readonly definitions: DefinitionsStore;
  readonly cache: Cache;
  /** The audit sink, when the gateway has a store and `audit.enabled`: the pipeline's audit plugin records into it. */
  readonly audit: AuditSink | null;
  /** The consumer of a request outside GraphQL (the admin API): API key, JWT or Basic; rejects UNAUTHENTICATED. */
  readonly authenticate: Authenticator['authenticate'];
  /** The current runtime's request pipeline, which both facades run operations through. */
  readonly pipeline: Pipeline;
  /** Event-triggered marketing, when the gateway has a store, `marketing.channelsUrl` and a touchpoint recorder. */
  readonly marketing: Marketing | null;
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
  /**
   * The durable store (opened by the caller: `openStore`, async, migrates). Without it there is no audit trail and
   * no /admin route. The caller closes it after `gateway.close()`.
   */
  store?: Store;
  /** Headers GraphiQL starts with (the `npm start` demo puts a demo consumer's API key here). */
  graphiqlHeaders?: Record<string, string>;
  /** The demo's consumers, offered by the front-desk page's sign-in picker (`npm start` only: their keys are public). */
  demoConsumers?: readonly DemoConsumer[];
  /**
   * Records a rule-triggered offer as a touchpoint (engineer "contacts"' `recordTouchpoint` with its deps bound).
   * Without it (or without a store or `marketing.channelsUrl`) event-triggered marketing is off: no /events/network.
   */
  recordTouchpoint?: RecordTouchpoint;
}

const ROOT = path.join(__dirname, '..', '..');

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
    if (adapter.name !== entry.name)
      throw new ConfigError(`${where}.name: expected "${adapter.name}" (the adapter's own name), got "${entry.name}"`);
    for (const [fieldName, binding] of Object.entries(adapter.fields)) {
      if (!adapter.resources[binding.resource])
        throw new ConfigError(`adapter ${adapter.name}: field ${fieldName} reads unknown resource ${binding.resource}`);
    }
    return adapter;
  });
}

/** Opens the configured durable store: PGlite in `store.dataDir` (from the repository root), or PostgreSQL. */
export function openConfiguredStore(config: Readonly<GatewayConfig>): Promise<Store> {
  return openStore({ ...config.store, dataDir: path.resolve(ROOT, config.store.dataDir) });
}

export function createGateway(config: Readonly<GatewayConfig>, options: GatewayOptions = {}): Gateway {
  const logger = options.logger ?? pino({ level: config.logLevel });
  const adapters = loadAdapters(config);
  const duplicates = adapters.filter((a) => a.directory).map((a) => a.name);
  if (duplicates.length > 1)
    throw new ConfigError(`adapters: at most one may be the customer directory, got ${duplicates.join(', ')}`);
  const metrics = createMetrics();
  const { redisUrl } = config.cache;
  const cache = redisUrl
    ? redisCache({
        url: redisUrl,
        commandTimeoutMs: config.cache.commandTimeoutMs,
        keyPrefix: config.cache.keyPrefix,
        logger,
        localEntries: config.cache.maxEntries,
        localBytes: config.cache.maxBytes,
      })
    : memoryCache({ maxEntries: config.cache.maxEntries, maxBytes: config.cache.maxBytes });
  metrics.watchCacheBytes(() => cache.bytes());
  const store = options.store;
  // Recording contacts needs the store (touchpoints, outbox) and the configured adapter command that writes them.
  // The sources and the invalidator are those of the runtime in force when a contact is recorded or delivered.
  const recorder = adapters.find(
    (a) => a.name === config.touchpoints.source && a.commands?.[config.touchpoints.command],
  );
  const touchpointDeps: TouchpointDeps | undefined =
    store && recorder
      ? {
          store,
          get sources() {
            return holder.current.sources;
          },
          get invalidator() {
            return invalidator;
          },
          metrics,
          logger,
          settings: config.touchpoints.outbox,
          touchpoints: config.touchpoints,
        }
      : undefined;
  const audit = store && config.audit.enabled ? new AuditSink(store, { ...config.audit, metrics, logger }) : null;
  const { security } = config;
  const nonces = redisUrl
    ? redisNonceStore(
        redisUrl,
        config.cache.keyPrefix,
        security.wsSecurity.redisTimeoutMs,
        logger,
        security.wsSecurity.maxNonces,
      )
    : memoryNonceStore(security.wsSecurity.maxNonces);
  // Failed logins are throttled per address and identity, shared through Redis like the nonces (login-throttle.ts).
  const throttle = createLoginThrottle({
    settings: security.loginThrottle,
    redisUrl,
    keyPrefix: `${config.cache.keyPrefix}login:`,
    logger,
    failOpen: metrics.rateLimitFailOpen,
  });
  // The rules' view loads run through the pipeline as an in-process consumer of the marketing role (rules/view.ts).
  const internal = withInternalConsumers(createAuthenticator(security, { logger, nonces, throttle }));
  const authenticator = internal.authenticator;
  const rateLimiter = createRateLimiter({
    settings: config.rateLimit,
    redisUrl,
    keyPrefix: `${config.cache.keyPrefix}rl:`,
    logger,
    failOpen: metrics.rateLimitFailOpen,
  });
  const { maxBodyBytes, maxInflatedBodyBytes, bodyIdleTimeoutMs, bodyTimeoutMs } = config.limits;
  const bodyLimits: BodyLimits = {
    maxBytes: maxBodyBytes,
    maxInflatedBytes: maxInflatedBodyBytes,
    idleTimeoutMs: bodyIdleTimeoutMs,
    timeoutMs: bodyTimeoutMs,
  };
  const publicUrl = (): string => config.publicUrl?.replace(/\/+$/, '') ?? gateway.url;

  // Everything schema-bound is the runtime's (gateway/runtime/): built here from the configured adapters, rebuilt
  // and swapped in whenever a registered definition changes. What follows it (identity, rate limits, audit, cache)
  // is shared by every runtime.
  const shared: RuntimeShared = {
    config,
    cache,
    metrics,
    logger,
    authenticator,
    rateLimit: useRateLimit<GatewayContext>(rateLimiter, metrics.rateLimited),
    audit: audit ? useAudit<GatewayContext>(audit, { notPersonalData: config.audit.notPersonalData }) : undefined,
    bodyLimits,
    publicUrl,
    schemaExtension: touchpointDeps
      ? { typeDefs: [schemaFile('touchpoints.graphql')], resolvers: [touchpointResolvers(touchpointDeps)] }
      : undefined,
  };
  const configured: RuntimeAdapter[] = adapters.map((adapter, i) => ({
    adapter,
    entry: config.adapters[i] as GatewayConfig['adapters'][number],
    fingerprint: `config:${JSON.stringify(config.adapters[i])}`,
    origin: 'config',
  }));
  const holder = new RuntimeHolder(buildRuntime(shared, configured, 0));
  const invalidator = createInvalidator(
    () => holder.current.sources,
    cache,
    metrics,
    logger,
    redisUrl,
    config.cache.commandTimeoutMs,
  );
  const definitions = new DefinitionsStore(
    redisUrl
      ? redisBackend(redisUrl, config.cache.keyPrefix, logger)
      : fileBackend(path.resolve(ROOT, config.admin.definitionsFile)),
    logger,
    config.admin.historyLimit,
  );
  definitions.register(
    adapterKind({ holder, shared, configured, admin: config.admin, graceMs: config.shutdown.graceMs }),
  );
  const worker: OutboxWorker | undefined =
    touchpointDeps && config.touchpoints.outbox.enabled ? startOutboxWorker(touchpointDeps) : undefined;
  if (touchpointDeps) touchpointDeps.worker = worker;
  const graphiql = security.graphiql ?? !isProduction();
  const marketingRole = config.marketing.role;
  // The configured rules are checked at start even while marketing is off, so a bad one never waits to be found.
  const rulesConfigured = configuredRules(config);
  // Rule-triggered offers are recorded like agents' contacts (touchpoints/, the CRM's command and the outbox), unless
  // a caller gives another recorder.
  const recordTouchpointHere: RecordTouchpoint | undefined =
    options.recordTouchpoint ??
    (touchpointDeps ? (touchpoint, key) => recordTouchpoint(touchpointDeps, touchpoint, key) : undefined);
  const marketingOn = Boolean(store && recordTouchpointHere && config.marketing.channelsUrl);
  if (marketingOn && !Object.hasOwn(security.roles, marketingRole))
    throw new ConfigError(`marketing.role: expected a role of security.roles, got "${marketingRole}"`);
  const marketing =
    store && recordTouchpointHere && marketingOn
      ? createMarketing({
          config,
          store,
          // The runtime in force when a view is loaded: a swap changes the schema, the sources and the pipeline.
          pipeline: {
            get plugins() {
              return holder.current.pipeline.plugins;
            },
            prepare: (context, request) => holder.current.pipeline.prepare(context, request),
          },
          get sources() {
            return holder.current.sources;
          },
          request: internal.requestAs({ id: 'ucv-rules', name: 'business rules', role: marketingRole, via: 'api-key' }),
          recordTouchpoint: recordTouchpointHere,
          registry: metrics.registry,
          logger,
        })
      : null;
  // Business rules are the definitions kind `rule` (/admin/rules): the configured ones, and those registered on top.
  if (marketing) definitions.register(ruleKind(marketing, rulesConfigured));
  if (marketing) definitions.register(contactPolicyKind(marketing));

  // One log line per request, with its id (given by the caller or made here, sent back and on to every backend).
  const logRequest = pinoHttp({
    logger,
    genReqId: (req, res) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
      res.setHeader('x-request-id', id);
      return id;
    },
    // Undefined until the pipeline has set it: pino-http makes a child logger (serializing its bindings) for
    // every truthy value, at the request's start and again at its end.
    customProps: (_req, res) => {
      const graphql = operationLogs.get(res);
      return (graphql ? { graphql } : undefined) as object; // pino-http's types say object; its code skips a falsy one
    },
    // SOAP 1.1 sends every fault with HTTP 500: one that is the client's doing is not a server error. A level the
    // logger does not write is 'silent', which pino-http takes as "skip the line": otherwise it builds the line's
    // child logger and bindings, serialized, to write nothing (measured in docs/performance.md).
    customLogLevel: (req, res, err) => {
      const level = err || (res.statusCode >= 500 && !clientFaults.has(req)) ? 'error' : 'info';
      return logger.isLevelEnabled(level) ? level : 'silent';
    },
    serializers: {
      req: (req) => ({ id: req.id, method: req.method, url: req.url }),
      res: (res) => ({ statusCode: res.statusCode }),
    },
  });

  const replay = redisUrl
    ? redisReplayStore(redisUrl, `${config.cache.keyPrefix}event-signature:`, config.events.redisTimeoutMs, logger)
    : memoryReplayStore();
  const verifier = eventVerifier({
    secrets: config.events.secrets,
    toleranceSeconds: config.events.toleranceSeconds,
    replay,
  });
  const intake = eventIntake({ verifier, invalidator, bodyLimits });

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
    // Not ready once draining, whatever else holds: a load balancer must stop sending here.
    if (drain.draining) return void res.status(503).json({ status: 'draining' });
    // Ready even when a breaker is open or Redis is down: the gateway still answers, degraded, and says so.
    const [reachable, storeUp] = await Promise.all([cache.reachable(), store ? storeReachable(store) : undefined]);
    const runtime = holder.current;
    const breakers = runtime.sources.map((s) => ({ source: s.name, breaker: s.breakerState() }));
    // A store that does not answer means personal reads are refused (AUDIT_UNAVAILABLE): degraded, and said.
    const degraded = !reachable || storeUp === false || breakers.some((b) => b.breaker !== 'CLOSED');
    res.json({
      status: degraded ? 'degraded' : 'ok',
      cache: { backend: cache.kind, reachable },
      ...(store ? { store: { backend: store.kind, reachable: storeUp } } : {}),
      sources: breakers,
      // Which definitions this instance runs: every instance sharing Redis converges on the same version.
      definitions: { version: runtime.definitionsVersion, runtime: runtime.generation },
    });
  });
  app.get('/metrics', opsGuard, async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  if (marketing) {
    const customerEvents = customerEventIntake({ verifier, handler: marketing.handler, bodyLimits, logger });
    app.post('/events/network', (req, res, next) => void customerEvents(req, res).catch(next));
  }
  app.post('/events/:source', (req, res, next) => void intake(req, res, String(req.params.source)).catch(next));
  app.use(
    definitionsAdminRouter({
      store: definitions,
      authenticate: authenticator.authenticate,
      role: config.admin.role,
      logger,
      bodyLimits,
    }),
  );
  if (store)
    app.use(
      suppressionRouter({
        store,
        authenticate: authenticator.authenticate,
        role: config.admin.role,
        logger,
        bodyLimits,
      }),
    );
  if (store) {
    const route = auditRoute({
      store,
      authenticate: authenticator.authenticate,
      adminRole: config.audit.adminRole,
      logger,
    });
    app.get('/admin/audit', (req, res) => route(req, res));
  }
  app.use(GRAPHIQL_ASSETS_PATH, graphiqlAssets());
  app.use('/desk', deskRouter(options.demoConsumers));

  const page = graphiqlPage(SAMPLE_QUERY, options.graphiqlHeaders);
  const pageHeaders = htmlSecurityHeaders(page);
  // Each request reads the current runtime once and finishes on it, whatever is swapped in meanwhile.
  const graphql = (req: http.IncomingMessage, res: http.ServerResponse): void => holder.enter(res).graphql(req, res);
  const soapPost = (req: http.IncomingMessage, res: http.ServerResponse): void => holder.enter(res).soapPost(req, res);
  app.get('/graphql', (req, res, next) => {
    if (
      graphiql &&
      req.query.query === undefined &&
      req.accepts(['application/json', 'application/graphql-response+json', 'text/html']) === 'text/html'
    ) {
      return sendHtml(res, page, pageHeaders);
    }
    next();
  });
  app.use('/graphql', (req, res) => graphql(req, res));

  // Express matches paths without case and with a trailing slash: so does this test, before the runtime's router.
  const soapPath = SOAP_PATH.toLowerCase();
  app.use((req, res, next) =>
    req.path.replace(/\/+$/, '').toLowerCase() === soapPath ? holder.enter(res).soapRouter(req, res, next) : next(),
  );

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
    [SOAP_PATH, soapPost],
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
    get sources() {
      return holder.current.sources;
    },
    get runtime() {
      return holder.current;
    },
    definitions,
    cache,
    audit,
    authenticate: authenticator.authenticate,
    get pipeline() {
      return holder.current.pipeline;
    },
    marketing,
    url: '',
    listen: async () => {
      await holder.current.ready;
      // A restart comes back with the registered definitions before it takes its first request.
      await definitions.start();
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          const { port } = server.address() as AddressInfo;
          gateway.url = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
          marketing?.start();
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
      // Events from RabbitMQ in flight finish and are acked before the sources they use close.
      await marketing?.close();
      // Answers already sent had their records committed; this waits for those of requests that finished above.
      // Deliveries in progress finish first: their backend calls need the sources.
      await worker?.close();
      await Promise.all([
        ...holder.openSources().map((s) => s.close()),
        definitions.close(),
        invalidator.close(),
        cache.close(),
        replay.close(),
        audit?.close(),
        authenticator.close(),
        rateLimiter.close(),
      ]);
      return stats;
    },
  };
  return gateway;
}
