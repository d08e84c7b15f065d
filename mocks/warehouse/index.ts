/**
 * Mock enterprise data warehouse: REST/JSON, the results of last night's batch in the EDW's own snake_case.
 *
 *   GET  /edw/v1/customer-insights/:id          one record (404 when the customer is not in the batch)
 *   POST /edw/v1/customer-insights:batchGet     { customer_ids: [...] } → { records: [...], missing: [...] }
 */
import express from 'express';
import { warehouseRecord } from '../dataset/customers';
import { sendJson, serializedRecords, startMock, type MockOptions, type MockServer } from '../server';

const MAX_BATCH = 100;

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
  });
}
