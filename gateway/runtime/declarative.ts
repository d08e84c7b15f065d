/**
 * Declarative adapters: a REST/JSON backend joins the view as data (JSON, sent to `PUT /admin/adapters/:name`), not
 * code. A definition gives the base URL, the resources (a URL template with `{key}`), the section SDL, a JSONata
 * mapping from the backend's answer to the record, the record's shape and a policy; `compileDeclarative` turns it
 * into the same `AdapterDefinition` a TypeScript adapter (`defineAdapter`) is, so the gateway treats both alike:
 * the same Source, breaker, bulkhead, retries, cache, coalescing, byte cap, shape check and provenance.
 *
 * JSONata expressions are compiled once per definition (here), never per record. The shape is checked before the
 * mapping: an answer of another shape is `bad_response` / `wrong_shape`, as a TypeScript adapter's zod schema does.
 */
import { lookup as dnsLookup, type LookupAddress } from 'node:dns';
import jsonata from 'jsonata';
import { Pool } from 'undici';
import { z, type ZodTypeAny } from 'zod';
import { BadResponseError, getJson, type AdapterDefinition, type FetchContext, type JsonClient } from '../adapter';
import { addressRefusal } from './allow-list';
import { PolicySchema, type AdapterEntry } from '../config';

/** One problem of a refused definition: where, what was expected, what was given. */
export interface Problem {
  path: string;
  message: string;
  expected?: string;
  given?: unknown;
}

/**
 * A small declared shape, a subset of JSON Schema: `type` (object, array, string, number, integer, boolean),
 * `properties` and `required` for objects, `items` for arrays, `nullable`. Extra properties pass (like zod's
 * `.passthrough()`): a backend adding a field does not break the view.
 */
export interface Shape {
  type: 'object' | 'array' | 'string' | 'number' | 'integer' | 'boolean';
  properties?: Record<string, Shape>;
  required?: string[];
  items?: Shape;
  nullable?: boolean;
}

const ShapeSchema: z.ZodType<Shape> = z.lazy(() =>
  z
    .object({
      type: z.enum(['object', 'array', 'string', 'number', 'integer', 'boolean']),
      properties: z.record(ShapeSchema).optional(),
      required: z.array(z.string()).optional(),
      items: ShapeSchema.optional(),
      nullable: z.boolean().optional(),
    })
    .strict(),
);

const NAME = /^[a-z][a-z0-9]{0,31}$/;
const FIELD = /^[a-z][A-Za-z0-9]{0,63}$/;

export const DeclarativeAdapterSchema = z
  .object({
    /** Source name, as in provenance: lower-case letters and digits. */
    name: z.string().regex(NAME, 'lower-case letters and digits, starting with a letter, at most 32'),
    description: z.string().min(1).max(500),
    /** Only `rest` (JSON over HTTP GET) for now; SOAP backends still need a TypeScript adapter. */
    type: z.literal('rest'),
    /** http(s) base URL; checked against the allow-list (admin.allowLoopback, no link-local/metadata addresses). */
    baseUrl: z.string().url(),
    /** SDL: `extend type Customer { … }` and the section types. */
    typeDefs: z.string().min(1).max(64 * 1024),
    resources: z
      .record(
        z.string().regex(FIELD, 'a resource name: letters and digits'),
        z
          .object({
            /** Path under baseUrl with `{key}` where the (URL-encoded) customer id goes, e.g. `/v2/subscribers/{key}/state`. */
            path: z.string().startsWith('/').includes('{key}', { message: 'must contain {key}' }),
            /** The backend's answer, checked before the mapping. */
            shape: ShapeSchema.optional(),
            /** JSONata: answer → record (default: the answer as it is). */
            mapping: z.string().min(1).max(16 * 1024).optional(),
          })
          .strict(),
      )
      .refine((r) => Object.keys(r).length > 0, 'at least one resource'),
    /** Customer field → the resource it reads (its record is the field's value). */
    fields: z.record(z.string().regex(FIELD, 'a GraphQL field name'), z.object({ resource: z.string() }).strict()),
    /** Resilience and cache policy, same keys and defaults as a configured adapter's. */
    policy: PolicySchema.optional(),
  })
  .strict();

export type DeclarativeAdapter = z.input<typeof DeclarativeAdapterSchema>;

const describe = (value: unknown): string => (value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value === 'object' ? 'an object' : `${typeof value} ${JSON.stringify(value)?.slice(0, 60)}`);

/** zod issues as problems that name the path, what was expected and what was given. */
export function problemsOf(error: z.ZodError, input: unknown, prefix = ''): Problem[] {
  return error.issues.map((issue) => {
    let given: unknown = input;
    for (const step of issue.path) given = given && typeof given === 'object' ? (given as Record<string | number, unknown>)[step] : undefined;
    const expected = 'expected' in issue ? String(issue.expected) : undefined;
    return {
      path: [prefix, ...issue.path].filter((p) => p !== '').join('.') || '(root)',
      message: issue.message,
      ...(expected ? { expected } : {}),
      given: given === undefined ? 'nothing' : describe(given),
    };
  });
}

/** The declared shape as a zod schema (extra properties pass). */
export function shapeToZod(shape: Shape): ZodTypeAny {
  let schema: ZodTypeAny;
  switch (shape.type) {
    case 'string':
      schema = z.string();
      break;
    case 'number':
      schema = z.number();
      break;
    case 'integer':
      schema = z.number().int();
      break;
    case 'boolean':
      schema = z.boolean();
      break;
    case 'array':
      schema = z.array(shape.items ? shapeToZod(shape.items) : z.unknown());
      break;
    case 'object': {
      const required = new Set(shape.required ?? []);
      const fields = Object.fromEntries(Object.entries(shape.properties ?? {}).map(([k, v]) => [k, required.has(k) ? shapeToZod(v) : shapeToZod(v).optional()]));
      schema = z.object(fields).passthrough();
      break;
    }
  }
  return shape.nullable ? schema.nullable() : schema;
}

/** Checks a definition's own consistency (not the network, not the schema as a whole): problems, or the parsed definition. */
export function checkDeclarative(input: unknown): { ok: true; definition: z.output<typeof DeclarativeAdapterSchema> } | { ok: false; problems: Problem[] } {
  const parsed = DeclarativeAdapterSchema.safeParse(input);
  if (!parsed.success) return { ok: false, problems: problemsOf(parsed.error, input) };
  const definition = parsed.data;
  const problems: Problem[] = [];
  for (const [field, binding] of Object.entries(definition.fields)) {
    if (!definition.resources[binding.resource]) {
      problems.push({ path: `fields.${field}.resource`, message: 'names no resource of this definition', expected: `one of ${Object.keys(definition.resources).join(', ')}`, given: binding.resource });
    }
  }
  for (const [name, resource] of Object.entries(definition.resources)) {
    if (!resource.mapping) continue;
    try {
      jsonata(resource.mapping);
    } catch (err) {
      const { message, position } = err as { message: string; position?: number };
      problems.push({ path: `resources.${name}.mapping`, message: `not a valid JSONata expression: ${message}${position !== undefined ? ` (at character ${position})` : ''}`, expected: 'a JSONata expression', given: resource.mapping.slice(0, 80) });
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, definition };
}

/**
 * The allow-list again at every connection: the host was resolved and checked when the definition was put, but a
 * name can be made to resolve elsewhere later (DNS rebinding); a connection to a refused address fails as an error.
 */
function guardedLookup(allowLoopback: boolean) {
  return (hostname: string, options: object, callback: (err: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void): void => {
    dnsLookup(hostname, { ...options, all: true }, (err, addresses) => {
      if (err) return callback(err, []);
      const refused = addresses.map((a) => addressRefusal(a.address, { allowLoopback })).find((r) => r !== null);
      if (refused) return callback(Object.assign(new Error(`refused address: ${refused}`), { code: 'EADDRREFUSED' }), []);
      if ((options as { all?: boolean }).all) return callback(null, addresses);
      const first = addresses[0] as LookupAddress;
      callback(null, first.address, first.family);
    });
  };
}

/** A checked definition as the gateway's adapter and its config entry (policy with every default filled in). */
export function compileDeclarative(input: unknown, options: { allowLoopback: boolean } = { allowLoopback: false }): { adapter: AdapterDefinition<JsonClient> ; entry: AdapterEntry } {
  const checked = checkDeclarative(input);
  if (!checked.ok) throw Object.assign(new Error('invalid declarative adapter'), { problems: checked.problems });
  const definition = checked.definition;
  const resources: AdapterDefinition<JsonClient>['resources'] = {};
  for (const [name, resource] of Object.entries(definition.resources)) {
    // Compiled once here; evaluate() only walks the compiled tree.
    const mapping = resource.mapping ? jsonata(resource.mapping) : null;
    const shape = resource.shape ? shapeToZod(resource.shape) : null;
    const [before, after] = resource.path.split('{key}') as [string, string];
    resources[name] = {
      // The shape check and the (async) JSONata mapping run inside fetch, so both fail the call as bad_response:
      // counted by the breaker, never cached, the section null with SOURCE_UNAVAILABLE.
      fetch: async (client: JsonClient, key: string, ctx: FetchContext) => {
        const raw = await getJson<object>(client, `${before}${encodeURIComponent(key)}${after}`, ctx);
        if (raw === null) return null;
        if (shape) {
          const result = shape.safeParse(raw);
          if (!result.success) {
            const issue = result.error.issues[0];
            throw new BadResponseError(`${name} answer of the wrong shape at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? ''}`, 'wrong_shape');
          }
        }
        if (!mapping) return raw;
        try {
          const record: unknown = await mapping.evaluate(raw);
          // A record is plain JSON (it is cached as JSON and read by compiled queries): JSONata's sequences are arrays.
          return record === undefined ? null : (JSON.parse(JSON.stringify(record)) as unknown);
        } catch (err) {
          throw new BadResponseError(`${name} answer could not be mapped: ${(err as Error).message}`, 'wrong_shape');
        }
      },
    };
  }
  const adapter: AdapterDefinition<JsonClient> = {
    name: definition.name,
    description: definition.description,
    typeDefs: definition.typeDefs,
    // As jsonHttpClient, with the allow-list checked on every connection (a literal IP skips lookup: checked at put).
    connect: ({ url }) => new Pool(url, { connections: 256, keepAliveTimeout: 30_000, pipelining: 1, connect: { lookup: guardedLookup(options.allowLoopback) } as never }),
    close: (client) => client.destroy(),
    resources,
    fields: Object.fromEntries(Object.entries(definition.fields).map(([field, binding]) => [field, { resource: binding.resource }])),
  };
  return { adapter, entry: { name: definition.name, url: definition.baseUrl, policy: PolicySchema.parse(definition.policy ?? {}) } as AdapterEntry };
}
