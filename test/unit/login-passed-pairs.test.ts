/**
 * A source address and identity that just passed skip the throttle's counters for `loginThrottle.passedMs`
 * (pipeline/identity.ts): the same pair is not read again within it, and is read again after it; another address or
 * another identity is read at once, and a full counter refuses it. The clock is the authenticator's own, injected.
 */
import type { IncomingMessage } from 'node:http';
import pino from 'pino';
import { createAuthenticator } from '../../gateway/pipeline/identity';
import type { LoginThrottle } from '../../gateway/rate-limit/login-throttle';
import { NO_BACKENDS, TEST_API_KEY, testConfig } from '../support/harness';

/** A throttle whose counters say `wait` seconds for the addresses in `full`, counting its reads. */
function throttle(full: ReadonlySet<string>) {
  const reads: string[] = [];
  const fake: LoginThrottle = {
    waitSeconds: async (address) => (reads.push(address), full.has(address) ? 60 : 0),
    failed: async () => 0,
    sourceOf: (req) => req.socket.remoteAddress ?? 'unknown',
    close: async () => undefined,
  };
  return { fake, reads };
}

const request = (address: string, key = TEST_API_KEY): IncomingMessage =>
  ({ headers: { 'x-api-key': key }, socket: { remoteAddress: address } }) as unknown as IncomingMessage;

test('a pair that passed is read again only after passedMs; another address is read at once', async () => {
  let clock = 1_000_000;
  const { fake, reads } = throttle(new Set(['10.0.0.9']));
  const security = testConfig(NO_BACKENDS, { security: { loginThrottle: { passedMs: 1000 } } }).security;
  const auth = createAuthenticator(security, { now: () => clock, throttle: fake, logger: pino({ level: 'silent' }) });
  await auth.authenticate(request('10.0.0.1'));
  await auth.authenticate(request('10.0.0.1'));
  clock += 999;
  await auth.authenticate(request('10.0.0.1'));
  expect(reads).toEqual(['10.0.0.1']);
  clock += 2;
  await auth.authenticate(request('10.0.0.1'));
  expect(reads).toEqual(['10.0.0.1', '10.0.0.1']);
  // The same credential from an address whose counter is full: read, and refused, though the key passed elsewhere.
  await expect(auth.authenticate(request('10.0.0.9'))).rejects.toMatchObject({
    extensions: { code: 'RATE_LIMITED' },
  });
  await expect(auth.authenticate(request('10.0.0.9'))).rejects.toMatchObject({
    extensions: { code: 'RATE_LIMITED' },
  });
  expect(reads).toEqual(['10.0.0.1', '10.0.0.1', '10.0.0.9', '10.0.0.9']);
  await auth.close();
});

test('passedMs 0 reads the counters on every request', async () => {
  const { fake, reads } = throttle(new Set());
  const security = testConfig(NO_BACKENDS, { security: { loginThrottle: { passedMs: 0 } } }).security;
  const auth = createAuthenticator(security, { throttle: fake, logger: pino({ level: 'silent' }) });
  for (let i = 0; i < 3; i++) await auth.authenticate(request('10.0.0.1'));
  expect(reads).toHaveLength(3);
  await auth.close();
});
