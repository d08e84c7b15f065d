/**
 * An agent uses the front-desk page in a real browser (Debian's Chromium through playwright-core): signs in,
 * searches a sample customer by mobile number, reads every section against what the mock systems hold, sees a
 * backend go down and the rest of the page stay, in both languages, with nothing loaded from outside the gateway.
 * Screenshots are kept in test/artifacts/ for people to look at.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './support/browser';
import { billingAccount, crmProfile, scoringEvaluation, warehouseRecord } from '../mocks/dataset/customers';
import { CATALOG } from '../gateway/labels';
import pino from 'pino';
import { createGateway, type Gateway } from '../gateway/app/server';
import { startMocks, type Mocks } from '../mocks';
import { sha256, testConfig } from './support/harness';
import { testStores } from './support/store';
import { SETUP_TIMEOUT_MS } from './support/patient';

const ARTIFACTS = path.join(__dirname, 'artifacts');
const ID = 'C00000001';
/** Agents as the demo configures them: one consumer per role, offered by the page's sign-in picker. */
const AGENTS = [
  { id: 'desk-agent', role: 'front-desk', apiKey: 'desk-agent-key-0123456789' },
  { id: 'phone-agent', role: 'call-center', apiKey: 'phone-agent-key-0123456789' },
];
const profile = crmProfile(ID)!;
const account = billingAccount(ID)!;

const stores = testStores();
let mocks: Mocks;
let gateway: Gateway;
let browser: Browser;
const h = { url: '' };
beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  mocks = await startMocks();
  const security = { consumers: AGENTS.map((a) => ({ id: a.id, role: a.role, apiKeySha256: sha256(a.apiKey) })) };
  // With a durable store, so the page can record contacts (recordContact exists only with one).
  const store = await stores.open('pglite');
  gateway = createGateway(testConfig(mocks, { security }), {
    logger: pino({ level: 'silent' }),
    demoConsumers: AGENTS,
    store,
  });
  h.url = await gateway.listen();
  browser = await launchChromium();
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await browser?.close();
  await gateway.close();
  await mocks.close();
  await stores.cleanup();
});

async function openDesk(): Promise<{ page: Page; foreign: string[]; cspViolations: string[] }> {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  const foreign: string[] = [];
  const cspViolations: string[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(h.url) && !request.url().startsWith('data:')) foreign.push(request.url());
  });
  page.on('console', (message) => {
    if (/Content Security Policy/i.test(message.text())) cspViolations.push(message.text());
  });
  await page.goto(`${h.url}/desk`);
  return { page, foreign, cspViolations };
}

/** Signs in as an agent: picked from the demo list, or (keyboard first: the field has the focus) typed. */
async function signInAndSearch(
  page: Page,
  query: string,
  agent = AGENTS[0]!,
  how: 'pick' | 'type' = 'type',
): Promise<void> {
  if (how === 'pick') {
    await page.locator('#demo-select').selectOption(agent.apiKey);
    await page.locator('#signin-form button[type="submit"]').click();
  } else {
    await page.keyboard.type(agent.apiKey);
    await page.keyboard.press('Enter');
  }
  await page.locator('#q').waitFor({ state: 'visible' });
  await page.keyboard.type(query);
  await page.keyboard.press('Enter');
  await page.locator(`body[data-rendered="${query}"]`).waitFor({ timeout: 20_000 });
}

const text = (page: Page, section: string) => page.locator(`[data-section="${section}"]`).innerText();

it('an agent finds a customer by mobile number and sees every section as the systems hold it, offline', async () => {
  const { page, foreign, cspViolations } = await openDesk();
  await signInAndSearch(page, profile.msisdn);

  expect(await text(page, 'profile')).toContain(profile.name);
  expect(await text(page, 'profile')).toContain(profile.regionName);
  expect(await text(page, 'billing')).toContain(`¥${Number(account.balance).toFixed(2)}`);
  expect(await text(page, 'billing')).toContain(`¥${Number(account.creditLimit).toFixed(2)}`);
  expect(await page.locator('[data-chart="bills"] rect').count()).toBe(Math.min(6, account.bills.length));
  const insights = warehouseRecord(ID)!;
  expect(await text(page, 'insights')).toContain(CATALOG.segment[insights.segment]!.zh);
  expect(await page.locator('[data-chart="arpu"] circle').count()).toBe(3);
  const evaluation = scoringEvaluation(ID)!;
  expect(await text(page, 'score')).toContain(String(evaluation.creditScore));
  expect(await page.locator('[data-offer]').count()).toBeGreaterThan(0);
  // One steering display, the guide's: where to steer for the service picked, drawn when its answer comes.
  await page.locator('[data-section="guide"] [data-steer]').waitFor({ timeout: 20_000 });
  expect(await page.locator('[data-steer]').count()).toBe(1);
  // Every section carries the provenance badge of its source.
  for (const section of ['profile', 'billing', 'insights', 'score', 'products', 'contacts', 'recommendations']) {
    expect(await page.locator(`[data-section="${section}"] [data-badge]`).getAttribute('data-badge')).toMatch(
      /^(LIVE|CACHED)$/,
    );
  }
  await page.screenshot({ path: path.join(ARTIFACTS, 'desk-full-view.png'), fullPage: true });

  // The labels switch to English and back; the data (Chinese) stays readable.
  await page.locator('#lang').click();
  await page
    .locator(`body[data-rendered="${profile.msisdn}"] [data-section="billing"] h2`)
    .getByText('Billing')
    .waitFor();
  expect(await text(page, 'profile')).toContain(profile.name);
  await page.screenshot({ path: path.join(ARTIFACTS, 'desk-english.png'), fullPage: true });

  // The customer is in the recent list, one click away.
  expect(await page.locator('#recent button').allInnerTexts()).toContain(profile.msisdn);
  expect(foreign).toEqual([]);
  expect(cspViolations).toEqual([]);
  await page.close();
}, 60_000);

it('with billing down the page shows everything else and says plainly which part is missing', async () => {
  // Billing is turned off the way an operator would: through the mock's control endpoint.
  const control = `${mocks.urls.billing}/__control/faults`;
  await fetch(control, {
    method: 'PATCH',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ down: '503' }),
  });
  try {
    const { page } = await openDesk();
    // A customer no one has looked at yet: nothing cached, so billing is plainly unavailable.
    const other = 'C00000005';
    await signInAndSearch(page, other, AGENTS[0], 'pick');
    const billing = page.locator('[data-section="billing"]');
    expect(await billing.locator('[data-badge]').getAttribute('data-badge')).toBe('UNAVAILABLE');
    // Which system, why, since when, and what the page still shows.
    expect(await billing.locator('[data-missing="billing"]').innerText()).toMatch(
      /^计费系统 暂无法获取：.+（查询时间 \d{4}-\d{2}-\d{2} \d{2}:\d{2}，无缓存副本；仍显示：基本信息、接触记录/,
    );
    expect(await text(page, 'profile')).toContain(crmProfile(other)!.name);
    expect(await text(page, 'score')).toContain(String(scoringEvaluation(other)!.creditScore));
    expect(await page.locator('[data-section="profile"] [data-badge]').getAttribute('data-badge')).toBe('LIVE');
    await page.screenshot({ path: path.join(ARTIFACTS, 'desk-billing-down.png'), fullPage: true });
    await page.close();
  } finally {
    await fetch(control, { method: 'DELETE' });
  }
}, 60_000);

it('a call-center agent sees the ID card number masked and the address as city only; a wrong key is refused', async () => {
  const { page } = await openDesk();
  await signInAndSearch(page, ID, AGENTS[1], 'pick');
  const shown = await text(page, 'profile');
  expect(shown).toContain(profile.name);
  expect(shown).not.toContain(profile.idCardNo);
  expect(shown).toContain(
    `${profile.idCardNo.slice(0, 3)}${'*'.repeat(profile.idCardNo.length - 7)}${profile.idCardNo.slice(-4)}`,
  );
  expect(shown).not.toContain(profile.address);
  expect(shown).toContain(profile.address.slice(0, profile.address.indexOf('市') + 1));
  await page.screenshot({ path: path.join(ARTIFACTS, 'desk-call-center.png'), fullPage: true });

  // Signed out, a key the gateway does not know brings the agent back to the sign-in form, saying why.
  await page.locator('#signout').click();
  await page.locator('#credential').fill('not-a-key');
  await page.keyboard.press('Enter');
  await page.locator('#q').fill(ID);
  await page.keyboard.press('Enter');
  await page
    .locator('#signin:not([hidden]) #signin-error')
    .getByText(/refused|无效/)
    .waitFor({ timeout: 20_000 });
  await page.close();
}, 60_000);

it("the agent records the customer's answer to an offer with one click; the trail shows it; a second click records nothing more", async () => {
  // A customer whose first offer may be made now (one they hold, say, is withheld and has no outcome buttons).
  const customer = 'C00000023';
  const crmPosts = (): number => mocks.crm.faults.requests().byRoute['POST /api/v1/customers/:id/contacts'] ?? 0;
  const { page } = await openDesk();
  await signInAndSearch(page, customer, AGENTS[0], 'pick');
  const trailRows = () => page.locator('[data-trail] tr').count();
  const before = await trailRows();
  const posts = crmPosts();
  const offer = page.locator('[data-offer]:not(.withheld)').first();
  await offer.locator('[data-outcome="accepted"]').click();
  await offer.locator('[data-recorded="RECORDED"]').waitFor({ timeout: 20_000 });
  await page.waitForFunction(`document.querySelectorAll('[data-trail] tr').length === ${before + 1}`, undefined, {
    timeout: 20_000,
  });
  // The last contact first, in one form: when (Beijing time), where, who, what about, the offer, how it ended.
  const offerCode = await offer.getAttribute('data-offer');
  expect(await page.locator('[data-trail] tr').nth(1).innerText()).toMatch(
    new RegExp(
      `^\\d{4}-\\d{2}-\\d{2} \\d{2}:\\d{2}\\s+营业厅\\s+desk-agent\\s+营销推荐\\s+${CATALOG.offer[offerCode!]!.zh}\\s+接受$`,
    ),
  );
  expect(crmPosts()).toBe(posts + 1);
  await page.screenshot({ path: path.join(ARTIFACTS, 'desk-recorded.png'), fullPage: true });

  // The same click again (an impatient agent, or a retry): the same idempotency key, recorded once.
  // Waits for the gateway's answer to this second recordContact, then counts: nothing more can come of it.
  const answered = page.waitForResponse(
    (res) => res.request().method() === 'POST' && (res.request().postData() ?? '').includes('recordContact'),
  );
  await offer.locator('[data-outcome="accepted"]').click();
  await answered;
  await offer.locator('[data-recorded="RECORDED"]').waitFor();
  expect(crmPosts()).toBe(posts + 1);
  expect(await trailRows()).toBe(before + 1);
  await page.close();
}, 60_000);

it('the page is served with a strict Content-Security-Policy and no inline code', async () => {
  const res = await fetch(`${h.url}/desk`);
  expect(res.status).toBe(200);
  const csp = res.headers.get('content-security-policy') ?? '';
  expect(csp).toContain("default-src 'none'");
  expect(csp).toContain("script-src 'self'");
  expect(csp).not.toContain('unsafe-inline');
  expect(res.headers.get('x-content-type-options')).toBe('nosniff');
  const html = await res.text();
  expect(html).not.toMatch(/<script>(?!<\/script>)/);
  expect(html).not.toMatch(/ on[a-z]+=/);
});
