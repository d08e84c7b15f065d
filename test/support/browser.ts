/** Debian's Chromium, headless, through playwright-core (which never downloads a browser). */
import { chromium, type Browser, type Page } from 'playwright-core';
import { CATALOG } from '../../gateway/labels';

export const launchChromium = (): Promise<Browser> =>
  chromium.launch({
    executablePath: '/usr/bin/chromium',
    headless: true,
    // Without the background-networking flags Chromium keeps trying hosts this offline machine cannot reach.
    args: [
      '--no-sandbox',
      '--disable-gpu',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      '--no-first-run',
    ],
  });

/** Every text node the agent can read under `main` (the view, the status line, the recent list), SVG included. */
export const textNodes = (page: Page): Promise<string[]> =>
  page.evaluate(`(() => {
    const texts = [];
    const walker = document.createTreeWalker(document.querySelector('main'), NodeFilter.SHOW_TEXT);
    for (let node = walker.nextNode(); node; node = walker.nextNode()) {
      const text = (node.textContent || '').trim();
      if (text) texts.push(text);
    }
    return texts;
  })()`);

/** Every code the label catalog labels: none of them may reach the agent as it is (in Chinese). */
export const RAW_CODES = new Set(Object.values(CATALOG).flatMap((labels) => Object.keys(labels)));
/** What a code looks like when it slips through unlabelled. */
export const CODE_LIKE = /^[A-Z][A-Z_]+$/;
/** The texts that are raw codes: a test expects none. */
export const rawCodes = (texts: readonly string[]): string[] =>
  texts.filter((text) => RAW_CODES.has(text) || CODE_LIKE.test(text));

/** The Beijing time of an instant in the desk's one form (2026-11-22 14:05). */
export function beijing(iso: string): string {
  const parts = Object.fromEntries(
    new Intl.DateTimeFormat('en-CA', {
      timeZone: 'Asia/Shanghai',
      year: 'numeric',
      month: '2-digit',
      day: '2-digit',
      hour: '2-digit',
      minute: '2-digit',
      hourCycle: 'h23',
    })
      .formatToParts(new Date(iso))
      .map((p) => [p.type, p.value]),
  );
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/** A new page at 1366×768, signed in to the desk at `url` with `apiKey`, showing customer `id`. */
export async function openCustomer(browser: Browser, url: string, apiKey: string, id: string): Promise<Page> {
  const page = await browser.newPage({ viewport: { width: 1366, height: 768 } });
  await page.goto(`${url}/desk`);
  await page.locator('#credential').fill(apiKey);
  await page.keyboard.press('Enter');
  await page.locator('#q').fill(id);
  await page.keyboard.press('Enter');
  await page.locator(`body[data-rendered="${id}"]`).waitFor({ timeout: 20_000 });
  return page;
}
