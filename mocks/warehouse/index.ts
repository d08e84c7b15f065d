/**
 * Mock enterprise data warehouse: REST/JSON, the results of last night's batch in the EDW's own snake_case.
 *
 *   GET  /edw/v1/customer-insights/:id          one record (404 when the customer is not in the batch)
 *   POST /edw/v1/customer-insights:batchGet     { customer_ids: [...] } → { records: [...], missing: [...] }
 *   POST /edw/v1/extractions:count              { where } → { count, batch_date }
 *   POST /edw/v1/extractions:page               { where, page_size?, after? } → { ids, next_after, batch_date }
 *
 * The extractions select customers of the batch by a condition over its columns (audience.ts: the columns, the
 * condition language, keyset pages of ids ascending). `page_size` is 1 to 10,000 (default 1,000); `after` is the
 * previous page's `next_after` (null on the last page). A condition the warehouse cannot evaluate is 400
 * `{ error_code: 'BAD_CONDITION', message, path }`, `path` naming where in the body (`where.all.1.operator`).
 */
import express, { type Request, type Response } from 'express';
import { warehouseRecord } from '../dataset/customers';
import { sendJson, serializedRecords, startMock, type MockOptions, type MockServer } from '../server';
import { audienceBatch, BadCondition, compileCondition, countOf, pageOf } from './audience';

const MAX_BATCH = 100;
const MAX_PAGE = 10_000;
const DEFAULT_PAGE = 1_000;

export function startWarehouseMock(options: MockOptions = {}): Promise<MockServer> {
  const recordJson = serializedRecords(warehouseRecord);
  return startMock('warehouse', options, (app) => {
    app.use(express.json());
    app.get('/edw/v1/customer-insights/:id', (req, res) => {
      const record = recordJson(req.params.id);
      if (!record)
        return void res
          .status(404)
          .json({ error_code: 'NOT_IN_BATCH', message: `customer ${req.params.id} is not in the current batch` });
      sendJson(res, record);
    });
    app.post('/edw/v1/customer-insights\\:batchGet', (req, res) => {
      const ids: unknown = req.body?.customer_ids;
      if (!Array.isArray(ids) || ids.length > MAX_BATCH || !ids.every((id) => typeof id === 'string')) {
        return void res
          .status(400)
          .json({ error_code: 'BAD_BATCH', message: `customer_ids must be an array of at most ${MAX_BATCH} strings` });
      }
      const records = [];
      const missing = [];
      for (const id of ids as string[]) {
        const record = warehouseRecord(id);
        if (record) records.push(record);
        else missing.push(id);
      }
      res.json({ records, missing });
    });
    app.post('/edw/v1/extractions\\:count', async (req, res) => {
      const batch = await audienceBatch();
      const predicate = compiled(req, res, batch);
      if (predicate) res.json({ count: countOf(batch, predicate), batch_date: batch.batchDate });
    });
    app.post('/edw/v1/extractions\\:page', async (req, res) => {
      const body = (req.body ?? {}) as { page_size?: unknown; after?: unknown };
      const size = body.page_size ?? DEFAULT_PAGE;
      if (typeof size !== 'number' || !Number.isInteger(size) || size < 1 || size > MAX_PAGE)
        return void badRequest(res, 'page_size', `page_size must be an integer from 1 to ${MAX_PAGE}`);
      const after = body.after ?? undefined;
      if (after !== undefined && (typeof after !== 'string' || after.length > 64))
        return void badRequest(res, 'after', "after must be a customer id (the previous page's next_after)");
      const batch = await audienceBatch();
      const predicate = compiled(req, res, batch);
      if (!predicate) return;
      const page = pageOf(batch, predicate, size, after);
      res.json({ ids: page.ids, next_after: page.nextAfter, batch_date: batch.batchDate });
    });
  });
}

/** The body's condition compiled, or null once a 400 BAD_CONDITION has been sent. */
function compiled(
  req: Request,
  res: Response,
  batch: Awaited<ReturnType<typeof audienceBatch>>,
): ReturnType<typeof compileCondition> | null {
  const body: unknown = req.body;
  if (body === null || typeof body !== 'object' || !('where' in body)) {
    res.status(400).json({ error_code: 'BAD_CONDITION', message: 'where is required', path: 'where' });
    return null;
  }
  try {
    return compileCondition((body as { where: unknown }).where, batch.columns);
  } catch (err) {
    if (!(err instanceof BadCondition)) throw err;
    res.status(400).json({ error_code: 'BAD_CONDITION', message: err.message, path: err.path });
    return null;
  }
}

function badRequest(res: Response, path: string, message: string): void {
  res.status(400).json({ error_code: 'BAD_REQUEST', message, path });
}
