/**
 * Event-triggered marketing, composed in one place (docs/event-marketing.md):
 *
 *   POST /events/network (signed) ─┐
 *   RabbitMQ queue (manual ack)   ─┴→ event schema → handler (events/handler.ts): idempotent by event id
 *      → rules (rules/: json-rules-engine; the view loaded through the pipeline as the marketing role, joined and
 *        capped per second) → dispatcher (channels/: suppression, caps, quiet hours, preferred channel)
 *      → channel gateway → touchpoint (injected recordTouchpoint)
 *
 * The server wires the routes; this file builds the parts and owns their lifecycle.
 */
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createDispatcher, type RecordTouchpoint } from './channels/dispatcher';
import { ConfigError, type GatewayConfig } from '../config';
import { startAmqpIntake, type AmqpIntake } from './events/amqp-intake';
import { createEventHandler, type EventHandler } from './events/handler';
import type { Consumer, Pipeline } from '../pipeline';
import { DefinitionRefused, singleNameProblems, type DefinitionKind, type Problem } from '../definitions';
import {
  dryRun,
  kindsOf,
  sampleEvents,
  validate,
  viewPathsOf,
  type DryRunResult,
  type RuleContext,
  type RuleDefinition,
} from './rules/definition';
import type { GraphQLSchema } from 'graphql';
import { and, desc, eq, inArray } from 'drizzle-orm';
import {
  DEFAULT_EVENT_KINDS,
  EventKindSchema,
  eventKindProblems,
  eventKindsHolder,
  kindFields,
  type EventKind,
  type EventKinds,
} from './events/event-kind';
import type { CustomerEvent } from './events/customer-event';
import { createHistory } from './history';
import { createExceptions, type Exceptions } from './exceptions';
import { viewCatalog } from './rules/fields';
import { historyKinds, type RuleCatalog } from './rules/when';
import { customerEventHistory } from '../store/schema';
import { preferredChannel } from './channels/preference';
import {
  ContactPolicySchema,
  contactPolicyHolder,
  policyFromQuietHours,
  type ContactPolicyHolder,
} from './channels/contact-policy';
import { problemsOf } from '../runtime/declarative';
import { ruleSetHolder, type RuleSetHolder } from './rules/rule-set';
import { createViewLoader, ruleViewQuery, type ViewLoader } from './rules/view';
import type { Store } from '../store';
import {
  createCampaignRunner,
  createCampaigns,
  type AudienceCheck,
  type AudienceSources,
  type Campaigns,
} from './campaigns';
import type { CampaignRunner } from './campaigns/runner';
import { campaignReplyHandler, type PlaceOrder } from './campaigns/responses';
import type { ReplyHandler } from './responses';

export interface Marketing {
  readonly handler: EventHandler;
  readonly rules: RuleSetHolder;
  /** The event kinds in force (configured, then registered over them: eventKindKind). */
  readonly eventKinds: EventKinds;
  /** What rules may test now: the event kinds' fields and the view's, from the schema in force. */
  catalog(): RuleCatalog;
  /** Abnormal information to follow up (exceptions/): unknown customers, refused messages, failed orders. */
  readonly exceptions: Exceptions;
  /** The customers' event history and the time zone conditions over time read. */
  readonly ruleContext: RuleContext;
  /** The rules' store: the last events recorded, newest first (of the kinds given, or all), for dry runs. */
  recentEvents(kinds: readonly string[], limit: number, customerId?: string): Promise<CustomerEvent[]>;
  readonly views: ViewLoader;
  /** The contact policy in force: the registered `contact-policy` (contactPolicyKind), else marketing.quietHours. */
  readonly contactPolicy: ContactPolicyHolder;
  /** Campaigns to selected customers: the kind `campaign`, their runs and reports (campaigns/). */
  readonly campaigns: Campaigns;
  readonly campaignRunner: CampaignRunner;
  /** What `POST /events/replies` hands each reply to: kept, recorded against its campaign, acted on (campaigns/responses.ts). */
  readonly replyHandler: ReplyHandler;
  /** Starts the RabbitMQ intake when configured, and the campaign loop (after the gateway listens). */
  start(): void;
  readonly amqp: AmqpIntake | null;
  close(): Promise<void>;
}

export interface MarketingDeps {
  config: Readonly<GatewayConfig>;
  store: Store;
  /** The seam of the runtime in force when a view is loaded (a swap changes the schema, sources and plugins). */
  pipeline: Pick<Pipeline, 'run'>;
  /** The in-process consumer (the marketing role) the rules' view loads run as. */
  consumer: Consumer;
  /** The schema in force: the view's fields rules may test (registered sections included). */
  schema: () => GraphQLSchema;
  recordTouchpoint: RecordTouchpoint;
  registry: Registry;
  logger: Logger;
  /** The audience extraction a campaign names (the runtime's sources that offer one). */
  audiences: AudienceSources;
  /** The problems of a campaign's audience conditions, against its source's fields. */
  checkAudience: AudienceCheck;
  /** The clock of campaigns (tests inject one). */
  now?: () => Date;
  /** Places an order through the protected path (responses/orders.ts), for a "Y" to an offer confirmed by SMS. */
  placeOrder: PlaceOrder;
}

/** The configured quiet hours as the contact policy in force before one is registered. */
export { policyFromQuietHours };

/** The event kinds of `marketing.eventKinds` (the built-in ones when absent), validated; a bad one is a configuration error. */
export function configuredEventKinds(config: Readonly<GatewayConfig>): EventKind[] {
  const given = config.marketing.eventKinds;
  if (given === undefined) return [...DEFAULT_EVENT_KINDS];
  return given.map((input, i) => {
    const problems = eventKindProblems(input);
    if (problems.length > 0)
      throw new ConfigError(`marketing.eventKinds[${i}]: ${problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    return EventKindSchema.parse(input);
  });
}

/** The rules of `marketing.rules`, validated; a bad one is a configuration error naming its path. */
export function configuredRules(config: Readonly<GatewayConfig>): RuleDefinition[] {
  return config.marketing.rules.map((input, i) => {
    const checked = validate(input);
    if (!checked.ok)
      throw new ConfigError(
        `marketing.rules[${i}]: ${checked.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      );
    return checked.rule;
  });
}

export function createMarketing(deps: MarketingDeps): Marketing {
  const { config, logger, registry } = deps;
  const settings = config.marketing;
  if (!settings.channelsUrl)
    throw new ConfigError('marketing.channelsUrl: expected the channel gateway URL (or UCV_CHANNELS_URL)');
  const eventKinds = eventKindsHolder(configuredEventKinds(config));
  const ruleContext: RuleContext = {
    history: createHistory(deps.store, settings.quietHours.timeZone),
    timeZone: settings.quietHours.timeZone,
  };
  const role = config.security.roles[settings.role];
  // Made once per schema and set of kinds (a walk of the schema's Customer type), not on every rule check or sentence.
  let made: { schema: GraphQLSchema; kinds: number; catalog: RuleCatalog } | undefined;
  const catalog = (): RuleCatalog => {
    const schema = deps.schema();
    if (made?.schema !== schema || made.kinds !== eventKinds.version)
      made = {
        schema,
        kinds: eventKinds.version,
        catalog: {
          kinds: new Map(eventKinds.types().map((t) => [t, eventKinds.get(t)?.fields ?? {}])),
          view: viewCatalog(schema, role),
        },
      };
    return made.catalog;
  };
  const configured = configuredRules(config);
  // The configured rules against what is in force at start: a field no kind or section has is a configuration error.
  configured.forEach((rule, i) => {
    const checked = validate(rule, catalog());
    if (!checked.ok)
      throw new ConfigError(
        `marketing.rules[${i}]: ${checked.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`,
      );
  });
  const rules = ruleSetHolder(configured, ruleContext);
  const views = createViewLoader({
    pipeline: deps.pipeline,
    consumer: deps.consumer,
    query: () => rules.current.viewQuery,
    loadsPerSecond: settings.viewLoadsPerSecond,
    maxWaiting: settings.maxWaitingViewLoads,
    registry,
  });
  const contactPolicy = contactPolicyHolder(policyFromQuietHours(settings.quietHours));
  const dispatcher = createDispatcher({
    store: deps.store,
    channelsUrl: settings.channelsUrl.replace(/\/+$/, ''),
    timeoutMs: settings.channelTimeoutMs,
    caps: settings.caps,
    policy: contactPolicy,
    recordTouchpoint: deps.recordTouchpoint,
    logger,
    registry,
  });
  const exceptions = createExceptions(deps.store, { registry, now: deps.now });
  const handler = createEventHandler({
    store: deps.store,
    exceptions,
    rules,
    views,
    dispatcher,
    history: ruleContext.history,
    logger,
    registry,
  });
  const c = settings.campaigns;
  const campaignRunner = createCampaignRunner({
    store: deps.store,
    pipeline: () => deps.pipeline,
    consumer: { ...deps.consumer, id: 'ucv-campaigns', name: 'campaigns' },
    audiences: deps.audiences,
    channelsUrl: settings.channelsUrl.replace(/\/+$/, ''),
    channelTimeoutMs: settings.channelTimeoutMs,
    caps: settings.caps,
    policy: contactPolicy,
    recordTouchpoint: deps.recordTouchpoint,
    logger,
    registry,
    batchSize: c.batchSize,
    leaseMs: c.leaseMs,
    pageSize: c.pageSize,
    idleMs: c.idleMs,
    bestTimeRecheckMs: c.bestTimeRecheckMs,
    now: deps.now,
  });
  const campaigns = createCampaigns({
    store: deps.store,
    audiences: deps.audiences,
    checkAudience: deps.checkAudience,
    now: deps.now,
    preview: (campaign, ids) => campaignRunner.preview(campaign, ids),
  });
  let amqp: AmqpIntake | null = null;
  const h = customerEventHistory;
  return {
    handler,
    rules,
    eventKinds,
    catalog,
    ruleContext,
    exceptions,
    async recentEvents(kinds, limit, customerId) {
      const filters = [
        ...(kinds.length ? [inArray(h.type, [...kinds])] : []),
        ...(customerId ? [eq(h.customerId, customerId)] : []),
      ];
      const rows = await deps.store.db
        .select()
        .from(h)
        .where(filters.length ? and(...filters) : undefined)
        .orderBy(desc(h.at))
        .limit(limit);
      return rows.map((r) => ({
        version: 1 as const,
        id: r.eventId,
        customerId: r.customerId,
        type: r.type,
        at: r.at.toISOString(),
        data: r.data as Record<string, unknown>,
      }));
    },
    views,
    contactPolicy,
    campaigns,
    campaignRunner,
    replyHandler: campaignReplyHandler({
      store: deps.store,
      placeOrder: deps.placeOrder,
      channelsUrl: settings.channelsUrl.replace(/\/+$/, ''),
      channelTimeoutMs: settings.channelTimeoutMs,
      logger,
      exceptions,
    }),
    get amqp() {
      return amqp;
    },
    start() {
      const a = settings.amqp;
      if (a.url && !amqp) amqp = startAmqpIntake({ ...a, url: a.url, handler, kinds: eventKinds, logger, registry });
      campaignRunner.start();
    },
    close: async () => {
      await campaignRunner.close();
      await amqp?.close();
    },
  };
}

/**
 * What a rule's dry run is given: a sample customer (by id or mobile number) whose real view the rule's sample
 * events are evaluated against, and/or the last N real events (of the kinds the rule is on; that customer's only,
 * when one is given), each against its own customer's view.
 */
export interface RuleDryRunInput {
  customerId?: string;
  msisdn?: string;
  lastEvents?: number;
}

const CUSTOMER_ID = /^[\w-]{1,64}$/;
const MSISDN = /^1\d{10}$/;
/** At most this many real events are replayed by one dry run. */
export const MAX_DRY_RUN_EVENTS = 50;

/** The dry run's input, or its problems at their paths (`input.customerId`), like a refused definition's. */
export function dryRunInput(input: unknown): { ok: true; input: RuleDryRunInput } | { ok: false; problems: Problem[] } {
  const given = input !== null && typeof input === 'object' ? (input as Record<string, unknown>) : {};
  const problems: Problem[] = [];
  const out: RuleDryRunInput = {};
  if (given.customerId !== undefined) {
    if (typeof given.customerId === 'string' && CUSTOMER_ID.test(given.customerId)) out.customerId = given.customerId;
    else
      problems.push({
        path: 'input.customerId',
        message: '1 to 64 letters, digits, "-" or "_", e.g. C00000027',
        given: String(given.customerId).slice(0, 80),
      });
  }
  if (given.msisdn !== undefined) {
    if (typeof given.msisdn === 'string' && MSISDN.test(given.msisdn)) out.msisdn = given.msisdn;
    else
      problems.push({
        path: 'input.msisdn',
        message: '11 digits starting with 1, e.g. 13800138000',
        given: String(given.msisdn).slice(0, 80),
      });
  }
  if (given.lastEvents !== undefined) {
    const n = given.lastEvents;
    if (typeof n === 'number' && Number.isInteger(n) && n >= 1 && n <= MAX_DRY_RUN_EVENTS) out.lastEvents = n;
    else
      problems.push({
        path: 'input.lastEvents',
        message: `how many of the last real events to replay: 1 to ${MAX_DRY_RUN_EVENTS}`,
        given: String(n).slice(0, 80),
      });
  }
  if (problems.length === 0 && out.customerId === undefined && out.msisdn === undefined && out.lastEvents === undefined)
    problems.push({
      path: 'input.customerId',
      message:
        'required: a sample customer ({ "customerId": "C00000027" } or { "msisdn": "13800138000" }) and/or the last real events ({ "lastEvents": 10 })',
    });
  return problems.length ? { ok: false, problems } : { ok: true, input: out };
}

/** The customer id of a mobile number, read through the seam as the rules' consumer; null when none has it. */
async function customerIdOf(
  pipeline: Pick<Pipeline, 'run'>,
  consumer: Consumer,
  msisdn: string,
): Promise<string | null> {
  const outcome = await pipeline.run({
    facade: 'internal',
    requestId: `rules-dry-run-${msisdn}`,
    caller: { consumer },
    query: 'query DryRunCustomer($msisdn: String!) { customerByMsisdn(msisdn: $msisdn) { id } }',
    variables: { msisdn },
  });
  if (outcome.kind !== 'result') return null;
  const data = outcome.result.data as { customerByMsisdn?: { id: string } | null } | null | undefined;
  return data?.customerByMsisdn?.id ?? null;
}

/**
 * Rules as kind `rule` of the definitions store (gateway/definitions/): `/admin/rules` is the generic admin API.
 *
 *   validate  the rule's own problems with their paths, every condition checked against the catalog in force (the
 *             event kinds' fields and the view's), and `id` must be the name in the URL
 *   dryRun    what the rule would do for a sample customer's sample events and/or the last real events, each
 *             condition as judged, against the real view (loaded through the pipeline as the marketing role) and
 *             the real history; nothing is sent or recorded, no cap is counted
 *   apply     the rules in force = the configured ones (`marketing.rules`) not overridden by a registered rule of the
 *             same id + every registered one, compiled and swapped in whole (rules/rule-set.ts)
 *
 * Deleting a registered rule removes it; when it overrode a configured rule, the configured one is in force again.
 * A configured rule is not a registered definition: it cannot be deleted through the API (404 says so); put a rule
 * of its id with `"enabled": false` to switch it off. `inForce` lists every rule in force with its definition, so
 * configured rules can be read too.
 */
export function ruleKind(
  marketing: Pick<Marketing, 'rules' | 'views' | 'catalog' | 'eventKinds' | 'ruleContext' | 'recentEvents'>,
  configured: readonly RuleDefinition[],
  seam?: { pipeline: Pick<Pipeline, 'run'>; consumer: Consumer },
): DefinitionKind {
  const configuredIds = new Set(configured.map((r) => r.id));
  /** The ids of the registered rules in force (the last set applied). */
  let registeredIds = new Set<string>();
  const problemsOf = (definition: unknown, name: string): Problem[] => {
    const checked = validate(definition, marketing.catalog());
    if (!checked.ok) return checked.problems;
    return checked.rule.id === name ? [] : [{ path: 'id', message: `must be "${name}", the name in the path` }];
  };
  return {
    kind: 'rule',
    validate: problemsOf,
    async dryRun(definition, input, name): Promise<DryRunResult & { customerId?: string }> {
      const problems = problemsOf(definition, name);
      const given = dryRunInput(input);
      if (!given.ok) problems.push(...given.problems);
      const checked = validate(definition, marketing.catalog());
      if (problems.length > 0 || !checked.ok || !given.ok) throw new DefinitionRefused(problems);
      let customerId = given.input.customerId;
      if (given.input.msisdn !== undefined) {
        const found = seam ? await customerIdOf(seam.pipeline, seam.consumer, given.input.msisdn) : null;
        if (!found)
          throw new DefinitionRefused([
            { path: 'input.msisdn', message: 'no customer has this mobile number', given: given.input.msisdn },
          ]);
        customerId = found;
      }
      const kinds = kindsOf(checked.rule);
      const events: CustomerEvent[] = [];
      if (given.input.lastEvents !== undefined)
        events.push(...(await marketing.recentEvents(kinds, given.input.lastEvents, customerId)));
      else if (customerId !== undefined) {
        const types = kinds.length ? kinds : marketing.eventKinds.types();
        const shapes = types.flatMap((t) => {
          const kind = marketing.eventKinds.get(t)?.kind;
          return kind
            ? [
                {
                  type: t,
                  properties: kind.data.properties as Record<string, { type: string; enum?: string[] }>,
                  required: kind.data.required ?? [],
                },
              ]
            : [];
        });
        events.push(...sampleEvents(customerId, shapes));
      }
      const result = await dryRun(checked.rule, events, {
        // The rule tried is not in force: its view fields are added to what the rules in force select, or a
        // condition over a field no rule in force reads would be judged on a view without it.
        loadView: (id) =>
          marketing.views.load(
            id,
            ruleViewQuery([...new Set([...marketing.rules.current.viewPaths, ...viewPathsOf([checked.rule])])]),
          ),
        channelFor: (rule, view) => preferredChannel(rule.then.channel, view?.insights?.channelPreferences),
        context: marketing.ruleContext,
      });
      return { ...result, ...(customerId ? { customerId } : {}) };
    },
    async apply(definitions) {
      const registered: RuleDefinition[] = [];
      const problems: Problem[] = [];
      for (const [name, definition] of definitions) {
        const checked = validate(definition, marketing.catalog());
        if (checked.ok && checked.rule.id === name) registered.push(checked.rule);
        else problems.push(...problemsOf(definition, name).map((p) => ({ ...p, path: `${name}.${p.path}` })));
      }
      if (problems.length > 0) throw new DefinitionRefused(problems);
      const overridden = new Set(registered.map((r) => r.id));
      marketing.rules.swap([...configured.filter((r) => !overridden.has(r.id)), ...registered]);
      registeredIds = overridden;
    },
    notFound: (name) =>
      configuredIds.has(name)
        ? `rule ${name} is configured (marketing.rules), not registered: it is listed with its definition in "inForce"; put a rule "${name}" with "enabled": false to switch it off`
        : `no registered rule named ${name}`,
    inForce: () =>
      marketing.rules.current.rules.map((r) => ({
        id: r.id,
        enabled: r.enabled,
        priority: r.priority,
        origin: registeredIds.has(r.id) ? 'registered' : 'config',
        definition: r,
      })),
  };
}

/**
 * Event kinds as kind `event-kind` of the definitions store (`/admin/event-kinds/<TYPE>`, events/event-kind.ts):
 *
 *   validate  the kind's shape with named paths (`data.properties.cellId.type`, `labels.site`); its type must be
 *             the name in the path
 *   apply     the configured kinds, with the registered ones added or put over them; refused when a rule in force
 *             is on, counts or dwells over a kind the change removes (the rule names it), so no rule is left
 *             referring to a deleted kind
 */
export function eventKindKind(
  marketing: Pick<Marketing, 'eventKinds' | 'rules' | 'catalog'>,
  configured: readonly EventKind[],
): DefinitionKind {
  let registered = new Set<string>();
  return {
    kind: 'event-kind',
    validate: (definition, name) => eventKindProblems(definition, name),
    async apply(definitions) {
      const kinds = new Map(configured.map((k) => [k.type, k]));
      const problems: Problem[] = [];
      for (const [name, definition] of definitions) {
        const found = eventKindProblems(definition, name);
        if (found.length) problems.push(...found.map((p) => ({ ...p, path: `${name}.${p.path}` })));
        else kinds.set(name, EventKindSchema.parse(definition));
      }
      // The rules in force against the kinds as they would be: a field removed, retyped or a value of its enum
      // dropped would leave a rule that never matches here, and that every instance starting later refuses (with
      // every other registered rule of its set).
      const catalog: RuleCatalog = {
        kinds: new Map([...kinds.values()].map((k) => [k.type, kindFields(k)])),
        view: marketing.catalog().view,
      };
      for (const rule of marketing.rules.current.rules) {
        const used = [...kindsOf(rule), ...historyKindsOf(rule)];
        const gone = used.filter((kind) => !kinds.has(kind));
        for (const kind of gone)
          problems.push({
            path: kind,
            message: `rule ${rule.id} uses the event kind ${kind}: change or delete the rule first`,
            given: rule.id,
          });
        const checked = gone.length === 0 ? validate(rule, catalog) : { ok: true as const };
        if (!checked.ok)
          for (const p of checked.problems.slice(0, 5))
            problems.push({
              path: [...new Set(used)].join(','),
              message: `rule ${rule.id} would no longer fit (${p.path}: ${p.message}): change or delete the rule first`,
              given: rule.id,
            });
      }
      if (problems.length > 0) throw new DefinitionRefused(problems);
      marketing.eventKinds.swap([...kinds.values()]);
      registered = new Set(definitions.keys());
    },
    notFound: (name) =>
      configured.some((k) => k.type === name)
        ? `event kind ${name} is configured (marketing.eventKinds or built in), not registered: it is listed in "inForce"`
        : `no registered event kind named ${name}`,
    inForce: () =>
      marketing.eventKinds.types().map((type) => ({
        type,
        origin: registered.has(type) ? 'registered' : 'config',
        definition: marketing.eventKinds.get(type)?.kind,
      })),
  };
}

const historyKindsOf = (rule: RuleDefinition): string[] => [...historyKinds(rule.when)];

/** The one contact policy's name: one policy is in force. */
const CONTACT_POLICY_NAME = 'default';

/**
 * Quiet hours and contact windows as kind `contact-policy` of the definitions store (`/admin/contact-policies/default`;
 * channels/contact-policy.ts has the shape): changed at run time, versioned, shared by every instance.
 *
 *   validate  the policy's shape with named paths (`quietHours.start`, `windows.SMS.0.days.1` …); its name must be
 *             "default"
 *   apply     the registered policy is in force; none (never put, or deleted): the configured marketing.quietHours
 */
export function contactPolicyKind(marketing: Pick<Marketing, 'contactPolicy'>): DefinitionKind {
  const problems = (definition: unknown, name: string): Problem[] => {
    const named = singleNameProblems(name, CONTACT_POLICY_NAME, 'contact policy');
    if (named.length > 0) return named;
    const parsed = ContactPolicySchema.safeParse(definition);
    return parsed.success ? [] : problemsOf(parsed.error, definition);
  };
  return {
    kind: 'contact-policy',
    plural: 'contact-policies',
    validate: problems,
    async apply(definitions) {
      const definition = definitions.get(CONTACT_POLICY_NAME);
      if (definition === undefined) return marketing.contactPolicy.swap(null);
      const parsed = ContactPolicySchema.safeParse(definition);
      if (!parsed.success) throw new DefinitionRefused(problemsOf(parsed.error, definition));
      marketing.contactPolicy.swap(parsed.data);
    },
    notFound: (name) =>
      name === CONTACT_POLICY_NAME
        ? 'no contact policy is registered: the configured marketing.quietHours are in force'
        : `one contact policy is in force: its name is "${CONTACT_POLICY_NAME}"`,
    inForce: () => ({
      origin: marketing.contactPolicy.registered ? 'registered' : 'config',
      policy: marketing.contactPolicy.current,
    }),
  };
}
