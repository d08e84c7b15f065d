/**
 * The mocks' fault injection does what its names say, at the rates it is given: the chaos suite and the
 * reliability tests rely on these exact names (`mocks/faults.ts`).
 */
import * as soap from 'soap';
import { startMocks, type Mocks } from '../mocks';

let mocks: Mocks;
beforeAll(async () => {
  mocks = await startMocks();
});
afterAll(() => mocks.close());
beforeEach(() => mocks.resetAll());

const evaluation = (id = 'C00000001') => fetch(`${mocks.scoring.url}/scoring/v2/evaluations/${id}`);

it('malformedRate is the share of malformed answers (rolled once, not twice)', async () => {
  mocks.scoring.faults.set({ malformedRate: 0.5 });
  let malformed = 0;
  const n = 400;
  for (let i = 0; i < n; i++) {
    const text = await (await evaluation()).text();
    try {
      JSON.parse(text);
    } catch {
      malformed++;
    }
  }
  // Rolled twice the share was 0.25; at 0.5 over 400 draws, 0.4-0.6 holds with overwhelming probability.
  expect(malformed / n).toBeGreaterThan(0.4);
  expect(malformed / n).toBeLessThan(0.6);
});

it('failNext fails exactly the next N requests, even when they are slow and concurrent', async () => {
  mocks.scoring.faults.set({ failNext: 2, latencyMs: 100 });
  const statuses = await Promise.all(Array.from({ length: 6 }, () => evaluation().then((r) => r.status)));
  expect(statuses.filter((s) => s === 500)).toHaveLength(2);
  expect(statuses.filter((s) => s === 200)).toHaveLength(4);
  expect(mocks.scoring.faults.faults.failNext).toBe(0);
});

it('oversizeBytes answers a valid JSON object padded to about that size, streamed', async () => {
  mocks.scoring.faults.set({ oversizeBytes: 3_000_000 });
  const res = await evaluation();
  expect(res.headers.get('content-length')).toBeNull(); // chunked: the size is not announced
  const text = await res.text();
  expect(Buffer.byteLength(text)).toBeGreaterThanOrEqual(3_000_000);
  expect(Buffer.byteLength(text)).toBeLessThan(3_100_000);
  const body = JSON.parse(text);
  expect(body.customerId).toBe('C00000001');
  expect(body.padding).toEqual(expect.any(String));
});

it('oversizeBytes pads a SOAP envelope and the SOAP client still reads it', async () => {
  const client = await soap.createClientAsync(`${mocks.billing.url}/billing/AccountService?wsdl`, {
    endpoint: `${mocks.billing.url}/billing/AccountService`,
  });
  mocks.billing.faults.set({ oversizeBytes: 2_000_000 });
  const [result, raw] = await (
    client as unknown as {
      GetAccountSummaryAsync: (a: object) => Promise<[{ account: { accountId: string } }, string]>;
    }
  ).GetAccountSummaryAsync({ customerId: 'C00000001' });
  expect(Buffer.byteLength(raw)).toBeGreaterThanOrEqual(2_000_000);
  expect(result.account.accountId).toEqual(expect.any(String));
});

it('wrongShape answers 200 with a well-formed body of the wrong shape', async () => {
  mocks.scoring.faults.set({ wrongShape: true });
  const res = await evaluation();
  expect(res.status).toBe(200);
  expect(await res.json()).toEqual({ unexpected: 'x' });

  mocks.billing.faults.set({ wrongShape: true });
  const soapRes = await fetch(`${mocks.billing.url}/billing/AccountService`, {
    method: 'POST',
    headers: { 'content-type': 'text/xml' },
    body: '<x/>',
  });
  expect(soapRes.status).toBe(200);
  const xml = await soapRes.text();
  expect(xml).toContain('<soap:Envelope');
  expect(xml).toContain('Unexpected');
});

it('the new faults are set through the same control endpoint and validated', async () => {
  const patch = (body: unknown) =>
    fetch(`${mocks.crm.url}/__control/faults`, {
      method: 'PATCH',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
    });
  expect(
    ((await (await patch({ oversizeBytes: 1000, wrongShape: true })).json()) as { faults: unknown }).faults,
  ).toMatchObject({ oversizeBytes: 1000, wrongShape: true });
  expect((await patch({ wrongShape: 'yes' })).status).toBe(400);
  expect((await patch({ oversizeBytes: -1 })).status).toBe(400);
});
