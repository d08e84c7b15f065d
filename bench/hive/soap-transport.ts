/**
 * Hive Gateway transport for the billing subgraph (kind "soap"): the executor of the same @omnigraph/soap version
 * (0.96.0) that loaded the WSDL, so that it reads the @soap annotations that version writes. (The
 * @graphql-mesh/transport-soap in this registry, 0.13.1, expects the annotations of later loaders, soapAction and
 * soapNamespace among them, and fails on these: `Invalid value "undefined" for header "SOAPAction"`.)
 */
import type { Transport } from '@graphql-mesh/transport-common';
import { createExecutorFromSchemaAST } from '@omnigraph/soap';

export const soapTransport: Transport = {
  // 0.96.0 wants a fetch that always returns a promise; the gateway's may not.
  getSubgraphExecutor: ({ subgraph, fetch: gatewayFetch }) =>
    createExecutorFromSchemaAST(subgraph, async (...args) =>
      gatewayFetch ? gatewayFetch(...args) : fetch(args[0], args[1]),
    ),
};
