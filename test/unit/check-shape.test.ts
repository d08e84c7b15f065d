/**
 * A resource's or command's schema is any synchronous Standard Schema (gateway/backends/adapter.ts `checkShape`):
 * zod 4 and zod 3 alike give the checked value or the first issue's path and message; an asynchronous check is
 * refused rather than awaited on every fetch.
 */
import type { StandardSchemaV1 } from '@standard-schema/spec';
import { z as z3 } from 'zod';
import { z as z4 } from 'zod/v4';
import { checkShape } from '../../gateway/backends';

const shapes = {
  'zod 4': z4.object({ id: z4.string(), bills: z4.array(z4.object({ amount: z4.number() })) }).passthrough(),
  'zod 3': z3.object({ id: z3.string(), bills: z3.array(z3.object({ amount: z3.number() })) }).passthrough(),
};

test.each(Object.entries(shapes))('%s: the checked value, extra fields kept', (_name, schema) => {
  const answer = { id: 'C1', bills: [{ amount: 1.5 }], extra: true };
  expect(checkShape(schema, answer)).toEqual({ ok: true, value: answer });
});

test.each(Object.entries(shapes))("%s: the first issue's path and message", (_name, schema) => {
  const found = checkShape(schema, { id: 'C1', bills: [{ amount: 'x' }] });
  expect(found).toEqual({ ok: false, path: 'bills.0.amount', message: expect.stringMatching(/number/) });
});

test('an asynchronous schema is refused, not awaited', () => {
  const slow: StandardSchemaV1<unknown, unknown> = {
    '~standard': { version: 1, vendor: 'test', validate: async (value) => ({ value }) },
  };
  expect(checkShape(slow, {})).toEqual({ ok: false, path: '', message: 'the schema checks asynchronously' });
});

test('a thenable that is not a Promise is refused as asynchronous, never read as a pass', () => {
  const thenable: StandardSchemaV1<unknown, unknown> = {
    '~standard': {
      version: 1,
      vendor: 'test',
      validate: () => ({ then: (resolve: (v: unknown) => void) => resolve({ value: 1 }) }) as never,
    },
  };
  expect(checkShape(thenable, {})).toEqual({ ok: false, path: '', message: 'the schema checks asynchronously' });
});
