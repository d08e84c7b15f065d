/**
 * Declarative adapters: a REST/JSON or SOAP backend joins the view as data (JSON, sent to `PUT /admin/adapters/:name`),
 * not code. A definition gives the base URL, the resources (a URL template with `{key}`; for SOAP the WSDL, an
 * operation and its key element: declarative-soap.ts), the section SDL, a JSONata
 * mapping from the backend's answer to the record, the record's shape and a policy; `compileDeclarative` turns it
 * into the same `AdapterDefinition` a TypeScript adapter (`defineAdapter`) is, so the gateway treats both alike:
 * the same Source, breaker, bulkhead, retries, cache, coalescing, byte cap, shape check and provenance.
 *
 * JSONata expressions are checked here and run bounded in time, depth and size, outside the event loop (mapping.ts;
 * each mapping process compiles an expression once). The shape is checked before the mapping: an answer of another
 * shape is `bad_response` / `wrong_shape`, as a TypeScript adapter's zod schema does.
 */
import jsonata from 'jsonata';
import { Pool } from 'undici';
import { z, type ZodTypeAny } from 'zod';
import {
  BadResponseError,
  getJson,
  type AdapterDefinition,
  type FetchContext,
  type JsonClient,
} from '../backends/adapter';
import { guardedLookup } from './allow-list';
import { DEFAULT_MAX_WSDL_BYTES, soapAdapter } from './declarative-soap';
import { MappingBoundsSchema, PolicySchema, type AdapterEntry } from '../config';
import { MappingLimitError, mappingRunner, type MappingBounds } from './mapping';

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

/** What REST and SOAP definitions share: the name, the section SDL, the fields and the policy. */
const common = {
  /** Source name, as in provenance: lower-case letters and digits. */
  name: z.string().regex(NAME, 'lower-case letters and digits, starting with a letter, at most 32'),
  description: z.string().min(1).max(500),
  /** SDL: `extend type Customer { … }` and the section types. */
  typeDefs: z
    .string()
    .min(1)
    .max(64 * 1024),
  /** Customer field → the resource it reads (its record is the field's value). */
  fields: z.record(z.string().regex(FIELD, 'a GraphQL field name'), z.object({ resource: z.string() }).strict()),
  /** Resilience and cache policy, same keys and defaults as a configured adapter's. */
  policy: PolicySchema.optional(),
};

/** What every resource has after its address: the answer's shape (checked first), then the JSONata mapping. */
const answer = {
  /** The backend's answer, checked before the mapping. */
  shape: ShapeSchema.optional(),
  /** JSONata: answer → record (default: the answer as it is). */
  mapping: z
    .string()
    .min(1)
    .max(16 * 1024)
    .optional(),
  /**
   * Sample answers of the backend (at most 5): at validate each must have the shape, and the mapping runs on each
   * (and on one answer made from the shape) within admin.mappings' bounds.
   */
  samples: z.array(z.unknown()).max(5).optional(),
};

const atLeastOne = (r: object) => Object.keys(r).length > 0;
const DOT_PATH = /^[A-Za-z_][\w-]*(\.[A-Za-z_][\w-]*)*$/;

const RestAdapterSchema = z
  .object({
    ...common,
    /** JSON over HTTP GET. */
    type: z.literal('rest'),
    /** http(s) base URL; checked against the allow-list (admin.allowLoopback, no link-local/metadata addresses). */
    baseUrl: z.string().url(),
    resources: z
      .record(
        z.string().regex(FIELD, 'a resource name: letters and digits'),
        z
          .object({
            /** Path under baseUrl with `{key}` where the (URL-encoded) customer id goes, e.g. `/v2/subscribers/{key}/state`. */
            path: z.string().startsWith('/').includes('{key}', { message: 'must contain {key}' }),
            ...answer,
          })
          .strict(),
      )
      .refine(atLeastOne, 'at least one resource'),
  })
  .strict();

const SoapAdapterSchema = z
  .object({
    ...common,
    /** SOAP 1.1/1.2 through the service's WSDL (node-soap). */
    type: z.literal('soap'),
    /**
     * The WSDL's http(s) URL. At validate it and every document it imports are fetched (each capped by
     * admin.maxWsdlBytes, all within admin.probeTimeoutMs) and checked against the allow-list.
     */
    wsdlUrl: z.string().url(),
    /** The service's http(s) address, checked like wsdlUrl. Default: the WSDL's own (soap:address), checked at every call. */
    endpoint: z.string().url().optional(),
    resources: z
      .record(
        z.string().regex(FIELD, 'a resource name: letters and digits'),
        z
          .object({
            /** The WSDL operation called, e.g. `GetAccountSummary`. */
            operation: z.string().regex(/^[A-Za-z_][\w.-]{0,127}$/, 'an operation name'),
            /** Where the customer id goes in the operation's input: an element, or a dot path to a nested one (`request.customerId`). */
            key: z.string().regex(DOT_PATH, 'an element name or a dot path of element names'),
            /**
             * The SOAP Fault that means "no record for this customer" (the section is null, not failed): a dot path
             * into the Fault (`faultcode`, `detail.BillingFault.code`) and the value it has then. Any other Fault fails the call.
             */
            notFound: z
              .object({ path: z.string().regex(DOT_PATH, 'a dot path into the Fault'), value: z.string() })
              .strict()
              .optional(),
            ...answer,
          })
          .strict(),
      )
      .refine(atLeastOne, 'at least one resource'),
  })
  .strict();

export const DeclarativeAdapterSchema = z.discriminatedUnion('type', [RestAdapterSchema, SoapAdapterSchema]);

export type DeclarativeAdapter = z.input<typeof DeclarativeAdapterSchema>;
export type SoapDefinition = z.output<typeof SoapAdapterSchema>;

const describe = (value: unknown): string =>
  value === null
    ? 'null'
    : Array.isArray(value)
      ? 'an array'
      : typeof value === 'object'
        ? 'an object'
        : `${typeof value} ${JSON.stringify(value)?.slice(0, 60)}`;

/** zod issues as problems that name the path, what was expected and what was given. */
export function problemsOf(error: z.ZodError, input: unknown, prefix = ''): Problem[] {
  return error.issues.map((issue) => {
    let given: unknown = input;
    for (const step of issue.path)
      given = given && typeof given === 'object' ? (given as Record<string | number, unknown>)[step] : undefined;
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
      const fields = Object.fromEntries(
        Object.entries(shape.properties ?? {}).map(([k, v]) => [
          k,
          required.has(k) ? shapeToZod(v) : shapeToZod(v).optional(),
        ]),
      );
      schema = z.object(fields).passthrough();
      break;
    }
  }
  return shape.nullable ? schema.nullable() : schema;
}

/** Checks a definition's own consistency (not the network, not the schema as a whole): problems, or the parsed definition. */
export function checkDeclarative(
  input: unknown,
): { ok: true; definition: z.output<typeof DeclarativeAdapterSchema> } | { ok: false; problems: Problem[] } {
  const parsed = DeclarativeAdapterSchema.safeParse(input);
  if (!parsed.success) return { ok: false, problems: problemsOf(parsed.error, input) };
  const definition = parsed.data;
  const problems: Problem[] = [];
  for (const [field, binding] of Object.entries(definition.fields)) {
    if (!definition.resources[binding.resource]) {
      problems.push({
        path: `fields.${field}.resource`,
        message: 'names no resource of this definition',
        expected: `one of ${Object.keys(definition.resources).join(', ')}`,
        given: binding.resource,
      });
    }
  }
  for (const [name, resource] of Object.entries(definition.resources)) {
    if (!resource.mapping) continue;
    try {
      jsonata(resource.mapping);
    } catch (err) {
      const { message, position } = err as { message: string; position?: number };
      problems.push({
        path: `resources.${name}.mapping`,
        message: `not a valid JSONata expression: ${message}${position !== undefined ? ` (at character ${position})` : ''}`,
        expected: 'a JSONata expression',
        given: resource.mapping.slice(0, 80),
      });
    }
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, definition };
}

type Checked = z.output<typeof DeclarativeAdapterSchema>;

/** The bounds of compileDeclarative's options, or admin.mappings' defaults. */
const boundsOr = (bounds: MappingBounds | undefined): MappingBounds => bounds ?? MappingBoundsSchema.parse({});

/**
 * A resource's answer → its record: the shape check, then the JSONata mapping, bounded and outside the event loop
 * (mapping.ts). Both run inside fetch, so both fail the call as bad_response: counted by the breaker, never cached,
 * the section null with SOURCE_UNAVAILABLE (detail wrong_shape, or mapping_limit when a bound was exceeded).
 */
function answerReader(
  name: string,
  resource: { shape?: Shape; mapping?: string },
  bounds: MappingBounds,
): (raw: unknown, signal?: AbortSignal) => Promise<unknown> {
  const mapping = resource.mapping;
  const shape = resource.shape ? shapeToZod(resource.shape) : null;
  // A process ready before the first answer arrives (mapping.ts: a start is slow on a loaded machine).
  if (mapping) mappingRunner(bounds).warm();
  return async (raw, signal) => {
    if (shape) {
      const result = shape.safeParse(raw);
      if (!result.success) {
        const issue = result.error.issues[0];
        throw new BadResponseError(
          `${name} answer of the wrong shape at ${issue?.path.join('.') || '(root)'}: ${issue?.message ?? ''}`,
          'wrong_shape',
        );
      }
    }
    if (!mapping) return raw;
    try {
      return await mappingRunner(bounds).evaluate(mapping, raw, signal);
    } catch (err) {
      if (err instanceof BadResponseError)
        throw Object.assign(err, { message: `${name} answer could not be mapped: ${err.message}` });
      throw err;
    }
  };
}

/** An answer of the shape, every declared property present: a sample for a definition that gives none. */
export function sampleOf(shape: Shape | undefined): unknown {
  if (!shape) return {};
  switch (shape.type) {
    case 'string':
      return 'sample';
    case 'number':
    case 'integer':
      return 1;
    case 'boolean':
      return true;
    case 'array':
      return [sampleOf(shape.items ?? { type: 'string' })];
    case 'object':
      return Object.fromEntries(Object.entries(shape.properties ?? {}).map(([k, v]) => [k, sampleOf(v)]));
  }
}

/**
 * The validate step's dry run of each mapping: on the declared samples (each must have the shape) and on one made
 * from the shape, within the bounds. A bound exceeded on any, or a declared sample the mapping fails on, is a problem
 * naming the resource's mapping (or the sample).
 */
export async function dryRunMappings(
  definition: z.output<typeof DeclarativeAdapterSchema>,
  bounds: MappingBounds,
): Promise<Problem[]> {
  const problems: Problem[] = [];
  for (const [name, resource] of Object.entries(definition.resources)) {
    const shape = resource.shape ? shapeToZod(resource.shape) : null;
    const declared: unknown[] = resource.samples ?? [];
    declared.forEach((sample, i) => {
      const checked = shape?.safeParse(sample);
      if (checked && !checked.success)
        problems.push(...problemsOf(checked.error, sample, `resources.${name}.samples.${i}`));
    });
    if (!resource.mapping || problems.length > 0) continue;
    const samples: Array<[string, unknown]> = [
      ...declared.map((sample, i): [string, unknown] => [`sample ${i}`, sample]),
      ['an answer made from the shape', sampleOf(resource.shape)],
    ];
    for (const [which, sample] of samples) {
      try {
        await mappingRunner(bounds).evaluate(resource.mapping, sample);
      } catch (err) {
        const limit = err instanceof MappingLimitError;
        // A made-up answer may well not suit the mapping (a type error): only a bound exceeded counts on it.
        if (!limit && !which.startsWith('sample')) continue;
        problems.push({
          path: `resources.${name}.mapping`,
          message: `${limit ? 'exceeds admin.mappings on' : 'fails on'} ${which}: ${(err as Error).message}`,
          expected: limit
            ? `a mapping that finishes within ${bounds.timeoutMs} ms, ${bounds.maxDepth} nested evaluations and ${bounds.maxOutputBytes} bytes`
            : 'a mapping that maps the declared samples',
          given: resource.mapping.slice(0, 80),
        });
        break;
      }
    }
  }
  return problems;
}

function restAdapter(
  definition: Extract<Checked, { type: 'rest' }>,
  allowLoopback: boolean,
  bounds: MappingBounds,
): AdapterDefinition<JsonClient> {
  const resources: AdapterDefinition<JsonClient>['resources'] = {};
  for (const [name, resource] of Object.entries(definition.resources)) {
    const read = answerReader(name, resource, bounds);
    const [before, after] = resource.path.split('{key}') as [string, string];
    resources[name] = {
      fetch: async (client: JsonClient, key: string, ctx: FetchContext) => {
        const raw = await getJson<object>(client, `${before}${encodeURIComponent(key)}${after}`, ctx);
        return raw === null ? null : read(raw, ctx.signal);
      },
    };
  }
  return {
    name: definition.name,
    description: definition.description,
    typeDefs: definition.typeDefs,
    // As jsonHttpClient, with the allow-list checked on every connection (a literal IP skips lookup: checked at put).
    connect: ({ url }) =>
      new Pool(url, {
        connections: 256,
        keepAliveTimeout: 30_000,
        pipelining: 1,
        connect: { lookup: guardedLookup(allowLoopback) } as never,
      }),
    close: (client) => client.destroy(),
    resources,
    fields: Object.fromEntries(
      Object.entries(definition.fields).map(([field, binding]) => [field, { resource: binding.resource }]),
    ),
  };
}

/** A checked definition as the gateway's adapter and its config entry (policy with every default filled in). */
export function compileDeclarative(
  input: unknown,
  options: { allowLoopback: boolean; maxWsdlBytes?: number; mappings?: MappingBounds } = { allowLoopback: false },
): { adapter: AdapterDefinition; entry: AdapterEntry } {
  const checked = checkDeclarative(input);
  if (!checked.ok) throw Object.assign(new Error('invalid declarative adapter'), { problems: checked.problems });
  const definition = checked.definition;
  const bounds = boundsOr(options.mappings);
  const adapter =
    definition.type === 'rest'
      ? (restAdapter(definition, options.allowLoopback, bounds) as AdapterDefinition)
      : (soapAdapter(definition, {
          allowLoopback: options.allowLoopback,
          maxWsdlBytes: options.maxWsdlBytes ?? DEFAULT_MAX_WSDL_BYTES,
          read: (name, resource) => answerReader(name, resource, bounds),
        }) as AdapterDefinition);
  const url = definition.type === 'rest' ? definition.baseUrl : definition.wsdlUrl;
  return {
    adapter,
    entry: { name: definition.name, url, policy: PolicySchema.parse(definition.policy ?? {}) } as AdapterEntry,
  };
}
