/**
 * The channel gateway mock answers for its customers: a share of SMS and push messages gets a reply, Y/N or CLICK as
 * `plannedResponse` predicts, POSTed to the webhook signed as docs/events.md says (checked here by the gateway's own
 * verifier), retried with backoff when the webhook fails (5xx, network) and given up on a 4xx; replies by hand; the
 * settings through `/__control/replies`. Real HTTP: the mock and a webhook receiver of the test's own.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { eventVerifier, memoryReplayStore } from '../gateway/inbound/events/signature';
import { plannedResponse, startChannelsMock, type ChannelName, type ChannelsMock } from '../mocks/channels';
import { waitFor } from './support/wait';

const SECRET = 'channel-replies-secret-0123456789';

interface Received {
  body: Record<string, unknown>;
  /** Whether the signature verified (a fresh one, of the exact body, with the secret). */
  verified: boolean;
}

/** A webhook receiver: verifies each delivery's signature, then answers `status()` (202 by default). */
async function startReceiver() {
  const verifier = eventVerifier({
    secrets: { channels: SECRET },
    toleranceSeconds: 300,
    replay: memoryReplayStore(),
  });
  const received: Received[] = [];
  let answer: () => number = () => 202;
  const server = http.createServer((req, res) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const raw = Buffer.concat(chunks);
      void verifier
        .verify('channels', req.headers, raw)
        .then(
          () => true,
          () => false,
        )
        .then((verified) => {
          received.push({ body: JSON.parse(raw.toString('utf8')) as Record<string, unknown>, verified });
          const status = answer();
          res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify({ status }));
        });
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return {
    url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/events/replies`,
    received,
    answerWith: (fn: () => number) => void (answer = fn),
    close: () =>
      new Promise<void>((resolve) => {
        server.close(() => resolve());
        server.closeAllConnections();
      }),
  };
}

let channels: ChannelsMock;
let receiver: Awaited<ReturnType<typeof startReceiver>>;
beforeAll(async () => {
  [channels, receiver] = await Promise.all([startChannelsMock(), startReceiver()]);
});
afterAll(() => Promise.all([channels.close(), receiver.close()]));
beforeEach(() => {
  channels.clear();
  channels.faults.reset();
  receiver.received.length = 0;
  receiver.answerWith(() => 202);
  channels.setReplies({
    webhookUrl: receiver.url,
    secret: SECRET,
    share: 1,
    yesShare: 1,
    delayMs: 0,
    maxAttempts: 4,
    retryBackoffMs: 10,
  });
});

const ROUTES: Record<ChannelName, string> = { SMS: 'sms', PUSH: 'push', EMAIL: 'email' };
let keys = 0;
async function send(channel: ChannelName, customerId: string, offerCode = 'DATA-HKMO'): Promise<string> {
  const res = await fetch(`${channels.url}/channels/v1/${ROUTES[channel]}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ customerId, message: 'An offer.', offerCode, idempotencyKey: `k-${process.pid}-${++keys}` }),
  });
  expect(res.status).toBe(202);
  return ((await res.json()) as { messageId: string }).messageId;
}
const settled = (what: string) =>
  waitFor(() => channels.replyCounts().sent > 0 && channels.replyCounts().pending === 0, { what });

it('answers the share of SMS and push messages plannedResponse predicts: Y/N to an SMS, CLICK on a push, none to an e-mail', async () => {
  const odds = { share: 0.5, yesShare: 0.5 };
  channels.setReplies(odds);
  const customers = Array.from({ length: 40 }, (_, i) => `C${String(i + 1).padStart(8, '0')}`);
  const sent: Array<{ channel: ChannelName; customerId: string; messageId: string }> = [];
  for (const [i, customerId] of customers.entries()) {
    const channel: ChannelName = i % 4 === 0 ? 'PUSH' : i % 4 === 1 ? 'EMAIL' : 'SMS';
    sent.push({ channel, customerId, messageId: await send(channel, customerId) });
  }
  const expected = Object.fromEntries(
    sent.flatMap((m) => {
      const text = plannedResponse({ ...m, offerCode: 'DATA-HKMO' }, odds);
      return text ? [[m.messageId, { text, channel: m.channel, customerId: m.customerId }]] : [];
    }),
  );
  // A share, not all and not none; SMS answered both ways; e-mail never.
  const texts = Object.values(expected).map((e) => e.text);
  expect(texts.length).toBeGreaterThan(5);
  expect(texts.length).toBeLessThan(35);
  expect(texts).toEqual(expect.arrayContaining(['Y', 'N', 'CLICK']));
  expect(Object.values(expected).some((e) => e.channel === 'EMAIL')).toBe(false);

  await waitFor(() => receiver.received.length === texts.length && channels.replyCounts().pending === 0, {
    what: 'the planned replies delivered',
  });
  expect(channels.replyCounts()).toEqual({ sent: texts.length, delivered: texts.length, failed: 0, pending: 0 });
  expect(receiver.received.every((r) => r.verified)).toBe(true);
  const got = Object.fromEntries(
    receiver.received.map(({ body }) => [
      body.messageId,
      { text: body.text, channel: body.channel, customerId: body.customerId },
    ]),
  );
  expect(got).toEqual(expected);
  expect(receiver.received[0]?.body).toEqual({
    replyId: `reply-${String(receiver.received[0]?.body.messageId)}`,
    messageId: expect.any(String),
    customerId: expect.stringMatching(/^C\d{8}$/),
    channel: expect.stringMatching(/^(SMS|PUSH)$/),
    text: expect.stringMatching(/^(Y|N|CLICK)$/),
    at: expect.stringMatching(/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/),
  });
  // The same customer and offer, sent again: answered the same way.
  const answered = sent.find((m) => m.channel === 'SMS' && expected[m.messageId]);
  const again = await send('SMS', answered?.customerId ?? '');
  await waitFor(() => receiver.received.find((r) => r.body.messageId === again), { what: 'the second reply' });
  expect(receiver.received.find((r) => r.body.messageId === again)?.body.text).toBe(
    expected[answered?.messageId ?? '']?.text,
  );
});

it('retries a delivery the webhook failed (5xx) with backoff, each attempt signed afresh, and counts it delivered', async () => {
  let calls = 0;
  receiver.answerWith(() => (++calls <= 2 ? 503 : 202));
  const messageId = await send('SMS', 'C00000011');
  await settled('the reply delivered');
  expect(channels.replyCounts()).toEqual({ sent: 1, delivered: 1, failed: 0, pending: 0 });
  expect(channels.replies()[0]).toMatchObject({ state: 'delivered', attempts: 3, lastStatus: 202 });
  // Three deliveries of one body, each with a signature the receiver had not seen (its replay check passed them all).
  expect(receiver.received.map((r) => [r.body.messageId, r.verified])).toEqual([
    [messageId, true],
    [messageId, true],
    [messageId, true],
  ]);
});

it('gives up after maxAttempts when the webhook cannot be reached, and counts it failed', async () => {
  const closed = await startReceiver();
  await closed.close(); // its port now refuses connections
  channels.setReplies({ webhookUrl: closed.url, maxAttempts: 3 });
  await send('PUSH', 'C00000012');
  await settled('the reply given up');
  expect(channels.replyCounts()).toEqual({ sent: 1, delivered: 0, failed: 1, pending: 0 });
  expect(channels.replies()[0]).toMatchObject({ state: 'failed', attempts: 3, lastStatus: null });
});

it("does not retry the webhook's refusal (4xx): counted failed after one attempt", async () => {
  receiver.answerWith(() => 401);
  await send('SMS', 'C00000013');
  await settled('the reply refused');
  expect(channels.replyCounts()).toEqual({ sent: 1, delivered: 0, failed: 1, pending: 0 });
  expect(channels.replies()[0]).toMatchObject({ state: 'failed', attempts: 1, lastStatus: 401 });
  expect(receiver.received).toHaveLength(1);
});

it('sends no reply while no webhook is set, and none for a share of 0', async () => {
  channels.setReplies({ webhookUrl: null });
  await send('SMS', 'C00000014');
  channels.setReplies({ webhookUrl: receiver.url, share: 0 });
  await send('SMS', 'C00000015');
  // Planned (or not) when the message is accepted, before its 202 is answered: nothing is on its way.
  expect(channels.replyCounts()).toEqual({ sent: 0, delivered: 0, failed: 0, pending: 0 });
});

it('clear() cancels the replies still waiting for their delay', async () => {
  channels.setReplies({ delayMs: 600_000 });
  await send('SMS', 'C00000016');
  expect(channels.replyCounts()).toMatchObject({ sent: 1, pending: 1 });
  channels.clear();
  expect(channels.replyCounts()).toEqual({ sent: 0, delivered: 0, failed: 0, pending: 0 });
});

describe('a reply by hand: POST /channels/v1/replies/<messageId>', () => {
  const reply = (messageId: string, body: unknown) =>
    fetch(`${channels.url}/channels/v1/replies/${messageId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });

  it('delivers the text given now and answers with the delivery; a replyId given again is that reply redelivered', async () => {
    channels.setReplies({ share: 0 });
    const messageId = await send('SMS', 'C00000021');
    const first = await reply(messageId, { text: 'Y please', replyId: 'hand-1' });
    expect(first.status).toBe(200);
    expect(await first.json()).toMatchObject({
      reply: { replyId: 'hand-1', messageId, customerId: 'C00000021', channel: 'SMS', text: 'Y please' },
      delivery: { state: 'delivered', attempts: 1, status: 202, answer: { status: 202 } },
    });
    const again = await reply(messageId, { text: 'Y please', replyId: 'hand-1' });
    expect(((await again.json()) as { delivery: { state: string } }).delivery.state).toBe('delivered');
    expect(receiver.received.map((r) => [r.body.replyId, r.verified])).toEqual([
      ['hand-1', true],
      ['hand-1', true],
    ]);
    expect(channels.replyCounts()).toEqual({ sent: 2, delivered: 2, failed: 0, pending: 0 });
  });

  it('refuses an unknown message (404), no text (400), no webhook (409); faults apply as to every route', async () => {
    const messageId = await send('EMAIL', 'C00000022');
    expect((await reply('sms-nope-1', { text: 'Y' })).status).toBe(404);
    const noText = await reply(messageId, {});
    expect(noText.status).toBe(400);
    expect(await noText.json()).toEqual({ error: 'text must be a string of 1 to 500 characters, e.g. "Y"' });
    channels.faults.set({ failNext: 1 });
    expect((await reply(messageId, { text: 'Y' })).status).toBe(500);
    channels.setReplies({ webhookUrl: null });
    expect((await reply(messageId, { text: 'Y' })).status).toBe(409);
  });
});

describe('the settings: GET and PATCH /__control/replies', () => {
  const control = (method: string, body?: unknown) =>
    fetch(`${channels.url}/__control/replies`, {
      method,
      headers: { 'content-type': 'application/json' },
      body: body === undefined ? undefined : JSON.stringify(body),
    });

  it('shows the settings (the secret hidden) and the counts; merges a patch; refuses a bad value by name; uncounted', async () => {
    const before = channels.faults.requests().total;
    const shown = (await (await control('GET')).json()) as { settings: Record<string, unknown>; counts: unknown };
    expect(shown).toEqual({
      settings: {
        webhookUrl: receiver.url,
        secret: '(set)',
        share: 1,
        yesShare: 1,
        delayMs: 0,
        maxAttempts: 4,
        retryBackoffMs: 10,
        timeoutMs: 5000,
      },
      counts: { sent: 0, delivered: 0, failed: 0, pending: 0 },
    });
    const patched = await control('PATCH', { share: 0.25, delayMs: 1500 });
    expect(patched.status).toBe(200);
    expect(channels.replySettings()).toMatchObject({ share: 0.25, delayMs: 1500, yesShare: 1 });
    for (const [body, error] of [
      [{ share: 2 }, 'share must be between 0 and 1, got 2'],
      [{ webhookUrl: 'ftp://x' }, 'webhookUrl must be an http(s) URL or null, got "ftp://x"'],
      [{ secret: 'short' }, 'secret must be a string of at least 16 characters, or null'],
      [{ maxAttempts: 0 }, 'maxAttempts must be an integer ≥ 1, got 0'],
      [{ shares: 1 }, expect.stringMatching(/^unknown reply setting "shares"; known: webhookUrl, secret, share/)],
    ] as const) {
      const res = await control('PATCH', body);
      expect(res.status).toBe(400);
      expect(await res.json()).toEqual({ error });
    }
    expect(channels.replySettings()).toMatchObject({ share: 0.25 });
    expect(channels.faults.requests().total).toBe(before);
    expect(() => channels.setReplies({ yesShare: -1 })).toThrow('yesShare must be a number ≥ 0, got -1');
  });
});
