/**
 * The one eligibility check, as event rules meet it: an offer is never made for a product the customer holds now
 * (even one bought a minute ago), never as an upsell to a suspended customer in arrears, and the caps count every
 * offer the customer was made, an agent's at the desk included.
 */
import { randomUUID } from 'node:crypto';
import type { Store } from '../gateway/store';
import { touchpoints } from '../gateway/store/schema';
import { HK_RULE, roamingEvent, startMarketing, type MarketingHarness } from './support/marketing';
import { testStores } from './support/store';
import { SETUP_TIMEOUT_MS } from './support/patient';

const stores = testStores();
let store: Store;
let h: MarketingHarness;
beforeAll(async () => {
  store = await stores.open('pglite');
  h = await startMarketing(store);
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await h.close();
  await stores.cleanup();
});
beforeEach(() => h.channels.clear());

it('withholds an offer for a product the customer holds, and one bought a minute ago (the CRM, live)', async () => {
  // C00000009: a frequent traveller who holds the Hong Kong/Macau pack already.
  const holder = await h.send(roamingEvent('C00000009'));
  expect(holder.body.offer).toMatchObject({ ruleId: HK_RULE.id, status: 'INELIGIBLE', reason: 'HOLDS_PRODUCT' });
  // C00000041: a traveller without it, who orders it now.
  const order = await fetch(`${h.mocks.crm.url}/api/v1/customers/C00000041/products`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ offerCode: 'DATA-HKMO' }),
  });
  expect(order.status).toBe(201);
  const buyer = await h.send(roamingEvent('C00000041'));
  expect(buyer.body.offer).toMatchObject({ status: 'INELIGIBLE', reason: 'HOLDS_PRODUCT' });
  expect(h.channels.messages()).toHaveLength(0);
});

it('sends no upsell to a suspended customer in arrears; a care offer still reaches them', async () => {
  const rule = (id: string, kind: 'upsell' | 'care') => ({
    id,
    priority: 50,
    when: { all: [{ fact: 'event', path: '$.type', operator: 'equal', value: 'DIRECTORY_ENQUIRY' }] },
    then: { offerCode: `APP-${id}`, channel: 'SMS', message: 'Offer', kind },
  });
  const enquiry = () => ({
    version: 1,
    id: `evt-${randomUUID()}`,
    type: 'DIRECTORY_ENQUIRY',
    customerId: 'C00000002', // suspended, balance negative, bills overdue
    at: new Date().toISOString(),
    data: { number: '114' },
  });
  expect((await h.putRule(rule('upsell-114', 'upsell'))).status).toBe(200);
  const upsell = await h.send(enquiry());
  expect(upsell.body.offer).toMatchObject({ ruleId: 'upsell-114', status: 'INELIGIBLE', reason: 'SUSPENDED' });
  expect(h.channels.messages()).toHaveLength(0);
  expect((await h.putRule(rule('care-114', 'care'))).status).toBe(200);
  await h.admin('DELETE', '/admin/rules/upsell-114');
  const care = await h.send(enquiry());
  expect(care.body.offer).toMatchObject({ ruleId: 'care-114', status: 'SENT' });
  await h.admin('DELETE', '/admin/rules/care-114');
});

it('counts an offer an agent made at the desk against the caps of rules', async () => {
  // C00000043: a traveller without the pack; an agent offered a package at the call centre a minute ago.
  await store.db.insert(touchpoints).values({
    id: randomUUID(),
    customerId: 'C00000043',
    channel: 'CALL_CENTER',
    at: new Date(Date.now() - 60_000),
    type: 'CAMPAIGN_OFFER',
    outcome: 'DECLINED',
    agentId: 'agent-7',
    offerCode: 'DATA-30G',
    response: 'DECLINED',
    origin: 'agent',
    scope: 'agents',
    idempotencyKey: randomUUID(),
    requestHash: 'x',
    status: 'RECORDED',
  });
  const res = await h.send(roamingEvent('C00000043'));
  expect(res.body.offer).toMatchObject({ status: 'CAPPED', cap: 'perCustomerPerDay' });
  expect(h.channels.messages()).toHaveLength(0);
});
