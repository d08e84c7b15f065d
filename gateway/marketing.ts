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
import { validate, type RuleDefinition } from './rules/definition';
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
  const views = createViewLoader({ pipeline: deps.pipeline, sources: deps.sources, request: deps.request, loadsPerSecond: settings.viewLoadsPerSecond, maxWaiting: settings.maxWaitingViewLoads, registry });
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
