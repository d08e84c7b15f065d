/**
 * The agent's callback tasks at the desk, in a real browser (Debian's Chromium, 1366×768): 回访 on an offer makes a
 * task that shows at once in the 回访任务 card, on the first screen, with the customer, when it is due in Beijing
 * time and the offer by its label, no raw code; closing it with an outcome takes it off the list, and the gateway
 * keeps it DONE with that outcome. Another agent's desk never lists it. Screenshots are kept in test/artifacts/.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import pino from 'pino';
import { beijing, CODE_LIKE, launchChromium, openCustomer as openDesk, rawCodes, textNodes } from './support/browser';
import { CATALOG } from '../gateway/labels';
import { createGateway, type Gateway } from '../gateway/app/server';
import { startMocks, type Mocks } from '../mocks';
import { postGraphQL, sha256, testConfig } from './support/harness';
import { testStores } from './support/store';
import { SETUP_TIMEOUT_MS } from './support/patient';

const ARTIFACTS = path.join(__dirname, 'artifacts');
const AGENT = { id: 'desk-agent', role: 'front-desk', apiKey: 'desk-agent-key-0123456789' };
const OTHER = { id: 'other-agent', role: 'call-center', apiKey: 'other-agent-key-0123456789' };
const VIEWPORT = { width: 1366, height: 768 };
/** A customer whose first offer may be made now. */
const CUSTOMER = 'C00000024';

const stores = testStores();
let mocks: Mocks;
let gateway: Gateway;
let browser: Browser;
let url = '';
beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  mocks = await startMocks();
  const store = await stores.open('pglite');
  const security = {
    consumers: [AGENT, OTHER].map((a) => ({ id: a.id, role: a.role, apiKeySha256: sha256(a.apiKey) })),
  };
  gateway = createGateway(testConfig(mocks, { security }), { logger: pino({ level: 'silent' }), store });
  url = await gateway.listen();
  browser = await launchChromium();
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await browser?.close();
  await gateway.close();
  await mocks.close();
  await stores.cleanup();
});

const openCustomer = (id: string, apiKey: string): Promise<Page> => openDesk(browser, url, apiKey, id);

it('回访 on an offer shows a task at once, above the fold; closing it takes it off the list', async () => {
  const page = await openCustomer(CUSTOMER, AGENT.apiKey);
  const card = page.locator('[data-section="callbacks"]');
  await card.locator('[data-tasks="0"]').waitFor({ timeout: 20_000 });
  expect(await card.locator('h2').innerText()).toBe('回访任务');

  const offer = page.locator('[data-offer]:not(.withheld)').first();
  const offerCode = (await offer.getAttribute('data-offer'))!;
  await offer.locator('[data-outcome="callback"]').click();
  const task = card.locator(`[data-task][data-customer="${CUSTOMER}"]`);
  await task.waitFor({ timeout: 20_000 });

  // On the first screen, with the offer by its label, due in Beijing time, and no raw code.
  await page.evaluate('window.scrollTo(0, 0)');
  const box = (await card.boundingBox())!;
  expect(box.y).toBeLessThan(VIEWPORT.height - 100);
  const due = (await task.locator('[data-due]').getAttribute('data-due'))!;
  const text = await task.innerText();
  expect(text).toContain(`应回访：${beijing(due)}`);
  expect(text).toContain(CATALOG.offer[offerCode]!.zh);
  for (const label of ['已回访·接受', '已回访·拒绝', '未接通']) expect(text).toContain(label);
  const texts = await textNodes(page);
  expect(rawCodes(texts)).toEqual([]);
  await page.screenshot({ path: path.join(ARTIFACTS, 'desk-callback-task.png') });

  // Another agent's desk does not list it.
  const other = await openCustomer(CUSTOMER, OTHER.apiKey);
  await other.locator('[data-section="callbacks"] [data-tasks="0"]').waitFor({ timeout: 20_000 });
  await other.close();

  // In English too, still no raw code.
  await page.locator('#lang').click();
  await card.locator('h2', { hasText: 'Callback tasks' }).waitFor({ timeout: 20_000 });
  await task.waitFor({ timeout: 20_000 });
  expect(await task.innerText()).toContain('Not reached');
  // (Some English labels read as their codes, e.g. IVR: the card's own words are checked.)
  const english = (await card.innerText()).split(/\n|·/).map((line) => line.trim());
  expect(english.filter((line) => CODE_LIKE.test(line) || line.includes('_'))).toEqual([]);
  await page.locator('#lang').click();
  await card.locator('h2', { hasText: '回访任务' }).waitFor({ timeout: 20_000 });

  await card.locator(`[data-task][data-customer="${CUSTOMER}"] [data-close="NOT_REACHED"]`).click();
  await card.locator('[data-tasks="0"]').waitFor({ timeout: 20_000 });
  expect(await card.innerText()).toContain('暂无待回访任务');
  await page.screenshot({ path: path.join(ARTIFACTS, 'desk-callback-closed.png') });

  const { body } = await postGraphQL(
    url,
    '{ callbackTasks(state: DONE) { customerId offerCode outcome } }',
    {},
    { 'x-api-key': AGENT.apiKey },
  );
  expect(body.data.callbackTasks).toEqual([{ customerId: CUSTOMER, offerCode, outcome: 'NOT_REACHED' }]);
  await page.close();
}, 90_000);
