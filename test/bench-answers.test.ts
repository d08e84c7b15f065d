/**
 * The benchmark counts what was answered (bench/answers.ts): real answers of a real gateway over the real mocks,
 * complete, partial by the catalog's code and source, and the refusals of a full bulkhead, which an HTTP status
 * alone would count as successes.
 */
import fs from 'node:fs';
import path from 'node:path';
import { answerCounter, answeredShare, classifySoap, classifyUcv, degraded, isBusinessAnswer } from '../bench/answers';
import { soapViewEnvelope } from '../bench/support';
import { SAMPLE_CUSTOMERS } from '../mocks';
import { AUTH, NO_CACHE, SOAP_AUTH, startHarness, type Harness } from './support/harness';

const FULL = fs.readFileSync(path.join(__dirname, '..', 'bench', 'full-view.graphql'), 'utf8');

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ policies: NO_CACHE });
});
afterAll(() => h.close());
beforeEach(() => h.mocks.resetAll());

async function view(id: string, url = h.url): Promise<{ status: number; body: string }> {
  const res = await fetch(`${url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...AUTH },
    body: JSON.stringify({ query: FULL, variables: { id } }),
  });
  return { status: res.status, body: await res.text() };
}

it('a full view with every section is complete, whether parsed whole or only searched for errors', async () => {
  const { status, body } = await view(SAMPLE_CUSTOMERS.ordinary);
  expect(status).toBe(200);
  expect(classifyUcv(body, true)).toBeNull();
  expect(classifyUcv(body, false)).toBeNull();
});

it('a customer the warehouse does not know is partial for a business reason, not degraded', async () => {
  const { body } = await view(SAMPLE_CUSTOMERS.newNotInWarehouse);
  const causes = classifyUcv(body, false);
  expect(causes).toEqual(['NOT_FOUND/warehouse']);
  expect(causes?.every(isBusinessAnswer)).toBe(true);
  const counter = answerCounter(classifyUcv);
  counter.onResponse(200, body);
  expect(counter.answers).toMatchObject({ total: 1, complete: 0, partial: 1, degradedPartial: 0 });
  expect(answeredShare(counter.answers)).toBe(1);
});

it('a backend down is partial with SOURCE_UNAVAILABLE and its source, and counts as degraded', async () => {
  h.mocks.scoring.faults.set({ down: '503' });
  const { status, body } = await view(SAMPLE_CUSTOMERS.ordinary);
  expect(status).toBe(200); // what a count of non-2xx would call a success
  const causes = classifyUcv(body, false) ?? [];
  expect(causes.length).toBeGreaterThan(0);
  expect(causes.every((c) => /^SOURCE_UNAVAILABLE:\w+\/scoring$/.test(c))).toBe(true);
  const counter = answerCounter(classifyUcv);
  counter.onResponse(status, body);
  counter.onResponse(503, '');
  expect(degraded(counter.answers)).toBe(2);
  expect(counter.answers).toMatchObject({ total: 2, partial: 1, non2xx: 1 });
});

it('refusals of a full bulkhead are counted by cause: overloaded, with the source', async () => {
  // One CRM call at a time, each 100 ms: the view's three CRM calls cannot all get a slot.
  const tight = await startHarness(
    { policies: { ...NO_CACHE, crm: { ...NO_CACHE.crm, bulkhead: { maxConcurrent: 1 } } } },
    { mocks: h.mocks },
  );
  try {
    h.mocks.crm.faults.set({ latencyMs: 100 });
    const counter = answerCounter(classifyUcv);
    const answers = await Promise.all([1, 6, 7, 8].map((n) => view(`C0000000${n}`, tight.url)));
    for (const a of answers) counter.onResponse(a.status, a.body);
    expect(counter.answers.partialBy['SOURCE_UNAVAILABLE:overloaded/crm']).toBeGreaterThan(0);
    expect(answeredShare(counter.answers)).toBeLessThan(1);
  } finally {
    await tight.close();
  }
});

it('a section null without an error is found when the answer is parsed whole (the sampled answers)', async () => {
  const { body } = await view(SAMPLE_CUSTOMERS.ordinary);
  const answer = JSON.parse(body) as { data: { customer: Record<string, unknown> } };
  answer.data.customer.score = null; // what a gateway bug would answer: nothing missing as far as `errors` says
  const silent = JSON.stringify(answer);
  expect(classifyUcv(silent, true)).toEqual(['NO_ERROR/score']);
  expect(classifyUcv(silent, false)).toBeNull(); // not sampled: only errors are looked for
  const counter = answerCounter(classifyUcv, 2);
  counter.onResponse(200, silent);
  counter.onResponse(200, silent);
  expect(counter.answers).toMatchObject({ complete: 1, partial: 1, sampled: 1, degradedPartial: 1 });
});

it('a SOAP view with a backend down carries a sectionError with the code and source', async () => {
  const soapView = async (): Promise<string> =>
    (
      await fetch(`${h.url}/soap/CustomerView`, {
        method: 'POST',
        headers: { 'content-type': 'text/xml; charset=utf-8', ...SOAP_AUTH },
        body: soapViewEnvelope(SAMPLE_CUSTOMERS.ordinary),
      })
    ).text();
  expect(classifySoap(await soapView(), false)).toBeNull();
  h.mocks.scoring.faults.set({ down: '503' });
  const causes = classifySoap(await soapView(), false) ?? [];
  expect(causes.length).toBeGreaterThan(0);
  expect(causes.every((c) => /^SOURCE_UNAVAILABLE:\w+\/scoring$/.test(c))).toBe(true);
});
