/**
 * `npx tsx scripts/example.ts examples/<name>.json`: an example definition with the URLs of the running mocks, on
 * stdout, for the admin API (`… | curl … --data @-`). The examples name the mocks by variable, never by port:
 *
 *   ${NETWORK_EVENTS_URL}  the network-events mock: http://127.0.0.1:<UCV_NETWORK_EVENTS_PORT, default 4105>
 *   ${BILLING_URL}         the billing mock: the `billing` adapter's URL in the config npm start reads (UCV_CONFIG)
 *
 * A variable set in the environment wins (NETWORK_EVENTS_URL=http://… npx tsx scripts/example.ts …), so the same
 * file serves mocks that run elsewhere. A variable with no value is an error naming it, not a broken definition.
 */
import fs from 'node:fs';
import { loadConfig } from '../gateway/config';

/** The mocks' base URLs as `npm start` runs them, unless the environment names them. */
export function mockUrls(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  const billing = env.BILLING_URL ?? loadConfig(env).adapters.find((a) => a.name === 'billing')?.url;
  return {
    NETWORK_EVENTS_URL: env.NETWORK_EVENTS_URL ?? `http://127.0.0.1:${env.UCV_NETWORK_EVENTS_PORT ?? 4105}`,
    ...(billing ? { BILLING_URL: billing.replace(/\/+$/, '') } : {}),
  };
}

/** The definition in `file` with each `${NAME}` replaced by its value; throws naming a variable that has none. */
export function renderExample(file: string, vars: Readonly<Record<string, string>>): unknown {
  const text = fs.readFileSync(file, 'utf8').replace(/\$\{([A-Z_]+)\}/g, (_, name: string) => {
    const value = vars[name];
    if (value === undefined) throw new Error(`${file}: no value for \${${name}} (set ${name} in the environment)`);
    return value;
  });
  return JSON.parse(text) as unknown;
}

if (require.main === module) {
  const file = process.argv[2];
  if (!file) {
    console.error('usage: npx tsx scripts/example.ts examples/<name>.json');
    process.exit(2);
  }
  try {
    process.stdout.write(`${JSON.stringify(renderExample(file, mockUrls()), null, 2)}\n`);
  } catch (err) {
    console.error(`example: ${(err as Error).message}`);
    process.exit(1);
  }
}
