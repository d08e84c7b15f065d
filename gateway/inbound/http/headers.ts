/**
 * Security headers for every HTML page the gateway serves (GraphiQL; later the front-desk page): a Content Security
 * Policy that runs only the gateway's own scripts and the page's own inline script (by its hash, not
 * 'unsafe-inline'), loads nothing from elsewhere and cannot be framed; no MIME sniffing; no referrer.
 */
import { createHash } from 'node:crypto';
import type { ServerResponse } from 'node:http';

/** The CSP source of an inline script or style: its SHA-256, as the browser computes it over the element's text. */
const hashOf = (text: string): string => `'sha256-${createHash('sha256').update(text, 'utf8').digest('base64')}'`;

/** Inline <script> bodies of a page (without attributes), for their hashes. */
const inlineScripts = (html: string): string[] =>
  [...html.matchAll(/<script>([\s\S]*?)<\/script>/g)].map((m) => m[1] as string);

/**
 * The headers for `html`. Styles may be inline: GraphiQL's editor sets style attributes as it lays text out, and a
 * style cannot run code.
 */
export function htmlSecurityHeaders(html: string): Record<string, string> {
  const scripts = ["'self'", ...inlineScripts(html).map(hashOf)].join(' ');
  return {
    'content-security-policy': [
      "default-src 'none'",
      `script-src ${scripts}`,
      "style-src 'self' 'unsafe-inline'",
      "img-src 'self' data:",
      "font-src 'self' data:",
      "connect-src 'self'",
      "base-uri 'none'",
      "form-action 'none'",
      "frame-ancestors 'none'",
    ].join('; '),
    'x-content-type-options': 'nosniff',
    'referrer-policy': 'no-referrer',
    // For browsers without CSP frame-ancestors.
    'x-frame-options': 'DENY',
    'cross-origin-opener-policy': 'same-origin',
  };
}

/** Sends an HTML page with its security headers (computed once per page by the caller). */
export function sendHtml(res: ServerResponse, html: string, headers: Record<string, string>): void {
  res
    .writeHead(200, {
      ...headers,
      'content-type': 'text/html; charset=utf-8',
      'content-length': Buffer.byteLength(html),
    })
    .end(html);
}

/**
 * Marks an answer that may carry personal data: no cache in front of the gateway (a CDN, a corporate proxy, the
 * browser) may keep it, since a GET's URL alone would otherwise key an unmasked answer for the next caller; `vary`
 * names the request headers that change the answer (the credentials, the media type), for a cache that ignores
 * no-store. Set before the answer is made, so refusals and errors carry it too.
 */
export function personalAnswer(res: ServerResponse, vary: string): void {
  res.setHeader('cache-control', 'no-store');
  res.setHeader('vary', vary);
}
