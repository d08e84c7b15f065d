/**
 * The SOAP transport (`gateway/backends/soap-client.ts`): node-soap's client over undici keeps every guarantee billing's
 * axios transport gave. The real billing mock answers; a small HTTP front in this file relays to it and can turn
 * into a redirect, a slow answer or an endless one, and counts the connections and headers it sees.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { BadResponseError, ResponseTooLargeError } from '../gateway/backends/adapter';
import { soapClient, SoapFaultError, type SoapClient } from '../gateway/backends/soap-client';
import { startBillingMock, BILLING_PATH } from '../mocks/billing';
import type { MockServer } from '../mocks/server';
import { waitFor } from './support/wait';

type Mode = 'relay' | 'redirect' | 'slow' | 'endless' | 'garbage';

let billing: MockServer;
let front: http.Server;
let frontUrl: string;
let mode: Mode = 'relay';
let connections = 0;
/** Responses whose client hung up before they were written. */
let hungUp = 0;
let requests: { method?: string; url?: string; requestId?: string; port?: number }[] = [];

beforeAll(async () => {
  billing = await startBillingMock();
  front = http.createServer((req, res) => {
    requests.push({
      method: req.method,
      url: req.url,
      requestId: req.headers['x-request-id'] as string | undefined,
      port: req.socket.remotePort,
    });
    res.on('close', () => {
      if (!res.writableFinished) hungUp++;
    });
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      if (mode === 'redirect' && req.method === 'POST') {
        res.writeHead(302, { location: `${billing.url}${BILLING_PATH}` }).end();
        return;
      }
      if (mode === 'endless' && req.method === 'POST') {
        res.writeHead(200, { 'content-type': 'text/xml' }); // chunked, no content-length: only counting can stop it
        const more = (): void =>
          void (res.write('<a>'.padEnd(64 * 1024, ' ')) ? setImmediate(more) : res.once('drain', more));
        res.on('close', () => res.removeAllListeners('drain'));
        more();
        return;
      }
      if (mode === 'garbage' && req.method === 'POST') {
        res
          .writeHead(200, { 'content-type': 'text/xml' })
          .end('<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><Get');
        return;
      }
      const relay = async (): Promise<void> => {
        if (mode === 'slow') await new Promise((r) => setTimeout(r, 3_000));
        const headers: Record<string, string> = {};
        for (const name of ['content-type', 'soapaction'])
          if (req.headers[name]) headers[name] = String(req.headers[name]);
        const answer = await fetch(`${billing.url}${req.url}`, {
          method: req.method,
          headers,
          body: req.method === 'POST' ? Buffer.concat(chunks) : undefined,
        });
        const body = Buffer.from(await answer.arrayBuffer());
        if (!res.destroyed)
          res.writeHead(answer.status, { 'content-type': answer.headers.get('content-type') ?? 'text/xml' }).end(body);
      };
      relay().catch(() => res.destroy());
    });
  });
  front.on('connection', () => connections++);
  await new Promise<void>((r) => front.listen(0, '127.0.0.1', r));
  frontUrl = `http://127.0.0.1:${(front.address() as AddressInfo).port}`;
});
afterAll(async () => {
  front.closeAllConnections();
  await new Promise((r) => front.close(r));
  await billing.close();
});
beforeEach(() => {
  mode = 'relay';
  connections = 0;
  hungUp = 0;
  requests = [];
});

const ctx = (
  requestId = 'req-1',
  signal: AbortSignal = AbortSignal.timeout(5_000),
  maxResponseBytes = 1024 * 1024,
) => ({ signal, requestId, maxResponseBytes });
const billingCalls = async (): Promise<number> =>
  ((await (await fetch(`${billing.url}/__control`)).json()) as { requests: { total: number } }).requests.total;
const clients: SoapClient[] = [];
const client = (maxResponseBytes = 1024 * 1024): SoapClient => {
  const made = soapClient({ endpoint: `${frontUrl}${BILLING_PATH}`, maxResponseBytes, timeoutMs: 2_000 });
  clients.push(made);
  return made;
};
afterEach(async () => void (await Promise.all(clients.splice(0).map((c) => c.close()))));

it('fetches the WSDL on the first call, not when made, then calls over one kept-alive connection with the request id', async () => {
  const billingClient = client();
  expect(requests).toEqual([]);
  const first = (await billingClient.call('GetAccountSummary', { customerId: 'C00000001' }, ctx('rid-1'))) as {
    account: { accountId: string };
  };
  expect(first.account.accountId).toEqual(expect.any(String));
  for (const i of [2, 3, 5, 6])
    await billingClient.call('GetAccountSummary', { customerId: `C0000000${i}` }, ctx(`rid-${i}`));
  expect(requests.map((r) => r.method)).toEqual(['GET', 'POST', 'POST', 'POST', 'POST', 'POST']);
  expect(requests[0]?.url).toBe(`${BILLING_PATH}?wsdl`);
  expect(requests.slice(1).map((r) => r.requestId)).toEqual(['rid-1', 'rid-2', 'rid-3', 'rid-5', 'rid-6']);
  // Kept alive: six exchanges one after the other over at most two connections (undici may open a second while the
  // first is finishing its previous answer); without keep-alive each would be a connection of its own.
  expect(connections).toBeLessThanOrEqual(2);
  expect(new Set(requests.map((r) => r.port)).size).toBe(connections);
});

it('a SOAP Fault rejects with SoapFaultError carrying the detail the adapter reads', async () => {
  const err = await client()
    .call('GetAccountSummary', { customerId: 'C99999998' }, ctx())
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(SoapFaultError);
  expect((err as SoapFaultError).fault).toMatchObject({
    faultstring: 'Account not found',
    detail: { BillingFault: { code: 'ACCOUNT_NOT_FOUND' } },
  });
});

it('an answer past the byte cap is refused while it is read (ResponseTooLargeError), even without a content-length', async () => {
  const billingClient = client(256 * 1024);
  await billingClient.call('GetAccountSummary', { customerId: 'C00000001' }, ctx());
  mode = 'endless';
  const err = await billingClient
    .call('GetAccountSummary', { customerId: 'C00000002' }, ctx('big', AbortSignal.timeout(5_000), 256 * 1024))
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(ResponseTooLargeError);
  expect((err as ResponseTooLargeError).detail).toBe('too_large');
});

it('an envelope node-soap cannot read is a BadResponseError unreadable', async () => {
  const billingClient = client();
  await billingClient.call('GetAccountSummary', { customerId: 'C00000001' }, ctx());
  mode = 'garbage';
  const err = await billingClient
    .call('GetAccountSummary', { customerId: 'C00000002' }, ctx())
    .catch((e: unknown) => e);
  expect(err).toBeInstanceOf(BadResponseError);
  expect((err as BadResponseError).detail).toBe('unreadable');
});

it("the call's signal aborts it: a slow answer does not hold the caller", async () => {
  const billingClient = client();
  await billingClient.call('GetAccountSummary', { customerId: 'C00000001' }, ctx());
  mode = 'slow';
  const started = performance.now();
  const err = await billingClient
    .call('GetAccountSummary', { customerId: 'C00000002' }, ctx('slow', AbortSignal.timeout(200)))
    .catch((e: unknown) => e);
  expect((err as Error).name).toMatch(/Abort|Timeout/); // the signal's reason (a DOMException of another realm under jest)
  expect(performance.now() - started).toBeLessThan(1_500);
});

it('a redirect is not followed', async () => {
  const billingClient = client();
  await billingClient.call('GetAccountSummary', { customerId: 'C00000001' }, ctx());
  mode = 'redirect';
  const callsBefore = await billingCalls();
  const err = await billingClient
    .call('GetAccountSummary', { customerId: 'C00000002' }, ctx())
    .catch((e: unknown) => e);
  expect(err).toMatchObject({ code: 'EHTTPSTATUS', status: 302 });
  expect(await billingCalls()).toBe(callsBefore);
});

it('a WSDL fetch that failed is tried again on the next call', async () => {
  const billingClient = client();
  mode = 'slow'; // the WSDL answers in 3 s: past its own 2 s deadline; the call's signal gives up at 300 ms
  const started = performance.now();
  const err = await billingClient
    .call('GetAccountSummary', { customerId: 'C00000001' }, ctx('w1', AbortSignal.timeout(300)))
    .catch((e: unknown) => e);
  expect((err as Error).name).toMatch(/Abort|Timeout/);
  expect(performance.now() - started).toBeLessThan(1_500); // the call does not wait for the WSDL past its own deadline
  mode = 'relay';
  // The WSDL fetch fails at its deadline: the server sees the client hang up.
  await waitFor(() => hungUp > 0, { what: 'the WSDL fetch abandoned' });
  const ok = (await billingClient.call('GetAccountSummary', { customerId: 'C00000001' }, ctx('w2'))) as {
    account: { accountId: string };
  };
  expect(ok.account.accountId).toEqual(expect.any(String));
  expect(requests.filter((r) => r.method === 'GET')).toHaveLength(2);
});
