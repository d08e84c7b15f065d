/**
 * The CRM mock takes orders as it records contacts: `POST /api/v1/customers/:id/products` with an `Idempotency-Key`
 * places one product and publishes one change event per key, a repeated key answers the first answer again; orders
 * placed are counted in process (`ordersPlaced()`). Real HTTP: the mock and a webhook receiver of the test's own.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { startMocks, type Mocks } from '../mocks';
import type { CrmChangeEvent } from '../mocks/crm';
import { waitFor } from './support/wait';

let mocks: Mocks;
let receiver: http.Server;
const changes: CrmChangeEvent[] = [];
beforeAll(async () => {
  mocks = await startMocks();
  receiver = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      changes.push(JSON.parse(body) as CrmChangeEvent);
      res.writeHead(202).end();
    });
  });
  await new Promise<void>((resolve) => receiver.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(receiver.address() as AddressInfo).port}/events/crm`;
  const subscribed = await fetch(`${mocks.urls.crm}/api/v1/webhooks`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify({ url }),
  });
  expect(subscribed.status).toBe(201);
});
afterAll(async () => {
  receiver.closeAllConnections();
  await Promise.all([mocks.close(), new Promise((resolve) => receiver.close(resolve))]);
});

const order = (id: string, offerCode: string, key?: string) =>
  fetch(`${mocks.urls.crm}/api/v1/customers/${id}/products`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify({ offerCode }),
  });
const ordered = async (id: string) =>
  (
    (await (await fetch(`${mocks.urls.crm}/api/v1/customers/${id}/products`)).json()) as {
      items: Array<{ productId: string; offerCode: string }>;
    }
  ).items.filter((p) => p.productId.includes('-o'));

it('places one product and publishes one change per Idempotency-Key; the key again answers the first answer', async () => {
  const before = mocks.crm.ordersPlaced();
  const first = await order('C00000031', 'DATA-HKMO', 'order-key-1');
  const again = await order('C00000031', 'DATA-HKMO', 'order-key-1');
  expect(first.status).toBe(201);
  expect(again.status).toBe(201);
  expect(again.headers.get('idempotent-replayed')).toBe('true');
  const product = (await first.json()) as { productId: string };
  expect(await again.json()).toEqual(product);
  expect(mocks.crm.ordersPlaced()).toBe(before + 1);
  expect((await ordered('C00000031')).map((p) => p.productId)).toEqual([product.productId]);
  // A later order of another customer, as a marker: its change arrives after any the replay would have published
  // (that one would have gone out before the replay's answer, a whole round trip before the marker was even sent).
  const marker = (await (await order('C00000032', 'VAS-CRBT', 'order-key-marker')).json()) as { productId: string };
  await waitFor(() => changes.some((c) => c.productId === marker.productId), { what: "the marker's change" });
  expect(changes.filter((c) => c.customerId === 'C00000031')).toEqual([
    expect.objectContaining({ type: 'customer.products.changed', productId: product.productId, change: 'ORDERED' }),
  ]);
});

it('keeps the refusals too: an unknown customer 404 and an unknown offer 400, the same for the key again', async () => {
  const before = mocks.crm.ordersPlaced();
  const unknown = await order('C99999999', 'DATA-HKMO', 'order-key-404');
  expect(unknown.status).toBe(404);
  expect(await unknown.json()).toEqual({ code: 'CUSTOMER_NOT_FOUND', message: 'no customer C99999999' });
  const badOffer = await order('C00000033', 'NOT-AN-OFFER', 'order-key-400');
  expect(badOffer.status).toBe(400);
  expect(((await badOffer.json()) as { code: string }).code).toBe('UNKNOWN_OFFER');
  const againBad = await order('C00000033', 'DATA-HKMO', 'order-key-400');
  expect(againBad.status).toBe(400);
  expect(againBad.headers.get('idempotent-replayed')).toBe('true');
  expect(mocks.crm.ordersPlaced()).toBe(before);
});

it('without a key, each order places a product; keys are scoped by customer and not shared with contacts', async () => {
  const before = mocks.crm.ordersPlaced();
  expect((await order('C00000034', 'LD-10')).status).toBe(201);
  expect((await order('C00000034', 'LD-10')).status).toBe(201);
  expect((await order('C00000035', 'LD-10', 'shared-key')).status).toBe(201);
  expect((await order('C00000036', 'LD-10', 'shared-key')).status).toBe(201);
  const contact = await fetch(`${mocks.urls.crm}/api/v1/customers/C00000035/contacts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', 'idempotency-key': 'shared-key' },
    body: JSON.stringify({
      channel: 'SMS_HALL',
      contactTime: '2026-11-24T07:00:00Z',
      contactType: 'CAMPAIGN_OFFER',
      result: 'ACCEPTED',
    }),
  });
  expect(contact.status).toBe(201);
  expect(contact.headers.get('idempotent-replayed')).toBeNull();
  expect(mocks.crm.ordersPlaced()).toBe(before + 4);
  expect(await ordered('C00000034')).toHaveLength(2);
});
