/**
 * Operations are compiled with graphql-jit; graphql-js is the reference. Two gateways over the same mocks, one
 * compiling and one interpreting, must give the same answers, errors included, byte for byte once ids, clocks and
 * timings are set aside, for every kind of request: the
 * sample customers, unknown and malformed ones, fragments, aliases, directives, defaults, a backend down.
 */
import { COMPILE_AFTER_RUNS } from '../gateway/view/executor';
import { startMocks, type Mocks } from '../mocks';
import { FULL_VIEW, startHarness, type Harness } from './support/harness';

let mocks: Mocks;
let compiled: Harness;
let interpreted: Harness;
beforeAll(async () => {
  mocks = await startMocks();
  compiled = await startHarness({ compileQueries: true }, { mocks });
  interpreted = await startHarness({ compileQueries: false }, { mocks });
});
afterAll(async () => {
  await compiled.close();
  await interpreted.close();
  await mocks.close();
});

/** Drops what differs between two runs of the same request: ids, clocks and timings. */
function normalized(body: unknown): unknown {
  return JSON.parse(JSON.stringify(body), (key, value) =>
    ['requestId', 'fetchedAt', 'ageMs', 'latencyMs'].includes(key) ? '…' : value,
  );
}

/** Sends the request as often to each gateway: the compiling one compiles it on its COMPILE_AFTER_RUNS-th run. */
async function both(query: string, variables?: Record<string, unknown>) {
  let [a, b] = [await compiled.gql(query, variables), await interpreted.gql(query, variables)];
  for (let run = 2; run <= COMPILE_AFTER_RUNS; run++)
    [a, b] = [await compiled.gql(query, variables), await interpreted.gql(query, variables)];
  expect(a.status).toBe(b.status);
  expect(JSON.stringify(normalized(a.body))).toBe(JSON.stringify(normalized(b.body)));
  return a;
}

/** Operations graphql-jit compiled, from the gateway's /metrics. */
const compiledCount = async (g: Harness): Promise<number> =>
  Number(
    /ucv_graphql_compilations_total\{result="compiled"\} (\d+)/.exec(
      await (await fetch(`${g.url}/metrics`)).text(),
    )?.[1] ?? 0,
  );

it.each(['C00000001', 'C00000002', 'C00000003', 'C00000004', 'C00000005'])('the full view of %s', async (id) => {
  const { body } = await both(FULL_VIEW, { id });
  expect(body.data.customer.id).toBe(id);
});

it('the compiling gateway really compiled the full view; the interpreting one compiled nothing', async () => {
  expect(await compiledCount(compiled)).toBeGreaterThanOrEqual(1);
  expect(await compiledCount(interpreted)).toBe(0);
});

it('an unknown customer, a malformed id, a missing and a mistyped variable', async () => {
  expect((await both(FULL_VIEW, { id: 'C09999999' })).body.errors[0].extensions.code).toBe('NOT_FOUND');
  expect((await both(FULL_VIEW, { id: 'C1 OR 1=1' })).body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  expect((await both(FULL_VIEW)).body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
  expect((await both(FULL_VIEW, { id: { not: 'an id' } })).body.errors[0].extensions.code).toBe('BAD_USER_INPUT');
});

it('a non-null variable with a default, used without a value', async () => {
  const { body } = await both('query ($id: ID! = "C00000005") { customer(id: $id) { id profile { type } } }');
  expect(body.data.customer).toEqual({ id: 'C00000005', profile: { type: expect.any(String) } });
});

it('aliases, fragments, inline fragments, __typename and @skip/@include from variables', async () => {
  const query = `
    query ($a: ID!, $b: ID!, $withBilling: Boolean!, $noScore: Boolean = true) {
      first: customer(id: $a) { ...Head billing @include(if: $withBilling) { balance bills { month status } } score @skip(if: $noScore) { creditGrade } }
      second: customer(id: $b) { ... on Customer { __typename id } ...Head insights { segment tags } }
    }
    fragment Head on Customer { id profile { name status region { code } } products { code monthlyFee } }`;
  const { body } = await both(query, { a: 'C00000001', b: 'C00000002', withBilling: true });
  expect(Object.keys(body.data.first)).toEqual(['id', 'profile', 'products', 'billing']);
  await both(query, { a: 'C00000003', b: 'C00000004', withBilling: false, noScore: false });
});

it('by mobile number, found and not found', async () => {
  await both('{ customerByMsisdn(msisdn: "13913620739") { id profile { name } } }');
  expect((await both('{ customerByMsisdn(msisdn: "13000000000") { id } }')).body.errors[0].extensions.code).toBe(
    'NOT_FOUND',
  );
});

it('a backend down: its sections are null with SOURCE_UNAVAILABLE, the rest are served', async () => {
  mocks.billing.faults.set({ down: '503' });
  try {
    const { body } = await both(FULL_VIEW, { id: 'C00000031' });
    expect(body.data.customer.billing).toBeNull();
    expect(body.errors.map((e: { extensions: { code: string } }) => e.extensions.code)).toContain('SOURCE_UNAVAILABLE');
  } finally {
    mocks.billing.faults.reset();
  }
});

it('@include with a null variable: the request error is reported, by either engine, with BAD_USER_INPUT', async () => {
  const query = 'query ($v: Boolean = true) { customer(id: "C00000001") { id profile @include(if: $v) { name } } }';
  const { status, body } = await both(query, { v: null });
  expect(status).toBe(200);
  expect(body.errors[0]).toMatchObject({
    message: expect.stringContaining('"if"'),
    extensions: { code: 'BAD_USER_INPUT' },
  });
});
