/**
 * The seam every consumer of the view calls (pipeline/operation.ts, `pipeline.run`), in process: no socket, no
 * backend is reached (every operation here is decided before a source is asked). Each Outcome kind, with what a
 * facade needs to translate it, and the rules that must be the same for every facade: errors without a catalog
 * code are coded, and an unexpected one is masked and logged once.
 */
import type { IncomingMessage } from 'node:http';
import { GraphQLError } from 'graphql';
import pino from 'pino';
import { createGateway, type Gateway } from '../../gateway/app/server';
import { codedErrors, nestsDeeperThan, refusalHeaders, refusalOutcome } from '../../gateway/pipeline/operation';
import { NO_BACKENDS, TEST_API_KEY, testConfig } from '../support/harness';

let gateway: Gateway;
beforeAll(() => {
  gateway = createGateway(testConfig(NO_BACKENDS, { security: { introspection: false } }), {
    logger: pino({ level: 'silent' }),
  });
});
afterAll(() => gateway.close(0));

const request = (headers: Record<string, string>) =>
  ({ headers, method: 'POST', url: '/graphql', socket: { remoteAddress: '127.0.0.1' } }) as unknown as IncomingMessage;
const asTest = { req: request({ 'x-api-key': TEST_API_KEY }) };

it('a result: data, and the provenance the facade reports', async () => {
  const outcome = await gateway.pipeline.run({
    facade: 'graphql',
    requestId: 'r1',
    caller: asTest,
    query: '{ __typename }',
  });
  expect(outcome).toMatchObject({ kind: 'result', result: { data: { __typename: 'Query' } }, provenance: [] });
});

it("no credentials: a refusal with its code, status and the facade's challenge", async () => {
  const outcome = await gateway.pipeline.run({
    facade: 'graphql',
    requestId: 'r2',
    caller: { req: request({}) },
    query: '{ __typename }',
  });
  expect(outcome).toMatchObject({ kind: 'refused', code: 'UNAUTHENTICATED', status: 401 });
  if (outcome.kind !== 'refused') throw new Error('expected a refusal');
  expect(refusalHeaders(outcome, 'Basic realm="x"')).toEqual({ 'www-authenticate': 'Basic realm="x"' });
});

it('a document that does not parse: request errors, coded, nothing ran', async () => {
  const outcome = await gateway.pipeline.run({
    facade: 'graphql',
    requestId: 'r3',
    caller: asTest,
    query: '{ customer(',
  });
  expect(outcome.kind).toBe('invalid');
  if (outcome.kind !== 'invalid') throw new Error('expected request errors');
  expect(outcome.errors[0]?.extensions.code).toBe('GRAPHQL_PARSE_FAILED');
});

it('a mutation where mutations may not run (GET): 405 METHOD_NOT_ALLOWED with Allow: POST', async () => {
  const outcome = await gateway.pipeline.run({
    facade: 'graphql',
    requestId: 'r4',
    caller: asTest,
    query: 'mutation { __typename }',
    mutations: false,
  });
  expect(outcome).toMatchObject({ kind: 'refused', code: 'METHOD_NOT_ALLOWED', status: 405, allow: 'POST' });
});

it('variables nested past the limit: a request error, found without recursion', async () => {
  let deep: unknown = 1;
  for (let i = 0; i < 100_000; i++) deep = [deep];
  expect(nestsDeeperThan(deep, 32)).toBe(true);
  expect(nestsDeeperThan({ a: [{ b: 1 }] }, 32)).toBe(false);
  const outcome = await gateway.pipeline.run({
    facade: 'graphql',
    requestId: 'r5',
    caller: asTest,
    query: '{ __typename }',
    variables: { v: deep },
  });
  expect(outcome).toMatchObject({ kind: 'invalid', errors: [{ extensions: { code: 'BAD_USER_INPUT' } }] });
});

it('an in-process consumer runs as itself, without a credential; with none it is refused', async () => {
  const consumer = { id: 'rules', name: 'rules', role: 'marketing', via: 'internal' as const };
  const ran = await gateway.pipeline.run({
    facade: 'internal',
    requestId: 'r6',
    caller: { consumer },
    query: '{ __typename }',
  });
  expect(ran.kind).toBe('result');
  const forged = await gateway.pipeline.run({
    facade: 'graphql',
    requestId: 'r7',
    caller: { consumer },
    query: '{ __typename }',
  });
  expect(forged).toMatchObject({ kind: 'refused', code: 'UNAUTHENTICATED' });
});

it("errors without a code: a request error is BAD_USER_INPUT; a resolver's is masked and logged once", () => {
  const logged: object[] = [];
  const log = { error: (details: object) => void logged.push(details) };
  const request = new GraphQLError('Variable "$id" of required type "ID!" was not provided.');
  const bug = new GraphQLError("Cannot read properties of undefined (reading 'x') at /srv/gateway/secret.ts", {
    path: ['customer', 'profile'],
  });
  const coded = codedErrors([request, bug], log, 'r8') ?? [];
  expect(coded.map((e) => [e.message, e.extensions.code])).toEqual([
    ['Variable "$id" of required type "ID!" was not provided.', 'BAD_USER_INPUT'],
    ['Unexpected error.', 'INTERNAL_SERVER_ERROR'],
  ]);
  expect(coded[1]?.path).toEqual(['customer', 'profile']);
  expect(logged).toHaveLength(1);
  // Already coded: the same array, so a kept answer keeps its JSON.
  const already = [new GraphQLError('x', { extensions: { code: 'NOT_FOUND' } })];
  expect(codedErrors(already, log, 'r9')).toBe(already);
});

it('a rate-limit refusal carries Retry-After, rounded up to whole seconds', () => {
  const refusal = refusalOutcome(
    new GraphQLError('slow down', { extensions: { code: 'RATE_LIMITED', retryAfterSeconds: 0.2 } }),
  );
  expect(refusal).toMatchObject({ code: 'RATE_LIMITED', status: 429, retryAfterSeconds: 0.2 });
  expect(refusalHeaders(refusal, 'x')).toEqual({ 'retry-after': '1' });
});
