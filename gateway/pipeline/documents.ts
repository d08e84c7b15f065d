/**
 * Trusted documents: GraphQL operations known in advance, by the SHA-256 of their text (`sha256:<hex>`, the id the
 * GraphQL-over-HTTP persisted-documents proposal and Hive Gateway use). A front desk, a console or an integration
 * sends a small, fixed set of operations; a known one is run from its parsed document (parse skipped; validation
 * and the plan are cached per document), and with `security.trustedDocuments: "registered"` nothing else runs from
 * the network, which also closes the door to crafted queries.
 *
 * Where they come from: the built-in ones (the desk page's, `web/desk/operations.json`, read by the page itself too)
 * and those registered at run time as the definitions kind `document` (`PUT /admin/documents/<name>` with
 * `{ "query": "…" }`, versioned and shared by every instance). SOAP and the in-process consumers hand the seam
 * documents they built themselves: those never come as text from the network, and are trusted by construction.
 */
import { createHash } from 'node:crypto';
import fs from 'node:fs';
import { parse, type DocumentNode } from 'graphql';

export interface TrustedDocument {
  /** `sha256:<hex of the text>`. */
  readonly id: string;
  readonly name: string;
  readonly query: string;
  readonly document: DocumentNode;
}

export const documentId = (query: string): string => `sha256:${createHash('sha256').update(query).digest('hex')}`;

/** A document's text, parsed; throws a GraphQLError (syntax) otherwise. */
export const parsed = (name: string, query: string): TrustedDocument => ({
  id: documentId(query),
  name,
  query,
  document: parse(query),
});

export class TrustedDocuments {
  private byId = new Map<string, TrustedDocument>();
  private byText = new Map<string, TrustedDocument>();
  private registered: readonly TrustedDocument[] = [];

  constructor(private readonly builtIn: readonly TrustedDocument[] = []) {
    this.rebuild();
  }

  /** The built-in documents of a JSON file `{ "<operation name>": "<query text>" }`. */
  static fromFile(file: string): TrustedDocuments {
    const texts = JSON.parse(fs.readFileSync(file, 'utf8')) as Record<string, string>;
    return new TrustedDocuments(Object.entries(texts).map(([name, query]) => parsed(name, query)));
  }

  byDocumentId(id: string): TrustedDocument | undefined {
    return this.byId.get(id);
  }

  /** The trusted document whose text this is, exactly. */
  byQuery(query: string): TrustedDocument | undefined {
    return this.byText.get(query);
  }

  /** The registered documents in force: replaced whole when the definitions change. */
  swap(registered: readonly TrustedDocument[]): void {
    this.registered = registered;
    this.rebuild();
  }

  list(): ReadonlyArray<Pick<TrustedDocument, 'id' | 'name'> & { origin: 'built-in' | 'registered' }> {
    return [
      ...this.builtIn.map((d) => ({ id: d.id, name: d.name, origin: 'built-in' as const })),
      ...this.registered.map((d) => ({ id: d.id, name: d.name, origin: 'registered' as const })),
    ];
  }

  private rebuild(): void {
    const all = [...this.builtIn, ...this.registered];
    this.byId = new Map(all.map((d) => [d.id, d]));
    this.byText = new Map(all.map((d) => [d.query, d]));
  }
}
