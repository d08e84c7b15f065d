/**
 * Builds the gateway's GraphQL schema from the configured sources: one subschema per adapter, type-merged on the
 * customer id with @graphql-tools/stitch, plus the gateway's own core (the roots) and provenance (`sources`).
 *
 * Every adapter subschema has the same shape: an entry point `_<source>Customers(ids)` that stitching calls to
 * merge `Customer`, and one resolver per section field that loads the bound resource through the request context.
 * Backend calls therefore happen only for the sections a query selects.
 */
import { makeExecutableSchema } from '@graphql-tools/schema';
import { stitchSchemas } from '@graphql-tools/stitch';
import type { SubschemaConfig } from '@graphql-tools/delegate';
import { filterSchema, type IResolvers } from '@graphql-tools/utils';
import type { GraphQLSchema } from 'graphql';
import { schemaFile } from '../schemas';
import { gatewayError } from './errors';
import type { RequestContext } from './request-context';
import type { Source } from './source';

export type GraphQLContext = Record<PropertyKey, unknown> & { ucv: RequestContext };

interface CustomerRef {
  id: string;
}

const CUSTOMER_ID = /^[A-Za-z0-9_-]{1,64}$/;

/** 11-digit mainland mobile number; +86/86 prefixes, spaces and dashes are accepted and removed. */
export function normalizeMsisdn(input: string): string | null {
  const digits = input.replace(/[\s-]/g, '').replace(/^(\+?86)(?=1\d{10}$)/, '');
  return /^1\d{10}$/.test(digits) ? digits : null;
}

const entryPoint = (source: Source): string => `_${source.name}Customers`;

function sectionError(source: Source, outcome: { ok: false; reason: string }) {
  return gatewayError(`The ${source.name} system is unavailable (${outcome.reason.replace('_', ' ')}); its sections are null.`, {
    code: 'SOURCE_UNAVAILABLE',
    source: source.name,
    reason: outcome.reason as never,
  });
}

function adapterSubschema(source: Source): SubschemaConfig {
  const customerResolvers: Record<string, unknown> = {};
  for (const [fieldName, binding] of Object.entries(source.adapter.fields)) {
    customerResolvers[fieldName] = async (customer: CustomerRef, _args: unknown, { ucv }: GraphQLContext) => {
      const outcome = await ucv.load(source, binding.resource, customer.id, customer.id);
      if (!outcome.ok) throw sectionError(source, outcome);
      if (outcome.value === null) {
        throw gatewayError(`The ${source.name} system does not know customer ${customer.id}.`, { code: 'NOT_FOUND', source: source.name });
      }
      return binding.select ? binding.select(outcome.value as never) : outcome.value;
    };
  }
  const schema = makeExecutableSchema({
    typeDefs: [`type Query { ${entryPoint(source)}(ids: [ID!]!): [Customer]! } type Customer { id: ID! }`, schemaFile('scalars.graphql'), source.adapter.typeDefs],
    resolvers: {
      Query: { [entryPoint(source)]: (_: unknown, { ids }: { ids: string[] }) => ids.map((id) => ({ id })) },
      Customer: customerResolvers,
    } as IResolvers,
  });
  return {
    schema,
    batch: true,
    merge: {
      Customer: {
        selectionSet: '{ id }',
        fieldName: entryPoint(source),
        key: ({ id }: CustomerRef) => id,
        argsFromKeys: (ids: readonly string[]) => ({ ids }),
      },
    },
  };
}

/** Which resources of which sources the request's selected Customer fields need. */
function neededResources(sources: readonly Source[], fields: ReadonlySet<string>): Array<[Source, string]> {
  const needed: Array<[Source, string]> = [];
  for (const source of sources) {
    const resources = new Set<string>();
    for (const [fieldName, binding] of Object.entries(source.adapter.fields)) if (fields.has(fieldName)) resources.add(binding.resource);
    for (const resource of resources) needed.push([source, resource]);
  }
  return needed;
}

function coreSubschema(sources: readonly Source[]): SubschemaConfig {
  const directory = sources.find((s) => s.adapter.directory);

  /**
   * Starts every call the query needs at once (so a full view costs the slowest backend, not the sum), then, when
   * the query asks for the directory's sections, lets the directory decide whether the customer exists.
   */
  async function resolveCustomer(id: string, ucv: RequestContext): Promise<CustomerRef | null> {
    const needed = neededResources(sources, ucv.customerFields);
    for (const [source, resource] of needed) void ucv.load(source, resource, id, id);
    if (directory?.adapter.directory && needed.some(([source]) => source === directory)) {
      const outcome = await ucv.load(directory, directory.adapter.directory.existenceResource, id, id);
      if (outcome.ok && outcome.value === null) {
        throw gatewayError(`No customer has id ${id}.`, { code: 'NOT_FOUND', source: directory.name });
      }
    }
    return { id };
  }

  const schema = makeExecutableSchema({
    typeDefs: schemaFile('customer.graphql'),
    resolvers: {
      Query: {
        customer: (_: unknown, { id }: { id: string }, { ucv }: GraphQLContext) => {
          if (!CUSTOMER_ID.test(id)) {
            throw gatewayError('id must be 1 to 64 letters, digits, "-" or "_", e.g. C00000001.', { code: 'BAD_USER_INPUT', argument: 'id' });
          }
          return resolveCustomer(id, ucv);
        },
        customerByMsisdn: async (_: unknown, { msisdn }: { msisdn: string }, { ucv }: GraphQLContext) => {
          const normalized = normalizeMsisdn(msisdn);
          if (!normalized) {
            throw gatewayError('msisdn must be an 11-digit mobile number, e.g. 13800138000.', { code: 'BAD_USER_INPUT', argument: 'msisdn' });
          }
          const lookup = directory?.adapter.directory;
          if (!directory || !lookup) throw gatewayError('No source resolves mobile numbers.', { code: 'NOT_FOUND' });
          const outcome = await ucv.load(directory, lookup.msisdnResource, normalized);
          if (!outcome.ok) throw sectionError(directory, outcome);
          if (typeof outcome.value !== 'string') {
            throw gatewayError(`No customer has mobile number ${normalized}.`, { code: 'NOT_FOUND', source: directory.name });
          }
          ucv.record(outcome.value, directory.name, outcome);
          return resolveCustomer(outcome.value, ucv);
        },
      },
    },
  });
  return { schema };
}

export function buildSchema(sources: readonly Source[]): GraphQLSchema {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any -- stitching types its context loosely
  const stitched = stitchSchemas<Record<string, any>>({
    subschemas: [coreSubschema(sources), ...sources.map(adapterSubschema)],
    typeDefs: [schemaFile('scalars.graphql'), schemaFile('sources.graphql')],
    resolvers: {
      Customer: {
        sources: {
          selectionSet: '{ id }',
          // Stitching merges every section of a customer before its gateway-level fields resolve, so by now the
          // request has recorded the outcome of each source it called for this customer.
          resolve: (customer: CustomerRef, _args: unknown, context: Record<string, unknown>) => (context as GraphQLContext).ucv.sourcesOf(customer.id),
        },
      },
    },
  });
  // The merge entry points are plumbing between gateway and subschemas, not part of the public schema.
  return filterSchema({ schema: stitched, rootFieldFilter: (_operation, fieldName) => !fieldName.startsWith('_') });
}
