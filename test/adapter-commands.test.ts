/**
 * Adapter commands go through the source's write path (`Source.command`, policy.commands): retried only with an
 * idempotency key, a backend's refusal is an answer (never retried, never a breaker failure), and the commands have
 * a breaker of their own, so failing writes do not stop the reads. Real HTTP against the CRM mock.
 */
import { startHarness, type Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({
    policies: {
      crm: {
        commands: {
          timeoutMs: 500,
          retry: { attempts: 1, backoffMs: 1 },
          breaker: { consecutiveFailures: 3, resetTimeoutMs: 60_000 },
        },
      },
    },
  });
});
afterAll(() => h.close());
beforeEach(() => h.mocks.resetAll());

const crm = () => h.gateway.sources.find((s) => s.name === 'crm')!;
const payload = {
  channel: 'IVR',
  at: '2026-11-24T07:00:00Z',
  type: 'BALANCE_ENQUIRY',
  outcome: 'RESOLVED',
  system: 'ivr-1',
};
const posts = () => h.mocks.crm.faults.requests().byRoute['POST /api/v1/customers/:id/contacts'] ?? 0;

it('never retries a command without an idempotency key', async () => {
  h.mocks.crm.faults.set({ failNext: 1 });
  const outcome = await crm().command('recordContact', 'C00000601', payload, { requestId: 'no-key' });
  expect(outcome).toMatchObject({ ok: false, rejected: false, reason: 'error' });
  expect(posts()).toBe(1);
});

it('retries a command with an idempotency key, which the backend receives on every attempt', async () => {
  h.mocks.crm.faults.set({ failNext: 1 });
  const outcome = await crm().command('recordContact', 'C00000602', payload, {
    requestId: 'with-key',
    idempotencyKey: 'cmd-key-1',
  });
  expect(outcome).toMatchObject({ ok: true, value: { contactId: expect.any(String) } });
  expect(posts()).toBe(2);
});

it('takes a refusal (4xx) as an answer, and an invalid payload is refused before anything is sent', async () => {
  const unknown = await crm().command('recordContact', 'C99999999', payload, {
    requestId: 'r',
    idempotencyKey: 'cmd-key-2',
  });
  expect(unknown).toMatchObject({ ok: false, rejected: true, detail: 'not_found' });
  expect(posts()).toBe(1);
  const invalid = await crm().command(
    'recordContact',
    'C00000603',
    { ...payload, channel: 'PIGEON' },
    { requestId: 'r' },
  );
  expect(invalid).toMatchObject({ ok: false, rejected: true, detail: 'invalid' });
  expect(posts()).toBe(1);
  expect(crm().commandBreakerState()).toBe('CLOSED');
});

it('opens the commands breaker on failing writes, leaving the reads breaker closed', async () => {
  h.mocks.crm.faults.set({ errorRate: 1 });
  for (let i = 0; i < 3; i++) await crm().command('recordContact', 'C00000604', payload, { requestId: `b${i}` });
  expect(crm().commandBreakerState()).toBe('OPEN');
  const sent = posts();
  const refused = await crm().command('recordContact', 'C00000604', payload, {
    requestId: 'b-open',
    idempotencyKey: 'k',
  });
  expect(refused).toMatchObject({ ok: false, rejected: false, reason: 'circuit_open' });
  expect(posts()).toBe(sent);
  expect(crm().breakerState()).toBe('CLOSED');
});
