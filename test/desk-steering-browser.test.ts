/**
 * The desk guides the agent, in a real browser (Debian's Chromium, 1366×768): for the service the customer came for
 * (picked from the steering table's services, by their Chinese labels), where to steer them and why, in one line;
 * a high-value and an ordinary customer with the same preferences are steered differently for "itemised bill", and
 * away from a channel the channel systems report saturated; the best time to contact, for a callback, in Beijing
 * hours outside the quiet hours; no raw code anywhere. It also measures, for people to read (no assertion on speed):
 * page load to usable and search to rendered, cold and warm, and the bytes transferred. Screenshots and the figures
 * are kept in test/artifacts/.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import type { Browser, Page } from 'playwright-core';
import pino from 'pino';
import { launchChromium, rawCodes, textNodes } from './support/browser';
import { SAMPLE_CUSTOMERS } from '../mocks/dataset/customers';
import { createGateway, type Gateway } from '../gateway/app/server';
import { startMocks, type Mocks } from '../mocks';
import { startChannelsMock, type ChannelsMock } from '../mocks/channels';
import { postGraphQL, sha256, testConfig } from './support/harness';
import { testStores } from './support/store';
import { SETUP_TIMEOUT_MS } from './support/patient';

const ARTIFACTS = path.join(__dirname, 'artifacts');
const AGENT = { id: 'desk-agent', role: 'front-desk', apiKey: 'desk-agent-key-0123456789' };
const VIEWPORT = { width: 1366, height: 768 };

/**
 * The same preference levels (phone, SMS and WAP hall weak, web hall medium, self-service terminal strongest), one
 * customer of a high value tier (GOLD), one ordinary (STANDARD): test/channel-steering.test.ts finds them so.
 */
const GOLD_TERMINAL = 'C00000573';
const STANDARD_TERMINAL = 'C00000006';
/** A customer with answered contacts at 10:xx and 19:xx Beijing time, recorded by the test. */
const CALLBACK = 'C00000779';

const stores = testStores();
let mocks: Mocks;
let channels: ChannelsMock;
let gateway: Gateway;
let browser: Browser;
let url = '';
beforeAll(async () => {
  fs.mkdirSync(ARTIFACTS, { recursive: true });
  [mocks, channels] = await Promise.all([startMocks(), startChannelsMock()]);
  const store = await stores.open('pglite');
  const security = { consumers: [{ id: AGENT.id, role: AGENT.role, apiKeySha256: sha256(AGENT.apiKey) }] };
  // No caching of the load: each view reads the load the test just set.
  const load = {
    name: 'channelload',
    url: channels.url,
    policy: { timeoutMs: 1000, cache: { ttlSeconds: 0, staleSeconds: 0 }, retry: { attempts: 0 } },
  };
  gateway = createGateway(testConfig(mocks, { security, steering: { load } }), {
    logger: pino({ level: 'silent' }),
    store,
  });
  url = await gateway.listen();
  browser = await launchChromium();
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await browser?.close();
  await gateway?.close();
  await Promise.all([mocks?.close(), channels?.close()]);
  await stores.cleanup();
});
beforeEach(() => channels.resetLoad());

async function signIn(): Promise<Page> {
  const page = await browser.newPage({ viewport: VIEWPORT });
  await page.goto(`${url}/desk`);
  await page.locator('#credential').fill(AGENT.apiKey);
  await page.keyboard.press('Enter');
  await page.locator('#q').waitFor({ state: 'visible' });
  return page;
}

/** Searches a customer and waits for the view and the guide to be drawn. */
async function search(page: Page, id: string): Promise<void> {
  await page.locator('#q').fill(id);
  await page.keyboard.press('Enter');
  await page.locator(`body[data-rendered="${id}"][data-guided="${id}"]`).waitFor({ timeout: 20_000 });
}

/** Picks the service the customer came for by its Chinese label; waits for its line. */
async function pick(page: Page, service: string, zh: string): Promise<void> {
  await page.locator('[data-service-picker]').selectOption({ label: zh });
  await page.locator(`[data-guide="steering"] [data-service="${service}"]`).waitFor({ timeout: 20_000 });
}

const steerLine = (page: Page) => page.locator('[data-guide="steering"] [data-steer]');

it('"itemised bill": a high-value customer is steered by preference, an ordinary one with the same preferences by cost', async () => {
  const page = await signIn();
  await search(page, GOLD_TERMINAL);
  // The picker lists the steering table's services by the section's own labels.
  const options = await page.locator('[data-service-picker] option').allInnerTexts();
  expect(options).toContain('详单查询');
  expect(options).toContain('余额查询');
  await pick(page, 'ITEMISED_BILL', '详单查询');
  expect(await steerLine(page).getAttribute('data-steer')).toBe('SELF_SERVICE_TERMINAL');
  expect(await steerLine(page).innerText()).toBe('建议引导至自助终端（高价值客户，按渠道偏好优先，偏好最强）');
  await page.screenshot({ path: path.join(ARTIFACTS, 'desk-steering-gold.png') });

  // The agent's pick stays for the next customer.
  await search(page, STANDARD_TERMINAL);
  expect(await page.locator('[data-service-picker]').inputValue()).toBe('ITEMISED_BILL');
  expect(await steerLine(page).getAttribute('data-steer')).toBe('SMS_HALL');
  expect(await steerLine(page).innerText()).toBe('建议引导至短信营业厅（普通客户，按渠道成本优先，每笔成本0.10元）');
  await page.screenshot({ path: path.join(ARTIFACTS, 'desk-steering-standard.png') });

  // In English, the same line in the section's English.
  await page.locator('#lang').click();
  await page.locator('[data-guide="steering"] [data-steer]').getByText('SMS hall').waitFor({ timeout: 20_000 });
  expect(await steerLine(page).innerText()).toBe(
    'Steer to the SMS hall (ordinary customer: cost first; 0.10 CNY a transaction)',
  );
  expect(await page.locator('[data-service-picker] option:checked').innerText()).toBe('itemised bill');
  await page.close();
}, 60_000);

it('moves away from a channel the channel systems report as saturated, and says so in the line', async () => {
  const page = await signIn();
  await search(page, STANDARD_TERMINAL);
  await pick(page, 'ITEMISED_BILL', '详单查询');
  expect(await steerLine(page).getAttribute('data-steer')).toBe('SMS_HALL');

  channels.setLoad({ SMS_HALL: { value: 1950 } }); // of 2000 messages a second: 0.975
  await search(page, STANDARD_TERMINAL);
  expect(await steerLine(page).getAttribute('data-steer')).toBe('WAP_HALL');
  expect(await steerLine(page).getAttribute('data-reason')).toBe('NEXT_NOT_SATURATED');
  expect(await steerLine(page).getAttribute('data-avoided')).toBe('SMS_HALL');
  expect(await steerLine(page).innerText()).toMatch(
    /^建议引导至掌上营业厅（普通客户，按渠道成本优先，.*短信营业厅繁忙已避开）$/,
  );
  await page.screenshot({ path: path.join(ARTIFACTS, 'desk-steering-saturated.png') });

  // Another service, picked now: asked again, with the load as it is now.
  channels.resetLoad();
  await pick(page, 'BALANCE_ENQUIRY', '余额查询');
  expect(await steerLine(page).getAttribute('data-avoided')).toBe('');
  await page.close();
}, 60_000);

/** An instant `daysAgo` days back at a Beijing time (UTC+8, no daylight saving). */
const beijingAt = (daysAgo: number, hour: number, minute: number): string => {
  const day = new Date(Date.now() - daysAgo * 86_400_000);
  return new Date(Date.UTC(day.getUTCFullYear(), day.getUTCMonth(), day.getUTCDate(), hour - 8, minute)).toISOString();
};

it('the best time to contact, for a callback: the hours answered in, outside the quiet hours, and the next one', async () => {
  const record = async (at: string, outcome: string) => {
    const input = { customerId: CALLBACK, channel: 'CALL_CENTER', at, type: 'CAMPAIGN_OFFER', outcome };
    const { body } = await postGraphQL(
      url,
      'mutation($input: ContactInput!) { recordContact(input: $input) { status } }',
      { input },
      { 'x-api-key': AGENT.apiKey },
    );
    expect(body.data?.recordContact?.status).toBe('RECORDED');
  };
  await record(beijingAt(3, 10, 15), 'ACCEPTED');
  await record(beijingAt(4, 10, 40), 'RESOLVED');
  await record(beijingAt(3, 19, 5), 'ACCEPTED');
  await record(beijingAt(2, 22, 30), 'ACCEPTED'); // answered, but in the quiet hours (21:00–08:00)
  await record(beijingAt(2, 14, 0), 'NO_RESPONSE');

  const page = await signIn();
  await search(page, CALLBACK);
  const time = page.locator('[data-guide="time"]');
  expect(await time.locator('[data-best-hours]').getAttribute('data-best-hours')).toBe('10 19');
  expect(await time.locator('[data-best-hours]').innerText()).toBe(
    '最佳联系时段：10:00–11:00、19:00–20:00（已避开免打扰时段21:00–08:00）',
  );
  const next = await time.locator('[data-next-callback]').innerText();
  expect(next).toMatch(/^建议回访时间：\d{4}-\d{2}-\d{2} (10|19):\d{2}$/);
  await page.locator('[data-section="guide"]').screenshot({ path: path.join(ARTIFACTS, 'desk-best-time.png') });

  // A customer no contact was answered by: said so, no hour named.
  await search(page, 'C00000780');
  expect(await page.locator('[data-guide="time"] [data-best-hours]').innerText()).toBe('暂无客户应答记录');
  expect(await page.locator('[data-guide="time"] [data-next-callback]').count()).toBe(0);
  await page.close();
}, 60_000);

it('no raw code on the guide or anywhere on the view of each sample customer', async () => {
  const page = await signIn();
  for (const [kind, id] of Object.entries(SAMPLE_CUSTOMERS)) {
    await search(page, id);
    expect(await page.locator('[data-section="guide"] [data-guide-missing]').count()).toBe(0);
    // One steering display: the guide's.
    expect(await page.locator('[data-steer]').count()).toBe(1);
    const texts = await textNodes(page);
    expect(rawCodes(texts)).toEqual([]);
    await page.screenshot({ path: path.join(ARTIFACTS, `desk-steering-${kind}.png`), fullPage: true });
  }
  await page.close();
}, 120_000);

const median = (values: number[]): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return Math.round(sorted[Math.floor(sorted.length / 2)]! * 10) / 10;
};

it('figures for people to read: page load to usable, search to rendered (cold, warm), bytes transferred', async () => {
  const RUNS = 10;
  const usable = (page: Page) =>
    page.evaluate(`new Promise((resolve) => {
      const read = () => { const [m] = performance.getEntriesByName('desk:usable'); if (m) resolve(m.startTime); else setTimeout(read, 5); };
      read();
    })`) as Promise<number>;
  const lastSearch = (page: Page) =>
    page.evaluate(`performance.getEntriesByName('desk:search').at(-1).duration`) as Promise<number>;
  const lastGuide = (page: Page) =>
    page.evaluate(`performance.getEntriesByName('desk:guide').at(-1).duration`) as Promise<number>;

  const cold: number[] = [];
  const warm: number[] = [];
  const searchCold: number[] = [];
  const searchWarm: number[] = [];
  const guideCold: number[] = [];
  const guideWarm: number[] = [];
  const bytes: { pageLoad: number[]; search: number[] } = { pageLoad: [], search: [] };
  /** The time the gateway spent on each steering answer (its Server-Timing), by whether the customer was new. */
  const steeringMs: { cold: number[]; warm: number[] } = { cold: [], warm: [] };
  let phase: 'cold' | 'warm' | null = null;
  for (let run = 0; run < RUNS; run++) {
    // A new browser context: nothing cached.
    const context = await browser.newContext({ viewport: VIEWPORT });
    const page = await context.newPage();
    let transferred = 0;
    page.on('response', (response) => {
      const timing = /gateway;dur=([\d.]+)/.exec(response.headers()['server-timing'] ?? '');
      if (phase && timing && (response.request().postData() ?? '').includes('DeskSteering'))
        steeringMs[phase].push(Number(timing[1]));
    });
    page.on('requestfinished', (request) => {
      void request
        .sizes()
        .then((s) => (transferred += s.responseBodySize + s.responseHeadersSize))
        .catch(() => undefined);
    });
    await page.goto(`${url}/desk`);
    cold.push(await usable(page));
    await page.locator('#credential').fill(AGENT.apiKey);
    await page.keyboard.press('Enter');
    await page.locator('#q').waitFor({ state: 'visible' });
    bytes.pageLoad.push(transferred);
    // The same page again, from the browser's cache (and the catalog revalidated by its ETag).
    await page.reload();
    warm.push(await usable(page));

    // A customer no one has asked for: every system called; then the same customer again.
    const id = `C0000${String(2000 + run).padStart(4, '0')}`;
    transferred = 0;
    phase = 'cold';
    await search(page, id);
    searchCold.push(await lastSearch(page));
    guideCold.push(await lastGuide(page));
    bytes.search.push(transferred);
    phase = 'warm';
    await search(page, id);
    phase = null;
    searchWarm.push(await lastSearch(page));
    guideWarm.push(await lastGuide(page));
    await context.close();
  }
  const figures = {
    runs: RUNS,
    // The machine is shared: its load says how much the figures may be trusted.
    loadAverage: os.loadavg().map((l) => Math.round(l * 10) / 10),
    pageLoadToUsableMs: { cold: median(cold), warm: median(warm) },
    searchToRenderedMs: { cold: median(searchCold), warm: median(searchWarm) },
    searchToGuideDrawnMs: { cold: median(guideCold), warm: median(guideWarm) },
    steeringInGatewayMs: { cold: median(steeringMs.cold), warm: median(steeringMs.warm) },
    bytesTransferred: { pageLoadCold: median(bytes.pageLoad), searchCold: median(bytes.search) },
  };
  fs.writeFileSync(path.join(ARTIFACTS, 'desk-figures.json'), `${JSON.stringify(figures, null, 2)}\n`);
  expect(cold.every((ms) => ms > 0)).toBe(true);
}, 180_000);
