/**
 * One saxes parser reused for every document a reader parses, its handlers set once, in its constructor.
 *
 * Why not `new SaxesParser()` and `on(…)` per document: saxes keeps each handler in a property of the parser, set by
 * `on` with a computed name, and V8 turns an object that gets more than about six such properties after it was built
 * into a dictionary. Every read of the parser's own state in its inner loop is then a hash look-up: a 221-byte SOAP
 * request with the envelope guard's nine handlers took 14.6 µs with the handlers set after `new`, 4.3 µs with them
 * set in the constructor (V8 sizes an instance by what its constructor adds), and 2.7 µs on a parser built once and
 * reused (saxes resets itself at the end of each document). A parse that throws (a handler's refusal, a document
 * that is not well-formed) leaves the parser mid-document: it is replaced.
 *
 * Handlers are fixed for the parser's life, so they reach the state of the document being read through the reader
 * (a field it sets before each parse); a parse is synchronous, so two never overlap.
 */
import { SaxesParser, type EventName, type EventNameToHandler, type SaxesOptions } from 'saxes';

/**
 * Names that would reach object prototypes when node-soap turns XML names into object keys: every Object.prototype
 * key. The SOAP facade refuses them in a request; the SOAP client leaves a reply holding one to node-soap.
 */
export const PROTOTYPE_KEYS: ReadonlySet<string> = new Set([
  ...Object.getOwnPropertyNames(Object.prototype),
  'prototype',
]);

/**
 * The line ends saxes reads as LF (XML §2.11: CR LF and CR; in an XML 1.1 document NEL and LS too) and node-soap's
 * sax keeps as they are: a document holding one is node-soap's to read, so that its values are the same whoever
 * reads them.
 */
export const LINE_ENDS_SAX_KEEPS = /[\r\u0085\u2028]/;

/** The local part of a qualified XML name (`soap:Body` → `Body`). */
export const localName = (qname: string): string => qname.slice(qname.indexOf(':') + 1);

export type ParserHandlers<O extends SaxesOptions> = { [N in EventName]?: EventNameToHandler<O, N> };

class HandledParser<O extends SaxesOptions> extends SaxesParser<O> {
  constructor(options: O, handlers: ParserHandlers<O>) {
    super(options);
    for (const name of Object.keys(handlers) as EventName[]) this.on(name, handlers[name] as never);
  }
}

/** A function that parses one whole document with the handlers, throwing what they or saxes throw. */
export function documentParser<O extends SaxesOptions>(options: O, handlers: ParserHandlers<O>): (xml: string) => void {
  let parser = new HandledParser(options, handlers);
  return (xml) => {
    try {
      parser.write(xml).close();
    } catch (err) {
      parser = new HandledParser(options, handlers);
      throw err;
    }
  };
}
