/** Debian's Chromium, headless, through playwright-core (which never downloads a browser). */
import { chromium, type Browser, type Page } from 'playwright-core';

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
