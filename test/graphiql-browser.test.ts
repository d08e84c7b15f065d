/**
 * A front-desk developer opens GraphiQL in a browser, runs the sample query and sees the full view of a sample
 * customer, with nothing loaded from outside the gateway (operator networks are often offline).
 * Real headless Chromium (Debian's, through playwright-core), real gateway, real mocks.
 */
import type { Browser } from 'playwright-core';
import { launchChromium } from './support/browser';
import { startHarness, type Harness } from './support/harness';
import { SETUP_TIMEOUT_MS } from './support/patient';

let h: Harness;
let browser: Browser;
beforeAll(async () => {
  h = await startHarness();
  browser = await launchChromium();
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await browser?.close();
  await h.close();
});

it('GraphiQL runs the sample query and shows the full view of C00000001, offline', async () => {
  const page = await browser.newPage();
  const foreign: string[] = [];
  page.on('request', (request) => {
    if (!request.url().startsWith(h.url) && !request.url().startsWith('data:')) foreign.push(request.url());
  });
  const violations: string[] = [];
  page.on('console', (message) => {
    if (/Content Security Policy|Refused to/i.test(message.text())) violations.push(message.text());
  });
  const response = await page.goto(`${h.url}/graphql`);
  // The page carries its security headers, and GraphiQL works under them.
  expect(response?.headers()).toMatchObject({
    'content-security-policy': expect.stringContaining("frame-ancestors 'none'"),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    'x-frame-options': 'DENY',
  });
  expect(response?.headers()['content-security-policy']).not.toContain("script-src 'self' 'unsafe-inline'");
  const answer = page.waitForResponse(
    (r) =>
      r.url().startsWith(`${h.url}/graphql`) &&
      r.request().method() === 'POST' &&
      (r.request().postData() ?? '').includes('CustomerView'),
  );
  await page.locator('.graphiql-execute-button').click({ timeout: 20_000 });
  // The response pane shows the answer (it renders only the lines in view)…
  await page.locator('.graphiql-response').getByText('张伟').first().waitFor({ timeout: 20_000 });
  // …and the answer GraphiQL received is the full view, every section from its live source.
  const body = (await (await answer).json()) as {
    errors?: unknown;
    data: { customer: Record<string, unknown> & { sources: Array<{ status: string }> } };
  };
  expect(body.errors).toBeUndefined();
  for (const section of ['profile', 'products', 'contacts', 'billing', 'insights', 'score', 'recommendations'])
    expect(body.data.customer[section]).toBeTruthy();
  expect(body.data.customer.sources.map((s) => s.status)).toEqual(['LIVE', 'LIVE', 'LIVE', 'LIVE']);
  expect(foreign).toEqual([]);
  expect(violations).toEqual([]);
  await page.close();
}, 60_000);
