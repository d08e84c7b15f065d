/**
 * The mock production systems: a deterministic data set of 100,000 customers, lookups by id and MSISDN, and fault
 * injection changed at runtime through each mock's control endpoint.
 */
import { CUSTOMER_COUNT, customerId, customerIdByMsisdn, msisdnOf } from '../mocks/dataset/identity';
import { crmProfile, warehouseRecord, billingAccount } from '../mocks/dataset/customers';
import { startMocks, type Mocks } from '../mocks';
import { json } from './support/harness';

let mocks: Mocks;
beforeAll(async () => {
  mocks = await startMocks();
});
afterAll(() => mocks.close());
beforeEach(() => mocks.resetAll());

const control = (url: string, method = 'GET', body?: unknown) =>
  fetch(`${url}/__control${method === 'GET' ? '' : method === 'POST' ? '/reset' : '/faults'}`, {
    method,
    headers: { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });

describe('the data set', () => {
  it('has at least 100,000 customers, each with a unique MSISDN that maps back to it', () => {
    expect(CUSTOMER_COUNT).toBeGreaterThanOrEqual(100_000);
    const seen = new Set<string>();
    // Checked in plain code and asserted once: 100,000 calls of expect() cost seconds, one costs nothing.
    const wrong: string[] = [];
    for (let n = 1; n <= CUSTOMER_COUNT; n++) {
      const msisdn = msisdnOf(n);
      if (customerIdByMsisdn(msisdn) !== customerId(n)) wrong.push(`${msisdn} → ${customerIdByMsisdn(msisdn)}`);
      seen.add(msisdn);
    }
    expect(wrong).toEqual([]);
    expect(seen.size).toBe(CUSTOMER_COUNT);
    expect([...seen].every((m) => /^1[358]\d{9}$/.test(m))).toBe(true);
  });

  it('is a pure function of the id', () => {
    expect(crmProfile('C00054321')).toEqual(crmProfile('C00054321'));
    expect(billingAccount('C00054321')).toEqual(billingAccount('C00054321'));
    // Pinned values: the same on every run and every machine, not only twice in one process.
    expect(crmProfile('C00000001')).toMatchObject({ name: '张伟', msisdn: '13913620739' });
    expect(crmProfile(customerId(CUSTOMER_COUNT + 1))).toBeNull();
    expect(customerIdByMsisdn('13800000000')).toBeNull();
  });

  it('every warehouse record carries its batch date', () => {
    expect(warehouseRecord('C00000001')?.batch_date).toMatch(/^\d{4}-\d{2}-\d{2}$/);
  });
});

describe('fault injection', () => {
  it('counts requests per route, and reset zeroes them', async () => {
    await fetch(`${mocks.crm.url}/api/v1/customers/C00000001`);
    await fetch(`${mocks.crm.url}/api/v1/customers/C00000002/products`);
    const state = await json(await control(mocks.crm.url));
    expect(state.requests).toMatchObject({
      total: 2,
      byRoute: { 'GET /api/v1/customers/:id': 1, 'GET /api/v1/customers/:id/products': 1 },
    });
    await control(mocks.crm.url, 'POST');
    expect((await json(await control(mocks.crm.url))).requests.total).toBe(0);
  });

  it('adds latency with jitter', async () => {
    await control(mocks.scoring.url, 'PATCH', { latencyMs: 80, jitterMs: 20 });
    const started = performance.now();
    await fetch(`${mocks.scoring.url}/scoring/v2/evaluations/C00000001`);
    const elapsed = performance.now() - started;
    expect(elapsed).toBeGreaterThanOrEqual(79);
  });

  it('fails a share of requests with the configured status', async () => {
    await control(mocks.warehouse.url, 'PATCH', { errorRate: 1, errorStatus: 502 });
    expect((await fetch(`${mocks.warehouse.url}/edw/v1/customer-insights/C00000001`)).status).toBe(502);
  });

  it('goes down with 503, or by dropping connections, and comes back', async () => {
    await control(mocks.crm.url, 'PATCH', { down: '503' });
    expect((await fetch(`${mocks.crm.url}/api/v1/customers/C00000001`)).status).toBe(503);
    await control(mocks.crm.url, 'PATCH', { down: 'reset' });
    await expect(fetch(`${mocks.crm.url}/api/v1/customers/C00000001`)).rejects.toThrow();
    await control(mocks.crm.url, 'DELETE');
    expect((await fetch(`${mocks.crm.url}/api/v1/customers/C00000001`)).status).toBe(200);
  });

  it('refuses connections while stopped', async () => {
    await mocks.scoring.stop();
    await expect(fetch(`${mocks.scoring.url}/scoring/v2/evaluations/C00000001`)).rejects.toThrow();
    await mocks.scoring.start();
    expect((await fetch(`${mocks.scoring.url}/scoring/v2/evaluations/C00000001`)).status).toBe(200);
  });

  it('answers malformed bodies: truncated JSON, broken SOAP', async () => {
    await control(mocks.crm.url, 'PATCH', { malformedRate: 1 });
    const text = await (await fetch(`${mocks.crm.url}/api/v1/customers/C00000001`)).text();
    expect(() => JSON.parse(text)).toThrow();
  });

  it('trickles the body slowly', async () => {
    await control(mocks.crm.url, 'PATCH', { trickleBytes: 100, trickleIntervalMs: 20 });
    const started = performance.now();
    const body = await json(await fetch(`${mocks.crm.url}/api/v1/customers/C00000001`));
    expect(body.customerId).toBe('C00000001');
    expect(performance.now() - started).toBeGreaterThan(60);
  });

  it.each([
    [{ latency: 5 }, 'unknown fault "latency"'],
    [{ errorRate: 2 }, 'errorRate must be between 0 and 1'],
    [{ down: true }, 'down must be false, "503" or "reset"'],
    [[], 'body must be a JSON object of faults'],
  ])('rejects an invalid fault %j with 400', async (body, message) => {
    const res = await control(mocks.crm.url, 'PATCH', body);
    expect(res.status).toBe(400);
    expect((await json(res)).error).toContain(message);
  });
});
