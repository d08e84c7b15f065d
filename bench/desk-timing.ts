/**
 * The front-desk page's load and search-to-render times, in a real Chromium against a real gateway and mocks
 * (`npx tsx bench/desk-timing.ts`, RUNS=10). Page load: navigation start to the sign-in form usable (DOMContentLoaded
 * and the module run). Search to render: Enter in the search field to the view drawn, cold (each search a customer
 * not yet cached: every backend called) and warm (the same customer again). Prints medians and the worst run.
 */
import pino from 'pino';
import { chromium } from 'playwright-core';
import { createGateway } from '../gateway/app/server';
import { startMocks } from '../mocks';
import { sha256, testConfig } from '../test/support/harness';

const RUNS = Number(process.env.RUNS ?? 10);
const KEY = 'desk-timing-agent-key-0123';

/**
 * The page's document as the functions Playwright runs in the page see it (this file is type-checked without the
 * DOM's types; the cast is erased, and `globalThis.document` is the page's there).
 */
interface PageDocument {
  activeElement: { id?: string } | null;
  body: { dataset: Record<string, string | undefined> };
  querySelector(selector: string): unknown;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] ?? NaN;

async function main(): Promise<void> {
  const mocks = await startMocks();
  const gateway = createGateway(
    testConfig(mocks, { security: { consumers: [{ id: 'agent', role: 'front-desk', apiKeySha256: sha256(KEY) }] } }),
    { logger: pino({ level: 'silent' }) },
  );
  const url = await gateway.listen();
  const browser = await chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });
  const load: number[] = [];
  const cold: number[] = [];
  const warm: number[] = [];
  let bytes = 0;
  try {
    for (let i = 0; i < RUNS; i++) {
      const context = await browser.newContext({ viewport: { width: 1366, height: 768 } });
      const page = await context.newPage();
      let pageBytes = 0;
      page.on(
        'response',
        (r) =>
          void r.body().then(
            (b) => (pageBytes += b.length),
            () => undefined,
          ),
      );
      const started = Date.now();
      await page.goto(`${url}/desk`);
      await page.locator('#credential').waitFor();
      // Functions, not strings: the page's CSP forbids eval, which a string predicate needs.
      await page.waitForFunction(
        () => (globalThis as unknown as { document: PageDocument }).document.activeElement?.id === 'credential',
      );
      load.push(Date.now() - started);
      await page.keyboard.type(KEY);
      await page.keyboard.press('Enter');
      await page.locator('#q').waitFor({ state: 'visible' });
      const id = `C${String(1000 + i).padStart(8, '0')}`;
      for (const bucket of [cold, warm]) {
        await page.locator('#q').fill(id);
        const t0 = Date.now();
        await page.keyboard.press('Enter');
        await page.waitForFunction(
          (shown) =>
            (globalThis as unknown as { document: PageDocument }).document.body.dataset.rendered === shown &&
            (globalThis as unknown as { document: PageDocument }).document.querySelector('[data-section="profile"]') !==
              null,
          id,
        );
        bucket.push(Date.now() - t0);
        await page.evaluate(
          () => delete (globalThis as unknown as { document: PageDocument }).document.body.dataset.rendered,
        );
      }
      bytes = Math.max(bytes, pageBytes);
      await context.close();
    }
  } finally {
    await browser.close();
    await gateway.close();
    await mocks.close();
  }
  console.log(`desk page, ${RUNS} runs, Chromium headless at 1366×768 on this machine:`);
  console.log(
    `  page load to sign-in usable  median ${median(load)} ms, worst ${Math.max(...load)} ms (page + script + style: ${(bytes / 1024).toFixed(1)} KiB, uncompressed)`,
  );
  console.log(
    `  search to render, cold       median ${median(cold)} ms, worst ${Math.max(...cold)} ms (every backend called)`,
  );
  console.log(
    `  search to render, warm       median ${median(warm)} ms, worst ${Math.max(...warm)} ms (cached records)`,
  );
}

main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
