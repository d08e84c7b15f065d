/**
 * The desk in the agent's language, in a real browser (Debian's Chromium, 1366×768): no raw code on the full view
 * of any sample customer, every time in Beijing time in one form; a customer not yet in the nightly batch and one
 * with no billing account read as information, not outages; the suspended customer in arrears shows what calls for
 * care first and no upsell (each offer withheld with its reason); the trail, above the fold, shows the offer and the
 * outcome just recorded. Screenshots are kept in test/artifacts/.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import pino from 'pino';
import { beijing, launchChromium, openCustomer as openDesk, rawCodes, textNodes } from './support/browser';
import { CATALOG } from '../gateway/labels';
import { billingAccount, SAMPLE_CUSTOMERS, scoringEvaluation } from '../mocks/dataset/customers';
import { createGateway, type Gateway } from '../gateway/app/server';
import { startMocks, type Mocks } from '../mocks';
import { postGraphQL, sha256, testConfig } from './support/harness';
import { waitFor } from './support/wait';
import { testStores } from './support/store';
import { SETUP_TIMEOUT_MS } from './support/patient';

const ARTIFACTS = path.join(__dirname, 'artifacts');
const AGENT = { id: 'desk-agent', role: 'front-desk', apiKey: 'desk-agent-key-0123456789' };
const VIEWPORT = { width: 1366, height: 768 };

const stores = testStores();
let mocks: Mocks;
let gateway: Gateway;
let browser: Browser;
let url = '';
beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  mocks = await startMocks();
  const store = await stores.open('pglite');
  const security = { consumers: [{ id: AGENT.id, role: AGENT.role, apiKeySha256: sha256(AGENT.apiKey) }] };
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

const openCustomer = (id: string, at = url): Promise<Page> => openDesk(browser, at, AGENT.apiKey, id);

describe.each(Object.entries(SAMPLE_CUSTOMERS))('the full view of the %s sample customer', (kind, id) => {
  it('shows no raw code and every time in one Beijing form', async () => {
    const page = await openCustomer(id);
    await page.screenshot({ path: path.join(ARTIFACTS, `desk-zh-${kind}.png`), fullPage: true });
    const texts = await textNodes(page);
    expect(texts.length).toBeGreaterThan(20);
    expect(rawCodes(texts)).toEqual([]);
    // No ISO instants, no offsets, no US-style dates or AM/PM.
    expect(
      texts.filter((text) => /\d{4}-\d{2}-\d{2}T|[+-]\d{2}:\d{2}\b|\d{1,2}\/\d{1,2}\/\d{4}|\b[AP]M\b/.test(text)),
    ).toEqual([]);
    await page.close();
  }, 60_000);
});

it('a customer not yet in the nightly batch, and one with no billing account: information, not an outage', async () => {
  const fresh = await openCustomer(SAMPLE_CUSTOMERS.newNotInWarehouse);
  const insights = fresh.locator('[data-section="insights"]');
  expect(await insights.getAttribute('class')).toContain('info');
  expect(await insights.locator('[data-info="insights"]').innerText()).toMatch(
    /^尚未进入夜间批次（下次批次：今夜 \d{4}-\d{2}-\d{2}）$/,
  );
  expect(await fresh.locator('.card.missing, [data-missing]').count()).toBe(0);
  await fresh.screenshot({ path: path.join(ARTIFACTS, 'desk-zh-not-in-batch.png') });
  await fresh.close();

  expect(billingAccount(SAMPLE_CUSTOMERS.noBillingAccount)).toBeNull();
  const noAccount = await openCustomer(SAMPLE_CUSTOMERS.noBillingAccount);
  const billing = noAccount.locator('[data-section="billing"]');
  expect(await billing.getAttribute('class')).toContain('info');
  expect(await billing.locator('[data-info="billing"]').innerText()).toBe('无计费账户');
  expect(await noAccount.locator('.card.missing, [data-missing]').count()).toBe(0);
  await noAccount.close();
}, 60_000);

it('the suspended customer in arrears: what calls for care first, and no upsell (each offer withheld, with why)', async () => {
  const id = SAMPLE_CUSTOMERS.suspended;
  const account = billingAccount(id)!;
  const page = await openCustomer(id);
  const care = page.locator('[data-section="care"]');
  // First on the screen, above the fold.
  const box = (await care.boundingBox())!;
  expect(box.y + box.height).toBeLessThan(VIEWPORT.height);
  expect(await care.locator('[data-risk="suspended"]').innerText()).toBe('客户已停机');
  expect(await care.locator('[data-risk="arrears"]').innerText()).toMatch(
    new RegExp(`^欠费 ¥${(-Number(account.balance)).toFixed(2)}，逾期 \\d+ 天$`),
  );
  expect(await care.locator('[data-risk="credit"]').innerText()).toBe(`信用等级低：${CATALOG.creditGrade.C!.zh}`);
  expect(await care.locator('[data-risk="churn"]').innerText()).toMatch(/^流失风险高：\d+%$/);
  expect(await care.locator('[data-risk="complaint"]').innerText()).toMatch(/^有未结投诉：.+ 处理中$/);

  const offers = page.locator('[data-section="recommendations"] [data-offer]');
  expect(await offers.count()).toBe(scoringEvaluation(id)!.offers.length);
  expect(await offers.count()).toBeGreaterThan(0);
  for (const offer of await offers.all()) {
    expect(await offer.locator('[data-withheld="SUSPENDED"]').innerText()).toBe('暂不推荐：客户已停机');
    expect(await offer.locator('[data-outcome]').count()).toBe(0);
  }
  await page.screenshot({ path: path.join(ARTIFACTS, 'desk-zh-suspended-care.png') });
  await page.close();
}, 60_000);

it('the trail, above the fold, shows the offer and the outcome just recorded, in Beijing time', async () => {
  // A customer whose first offer may be made now.
  const id = 'C00000024';
  const page = await openCustomer(id);
  const trail = page.locator('[data-section="contacts"]');
  expect((await trail.boundingBox())!.y).toBeLessThan(VIEWPORT.height - 100);
  const offer = page.locator('[data-offer]:not(.withheld)').first();
  const offerCode = (await offer.getAttribute('data-offer'))!;
  await offer.locator('[data-outcome="declined"]').click();
  await offer.locator('[data-recorded="RECORDED"]').waitFor({ timeout: 20_000 });
  const first = page.locator('[data-trail] tr').nth(1);
  await first.getByText(CATALOG.offer[offerCode]!.zh).waitFor({ timeout: 20_000 });

  // The contact as the CRM holds it now: its time, shown in Beijing time.
  const { body } = await postGraphQL(
    url,
    `{ customer(id: "${id}") { contacts { at offerCode outcome agentId } } }`,
    {},
    {
      'x-api-key': AGENT.apiKey,
    },
  );
  const recorded = body.data.customer.contacts.find(
    (c: { offerCode: string | null; outcome: string }) => c.offerCode === offerCode && c.outcome === 'DECLINED',
  );
  expect(recorded.agentId).toBe(AGENT.id);
  expect(await first.innerText()).toMatch(
    new RegExp(
      `^${beijing(recorded.at)}\\s+营业厅\\s+${AGENT.id}\\s+营销推荐\\s+${CATALOG.offer[offerCode]!.zh}\\s+拒绝$`,
    ),
  );
  await page.screenshot({ path: path.join(ARTIFACTS, 'desk-zh-trail-recorded.png') });
  await page.close();
}, 60_000);

it('billing down with a copy past its TTL: the copy is shown, saying from when and how old', async () => {
  // A gateway of its own over the same mocks whose billing records are fresh for 0.2 s and served stale for 60 s.
  const security = { consumers: [{ id: AGENT.id, role: AGENT.role, apiKeySha256: sha256(AGENT.apiKey) }] };
  const policies = { billing: { cache: { ttlSeconds: 0.2, staleSeconds: 60 }, retry: { attempts: 0 } } };
  const stale = createGateway(testConfig(mocks, { security, policies }), { logger: pino({ level: 'silent' }) });
  const staleUrl = await stale.listen();
  const id = 'C00000007';
  const ask = () =>
    postGraphQL(
      staleUrl,
      `{ customer(id: "${id}") { billing { balance } sources { source status } } }`,
      {},
      {
        'x-api-key': AGENT.apiKey,
      },
    );
  try {
    expect((await ask()).body.data.customer.billing).not.toBeNull();
    mocks.billing.faults.set({ down: '503' });
    // Until billing's copy is past its TTL: then every answer serves it as STALE.
    await waitFor(
      async () =>
        (await ask()).body.data.customer.sources.some(
          (s: { source: string; status: string }) => s.source === 'billing' && s.status === 'STALE',
        ),
      { what: 'billing served STALE', intervalMs: 50 },
    );
    const page = await openCustomer(id, staleUrl);
    const billing = page.locator('[data-section="billing"]');
    expect(await billing.locator('[data-badge]').getAttribute('data-badge')).toBe('STALE');
    expect(await billing.locator('[data-badge]').innerText()).toMatch(/^计费系统 · 过期 \d+(秒|分钟) · (故障|熔断中)$/);
    expect(await billing.locator('[data-stale="billing"]').innerText()).toMatch(
      /^显示的是 \d{4}-\d{2}-\d{2} \d{2}:\d{2}（\d+(秒|分钟)前）$/,
    );
    expect(await billing.innerText()).toContain(`¥${Number(billingAccount(id)!.balance).toFixed(2)}`);
    await page.screenshot({ path: path.join(ARTIFACTS, 'desk-zh-billing-stale.png') });
    await page.close();
  } finally {
    mocks.billing.faults.reset();
    await stale.close();
  }
}, 60_000);
