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
import type { IncomingMessage } from 'node:http';
import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import { createDispatcher, type RecordTouchpoint } from './channels/dispatcher';
import { ConfigError, type GatewayConfig } from './config';
import { startAmqpIntake, type AmqpIntake } from './events/amqp-intake';
import { createEventHandler, type EventHandler } from './events/handler';
import type { Pipeline } from './pipeline';
import { dryRun, validate, type DryRunResult, type Problem, type RuleDefinition } from './rules/definition';
import { preferredChannel } from './channels/preference';
import { ruleSetHolder, type RuleSetHolder } from './rules/rule-set';
import { createViewLoader, type ViewLoader } from './rules/view';
import type { Source } from './source';
import type { Store } from './store';

export interface Marketing {
  readonly handler: EventHandler;
  readonly rules: RuleSetHolder;
  readonly views: ViewLoader;
  /** Starts the RabbitMQ intake when configured (after the gateway listens). */
  start(): void;
  readonly amqp: AmqpIntake | null;
  close(): Promise<void>;
}

export interface MarketingDeps {
  config: Readonly<GatewayConfig>;
  store: Store;
  pipeline: Pipeline;
  sources: readonly Source[];
  /** A request object whose consumer (the marketing role) the pipeline's identity plugin recognises. */
  request: IncomingMessage;
  recordTouchpoint: RecordTouchpoint;
  registry: Registry;
  logger: Logger;
}

/** The rules of `marketing.rules`, validated; a bad one is a configuration error naming its path. */
export function configuredRules(config: Readonly<GatewayConfig>): RuleDefinition[] {
  return config.marketing.rules.map((input, i) => {
    const checked = validate(input);
    if (!checked.ok) throw new ConfigError(`marketing.rules[${i}]: ${checked.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    return checked.rule;
  });
}

export function createMarketing(deps: MarketingDeps): Marketing {
  const { config, logger, registry } = deps;
  const settings = config.marketing;
  if (!settings.channelsUrl) throw new ConfigError('marketing.channelsUrl: expected the channel gateway URL (or UCV_CHANNELS_URL)');
  const rules = ruleSetHolder(configuredRules(config));
  const views = createViewLoader({
    pipeline: deps.pipeline,
    // Read at each load: a runtime swap (gateway/runtime/) changes the sources.
    get sources() {
      return deps.sources;
    },
    request: deps.request,
    loadsPerSecond: settings.viewLoadsPerSecond,
    maxWaiting: settings.maxWaitingViewLoads,
    registry,
  });
  const dispatcher = createDispatcher({
    store: deps.store,
    channelsUrl: settings.channelsUrl.replace(/\/+$/, ''),
    timeoutMs: settings.channelTimeoutMs,
    caps: settings.caps,
    quietHours: settings.quietHours,
    recordTouchpoint: deps.recordTouchpoint,
    logger,
    registry,
  });
  const handler = createEventHandler({ store: deps.store, rules, views, dispatcher, logger, registry });
  let amqp: AmqpIntake | null = null;
  return {
    handler,
    rules,
    views,
    get amqp() {
      return amqp;
    },
    start() {
      const a = settings.amqp;
      if (a.url && !amqp) amqp = startAmqpIntake({ ...a, url: a.url, handler, logger, registry });
    },
    close: async () => {
      await amqp?.close();
    },
  };
}

/**
 * Rules as kind `rule` of the definitions store (engineer "runtime"'s `{ kind, validate, dryRun?, apply }`):
 * `validate` answers the problems with their paths (none: valid), `dryRun` what a rule would do for a sample customer,
 * `apply` installs the whole set of stored rules on this instance (each instance calls it when the store changes).
 */
export function ruleKind(marketing: Pick<Marketing, 'rules' | 'views'>) {
  const valid = (definition: unknown): RuleDefinition => {
    const checked = validate(definition);
    if (!checked.ok) throw new Error(`invalid rule: ${checked.problems.map((p) => `${p.path}: ${p.message}`).join('; ')}`);
    return checked.rule;
  };
  return {
    kind: 'rule' as const,
    validate: (definition: unknown): Problem[] => {
      const checked = validate(definition);
      return checked.ok ? [] : checked.problems;
    },
    dryRun: (definition: unknown, sampleCustomerId: string): Promise<DryRunResult> =>
      dryRun(valid(definition), sampleCustomerId, {
        loadView: (id) => marketing.views.load(id),
        channelFor: (rule, view) => preferredChannel(rule.then.channel, view?.insights?.channelPreferences),
      }),
    apply: (definitions: readonly unknown[]): void => marketing.rules.swap(definitions.map(valid)),
  };
}
