/**
 * Declarative SOAP backends (`type: 'soap'`): the WSDL's URL, per resource the operation, where the customer id goes
 * in its input, optionally the Fault that means "not found", then a shape and a JSONata mapping as REST resources
 * have. Compiled to the same AdapterDefinition (declarative.ts), with node-soap over the shared transport
 * (gateway/backends/soap-client.ts) the billing adapter uses.
 *
 * SSRF. At validate (`inspectWsdl`) the gateway fetches the WSDL itself, capped (admin.maxWsdlBytes) and within
 * admin.probeTimeoutMs, and every document it imports (`wsdl:import`, `xsd:import`, `xsd:include`, relative ones
 * resolved against their document's URL), each checked against the allow-list. At run time node-soap reads the WSDL
 * again: node-soap reads any import location that is not http(s) with `fs.readFile` (src/wsdl/index.ts, open_wsdl)
 * — so every import location goes through `overrideImportLocation`, which refuses all but allowed http(s) URLs, and
 * every request (WSDL, imports, the calls, whatever soap:address a later WSDL names) through the guarded transport:
 * the URL checked before it is sent, the host's addresses at connection (guardedLookup: DNS rebinding).
 */
import { Agent, request } from 'undici';
import { readCapped, ResponseTooLargeError, type AdapterDefinition, type FetchContext } from '../backends/adapter';
import { plainJson, soapClient, SoapFaultError, type SoapClient, type SoapGuard } from '../backends/soap-client';
import { checkAddress, guardedLookup, urlRefusal } from './allow-list';
import type { Problem, SoapDefinition } from './declarative';

/** admin.maxWsdlBytes's default: 1 MiB. */
export const DEFAULT_MAX_WSDL_BYTES = 1024 * 1024;
/** Most documents one WSDL may pull in through its imports and includes. */
const MAX_DOCUMENTS = 32;

export interface SoapGuardOptions {
  allowLoopback: boolean;
  maxWsdlBytes: number;
}

const valueAt = (value: unknown, path: string): unknown =>
  path
    .split('.')
    .reduce<unknown>(
      (v, step) => (v && typeof v === 'object' ? (v as Record<string, unknown>)[step] : undefined),
      value,
    );

/** `a.b` and a key → `{ a: { b: key } }`: the operation's input. */
const inputFor = (path: string, key: string): Record<string, unknown> =>
  path.split('.').reduceRight<unknown>((inner, step) => ({ [step]: inner }), key) as Record<string, unknown>;

/** Refuses an import location node-soap would read from disk, or one the allow-list refuses (a literal address). */
function importGuard(allowLoopback: boolean) {
  return (includePath: string): string => {
    let url: URL;
    try {
      url = new URL(includePath);
    } catch {
      throw new Error(`import location ${includePath} is not an http(s) URL`);
    }
    const refused = urlRefusal(url, { allowLoopback });
    if (refused) throw new Error(`import location ${includePath} refused: ${refused}`);
    return includePath;
  };
}

/** The transport's guard for an untrusted backend: URLs and connections through the allow-list, imports only over http(s). */
function soapGuard(allowLoopback: boolean): SoapGuard {
  return {
    lookup: guardedLookup(allowLoopback),
    checkUrl(href) {
      try {
        return urlRefusal(new URL(href), { allowLoopback });
      } catch {
        return `${href} is not a URL`;
      }
    },
    importLocation: importGuard(allowLoopback),
    maxDocuments: MAX_DOCUMENTS,
  };
}

/** The shared SOAP client (gateway/backends/soap-client.ts) of an untrusted backend: guarded, its WSDL capped by admin.maxWsdlBytes. */
const guardedClient = (
  definition: SoapDefinition,
  guard: SoapGuardOptions,
  timeoutMs: number,
  maxResponseBytes: number,
): SoapClient =>
  soapClient({
    wsdlUrl: definition.wsdlUrl,
    ...(definition.endpoint ? { endpoint: definition.endpoint } : {}),
    maxResponseBytes,
    maxWsdlBytes: guard.maxWsdlBytes,
    timeoutMs,
    guard: soapGuard(guard.allowLoopback),
  });

export function soapAdapter(
  definition: SoapDefinition,
  options: SoapGuardOptions & {
    read: (
      name: string,
      resource: SoapDefinition['resources'][string],
    ) => (raw: unknown, signal?: AbortSignal) => Promise<unknown>;
  },
): AdapterDefinition<SoapClient> {
  const resources: AdapterDefinition<SoapClient>['resources'] = {};
  for (const [name, resource] of Object.entries(definition.resources)) {
    const read = options.read(name, resource);
    const { operation, key: keyPath, notFound } = resource;
    resources[name] = {
      fetch: async (client: SoapClient, key: string, ctx: FetchContext) => {
        let result: unknown;
        try {
          result = await client.call(operation, inputFor(keyPath, key), ctx);
        } catch (err) {
          if (notFound && err instanceof SoapFaultError && String(valueAt(err.fault, notFound.path)) === notFound.value)
            return null;
          throw err;
        }
        // No output element at all is an answer of the wrong shape (the shape says so), not "not found" (a Fault).
        return read(plainJson(result ?? {}), ctx.signal);
      },
    };
  }
  return {
    name: definition.name,
    description: definition.description,
    typeDefs: definition.typeDefs,
    connect: ({ timeoutMs, maxResponseBytes }) => guardedClient(definition, options, timeoutMs, maxResponseBytes),
    close: (client) => client.close(),
    resources,
    fields: Object.fromEntries(
      Object.entries(definition.fields).map(([field, binding]) => [field, { resource: binding.resource }]),
    ),
  };
}

const IMPORT = /<(?:[\w.-]+:)?(?:import|include)\b[^>]*?\b(?:schemaLocation|location)\s*=\s*(["'])(.*?)\1/gis;
const unescapeXml = (s: string): string =>
  s.replace(
    /&(lt|gt|quot|apos|amp);/g,
    (_, e: string) => ({ lt: '<', gt: '>', quot: '"', apos: "'", amp: '&' })[e] as string,
  );

/** Every import/include location a document names (over-inclusive: one inside a comment counts too). */
export const importLocations = (xml: string): string[] =>
  [...xml.matchAll(IMPORT)].map((m) => unescapeXml(m[2] as string).trim());

/** Reads one document: 200, at most maxBytes, within the signal's deadline. The text, or why not. */
async function readDocument(
  url: string,
  dispatcher: Agent,
  maxBytes: number,
  signal: AbortSignal,
): Promise<{ text: string } | { refused: string }> {
  let response;
  try {
    response = await request(url, { method: 'GET', dispatcher, signal, maxRedirections: 0 } as Parameters<
      typeof request
    >[1]);
  } catch (err) {
    return {
      refused: signal.aborted ? 'no answer within admin.probeTimeoutMs' : `unreachable: ${(err as Error).message}`,
    };
  }
  const { body, statusCode, headers } = response;
  body.on('error', () => undefined); // destroying an unread body emits an abort: expected here
  if (statusCode !== 200) {
    body.destroy();
    return { refused: `answered HTTP ${statusCode}, not 200` };
  }
  const tooLarge = { refused: `larger than admin.maxWsdlBytes (${maxBytes} bytes)` };
  if (Number(headers['content-length'] ?? 0) > maxBytes) {
    body.destroy();
    return tooLarge;
  }
  try {
    // The adapters' capped read (adapter.ts): past maxBytes it stops reading and throws ResponseTooLargeError.
    return { text: await readCapped(body, maxBytes, url) };
  } catch (err) {
    if (err instanceof ResponseTooLargeError) return tooLarge;
    return {
      refused: signal.aborted ? 'no answer within admin.probeTimeoutMs' : `unreadable: ${(err as Error).message}`,
    };
  }
}

/** The describe() tree of an input: does it have the element path (`a.b`; an array element is `name[]`)? */
function hasElement(input: unknown, path: string): boolean {
  let node = input;
  for (const step of path.split('.')) {
    if (!node || typeof node !== 'object') return false;
    const record = node as Record<string, unknown>;
    node = step in record ? record[step] : record[`${step}[]`];
    if (node === undefined) return false;
  }
  return true;
}

const ELEMENT_META = new Set(['targetNSAlias', 'targetNamespace']);

/**
 * Checks a SOAP definition against its backend: the WSDL and every document it imports (allow-list, byte cap,
 * deadline), then each resource's operation and key element in the WSDL as node-soap reads it. Problems name the path.
 */
export async function inspectWsdl(
  definition: SoapDefinition,
  options: SoapGuardOptions & { timeoutMs: number },
): Promise<Problem[]> {
  const deadline = AbortSignal.timeout(options.timeoutMs);
  const started = Date.now();
  for (const [path, href] of [
    ['wsdlUrl', definition.wsdlUrl],
    ...(definition.endpoint ? [['endpoint', definition.endpoint]] : []),
  ] as Array<[string, string]>) {
    const refused = await checkAddress(new URL(href), options);
    if (refused)
      return [
        {
          path,
          message: refused,
          expected: 'an http(s) URL of an allowed, public or private-network address',
          given: href,
        },
      ];
  }
  const dispatcher = new Agent({ connect: { lookup: guardedLookup(options.allowLoopback) } as never });
  try {
    const seen = new Set<string>([definition.wsdlUrl]);
    const queue: Array<{ url: string; via: string[] }> = [{ url: definition.wsdlUrl, via: [] }];
    for (let next = queue.shift(); next; next = queue.shift()) {
      const { url, via } = next;
      const where = via.length === 0 ? `the WSDL ${url}` : `${url}, imported by ${via.join(' ← ')}`;
      if (via.length > 0) {
        let parsed: URL | undefined;
        try {
          parsed = new URL(url);
        } catch {
          parsed = undefined;
        }
        const refused = parsed ? await checkAddress(parsed, options) : 'not a URL';
        if (refused)
          return [
            {
              path: 'wsdlUrl',
              message: `${where}: ${refused}`,
              expected: 'imports and includes at allowed http(s) addresses',
              given: url,
            },
          ];
      }
      const document = await readDocument(url, dispatcher, options.maxWsdlBytes, deadline);
      if ('refused' in document)
        return [
          {
            path: 'wsdlUrl',
            message: `${where}: ${document.refused}`,
            expected: `a WSDL at most ${options.maxWsdlBytes} bytes, answered within ${options.timeoutMs} ms`,
            given: url,
          },
        ];
      for (const location of importLocations(document.text)) {
        let resolved: string;
        try {
          resolved = new URL(location, url).href;
        } catch {
          resolved = location;
        }
        if (seen.has(resolved)) continue;
        seen.add(resolved);
        if (seen.size > MAX_DOCUMENTS)
          return [
            {
              path: 'wsdlUrl',
              message: `the WSDL pulls in more than ${MAX_DOCUMENTS} documents`,
              expected: `at most ${MAX_DOCUMENTS}`,
              given: definition.wsdlUrl,
            },
          ];
        queue.push({ url: resolved, via: [url, ...via] });
      }
    }
  } finally {
    void dispatcher.close();
  }

  // The operations and their inputs, as node-soap (the client the calls will use) reads the checked WSDL.
  let described: Awaited<ReturnType<SoapClient['describe']>>;
  const client = guardedClient(
    definition,
    options,
    Math.max(1, options.timeoutMs - (Date.now() - started)),
    options.maxWsdlBytes,
  );
  try {
    described = await client.describe();
  } catch (err) {
    return [
      {
        path: 'wsdlUrl',
        message: `node-soap cannot read the WSDL: ${(err as Error).message.split('\n')[0] ?? ''}`,
        expected: 'a WSDL 1.1 document',
        given: definition.wsdlUrl,
      },
    ];
  } finally {
    void client.close();
  }
  const operations = new Map<string, unknown>();
  for (const ports of Object.values(described))
    for (const port of Object.values(ports))
      for (const [op, d] of Object.entries(port)) if (!operations.has(op)) operations.set(op, d.input);
  const problems: Problem[] = [];
  for (const [name, resource] of Object.entries(definition.resources)) {
    if (!operations.has(resource.operation)) {
      problems.push({
        path: `resources.${name}.operation`,
        message: 'the WSDL has no such operation',
        expected: `one of ${[...operations.keys()].join(', ') || '(none)'}`,
        given: resource.operation,
      });
      continue;
    }
    const input = operations.get(resource.operation);
    if (!hasElement(input, resource.key)) {
      const elements = input && typeof input === 'object' ? Object.keys(input).filter((k) => !ELEMENT_META.has(k)) : [];
      problems.push({
        path: `resources.${name}.key`,
        message: `the input of ${resource.operation} has no such element`,
        expected: `one of ${elements.join(', ') || '(none)'}`,
        given: resource.key,
      });
    }
  }
  return problems;
}
