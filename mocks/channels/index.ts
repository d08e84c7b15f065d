/**
 * Mock channel gateway: the operator's outbound SMS centre, app-push service and e-mail relay behind one REST API,
 * with the same fault injection and request counters as the other mocks (`/__control`), and the customers' replies
 * coming back.
 *
 *   POST /channels/v1/sms     { customerId, message, offerCode, idempotencyKey }   → 202 { messageId }
 *   POST /channels/v1/push    (same body)
 *   POST /channels/v1/email   (same body)
 *   POST /channels/v1/replies/:messageId  { text, replyId? }  a customer's reply by hand, delivered now
 *                                         → 200 { reply, delivery } (404 unknown message, 409 no webhook)
 *   GET  /channels/v1/load                { at, channels: [{ channel, measure, value, capacity, utilisation }] }
 *   GET  /__control/replies               { settings, counts }
 *   PATCH /__control/replies              merge { webhookUrl, secret, share, yesShare, delayMs, … } (never faulted)
 *   GET  /__control/load, PATCH /__control/load  { <channel>: { value?, capacity? } } merged (never faulted)
 *
 * A repeated `idempotencyKey` answers the first messageId and is not sent again (what real SMS centres do with a
 * client reference). The messages received are kept (the last 10,000) for tests: `messages()` in process.
 *
 * Replies: once a webhook is set, a share of SMS and push messages gets a response after `delayMs`, POSTed as JSON
 * `{ replyId, messageId, customerId, channel, text, at }` and signed as every event sender signs for the gateway
 * (`x-ucv-signature: t=<unix s>,v1=<hex HMAC-SHA256(secret, "<t>.<body>")>`, docs/events.md; written from the
 * document, as the CRM mock's webhook is, so the mock checks the gateway against the document rather than against
 * itself). An SMS is answered `Y` or `N`; a push gets `CLICK` (the only answer a push has); an e-mail none. Who
 * answers, and what, is a pure function of the customer and the offer (`plannedResponse`): tests predict it. A
 * delivery that fails (network, 5xx) is retried with doubling backoff, `maxAttempts` in all, then counted failed; a
 * 4xx is the gateway's refusal, counted failed at once. Each attempt is signed afresh with a timestamp later than the
 * last one's, so a retry never repeats a signature the gateway may already have seen.
 */
import { createHmac } from 'node:crypto';
import express from 'express';
import { rng } from '../dataset/random';
import { startMock, type MockOptions, type MockServer } from '../server';

export const CHANNEL_ROUTES = { SMS: 'sms', PUSH: 'push', EMAIL: 'email' } as const;
export type ChannelName = keyof typeof CHANNEL_ROUTES;

export interface ChannelMessage {
  channel: ChannelName;
  customerId: string;
  message: string;
  offerCode: string;
  idempotencyKey: string;
  /** `<channel>-<this mock's start, base 36>-<n>`: unique across restarts, so a reply's id is too. */
  messageId: string;
  at: number;
}

/** A customer's response to a message, as the channel gateway delivers it to the webhook. */
export interface ChannelReplyBody {
  replyId: string;
  messageId: string;
  customerId: string;
  channel: ChannelName;
  /** `Y` / `N` for an SMS, `CLICK` for a push; by hand, any text. */
  text: string;
  /** When the customer answered, ISO 8601 UTC. */
  at: string;
}

export interface ReplySettings {
  /** Where replies are POSTed (the gateway's `/events/replies`); null: no reply is generated. Default null. */
  webhookUrl: string | null;
  /** The secret replies are signed with (the gateway's `events.secrets.channels`); null: unsigned. Default null. */
  secret: string | null;
  /** Share of SMS and push messages that get a response, 0 to 1. Default 0. */
  share: number;
  /** Share of the SMS responses that answer `Y` (the others `N`), 0 to 1. Default 0.5. */
  yesShare: number;
  /** Wait between a message and its response, in milliseconds. Default 1000. */
  delayMs: number;
  /** Attempts of one delivery, the first included, before it is counted failed. Default 4. */
  maxAttempts: number;
  /** Wait before the first retry, in milliseconds; doubles at each retry. Default 200. */
  retryBackoffMs: number;
  /** Deadline of one delivery attempt, in milliseconds. Default 5000. */
  timeoutMs: number;
}

export const DEFAULT_REPLY_SETTINGS: Readonly<ReplySettings> = Object.freeze({
  webhookUrl: null,
  secret: null,
  share: 0,
  yesShare: 0.5,
  delayMs: 1000,
  maxAttempts: 4,
  retryBackoffMs: 200,
  timeoutMs: 5000,
});

export interface ReplyCounts {
  /** Replies whose delivery began (generated or injected by hand; a redelivery by hand counts again). */
  sent: number;
  /** Deliveries the webhook answered 2xx. */
  delivered: number;
  /** Deliveries given up: a 4xx, or every attempt failed. */
  failed: number;
  /** Scheduled or under way. */
  pending: number;
}

export interface ReplyRecord {
  reply: ChannelReplyBody;
  state: 'scheduled' | 'delivering' | 'delivered' | 'failed';
  attempts: number;
  /** The webhook's last HTTP status; null when it never answered. */
  lastStatus: number | null;
  /** The webhook's last answer, parsed when JSON. */
  lastAnswer: unknown;
}

export interface ChannelsMockOptions extends MockOptions {
  /** Simulated replies from the start; changed later with `setReplies` or `PATCH /__control/replies`. */
  replies?: Partial<ReplySettings>;
}

export interface ChannelsMock extends MockServer {
  /** Messages accepted, oldest first (duplicates by idempotency key not repeated). */
  messages(): readonly ChannelMessage[];
  /** Messages accepted per channel. */
  sent(): Record<ChannelName, number>;
  /** The reply settings in force. */
  replySettings(): Readonly<ReplySettings>;
  /** Merges a patch into the reply settings (checked as the control route checks it; throws on a bad value). */
  setReplies(patch: Partial<ReplySettings>): Readonly<ReplySettings>;
  /** Replies sent, delivered, failed and pending. */
  replyCounts(): ReplyCounts;
  /** Each delivery of a reply, oldest first (the last 10,000). */
  replies(): readonly ReplyRecord[];
  /** Forgets messages and replies; scheduled replies are cancelled and deliveries under way no longer counted. */
  clear(): void;
  /** Merges a patch into the channels' load (`{ PHONE_HALL: { value: 60 } }`; throws on a bad one); the load now. */
  setLoad(patch: Partial<Record<LoadChannel, Partial<ChannelLoad>>>): Readonly<Record<LoadChannel, ChannelLoad>>;
  /** Back to DEFAULT_LOAD. */
  resetLoad(): void;
}

const MAX_KEPT = 10_000;

/**
 * The load of the staffed and electronic channels as the channel systems see it now: the call centre's queue (calls
 * waiting against the calls it can hold), the SMS centre's throughput (messages a second against its capacity), the
 * business halls' waiting customers (against their seats), the web and WAP halls' sessions. Utilisation is value /
 * capacity; the gateway steers away from a channel near or over 1.
 */
export interface ChannelLoad {
  /** What `value` counts. */
  measure: 'QUEUED_CALLS' | 'MESSAGES_PER_SECOND' | 'WAITING_CUSTOMERS' | 'SESSIONS';
  value: number;
  capacity: number;
}
export const LOAD_CHANNELS = ['PHONE_HALL', 'SMS_HALL', 'BUSINESS_HALL', 'WEB_HALL', 'WAP_HALL'] as const;
export type LoadChannel = (typeof LOAD_CHANNELS)[number];

/** A quiet hour: every channel well under its capacity. */
export const DEFAULT_LOAD: Readonly<Record<LoadChannel, Readonly<ChannelLoad>>> = Object.freeze({
  PHONE_HALL: { measure: 'QUEUED_CALLS', value: 6, capacity: 60 },
  SMS_HALL: { measure: 'MESSAGES_PER_SECOND', value: 120, capacity: 2000 },
  BUSINESS_HALL: { measure: 'WAITING_CUSTOMERS', value: 4, capacity: 30 },
  WEB_HALL: { measure: 'SESSIONS', value: 800, capacity: 20_000 },
  WAP_HALL: { measure: 'SESSIONS', value: 1500, capacity: 30_000 },
});

/** A patch of the load (`{ PHONE_HALL: { value: 60 } }`) checked, or why not. */
export function checkLoadPatch(body: unknown): Partial<Record<LoadChannel, Partial<ChannelLoad>>> | string {
  if (body === null || typeof body !== 'object' || Array.isArray(body)) return 'the body must be a JSON object';
  const out: Partial<Record<LoadChannel, Partial<ChannelLoad>>> = {};
  for (const [channel, patch] of Object.entries(body as Record<string, unknown>)) {
    if (!(LOAD_CHANNELS as readonly string[]).includes(channel))
      return `${channel}: not a channel with a load (${LOAD_CHANNELS.join(', ')})`;
    if (patch === null || typeof patch !== 'object') return `${channel}: expected { value?, capacity? }`;
    const { value, capacity, ...rest } = patch as Record<string, unknown>;
    if (Object.keys(rest).length > 0) return `${channel}: unknown key(s) ${Object.keys(rest).join(', ')}`;
    if (value !== undefined && (typeof value !== 'number' || !(value >= 0))) return `${channel}.value: a number ≥ 0`;
    if (capacity !== undefined && (typeof capacity !== 'number' || !(capacity > 0)))
      return `${channel}.capacity: a number > 0`;
    out[channel as LoadChannel] = {
      ...(value !== undefined ? { value: value as number } : {}),
      ...(capacity !== undefined ? { capacity: capacity as number } : {}),
    };
  }
  return out;
}

/**
 * Whether a message gets a response, and which: `Y`/`N` for an SMS, `CLICK` for a push, nothing for an e-mail.
 * A pure function of the customer and the offer (a customer's disposition to that offer), so a test predicts it, even
 * before the message is sent; `share` and `yesShare` as in ReplySettings.
 */
export function plannedResponse(
  message: Pick<ChannelMessage, 'channel' | 'customerId' | 'offerCode'>,
  odds: Pick<ReplySettings, 'share' | 'yesShare'>,
): 'Y' | 'N' | 'CLICK' | null {
  if (message.channel === 'EMAIL') return null;
  const roll = rng(`reply:${message.customerId}:${message.offerCode}`);
  const answers = roll.next() < odds.share;
  const yes = roll.next() < odds.yesShare;
  if (!answers) return null;
  if (message.channel === 'PUSH') return 'CLICK';
  return yes ? 'Y' : 'N';
}

/** A patch of reply settings, or what is wrong with it. */
export function checkReplySettings(body: unknown): Partial<ReplySettings> | string {
  if (typeof body !== 'object' || body === null || Array.isArray(body))
    return 'body must be a JSON object of reply settings';
  const patch: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(body)) {
    if (!(key in DEFAULT_REPLY_SETTINGS))
      return `unknown reply setting "${key}"; known: ${Object.keys(DEFAULT_REPLY_SETTINGS).join(', ')}`;
    if (key === 'webhookUrl') {
      if (value !== null && (typeof value !== 'string' || !/^https?:\/\/\S+$/.test(value)))
        return `webhookUrl must be an http(s) URL or null, got ${JSON.stringify(value)}`;
    } else if (key === 'secret') {
      if (value !== null && (typeof value !== 'string' || value.length < 16))
        return 'secret must be a string of at least 16 characters, or null';
    } else if (typeof value !== 'number' || !Number.isFinite(value) || value < 0) {
      return `${key} must be a number ≥ 0, got ${JSON.stringify(value)}`;
    } else if ((key === 'share' || key === 'yesShare') && value > 1) {
      return `${key} must be between 0 and 1, got ${value}`;
    } else if (key === 'maxAttempts' && (!Number.isInteger(value) || value < 1)) {
      return `maxAttempts must be an integer ≥ 1, got ${value}`;
    }
    patch[key] = value;
  }
  return patch as Partial<ReplySettings>;
}

function signature(secret: string, body: string, t: number): string {
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

// Unref: a scheduled reply or a backoff must not keep a test process alive after the mock closed.
const wait = (ms: number, timers: Set<NodeJS.Timeout>): Promise<void> =>
  new Promise((resolve) => {
    const timer = setTimeout(() => {
      timers.delete(timer);
      resolve();
    }, ms);
    timer.unref();
    timers.add(timer);
  });

export async function startChannelsMock(options: ChannelsMockOptions = {}): Promise<ChannelsMock> {
  let messages: ChannelMessage[] = [];
  let byKey = new Map<string, string>();
  let byId = new Map<string, ChannelMessage>();
  let next = 1;
  // This mock's start, so message ids (and the reply ids made from them) are not those of an earlier run, which a
  // durable store may still hold.
  const boot = Date.now().toString(36);

  let settings: ReplySettings = { ...DEFAULT_REPLY_SETTINGS };
  const setReplies = (patch: Partial<ReplySettings>): Readonly<ReplySettings> => {
    const checked = checkReplySettings(patch);
    if (typeof checked === 'string') throw new Error(`channels mock: ${checked}`);
    settings = { ...settings, ...checked };
    return settings;
  };
  if (options.replies) setReplies(options.replies);

  let records: ReplyRecord[] = [];
  let counts = { sent: 0, delivered: 0, failed: 0 };
  /** Bumped by clear(): a delivery of an earlier generation no longer counts. */
  let generation = 0;
  let closed = false;
  const timers = new Set<NodeJS.Timeout>();
  /** The last timestamp each reply was signed with, so every attempt's signature is new. */
  const lastSigned = new Map<string, number>();
  let handSequence = 0;

  /** Delivers one reply: attempts with doubling backoff; resolves with its record once delivered or failed. */
  async function deliver(reply: ChannelReplyBody, delayMs: number): Promise<ReplyRecord> {
    const mine = generation;
    const record: ReplyRecord = { reply, state: 'scheduled', attempts: 0, lastStatus: null, lastAnswer: null };
    records.push(record);
    if (records.length > MAX_KEPT) records.splice(0, records.length - MAX_KEPT);
    counts.sent++;
    const finish = (state: 'delivered' | 'failed'): ReplyRecord => {
      record.state = state;
      if (mine === generation) counts[state]++;
      return record;
    };
    if (delayMs > 0) await wait(delayMs, timers);
    const body = JSON.stringify(reply);
    for (let attempt = 1; ; attempt++) {
      const { webhookUrl, secret, maxAttempts, retryBackoffMs, timeoutMs } = settings;
      if (closed || mine !== generation || !webhookUrl) return finish('failed');
      record.state = 'delivering';
      record.attempts = attempt;
      const t = Math.max(Math.floor(Date.now() / 1000), (lastSigned.get(reply.replyId) ?? 0) + 1);
      lastSigned.set(reply.replyId, t);
      if (lastSigned.size > MAX_KEPT) lastSigned.delete(lastSigned.keys().next().value as string);
      let retryable = true;
      try {
        const res = await fetch(webhookUrl, {
          method: 'POST',
          headers: {
            'content-type': 'application/json',
            ...(secret ? { 'x-ucv-signature': signature(secret, body, t) } : {}),
          },
          body,
          signal: AbortSignal.timeout(timeoutMs),
        });
        const text = await res.text();
        record.lastStatus = res.status;
        try {
          record.lastAnswer = JSON.parse(text) as unknown;
        } catch {
          record.lastAnswer = text.slice(0, 500);
        }
        if (res.ok) return finish('delivered');
        // A 4xx is the gateway's answer about this reply (bad signature, bad body): sending it again changes nothing.
        retryable = res.status >= 500;
      } catch (err) {
        record.lastStatus = null;
        record.lastAnswer = (err as Error).message;
      }
      if (!retryable || attempt >= maxAttempts) return finish('failed');
      await wait(retryBackoffMs * 2 ** (attempt - 1), timers);
    }
  }

  /** The planned reply of a message just accepted, if any, delivered after the delay (in the background). */
  function planReply(message: ChannelMessage): void {
    if (!settings.webhookUrl) return;
    const text = plannedResponse(message, settings);
    if (!text) return;
    const reply: ChannelReplyBody = {
      replyId: `reply-${message.messageId}`,
      messageId: message.messageId,
      customerId: message.customerId,
      channel: message.channel,
      text,
      // When the customer answers: after the delay.
      at: new Date(Date.now() + settings.delayMs).toISOString(),
    };
    void deliver(reply, settings.delayMs);
  }

  let load: Record<LoadChannel, ChannelLoad> = structuredClone(DEFAULT_LOAD) as Record<LoadChannel, ChannelLoad>;
  const setLoad = (patch: unknown): Readonly<Record<LoadChannel, ChannelLoad>> => {
    const checked = checkLoadPatch(patch);
    if (typeof checked === 'string') throw new Error(`channels mock: ${checked}`);
    for (const [channel, change] of Object.entries(checked) as Array<[LoadChannel, Partial<ChannelLoad>]>)
      load[channel] = { ...load[channel], ...change };
    return load;
  };
  const loadAnswer = () => ({
    at: new Date().toISOString(),
    channels: LOAD_CHANNELS.map((channel) => ({
      channel,
      ...load[channel],
      utilisation: Math.round((load[channel].value / load[channel].capacity) * 1000) / 1000,
    })),
  });

  const control = express.Router();
  control.use(express.json());
  control.get('/load', (_req, res) => void res.json(loadAnswer()));
  control.patch('/load', (req, res) => {
    const patch = checkLoadPatch(req.body);
    if (typeof patch === 'string') return void res.status(400).json({ error: patch });
    setLoad(patch);
    res.json(loadAnswer());
  });
  control.get('/replies', (_req, res) => {
    res.json({ settings: redacted(settings), counts: replyCounts() });
  });
  control.patch('/replies', (req, res) => {
    const patch = checkReplySettings(req.body);
    if (typeof patch === 'string') return void res.status(400).json({ error: patch });
    settings = { ...settings, ...patch };
    res.json({ settings: redacted(settings) });
  });

  const replyCounts = (): ReplyCounts => ({
    ...counts,
    pending: records.filter((r) => r.state === 'scheduled' || r.state === 'delivering').length,
  });

  const mock = await startMock(
    'channels',
    options,
    (app) => {
      app.get('/channels/v1/load', (_req, res) => void res.json(loadAnswer()));
      for (const [channel, route] of Object.entries(CHANNEL_ROUTES) as Array<[ChannelName, string]>) {
        app.post(`/channels/v1/${route}`, express.json({ limit: '16kb' }), (req, res) => {
          const body = (req.body ?? {}) as Record<string, unknown>;
          const { customerId, message, offerCode, idempotencyKey } = body;
          if (
            typeof customerId !== 'string' ||
            typeof message !== 'string' ||
            typeof offerCode !== 'string' ||
            typeof idempotencyKey !== 'string'
          ) {
            return void res.status(400).json({
              status: 400,
              title: 'Bad Request',
              detail: 'customerId, message, offerCode and idempotencyKey are required strings',
            });
          }
          const first = byKey.get(idempotencyKey);
          if (first) return void res.status(202).json({ messageId: first, duplicate: true });
          const messageId = `${route}-${boot}-${next++}`;
          const accepted: ChannelMessage = {
            channel,
            customerId,
            message,
            offerCode,
            idempotencyKey,
            messageId,
            at: Date.now(),
          };
          byKey.set(idempotencyKey, messageId);
          byId.set(messageId, accepted);
          messages.push(accepted);
          if (messages.length > MAX_KEPT) {
            const dropped = messages.splice(0, messages.length - MAX_KEPT);
            for (const m of dropped) {
              byKey.delete(m.idempotencyKey);
              byId.delete(m.messageId);
            }
          }
          res.status(202).json({ messageId });
          planReply(accepted);
        });
      }
      app.post('/channels/v1/replies/:messageId', express.json({ limit: '16kb' }), async (req, res) => {
        const message = byId.get(req.params.messageId);
        if (!message)
          return void res.status(404).json({ error: `no message ${req.params.messageId} (or no longer kept)` });
        const { text, replyId } = (req.body ?? {}) as { text?: unknown; replyId?: unknown };
        if (typeof text !== 'string' || text.length === 0 || text.length > 500)
          return void res.status(400).json({ error: 'text must be a string of 1 to 500 characters, e.g. "Y"' });
        if (replyId !== undefined && (typeof replyId !== 'string' || !/^[\w.:-]{1,128}$/.test(replyId)))
          return void res.status(400).json({ error: 'replyId, when given, must be 1 to 128 letters, digits, ".:_-"' });
        if (!settings.webhookUrl)
          return void res.status(409).json({ error: 'no webhook: set webhookUrl (PATCH /__control/replies) first' });
        // A replyId given again is the same reply delivered again, as a channel gateway does after a lost answer.
        const reply: ChannelReplyBody = {
          replyId: replyId ?? `reply-${message.messageId}-h${++handSequence}`,
          messageId: message.messageId,
          customerId: message.customerId,
          channel: message.channel,
          text,
          at: new Date().toISOString(),
        };
        const record = await deliver(reply, 0);
        res.json({
          reply,
          delivery: {
            state: record.state,
            attempts: record.attempts,
            status: record.lastStatus,
            answer: record.lastAnswer,
          },
        });
      });
    },
    {},
    control,
  );
  const stopListening = mock.close;
  const close = async (): Promise<void> => {
    closed = true;
    for (const timer of timers) clearTimeout(timer);
    timers.clear();
    await stopListening();
  };
  return Object.assign(mock, {
    messages: () => messages,
    sent: () => {
      const counted: Record<ChannelName, number> = { SMS: 0, PUSH: 0, EMAIL: 0 };
      for (const m of messages) counted[m.channel]++;
      return counted;
    },
    replySettings: () => settings,
    setReplies,
    replyCounts,
    replies: () => records,
    clear: () => {
      messages = [];
      byKey = new Map();
      byId = new Map();
      records = [];
      counts = { sent: 0, delivered: 0, failed: 0 };
      generation++;
    },
    setLoad,
    resetLoad: () => {
      load = structuredClone(DEFAULT_LOAD) as Record<LoadChannel, ChannelLoad>;
    },
    close,
  });
}

/** The settings as the control route shows them: whether a secret is set, never the secret. */
const redacted = (s: ReplySettings): Omit<ReplySettings, 'secret'> & { secret: '(set)' | null } => ({
  ...s,
  secret: s.secret ? '(set)' : null,
});
