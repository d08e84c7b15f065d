/**
 * `npm start`: the five mock production systems and the gateway, with the embedded in-memory cache and the embedded
 * durable store (PGlite in var/store/; DATABASE_URL selects PostgreSQL). Nothing else needs to run. Ports: gateway
 * 4000 (PORT), CRM 4101, billing 4102, warehouse 4103, scoring 4104, network events 4105 (UCV_NETWORK_EVENTS_PORT).
 *
 * The event secrets (events.secrets.crm, .network, .channels) are printed with where they came from: the environment
 * (UCV_CRM_EVENTS_SECRET, UCV_NETWORK_EVENTS_SECRET, UCV_CHANNELS_EVENTS_SECRET) or made up for this run.
 *
 * With UCV_WORKERS above 1 only the gateway is forked (gateway/app/cluster.ts); the mocks stay in this, the primary,
 * process. On SIGTERM or SIGINT the gateway drains first, so views in flight still reach the mocks, then the mocks stop.
 */
import cluster from 'node:cluster';
import { randomBytes } from 'node:crypto';
import { serve } from '../gateway/app';
import { ConfigError, loadConfig } from '../gateway/config';
import { SAMPLE_CUSTOMERS, startMocks } from '../mocks';
import { startChannelsMock } from '../mocks/channels';
import { startPublisher, type Publisher } from '../mocks/network-events/publisher';
import { DEMO_CONSUMERS, withDemoConsumers, withDemoRules } from './demo-consumers';

/** The channel gateway mock (SMS, app push, e-mail) the demo's rules send offers to. */
const CHANNELS_PORT = 4106;
/** Customer events the demo publishes to /events/network, per second (UCV_DEMO_EVENTS_PER_SECOND; 0: none). */
const DEMO_EVENTS_PER_SECOND = Number(process.env.UCV_DEMO_EVENTS_PER_SECOND ?? 0.2);
/**
 * Customers' replies in the demo: half of the SMS and push offers get one (an SMS half "Y", half "N"), 5 s after the
 * offer, delivered to /events/replies (change them at run time: PATCH <channels>/__control/replies).
 */
const DEMO_REPLIES = { share: 0.5, yesShare: 0.5, delayMs: 5000 };

async function main(): Promise<void> {
  // The CRM signs its change events with a secret the gateway holds; for the demo, one made up for this run
  // unless UCV_CRM_EVENTS_SECRET gives one (docs/events.md). Set before any fork: workers inherit the environment.
  // The banner says where each secret came from, so an integrator can sign an event of their own with it.
  const secretOrigins = {
    crm: process.env.UCV_CRM_EVENTS_SECRET ? 'from UCV_CRM_EVENTS_SECRET' : 'made up for this run',
    network: process.env.UCV_NETWORK_EVENTS_SECRET ? 'from UCV_NETWORK_EVENTS_SECRET' : 'made up for this run',
    channels: process.env.UCV_CHANNELS_EVENTS_SECRET ? 'from UCV_CHANNELS_EVENTS_SECRET' : 'made up for this run',
  };
  process.env.UCV_CRM_EVENTS_SECRET ||= randomBytes(32).toString('hex');
  // The same for the network-events platform's customer events, and the channel gateway the rules send offers to.
  process.env.UCV_NETWORK_EVENTS_SECRET ||= randomBytes(32).toString('hex');
  // And the channel gateway's, which signs the customers' replies it delivers to /events/replies.
  process.env.UCV_CHANNELS_EVENTS_SECRET ||= randomBytes(32).toString('hex');
  process.env.UCV_CHANNELS_URL ||= `http://127.0.0.1:${CHANNELS_PORT}`;
  const config = loadConfig(process.env, (json) => withDemoRules(withDemoConsumers(json)));
  const frontDesk = DEMO_CONSUMERS.find((c) => c.role === 'front-desk') as (typeof DEMO_CONSUMERS)[number];
  // GraphiQL opens as the front-desk demo consumer; change the x-api-key header in its Headers tab to try a role.
  const options = { graphiqlHeaders: { 'x-api-key': frontDesk.apiKey }, demoConsumers: DEMO_CONSUMERS };
  if (cluster.isWorker) return serve(config, {}, options);
  const port = (name: string): number =>
    Number(new URL(config.adapters.find((a) => a.name === name)?.url ?? 'http://x:0').port);
  const mocks = await startMocks({
    ports: {
      crm: port('crm'),
      billing: port('billing'),
      warehouse: port('warehouse'),
      scoring: port('scoring'),
      networkEvents: Number(process.env.UCV_NETWORK_EVENTS_PORT ?? 4105),
    },
    // The CRM tells the gateway when a customer's products change, so cached CRM data is evicted at once.
    crmWebhooks: [`http://127.0.0.1:${config.port}/events/crm`],
    crmWebhookSecret: config.events.secrets.crm,
  });
  // The channel gateway delivers the customers' replies to the gateway, signed, as the CRM delivers its changes.
  const channels = await startChannelsMock({
    port: Number(new URL(config.marketing.channelsUrl ?? `http://x:${CHANNELS_PORT}`).port),
    replies: {
      ...DEMO_REPLIES,
      webhookUrl: `http://127.0.0.1:${config.port}/events/replies`,
      secret: config.events.secrets.channels ?? null,
    },
  });
  let publisher: Publisher | undefined;
  await serve(
    config,
    {
      onReady: (url) => {
        banner(url, mocks, frontDesk.apiKey, config.store.url ? 'PostgreSQL' : 'embedded, var/store/', channels.url);
        eventSecrets(config.events.secrets, secretOrigins);
        // Customer events, signed as the network-events platform signs them, so the rules run on their own.
        if (DEMO_EVENTS_PER_SECOND > 0 && config.events.secrets.network) {
          void startPublisher(
            { webhookUrl: `${url}/events/network`, secret: config.events.secrets.network },
            { ratePerSecond: DEMO_EVENTS_PER_SECOND, customers: 1000 },
          ).then((p) => (publisher = p));
        }
      },
      onStopped: async () => {
        await publisher?.stop();
        await Promise.all([mocks.close(), channels.close()]);
      },
    },
    options,
  );
}

function banner(
  url: string,
  mocks: Awaited<ReturnType<typeof startMocks>>,
  frontDeskKey: string,
  store: string,
  channelsUrl: string,
): void {
  console.log(`
UCV Gateway is up.

  GraphQL + GraphiQL  ${url}/graphql        (open it in a browser; the demo keeps GraphiQL and introspection on,
                                            signed in as the front-desk demo consumer)
  Front-desk page     ${url}/desk           (pick a demo consumer, type a mobile number or a customer id)
  Marketing console   ${url}/console        (marketing drafts rules, admin approves them; the six sample rules run)
  Health              ${url}/healthz
  Audit trail         ${url}/admin/audit?customerId=…   (admin credentials; store: ${store})

  Mock systems (fault injection at <url>/__control):
    crm        ${mocks.crm.url}
    billing    ${mocks.billing.url}   (SOAP, WSDL at ${mocks.billing.url}/billing/AccountService?wsdl)
    warehouse  ${mocks.warehouse.url}
    scoring    ${mocks.scoring.url}
    channels   ${channelsUrl}   (SMS, app push, e-mail: where the demo rules send offers; GET /__control shows them;
               customers' replies go to /events/replies: GET /__control/replies, POST /channels/v1/replies/<messageId>)
    network-events ${mocks.networkEvents.url}   (not in the config: register it, docs/integrators.md: scripts/example.ts)

  Sample customers: ${SAMPLE_CUSTOMERS.ordinary} ordinary · ${SAMPLE_CUSTOMERS.suspended} suspended · ${SAMPLE_CUSTOMERS.newNotInWarehouse} new (not in the nightly batch)
                    ${SAMPLE_CUSTOMERS.noBillingAccount} no billing account · ${SAMPLE_CUSTOMERS.keyAccount} key account

  Demo consumers (API key as x-api-key; SOAP: user/password over Basic or a WS-Security UsernameToken):
${DEMO_CONSUMERS.map((c) => `    ${c.role.padEnd(15)} x-api-key: ${c.apiKey.padEnd(26)} SOAP ${c.username} / ${c.apiKey}`).join('\n')}
  They exist only in this demo; \`npm run gateway\` takes its consumers from the config (docs/security.md).

  A first query (as the front desk: the ID-card number comes back masked):
    curl -s ${url}/graphql -H 'content-type: application/json' -H 'x-api-key: ${frontDeskKey}' \\
      -d '{"query":"{ customer(id: \\"${SAMPLE_CUSTOMERS.ordinary}\\") { profile { name idCardNumber } billing { balance } score { creditScore } sources { source status } } }"}'
`);
}

/**
 * Where each demo event secret is, so an integrator can sign an event (docs/events.md has the openssl/curl lines).
 * Made up for each run unless set in the environment: set UCV_<SOURCE>_EVENTS_SECRET to keep one across runs.
 */
function eventSecrets(secrets: Readonly<Record<string, string>>, origins: Record<string, string>): void {
  console.log(`  Event secrets (sign POST /events/<source> with them: docs/events.md, "Signing one by hand"):
${Object.entries(secrets)
  .map(
    ([source, secret]) =>
      `    ${source.padEnd(8)} ${secret}   (${origins[source] ?? 'from the config'}; UCV_${source.toUpperCase()}_EVENTS_SECRET sets it)`,
  )
  .join('\n')}
`);
}

main().catch((err: unknown) => {
  console.error(err instanceof ConfigError ? `ucv-gateway: ${err.message}` : err);
  process.exit(1);
});
