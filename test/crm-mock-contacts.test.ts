/**
 * The CRM mock records contacts: `POST /api/v1/customers/:id/contacts` stores one in memory (it shows in the GET
 * afterwards), a repeated `Idempotency-Key` answers the first answer again and never stores twice, and the fault
 * injection applies to it as to every route.
 */
import { startMocks, type Mocks } from '../mocks';

let mocks: Mocks;
beforeAll(async () => {
  mocks = await startMocks();
});
afterAll(() => mocks.close());
beforeEach(() => mocks.resetAll());

const contact = {
  channel: 'CALL_CENTER',
  contactTime: '2026-11-24T07:00:00Z',
  contactType: 'CAMPAIGN_OFFER',
  result: 'ACCEPTED',
  agentId: 'agent-7',
  offerCode: 'DATA-10G',
  response: 'ACCEPTED',
};
const post = (id: string, body: unknown, key?: string) =>
  fetch(`${mocks.urls.crm}/api/v1/customers/${id}/contacts`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...(key ? { 'idempotency-key': key } : {}) },
    body: JSON.stringify(body),
  });
const contactsOf = async (id: string) =>
  (
    (await (await fetch(`${mocks.urls.crm}/api/v1/customers/${id}/contacts`)).json()) as {
      items: Array<{ contactId: string }>;
    }
  ).items;

it('stores a posted contact, which the GET of contacts then lists first', async () => {
  const before = await contactsOf('C00000011');
  const res = await post('C00000011', contact, 'k-1');
  expect(res.status).toBe(201);
  const stored = (await res.json()) as { contactId: string };
  expect(stored).toMatchObject({ ...contact, contactId: expect.any(String) });
  const after = await contactsOf('C00000011');
  expect(after).toHaveLength(before.length + 1);
  expect(after[0]?.contactId).toBe(stored.contactId);
});

it('answers a repeated Idempotency-Key with the first answer and stores once', async () => {
  const first = await post('C00000012', contact, 'same-key');
  const again = await post('C00000012', { ...contact, result: 'DECLINED' }, 'same-key');
  expect(again.status).toBe(first.status);
  expect(again.headers.get('idempotent-replayed')).toBe('true');
  expect(await again.json()).toEqual(await first.json());
  const recorded = (await contactsOf('C00000012')).filter((c) => c.contactId.includes('-r'));
  expect(recorded).toHaveLength(1);
});

it('refuses an unknown customer (404) and a bad channel (400), storing nothing', async () => {
  expect((await post('C99999999', contact, 'k-404')).status).toBe(404);
  const bad = await post('C00000013', { ...contact, channel: 'PIGEON' }, 'k-400');
  expect(bad.status).toBe(400);
  expect((await contactsOf('C00000013')).some((c) => c.contactId.includes('-r'))).toBe(false);
});

it('is subject to fault injection, a failed attempt is not remembered, and the POST is counted', async () => {
  mocks.crm.faults.set({ down: '503' });
  expect((await post('C00000014', contact, 'k-down')).status).toBe(503);
  mocks.crm.faults.set({ down: false });
  const res = await post('C00000014', contact, 'k-down');
  expect(res.status).toBe(201);
  expect(res.headers.get('idempotent-replayed')).toBeNull();
  expect(mocks.crm.faults.requests().byRoute['POST /api/v1/customers/:id/contacts']).toBe(2);
});
