/**
 * The front-desk page at `/desk` (web/desk/): static files served from the repository, no build step, with a strict
 * Content-Security-Policy: scripts, styles and calls only to this gateway, no inline code, no frames.
 */
import path from 'node:path';
import express, { type Router } from 'express';

const DESK_DIR = path.join(__dirname, '..', 'web', 'desk');

export const DESK_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";

export function deskRouter(): Router {
  const router = express.Router();
  router.use((_req, res, next) => {
    res.setHeader('content-security-policy', DESK_CSP);
    res.setHeader('x-content-type-options', 'nosniff');
    res.setHeader('referrer-policy', 'no-referrer');
    res.setHeader('x-frame-options', 'DENY');
    next();
  });
  // /desk without the slash would resolve the page's relative URLs one level up; the page uses absolute ones.
  router.get('/', (_req, res) => res.sendFile(path.join(DESK_DIR, 'index.html'), { headers: { 'cache-control': 'no-cache' } }));
  router.use(express.static(DESK_DIR, { index: false, maxAge: '1h', fallthrough: true }));
  return router;
}
