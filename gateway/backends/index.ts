/**
 * The public face of backends/ for adapters (adapters/<name>/index.ts): the adapter contract and the transports an
 * adapter may use. The protected path itself (source, breaker, bulkhead, caches) is the gateway's own: adapters
 * never import it.
 */
export * from './adapter';
export { soapClient, SoapFaultError, plainJson, type SoapClient, type SoapClientOptions } from './soap-client';
