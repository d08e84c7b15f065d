/**
 * The public face of backends/ for adapters (adapters/<name>/index.ts): the adapter contract and the transports an
 * adapter may use, and the reused saxes parser (xml-parser.ts) that the SOAP client's replies and the SOAP facade's
 * envelope guard share. The protected path itself (source, breaker, bulkhead, caches) is the gateway's own: adapters
 * never import it.
 */
export * from './adapter';
export { soapClient, SoapFaultError, plainJson, type SoapClient, type SoapClientOptions } from './soap-client';
export { documentParser, localName, LINE_ENDS_SAX_KEEPS, PROTOTYPE_KEYS, type ParserHandlers } from './xml-parser';
