/**
 * Mock network-events platform (REST/JSON): where each customer's handset is on the network right now. The fifth
 * system, not behind a TypeScript adapter: it joins the view as a declarative adapter registered through the admin
 * API (examples/network-events.json, docs/integrators.md).
 *
 *   GET /nep/v2/subscribers/:id/state   { subscriber, location: { lac, cell, area }, roaming: { state, country },
 *                                         handset: { powered }, lastChangeAt }   (404 when the customer is unknown)
 *
 * Same fault injection and counters as the others (`/__control`). The state is a pure function of the customer id,
 * so tests and benchmarks can assert on it. (The demo events' publisher lives beside it in publisher.ts.)
 */
import { customerNumber } from '../dataset/identity';
import { rng } from '../dataset/random';
import { AS_OF } from '../dataset/customers';
import { sendJson, serializedRecords, startMock, type MockOptions, type MockServer } from '../server';

const AREAS = [
  'Beijing-Chaoyang',
  'Beijing-Haidian',
  'Shanghai-Pudong',
  'Guangzhou-Tianhe',
  'Shenzhen-Nanshan',
  'Chengdu-Wuhou',
] as const;
const COUNTRIES = ['HK', 'JP', 'SG', 'TH', 'FR'] as const;

export interface NetworkState {
  subscriber: string;
  location: { lac: number; cell: number; area: string };
  roaming: { state: 'HOME' | 'NATIONAL' | 'INTERNATIONAL'; country: string | null };
  handset: { powered: boolean };
  lastChangeAt: string;
}

/** The platform's record for a customer, or null when the id is not a customer. */
export function networkState(id: string): NetworkState | null {
  const n = customerNumber(id);
  if (n === null) return null;
  const r = rng(`network:${id}`);
  const roll = r.next();
  const state = roll < 0.8 ? 'HOME' : roll < 0.93 ? 'NATIONAL' : 'INTERNATIONAL';
  const minutesAgo = r.int(1, 48 * 60);
  return {
    subscriber: id,
    location: { lac: r.int(1000, 9999), cell: r.int(10000, 99999), area: r.pick(AREAS) },
    roaming: { state, country: state === 'INTERNATIONAL' ? r.pick(COUNTRIES) : null },
    handset: { powered: r.chance(0.9) },
    lastChangeAt: new Date(Date.parse(`${AS_OF}T12:00:00Z`) - minutesAgo * 60_000).toISOString(),
  };
}

export function startNetworkEventsMock(options: MockOptions = {}): Promise<MockServer> {
  const stateJson = serializedRecords(networkState);
  return startMock('network-events', options, (app) => {
    app.get('/nep/v2/subscribers/:id/state', (req, res) => {
      const record = stateJson(req.params.id);
      if (!record)
        return void res.status(404).json({ error: 'UNKNOWN_SUBSCRIBER', message: `no subscriber ${req.params.id}` });
      sendJson(res, record);
    });
  });
}
