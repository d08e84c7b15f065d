/**
 * Text as XML character data: the one escaper of the SOAP facade (answers, faults). Quotes need no escape in
 * element content; the facade writes no attribute values from data.
 */
const MARKUP = /[&<>]/;
const ENTITIES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;' };

/** Most values hold no markup character: they are tested once and returned as they are. */
export const escapeText = (text: string): string =>
  MARKUP.test(text) ? text.replace(/[&<>]/g, (c) => ENTITIES[c] as string) : text;
