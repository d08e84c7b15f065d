/**
 * A faster reading of SOAP replies, giving exactly the object node-soap's `wsdl.xmlToObject` gives.
 *
 * Why: node-soap reads a reply with `sax`, whose tokenizer was 80% of the reading's cost (a 1.7 KB billing reply:
 * 115 µs in `xmlToObject`, 92 µs of them sax's own pass; `saxes`, a strict and maintained fork of the same design,
 * tokenizes it in 16 µs). The client stays generated from the WSDL (node-soap writes the request and knows the
 * types); only the reading of the reply changes, and only for the replies every backend sends: a plain envelope.
 *
 * The reading is node-soap's own algorithm (the same schema look-ups, type conversions, arrays and empty elements)
 * over saxes, for a reply that is *plain*: elements and text only, no attribute but namespace declarations, no
 * CDATA, comment, processing instruction or DOCTYPE, no mixed content, no carriage return, no name that is
 * an object-prototype key, no Fault. Anything else, and any reply saxes refuses as not well-formed, is read by
 * node-soap itself, so its answers (attributes, `xsi:nil`, multiRef, faults, its errors) are unchanged.
 * test/soap-reply-reading.test.ts holds the two readings equal over billing's customers and over replies of every
 * other kind.
 */
import { documentParser, LINE_ENDS_SAX_KEEPS, localName, PROTOTYPE_KEYS } from './xml-parser';

/** What of node-soap's WSDL object the reading uses. */
interface WsdlLike {
  xmlToObject(xml: unknown, callback?: unknown): unknown;
  options: { attributesKey?: string; preserveWhitespace?: boolean; customDeserializer?: unknown };
  definitions: {
    messages: Record<string, Described | undefined>;
  };
}
interface Described {
  description(definitions: unknown): unknown;
}

type Schema = Record<string, unknown> | string | undefined;
interface Frame {
  name: string | null;
  object: unknown;
  schema: Schema;
  /** A non-empty text was read in this element (a second one, or a child after it, is not plain). */
  text: boolean;
  children: boolean;
}

const ENV_URI = 'http://schemas.xmlsoap.org/soap/envelope/';

/** node-soap's fixed schema of the envelope itself (wsdl/index.ts, xmlToObject). */
const ENVELOPE_SCHEMA = {
  Envelope: {
    Header: { Security: { UsernameToken: { Username: 'string', Password: 'string' } } },
    Body: { Fault: { faultcode: 'string', faultstring: 'string', detail: 'string' } },
  },
};

/** A UTF-16 surrogate: a name outside the BMP, which saxes accepts and sax refuses (node-soap's error stands). */
const SURROGATE = /[\uD800-\uDFFF]/;

/** Thrown inside the pass when the reply is not plain: node-soap reads it. */
class NotPlain extends Error {}
const notPlain = (): never => {
  throw new NotPlain();
};

/**
 * The local name of a schema's type as node-soap's `splitQName(schema).name` gives it: a simple type with facets is
 * described as `xs:string|…`, the type before the bar.
 */
const typeName = (schema: Schema): unknown =>
  typeof schema === 'string' ? localName(schema.split('|', 1)[0] as string) : schema;

/** node-soap's conversion of an element's text by its schema type (ontext, without preserveWhitespace). */
function converted(type: unknown, text: string): unknown {
  switch (type) {
    case 'int':
    case 'integer':
    case 'short':
    case 'long':
      return parseInt(text, 10);
    case 'double':
    case 'float':
    case 'decimal':
      return Number(text);
    case 'bool':
    case 'boolean':
      return text.toLowerCase() === 'true' || text === '1';
    case 'dateTime':
    case 'date':
      return new Date(text);
    default:
      return text;
  }
}

/**
 * Installs the faster reading on one client's WSDL; node-soap's own stays the reading of everything that is not
 * plain, and of streamed replies (a callback).
 */
export function readRepliesFaster(wsdl: WsdlLike): void {
  const original = wsdl.xmlToObject.bind(wsdl);
  // A reading that depends on node-soap's options the plain pass does not copy is left to node-soap.
  if (wsdl.options.preserveWhitespace || wsdl.options.customDeserializer) return;
  const reader = new PlainReader(wsdl.definitions);
  wsdl.xmlToObject = (xml: unknown, callback?: unknown) => {
    if (typeof callback === 'function' || typeof xml !== 'string' || LINE_ENDS_SAX_KEEPS.test(xml))
      return original(xml, callback);
    let reading: unknown;
    try {
      reading = reader.read(xml);
    } catch {
      return original(xml);
    }
    return reading;
  };
}

/**
 * The plain pass over one WSDL, with one saxes parser for every reply (xml-parser.ts): a reading is synchronous, so
 * two never overlap.
 */
class PlainReader {
  private root: Record<string, unknown> = {};
  private stack: Frame[] = [];
  private xmlns: Record<string, string> = {};
  private envPrefix = 'soap';
  private objectName: string | null = null;
  private readonly descriptions = new WeakMap<Described, unknown>();
  // Positions are kept only for error messages, which are never shown: node-soap reads what saxes refuses.
  private readonly parse = documentParser(
    { position: false },
    {
      opentag: (tag) => this.opened(tag.name, tag.attributes as Record<string, string>),
      text: (raw) => this.text(raw),
      closetag: () => this.closed(),
      cdata: notPlain,
      comment: notPlain,
      processinginstruction: notPlain,
      doctype: notPlain,
    },
  );

  constructor(private readonly definitions: WsdlLike['definitions']) {}

  /** The reply's reading; throws (NotPlain, or saxes's own error) for anything node-soap should read. */
  read(xml: string): unknown {
    this.root = {};
    this.stack = [{ name: null, object: this.root, schema: ENVELOPE_SCHEMA, text: false, children: false }];
    this.xmlns = {};
    this.envPrefix = 'soap';
    this.objectName = null;
    this.parse(xml);
    const envelope = this.root.Envelope as { Body?: { Fault?: unknown } } | undefined;
    if (envelope?.Body?.Fault) notPlain(); // node-soap turns a Fault into its error
    return envelope ?? this.root;
  }

  private described(message: Described): unknown {
    let description = this.descriptions.get(message);
    if (description === undefined) {
      description = message.description(this.definitions);
      this.descriptions.set(message, description);
    }
    return description;
  }

  /** node-soap's onopentag, for an element whose attributes are namespace declarations only. */
  private opened(qualified: string, attributes: Record<string, string>): void {
    const top = this.stack[this.stack.length - 1] as Frame;
    if (top.text) notPlain();
    top.children = true;
    let name = localName(qualified);
    if (PROTOTYPE_KEYS.has(name) || SURROGATE.test(qualified)) notPlain();
    for (const attribute in attributes) {
      if (attribute !== 'xmlns' && !attribute.startsWith('xmlns:')) notPlain();
      const declared = localName(attribute);
      const value = attributes[attribute] as string;
      this.xmlns[declared] = value;
      if (value === ENV_URI) this.envPrefix = declared;
    }
    const originalName = name;
    let topSchema = top.schema as Record<string, unknown> | undefined;
    if (!this.objectName && this.xmlns[this.envPrefix] && top.name === 'Body') {
      if (name === 'Fault') notPlain();
      topSchema = this.described(messageOf(name, this.definitions)) as Record<string, unknown>;
      this.objectName = originalName;
    }
    const arrayName = `${originalName}[]`;
    if (topSchema && topSchema[arrayName]) name = arrayName;
    let schema = (topSchema &&
      (topSchema[originalName] || topSchema[arrayName] || topSchema[name] || topSchema[`${name}[]`])) as Schema;
    if (!schema) {
      const message = this.definitions.messages[originalName];
      const response = message ? (this.described(message) as Record<string, unknown> | undefined) : undefined;
      schema = (response &&
        (response[originalName] || response[arrayName] || response[name] || response[`${name}[]`])) as Schema;
    }
    this.stack.push({ name: originalName, object: {}, schema, text: false, children: false });
  }

  /** node-soap's ontext, for one text in an element without children. */
  private text(raw: string): void {
    const text = raw.trim();
    if (text.length === 0) return;
    const top = this.stack[this.stack.length - 1] as Frame;
    // A text longer than sax's 64 KiB buffer: sax checks the buffer once per write, after it, and node-soap writes a
    // reply at once, so it is not split; handed back all the same, at no cost worth keeping.
    if (top.text || top.children || raw.length > 65_536) notPlain();
    top.text = true;
    top.object = converted(typeName(top.schema), text);
  }

  /** node-soap's onclosetag: an empty element is '' (a string type) or null, a repeated one a list. */
  private closed(): void {
    const current = this.stack.pop() as Frame;
    const parent = this.stack[this.stack.length - 1] as Frame;
    const name = current.name as string;
    let value = current.object;
    // Every child closed becomes a key of its parent: an element with neither text nor child is still `{}`.
    if (!current.text && !current.children)
      value = typeof current.schema === 'string' && typeName(current.schema) === 'string' ? '' : null;
    const container = parent.object as Record<string, unknown>;
    const schema = parent.schema as Record<string, unknown> | undefined;
    if (schema && schema[`${name}[]`]) {
      if (!container[name]) container[name] = [];
      (container[name] as unknown[]).push(value);
    } else if (name in container) {
      if (!Array.isArray(container[name])) container[name] = [container[name]];
      (container[name] as unknown[]).push(value);
    } else container[name] = value;
  }
}

/**
 * The message a Body's element names, by its own name. node-soap also finds an RPC/literal reply's message through
 * its operation (the `Response` suffix) and keeps the alias, but reads that first reply under the message's name:
 * that reply is node-soap's to read; later ones find the alias here.
 */
function messageOf(name: string, definitions: WsdlLike['definitions']): Described {
  return definitions.messages[name] ?? notPlain();
}
