/**
 * Starts the mocks and one gateway in this process, on free ports, and prints one JSON line with their URLs.
 * Benchmarks run it as a child process so that their load generator does not share the gateway's event loop.
 * STACK_POLICIES: JSON of policy overrides per adapter. STACK_REDIS_URL: use Redis as the cache.
 */
import pino from 'pino';
import { parseConfig } from '../gateway/config';
import { createGateway } from '../gateway/server';
import { startMocks } from '../mocks';

async function main(): Promise<void> {
  const policies = JSON.parse(process.env.STACK_POLICIES ?? '{}') as Record<string, unknown>;
  const mocks = await startMocks();
  const config = parseConfig(
    {
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent',
      cache: process.env.STACK_REDIS_URL ? { redisUrl: process.env.STACK_REDIS_URL, keyPrefix: `bench:${process.pid}:` } : {},
      adapters: (['crm', 'billing', 'warehouse', 'scoring'] as const).map((name) => ({ name, url: mocks.urls[name], policy: policies[name] ?? {} })),
    },
    {},
  );
  const gateway = createGateway(config, { logger: pino({ level: 'silent' }) });
  const url = await gateway.listen();
  console.log(JSON.stringify({ gateway: url, mocks: mocks.urls }));
}

void main();
