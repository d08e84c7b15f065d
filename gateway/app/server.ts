/**
 * The gateway, composed in one place (`createGateway`, small named steps): this file shows the whole request path.
 *
 *   request → request id + one log line (pino-http) → route
 *     POST /graphql   → straight to the GraphQL listener, without Express's router (the hot path)
 *     /graphql        → GraphiQL for browsers (not in production), else body limit / JSON → graphql-http
 *                     → the seam (pipeline/operation.ts) → the pipeline (pipeline/index.ts): identity → limits →
 *                       [no suggestions] → rights → [rate limit] → [answer cache] → execute → mask → [keep the
 *                       answer] → [audit] → log · metrics · Server-Timing · provenance
 *                     → resolvers → RequestContext.load (once per request)
 *                     → Source.load: coalescing → cache → bulkhead → breaker → retries → deadline → adapter → backend
 *                                    (stale-if-error when the backend fails)
 *     POST /soap/CustomerView → XML guard → node-soap → one operation through the same seam (inbound/soap/)
 *     GET /soap/CustomerView?wsdl → the WSDL, generated from the schema
 *     POST /events/network → signed → a customer event → rules (their view through the same seam, as an in-process
 *                       consumer) → at most one offer on a channel (marketing/)
 *     POST /events/replies → signed → a customer's reply (an SMS "Y", a push click) → the reply handler: recorded
 *                       once per replyId in the store, or the injected handler (marketing/responses/)
 *     /events/:source → signed (inbound/events/) → a backend's change event evicts what it makes stale, in every
 *                       instance (backends/invalidation.ts)
 *     /desk           → the front-desk page (web/desk/), a client of /graphql like any other
 *     /console        → the marketing console (web/console/), a client of the marketing API like any other
 *     GET /labels     → the label catalog (labels/), JSON with an ETag, no credential (no personal data)
 *     GET /admin/audit → authenticate (admin role) → the audit trail of one customer from the store (audit/)
 *     /admin/<kind>s  → authenticate (admin role) → versioned definitions: adapters, business rules (definitions/)
 *     /admin/suppressions → authenticate (admin role) → the suppression list of rule-triggered offers
 *     /healthz        → liveness;  /readyz → breakers, cache and store, 503 while draining;
 *     /metrics        → Prometheus (both: the ops token if one is set)
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
import { consolePage } from '../inbound/pages/console';
import { LABELS_PATH, labelsRoute } from '../inbound/pages/labels';
import { isProduction, type Consumer, type Pipeline } from '../pipeline';
import { createAuthenticator, hasOpsToken, type Authenticator } from '../pipeline/identity';
import type { Cache } from '../backends/cache/cache';
import { createDrain, type DrainStats } from './drain';
import { createInvalidator, type Invalidator } from '../backends/invalidation';
import { createMetrics, type Metrics } from '../metrics';
import { SOAP_PATH } from '../inbound/soap';
import { notedOf } from '../inbound/http/notes';
import type { BodyLimits } from '../inbound/http/body';
import { htmlSecurityHeaders, sendHtml } from '../inbound/http/headers';
import { eventIntake } from '../inbound/events/change-intake';
import { eventVerifier, type EventVerifier } from '../inbound/events/signature';
import { useRateLimit } from '../pipeline/rate-limit';
import { useAudit } from '../pipeline/audit';
import type { Source } from '../backends/source';
import { auditRoute } from '../audit/admin-route';
import { AuditSink } from '../audit/sink';
import { openStore, storeErrorForLog, storeReachable, type Store } from '../store';
import { schemaFile } from '../../schemas';
import {
  asksForCallback,
  callbackResolvers,
  type OriginNames,
  contactTimeResolvers,
  createCallbackTask,
  recordTouchpoint,
  startOutboxWorker,
  touchpointResolvers,
  type ContactWindowPolicy,
  type TouchpointDeps,
} from '../touchpoints';
import type { RecordTouchpoint } from '../marketing/channels/dispatcher';
import { customerEventIntake } from '../marketing/events/customer-intake';
import {
  configuredEventKinds,
  configuredRules,
  contactPolicyKind,
  createMarketing,
  policyFromQuietHours,
  eventKindKind,
  ruleKind,
  type Marketing,
} from '../marketing';
import {
  checkSteeringTable,
  DEFAULT_STEERING_TABLE,
  steeringExtension,
  steeringHolder,
  steeringKind,
  type SteeringHolder,
} from '../steering';
import { Source as BackendSource } from '../backends/source';
import { buildRuntime, RuntimeHolder, type Runtime, type RuntimeAdapter, type RuntimeShared } from '../runtime';
import { adapterKind } from '../runtime/adapter-kind';
import { audienceSources } from './audiences';
import { documentKind } from '../runtime/document-kind';
import { TrustedDocuments } from '../pipeline/documents';
import { DefinitionsStore } from '../definitions';
import { openSharedState, type SharedState } from './shared-state';
import { definitionsAdminRouter } from '../definitions/admin-router';
import { suppressionRouter } from '../marketing/channels/suppression-route';
import { campaignRouter } from '../marketing/campaigns/route';
import { exceptionRouter } from '../marketing/exceptions/route';
import { consoleRouter, ruleDraftKind } from '../marketing/console';
import { campaignReportResolvers } from '../marketing/campaigns';
import { recordAgentResponse } from '../marketing/campaigns/responses';
import { withheldField } from '../marketing/eligibility/withheld';
import {
  placeOrder,
  recordingReplyHandler,
  replyIntake,
  REPLIES_PATH,
  type Order,
  type OrderOutcome,
  type ReplyHandler,
} from '../marketing/responses';

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
  /**
   * Places an order through the protected path (marketing/responses/orders.ts): the `placeOrder` command of the
   * source offering it, once per idempotency key, never rejecting. Reads the runtime in force when called.
   */
  placeOrder(order: Order, idempotencyKey: string): Promise<OrderOutcome>;
  /** Base URL once listening, e.g. http://127.0.0.1:4000 */
  url: string;
  listen(): Promise<string>;
  /** True once close() has begun: /readyz answers 503 and every answer says `Connection: close`. */
  readonly draining: boolean;
  /** Closes the listener now, ahead of close() (drain.ts stopListening): workers behind one port do so first. */
  stopListening(): void;
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
   * Records a rule-triggered offer as a touchpoint (touchpoints/ `recordTouchpoint` with its deps bound).
   * Without it (or without a store or `marketing.channelsUrl`) event-triggered marketing is off: no /events/network.
   */
  recordTouchpoint?: RecordTouchpoint;
  /** The clock of campaigns (schedules, windows, response windows); tests inject one. Default: the system clock. */
  now?: () => Date;
  /**
   * What `POST /events/replies` hands each customer reply to (marketing/responses/: idempotent by replyId). Default,
   * with a store: `recordingReplyHandler`, which records it in `channel_replies`. Without either the route is absent.
   */
  replyHandler?: ReplyHandler;
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
    steering(service: "ITEMISED_BILL") { services { channel line { zh en } reason { code avoided } } }
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
    for (const role of ['count', 'page'] as const) {
      const command = adapter.audience?.[role];
      if (command !== undefined && !adapter.commands?.[command])
        throw new ConfigError(`adapter ${adapter.name}: audience.${role} names no command of it (${command})`);
    }
    return adapter;
  });
}

/** Opens the configured durable store: PGlite in `store.dataDir` (from the repository root), or PostgreSQL. */
export function openConfiguredStore(config: Readonly<GatewayConfig>): Promise<Store> {
  return openStore({ ...config.store, dataDir: path.resolve(ROOT, config.store.dataDir) });
}

/**
 * The gateway, composed top to bottom in small named steps; each step gets what the earlier ones made:
 *
 *   adapters (config) → shared state (Redis or memory, chosen once) → security (identity, rate limit, audit)
 *   → runtime (schema, sources, pipeline; swapped when a definition changes) → change events (invalidation)
 *   → definitions (adapters, rules) → touchpoints → marketing → routes (Express) → HTTP server (hot routes, drain)
 */
export function createGateway(config: Readonly<GatewayConfig>, options: GatewayOptions = {}): Gateway {
  const logger = options.logger ?? pino({ level: config.logLevel });
  const store = options.store;
  const adapters = loadConfiguredAdapters(config);
  const metrics = createMetrics();
  const shared = openSharedState(config, logger, metrics, ROOT);
  const guard = openSecurity(config, shared, store, metrics, logger);
  const bodyLimits = bodyLimitsOf(config);
  // The operations known in advance: the desk page's (read from the file the page reads), and the registered ones.
  const documents = TrustedDocuments.fromFile(path.join(ROOT, 'web', 'desk', 'operations.json'));
  let listeningUrl = '';
  const publicUrl = (): string => config.publicUrl?.replace(/\/+$/, '') ?? listeningUrl;

  // Recording contacts needs the store (touchpoints, outbox) and the configured adapter command that writes them;
  // a contact is recorded and delivered through the runtime in force at that moment (`live`).
  const live: { holder?: RuntimeHolder; invalidator?: Invalidator; marketing?: Marketing } = {};
  const touchpointDeps = touchpointsOf(config, adapters, store, metrics, logger, live);
  const steering = openSteering(config, shared, metrics, logger);
  // The quiet hours in force when a best contact time is computed: the contact policy once marketing runs.
  const configuredPolicy = policyFromQuietHours(config.marketing.quietHours);
  const quietHours = () => live.marketing?.contactPolicy.current ?? configuredPolicy;
  // A callback task names the campaign or rule that made its offer as defined when it is read.
  const originNames: OriginNames = {
    campaign: (id) => live.marketing?.campaigns.definition(id)?.campaign.name,
    rule: (id) => live.marketing?.rules.current.rules.find((r) => r.id === id)?.description,
  };
  const runtime = openRuntime(config, adapters, shared, guard, metrics, logger, {
    bodyLimits,
    publicUrl,
    touchpointDeps,
    documents,
    steering,
    quietHours,
    originNames,
  });
  const { holder, configured } = runtime;
  const invalidator = createInvalidator(
    () => holder.current.sources,
    shared.cache,
    metrics,
    logger,
    shared.redisUrl,
    config.cache.commandTimeoutMs,
  );
  Object.assign(live, { holder, invalidator });

  const definitions = new DefinitionsStore(shared.definitions, logger, config.admin.historyLimit);
  definitions.register(
    adapterKind({ holder, shared: runtime.shared, configured, admin: config.admin, graceMs: config.shutdown.graceMs }),
  );
  definitions.register(documentKind(documents, () => holder.current.schema));
  // The steering table is the definitions kind `steering` (/admin/steerings/default), over the configured one.
  definitions.register(steeringKind(steering.holder));
  const worker = touchpointDeps && config.touchpoints.outbox.enabled ? startOutboxWorker(touchpointDeps) : undefined;
  if (touchpointDeps) touchpointDeps.worker = worker;
  // An agent's outcome for an offer is the customer's response to the campaign or rule that made it; a CALLBACK is
  // also a task for the agent who recorded it (the consumer, whose key scope it is), due at the customer's best hour.
  if (touchpointDeps && store) {
    const callbacks = { store, settings: config.touchpoints.contactTime, policy: quietHours };
    touchpointDeps.onAgentContact = async (touchpoint, id) => {
      const madeBy = await recordAgentResponse(store, touchpoint, id).catch((err: unknown) => {
        logger.warn({ err: storeErrorForLog(err), touchpointId: id }, 'the response to an offer could not be recorded');
        return null;
      });
      if (!asksForCallback(touchpoint.response)) return;
      await createCallbackTask(callbacks, {
        touchpointId: id,
        assignee: touchpoint.scope ?? touchpoint.agentId ?? 'agents',
        customerId: touchpoint.customerId,
        channel: touchpoint.channel,
        offerCode: touchpoint.offerCode,
        madeBy,
      });
    };
  }
  const marketing = openMarketing(config, options, store, touchpointDeps, holder, invalidator, metrics, logger);
  live.marketing = marketing?.marketing;
  // A contact record the CRM refused for good is abnormal information: an exception to follow up.
  if (touchpointDeps && marketing) {
    const { exceptions } = marketing.marketing;
    touchpointDeps.onRejected = async (r) => {
      await exceptions.raise({
        cause: 'TOUCHPOINT_REJECTED',
        ref: r.touchpointId,
        customerId: r.customerId,
        detail: r,
      });
    };
  }
  // Business rules are the definitions kind `rule` (/admin/rules): the configured ones, and those registered on top.
  // Event kinds are the definitions kind `event-kind` (/admin/event-kinds), before rules: a rule is checked against them.
  if (marketing) definitions.register(eventKindKind(marketing.marketing, configuredEventKinds(config)));
  if (marketing)
    definitions.register(
      ruleKind(marketing.marketing, marketing.configuredRules, {
        pipeline: { run: (call) => holder.current.pipeline.run(call) },
        consumer: marketing.consumer,
      }),
    );
  // Quiet hours and contact windows are the definitions kind `contact-policy`, over the configured defaults.
  // Drafts of rules (the console's four eyes): kind `rule-draft`, checked like a rule, never run.
  if (marketing) definitions.register(ruleDraftKind(marketing.marketing));
  if (marketing) definitions.register(contactPolicyKind(marketing.marketing));
  // Campaigns to selected customers are the definitions kind `campaign` (/admin/campaigns); runs at /marketing/campaigns.
  if (marketing) definitions.register(marketing.marketing.campaigns.kind);

  const verifier = eventVerifier({
    secrets: config.events.secrets,
    toleranceSeconds: config.events.toleranceSeconds,
    replay: shared.replay,
  });
  let draining = (): boolean => false;
  const app = mountRoutes({
    config,
    options,
    store,
    metrics,
    logger,
    bodyLimits,
    holder,
    shared,
    definitions,
    authenticate: guard.authenticator.authenticate,
    verifier,
    invalidator,
    marketing: marketing?.marketing ?? null,
    draining: () => draining(),
  });
  const { server, drain } = httpServer(app, holder, requestLog(logger));
  draining = () => drain.draining;

  const gateway: Gateway = {
    app,
    get sources() {
      return holder.current.sources;
    },
    get runtime() {
      return holder.current;
    },
    definitions,
    cache: shared.cache,
    audit: guard.audit,
    authenticate: guard.authenticator.authenticate,
    get pipeline() {
      return holder.current.pipeline;
    },
    marketing: marketing?.marketing ?? null,
    placeOrder: (order, key) => placeOrder({ sources: holder.current.sources, invalidator, logger }, order, key),
    url: '',
    listen: async () => {
      await holder.current.ready;
      // A restart comes back with the registered definitions before it takes its first request.
      await definitions.start();
      return new Promise((resolve, reject) => {
        server.once('error', reject);
        server.listen(config.port, config.host, () => {
          const { port } = server.address() as AddressInfo;
          gateway.url = listeningUrl = `http://${config.host === '0.0.0.0' ? '127.0.0.1' : config.host}:${port}`;
          marketing?.marketing.start();
          resolve(gateway.url);
        });
      });
    },
    get draining() {
      return drain.draining;
    },
    stopListening: () => drain.stopListening(),
    close: async (graceMs = config.shutdown.graceMs) => {
      const stats = await drain.drain({ graceMs, delayMs: Math.min(config.shutdown.delayMs, graceMs) });
      logger.info({ drain: stats }, 'drained');
      // Events from RabbitMQ in flight finish and are acked before the sources they use close.
      await marketing?.marketing.close();
      // Answers already sent had their records committed; this waits for those of requests that finished above.
      // Deliveries in progress finish first: their backend calls need the sources.
      await worker?.close();
      await Promise.all([
        ...holder.openSources().map((s) => s.close()),
        steering.loadSource?.close(),
        definitions.close(),
        invalidator.close(),
        shared.close(),
        guard.audit?.close(),
        guard.authenticator.close(),
      ]);
      return stats;
    },
  };
  return gateway;
}

/** The configured adapters, loaded and checked: at most one is the customer directory. */
function loadConfiguredAdapters(config: Readonly<GatewayConfig>): AdapterDefinition[] {
  const adapters = loadAdapters(config);
  const directories = adapters.filter((a) => a.directory).map((a) => a.name);
  if (directories.length > 1)
    throw new ConfigError(`adapters: at most one may be the customer directory, got ${directories.join(', ')}`);
  return adapters;
}

function bodyLimitsOf(config: Readonly<GatewayConfig>): BodyLimits {
  const { maxBodyBytes, maxInflatedBodyBytes, bodyIdleTimeoutMs, bodyTimeoutMs } = config.limits;
  return {
    maxBytes: maxBodyBytes,
    maxInflatedBytes: maxInflatedBodyBytes,
    idleTimeoutMs: bodyIdleTimeoutMs,
    timeoutMs: bodyTimeoutMs,
  };
}

/**
 * Channel steering: the table in force (the configured one, checked here so a bad one stops the start with its
 * path; a registered `steering` definition replaces it later) and the channel systems' load, read through a source
 * of its own (the protected path: cache, breaker, deadline) that is not one of the view's sections.
 */
function openSteering(
  config: Readonly<GatewayConfig>,
  state: SharedState,
  metrics: Metrics,
  logger: Logger,
): { holder: SteeringHolder; loadSource: BackendSource | null } {
  const checked = checkSteeringTable(config.steering.table ?? DEFAULT_STEERING_TABLE);
  if (!checked.ok)
    throw new ConfigError(
      `invalid steering table in ${config.steering.table === undefined ? 'the default table' : 'steering.table'}:\n${checked.problems
        .map((p) => `  - steering.table.${p.path}: ${p.message}${p.given === undefined ? '' : ` (got ${p.given})`}`)
        .join('\n')}`,
    );
  const entry = config.steering.load;
  let loadSource: BackendSource | null = null;
  if (entry) {
    const [adapter] = loadAdapters({ ...config, adapters: [entry] } as GatewayConfig);
    if (!adapter?.resources.load)
      throw new ConfigError(`steering.load: adapter ${entry.name} has no resource "load" (the channels' load)`);
    loadSource = new BackendSource(adapter, entry, { cache: state.cache, metrics, logger });
  }
  return { holder: steeringHolder(checked.table), loadSource };
}

/** Who calls (identity), how much (rate limit) and what was read (the audit trail, with a store). */
function openSecurity(
  config: Readonly<GatewayConfig>,
  shared: SharedState,
  store: Store | undefined,
  metrics: Metrics,
  logger: Logger,
) {
  const authenticator = createAuthenticator(config.security, {
    logger,
    nonces: shared.nonces,
    throttle: shared.loginThrottle,
  });
  const audit = store && config.audit.enabled ? new AuditSink(store, { ...config.audit, metrics, logger }) : null;
  return {
    authenticator,
    audit,
    rateLimit: useRateLimit<GatewayContext>(shared.rateLimiter, metrics.rateLimited),
    auditPlugin: audit ? useAudit<GatewayContext>(audit, { notPersonalData: config.audit.notPersonalData }) : undefined,
  };
}

/** Recording contacts: the store and the configured adapter command that writes them, or nothing. */
function touchpointsOf(
  config: Readonly<GatewayConfig>,
  adapters: readonly AdapterDefinition[],
  store: Store | undefined,
  metrics: Metrics,
  logger: Logger,
  live: { holder?: RuntimeHolder; invalidator?: Invalidator },
): TouchpointDeps | undefined {
  const recorder = adapters.find(
    (a) => a.name === config.touchpoints.source && a.commands?.[config.touchpoints.command],
  );
  if (!store || !recorder) return undefined;
  const notYet = (): never => {
    throw new Error('a contact was recorded before the gateway was composed');
  };
  return {
    store,
    get sources() {
      return live.holder?.current.sources ?? notYet();
    },
    get invalidator() {
      return live.invalidator ?? notYet();
    },
    metrics,
    logger,
    settings: config.touchpoints.outbox,
    touchpoints: config.touchpoints,
  };
}

/**
 * Everything schema-bound is the runtime's (gateway/runtime/): built here from the configured adapters, rebuilt
 * and swapped in whenever a registered definition changes. What it shares (identity, rate limits, audit, cache)
 * is built once.
 */
function openRuntime(
  config: Readonly<GatewayConfig>,
  adapters: readonly AdapterDefinition[],
  state: SharedState,
  guard: ReturnType<typeof openSecurity>,
  metrics: Metrics,
  logger: Logger,
  more: {
    bodyLimits: BodyLimits;
    publicUrl: () => string;
    touchpointDeps: TouchpointDeps | undefined;
    documents: TrustedDocuments;
    steering: ReturnType<typeof openSteering>;
    quietHours: () => ContactWindowPolicy;
    originNames: OriginNames;
  },
) {
  const { bodyLimits, publicUrl, touchpointDeps, documents } = more;
  const steering = steeringExtension(more.steering.holder, more.steering.loadSource);
  const shared: RuntimeShared = {
    config,
    cache: state.cache,
    metrics,
    logger,
    authenticator: guard.authenticator,
    rateLimit: guard.rateLimit,
    audit: guard.auditPlugin,
    bodyLimits,
    publicUrl,
    documents,
    // Steering, computed from the view's sections; each recommendation checked by the one eligibility check
    // (withheld, with the reason); with a store, recording contacts (touchpoints) and reading the
    // closed loop of campaigns and rules.
    schemaExtension: {
      typeDefs: [
        steering.typeDefs,
        ...(touchpointDeps
          ? [
              schemaFile('touchpoints.graphql'),
              schemaFile('campaigns.graphql'),
              schemaFile('contact-time.graphql'),
              schemaFile('callbacks.graphql'),
            ]
          : []),
      ],
      resolvers: [
        steering.resolvers,
        ...(touchpointDeps
          ? [
              touchpointResolvers(touchpointDeps),
              campaignReportResolvers(touchpointDeps.store),
              contactTimeResolvers({
                store: touchpointDeps.store,
                settings: config.touchpoints.contactTime,
                policy: more.quietHours,
              }),
              callbackResolvers({ store: touchpointDeps.store, names: more.originNames }),
            ]
          : []),
      ],
      // bestContactTime reads no section: it is the gateway's own, from the store.
      reads: { ...steering.reads, ...(touchpointDeps ? { bestContactTime: [] } : {}) },
      derived: [withheldField],
    },
  };
  const configured: RuntimeAdapter[] = adapters.map((adapter, i) => ({
    adapter,
    entry: config.adapters[i] as GatewayConfig['adapters'][number],
    fingerprint: `config:${JSON.stringify(config.adapters[i])}`,
    origin: 'config',
  }));
  return { shared, configured, holder: new RuntimeHolder(buildRuntime(shared, configured, 0)) };
}

/**
 * Event-triggered marketing, when the gateway has a store, a touchpoint recorder and `marketing.channelsUrl`. The
 * configured rules are checked at start even while marketing is off, so a bad one never waits to be found.
 */
function openMarketing(
  config: Readonly<GatewayConfig>,
  options: GatewayOptions,
  store: Store | undefined,
  touchpointDeps: TouchpointDeps | undefined,
  holder: RuntimeHolder,
  invalidator: Invalidator,
  metrics: Metrics,
  logger: Logger,
): { marketing: Marketing; configuredRules: ReturnType<typeof configuredRules>; consumer: Consumer } | null {
  const rules = configuredRules(config);
  // Rule-triggered offers are recorded like agents' contacts (touchpoints/, the CRM's command and the outbox),
  // unless a caller gives another recorder.
  const record: RecordTouchpoint | undefined =
    options.recordTouchpoint ??
    (touchpointDeps ? (touchpoint, key) => recordTouchpoint(touchpointDeps, touchpoint, key) : undefined);
  if (!store || !record || !config.marketing.channelsUrl) return null;
  const role = config.marketing.role;
  if (!Object.hasOwn(config.security.roles, role))
    throw new ConfigError(`marketing.role: expected a role of security.roles, got "${role}"`);
  const consumer: Consumer = { id: 'ucv-rules', name: 'business rules', role, via: 'internal' };
  const marketing = createMarketing({
    config,
    store,
    schema: () => holder.current.schema,
    // The runtime in force when a view is loaded: a swap changes the schema, the sources and the pipeline.
    pipeline: { run: (call) => holder.current.pipeline.run(call) },
    consumer,
    ...audienceSources(() => holder.current.sources),
    placeOrder: (order, key) => placeOrder({ sources: holder.current.sources, invalidator, logger }, order, key),
    now: options.now,
    recordTouchpoint: record,
    registry: metrics.registry,
    logger,
  });
  return { marketing, configuredRules: rules, consumer };
}

/** One log line per request, with its id (given by the caller or made here, sent back and on to every backend). */
function requestLog(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: (req, res) => {
      const given = req.headers['x-request-id'];
      const id = typeof given === 'string' && /^[\w.:-]{1,128}$/.test(given) ? given : randomUUID();
      res.setHeader('x-request-id', id);
      return id;
    },
    // Undefined until the pipeline has noted it: pino-http makes a child logger (serializing its bindings) for
    // every truthy value, at the request's start and again at its end.
    customProps: (_req, res) => {
      const graphql = notedOf(res)?.operation;
      return (graphql ? { graphql } : undefined) as object; // pino-http's types say object; its code skips a falsy one
    },
    // SOAP 1.1 sends every fault with HTTP 500: one that is the client's doing is not a server error. A level the
    // logger does not write is 'silent', which pino-http takes as "skip the line": otherwise it builds the line's
    // child logger and bindings, serialized, to write nothing (measured in docs/performance.md).
    customLogLevel: (_req, res, err) => {
      const level = err || (res.statusCode >= 500 && !notedOf(res)?.clientFault) ? 'error' : 'info';
      return logger.isLevelEnabled(level) ? level : 'silent';
    },
    serializers: {
      req: (req) => ({ id: req.id, method: req.method, url: req.url }),
      res: (res) => ({ statusCode: res.statusCode }),
    },
  });
}

interface RouteDeps {
  config: Readonly<GatewayConfig>;
  options: GatewayOptions;
  store: Store | undefined;
  metrics: Metrics;
  logger: Logger;
  bodyLimits: BodyLimits;
  holder: RuntimeHolder;
  shared: SharedState;
  definitions: DefinitionsStore;
  authenticate: Authenticator['authenticate'];
  verifier: EventVerifier;
  invalidator: Invalidator;
  marketing: Marketing | null;
  /** True once the drain has begun. */
  draining(): boolean;
}

/** Every route but the two hot ones' fast path (httpServer): operations, events, the admin API, pages. */
function mountRoutes(deps: RouteDeps): express.Express {
  const { config, store, metrics, logger, bodyLimits, holder, shared, definitions, authenticate } = deps;
  const { security } = config;
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
    if (deps.draining()) return void res.status(503).json({ status: 'draining' });
    // Ready even when a breaker is open or Redis is down: the gateway still answers, degraded, and says so.
    const [reachable, storeUp] = await Promise.all([
      shared.cache.reachable(),
      store ? storeReachable(store) : undefined,
    ]);
    const runtime = holder.current;
    const breakers = runtime.sources.map((s) => ({ source: s.name, breaker: s.breakerState() }));
    // A store that does not answer means personal reads are refused (AUDIT_UNAVAILABLE): degraded, and said.
    const degraded = !reachable || storeUp === false || breakers.some((b) => b.breaker !== 'CLOSED');
    res.json({
      status: degraded ? 'degraded' : 'ok',
      cache: { backend: shared.cache.kind, reachable },
      ...(store ? { store: { backend: store.kind, reachable: storeUp } } : {}),
      sources: breakers,
      // Which definitions this instance runs: every instance sharing Redis converges on the same version.
      definitions: { version: runtime.definitionsVersion, runtime: runtime.generation },
    });
  });
  app.get('/metrics', opsGuard, async (_req, res) => {
    res.type(metrics.registry.contentType).send(await metrics.registry.metrics());
  });
  if (deps.marketing) {
    const customerEvents = customerEventIntake({
      verifier: deps.verifier,
      handler: deps.marketing.handler,
      kinds: deps.marketing.eventKinds,
      bodyLimits,
      logger,
    });
    app.post('/events/network', (req, res, next) => void customerEvents(req, res).catch(next));
  }
  // Customers' replies, before /events/:source would take the path for a backend's change event.
  // Given by the caller; else, with campaigns, kept and acted on; else, with a store, kept.
  const replyHandler =
    deps.options.replyHandler ?? deps.marketing?.replyHandler ?? (store ? recordingReplyHandler(store) : undefined);
  if (replyHandler) {
    const replies = replyIntake({
      verifier: deps.verifier,
      handler: replyHandler,
      bodyLimits,
      logger,
      registry: metrics.registry,
    });
    app.post(REPLIES_PATH, (req, res, next) => void replies(req, res).catch(next));
  }
  const intake = eventIntake({ verifier: deps.verifier, invalidator: deps.invalidator, bodyLimits });
  app.post('/events/:source', (req, res, next) => void intake(req, res, String(req.params.source)).catch(next));
  const admin = { authenticate, role: config.admin.role, logger, bodyLimits };
  app.use(definitionsAdminRouter({ store: definitions, ...admin }));
  if (store) {
    app.use(suppressionRouter({ store, ...admin }));
    if (deps.marketing)
      app.use(
        campaignRouter({
          ...admin,
          campaigns: deps.marketing.campaigns,
          store,
          launchRoles: config.marketing.campaigns.launchRoles,
          readRoles: config.marketing.campaigns.readRoles,
        }),
      );
    // The marketing console's rules (drafts, four eyes, dry runs, sentences) and its lists.
    if (deps.marketing)
      app.use(
        consoleRouter({
          ...admin,
          definitions,
          marketing: deps.marketing,
          authorRoles: config.marketing.console.authorRoles,
          approverRoles: config.marketing.console.approverRoles,
          readRoles: config.marketing.campaigns.readRoles,
        }),
      );
    // The queue of abnormal information: read and followed up by those who read the marketing reports.
    if (deps.marketing)
      app.use(
        exceptionRouter({
          ...admin,
          exceptions: deps.marketing.exceptions,
          roles: config.marketing.campaigns.readRoles,
        }),
      );
    const route = auditRoute({ store, authenticate, adminRole: config.audit.adminRole, logger });
    app.get('/admin/audit', (req, res) => route(req, res));
  }
  app.use(GRAPHIQL_ASSETS_PATH, graphiqlAssets());
  app.use('/desk', deskRouter(deps.options.demoConsumers));
  app.use('/console', consolePage());
  // The label catalog: reference data, the same for everyone, no personal data (see pages/labels.ts).
  app.get(LABELS_PATH, labelsRoute);

  const graphiql = security.graphiql ?? !isProduction();
  const page = graphiqlPage(SAMPLE_QUERY, deps.options.graphiqlHeaders);
  const pageHeaders = htmlSecurityHeaders(page);
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
  // Each request reads the current runtime once and finishes on it, whatever is swapped in meanwhile.
  app.use('/graphql', (req, res) => holder.enter(res).graphql(req, res));
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
  return app;
}

/**
 * The HTTP server: each request is tracked by the drain and logged, then routed. The hot routes, POST /graphql and
 * POST /soap/CustomerView, skip Express's router: measured on a precomputed answer, Express 5's routing held a
 * server to a third of what the same handler does without it. Every other request, and these paths in any other
 * spelling, go through Express, which mounts the same listeners.
 */
function httpServer(app: express.Express, holder: RuntimeHolder, logRequest: ReturnType<typeof requestLog>) {
  type Listener = (req: http.IncomingMessage, res: http.ServerResponse) => void;
  const hotRoutes = new Map<string, Listener>([
    ['/graphql', (req, res) => holder.enter(res).graphql(req, res)],
    [SOAP_PATH, (req, res) => holder.enter(res).soapPost(req, res)],
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
  return { server, drain };
}
