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
import { dryRun, validate, type DryRunResult, type RuleDefinition } from './rules/definition';
import { preferredChannel } from './channels/preference';
import {
  ContactPolicySchema,
  contactPolicyHolder,
  policyFromQuietHours,
  type ContactPolicyHolder,
} from './channels/contact-policy';
import { problemsOf } from '../runtime/declarative';
import { ruleSetHolder, type RuleSetHolder } from './rules/rule-set';
import { createViewLoader, type ViewLoader } from './rules/view';
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
  const rules = ruleSetHolder(configuredRules(config));
  const views = createViewLoader({
    pipeline: deps.pipeline,
    consumer: deps.consumer,
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
  const handler = createEventHandler({ store: deps.store, rules, views, dispatcher, logger, registry });
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
  return {
    handler,
    rules,
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
    }),
    get amqp() {
      return amqp;
    },
    start() {
      const a = settings.amqp;
      if (a.url && !amqp) amqp = startAmqpIntake({ ...a, url: a.url, handler, logger, registry });
      campaignRunner.start();
    },
    close: async () => {
      await campaignRunner.close();
      await amqp?.close();
    },
  };
}

/** What a rule's dry run is given: the sample customer whose real view the rule is evaluated against. */
export interface RuleDryRunInput {
  customerId: string;
}

const CUSTOMER_ID = /^[\w-]{1,64}$/;

/** The dry run's input, or its problems at their paths (`input.customerId`), like a refused definition's. */
export function dryRunInput(input: unknown): { ok: true; input: RuleDryRunInput } | { ok: false; problems: Problem[] } {
  const customerId =
    input !== null && typeof input === 'object' ? (input as { customerId?: unknown }).customerId : undefined;
  if (typeof customerId === 'string' && CUSTOMER_ID.test(customerId)) return { ok: true, input: { customerId } };
  const message =
    customerId === undefined
      ? 'required: the sample customer the rule is tried on, e.g. { "input": { "customerId": "C00000027" } }'
      : '1 to 64 letters, digits, "-" or "_", e.g. C00000027';
  return {
    ok: false,
    problems: [
      {
        path: 'input.customerId',
        message,
        ...(customerId === undefined ? {} : { given: String(customerId).slice(0, 80) }),
      },
    ],
  };
}

/**
 * Rules as kind `rule` of the definitions store (gateway/definitions/): `/admin/rules` is the generic admin API.
 *
 *   validate  the rule's own problems with their paths, and `id` must be the name in the URL
 *   dryRun    what the rule would do for `input.customerId`, for each sample event, against the customer's real view
 *             (loaded through the pipeline as the marketing role); nothing is sent, no cap is counted
 *   apply     the rules in force = the configured ones (`marketing.rules`) not overridden by a registered rule of the
 *             same id + every registered one, compiled and swapped in whole (rules/rule-set.ts)
 *
 * Deleting a registered rule removes it; when it overrode a configured rule, the configured one is in force again.
 * A configured rule is not a registered definition: it cannot be deleted through the API (404 says so); put a rule
 * of its id with `"enabled": false` to switch it off.
 */
export function ruleKind(
  marketing: Pick<Marketing, 'rules' | 'views'>,
  configured: readonly RuleDefinition[],
): DefinitionKind {
  const configuredIds = new Set(configured.map((r) => r.id));
  /** The ids of the registered rules in force (the last set applied). */
  let registeredIds = new Set<string>();
  const problemsOf = (definition: unknown, name: string): Problem[] => {
    const checked = validate(definition);
    if (!checked.ok) return checked.problems;
    return checked.rule.id === name ? [] : [{ path: 'id', message: `must be "${name}", the name in the path` }];
  };
  return {
    kind: 'rule',
    validate: problemsOf,
    async dryRun(definition, input, name): Promise<DryRunResult> {
      const problems = problemsOf(definition, name);
      const given = dryRunInput(input);
      if (!given.ok) problems.push(...given.problems);
      const checked = validate(definition);
      if (problems.length > 0 || !checked.ok || !given.ok) throw new DefinitionRefused(problems);
      return dryRun(checked.rule, given.input.customerId, {
        loadView: (id) => marketing.views.load(id),
        channelFor: (rule, view) => preferredChannel(rule.then.channel, view?.insights?.channelPreferences),
      });
    },
    async apply(definitions) {
      const registered: RuleDefinition[] = [];
      const problems: Problem[] = [];
      for (const [name, definition] of definitions) {
        const checked = validate(definition);
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
        ? `rule ${name} is configured (marketing.rules), not registered: only registered rules can be read or deleted here; put a rule "${name}" with "enabled": false to switch it off`
        : `no registered rule named ${name}`,
    inForce: () =>
      marketing.rules.current.rules.map((r) => ({
        id: r.id,
        enabled: r.enabled,
        priority: r.priority,
        origin: registeredIds.has(r.id) ? 'registered' : 'config',
      })),
  };
}

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
