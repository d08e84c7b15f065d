/**
 * The audit plugin records, after masking, one record per customer an answer carried personal data about, with the
 * personal fields actually given; it holds the answer until the record is committed, and withholds it
 * (AUDIT_UNAVAILABLE) when the record cannot be. Real envelop, real sink, real PGlite.
 */
import type { IncomingMessage } from 'node:http';
import type { Plugin } from '@envelop/core';
import { eq } from 'drizzle-orm';
import { Registry } from 'prom-client';
import { AuditSink } from '../gateway/audit/sink';
import { useAudit } from '../gateway/pipeline/audit';
import type { RequestContext } from '../gateway/view/request-context';
import { auditMetrics } from '../gateway/metrics';
import { tables, type Store } from '../gateway/store';
import { auditedRunner } from './support/audit-envelop';
import { testStores } from './support/store';
import { SETUP_TIMEOUT_MS } from './support/patient';

const stores = testStores();
let store: Store;
let sink: AuditSink;
let run: ReturnType<typeof auditedRunner>;
const desk = { id: 'desk-7', role: 'front-desk' };

beforeAll(async () => {
  store = await stores.open('pglite');
  sink = new AuditSink(store, {
    maxQueue: 1000,
    maxBatch: 100,
    commitTimeoutMs: 30_000,
    metrics: auditMetrics(new Registry()),
  });
  run = auditedRunner(sink);
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await sink.close();
  await stores.cleanup();
});

const recordsOf = (requestId: string) =>
  store.db.select().from(tables.auditLog).where(eq(tables.auditLog.requestId, requestId));

it('records who read which personal fields of which customer, committed before the answer is returned', async () => {
  const result = await run('{ customer(id: "C1") { id profile { name idCardNumber } sources } }', {
    requestId: 'p-1',
    consumer: desk,
  });
  expect(result.errors).toBeUndefined();
  expect(result.data).toEqual({
    customer: { id: 'C1', profile: { name: 'Name of C1', idCardNumber: '110***********1234' }, sources: ['crm'] },
  });
  // No flush: the answer came back, so its record is already committed.
  const [rec, ...more] = await recordsOf('p-1');
  expect(more).toHaveLength(0);
  expect(rec).toMatchObject({
    requestId: 'p-1',
    facade: 'graphql',
    consumerId: 'desk-7',
    role: 'front-desk',
    customerId: 'C1',
    fields: ['profile.idCardNumber', 'profile.name'],
  });
  expect(Date.now() - (rec?.at.getTime() ?? 0)).toBeLessThan(60_000);
});

it('records the fields after masking: a field denied (null) to the role is not listed', async () => {
  const result = await run('{ customer(id: "C2") { profile { name idCardNumber } } }', {
    requestId: 'p-2',
    consumer: { id: 'cc-1', role: 'call-center' },
    facade: 'soap',
  });
  expect(result.data).toEqual({ customer: { profile: { name: 'Name of C2', idCardNumber: null } } });
  expect(await recordsOf('p-2')).toEqual([
    expect.objectContaining({ facade: 'soap', role: 'call-center', customerId: 'C2', fields: ['profile.name'] }),
  ]);
});

it('names fields by schema name through aliases, fragments and lists', async () => {
  const query = `query Q { c: customer(id: "C3") { ...F ... on Customer { contacts { at } } } }
    fragment F on Customer { p: profile { n: name } contacts { channel } }`;
  await run(query, { requestId: 'p-3', consumer: desk });
  expect((await recordsOf('p-3')).map((r) => r.fields)).toEqual([['contacts.at', 'contacts.channel', 'profile.name']]);
});

it('records one row per customer when an answer covers several', async () => {
  await run('{ a: customer(id: "C4") { profile { name } } b: customer(id: "C5") { profile { name } } }', {
    requestId: 'p-4',
    consumer: desk,
  });
  expect((await recordsOf('p-4')).map((r) => r.customerId).sort()).toEqual(['C4', 'C5']);
});

it('records nothing for an answer with no personal data: ids and provenance only, an unknown customer, no customer', async () => {
  await run('{ customer(id: "C6") { id sources } }', { requestId: 'p-5', consumer: desk });
  await run('{ customer(id: "X1") { profile { name } } }', { requestId: 'p-6', consumer: desk });
  await run('{ ping }', { requestId: 'p-7', consumer: desk });
  for (const id of ['p-5', 'p-6', 'p-7']) expect(await recordsOf(id)).toHaveLength(0);
});

it('withholds the answer with AUDIT_UNAVAILABLE when its record cannot be committed', async () => {
  const closed = new AuditSink(store, {
    maxQueue: 10,
    maxBatch: 10,
    commitTimeoutMs: 30_000,
    metrics: auditMetrics(new Registry()),
  });
  await closed.close();
  const result = await auditedRunner(closed)('{ customer(id: "C7") { profile { name } } }', {
    requestId: 'p-8',
    consumer: desk,
  });
  expect(result.data).toBeUndefined();
  expect(result.errors?.map((e) => e.extensions?.code)).toEqual(['AUDIT_UNAVAILABLE']);
  expect(JSON.stringify(result)).not.toContain('Name of C7');
  // A read with no personal data needs no record and is answered all the same.
  expect((await auditedRunner(closed)('{ ping }', { requestId: 'p-9' })).data).toEqual({ ping: 'pong' });
});

/** The fields of the pipeline's context (gateway/pipeline/context.ts) the audit plugin reads. */
interface ContractContext {
  facade: 'graphql' | 'soap';
  requestId: string;
  ucv: RequestContext;
  req: IncomingMessage;
  consumer?: { id: string; name: string; role: string; via: 'api-key' | 'jwt' | 'basic' | 'ws-security' };
  cost?: number;
}

it("fits the pipeline's one list of Plugin<GatewayContext> (checked by the type-checker)", () => {
  const plugins: Array<Plugin<ContractContext>> = [useAudit(sink, { notPersonalData: ['id'] })];
  expect(plugins[0]?.onExecute).toEqual(expect.any(Function));
});

it('counts a section no list names as personal data: only the fields declared not personal are left out', async () => {
  const onlyIdExempt = auditedRunner(sink, ['id']);
  await onlyIdExempt('{ customer(id: "C8") { id sources } }', { requestId: 'p-10', consumer: desk });
  expect((await recordsOf('p-10')).map((r) => r.fields)).toEqual([['sources']]);
});
