/**
 * Starts the five mock production systems (the network-events platform joins through a declarative adapter). Used by `npm start`, the tests and the benchmarks.
 */
import { startBillingMock } from './billing';
import { startCrmMock, type CrmMock } from './crm';
import { startScoringMock } from './scoring';
import { startWarehouseMock } from './warehouse';
import { startNetworkEventsMock } from './network-events';
import type { MockServer } from './server';

export { SAMPLE_CUSTOMERS, CUSTOMER_COUNT } from './dataset/customers';
export type { MockServer } from './server';
export type { CrmMock } from './crm';

export interface Mocks {
  /** With `ordersPlaced()`, the products ordered through it. */
  crm: CrmMock;
  billing: MockServer;
  warehouse: MockServer;
  scoring: MockServer;
  /** Not in the config's adapters: registered at run time (examples/network-events.json). */
  networkEvents: MockServer;
  /** Backend base URLs by adapter name, as the gateway config wants them. */
  urls: Record<'crm' | 'billing' | 'warehouse' | 'scoring', string>;
  resetAll(): void;
  close(): Promise<void>;
}

export interface StartMocksOptions {
  /** Ports by system; 0 or absent picks a free port. */
  ports?: Partial<Record<'crm' | 'billing' | 'warehouse' | 'scoring' | 'networkEvents', number>>;
  /** Where the CRM posts its change events. */
  crmWebhooks?: string[];
  /** The secret the CRM signs its change events with (the gateway's `events.secrets.crm`). */
  crmWebhookSecret?: string;
}

export async function startMocks(options: StartMocksOptions = {}): Promise<Mocks> {
  const ports = options.ports ?? {};
  const [crm, billing, warehouse, scoring, networkEvents] = await Promise.all([
    startCrmMock({ port: ports.crm, webhooks: options.crmWebhooks, webhookSecret: options.crmWebhookSecret }),
    startBillingMock({ port: ports.billing }),
    startWarehouseMock({ port: ports.warehouse }),
    startScoringMock({ port: ports.scoring }),
    startNetworkEventsMock({ port: ports.networkEvents }),
  ]);
  const all = [crm, billing, warehouse, scoring, networkEvents];
  return {
    crm,
    billing,
    warehouse,
    scoring,
    networkEvents,
    urls: { crm: crm.url, billing: billing.url, warehouse: warehouse.url, scoring: scoring.url },
    resetAll: () => all.forEach((m) => m.faults.reset()),
    close: async () => {
      await Promise.all(all.map((m) => m.close()));
    },
  };
}
