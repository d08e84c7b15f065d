/**
 * The front-desk page at `/desk` (web/desk/): static files served from the repository, no build step, with a strict
 * Content-Security-Policy: scripts, styles and calls only to this gateway, no inline code, no frames.
 */
import path from 'node:path';
import express, { type Router } from 'express';
import { htmlSecurityHeaders } from './http/headers';

const DESK_DIR = path.join(__dirname, '..', 'web', 'desk');

/** Stricter than GraphiQL's: the page has no inline script and sets no inline style. */
const DESK_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const HEADERS = { ...htmlSecurityHeaders(''), 'content-security-policy': DESK_CSP };

export function deskRouter(): Router {
  const router = express.Router();
  router.use((_req, res, next) => {
    for (const [name, value] of Object.entries(HEADERS)) res.setHeader(name, value);
    next();
  });
  // /desk without the slash would resolve the page's relative URLs one level up; the page uses absolute ones.
  router.get('/', (_req, res) => res.sendFile(path.join(DESK_DIR, 'index.html'), { headers: { 'cache-control': 'no-cache' } }));
  router.use(express.static(DESK_DIR, { index: false, maxAge: '1h', fallthrough: true }));
  return router;
}
