/**
 * A burst of 1,000 events for 50 customers does not become a burst on production: the rules' view loads are joined
 * while in flight and served by the sources' cache, so each backend sees at most one call per customer within the
 * cache's TTL (the mocks' own request counters), and view operations stay under the per-second cap. Real HTTP
 * (signed webhook), on PGlite and PostgreSQL.
 */
import type { Store } from '../gateway/store';
import { startMocks, type Mocks } from '../mocks';
import { startChannelsMock, type ChannelsMock } from '../mocks/channels';
import { roamingEvent, startMarketing, type MarketingHarness } from './support/marketing';
import { ENGINES, testStores } from './support/store';

const stores = testStores();
let mocks: Mocks;
let channels: ChannelsMock;
beforeAll(async () => {
  [mocks, channels] = await Promise.all([startMocks(), startChannelsMock()]);
});
afterAll(async () => {
  await Promise.all([mocks.close(), channels.close()]);
  await stores.cleanup();
});

/** Every rule needs the view: each event asks for it. */
const VIEW_RULE = {
  id: 'any-known-customer',
  when: {
    all: [
      { fact: 'event', path: '$.type', operator: 'equal', value: 'ROAMING_ENTERED' },
      { fact: 'view', path: '$.id', operator: 'notEqual', value: null },
    ],
  },
  // A service message, not an upsell: the eligibility check lets it reach a suspended customer too.
  then: { offerCode: 'ROAM-WELCOME', channel: 'SMS', message: 'Welcome to {{event.data.region}}.', kind: 'care' },
};
/** A TTL longer than the burst takes, for every source, for records and for "not known" answers alike. */
const LONG_TTL = Object.fromEntries(
  ['crm', 'billing', 'warehouse', 'scoring'].map((name) => [
    name,
    { cache: { ttlSeconds: 120, notFoundTtlSeconds: 120 } },
  ]),
);

describe.each(ENGINES)('on %s', (engine) => {
  let store: Store;
  let h: MarketingHarness;
  beforeAll(async () => {
    store = await stores.open(engine);
    h = await startMarketing(
      store,
      { policies: LONG_TTL, marketing: { rules: [VIEW_RULE], viewLoadsPerSecond: 200 } },
      { mocks, channels },
    );
  }, 60_000);
  afterAll(() => h.close());

  it('makes at most one backend call per source per customer for 1,000 events over 50 customers', async () => {
    mocks.resetAll();
    channels.clear();
    const customers = Array.from({ length: 50 }, (_, i) => `C${String(1001 + i).padStart(8, '0')}`);
    const events = Array.from({ length: 1000 }, (_, i) => roamingEvent(customers[i % 50] as string, 'Guangdong'));
    const started = Date.now();
    let next = 0;
    const statuses: number[] = [];
    // 25 senders at once: a burst, bounded.
    await Promise.all(
      Array.from({ length: 25 }, async () => {
        while (next < events.length) {
          const event = events[next++] as (typeof events)[number];
          statuses.push((await h.send(event)).status);
        }
      }),
    );
    const seconds = (Date.now() - started) / 1000;
    expect(statuses.filter((s) => s !== 202)).toEqual([]);
    const calls = h.counts();
    // The rules' view reads every section, the eligibility facts included (status and products from the CRM,
    // balance and bills from billing): each record once per customer, whatever the burst.
    expect(calls.billing).toBeGreaterThan(0);
    expect(calls.warehouse).toBeGreaterThan(0);
    expect(calls.scoring).toBeGreaterThan(0);
    for (const source of ['warehouse', 'scoring'] as const) expect(calls[source]).toBeLessThanOrEqual(50);
    expect(calls.billing).toBeLessThanOrEqual(51); // and its WSDL, read once
    expect(calls.crm).toBeLessThanOrEqual(100); // the profile and the products: two records
    // One offer per customer (≤ 1 a day); the 950 others capped.
    expect(channels.messages().filter((m) => m.offerCode === 'ROAM-WELCOME')).toHaveLength(50);
    const views = h.gateway.marketing?.views.stats();
    expect(views?.refused).toBe(0);
    // The cap: at most 200 operations a second (plus the bucket's first second).
    expect(views?.operations ?? 0).toBeLessThanOrEqual(200 * (Math.ceil(seconds) + 1));
  }, 120_000);
});
