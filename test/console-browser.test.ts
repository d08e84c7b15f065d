/**
 * The marketing console in a real browser (Debian's Chromium, 1366×768), end to end on a real gateway, its mocks, the
 * channel gateway mock and the durable store: a marketing user builds a rule by form, reads it back as a sentence,
 * dry-runs it against a customer and saves it as a draft; the author cannot publish it (four eyes), an approver does;
 * a signed event then sends the offer on the channel gateway; switching the rule off stops it; the exception queue
 * shows an event for an unknown customer and takes it through assign and resolve; the reports draw their charts;
 * a front-desk key gets a clear "no access". No raw code on the main screens, no CSP violation. Screenshots are kept
 * in test/artifacts/, and the console's load and first-interaction times in test/artifacts/console-timings.json.
 */
import fs from 'node:fs';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import { launchChromium } from './support/browser';
import { CATALOG } from '../gateway/labels';
import { audienceBatch } from '../mocks/warehouse/audience';
import { TEST_API_KEY, roleConsumer } from './support/harness';
import { roamingEvent, startMarketing, type MarketingHarness } from './support/marketing';
import { SAMPLE_RULES } from '../scripts/demo-consumers';
import { testStores } from './support/store';
import { waitFor } from './support/wait';
import { SETUP_TIMEOUT_MS } from './support/patient';

const ARTIFACTS = path.join(__dirname, 'artifacts');
const VIEWPORT = { width: 1366, height: 768 };
const MARKETING_KEY = 'marketing-key-0123';
const FRONT_DESK_KEY = 'front-desk-key-0123';
const RULE_ID = 'console-114-12580';
const CAPS = { perCustomerPerDay: 100, perCustomerPerWeek: 100, perChannelPerDay: 100 };

/** Every code the catalog labels: none of them may reach a person as it is. */
const RAW_CODES = new Set(Object.values(CATALOG).flatMap((labels) => Object.keys(labels)));
/** What a code looks like when it slips through unlabelled. */
const CODE_LIKE = /^[A-Z][A-Z_]+$/;

const NEXT_YEAR = {
  start: new Date(Date.now() + 365 * 86_400_000).toISOString(),
  end: new Date(Date.now() + 366 * 86_400_000).toISOString(),
};
/** A campaign to list and report on, scheduled a year from now: launched, it selects its audience and contacts nobody. */
const CAMPAIGN = {
  id: 'console-cloud-youth',
  name: '和彩云 青年推广',
  audience: {
    where: {
      all: [
        { field: 'segment', operator: 'equal', value: 'YOUTH_DATA' },
        { field: 'churnProbability', operator: 'lessThan', value: 0.02 },
      ],
    },
  },
  offer: { code: 'VAS-CLOUD', name: '和彩云存储50GB', confirmBy: 'SMS_REPLY' },
  messages: { SMS: '尊敬的{{customer.title}}，{{offer.name}}每月10元，回复Y订购。' },
  // A year from now, whenever the test runs: launched, it selects its audience and contacts nobody.
  schedule: { start: NEXT_YEAR.start, end: NEXT_YEAR.end },
  throttle: { sendsPerSecond: 100, viewLoadsPerSecond: 100 },
};

const stores = testStores();
let m: MarketingHarness;
let browser: Browser;
/** What the browser says went wrong: CSP violations, page errors. */
const troubles: string[] = [];
const timings: Record<string, number> = {};

beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  // The warehouse mock builds its extraction columns on the first audience call (seconds on a loaded machine, in
  // this process): built here, before the browser measures anything.
  audienceBatch();
  const store = await stores.open('pglite');
  m = await startMarketing(store, {
    security: { consumers: [roleConsumer('marketing'), roleConsumer('front-desk')] },
    marketing: { caps: CAPS },
  });
  browser = await launchChromium();
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  fs.writeFileSync(path.join(ARTIFACTS, 'console-timings.json'), `${JSON.stringify(timings, null, 2)}\n`);
  await browser?.close();
  await m?.close();
  await stores.cleanup();
});

/** A new page, watched for CSP violations and errors (zh-CN, as the operator's browsers are). */
async function newPage(): Promise<Page> {
  const page = await browser.newPage({ viewport: VIEWPORT, locale: 'zh-CN', timezoneId: 'Asia/Shanghai' });
  page.on('pageerror', (err) => troubles.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error' && /Content Security Policy|Refused to/.test(msg.text())) troubles.push(msg.text());
  });
  // Every violation the page meets is reported to the console, where the listener above collects it.
  await page.addInitScript(`document.addEventListener('securitypolicyviolation', (e) =>
    console.error('Refused to: CSP ' + e.violatedDirective + ' ' + e.blockedURI));`);
  return page;
}

/** Opens the console and signs in; the times to the sign-in form and to the rules list, measured in the page. */
async function signIn(key: string, ready = 'rules'): Promise<{ page: Page; shownMs: number; readyMs: number }> {
  const page = await newPage();
  await page.goto(`${m.url}/console`);
  await page.locator('#credential').waitFor();
  const shownMs = await page.evaluate(() => performance.getEntriesByName('console:shown')[0]?.startTime ?? -1);
  const clicked = await page.evaluate(() => performance.now());
  await page.locator('#credential').fill(key);
  await page.keyboard.press('Enter');
  await page.locator(`body[data-ready="${ready}"]`).waitFor({ timeout: 20_000 });
  const readyMs = await page.evaluate(
    (start) => (performance.getEntriesByName('console:interactive')[0]?.startTime ?? performance.now()) - start,
    clicked,
  );
  return { page, shownMs, readyMs };
}

/** Every text a person can read in the console's visible part (not the hidden tabs). */
const visibleTexts = (page: Page): Promise<string[]> =>
  page.evaluate(`(() => {
    const texts = [];
    const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = (node.textContent || '').trim();
      const el = node.parentElement;
      if (text && el && el.checkVisibility() && !el.closest('option, script, style')) texts.push(text);
    }
    return texts;
  })()`);
async function expectNoRawCode(page: Page): Promise<void> {
  const texts = await visibleTexts(page);
  expect(texts.length).toBeGreaterThan(5);
  expect(texts.filter((text) => RAW_CODES.has(text) || CODE_LIKE.test(text))).toEqual([]);
  // Times in one Beijing form: no ISO instants, offsets, US dates or AM/PM.
  expect(
    texts.filter((text) => /\d{4}-\d{2}-\d{2}T|[+-]\d{2}:\d{2}\b|\d{1,2}\/\d{1,2}\/\d{4}|\b[AP]M\b/.test(text)),
  ).toEqual([]);
}

let n = 0;
const directoryEnquiry = (customerId: string, number = '114') => ({
  version: 1,
  id: `evt-console-${process.pid}-${++n}`,
  type: 'DIRECTORY_ENQUIRY',
  customerId,
  at: new Date().toISOString(),
  data: { number },
});
const messagesTo = (customerId: string) => m.channels.messages().filter((x) => x.customerId === customerId);

/** Picks a value in a condition's value control, whichever it is for the field (a select or a text box). */
async function setValue(row: ReturnType<Page['locator']>, value: string): Promise<void> {
  const control = row.locator('[data-role="value"]');
  if ((await control.evaluate((el) => el.tagName)) === 'SELECT') await control.selectOption(value);
  else await control.fill(value);
}

describe('the marketing console', () => {
  it('a marketing user builds a rule by form, reads its sentence, dry-runs it on a customer, saves a draft', async () => {
    // A real event first, for the dry run against the customer's last events.
    expect((await m.send(directoryEnquiry('C00000020'))).status).toBe(202);

    const { page, shownMs, readyMs } = await signIn(MARKETING_KEY);
    timings.signInFormShownMs = Math.round(shownMs);
    timings.signInToRulesListMs = Math.round(readyMs);
    // Configured rules are readable, with their sentence.
    expect(await page.locator('[data-rule="hk-roaming-data"] [data-sentence="rule"]').innerText()).not.toBe('');
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-rules.png'), fullPage: true });
    await expectNoRawCode(page);

    await page.locator('#new-rule').click();
    await page.locator('#rule-id').fill(RULE_ID);
    await page.locator('#rule-description').fill('刚拨打114查号台的客户，推荐12580');
    await page.locator('#rule-priority').fill('30');
    await page.locator('[data-kind="DIRECTORY_ENQUIRY"]').check();

    // Condition 1: the number dialled is 114.
    await page.locator('[data-path="when"] > .adders [data-add="field"]').click();
    const first = page.locator('[data-path="when.all.0"]');
    await first.locator('[data-role="field"]').selectOption('event.number');
    await first.locator('[data-role="operator"]').selectOption('equal');
    await setValue(first, '114');
    // Condition 2: the customer does not hold 12580 now (the products' codes, a closed set: picked, not typed).
    await page.locator('[data-path="when"] > .adders [data-add="field"]').click();
    const second = page.locator('[data-path="when.all.1"]');
    await second.locator('[data-role="field"]').selectOption('customer.products.code');
    await second.locator('[data-role="operator"]').selectOption('doesNotContain');
    await setValue(second, 'VAS-12580');
    // The offer.
    await page.locator('#then-offer').fill('VAS-12580');
    await page.locator('#then-channel').selectOption('SMS');
    await page.locator('#then-message').fill('您刚拨打了114。12580综合信息服务每月5元，回复Y开通。');

    // The rule read back as a sentence, in Chinese, with the labels: no problem listed.
    const sentence = page.locator('#sentence');
    await waitFor(async () => /114/.test(await sentence.innerText()) && /短信/.test(await sentence.innerText()), {
      timeoutMs: 10_000,
      what: 'the sentence',
    });
    expect(await page.locator('#sentence-problems li').count()).toBe(0);
    expect(await sentence.innerText()).toContain('12580');
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-builder.png'), fullPage: true });
    await expectNoRawCode(page);

    // Dry run against the customer's last real events: the event matched, each condition held, the offer shown.
    await page.locator('#dry-who').fill('C00000020');
    await page.locator('#dry-last').fill('5');
    await page.locator('#dry-run').click();
    const result = page.locator('#dry-results .result').first();
    await result.waitFor({ timeout: 20_000 });
    expect(await result.getAttribute('data-matched')).toBe('true');
    expect(await result.locator('tr[data-held="true"]').count()).toBeGreaterThanOrEqual(2);
    expect(await result.locator('tr[data-held="false"]').count()).toBe(0);
    expect(await result.locator('[data-offer="VAS-12580"]').innerText()).toContain('短信');
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-dry-run.png'), fullPage: true });
    await expectNoRawCode(page);
    // Nothing was sent by the dry run.
    expect(messagesTo('C00000020')).toEqual([]);

    // Saved as a draft: listed as awaiting approval, with its sentence.
    await page.locator('#save-draft').click();
    const row = page.locator(`tr[data-rule="${RULE_ID}"]`);
    await row.waitFor({ timeout: 10_000 });
    expect(await row.getAttribute('data-draft')).toBe('true');
    expect(await row.locator('[data-sentence="draft"]').innerText()).toContain('114');

    // A marketing user drafts; publishing is an approver's (four eyes): the page does not offer it.
    expect(await row.locator('[data-action="publish"]').count()).toBe(0);
    await page.close();
  }, 90_000);

  it('the sample rules over history, time spent and a date window open in the builder as forms, and read the same', async () => {
    // Registered as they ship (config/sample-rules.json): on kinds no other test here sends.
    const shown = ['first-long-distance-12593', 'securities-dwell-mobile-securities', 'spring-festival-welcome-home'];
    for (const rule of SAMPLE_RULES.filter((r) => shown.includes(r.id)))
      expect((await m.putRule(rule as { id: string })).status).toBe(200);
    const { page } = await signIn(MARKETING_KEY);
    for (const [id, type] of [
      ['first-long-distance-12593', 'history'],
      ['securities-dwell-mobile-securities', 'dwell'],
      ['spring-festival-welcome-home', 'during'],
    ] as const) {
      const row = page.locator(`tr[data-rule="${id}"]`);
      const listed = await row.locator('[data-sentence="rule"]').innerText();
      await row.locator('[data-action="edit"]').click();
      expect(await page.locator(`#conditions [data-type="${type}"]`).count()).toBeGreaterThan(0);
      // The form gives back the rule it was given: the gateway reads it as the same sentence.
      await waitFor(async () => (await page.locator('#sentence').innerText()) === listed, {
        what: `the sentence of ${id} from the form`,
      });
      expect(await page.locator('#sentence-problems li').count()).toBe(0);
      await page.screenshot({ path: path.join(ARTIFACTS, `console-builder-${type}.png`), fullPage: true });
      await expectNoRawCode(page);
      await page.locator('[data-tab="rules"]').click();
    }
    await page.close();
  }, 60_000);

  it('an approver publishes; a signed event sends the offer; switched off it stops; the diff; rollback; four eyes', async () => {
    const { page } = await signIn(TEST_API_KEY);
    const row = page.locator(`tr[data-rule="${RULE_ID}"]`);
    await row.locator('[data-action="publish"]').click();
    await waitFor(
      async () => (await page.locator(`tr[data-rule="${RULE_ID}"]`).getAttribute('data-draft')) === 'false',
      {
        what: 'the draft published',
      },
    );
    expect(await page.locator(`tr[data-rule="${RULE_ID}"]`).getAttribute('data-enabled')).toBe('true');

    // The offer goes out on the channel gateway.
    const sent = await m.send(directoryEnquiry('C00000021'));
    expect(sent.status).toBe(202);
    expect(sent.body.offer).toMatchObject({ ruleId: RULE_ID, offerCode: 'VAS-12580', status: 'SENT' });
    expect(messagesTo('C00000021')).toEqual([
      expect.objectContaining({ channel: 'SMS', offerCode: 'VAS-12580', message: expect.stringContaining('12580') }),
    ]);

    // The history: the draft and the published version, by two people; the diff of the two.
    await page.locator(`[data-rule="${RULE_ID}"] [data-action="history"]`).click();
    await page.locator('#history tr[data-version]').first().waitFor();
    expect(await page.locator('#history tr[data-kind="draft"]').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#history tr[data-kind="rule"]').count()).toBeGreaterThanOrEqual(1);
    expect(await page.locator('#history').innerText()).toContain('marketing');
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-history.png'), fullPage: true });

    // Switched off: the next event sends nothing.
    await page.locator(`[data-rule="${RULE_ID}"] [data-action="disable"]`).click();
    await waitFor(
      async () => (await page.locator(`tr[data-rule="${RULE_ID}"]`).getAttribute('data-enabled')) === 'false',
      {
        what: 'the rule switched off',
      },
    );
    const after = await m.send(directoryEnquiry('C00000022'));
    expect(after.status).toBe(202);
    expect(after.body.offer).toBeNull();
    expect(messagesTo('C00000022')).toEqual([]);

    // The history shows the change as a diff (switched on → off), and rolling back to the version published
    // switches the rule on again: the next event sends the offer.
    const history = page.locator('#history');
    await waitFor(async () => (await history.locator('[data-diff="enabled"]').count()) === 1, {
      what: 'the diff of the switch',
    });
    expect(await history.locator('[data-diff="enabled"] td.old').innerText()).toBe('是');
    expect(await history.locator('[data-diff="enabled"] td.new').innerText()).toBe('否');
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-history-diff.png'), fullPage: true });
    await history.locator('tr[data-kind="rule"] [data-action="rollback"]').first().click();
    await waitFor(
      async () => (await page.locator(`tr[data-rule="${RULE_ID}"]`).getAttribute('data-enabled')) === 'true',
      { what: 'the rule rolled back, on again' },
    );
    const again = await m.send(directoryEnquiry('C00000023'));
    expect(again.body.offer).toMatchObject({ ruleId: RULE_ID, status: 'SENT' });

    // Four eyes: an approver who drafted a change may not publish it; said in plain words. The draft is discarded.
    await page.locator(`tr[data-rule="${RULE_ID}"] [data-action="edit"]`).click();
    await page.locator('#rule-priority').fill('31');
    await page.locator('#save-draft').click();
    await waitFor(
      async () => (await page.locator(`tr[data-rule="${RULE_ID}"]`).getAttribute('data-draft')) === 'true',
      {
        what: 'the approver’s own draft',
      },
    );
    await page.locator(`tr[data-rule="${RULE_ID}"] [data-action="publish"]`).click();
    await waitFor(async () => (await page.locator('#message').getAttribute('data-kind')) === 'error');
    expect(await page.locator('#message').innerText()).toBe('发布需由起草人以外的审批人完成（四眼原则）');
    await page.locator(`tr[data-rule="${RULE_ID}"] [data-action="discard"]`).click();
    await waitFor(
      async () => (await page.locator(`tr[data-rule="${RULE_ID}"]`).getAttribute('data-draft')) === 'false',
      {
        what: 'the draft discarded',
      },
    );
    await expectNoRawCode(page);
    await page.close();
  }, 90_000);

  it('the exception queue shows an event for an unknown customer, with its labels; assign, then resolve', async () => {
    // A roaming event passes the configured roaming rule's event conditions, so the customer's view is read: no
    // system knows the customer, nothing is sent, and it is followed up.
    const unknown = await m.send(roamingEvent('C09999999'));
    expect(unknown.status).toBe(202);
    expect(unknown.body.exceptionId).toEqual(expect.any(String));
    const { page } = await signIn(MARKETING_KEY);
    await page.locator('[data-tab="exceptions"]').click();
    const row = page.locator('[data-exception][data-cause="UNKNOWN_CUSTOMER"]').first();
    await row.waitFor({ timeout: 10_000 });
    expect(await row.innerText()).toContain('客户不存在');
    expect(await row.innerText()).toContain('C09999999');
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-exceptions.png'), fullPage: true });
    await expectNoRawCode(page);

    await row.locator('[data-role="assignee"]').fill('李伟');
    await row.locator('[data-action="assign"]').click();
    await page.locator('#exc-state').selectOption('assigned');
    const assigned = page.locator('[data-exception][data-state="assigned"]').first();
    await assigned.waitFor();
    await assigned.locator('[data-role="resolution"]').fill('客户号码已注销，无需处理');
    await assigned.locator('[data-action="resolve"]').click();
    await page.locator('#exc-state').selectOption('resolved');
    await page.locator('[data-exception][data-state="resolved"]').first().waitFor();
    expect(await page.locator('[data-exception][data-state="resolved"]').first().innerText()).toContain('已解决');
    await page.close();
  }, 60_000);

  it('the campaigns are listed with their state; the reports draw their charts (ECharts, offline, under the CSP)', async () => {
    // A campaign launched for a year from now: listed, with a report, and nobody contacted by this test.
    const put = await m.admin('PUT', `/admin/campaigns/${CAMPAIGN.id}`, CAMPAIGN);
    expect(put.status).toBe(200);
    expect((await m.admin('POST', `/marketing/campaigns/${CAMPAIGN.id}/launch`)).status).toBe(202);
    const { page } = await signIn(MARKETING_KEY);
    const listed = page.locator(`[data-campaign="${CAMPAIGN.id}"]`);
    await listed.waitFor();
    expect(await listed.innerText()).toContain(CAMPAIGN.name);
    expect(await listed.innerText()).toMatch(/筛选目标中|执行中|已完成/);
    // The audience's size before anything is sent: counted where the data lives, a live sample checked.
    const sent = m.channels.messages().length;
    await listed.locator('[data-action="preview"]').click();
    const size = listed.locator('[data-audience-size]');
    await size.waitFor({ timeout: 20_000 });
    expect(Number(await size.getAttribute('data-audience-size'))).toBeGreaterThan(0);
    expect(await size.innerText()).toMatch(
      /^约 \d+ 人（含对照组 \d+ 人，数据批次 \d{4}-\d{2}-\d{2}）；抽样 \d+ 人中可触达 \d+ 人$/,
    );
    expect(m.channels.messages().length).toBe(sent);
    const clicked = await page.evaluate(() => performance.now());
    await page.locator('[data-tab="reports"]').click();
    await page.locator('[data-chart="offers-funnel"][data-drawn="true"]').waitFor({ timeout: 20_000 });
    timings.reportsChartsDrawnMs = Math.round((await page.evaluate(() => performance.now())) - clicked);
    expect(await page.locator('[data-chart="offers-funnel"] canvas').count()).toBe(1);
    expect(await page.locator('[data-chart="offers-channel"][data-drawn="true"] canvas').count()).toBe(1);
    expect(await page.locator('[data-figures="offers"] tr[data-offer="VAS-12580"]').innerText()).toContain('12580');
    await page.locator('#report-campaign').selectOption(CAMPAIGN.id);
    await page.locator('[data-chart="campaign-funnel"][data-drawn="true"] canvas').waitFor({ timeout: 20_000 });
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-reports.png'), fullPage: true });
    await expectNoRawCode(page);
    // English on request: the page's words and the charts' captions.
    await page.locator('#lang').click();
    await page.locator('[data-chart="offers-funnel"][data-drawn="true"]').waitFor();
    expect(await page.locator('#tab-reports h2').innerText()).toBe('Reports');
    expect(await page.locator('#offers-report figcaption').first().innerText()).toBe('Offer funnel');
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-reports-en.png'), fullPage: true });
    await page.close();
  }, 60_000);

  it('a front-desk key gets a clear "no access", nothing else', async () => {
    const { page } = await signIn(FRONT_DESK_KEY, 'no-access');
    const said = page.locator('#no-access');
    expect(await said.isVisible()).toBe(true);
    expect(await said.innerText()).toContain('无权使用营销控制台');
    expect(await page.locator('#tabs').isVisible()).toBe(false);
    expect(await page.locator('#rules-list tr').count()).toBe(0);
    await page.screenshot({ path: path.join(ARTIFACTS, 'console-no-access.png') });
    await page.close();
  }, 30_000);

  it('the page is served with the strict CSP, and nothing broke it', async () => {
    const res = await fetch(`${m.url}/console`);
    expect(res.headers.get('content-security-policy')).toContain("script-src 'self'");
    expect(res.headers.get('content-security-policy')).not.toContain('unsafe');
    const charts = await fetch(`${m.url}/console/vendor/echarts.esm.min.mjs`);
    expect(charts.status).toBe(200);
    expect(charts.headers.get('content-type')).toContain('javascript');
    expect(troubles).toEqual([]);
  });
});
