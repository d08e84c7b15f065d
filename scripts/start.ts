/**
 * `npm start`: the four mock production systems and the gateway, with the embedded in-memory cache. Nothing else
 * needs to run. Ports: gateway 4000 (PORT), CRM 4101, billing 4102, warehouse 4103, scoring 4104.
 *
 * With UCV_WORKERS above 1 only the gateway is forked (gateway/cluster.ts); the mocks stay in this, the primary,
 * process. On SIGTERM or SIGINT the gateway drains first, so views in flight still reach the mocks, then the mocks stop.
 */
import cluster from 'node:cluster';
import { serve } from '../gateway/cluster';
import { ConfigError, loadConfig } from '../gateway/config';
import { SAMPLE_CUSTOMERS, startMocks } from '../mocks';

async function main(): Promise<void> {
  const config = loadConfig();
  if (cluster.isWorker) return serve(config);
  const port = (name: string): number => Number(new URL(config.adapters.find((a) => a.name === name)?.url ?? 'http://x:0').port);
  const mocks = await startMocks({
    ports: { crm: port('crm'), billing: port('billing'), warehouse: port('warehouse'), scoring: port('scoring') },
    // The CRM tells the gateway when a customer's products change, so cached CRM data is evicted at once.
    crmWebhooks: [`http://127.0.0.1:${config.port}/events/crm`],
  });
  await serve(config, { onReady: (url) => banner(url, mocks), onStopped: () => mocks.close() });
}

function banner(url: string, mocks: Awaited<ReturnType<typeof startMocks>>): void {
  console.log(`
UCV Gateway is up.

  GraphQL + GraphiQL  ${url}/graphql        (open it in a browser)
  Health              ${url}/healthz

  Mock systems (fault injection at <url>/__control):
    crm        ${mocks.crm.url}
    billing    ${mocks.billing.url}   (SOAP, WSDL at ${mocks.billing.url}/billing/AccountService?wsdl)
    warehouse  ${mocks.warehouse.url}
    scoring    ${mocks.scoring.url}

  Sample customers: ${SAMPLE_CUSTOMERS.ordinary} ordinary · ${SAMPLE_CUSTOMERS.suspended} suspended · ${SAMPLE_CUSTOMERS.newNotInWarehouse} new (not in the nightly batch)
                    ${SAMPLE_CUSTOMERS.noBillingAccount} no billing account · ${SAMPLE_CUSTOMERS.keyAccount} key account

  A first query:
    curl -s ${url}/graphql -H 'content-type: application/json' \\
      -d '{"query":"{ customer(id: \\"${SAMPLE_CUSTOMERS.ordinary}\\") { profile { name } billing { balance } score { creditScore } sources { source status } } }"}'
`);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? `ucv-gateway: ${err.message}` : err);
  process.exit(1);
});
