/**
 * The front-desk page at `/desk` (web/desk/): static files served from the repository, no build step, with a strict
 * Content-Security-Policy: scripts, styles and calls only to this gateway, no inline code, no frames.
 */
import path from 'node:path';
import express, { type Router } from 'express';
import { htmlSecurityHeaders } from '../http/headers';

const DESK_DIR = path.join(__dirname, '..', '..', '..', 'web', 'desk');

/** Stricter than GraphiQL's: the page has no inline script and sets no inline style. */
const DESK_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const HEADERS = { ...htmlSecurityHeaders(''), 'content-security-policy': DESK_CSP };

/** A consumer the demo offers in the page's sign-in picker (development only: its key is public). */
export interface DemoConsumer {
  id: string;
  role: string;
  apiKey: string;
}

/**
 * `demoConsumers` is given only by the `npm start` demo: `/desk/demo-consumers` lists them for the picker. Anywhere
 * else that route does not exist and the agent types a credential.
 */
export function deskRouter(demoConsumers: readonly DemoConsumer[] = []): Router {
  const router = express.Router();
  router.use((_req, res, next) => {
    for (const [name, value] of Object.entries(HEADERS)) res.setHeader(name, value);
    next();
  });
  // /desk without the slash would resolve the page's relative URLs one level up; the page uses absolute ones.
  if (demoConsumers.length > 0) {
    const list = demoConsumers.map((c) => ({ name: c.id, role: c.role, key: c.apiKey }));
    router.get('/demo-consumers', (_req, res) => void res.json(list));
  }
  router.get('/', (_req, res) =>
    res.sendFile(path.join(DESK_DIR, 'index.html'), { headers: { 'cache-control': 'no-cache' } }),
  );
  // Revalidated on every load (ETag, 304 when unchanged): the page's script and its operations (operations.json, the
  // trusted documents) change together with a release, and a browser holding yesterday's query text would be
  // refused where only registered documents are accepted.
  router.use(express.static(DESK_DIR, { index: false, cacheControl: true, maxAge: 0, fallthrough: true }));
  return router;
}
