/**
 * Builds the gateway's GraphQL schema from the configured sources: the core (roots and the Customer key), each
 * adapter's section(s) on Customer, and the gateway's provenance (`sources`), merged as type definitions
 * (`makeExecutableSchema`) with one resolver map.
 *
 * Adapters run in the gateway's process, so their sections are composed as local type definitions and resolvers on
 * one merged `Customer` type, joined on the customer id, rather than as subschemas reached by delegation: measured
 * on the cached full view, per-request delegation cost ~2.5 ms of CPU and held the gateway to ~390 req/s (see the
 * commit that made this change). Each section resolver loads its bound resource through the request context, so a
 * backend is called only for the sections a query selects.
 */
import { makeExecutableSchema } from '@graphql-tools/schema';
import type { IResolvers } from '@graphql-tools/utils';
import {
  Kind,
  parse,
  type GraphQLField,
  type GraphQLResolveInfo,
  type GraphQLSchema,
  type SelectionSetNode,
} from 'graphql';
import { schemaFile } from '../../schemas';
import { ConfigError } from '../config';
import { gatewayError } from '../errors';
import type { RequestContext } from './request-context';
import type { Source } from '../backends/source';

export type GraphQLContext = Record<PropertyKey, unknown> & { ucv: RequestContext };

interface CustomerRef {
  id: string;
}

const CUSTOMER_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** The one message for a malformed mobile number, on GraphQL (BAD_USER_INPUT) and SOAP (its fault). */
export const MSISDN_MESSAGE = 'msisdn must be an 11-digit mobile number, e.g. 13800138000.';

/** 11-digit mainland mobile number; +86/86 prefixes, spaces and dashes are accepted and removed. */
export function normalizeMsisdn(input: string): string | null {
  const digits = input.replace(/[\s-]/g, '').replace(/^(\+?86)(?=1\d{10}$)/, '');
  return /^1\d{10}$/.test(digits) ? digits : null;
}

function sectionError(source: Source, outcome: { ok: false; reason: string; detail?: string }) {
  return gatewayError(
    `The ${source.name} system is unavailable (${outcome.reason.replace('_', ' ')}); its sections are null.`,
    {
      code: 'SOURCE_UNAVAILABLE',
      source: source.name,
      reason: outcome.reason as never,
      // What was wrong with a bad_response (too_large, wrong_shape, unreadable, mapping_limit); absent otherwise.
      ...(outcome.detail ? { detail: outcome.detail } : {}),
    },
  );
}

/** The resolvers of one adapter's Customer fields: each loads its bound resource for the customer. */
function sectionResolvers(
  source: Source,
  owned: ReadonlyMap<string, readonly DerivedField[]>,
  prefetch: (ucv: RequestContext, customerId: string, sections: readonly string[]) => void,
): Record<
  string,
  (customer: CustomerRef, args: unknown, context: GraphQLContext, info: GraphQLResolveInfo) => Promise<unknown>
> {
  const resolvers: Record<
    string,
    (customer: CustomerRef, args: unknown, context: GraphQLContext, info: GraphQLResolveInfo) => Promise<unknown>
  > = {};
  for (const [fieldName, binding] of Object.entries(source.adapter.fields)) {
    const derived = owned.get(fieldName);
    if (derived) {
      // A section a derived field hangs off: its objects are remembered as this customer's (see DerivedField), and
      // when the query asks for a derived field, the sections it reads start now, alongside this one (so they cost
      // no extra round trip, and the provenance, settled before it is answered, counts them).
      resolvers[fieldName] = async (customer, _args, { ucv }, info) => {
        for (const d of derived) if (selects(info, d.field)) prefetch(ucv, customer.id, d.reads);
        const value = await readSection(source, binding, customer.id, ucv);
        for (const item of Array.isArray(value) ? value : [value])
          if (item !== null && typeof item === 'object') OWNER.set(item, customer.id);
        return value;
      };
      continue;
    }
    resolvers[fieldName] = (customer, _args, { ucv }) => readSection(source, binding, customer.id, ucv);
  }
  return resolvers;
}

/** Whether the field being resolved selects `name` in its own selection (directly or through fragments). */
function selects(info: GraphQLResolveInfo, name: string): boolean {
  const within = (set: SelectionSetNode | undefined, depth: number): boolean =>
    set !== undefined &&
    depth < 8 &&
    set.selections.some((s) =>
      s.kind === Kind.FIELD
        ? s.name.value === name
        : s.kind === Kind.INLINE_FRAGMENT
          ? within(s.selectionSet, depth + 1)
          : within(info.fragments[s.name.value]?.selectionSet, depth + 1),
    );
  return info.fieldNodes.some((node) => within(node.selectionSet, 0));
}

/** One section of one customer through the request's loads: its value, or the section's error (thrown). */
async function readSection(
  source: Source,
  binding: Source['adapter']['fields'][string],
  customerId: string,
  ucv: RequestContext,
): Promise<unknown> {
  const outcome = await ucv.load(source, binding.resource, customerId, customerId);
  if (!outcome.ok) throw sectionError(source, outcome);
  if (outcome.value === null) {
    throw gatewayError(`The ${source.name} system does not know customer ${customerId}.`, {
      code: 'NOT_FOUND',
      source: source.name,
    });
  }
  return binding.select ? binding.select(outcome.value as never) : outcome.value;
}

/**
 * The customer each object of a section that a derived field hangs off belongs to. Keyed by the object itself: a
 * record is one customer's whatever request or cache entry it came from, and an entry goes when its object does.
 */
const OWNER = new WeakMap<object, string>();

/**
 * A field the gateway computes over other sections of the same customer, on a type a section returns (e.g.
 * `Recommendation.withheld` from the profile, products and billing). Plain data, given by the composition root,
 * so the view names no consumer's rule.
 */
export interface DerivedField {
  /** The type it extends, e.g. `Recommendation`; the field is added only when an adapter defines that type. */
  type: string;
  field: string;
  /** Its SDL: `extend type <type> { <field>: … }` and the types it returns. */
  typeDefs: string;
  /** The Customer sections it reads (each read through the request's loads, so a record is fetched once). */
  reads: readonly string[];
  /**
   * The coordinates (`Type.field`) its value reveals: a role that may not read one of them may not read this field
   * either (the rights plugin denies it, so it never runs).
   */
  reveals: readonly string[];
  /** The value: `sections` null where a section's system does not know the customer; `read` false where it failed. */
  resolve(parent: unknown, view: { sections: Record<string, unknown>; read: Record<string, boolean> }): unknown;
}

/** Where a derived field finds its coordinates' dependencies: its `reveals`, kept on the schema field. */
export const REVEALS = 'ucvReveals';

/** Starts the loads of a customer's sections (each record once per request: a later read shares the call). */
function prefetcher(
  sources: readonly Source[],
): (ucv: RequestContext, customerId: string, sections: readonly string[]) => void {
  const readers = new Map<string, [Source, string]>();
  for (const source of sources)
    for (const [fieldName, binding] of Object.entries(source.adapter.fields))
      readers.set(fieldName, [source, binding.resource]);
  return (ucv, customerId, sections) => {
    for (const section of sections) {
      const reader = readers.get(section);
      if (reader) void ucv.load(reader[0], reader[1], customerId, customerId);
    }
  };
}

/** The resolvers of the derived fields whose type the schema has, and their SDL. */
function derivedFields(
  sources: readonly Source[],
  derived: readonly DerivedField[],
  types: ReadonlySet<string>,
): { typeDefs: string[]; resolvers: IResolvers[] } {
  const readers = new Map<string, [Source, Source['adapter']['fields'][string]]>();
  for (const source of sources)
    for (const [fieldName, binding] of Object.entries(source.adapter.fields)) readers.set(fieldName, [source, binding]);
  const present = derived.filter((d) => types.has(d.type));
  return {
    typeDefs: present.map((d) => d.typeDefs),
    resolvers: present.map((d) => ({
      [d.type]: {
        [d.field]: async (parent: unknown, _args: unknown, { ucv }: GraphQLContext) => {
          const customerId = parent !== null && typeof parent === 'object' ? OWNER.get(parent) : undefined;
          if (customerId === undefined) return null;
          const sections: Record<string, unknown> = {};
          const read: Record<string, boolean> = {};
          await Promise.all(
            d.reads.map(async (section) => {
              const reader = readers.get(section);
              sections[section] = null;
              read[section] = false;
              if (!reader) return;
              const outcome = await ucv.load(reader[0], reader[1].resource, customerId, customerId);
              if (!outcome.ok) return;
              read[section] = true;
              if (outcome.value !== null)
                sections[section] = reader[1].select ? reader[1].select(outcome.value as never) : outcome.value;
            }),
          );
          return d.resolve(parent, { sections, read });
        },
      },
    })),
  };
}

function rootResolvers(sources: readonly Source[], reads: Readonly<Record<string, readonly string[]>> = {}) {
  const directory = sources.find((s) => s.adapter.directory);
  /** Customer field → the (source, resource) it reads, computed once. */
  const readers = new Map<string, [Source, string]>();
  for (const source of sources)
    for (const [fieldName, binding] of Object.entries(source.adapter.fields))
      readers.set(fieldName, [source, binding.resource]);

  /** Which resources of which sources the selected Customer fields need, each once. */
  const neededResources = (fields: ReadonlySet<string>): Array<[Source, string]> => {
    const needed = new Map<string, [Source, string]>();
    for (const field of fields) {
      // A field the gateway computes reads the sections it is computed from.
      for (const read of [field, ...(reads[field] ?? [])]) {
        const reader = readers.get(read);
        if (reader) needed.set(`${reader[0].name}\u0000${reader[1]}`, reader);
      }
    }
    return [...needed.values()];
  };

  /**
   * Starts every call the query needs at once (so a full view costs the slowest backend, not the sum), then, when
   * the query asks for the directory's sections, lets the directory decide whether the customer exists.
   */
  async function resolveCustomer(id: string, ucv: RequestContext): Promise<CustomerRef | null> {
    const needed = neededResources(ucv.customerFields);
    for (const [source, resource] of needed) void ucv.load(source, resource, id, id);
    if (directory?.adapter.directory && needed.some(([source]) => source === directory)) {
      const outcome = await ucv.load(directory, directory.adapter.directory.existenceResource, id, id);
      if (outcome.ok && outcome.value === null) {
        throw gatewayError(`No customer has id ${id}.`, { code: 'NOT_FOUND', source: directory.name });
      }
    }
    return { id };
  }

  return {
    customer: (_: unknown, { id }: { id: string }, { ucv }: GraphQLContext) => {
      if (!CUSTOMER_ID.test(id)) {
        throw gatewayError('id must be 1 to 64 letters, digits, "-" or "_", e.g. C00000001.', {
          code: 'BAD_USER_INPUT',
          argument: 'id',
        });
      }
      return resolveCustomer(id, ucv);
    },
    customerByMsisdn: async (_: unknown, { msisdn }: { msisdn: string }, { ucv }: GraphQLContext) => {
      const normalized = normalizeMsisdn(msisdn);
      if (!normalized) {
        throw gatewayError(MSISDN_MESSAGE, { code: 'BAD_USER_INPUT', argument: 'msisdn' });
      }
      const lookup = directory?.adapter.directory;
      if (!directory || !lookup) throw gatewayError('No source resolves mobile numbers.', { code: 'NOT_FOUND' });
      const outcome = await ucv.load(directory, lookup.msisdnResource, normalized);
      if (!outcome.ok) throw sectionError(directory, outcome);
      if (typeof outcome.value !== 'string') {
        throw gatewayError(`No customer has mobile number ${normalized}.`, {
          code: 'NOT_FOUND',
          source: directory.name,
        });
      }
      ucv.record(outcome.value, directory.name, outcome);
      return resolveCustomer(outcome.value, ucv);
    },
  };
}

/**
 * The Customer fields each adapter's SDL adds. Merging type definitions would silently keep one of two definitions
 * of the same field, so a field claimed by two adapters (or by an adapter and the core) is a configuration error,
 * and so is a Customer field an adapter adds without binding it to a resource.
 */
function checkCustomerFields(
  sources: readonly Source[],
  gatewayFields: readonly string[] = [],
): { fieldTypes: Map<string, string>; types: Set<string> } {
  const fieldTypes = new Map<string, string>();
  const types = new Set<string>();
  const owner = new Map<string, string>([
    ['id', 'the core'],
    ['sources', 'the core'],
    ...gatewayFields.map((name) => [name, 'the gateway'] as [string, string]),
  ]);
  for (const source of sources) {
    for (const definition of parse(source.adapter.typeDefs).definitions) {
      if (definition.kind === Kind.OBJECT_TYPE_DEFINITION) types.add(definition.name.value);
      if (
        (definition.kind !== Kind.OBJECT_TYPE_EXTENSION && definition.kind !== Kind.OBJECT_TYPE_DEFINITION) ||
        definition.name.value !== 'Customer'
      )
        continue;
      for (const field of definition.fields ?? []) {
        const name = field.name.value;
        const previous = owner.get(name);
        if (previous)
          throw new ConfigError(`adapter ${source.name}: Customer.${name} is already defined by ${previous}`);
        owner.set(name, `adapter ${source.name}`);
        let type = field.type;
        while (type.kind !== Kind.NAMED_TYPE) type = type.type;
        fieldTypes.set(name, type.name.value);
        if (!Object.hasOwn(source.adapter.fields, name))
          throw new ConfigError(
            `adapter ${source.name}: Customer.${name} is not bound to a resource (add it to fields)`,
          );
      }
    }
  }
  return { fieldTypes, types };
}

/** More of the schema than the views: the mutations (touchpoints), with their SDL and resolvers. */
export interface SchemaExtension {
  typeDefs: string[];
  resolvers: IResolvers[];
  /** Fields the gateway computes over a customer's sections (added when their type exists). */
  derived?: readonly DerivedField[];
  /**
   * Customer fields the gateway computes from sections (steering reads insights and score): field → the Customer
   * fields it reads. The root starts their loads with the query's others, and an adapter may not claim the field.
   */
  reads?: Readonly<Record<string, readonly string[]>>;
}

export function buildSchema(
  sources: readonly Source[],
  extension: SchemaExtension = { typeDefs: [], resolvers: [] },
): GraphQLSchema {
  const { fieldTypes, types } = checkCustomerFields(sources, Object.keys(extension.reads ?? {}));
  const derived = derivedFields(sources, extension.derived ?? [], types);
  const owned = new Map<string, DerivedField[]>();
  for (const [field, type] of fieldTypes) {
    const on = (extension.derived ?? []).filter((d) => d.type === type);
    if (on.length > 0) owned.set(field, on);
  }
  const prefetch = prefetcher(sources);
  const schema = makeExecutableSchema({
    typeDefs: [
      schemaFile('scalars.graphql'),
      schemaFile('customer.graphql'),
      schemaFile('sources.graphql'),
      ...sources.map((s) => s.adapter.typeDefs),
      ...extension.typeDefs,
      ...derived.typeDefs,
    ],
    resolvers: [
      ...extension.resolvers,
      ...derived.resolvers,
      { Query: rootResolvers(sources, extension.reads) },
      ...sources.map((source) => ({ Customer: sectionResolvers(source, owned, prefetch) })),
      {
        Customer: {
          // Sections resolve concurrently; the root started every load this customer needs, so once they are
          // settled the provenance is complete.
          sources: async (customer: CustomerRef, _args: unknown, { ucv }: GraphQLContext) => {
            await ucv.settled(customer.id);
            return ucv.sourcesOf(customer.id);
          },
        },
      },
    ] as IResolvers[],
  });
  // What a derived field reveals, on its schema field, for the rights plugin.
  for (const d of extension.derived ?? []) {
    const type = schema.getType(d.type);
    const field =
      type && 'getFields' in type
        ? (type.getFields() as Record<string, GraphQLField<unknown, unknown>>)[d.field]
        : undefined;
    if (field) field.extensions = { ...field.extensions, [REVEALS]: d.reveals };
  }
  return schema;
}
