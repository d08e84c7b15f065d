/**
 * Starts the four mock production systems. Used by `npm start`, the tests and the benchmarks.
 */
import { startBillingMock } from './billing';
import { startCrmMock } from './crm';
import { startScoringMock } from './scoring';
import { startWarehouseMock } from './warehouse';
import type { MockServer } from './server';

export { SAMPLE_CUSTOMERS, CUSTOMER_COUNT } from './dataset/customers';
export type { MockServer } from './server';

export interface Mocks {
  crm: MockServer;
  billing: MockServer;
  warehouse: MockServer;
  scoring: MockServer;
  /** Backend base URLs by adapter name, as the gateway config wants them. */
  urls: Record<'crm' | 'billing' | 'warehouse' | 'scoring', string>;
  resetAll(): void;
  close(): Promise<void>;
}

export interface StartMocksOptions {
  /** Ports by system; 0 or absent picks a free port. */
  ports?: Partial<Record<'crm' | 'billing' | 'warehouse' | 'scoring', number>>;
  /** Where the CRM posts its change events. */
  crmWebhooks?: string[];
  /** The secret the CRM signs its change events with (the gateway's `events.secrets.crm`). */
  crmWebhookSecret?: string;
}

export async function startMocks(options: StartMocksOptions = {}): Promise<Mocks> {
  const ports = options.ports ?? {};
  const [crm, billing, warehouse, scoring] = await Promise.all([
    startCrmMock({ port: ports.crm, webhooks: options.crmWebhooks, webhookSecret: options.crmWebhookSecret }),
    startBillingMock({ port: ports.billing }),
    startWarehouseMock({ port: ports.warehouse }),
    startScoringMock({ port: ports.scoring }),
  ]);
  const all = [crm, billing, warehouse, scoring];
  return {
    crm,
    billing,
    warehouse,
    scoring,
    urls: { crm: crm.url, billing: billing.url, warehouse: warehouse.url, scoring: scoring.url },
    resetAll: () => all.forEach((m) => m.faults.reset()),
    close: async () => {
      await Promise.all(all.map((m) => m.close()));
    },
  };
}
