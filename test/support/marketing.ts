/**
 * A gateway with event-triggered marketing on, for one test file: the four mocks and the channel gateway mock as
 * real servers, the durable store on the engine asked for, and a touchpoint recorder standing in for
 * touchpoints/ `recordTouchpoint` (it keeps what it was given, once per idempotency key, as the real one promises).
 * The channel gateway mock delivers customers' replies to this gateway's `/events/replies`, signed with
 * CHANNELS_SECRET (how many messages get one is the test's: `channels.setReplies({ share, … })`; none by default).
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { HK_ROAMING_RULE } from '../../scripts/demo-consumers';
import pino from 'pino';
import type { RecordTouchpoint, Touchpoint } from '../../gateway/marketing/channels/dispatcher';
import type { CustomerEvent } from '../../gateway/marketing/events/customer-event';
import { signEvent } from '../../gateway/inbound/events/signature';
import type { RuleDefinitionInput } from '../../gateway/marketing/rules/definition';
import { createGateway, type Gateway, type GatewayOptions } from '../../gateway/app/server';
import type { Store } from '../../gateway/store';
import { startMocks, type Mocks } from '../../mocks';
import { startChannelsMock, type ChannelsMock } from '../../mocks/channels';
import { AUTH, testConfig, type ConfigOverrides } from './harness';

export const NETWORK_SECRET = 'network-events-secret-0123456789';
/** The channel gateway's secret: it signs the customers' replies (`events.secrets.channels`). */
export const CHANNELS_SECRET = 'channel-replies-secret-0123456789';

/** Quiet hours that never apply (start = end), so tests pass at any hour. */
export const NO_QUIET_HOURS = { start: '00:00', end: '00:00', timeZone: 'Asia/Shanghai' };

/** The demo's Hong Kong / Macau roaming rule (scripts/demo-consumers.ts): the one the tests send events for. */
export const HK_RULE: RuleDefinitionInput = HK_ROAMING_RULE;

export interface TouchpointRecorder {
  fn: RecordTouchpoint;
  /** Touchpoints recorded, once per idempotency key. */
  recorded: Array<{ touchpoint: Touchpoint; key: string }>;
}

export function touchpointRecorder(): TouchpointRecorder {
  const recorded: TouchpointRecorder['recorded'] = [];
  const keys = new Set<string>();
  return {
    recorded,
    fn: async (touchpoint, key) => {
      if (!keys.has(key)) {
        keys.add(key);
        recorded.push({ touchpoint, key });
      }
      return { status: 'RECORDED', contactId: `K-${key}` };
    },
  };
}

export interface MarketingHarness {
  mocks: Mocks;
  channels: ChannelsMock;
  gateway: Gateway;
  url: string;
  touchpoints: TouchpointRecorder;
  /** POSTs the event, signed, to /events/network; status and JSON body. */
  send(event: CustomerEvent | unknown, headers?: Record<string, string>): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Requests received by each backend mock since the last reset. */
  counts(): Record<'crm' | 'billing' | 'warehouse' | 'scoring', number>;
  /** Puts a rule through the admin API (`PUT /admin/rules/<id>`, the definitions store's kind `rule`). */
  putRule(rule: { id: string } & Record<string, unknown>): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  /** Calls an admin route as the test's admin consumer (or with the headers given); status and JSON body. */
  admin(
    method: string,
    route: string,
    body?: unknown,
    headers?: Record<string, string>,
  ): Promise<{ status: number; body: any }>; // eslint-disable-line @typescript-eslint/no-explicit-any
  close(): Promise<void>;
}

export async function startMarketing(
  store: Store,
  overrides: ConfigOverrides = {},
  shared: { mocks?: Mocks; channels?: ChannelsMock; now?: () => Date } = {},
  /** More of the gateway's options, e.g. a `replyHandler` instead of the recording one. */
  more: Pick<GatewayOptions, 'replyHandler'> = {},
): Promise<MarketingHarness> {
  const mocks = shared.mocks ?? (await startMocks());
  const channels = shared.channels ?? (await startChannelsMock());
  const touchpoints = touchpointRecorder();
  // Registered definitions go to a file of this harness (unless the test names one, e.g. to restart on it): never to
  // the repository's var/definitions.json, which other test files' gateways would read.
  const ownFile =
    overrides.admin?.definitionsFile === undefined
      ? path.join(os.tmpdir(), `ucv-defs-${randomUUID()}.json`)
      : undefined;
  const config = testConfig(mocks, {
    ...overrides,
    admin: { ...overrides.admin, ...(ownFile ? { definitionsFile: ownFile } : {}) },
    events: { secrets: { network: NETWORK_SECRET, channels: CHANNELS_SECRET } },
    marketing: { channelsUrl: channels.url, quietHours: NO_QUIET_HOURS, rules: [HK_RULE], ...overrides.marketing },
  });
  const gateway = createGateway(config, {
    logger: pino({ level: 'silent' }),
    store,
    recordTouchpoint: touchpoints.fn,
    ...(shared.now ? { now: shared.now } : {}),
    ...more,
  });
  const url = await gateway.listen();
  channels.setReplies({ webhookUrl: `${url}/events/replies`, secret: CHANNELS_SECRET });
  const admin: MarketingHarness['admin'] = async (method, route, body, headers = AUTH) => {
    const res = await fetch(`${url}${route}`, {
      method,
      headers: { 'content-type': 'application/json', ...headers },
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    return { status: res.status, body: await res.json() };
  };
  const signedAt = new Map<string, number>();
  return {
    mocks,
    channels,
    gateway,
    url,
    touchpoints,
    async send(event, headers = {}) {
      const body = JSON.stringify(event);
      // A body sent again is a sender's redelivery, signed again: with a timestamp of its own, one second before the
      // last one if "now" has not moved on, so the two signatures differ whatever the clock reads (signing "now"
      // twice in one second gives the same signature, which the gateway rightly refuses as a replay).
      const last = signedAt.get(body);
      const timestamp = Math.min(Math.floor(Date.now() / 1000), last === undefined ? Infinity : last - 1);
      signedAt.set(body, timestamp);
      const res = await fetch(`${url}/events/network`, {
        method: 'POST',
        headers: {
          'content-type': 'application/json',
          'x-ucv-signature': signEvent(NETWORK_SECRET, body, timestamp),
          ...headers,
        },
        body,
      });
      return { status: res.status, body: await res.json() };
    },
    counts: () => ({
      crm: mocks.crm.faults.requests().total,
      billing: mocks.billing.faults.requests().total,
      warehouse: mocks.warehouse.faults.requests().total,
      scoring: mocks.scoring.faults.requests().total,
    }),
    putRule: (rule) => admin('PUT', `/admin/rules/${rule.id}`, rule),
    admin,
    async close() {
      await gateway.close();
      if (ownFile) fs.rmSync(ownFile, { force: true });
      if (!shared.channels) await channels.close();
      if (!shared.mocks) await mocks.close();
    },
  };
}

let counter = 0;
/** A roaming event with a fresh id. */
export function roamingEvent(
  customerId: string,
  region = 'Hong Kong',
  id = `evt-${process.pid}-${Date.now()}-${++counter}`,
): CustomerEvent {
  return { version: 1, id, type: 'ROAMING_ENTERED', customerId, at: new Date().toISOString(), data: { region } };
}
