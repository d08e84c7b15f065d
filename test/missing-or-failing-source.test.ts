/**
 * A backend that does not know the customer, or fails, nulls only its own section: the rest of the view is returned
 * with an error that names the source. A customer unknown to the CRM (the system of record) is null.
 */
import { SAMPLE_CUSTOMERS } from '../mocks';
import { FULL_VIEW, NO_CACHE, startHarness, type Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  // No cache here: these are the answers a backend's failure gives when nothing is cached (see stale-if-error).
  h = await startHarness({ policies: { ...NO_CACHE, scoring: { ...NO_CACHE.scoring, timeoutMs: 300 } } });
});
afterAll(() => h.close());
beforeEach(() => h.mocks.resetAll());

const errorCodes = (body: { errors?: Array<{ path?: unknown[]; extensions: { code: string; source?: string } }> }) =>
  (body.errors ?? []).map((e) => ({ path: e.path, code: e.extensions.code, source: e.extensions.source }));

it('an unknown customer is null with a NOT_FOUND error', async () => {
  const { status, body } = await h.gql(FULL_VIEW, { id: 'C99999999' });
  expect(status).toBe(200);
  expect(body.data.customer).toBeNull();
  expect(errorCodes(body)).toEqual([{ path: ['customer'], code: 'NOT_FOUND', source: 'crm' }]);
});

it('for an unknown customer, the provenance still reports the sources that were called', async () => {
  h.mocks.billing.faults.set({ latencyMs: 100 });
  const { body } = await h.gql('{ customer(id: "C99999998") { profile { name } billing { balance } } }');
  expect(body.data.customer).toBeNull();
  const billing = body.extensions.sources[0].sources.find((s: { source: string }) => s.source === 'billing');
  expect(billing).toMatchObject({ status: 'LIVE', found: false });
});

it('an unknown mobile number is null with a NOT_FOUND error', async () => {
  const { body } = await h.gql('{ customerByMsisdn(msisdn: "13000000000") { id } }');
  expect(body.data.customerByMsisdn).toBeNull();
  expect(errorCodes(body)).toEqual([{ path: ['customerByMsisdn'], code: 'NOT_FOUND', source: 'crm' }]);
});

it('a customer not yet in the nightly batch gets every section but insights, and an error naming the warehouse', async () => {
  const { body } = await h.gql(FULL_VIEW, { id: SAMPLE_CUSTOMERS.newNotInWarehouse });
  const c = body.data.customer;
  expect(c.insights).toBeNull();
  expect(c.profile.name).toEqual(expect.any(String));
  expect(c.billing.accountId).toEqual(expect.any(String));
  expect(c.score.creditScore).toEqual(expect.any(Number));
  expect(errorCodes(body)).toEqual([{ path: ['customer', 'insights'], code: 'NOT_FOUND', source: 'warehouse' }]);
  expect(c.sources.find((s: { source: string }) => s.source === 'warehouse')).toMatchObject({
    status: 'LIVE',
    found: false,
  });
});

it('a customer without a billing account gets every section but billing, and an error naming billing', async () => {
  const { body } = await h.gql(FULL_VIEW, { id: SAMPLE_CUSTOMERS.noBillingAccount });
  expect(body.data.customer.billing).toBeNull();
  expect(body.data.customer.profile).not.toBeNull();
  expect(errorCodes(body)).toEqual([{ path: ['customer', 'billing'], code: 'NOT_FOUND', source: 'billing' }]);
});

it.each([
  ['answers 503', { down: '503' as const }, 'error', undefined],
  ['drops connections', { down: 'reset' as const }, 'error', undefined],
  ['answers unparsable JSON', { malformedRate: 1 }, 'bad_response', 'unreadable'],
  ['answers JSON of the wrong shape', { wrongShape: true }, 'bad_response', 'wrong_shape'],
  ['is slower than its timeout', { latencyMs: 2000 }, 'timeout', undefined],
])('a backend that %s nulls only its own sections, with SOURCE_UNAVAILABLE', async (_what, faults, reason, detail) => {
  h.mocks.scoring.faults.set(faults);
  const started = performance.now();
  const { status, body } = await h.gql(FULL_VIEW, { id: SAMPLE_CUSTOMERS.ordinary });
  expect(performance.now() - started).toBeLessThan(1500);
  expect(status).toBe(200);
  const c = body.data.customer;
  expect(c.score).toBeNull();
  expect(c.recommendations).toBeNull();
  expect(c.profile.name).toEqual(expect.any(String));
  expect(c.billing).not.toBeNull();
  expect(c.insights).not.toBeNull();
  const extensions = { code: 'SOURCE_UNAVAILABLE', source: 'scoring', reason, ...(detail ? { detail } : {}) };
  expect(body.errors.map((e: { extensions: unknown }) => e.extensions)).toEqual([extensions, extensions]);
  expect(c.sources.find((s: { source: string }) => s.source === 'scoring')).toMatchObject({
    status: 'UNAVAILABLE',
    reason,
  });
  expect(JSON.stringify(body)).not.toMatch(/127\.0\.0\.1|ECONN|at .*\.ts/);
});

it.each([
  ['truncated', { malformedRate: 1 }, 'unreadable'],
  // node-soap refuses, while reading, an element its WSDL does not define: the envelope is unreadable to it.
  ['of the wrong shape', { wrongShape: true }, 'unreadable'],
])('a SOAP answer from billing %s is a bad_response that nulls only billing', async (_what, faults, detail) => {
  await h.gql('{ customer(id: "C00000001") { billing { balance } } }'); // the client loads its WSDL while healthy
  h.mocks.billing.faults.set(faults);
  const { body } = await h.gql('{ customer(id: "C00000002") { profile { name } billing { balance } } }');
  expect(body.data.customer.billing).toBeNull();
  expect(body.data.customer.profile.name).toEqual(expect.any(String));
  expect(body.errors[0].extensions).toEqual({
    code: 'SOURCE_UNAVAILABLE',
    source: 'billing',
    reason: 'bad_response',
    detail,
  });
});

it('the CRM down: other sections still answer, the profile is null with SOURCE_UNAVAILABLE', async () => {
  h.mocks.crm.faults.set({ down: '503' });
  const { body } = await h.gql('{ customer(id: "C00000001") { id profile { name } billing { balance } } }');
  expect(body.data.customer.id).toBe('C00000001');
  expect(body.data.customer.profile).toBeNull();
  expect(body.data.customer.billing.balance).toEqual(expect.any(Number));
  expect(body.errors[0].extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'crm' });
});
