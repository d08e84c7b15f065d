/**
 * /graphql follows the GraphQL-over-HTTP specification, and every misuse gets a clear error with a stable code.
 * This file pins the exact messages clients get for misuse (the "abuse" file).
 */
import { AUTH, json, startHarness, type Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness({ limits: { maxBodyBytes: 2048 } });
});
afterAll(() => h.close());

const post = (body: string, headers: Record<string, string> = {}) =>
  fetch(`${h.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...AUTH, ...headers },
    body,
  });

async function errorsOf(res: Response) {
  const body = await json(res);
  return body.errors.map((e: { message: string; extensions: { code: string } }) => [e.extensions.code, e.message]);
}

it('POST JSON answers application/graphql-response+json by default', async () => {
  const res = await post(JSON.stringify({ query: '{ customer(id: "C00000001") { id } }' }));
  expect(res.status).toBe(200);
  expect(res.headers.get('content-type')).toBe('application/graphql-response+json; charset=utf-8');
  expect(await json(res)).toMatchObject({ data: { customer: { id: 'C00000001' } } });
});

it('answers application/json to a client that asks for it', async () => {
  const res = await post(JSON.stringify({ query: '{ customer(id: "C00000001") { id } }' }), {
    accept: 'application/json',
  });
  expect(res.headers.get('content-type')).toBe('application/json; charset=utf-8');
});

it('GET runs queries, with variables in the URL', async () => {
  const url = `${h.url}/graphql?query=${encodeURIComponent('query($id: ID!) { customer(id: $id) { id } }')}&variables=${encodeURIComponent('{"id":"C00000002"}')}`;
  const res = await fetch(url, { headers: { accept: 'application/graphql-response+json', ...AUTH } });
  expect(res.status).toBe(200);
  expect((await json(res)).data.customer.id).toBe('C00000002');
});

it('the response carries the request id and the provenance in extensions', async () => {
  const res = await post(JSON.stringify({ query: '{ customer(id: "C00000001") { billing { balance } } }' }), {
    'x-request-id': 'abc-123',
  });
  expect(res.headers.get('x-request-id')).toBe('abc-123');
  const body = await json(res);
  expect(body.extensions.requestId).toBe('abc-123');
  expect(body.extensions.sources).toEqual([
    {
      customerId: 'C00000001',
      sources: [
        expect.objectContaining({ source: 'crm', status: 'SKIPPED' }),
        expect.objectContaining({
          source: 'billing',
          status: 'LIVE',
          breaker: 'CLOSED',
          found: true,
          latencyMs: expect.any(Number),
        }),
        expect.objectContaining({ source: 'warehouse', status: 'SKIPPED' }),
        expect.objectContaining({ source: 'scoring', status: 'SKIPPED' }),
      ],
    },
  ]);
});

it('malformed JSON: 400 BAD_REQUEST', async () => {
  const res = await post('{"query": "{ customer(id: \\"C1\\") { id } }"');
  expect(res.status).toBe(400);
  expect(await errorsOf(res)).toEqual([['BAD_REQUEST', 'The request body is not valid JSON.']]);
});

it('a JSON body that is not an object: 400 BAD_REQUEST', async () => {
  const res = await post('[1,2]');
  expect(res.status).toBe(400);
  expect(await errorsOf(res)).toEqual([
    ['BAD_REQUEST', 'JSON body must be an object (batched operations are not supported)'],
  ]);
});

it('no query: 400 BAD_REQUEST', async () => {
  const res = await post('{"variables": {}}');
  expect(res.status).toBe(400);
  expect(await errorsOf(res)).toEqual([['BAD_REQUEST', 'Missing query']]);
});

it('a syntax error: 400 GRAPHQL_PARSE_FAILED', async () => {
  const res = await post(JSON.stringify({ query: '{ customer(id: "C1") { id }' }));
  expect(res.status).toBe(400);
  expect(await errorsOf(res)).toEqual([['GRAPHQL_PARSE_FAILED', 'Syntax Error: Expected Name, found <EOF>.']]);
});

it('a field that does not exist: 400 GRAPHQL_VALIDATION_FAILED, naming it', async () => {
  const res = await post(JSON.stringify({ query: '{ customer(id: "C1") { shoeSize } }' }));
  expect(res.status).toBe(400);
  expect(await errorsOf(res)).toEqual([
    ['GRAPHQL_VALIDATION_FAILED', 'Cannot query field "shoeSize" on type "Customer".'],
  ]);
});

it('the public schema has exactly the two documented roots', async () => {
  const res = await post(
    JSON.stringify({ query: '{ __schema { queryType { fields { name } } mutationType { name } } }' }),
  );
  const { data } = (await res.json()) as {
    data: { __schema: { queryType: { fields: Array<{ name: string }> }; mutationType: unknown } };
  };
  expect(data.__schema.queryType.fields.map((f) => f.name).sort()).toEqual(['customer', 'customerByMsisdn']);
  expect(data.__schema.mutationType).toBeNull();
});

it('a missing variable: BAD_USER_INPUT', async () => {
  const res = await post(JSON.stringify({ query: 'query($id: ID!) { customer(id: $id) { id } }' }));
  expect(await errorsOf(res)).toEqual([['BAD_USER_INPUT', 'Variable "$id" of required type "ID!" was not provided.']]);
});

it('a malformed customer id or mobile number: BAD_USER_INPUT, and no backend is called', async () => {
  h.mocks.resetAll();
  const res = await post(
    JSON.stringify({ query: '{ a: customer(id: "C1; DROP TABLE") { id } b: customerByMsisdn(msisdn: "12") { id } }' }),
  );
  expect(await errorsOf(res)).toEqual([
    ['BAD_USER_INPUT', 'id must be 1 to 64 letters, digits, "-" or "_", e.g. C00000001.'],
    ['BAD_USER_INPUT', 'msisdn must be an 11-digit mobile number, e.g. 13800138000.'],
  ]);
  expect(h.counts()).toEqual({ crm: 0, billing: 0, warehouse: 0, scoring: 0 });
});

it('a body over the limit: 413 PAYLOAD_TOO_LARGE', async () => {
  const res = await post(JSON.stringify({ query: `{ customer(id: "C00000001") { id } } # ${'x'.repeat(4096)}` }));
  expect(res.status).toBe(413);
  expect(await errorsOf(res)).toEqual([['PAYLOAD_TOO_LARGE', 'The request body is larger than 2048 bytes.']]);
});

it('a body that is not JSON: 415', async () => {
  const res = await fetch(`${h.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'text/plain' },
    body: '{ customer(id: "C1") { id } }',
  });
  expect(res.status).toBe(415);
});

it('an Accept header the gateway cannot answer: 406', async () => {
  const res = await post(JSON.stringify({ query: '{ __typename }' }), { accept: 'application/xml' });
  expect(res.status).toBe(406);
  expect((await errorsOf(res))[0][0]).toBe('NOT_ACCEPTABLE');
});

it('PUT /graphql: 405', async () => {
  const res = await fetch(`${h.url}/graphql`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: '{}',
  });
  expect(res.status).toBe(405);
  expect(res.headers.get('allow')).toBe('GET, POST');
  expect((await errorsOf(res))[0][0]).toBe('METHOD_NOT_ALLOWED');
});

it('an unknown path: 404 ROUTE_NOT_FOUND', async () => {
  const res = await fetch(`${h.url}/nope`);
  expect(res.status).toBe(404);
  expect(await errorsOf(res)).toEqual([['ROUTE_NOT_FOUND', 'There is nothing at this path.']]);
});

it('a browser gets GraphiQL at GET /graphql, with its assets served locally', async () => {
  const res = await fetch(`${h.url}/graphql`, { headers: { accept: 'text/html,application/xhtml+xml' } });
  expect(res.status).toBe(200);
  const html = await res.text();
  expect(html).toContain('GraphiQL');
  expect(html).not.toMatch(/(src|href)="https?:/); // nothing from a CDN
  const assets = html.match(/\/graphiql\/[\w.-]+/g) ?? [];
  expect(assets.length).toBeGreaterThanOrEqual(3); // the GraphiQL bundle, React, ReactDOM at least
  for (const asset of assets) {
    expect((await fetch(`${h.url}${asset}`)).status).toBe(200);
  }
});

it('/healthz answers while the gateway lives', async () => {
  const res = await fetch(`${h.url}/healthz`);
  expect(res.status).toBe(200);
  expect(await json(res)).toEqual({ status: 'ok' });
});

describe('requests crafted to hurt the gateway', () => {
  it('a JSON body under a media type express does not parse is refused, never read without limit', async () => {
    const res = await post(JSON.stringify({ query: `{ __typename } #${'x'.repeat(500_000)}` }), {
      'content-type': 'application /json',
    });
    expect(res.status).toBe(415);
    expect(await errorsOf(res)).toEqual([['UNSUPPORTED_MEDIA_TYPE', 'The request body must be application/json.']]);
    expect((await fetch(`${h.url}/healthz`)).status).toBe(200);
  });

  it('fragments spread many times (2^24 paths) are refused at once by the limits, seen through the fragments', async () => {
    const levels = 24;
    const fragments = Array.from(
      { length: levels },
      (_, i) =>
        `fragment F${i} on Customer { id ${i + 1 < levels ? `...F${i + 1} ...F${i + 1}` : 'billing { balance }'} }`,
    ).join(' ');
    const started = performance.now();
    const res = await post(JSON.stringify({ query: `{ customer(id: "C00000001") { ...F0 } } ${fragments}` }));
    expect(res.status).toBe(400);
    expect((await errorsOf(res))[0]).toEqual(['QUERY_TOO_COMPLEX', expect.stringMatching(/depth limit|cost limit/i)]);
    // Walking the 2^24 paths would take minutes: seconds of room for a loaded machine still tell the two apart.
    expect(performance.now() - started).toBeLessThan(10_000);
  });

  it('fragments spread many times within the limits are planned and answered', async () => {
    const levels = 3;
    const fragments = Array.from(
      { length: levels },
      (_, i) =>
        `fragment F${i} on Customer { id ${i + 1 < levels ? `...F${i + 1} ...F${i + 1}` : 'billing { balance }'} }`,
    ).join(' ');
    const res = await post(JSON.stringify({ query: `{ customer(id: "C00000001") { ...F0 } } ${fragments}` }));
    if (res.status !== 200) throw new Error(JSON.stringify(await res.json()));
    expect((await json(res)).data.customer.billing.balance).toEqual(expect.any(Number));
  });

  it('@include with a variable default is planned with the default', async () => {
    const res = await post(
      JSON.stringify({
        query: 'query($full: Boolean = true) { customer(id: "C00000001") { billing @include(if: $full) { balance } } }',
      }),
    );
    expect(res.status).toBe(200);
    expect((await json(res)).data.customer.billing.balance).toEqual(expect.any(Number));
  });

  it('at most 10 root fields per operation: QUERY_TOO_COMPLEX', async () => {
    const aliases = Array.from({ length: 11 }, (_, i) => `c${i}: customer(id: "C0000000${(i % 9) + 1}") { id }`).join(
      ' ',
    );
    const res = await post(JSON.stringify({ query: `{ ${aliases} }` }));
    expect(res.status).toBe(400);
    expect(await errorsOf(res)).toEqual([
      ['QUERY_TOO_COMPLEX', 'An operation may select at most 10 root fields; this one selects 11.'],
    ]);
  });

  it('an error code named like an object property is not a catalog code', async () => {
    const { isErrorCode } = await import('../gateway/errors');
    expect(isErrorCode('constructor')).toBe(false);
    expect(isErrorCode('toString')).toBe(false);
    expect(isErrorCode('NOT_FOUND')).toBe(true);
  });
});

it('Server-Timing tells the time spent in the gateway and in its slowest backend call', async () => {
  h.mocks.resetAll();
  h.mocks.scoring.faults.set({ latencyMs: 60 });
  const res = await post(JSON.stringify({ query: '{ customer(id: "C00000031") { score { creditScore } } }' }));
  h.mocks.resetAll();
  const timing = Object.fromEntries(
    (res.headers.get('server-timing') ?? '').split(', ').map((m) => [m.split(';')[0], Number(m.split('dur=')[1])]),
  );
  expect(timing.backend).toBeGreaterThanOrEqual(60);
  expect(timing.gateway).toBeGreaterThanOrEqual(timing.backend as number);
});
