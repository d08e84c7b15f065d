/**
 * `GET /labels`: the label catalog (gateway/labels) as JSON, for pages and consoles that import no gateway code.
 *
 * A plain GET rather than a GraphQL query: the catalog is the same for every consumer and carries no personal data,
 * so it is served like the desk's own files (no credential, no audit, no rate cost) and cached by the browser and
 * any cache in front: `max-age` for an hour, then revalidated by its strong ETag (304 while it is unchanged). A
 * GraphQL query is a POST through the pipeline, answered `no-store` like every view.
 */
import type { Request, Response } from 'express';
import { SERVED } from '../../labels';

export const LABELS_PATH = '/labels';

export function labelsRoute(req: Request, res: Response): void {
  res.setHeader('etag', SERVED.etag);
  res.setHeader('cache-control', 'public, max-age=3600');
  res.setHeader('x-content-type-options', 'nosniff');
  const ifNoneMatch = req.headers['if-none-match'];
  if (ifNoneMatch && ifNoneMatch.split(',').some((tag) => tag.trim().replace(/^W\//, '') === SERVED.etag)) {
    res.status(304).end();
    return;
  }
  res.type('application/json; charset=utf-8').send(SERVED.json);
}
