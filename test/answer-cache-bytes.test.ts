/**
 * A rendered-answer cache hit is written from the kept JSON (answer-cache.ts, KeptJson) rather than serialized again:
 * the bytes and headers are those a gateway without the cache writes (ages and request ids aside), for both media
 * types and with a role's FORBIDDEN errors; the ages still grow from hit to hit; a role never gets another's bytes.
 */
import {
  answerCacheCounts,
  asRole,
  FULL_VIEW,
  readUntilKept,
  startAnswerCachePair,
  type Harness,
} from './support/harness';

let h: Harness;
let plain: Harness;
let close: () => Promise<void>;
beforeAll(async () => ({ h, plain, close } = await startAnswerCachePair()));
afterAll(() => close());

const hits = async (g: Harness): Promise<number> => (await answerCacheCounts(g.url)).hit;

/** The raw answer: status, content type and body text, exactly as written. */
async function raw(
  g: Harness,
  role: string,
  id: string,
  accept?: string,
): Promise<{ status: number; type: string | null; text: string }> {
  const headers: Record<string, string> = { 'content-type': 'application/json', ...asRole(role) };
  if (accept) headers.accept = accept;
  const res = await fetch(`${g.url}/graphql`, {
    method: 'POST',
    headers,
    body: JSON.stringify({ query: FULL_VIEW, variables: { id } }),
  });
  return { status: res.status, type: res.headers.get('content-type'), text: await res.text() };
}
/** The text with the values that differ between any two answers (ages, fetch times, request ids) blanked. */
const blanked = (text: string): string => text.replace(/"(ageMs|requestId|fetchedAt)":("[^"]*"|\d+|null)/g, '"$1":_');

it.each([
  ['front-desk', undefined],
  ['front-desk', 'application/json'],
  ['marketing', 'application/graphql-response+json'], // FORBIDDEN errors in the kept answer
])('a hit for %s (Accept: %s) writes the bytes and headers of the gateway without the cache', async (role, accept) => {
  const id = role === 'marketing' ? 'C00000031' : accept ? 'C00000032' : 'C00000033';
  await readUntilKept(h.url, () => raw(h, role, id, accept));
  const before = await hits(h);
  const hit = await raw(h, role, id, accept);
  expect(await hits(h)).toBe(before + 1);
  await raw(plain, role, id, accept);
  const reference = await raw(plain, role, id, accept); // from its record cache: CACHED as the hit says
  expect(hit.status).toBe(reference.status);
  expect(hit.type).toBe(reference.type);
  expect(blanked(hit.text)).toBe(blanked(reference.text));
  expect(hit.text).toContain('"status":"CACHED"');
  if (role === 'marketing') expect(hit.text).toContain('"FORBIDDEN"');
});

it('ages grow from hit to hit: the provenance lists are rendered per request into the kept bytes', async () => {
  const id = 'C00000034';
  await readUntilKept(h.url, () => raw(h, 'front-desk', id));
  const crmAge = (text: string): number =>
    (
      JSON.parse(text) as { data: { customer: { sources: Array<{ source: string; ageMs: number }> } } }
    ).data.customer.sources.find((s) => s.source === 'crm')?.ageMs ?? -1;
  const before = await hits(h);
  const first = crmAge((await raw(h, 'front-desk', id)).text);
  await new Promise((r) => setTimeout(r, 60)); // time that must pass: a load only makes it longer
  const second = crmAge((await raw(h, 'front-desk', id)).text);
  expect(await hits(h)).toBe(before + 2);
  expect(second - first).toBeGreaterThanOrEqual(50);
});

it("a role never gets another role's kept bytes", async () => {
  const id = 'C00000035';
  await readUntilKept(h.url, () => raw(h, 'front-desk', id));
  await raw(h, 'front-desk', id); // a hit for front-desk
  const callCenter = JSON.parse((await raw(h, 'call-center', id)).text) as {
    data: { customer: { profile: { address: string } } };
  };
  const frontDesk = JSON.parse((await raw(h, 'front-desk', id)).text) as {
    data: { customer: { profile: { address: string } } };
  };
  expect(callCenter.data.customer.profile.address).not.toBe(frontDesk.data.customer.profile.address); // city only for call-center
});
