/**
 * Hive Gateway over the mocks, for the benchmark: composes the supergraph from the running mocks (mesh.config.ts),
 * starts Hive Gateway with its response cache on Redis, prints one JSON line {"url":"http://127.0.0.1:PORT"} and
 * serves /graphql until SIGTERM/SIGINT.
 *   MOCK_URLS='{"crm":…,"billing":…,"warehouse":…,"scoring":…}' HIVE_REDIS_URL=redis://127.0.0.1:6379 npm start
 * HIVE_RESPONSE_CACHE=off: no response cache and no Redis, every view a call to each source (the live fan-out's
 * peer of the UCV gateway with its caches off).
 *
 * This is what the `hive-gateway supergraph` command does (createGatewayRuntime, the cache from its config, a
 * node:http server with the runtime as handler, one process), done in-process so that the supergraph is composed
 * at start-up and the port can be 0.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import {
  createGatewayRuntime,
  getCacheInstanceFromConfig,
  LegacyLogger,
  Logger,
  MemPubSub,
} from '@graphql-hive/gateway';
import { getComposedResultFromConfig } from '@graphql-mesh/compose-cli';
import { composeConfig } from './mesh.config.ts';
import { soapTransport } from './soap-transport.ts';

/** Longer than any bench run: every answer stays in the cache. */
const RESPONSE_TTL_MS = 3_600_000;

async function main(): Promise<void> {
  const redisUrl = process.env.HIVE_REDIS_URL ?? 'redis://127.0.0.1:6379';
  const responseCache = process.env.HIVE_RESPONSE_CACHE !== 'off';
  // Composition failures are reported on stderr; everything else is silent.
  const { supergraphSdl } = await getComposedResultFromConfig(
    composeConfig,
    LegacyLogger.from(new Logger({ level: 'error' })),
  );
  const log = new Logger({ level: false });
  const pubsub = new MemPubSub();
  const cache = !responseCache
    ? undefined
    : await getCacheInstanceFromConfig(
        // A key prefix of this process's own, so that runs sharing a Redis never see each other's entries.
        { cache: { type: 'redis', url: redisUrl, keyPrefix: `ucv-bench-hive:${process.pid}:${Date.now()}:` } },
        { log, pubsub, cwd: import.meta.dirname },
      );
  const gateway = createGatewayRuntime({
    supergraph: supergraphSdl,
    logging: log,
    pubsub,
    cache,
    graphqlEndpoint: '/graphql',
    landingPage: false,
    // REST subgraphs through @graphql-mesh/transport-rest as by default; billing through the SOAP executor that
    // matches its loader (soap-transport.ts).
    transports: (kind) => (kind === 'soap' ? soapTransport : import(`@graphql-mesh/transport-${kind}`)),
    // The whole answer cached for everyone (no session), as the UCV cache is shared by every client.
    responseCaching: !responseCache
      ? undefined
      : {
          session: () => null,
          ttl: RESPONSE_TTL_MS,
          // By default an answer with any error is never cached (and logged), so a customer one system does not know
          // (not yet in the warehouse batch: a 404) would reach every backend on every request. The UCV gateway caches
          // not-found answers too: so does this, for answers whose only errors are the backends' 404s.
          shouldCacheResult: ({ result }) =>
            (result.errors ?? []).every(
              (error) => (error.extensions?.response as { status?: number } | undefined)?.status === 404,
            ),
        },
  });
  await gateway.getSchema();
  const server = http.createServer(gateway);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  process.stdout.write(`${JSON.stringify({ url: `http://127.0.0.1:${(server.address() as AddressInfo).port}` })}\n`);
}

process.once('SIGINT', () => process.exit(0)).once('SIGTERM', () => process.exit(0));

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
