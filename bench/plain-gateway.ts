/**
 * Baseline: the plain stitched gateway people write first, over the same adapters and mocks. Express and
 * graphql-http, @graphql-tools/stitch type merging on Customer.id, every request parsed and validated, and each
 * section resolver calling its backend directly: no cache, no coalescing, no breaker, no query planning.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import { makeExecutableSchema } from '@graphql-tools/schema';
import { stitchSchemas } from '@graphql-tools/stitch';
import { createHandler } from 'graphql-http/lib/use/express';
import type { AdapterDefinition } from '../gateway/backends/adapter';
import { schemaFile } from '../schemas';

export async function startPlainGateway(urls: Record<string, string>): Promise<{ url: string; close(): void }> {
  const names = Object.keys(urls);
  // eslint-disable-next-line @typescript-eslint/no-require-imports -- adapters are named at run time, as in the gateway
  const adapters = names.map((name) => (require(`../adapters/${name}`) as { default: AdapterDefinition }).default);
  const subschemas = adapters.map((adapter) => {
    const client = adapter.connect({
      url: urls[adapter.name] as string,
      timeoutMs: 10_000,
      maxResponseBytes: 64 * 1024 * 1024,
    });
    const resolvers: Record<string, unknown> = {};
    for (const [fieldName, binding] of Object.entries(adapter.fields)) {
      resolvers[fieldName] = async ({ id }: { id: string }) => {
        const resource = adapter.resources[binding.resource];
        const raw = await resource?.fetch(client, id, {
          signal: new AbortController().signal,
          requestId: 'plain',
          maxResponseBytes: 64 * 1024 * 1024,
        });
        if (raw === null || raw === undefined) throw new Error(`${adapter.name} does not know ${id}`);
        const record = resource?.toRecord ? resource.toRecord(raw) : raw;
        return binding.select ? binding.select(record as never) : record;
      };
    }
    const entry = `_${adapter.name}Customers`;
    return {
      schema: makeExecutableSchema({
        typeDefs: [
          `type Query { ${entry}(ids: [ID!]!): [Customer]! } type Customer { id: ID! }`,
          schemaFile('scalars.graphql'),
          adapter.typeDefs,
        ],
        resolvers: {
          Query: { [entry]: (_: unknown, { ids }: { ids: string[] }) => ids.map((id) => ({ id })) },
          Customer: resolvers,
        },
      }),
      merge: {
        Customer: {
          selectionSet: '{ id }',
          fieldName: entry,
          key: ({ id }: { id: string }) => id,
          argsFromKeys: (ids: readonly string[]) => ({ ids }),
        },
      },
    };
  });
  const core = makeExecutableSchema({
    typeDefs: schemaFile('customer.graphql'),
    resolvers: { Query: { customer: (_: unknown, { id }: { id: string }) => ({ id }) } },
  });
  const schema = stitchSchemas({ subschemas: [{ schema: core }, ...subschemas] });
  const app = express();
  app.use(express.json());
  app.use('/graphql', createHandler({ schema }));
  const server = http.createServer(app);
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => server.close() };
}
