/**
 * Customers' replies come back: the channel gateway mock answers an offer the rules sent by SMS with the customer's
 * "Y", signed, to `POST /events/replies`; the gateway records it in `channel_replies` once, however often it is
 * delivered (the mock's own retry after an answer it did not get, a redelivery by hand); a bad signature is refused
 * and nothing is recorded; a body that is not a reply is 400 naming each path; a handler that fails is 503 with the
 * signature released, so the sender's retry goes through. Real mocks, a real gateway, on PGlite and PostgreSQL.
 */
import { count, eq } from 'drizzle-orm';
import { startMocks, type Mocks } from '../mocks';
import { plannedResponse, startChannelsMock, type ChannelsMock } from '../mocks/channels';
import { signEvent } from '../gateway/inbound/events/signature';
import { readReply, recordingReplyHandler, type ChannelReply, type ReplyHandler } from '../gateway/marketing/responses';
import type { Store } from '../gateway/store';
import { channelReplies } from '../gateway/store/schema';
import { CHANNELS_SECRET, roamingEvent, startMarketing, type MarketingHarness } from './support/marketing';
import { ENGINES, testStores } from './support/store';
import { waitFor } from './support/wait';

const stores = testStores();
let mocks: Mocks;
let channels: ChannelsMock;
beforeAll(async () => {
  [mocks, channels] = await Promise.all([startMocks(), startChannelsMock()]);
});
afterAll(async () => {
  await Promise.all([mocks.close(), channels.close()]);
  await stores.cleanup();
});

/** The recording handler, made to fail on demand: `failAfterRecording` records and then throws, as an answer lost. */
function switchableHandler(store: Store) {
  const recording = recordingReplyHandler(store);
  const state = { failBefore: 0, failAfterRecording: 0, handled: [] as ChannelReply[] };
  const handler: ReplyHandler = {
    async handle(reply) {
      state.handled.push(reply);
      if (state.failBefore > 0) {
        state.failBefore--;
        throw new Error('store down (test)');
      }
      const result = await recording.handle(reply);
      if (state.failAfterRecording > 0) {
        state.failAfterRecording--;
        throw new Error('answer lost (test)');
      }
      return result;
    },
  };
  return { handler, state };
}

describe.each(ENGINES)('on %s', (engine) => {
  let store: Store;
  let h: MarketingHarness;
  let handler: ReturnType<typeof switchableHandler>;
  beforeAll(async () => {
    store = await stores.open(engine);
    handler = switchableHandler(store);
    h = await startMarketing(store, {}, { mocks, channels }, { replyHandler: handler.handler });
  }, 60_000);
  afterAll(() => h.close());
  beforeEach(() => {
    channels.clear();
    handler.state.failBefore = 0;
    handler.state.failAfterRecording = 0;
    // Every SMS and push answered, at once, "Y"; retries quick.
    channels.setReplies({ share: 1, yesShare: 1, delayMs: 0, retryBackoffMs: 10, maxAttempts: 4 });
  });

  const rowsOf = async (messageId: string): Promise<number> =>
    (await store.db.select({ n: count() }).from(channelReplies).where(eq(channelReplies.messageId, messageId)))[0]?.n ??
    0;

  /** POSTs a body to /events/replies, signed with `secret` (at `t` when given). */
  const post = async (body: unknown, secret = CHANNELS_SECRET, t?: number) => {
    const raw = JSON.stringify(body);
    const res = await fetch(`${h.url}/events/replies`, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'x-ucv-signature': signEvent(secret, raw, t) },
      body: raw,
    });
    return { status: res.status, headers: res.headers, body: (await res.json()) as any }; // eslint-disable-line @typescript-eslint/no-explicit-any
  };

  it("an offer sent by SMS for an event comes back as the customer's Y, recorded in channel_replies", async () => {
    // C00000011 prefers the SMS hall: the roaming rule's offer goes out by SMS.
    const sent = await h.send(roamingEvent('C00000011'));
    expect(sent.body.offer).toMatchObject({ channel: 'SMS', status: 'SENT', offerCode: 'DATA-HKMO' });
    const message = channels.messages()[0];
    if (!message) throw new Error('no message sent');
    expect(plannedResponse(message, channels.replySettings())).toBe('Y');
    await waitFor(() => channels.replyCounts().delivered === 1, { what: 'the reply delivered' });
    expect(channels.replies()[0]).toMatchObject({ lastStatus: 202, lastAnswer: { status: 'RECORDED' } });
    const row = await readReply(store, `reply-${message.messageId}`);
    expect(row).toEqual({
      replyId: `reply-${message.messageId}`,
      messageId: message.messageId,
      customerId: 'C00000011',
      channel: 'SMS',
      text: 'Y',
      repliedAt: expect.any(Date),
      receivedAt: expect.any(Date),
      handledAt: null,
      outcome: null,
    });
    expect(await readReply(store, 'reply-of-nothing')).toBeNull();
  });

  it('is recorded once when delivered twice: the answer lost (the mock retries), then a redelivery by hand', async () => {
    handler.state.failAfterRecording = 1;
    const messageId = (
      (await (
        await fetch(`${channels.url}/channels/v1/sms`, {
          method: 'POST',
          headers: { 'content-type': 'application/json' },
          body: JSON.stringify({
            customerId: 'C00000012',
            message: 'Reply Y',
            offerCode: 'VAS-CLOUD',
            idempotencyKey: `twice-${engine}`,
          }),
        })
      ).json()) as { messageId: string }
    ).messageId;
    await waitFor(() => channels.replyCounts().delivered === 1, { what: 'the reply delivered on its retry' });
    // First attempt: recorded, then 503 (as if the answer were lost); the retry: DUPLICATE, delivered.
    expect(channels.replies()[0]).toMatchObject({
      attempts: 2,
      lastStatus: 202,
      lastAnswer: { replyId: `reply-${messageId}`, status: 'DUPLICATE' },
    });
    const first = await readReply(store, `reply-${messageId}`);
    const byHand = await fetch(`${channels.url}/channels/v1/replies/${messageId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'Y', replyId: `reply-${messageId}` }),
    });
    expect(((await byHand.json()) as { delivery: unknown }).delivery).toMatchObject({
      state: 'delivered',
      status: 202,
      answer: { status: 'DUPLICATE', detail: { receivedAt: first?.receivedAt.toISOString() } },
    });
    expect(handler.state.handled.filter((r) => r.messageId === messageId)).toHaveLength(3);
    expect(await rowsOf(messageId)).toBe(1);
    expect(await readReply(store, `reply-${messageId}`)).toEqual(first);
  });

  it('refuses a bad signature (401, nothing recorded); the mock counts such a delivery failed without retrying', async () => {
    const reply = {
      replyId: `forged-${engine}`,
      messageId: `forged-msg-${engine}`,
      customerId: 'C00000013',
      channel: 'SMS',
      text: 'Y',
      at: new Date().toISOString(),
    };
    const forged = await post(reply, 'not-the-channels-secret-0123456789');
    expect(forged.status).toBe(401);
    expect(forged.headers.get('www-authenticate')).toContain('HMAC-SHA256');
    expect(forged.body.errors[0]).toEqual({
      message: 'The event signature does not match.',
      extensions: { code: 'UNAUTHENTICATED' },
    });
    expect(await rowsOf(reply.messageId)).toBe(0);

    channels.setReplies({ secret: 'a-secret-the-gateway-does-not-hold' });
    try {
      await fetch(`${channels.url}/channels/v1/push`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify({
          customerId: 'C00000013',
          message: 'Tap',
          offerCode: 'VAS-VIDEO',
          idempotencyKey: `forged-${engine}`,
        }),
      });
      await waitFor(() => channels.replyCounts().failed === 1, { what: 'the refused delivery' });
      expect(channels.replies()[0]).toMatchObject({ attempts: 1, lastStatus: 401 });
      expect(await rowsOf(channels.messages()[0]?.messageId ?? '')).toBe(0);
    } finally {
      channels.setReplies({ secret: CHANNELS_SECRET });
    }
  });

  it('answers a body that is not a reply with 400 BAD_REQUEST naming each path, what was expected and given', async () => {
    const bad = await post({
      replyId: 'r 1',
      messageId: 'm-1',
      customerId: 'C00000014',
      channel: 'FAX',
      text: '',
      at: 'yesterday',
      extra: true,
    });
    expect(bad.status).toBe(400);
    const error = bad.body.errors[0];
    expect(error.extensions.code).toBe('BAD_REQUEST');
    expect(error.message).toMatch(/^The body is not a channel reply: replyId: 1 to 128 letters/);
    expect(error.extensions.problems.map((p: { path: string }) => p.path).sort()).toEqual([
      '(root)',
      'at',
      'channel',
      'replyId',
      'text',
    ]);
    expect(error.extensions.problems.find((p: { path: string }) => p.path === 'channel')).toEqual({
      path: 'channel',
      message: "Invalid enum value. Expected 'SMS' | 'PUSH' | 'EMAIL', received 'FAX'",
      given: 'string "FAX"',
    });
    const notObject = await post(['Y']);
    expect(notObject.status).toBe(400);
    expect(notObject.body.errors[0].extensions.problems).toEqual([
      { path: '(root)', message: 'Expected object, received array', expected: 'object', given: 'an array' },
    ]);
  });

  it('answers 503 EVENT_NOT_HANDLED when the handler fails, and takes the same signed delivery again once it works', async () => {
    handler.state.failBefore = 1;
    const reply = {
      replyId: `retry-${engine}`,
      messageId: `retry-msg-${engine}`,
      customerId: 'C00000015',
      channel: 'PUSH',
      text: 'CLICK',
      at: '2026-11-24T06:00:05+08:00',
    };
    const t = Math.floor(Date.now() / 1000);
    const failed = await post(reply, CHANNELS_SECRET, t);
    expect(failed.status).toBe(503);
    expect(failed.body.errors[0].extensions.code).toBe('EVENT_NOT_HANDLED');
    expect(await rowsOf(reply.messageId)).toBe(0);
    // The very same signature: released when the handler failed, so the sender's retry is not taken for a replay.
    const retried = await post(reply, CHANNELS_SECRET, t);
    expect(retried.status).toBe(202);
    expect(retried.body).toEqual({
      replyId: reply.replyId,
      status: 'RECORDED',
      detail: { receivedAt: expect.any(String) },
    });
    expect((await readReply(store, reply.replyId))?.repliedAt.toISOString()).toBe('2026-11-23T22:00:05.000Z');
  });
});

it('records replies by default: a gateway with a store and no handler given runs recordingReplyHandler', async () => {
  const store = await stores.open('postgres');
  const h = await startMarketing(store, {}, { mocks, channels });
  try {
    channels.clear();
    channels.setReplies({ share: 1, yesShare: 0, delayMs: 0 });
    const res = await fetch(`${channels.url}/channels/v1/sms`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({
        customerId: 'C00000016',
        message: 'Reply Y',
        offerCode: 'LD-10',
        idempotencyKey: 'default-1',
      }),
    });
    const { messageId } = (await res.json()) as { messageId: string };
    await waitFor(() => channels.replyCounts().delivered === 1, { what: 'the reply delivered' });
    expect(await readReply(store, `reply-${messageId}`)).toMatchObject({ customerId: 'C00000016', text: 'N' });
  } finally {
    await h.close();
  }
});
