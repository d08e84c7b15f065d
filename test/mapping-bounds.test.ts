/**
 * A registered adapter's JSONata mapping is bounded in time, depth and size: refused at validate when it runs away
 * on sample answers, and at run time a mapping that runs away on a real record fails its own section only (the
 * rest of the view answers, /healthz keeps answering). Real HTTP, real mock systems.
 */
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import pino from 'pino';
import { createGateway, type Gateway } from '../gateway/app/server';
import { startMocks, type Mocks } from '../mocks';
import { networkState } from '../mocks/network-events';
import { MappingLimitError, MappingRunner } from '../gateway/runtime/mapping';
import { AUTH, postGraphQL, testConfig } from './support/harness';
import { waitFor } from './support/wait';

let mocks: Mocks;
let gateway: Gateway;

const RECURSION = '($f := function($x){ 1 + $f($x) }; $f(1))';
const TAIL = '($f := function($x){ $f($x) }; $f(1))';
const REGEX = '$contains($join([1..40].("a"), "") & "!", /^(a+)+$/)';
const PAD = '$pad("", 200000000, "x")';
const DOUBLING = '($s := function($x, $n){ $n = 0 ? $x : $s($x & $x, $n - 1) }; $s("x", 30))';
/** 268 million characters: cheap to build (V8 concatenates lazily), past the mapping process's heap once written out. */
const HEAP = '($s := function($x, $n){ $n = 0 ? $x : $s($x & $x, $n - 1) }; $s("x", 28))';

const SHAPE = {
  type: 'object',
  required: ['subscriber', 'location'],
  properties: {
    subscriber: { type: 'string' },
    location: { type: 'object', properties: { area: { type: 'string' } } },
  },
};

/** A REST definition over the network-events mock; `mapping` maps its state answer. */
const definition = (name: string, type: string, mapping: string, extra: Record<string, unknown> = {}) => ({
  name,
  description: 'Network events platform, mapped with JSONata',
  type: 'rest',
  baseUrl: mocks.networkEvents.url,
  typeDefs: `extend type Customer { ${name}: ${type} }\ntype ${type} { area: String }`,
  resources: { state: { path: '/nep/v2/subscribers/{key}/state', shape: SHAPE, mapping, ...extra } },
  fields: { [name]: { resource: 'state' } },
  // One attempt per read: the time a runaway takes is its own, not doubled by a retry.
  policy: { retry: { attempts: 0 } },
});

async function put(body: unknown) {
  const name = (body as { name: string }).name;
  const res = await fetch(`${gateway.url}/admin/adapters/${name}`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...AUTH },
    body: JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

beforeAll(async () => {
  mocks = await startMocks();
  gateway = createGateway(
    testConfig(mocks, {
      admin: {
        allowLoopback: true,
        definitionsFile: path.join(os.tmpdir(), `ucv-defs-${randomUUID()}.json`),
        mappings: { timeoutMs: 100, processes: 2 },
      },
    }),
    { logger: pino({ level: 'silent' }) },
  );
  await gateway.listen();
});

afterAll(async () => {
  await gateway.close(100);
  await mocks.close();
});

describe('at validate', () => {
  it.each([
    ['unbounded recursion', RECURSION],
    ['tail recursion', TAIL],
    ['a 200 MB $pad', PAD],
    ['a string doubled 30 times', DOUBLING],
    ['a range of ten million', '$count([1..10000000])'],
  ])('refuses %s with DEFINITION_REFUSED naming the mapping', async (_, mapping) => {
    const { status, body } = await put(definition('runaway', 'Runaway', mapping));
    expect(status).toBe(422);
    expect(body.errors[0].extensions.code).toBe('DEFINITION_REFUSED');
    expect(body.errors[0].extensions.problems[0]).toMatchObject({
      path: 'resources.state.mapping',
      message: expect.stringMatching(/^exceeds admin\.mappings on an answer made from the shape/),
    });
  });

  it('refuses a catastrophic regular expression on a declared sample, and a sample of the wrong shape', async () => {
    const regex = await put(
      definition('runaway', 'Runaway', '$contains(subscriber, /^(a+)+$/)', {
        samples: [{ subscriber: `${'a'.repeat(40)}!`, location: { area: 'x' } }],
      }),
    );
    expect(regex.status).toBe(422);
    expect(regex.body.errors[0].extensions.problems[0]).toMatchObject({
      path: 'resources.state.mapping',
      message: expect.stringMatching(/^exceeds admin\.mappings on sample 0: the mapping ran longer than 100 ms/),
    });
    const wrong = await put(definition('runaway', 'Runaway', '{ "area": location.area }', { samples: [{ a: 1 }] }));
    expect(wrong.status).toBe(422);
    expect(wrong.body.errors[0].extensions.problems[0].path).toBe('resources.state.samples.0.subscriber');
  });
});

describe('at run time', () => {
  // Each runaway is reached only by the answer of one customer: the answer made from the shape maps fine.
  const runaways: Array<[string, string]> = [
    ['unbounded recursion', RECURSION],
    ['tail recursion', TAIL],
    ['a catastrophic regular expression', REGEX],
    ['a 200 MB $pad', PAD],
    ['a string doubled 30 times', DOUBLING],
    ['a record larger than the heap', HEAP],
  ];
  const ids = runaways.map((_, i) => `C0000000${i + 1}`);
  const mapping = `(${runaways
    .map(([, m], i) => `subscriber = "${ids[i]}" ? ${m} :`)
    .join(' ')} { "area": location.area })`;

  beforeAll(async () => {
    const runaway = await put(definition('runaway', 'Runaway', mapping));
    expect(runaway.status).toBe(200);
    const steady = await put(definition('steady', 'Steady', '{ "area": location.area }'));
    expect(steady.status).toBe(200);
  });

  it.each(runaways.map(([what], i) => [what, ids[i] as string]))(
    '%s fails its own section with SOURCE_UNAVAILABLE mapping_limit; the rest answers, /healthz too',
    async (_, id) => {
      let healthz = 0;
      let slowestHealthz = 0;
      let done = false;
      const probe = (async () => {
        while (!done) {
          const started = Date.now();
          const res = await fetch(`${gateway.url}/healthz`);
          expect(res.status).toBe(200);
          slowestHealthz = Math.max(slowestHealthz, Date.now() - started);
          healthz++;
        }
      })();
      const { body } = await postGraphQL(
        gateway.url,
        'query ($id: ID!) { customer(id: $id) { id profile { name } runaway { area } steady { area } } }',
        { id },
      );
      done = true;
      await probe;
      const area = networkState(id)?.location.area;
      expect(body.data.customer).toMatchObject({ id, runaway: null, steady: { area } });
      expect(body.data.customer.profile.name).toEqual(expect.any(String));
      expect(body.errors).toEqual([
        expect.objectContaining({
          path: ['customer', 'runaway'],
          extensions: expect.objectContaining({
            code: 'SOURCE_UNAVAILABLE',
            source: 'runaway',
            reason: 'bad_response',
            detail: 'mapping_limit',
          }),
        }),
      ]);
      // The event loop never ran the mapping: /healthz answered all along, none of its answers waited long.
      expect(healthz).toBeGreaterThan(0);
      expect(slowestHealthz).toBeLessThan(1000);
    },
  );

  it('maps every other customer as before', async () => {
    const { body } = await postGraphQL(gateway.url, 'query ($id: ID!) { customer(id: $id) { runaway { area } } }', {
      id: 'C00000042',
    });
    expect(body.errors).toBeUndefined();
    expect(body.data.customer.runaway).toEqual({ area: networkState('C00000042')?.location.area });
  });
});

describe('mapping processes', () => {
  it('end when idle, and the next call starts another', async () => {
    const runner = new MappingRunner(
      { timeoutMs: 100, maxDepth: 500, maxOutputBytes: 1 << 20, maxSequence: 100_000, maxMemoryMb: 64, processes: 1 },
      200,
    );
    try {
      expect(await runner.evaluate('{ "a": x }', { x: 1 })).toEqual({ a: 1 });
      expect(runner.processCount).toBe(1);
      // Wait for the condition (the idle process gone), not for a fixed time.
      for (let i = 0; i < 100 && runner.processCount > 0; i++) await new Promise((r) => setTimeout(r, 50));
      expect(runner.processCount).toBe(0);
      expect(await runner.evaluate('{ "a": x }', { x: 2 })).toEqual({ a: 2 });
    } finally {
      runner.close();
    }
  });

  it('once warmed, one is started before the first call and kept when idle, and a killed one is replaced', async () => {
    const idleMs = 200;
    const runner = new MappingRunner(
      { timeoutMs: 100, maxDepth: 500, maxOutputBytes: 1 << 20, maxSequence: 100_000, maxMemoryMb: 64, processes: 2 },
      idleMs,
    );
    try {
      runner.warm();
      expect(runner.processCount).toBe(1);
      // Two calls at once: a second process starts for the second.
      await Promise.all([runner.evaluate('x', { x: 1 }), runner.evaluate('x', { x: 2 })]);
      expect(runner.processCount).toBe(2);
      // The one beyond the kept process ends when idle; the kept one is still there well after its idle time.
      await waitFor(() => runner.processCount === 1, { timeoutMs: 10_000, what: 'the extra process ended' });
      await new Promise((r) => setTimeout(r, 2 * idleMs));
      expect(runner.processCount).toBe(1);
      // A runaway call gets its process killed; the warmed runner starts a replacement without waiting for a call.
      await expect(runner.evaluate(REGEX, {})).rejects.toThrow(MappingLimitError);
      await waitFor(() => runner.processCount === 1, { timeoutMs: 10_000, what: 'a replacement process' });
      expect(await runner.evaluate('x', { x: 3 })).toBe(3);
    } finally {
      runner.close();
    }
  });
});
