/**
 * Runs the gateway alone, against the backends named in config (production use): `npm run gateway`. With
 * UCV_WORKERS (config `workers`) above 1, one process per worker behind one port (cluster.ts). SIGTERM or SIGINT
 * drains: /readyz answers 503, requests in flight finish within `shutdown.graceMs`, then the process exits.
 */
import { serve } from './app';
import { ConfigError, loadConfig } from './config';

async function main(): Promise<void> {
  const config = loadConfig();
  await serve(config, { onReady: (url) => console.warn(`UCV Gateway listening on ${url}/graphql`) });
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? `ucv-gateway: ${err.message}` : err);
  process.exit(1);
});
