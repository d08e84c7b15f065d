/**
 * The marketing console at `/console` (web/console/): static files served from the repository, no build step, with
 * the desk's headers and strict Content-Security-Policy (scripts, styles and calls only to this gateway, no inline
 * code, no frames). Charts are Apache ECharts, served from its package's own browser build under
 * `/console/vendor/`, so the page works offline: no CDN. ECharts draws on a canvas and needs no `eval`, so the CSP
 * stays as strict as the desk's.
 *
 * The page holds no rights of its own: it calls the marketing API (`/marketing/console/…`, `/marketing/exceptions`,
 * `/marketing/reports/…`) with the person's credential, and shows what those routes allow.
 */
import path from 'node:path';
import express, { type Router } from 'express';
import { htmlSecurityHeaders } from '../http/headers';

const CONSOLE_DIR = path.join(__dirname, '..', '..', '..', 'web', 'console');
/** The package's browser build: one ES module, its dependency (zrender) bundled in. */
const ECHARTS_DIST = path.dirname(require.resolve('echarts/dist/echarts.esm.min.mjs'));
const ECHARTS_FILE = 'echarts.esm.min.mjs';

/** The desk's policy: the page has no inline script and sets no inline style. */
const CONSOLE_CSP =
  "default-src 'none'; script-src 'self'; style-src 'self'; connect-src 'self'; img-src 'self' data:; form-action 'self'; base-uri 'none'; frame-ancestors 'none'";
const HEADERS = { ...htmlSecurityHeaders(''), 'content-security-policy': CONSOLE_CSP };

/**
 * The console's files. The demo's sign-in picker reads `/desk/demo-consumers` (the desk's, when `npm start` gives
 * demo consumers): one list for both pages.
 */
export function consolePage(): Router {
  const router = express.Router();
  router.use((_req, res, next) => {
    for (const [name, value] of Object.entries(HEADERS)) res.setHeader(name, value);
    next();
  });
  router.get('/', (_req, res) =>
    res.sendFile(path.join(CONSOLE_DIR, 'index.html'), { headers: { 'cache-control': 'no-cache' } }),
  );
  // Only the one file the page imports: the rest of the package (sources, maps, extensions) is not served.
  router.get(`/vendor/${ECHARTS_FILE}`, (_req, res) =>
    res.sendFile(path.join(ECHARTS_DIST, ECHARTS_FILE), {
      headers: { 'content-type': 'text/javascript; charset=utf-8', 'cache-control': 'public, max-age=86400' },
    }),
  );
  // Revalidated on every load (ETag, 304 when unchanged): its scripts change with a release and must not outlive it.
  router.use(express.static(CONSOLE_DIR, { index: false, cacheControl: true, maxAge: 0, fallthrough: true }));
  return router;
}
