/**
 * Responses come back to the offer that caused them, whoever made it: a customer's SMS reply to an event rule's
 * offer, and an agent's outcome recorded at the desk for that offer, each recorded once against the rule, and the
 * closed loop by rule, offer and channel (`GET /marketing/reports/offers`); an agent's CALLBACK a task naming the rule
 * by its description as defined when read.
 */
import type { Store } from '../gateway/store';
import { AUTH, postGraphQL, ROLE_SECURITY } from './support/harness';
import { HK_RULE, roamingEvent, startMarketing, type MarketingHarness } from './support/marketing';
import { testStores } from './support/store';
import { waitFor } from './support/wait';
import { SETUP_TIMEOUT_MS } from './support/patient';

const stores = testStores();
let store: Store;
let h: MarketingHarness;
beforeAll(async () => {
  store = await stores.open('pglite');
  h = await startMarketing(store, { security: ROLE_SECURITY });
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await h.close();
  await stores.cleanup();
});

type Line = { origin: string; originId: string; offerCode: string; channel: string } & Record<string, number>;
const ruleLine = async (): Promise<Line | undefined> =>
  ((await h.admin('GET', '/marketing/reports/offers')).body.lines as Line[]).find(
    (l) => l.origin === 'rule' && l.originId === HK_RULE.id,
  );

it('records a reply to a rule offer and an agent outcome for it against the rule, once each', async () => {
  // Two travellers without the Hong Kong/Macau pack, both reached by SMS.
  for (const id of ['C00000087', 'C00000095'])
    expect((await h.send(roamingEvent(id))).body.offer).toMatchObject({ channel: 'SMS', status: 'SENT' });
  const [first] = h.channels.messages().filter((m) => m.customerId === 'C00000087');
  // The customer answers N; delivered twice, recorded once.
  for (let i = 0; i < 2; i++) {
    const reply = await fetch(`${h.channels.url}/channels/v1/replies/${first?.messageId}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ text: 'N', replyId: 'reply-rule-1' }),
    });
    expect(reply.status).toBeLessThan(300);
  }
  await waitFor(async () => (await ruleLine())?.declined === 1, { what: 'the reply recorded against the rule' });

  // The other calls the call centre and takes the pack: the agent records it.
  const recorded = await postGraphQL(
    h.url,
    `mutation($input: ContactInput!) { recordContact(input: $input) { status } }`,
    {
      input: {
        customerId: 'C00000095',
        channel: 'CALL_CENTER',
        type: 'CAMPAIGN_OFFER',
        outcome: 'ACCEPTED',
        offerCode: 'DATA-HKMO',
        response: 'ACCEPTED',
      },
    },
    AUTH,
  );
  expect(recorded.body.errors).toBeUndefined();
  const line = await ruleLine();
  expect(line).toMatchObject({
    offerCode: 'DATA-HKMO',
    channel: 'SMS',
    sent: 2,
    responded: 2,
    accepted: 1,
    declined: 1,
    conversionRate: 0.5,
  });
  const report = (await h.admin('GET', '/marketing/reports/offers')).body;
  expect(report.byOffer.find((l: Line) => l.offerCode === 'DATA-HKMO')).toMatchObject({ sent: 2, accepted: 1 });
  expect(report.byChannel.find((l: Line) => l.channel === 'SMS')).toMatchObject({ sent: 2, accepted: 1 });
});

it('refuses a report to a role that may not read it, and a date that is not one', async () => {
  const refused = await h.admin('GET', '/marketing/reports/offers', undefined, { 'x-api-key': 'nobody-key' });
  expect(refused.status).toBe(401);
  const bad = await h.admin('GET', '/marketing/reports/offers?since=yesterday');
  expect(bad.status).toBe(400);
  expect(bad.body.errors[0].extensions.code).toBe('BAD_REQUEST');
});

it('serves the closed loop over GraphQL to the roles that may read it, never to the front desk', async () => {
  const query = `{ offersReport { lines { origin originId offerCode channel sent accepted declined conversionRate } } }`;
  const { body } = await postGraphQL(h.url, query, undefined, AUTH);
  expect(body.errors).toBeUndefined();
  expect(body.data.offersReport.lines).toContainEqual(
    expect.objectContaining({ origin: 'rule', originId: HK_RULE.id, sent: 2, accepted: 1, declined: 1 }),
  );
  const missing = await postGraphQL(h.url, '{ campaignReport(id: "never-launched") { state } }', undefined, AUTH);
  expect(missing.body.data.campaignReport).toBeNull();
  const desk = await postGraphQL(h.url, query, undefined, { 'x-api-key': 'front-desk-key-0123' });
  expect(desk.body.errors[0].extensions.code).toBe('FORBIDDEN');
});

it("makes an agent's CALLBACK for a rule's offer a task of that agent's, naming the rule", async () => {
  const desk = { 'x-api-key': 'front-desk-key-0123' };
  const recorded = await postGraphQL(
    h.url,
    `mutation($input: ContactInput!) { recordContact(input: $input) { status } }`,
    {
      input: {
        customerId: 'C00000087',
        channel: 'BUSINESS_HALL',
        type: 'CAMPAIGN_OFFER',
        outcome: 'CALLBACK',
        offerCode: 'DATA-HKMO',
        response: 'CALLBACK',
      },
    },
    desk,
  );
  expect(recorded.body.errors).toBeUndefined();
  const tasks = '{ callbackTasks { customerId offerCode campaignId campaignName ruleId ruleDescription } }';
  const { body } = await postGraphQL(h.url, tasks, {}, desk);
  const task = { customerId: 'C00000087', offerCode: 'DATA-HKMO', campaignId: null, campaignName: null };
  expect(body.data.callbackTasks).toEqual([{ ...task, ruleId: HK_RULE.id, ruleDescription: HK_RULE.description }]);
  // Named as the rule is defined when the task is read: a registered rule over the configured one names it, and
  // once deleted the configured one is in force again.
  const description = async (): Promise<unknown> =>
    (await postGraphQL(h.url, tasks, {}, desk)).body.data.callbackTasks[0].ruleDescription;
  expect((await h.putRule({ ...HK_RULE, id: HK_RULE.id, description: '港澳漫游：入境即推荐' })).status).toBe(200);
  expect(await description()).toBe('港澳漫游：入境即推荐');
  expect((await h.admin('DELETE', `/admin/rules/${HK_RULE.id}`)).status).toBe(200);
  expect(await description()).toBe(HK_RULE.description);
});
