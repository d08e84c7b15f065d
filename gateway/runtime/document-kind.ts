/**
 * The definitions kind `document` (trusted documents, pipeline/documents.ts): `PUT /admin/documents/<name>` with
 * `{ "query": "<GraphQL operation>" }`, versioned and shared by every instance like adapters and rules.
 */
import type { GraphQLError } from 'graphql';
import { parse, validate, type DocumentNode, type GraphQLSchema } from 'graphql';
import { DefinitionRefused, type DefinitionKind, type Problem } from '../definitions';
import { documentId, parsed, type TrustedDocument, type TrustedDocuments } from '../pipeline/documents';

/** The problems of a `document` definition against the schema in force: its shape, its syntax, its validity. */
function problemsOf(definition: unknown, schema: GraphQLSchema): { problems: Problem[]; query?: string } {
  const query = (definition as { query?: unknown } | null)?.query;
  const extra = Object.keys((definition as object | null) ?? {}).filter((k) => k !== 'query');
  if (typeof definition !== 'object' || definition === null || Array.isArray(definition))
    return { problems: [{ path: '', message: 'expected an object { "query": "<GraphQL operation>" }' }] };
  if (extra.length > 0) return { problems: extra.map((k) => ({ path: k, message: 'unknown member' })) };
  if (typeof query !== 'string' || query.trim() === '')
    return { problems: [{ path: 'query', message: 'expected the operation as GraphQL text' }] };
  let document: DocumentNode;
  try {
    document = parse(query);
  } catch (err) {
    return { problems: [{ path: 'query', message: (err as GraphQLError).message }] };
  }
  const errors = validate(schema, document);
  return { problems: errors.map((e) => ({ path: 'query', message: e.message })), query };
}

/**
 * The definitions kind `document`: a client's operation registered by name; its id is the SHA-256 of its text.
 * Checked against the schema in force when put (a registered adapter's section may be asked for); a document
 * that a later schema change breaks still fails its validation when sent, as any query would.
 */
export function documentKind(documents: TrustedDocuments, schema: () => GraphQLSchema): DefinitionKind {
  return {
    kind: 'document',
    validate: (definition) => problemsOf(definition, schema()).problems,
    async dryRun(definition) {
      const { problems, query } = problemsOf(definition, schema());
      if (problems.length > 0 || query === undefined) throw new DefinitionRefused(problems);
      return { documentId: documentId(query) };
    },
    async apply(definitions) {
      const registered: TrustedDocument[] = [];
      for (const [name, definition] of definitions) {
        const query = (definition as { query?: unknown }).query;
        // Validated when put; only the syntax can fail here, on a definition stored by an older version.
        if (typeof query !== 'string') throw new DefinitionRefused([{ path: `${name}.query`, message: 'missing' }]);
        registered.push(parsed(name, query));
      }
      documents.swap(registered);
    },
    inForce: () => documents.list(),
  };
}
