/**
 * Runs the gateway alone, against the backends named in config (production use): `npm run gateway`.
 */
import { ConfigError, loadConfig } from './config';
import { createGateway } from './server';

async function main(): Promise<void> {
  const config = loadConfig();
  const gateway = createGateway(config);
  const url = await gateway.listen();
  console.warn(`UCV Gateway listening on ${url}/graphql`);
  const stop = (): void => void gateway.close(10_000).then(() => process.exit(0));
  process.once('SIGINT', stop).once('SIGTERM', stop);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? `ucv-gateway: ${err.message}` : err);
  process.exit(1);
});
