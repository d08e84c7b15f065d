/**
 * A callback task names what made its offer as people know it, in a real browser (Debian's Chromium, 1366×768): an
 * event rule by its description, a campaign by its name, each as defined when the desk reads the task, never by id.
 * One whose campaign is no longer defined says only that a campaign made it. Screenshots are kept in test/artifacts/.
 *
 * The rule's task is made the real way: the rule offers the pack on a roaming event, the agent records CALLBACK for
 * it. The campaign tasks are made with the gateway's own `createCallbackTask`, as the agent's contact would for a
 * campaign's offer (a campaign run end to end is test/campaigns.test.ts).
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser } from 'playwright-core';
import { createCallbackTask } from '../gateway/touchpoints';
import { policyFromQuietHours } from '../gateway/marketing';
import type { Store } from '../gateway/store';
import { launchChromium, openCustomer, rawCodes, textNodes } from './support/browser';
import { asRole, postGraphQL, ROLE_SECURITY, testConfig } from './support/harness';
import { HK_RULE, NO_QUIET_HOURS, roamingEvent, startMarketing, type MarketingHarness } from './support/marketing';
import { testStores } from './support/store';
import { SETUP_TIMEOUT_MS } from './support/patient';

const ARTIFACTS = path.join(__dirname, 'artifacts');
const DESK = asRole('front-desk');
const CUSTOMER = 'C00000087';
const CAMPAIGN = {
  id: 'cloud-youth',
  name: '和彩云 青年推广',
  audience: { where: { all: [{ field: 'segment', operator: 'equal', value: 'YOUTH_DATA' }] } },
  offer: { code: 'VAS-CLOUD', name: '和彩云存储50GB' },
  messages: { SMS: '尊敬的{{customer.title}}，{{offer.name}}每月10元，回复Y订购。' },
  schedule: { start: '2026-12-07T12:00:00+08:00', end: '2026-12-08T12:00:00+08:00' },
  throttle: { sendsPerSecond: 10, viewLoadsPerSecond: 10 },
};

const stores = testStores();
let store: Store;
let h: MarketingHarness;
let browser: Browser;
beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  store = await stores.open('pglite');
  h = await startMarketing(store, { security: ROLE_SECURITY });
  browser = await launchChromium();
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await browser?.close();
  await h.close();
  await stores.cleanup();
});

it('names the rule by its description and the campaign by its name, in both languages, no id', async () => {
  // The rule offers the Hong Kong/Macau pack; the customer asks the front desk to call back about it.
  expect((await h.send(roamingEvent(CUSTOMER))).body.offer).toMatchObject({ status: 'SENT' });
  const recorded = await postGraphQL(
    h.url,
    `mutation($input: ContactInput!) { recordContact(input: $input) { status } }`,
    {
      input: {
        customerId: CUSTOMER,
        channel: 'BUSINESS_HALL',
        type: 'CAMPAIGN_OFFER',
        outcome: 'CALLBACK',
        offerCode: 'DATA-HKMO',
        response: 'CALLBACK',
      },
    },
    DESK,
  );
  expect(recorded.body.errors).toBeUndefined();
  // Two tasks from campaigns: one defined, one whose campaign is gone.
  expect((await h.admin('PUT', `/admin/campaigns/${CAMPAIGN.id}`, CAMPAIGN)).status).toBe(200);
  const config = testConfig(h.mocks);
  const deps = {
    store,
    settings: config.touchpoints.contactTime,
    policy: () => policyFromQuietHours(NO_QUIET_HOURS),
  };
  for (const [touchpointId, campaignId] of [
    ['campaign-task-1', CAMPAIGN.id],
    ['campaign-task-2', 'autumn-ended'],
  ] as const)
    await createCallbackTask(deps, {
      touchpointId,
      assignee: 'front-desk',
      customerId: 'C00000024',
      channel: 'CALL_CENTER',
      offerCode: 'VAS-CLOUD',
      madeBy: { origin: 'campaign', id: campaignId },
    });

  const page = await openCustomer(browser, h.url, 'front-desk-key-0123', CUSTOMER);
  const card = page.locator('[data-section="callbacks"]');
  await card.locator('[data-tasks="3"]').waitFor({ timeout: 20_000 });
  const lines = async (): Promise<string[]> =>
    (await card.locator('[data-task] .note:not([data-closed])').allInnerTexts()).map((s) => s.trim()).sort();
  expect(await lines()).toEqual(
    [`来自营销规则：${HK_RULE.description}`, `来自营销活动：${CAMPAIGN.name}`, '来自营销活动'].sort(),
  );
  const text = await card.innerText();
  for (const id of [HK_RULE.id, CAMPAIGN.id, 'autumn-ended']) expect(text).not.toContain(id);
  expect(rawCodes(await textNodes(page))).toEqual([]);
  await card.scrollIntoViewIfNeeded();
  await page.screenshot({ path: path.join(ARTIFACTS, 'desk-callback-origin.png') });

  // In English: the labels change; the names are the marketers' own words.
  await page.locator('#lang').click();
  await card.locator('h2', { hasText: 'Callback tasks' }).waitFor({ timeout: 20_000 });
  await card.locator('[data-tasks="3"]').waitFor({ timeout: 20_000 });
  expect(await lines()).toEqual(
    [`from rule: ${HK_RULE.description}`, `from campaign: ${CAMPAIGN.name}`, 'from campaign'].sort(),
  );
  await page.screenshot({ path: path.join(ARTIFACTS, 'desk-callback-origin-en.png') });
  await page.close();
}, 90_000);
