/**
 * The definitions kind `adapter`: declarative adapters registered through /admin/adapters.
 *
 *   validate  the definition on its own (declarative.ts), each mapping's dry run on sample answers within
 *             `admin.mappings` (mapping.ts), then its base URL: http(s) only, every address its host resolves to
 *             outside the blocked ranges (allowList.ts), and reachable (an HTTP answer, any status, within
 *             `admin.probeTimeoutMs`, its connection checked again: DNS rebinding); a SOAP definition's WSDL and
 *             every document it imports instead, each capped by `admin.maxWsdlBytes`, and its operations and key
 *             elements (declarative-soap.ts)
 *   dryRun    builds the runtime the change would make, without swapping it in: the schema diff, or the problems
 *             only the whole set shows (a Customer field or a type defined twice, an unknown type)
 *   apply     builds that runtime and swaps it in; the running one stays when it cannot be built
 */
import { findBreakingChanges, isObjectType, Kind, parse, type GraphQLSchema } from 'graphql';
import { Agent, request } from 'undici';
import { schemaFile } from '../../schemas';
import { worstCallMs, type GatewayConfig } from '../config';
import { DefinitionRefused, type DefinitionKind, type Problem } from '../definitions';
import { checkAddress, guardedLookup, type AllLookup } from './allow-list';
import { checkDeclarative, compileDeclarative, dryRunMappings } from './declarative';
import { inspectWsdl } from './declarative-soap';
import {
  buildRuntime,
  discardRuntime,
  type Runtime,
  type RuntimeAdapter,
  type RuntimeHolder,
  type RuntimeShared,
} from './index';

export interface AdapterKindDeps {
  holder: RuntimeHolder;
  shared: RuntimeShared;
  /** The adapters of the config file: always there, never replaced by a registered one. */
  configured: readonly RuntimeAdapter[];
  admin: GatewayConfig['admin'];
  /** `shutdown.graceMs`: the longest call a registered adapter's policy may allow. */
  graceMs: number;
}

const CORE_TYPES = new Set(
  ['scalars.graphql', 'customer.graphql', 'sources.graphql'].flatMap((file) =>
    parse(schemaFile(file)).definitions.flatMap((d) =>
      'name' in d && d.name && !String(d.kind).endsWith('_EXTENSION') ? [d.name.value] : [],
    ),
  ),
);

/** Types defined (not extended) by two adapters would be merged silently by makeExecutableSchema: a clash. */
function typeClashes(adapters: readonly RuntimeAdapter[]): Problem[] {
  const owner = new Map<string, string>([...CORE_TYPES].map((t) => [t, 'the core']));
  const problems: Problem[] = [];
  for (const { adapter } of adapters) {
    let document;
    try {
      document = parse(adapter.typeDefs);
    } catch (err) {
      problems.push({
        path: 'typeDefs',
        message: `adapter ${adapter.name}: not valid SDL: ${(err as Error).message}`,
        expected: 'GraphQL SDL',
        given: adapter.typeDefs.slice(0, 80),
      });
      continue;
    }
    for (const d of document.definitions) {
      if (!('name' in d) || !d.name || d.kind === Kind.OBJECT_TYPE_EXTENSION || String(d.kind).endsWith('_EXTENSION'))
        continue;
      const previous = owner.get(d.name.value);
      if (previous)
        problems.push({
          path: 'typeDefs',
          message: `adapter ${adapter.name}: type ${d.name.value} is already defined by ${previous}`,
          expected: 'a type name of its own',
          given: d.name.value,
        });
      else owner.set(d.name.value, `adapter ${adapter.name}`);
    }
  }
  return problems;
}

const customerFields = (schema: GraphQLSchema): string[] => {
  const customer = schema.getType('Customer');
  return isObjectType(customer) ? Object.keys(customer.getFields()) : [];
};

export function schemaDiff(before: GraphQLSchema, after: GraphQLSchema) {
  const old = new Set(customerFields(before));
  const now = new Set(customerFields(after));
  return {
    addedFields: [...now].filter((f) => !old.has(f)),
    removedFields: [...old].filter((f) => !now.has(f)),
    breakingChanges: findBreakingChanges(before, after).map((c) => c.description),
  };
}

/**
 * Probes the base URL: any HTTP answer means reachable. The body is never read. The connection goes through the
 * allow-list again (guardedLookup), as every run-time call does: the name was resolved and checked a moment ago,
 * but it may resolve elsewhere now (DNS rebinding), and the probe must not reach what the check refused.
 */
export async function probe(
  url: string,
  timeoutMs: number,
  allowLoopback: boolean,
  resolve?: AllLookup,
): Promise<string | null> {
  const dispatcher = new Agent({ connect: { lookup: guardedLookup(allowLoopback, resolve) } as never });
  try {
    const response = await request(url, {
      method: 'GET',
      dispatcher,
      signal: AbortSignal.timeout(timeoutMs),
      maxRedirections: 0,
    } as Parameters<typeof request>[1]);
    response.body.on('error', () => undefined); // destroying an unread body emits an abort: expected here
    response.body.destroy();
    return null;
  } catch (err) {
    return (err as Error).name === 'TimeoutError' ? `no answer within ${timeoutMs} ms` : (err as Error).message;
  } finally {
    void dispatcher.close().catch(() => undefined);
  }
}

export function adapterKind(deps: AdapterKindDeps): DefinitionKind {
  const { holder, shared, configured, admin, graceMs } = deps;

  /** The runtime a set of registered definitions makes (not swapped in): or the problems why not. */
  const candidate = (definitions: ReadonlyMap<string, unknown>, version: number): Runtime => {
    const registered: RuntimeAdapter[] = [];
    for (const [name, definition] of definitions) {
      const { adapter, entry } = compileDeclarative(definition, {
        allowLoopback: admin.allowLoopback,
        maxWsdlBytes: admin.maxWsdlBytes,
        mappings: admin.mappings,
      });
      if (adapter.name !== name)
        throw new DefinitionRefused([
          { path: 'name', message: 'must be the name in the URL', expected: name, given: adapter.name },
        ]);
      registered.push({ adapter, entry, fingerprint: JSON.stringify(definition), origin: 'registered' });
    }
    const all = [...configured, ...registered];
    const clashes = typeClashes(all);
    const configuredNames = new Set(configured.map((a) => a.adapter.name));
    for (const r of registered) {
      if (configuredNames.has(r.adapter.name))
        clashes.push({
          path: 'name',
          message: `${r.adapter.name} is a configured adapter's name`,
          expected: 'a name of its own',
          given: r.adapter.name,
        });
    }
    if (clashes.length > 0) throw new DefinitionRefused(clashes);
    try {
      return buildRuntime(shared, all, version, holder.current);
    } catch (err) {
      throw new DefinitionRefused([{ path: 'typeDefs', message: (err as Error).message }]);
    }
  };

  const withChange = async (name: string, definition: unknown): Promise<Map<string, unknown>> => {
    const running = new Map(
      holder.current.adapters
        .filter((a) => a.origin === 'registered')
        .map((a) => [a.adapter.name, JSON.parse(a.fingerprint) as unknown]),
    );
    if (definition === null) running.delete(name);
    else running.set(name, definition);
    return running;
  };

  return {
    kind: 'adapter',
    async validate(definition, name) {
      const checked = checkDeclarative(definition);
      if (!checked.ok) return checked.problems;
      if (checked.definition.name !== name)
        return [
          { path: 'name', message: 'must be the name in the URL', expected: name, given: checked.definition.name },
        ];
      // Like a configured adapter (config.ts): a drain must not cut this source's calls in flight.
      const { entry } = compileDeclarative(definition);
      const worst = worstCallMs(entry.policy);
      if (worst > graceMs)
        return [
          {
            path: 'policy',
            message: `a call can take ${worst} ms through its retries, longer than shutdown.graceMs`,
            expected: `at most ${graceMs} ms (timeoutMs × (retry.attempts + 1) plus backoff)`,
            given: `${worst} ms`,
          },
        ];
      // Each mapping on sample answers, within admin.mappings: a runaway is refused before it reaches any instance.
      const mappings = await dryRunMappings(checked.definition, admin.mappings);
      if (mappings.length > 0) return mappings;
      if (checked.definition.type === 'soap') {
        return inspectWsdl(checked.definition, {
          allowLoopback: admin.allowLoopback,
          maxWsdlBytes: admin.maxWsdlBytes,
          timeoutMs: admin.probeTimeoutMs,
        });
      }
      const url = new URL(checked.definition.baseUrl);
      const refused = await checkAddress(url, { allowLoopback: admin.allowLoopback });
      if (refused)
        return [
          {
            path: 'baseUrl',
            message: refused,
            expected: 'an http(s) URL of an allowed, public or private-network address',
            given: checked.definition.baseUrl,
          },
        ];
      const unreachable = await probe(url.href, admin.probeTimeoutMs, admin.allowLoopback);
      if (unreachable)
        return [
          {
            path: 'baseUrl',
            message: `unreachable: ${unreachable}`,
            expected: 'a reachable endpoint',
            given: checked.definition.baseUrl,
          },
        ];
      return [];
    },
    async dryRun(definition, _input, name) {
      const runtime = candidate(await withChange(name, definition), holder.current.definitionsVersion);
      try {
        return schemaDiff(holder.current.schema, runtime.schema);
      } finally {
        discardRuntime(runtime, holder.current);
      }
    },
    async apply(definitions, version) {
      const runtime = candidate(definitions, version);
      try {
        await runtime.ready;
      } catch (err) {
        discardRuntime(runtime, holder.current);
        throw new DefinitionRefused([
          { path: 'typeDefs', message: `the SOAP view cannot be generated: ${(err as Error).message}` },
        ]);
      }
      holder.swap(runtime);
    },
  };
}
