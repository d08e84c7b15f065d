/**
 * The config is validated at start; an invalid one stops the start with a message naming the key, what was
 * expected and what was given. Environment variables override the port and the backend URLs.
 */
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { ConfigError, FETCH_BAD_PORTS, parseConfig } from '../gateway/config';

const valid = { adapters: [{ name: 'crm', url: 'http://127.0.0.1:4101' }] };
const messageOf = (input: unknown): string => {
  try {
    parseConfig(input, {});
  } catch (err) {
    expect(err).toBeInstanceOf(ConfigError);
    return (err as Error).message;
  }
  throw new Error('config was accepted');
};

it('fills every default and freezes the result', () => {
  const config = parseConfig(valid, {});
  expect(config.port).toBe(4000);
  expect(config.adapters[0]?.policy.timeoutMs).toBe(2000);
  expect(config.adapters[0]?.policy.breaker).toEqual({
    errorThresholdPercentage: 50,
    volumeThreshold: 10,
    consecutiveFailures: 10,
    rollingCountTimeoutMs: 10_000,
    resetTimeoutMs: 500,
    slowCallDurationMs: 1000,
    halfOpenProbes: 3,
  });
  expect(config.adapters[0]?.policy.bulkhead).toEqual({ maxConcurrent: 100, queue: 300, queueTimeoutMs: 1000 });
  expect(config.adapters[0]?.policy.maxResponseBytes).toBe(1024 * 1024);
  expect(config.cache.maxBytes).toBe(128 * 1024 * 1024);
  expect(Object.isFrozen(config.adapters[0]?.policy)).toBe(true);
  // The drain's grace covers the default policy's worst call (2 attempts of 2000 ms plus 50 ms of backoff).
  expect(config.shutdown).toEqual({ graceMs: 10_000, delayMs: 0 });
  expect(config.workers).toBe(1);
});

it('UCV_WORKERS sets the worker count: a number, or auto', () => {
  expect(parseConfig(valid, { UCV_WORKERS: '3' }).workers).toBe(3);
  expect(parseConfig(valid, { UCV_WORKERS: 'auto' }).workers).toBe('auto');
});

it.each([
  [{ ...valid, port: 'eighty' }, 'port: expected number, got "eighty"'],
  [{ ...valid, port: 70000 }, 'port: expected number ≤ 65535, got 70000'],
  [{ adapters: [{ name: 'crm', url: 'not a url' }] }, 'adapters[0].url: expected a valid url, got "not a url"'],
  [
    { adapters: [{ name: 'crm', url: 'http://x', policy: { timeoutMs: -5 } }] },
    'adapters[0].policy.timeoutMs: expected number ≥ 1, got -5',
  ],
  [
    { adapters: [{ name: 'crm', url: 'http://x', policy: { cache: { ttl: 5 } } }] },
    'adapters[0].policy.cache: unknown key(s) "ttl"',
  ],
  [{ adapters: [] }, 'adapters: expected at least 1 item(s), got []'],
  [{}, 'adapters: expected array, got nothing'],
  [
    { ...valid, logLevel: 'loud' },
    'logLevel: expected one of "fatal", "error", "warn", "info", "debug", "trace", "silent", got "loud"',
  ],
  [
    { ...valid, events: { secrets: { crm: 'short' } } },
    'events.secrets.crm: expected a string of at least 16 character(s), got "short"',
  ],
  [{ ...valid, publicUrl: 'ucv.example.com' }, 'publicUrl: expected a valid url, got "ucv.example.com"'],
  [
    { ...valid, rateLimit: { roles: { marketing: { requestsPerSecond: 0 } } } },
    'rateLimit.roles.marketing.requestsPerSecond: expected number ≥ 1, got 0',
  ],
  [{ ...valid, limits: { bodyIdleTimeoutMs: 0 } }, 'limits.bodyIdleTimeoutMs: expected number ≥ 1, got 0'],
  [{ ...valid, workers: 'many' }, 'workers: expected a whole number from 1 to 256, or "auto", got "many"'],
  [{ ...valid, workers: 0 }, 'workers: expected number ≥ 1, got 0'],
  [
    { ...valid, shutdown: { graceMs: 3000 } },
    'shutdown.graceMs: expected at least 4050 (adapters[0] "crm": 2 attempts of 2000 ms plus backoff), so a drain never cuts a call in flight, got 3000',
  ],
  [
    { ...valid, shutdown: { delayMs: 20000 } },
    'shutdown.delayMs: expected less than shutdown.graceMs (10000), got 20000',
  ],
])('rejects %j: %s', (input, expected) => {
  expect(messageOf(input)).toContain(expected);
});

it('PORT and UCV_<ADAPTER>_URL override the file', () => {
  const config = parseConfig(valid, { PORT: '5000', UCV_CRM_URL: 'http://crm.internal:8080' });
  expect(config.port).toBe(5000);
  expect(config.adapters[0]?.url).toBe('http://crm.internal:8080');
});

it("UCV_<SOURCE>_EVENTS_SECRET sets or overrides a source's event secret", () => {
  const config = parseConfig(
    { ...valid, events: { secrets: { crm: 'from-the-file-0123456' } } },
    { UCV_CRM_EVENTS_SECRET: 'from-the-environment-0123', UCV_BILLING_EVENTS_SECRET: 'billing-secret-0123456789' },
  );
  expect(config.events.secrets).toEqual({ crm: 'from-the-environment-0123', billing: 'billing-secret-0123456789' });
});

describe('ports that fetch refuses (the WHATWG Fetch "bad ports")', () => {
  it.each([
    ['the listening port', { port: 6000 }, {}, 'port'],
    ['PORT from the environment', {}, { PORT: '6000' }, 'port'],
    ['publicUrl', { publicUrl: 'http://ucv.example.com:6000' }, {}, 'publicUrl'],
    [
      'marketing.channelsUrl',
      { marketing: { channelsUrl: 'http://channels.internal:6666/' } },
      {},
      'marketing.channelsUrl',
    ],
  ])('%s on one is refused at validation, saying why', (_, extra, env, key) => {
    expect(() => parseConfig({ ...valid, ...extra }, env)).toThrow(
      new RegExp(
        `${key.replace('.', '\\.')}: expected a port HTTP clients accept: Node's fetch and browsers refuse port 6\\d{3} \\(the WHATWG Fetch "bad ports" list\\)`,
      ),
    );
  });

  it('a port next to one is accepted', () => {
    expect(parseConfig({ ...valid, port: 6001, publicUrl: 'http://ucv.example.com:6001' }, {}).port).toBe(6001);
  });

  it("the list is undici's, the fetch node runs", () => {
    // eslint-disable-next-line @typescript-eslint/no-require-imports
    const { badPorts } = require('undici/lib/web/fetch/constants') as { badPorts: string[] };
    expect([...FETCH_BAD_PORTS].sort((x, y) => x - y)).toEqual(badPorts.map(Number).sort((x, y) => x - y));
  });

  it('fetch really refuses such a port, with no answer', async () => {
    await expect(fetch('http://127.0.0.1:6000/')).rejects.toMatchObject({ cause: { message: 'bad port' } });
  });
});

it('an invalid PORT is reported like a bad file value', () => {
  expect(() => parseConfig(valid, { PORT: 'x' })).toThrow('port: expected number, got "x"');
});

it('the gateway refuses to start on an invalid file, with the message and exit code 1', async () => {
  const file = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'ucv-')), 'bad.json');
  fs.writeFileSync(
    file,
    JSON.stringify({ adapters: [{ name: 'crm', url: 'http://127.0.0.1:1', policy: { timeoutMs: 'soon' } }] }),
  );
  const run = promisify(execFile)(
    process.execPath,
    [require.resolve('tsx/cli'), path.join(__dirname, '..', 'gateway', 'main.ts')],
    {
      env: { ...process.env, UCV_CONFIG: file },
    },
  );
  await expect(run).rejects.toMatchObject({
    code: 1,
    stderr: expect.stringContaining('adapters[0].policy.timeoutMs: expected number, got "soon"'),
  });
});

it('an adapter that does not exist stops the start, naming it', async () => {
  const { createGateway } = await import('../gateway/app/server');
  expect(() => createGateway(parseConfig({ adapters: [{ name: 'nosuch', url: 'http://x' }] }, {}))).toThrow(
    /adapters\[0\]: cannot load adapter module .*nosuch/,
  );
});
