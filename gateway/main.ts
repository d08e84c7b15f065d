/**
 * Runs the gateway alone, against the backends named in config (production use): `npm run gateway`.
 */
import { ConfigError, loadConfig } from './config';
import { createGateway, openConfiguredStore } from './server';

async function main(): Promise<void> {
  const config = loadConfig();
  const store = await openConfiguredStore(config);
  const gateway = createGateway(config, { store });
  const url = await gateway.listen();
  console.warn(`UCV Gateway listening on ${url}/graphql (store: ${store.kind})`);
  const stop = (): void => void gateway.close(10_000).then(() => store.close()).then(() => process.exit(0));
  process.once('SIGINT', stop).once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? `ucv-gateway: ${err.message}` : err);
  process.exit(1);
});
