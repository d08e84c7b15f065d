/**
 * A small envelop over a small customer schema, for the audit plugin's tests: the engine, a stand-in for the
 * pipeline's mask plugin (denies `profile.idCardNumber` to call-center agents, masks it for the others), then
 * `useAudit`, in the pipeline's order. The request context is a stand-in too: only `provenance()` (customers a source
 * found), which the resolvers fill as the gateway's RequestContext does. The sink and store under it are real.
 */
import { envelop, useEngine, useSchema, type Plugin } from '@envelop/core';
import { makeExecutableSchema } from '@graphql-tools/schema';
import * as graphql from 'graphql';
import type { ExecutionResult } from 'graphql';
import type { AuditRecorder } from '../../gateway/audit/sink';
import { useAudit, type AuditContext } from '../../gateway/pipeline/audit';

const typeDefs = /* GraphQL */ `
  type Query {
    customer(id: ID!): Customer
    ping: String
  }
  type Customer {
    id: ID!
    profile: Profile
    contacts: [Contact!]
    sources: [String!]
  }
  type Profile {
    name: String
    idCardNumber: String
  }
  type Contact {
    channel: String
    at: String
  }
`;

interface TestContext extends AuditContext {
  found: Set<string>;
}

const schema = makeExecutableSchema<TestContext>({
  typeDefs,
  resolvers: {
    Query: {
      ping: () => 'pong',
      // Ids starting with "X" are unknown customers.
      customer: (_: unknown, { id }: { id: string }, ctx: TestContext) => {
        if (id.startsWith('X')) return null;
        ctx.found.add(id);
        return {
          id,
          profile: { name: `Name of ${id}`, idCardNumber: '110101199003071234' },
          contacts: [{ channel: 'SMS', at: '2026-11-01' }],
          sources: ['crm'],
        };
      },
    },
  },
});

/** Stand-in for the pipeline's mask plugin: runs before audit, changes the answer as rights and masking would. */
const useTestMask = (): Plugin<TestContext> => ({
  onExecute: () => ({
    onExecuteDone: ({ args, result, setResult }) => {
      const denied = args.contextValue.consumer?.role === 'call-center';
      const masked = JSON.parse(JSON.stringify(result), (key, value) =>
        key === 'idCardNumber' && typeof value === 'string'
          ? denied
            ? null
            : `${value.slice(0, 3)}***********${value.slice(-4)}`
          : value,
      ) as ExecutionResult;
      setResult(masked);
    },
  }),
});

export interface RunOptions {
  requestId: string;
  consumer?: { id: string; role: string };
  variables?: Record<string, unknown>;
  facade?: 'graphql' | 'soap';
}

/** Runs one operation through engine → mask → audit; resolves with the answer as it would leave the gateway. */
export function auditedRunner(sink: AuditRecorder, notPersonalData: readonly string[] = ['id', 'sources']) {
  const getEnveloped = envelop({
    plugins: [useEngine(graphql), useSchema(schema), useTestMask(), useAudit(sink, { notPersonalData })],
  });
  return async (
    query: string,
    { requestId, consumer, variables, facade = 'graphql' }: RunOptions,
  ): Promise<ExecutionResult> => {
    const found = new Set<string>();
    const context: TestContext = {
      facade,
      requestId,
      consumer,
      found,
      ucv: { provenance: () => [...found].map((customerId) => ({ customerId, sources: [{ found: true }] })) },
    };
    const run = getEnveloped(context);
    const document = run.parse(query);
    const errors = run.validate(run.schema, document);
    if (errors.length > 0) return { errors };
    const contextValue = await run.contextFactory();
    return (await run.execute({
      schema: run.schema,
      document,
      contextValue,
      variableValues: variables,
    })) as ExecutionResult;
  };
}
