/**
 * An event for a customer the CRM does not know, matched by a rule whose conditions are all on the event (so
 * nothing of the view decides the match): nothing is sent to anyone, the answer is final (202, an exception to
 * follow up), and a redelivery answers the same, never 503 "retry". A known customer gets the offer from the same
 * rule. Real HTTP, the mocks' CRM (404 for an unknown id), the channel gateway mock, PGlite.
 */
import { roamingEvent, startMarketing, type MarketingHarness } from './support/marketing';
import { testStores } from './support/store';

const stores = testStores();
let m: MarketingHarness;
const REGION = 'Probeland';

beforeAll(async () => {
  const store = await stores.open('pglite');
  m = await startMarketing(store);
  const rule = {
    id: 'event-only',
    priority: 99,
    on: 'ROAMING_ENTERED',
    when: { all: [{ field: 'event.region', operator: 'equal', value: REGION }] },
    then: { offerCode: 'DATA-HKMO', channel: 'SMS', message: 'Welcome.' },
  };
  expect((await m.putRule(rule)).status).toBe(200);
}, 60_000);
afterAll(async () => {
  await m?.close();
  await stores.cleanup();
});

it('sends nothing for a customer no system knows, answers 202 with an exception, and the same on redelivery', async () => {
  const sent = m.channels.messages().length;
  const event = roamingEvent('C09999999', REGION);
  const first = await m.send(event);
  expect(first.status).toBe(202);
  expect(first.body.offer).toMatchObject({ ruleId: 'event-only', status: 'INELIGIBLE', reason: 'UNKNOWN_CUSTOMER' });
  expect(first.body.exceptionId).toMatch(/^exc-/);
  const again = await m.send(event);
  expect(again.status).toBe(202);
  expect(again.body).toMatchObject({ duplicate: true, exceptionId: first.body.exceptionId });
  expect(m.channels.messages().length).toBe(sent);
  expect(m.touchpoints.recorded.filter((r) => r.touchpoint.customerId === 'C09999999')).toEqual([]);
});

it('sends the offer to a customer the CRM knows, by the same rule', async () => {
  const res = await m.send(roamingEvent('C00000001', REGION));
  expect(res.status).toBe(202);
  expect(res.body.offer).toMatchObject({ ruleId: 'event-only', status: 'SENT' });
});
