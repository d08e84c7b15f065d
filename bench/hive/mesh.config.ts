/**
 * Mesh Compose configuration: the four mocks as one supergraph for Hive Gateway.
 *
 * CRM, warehouse and scoring come from the OpenAPI 3 specs in ./openapi (written to match the mocks), billing from
 * the mock's own WSDL. The mocks listen on random ports, so the endpoints come from MOCK_URLS
 * ({"crm","billing","warehouse","scoring"} base URLs), read when this module is loaded:
 *   MOCK_URLS='{...}' npx mesh-compose -o supergraph.graphql     # or serve.ts, which composes in-process
 *
 * One root field, `customer(id: ID!)`, returns the CRM profile; every other section is a field of that `Customer`
 * type resolved from its own source with @resolveTo (the supergraph's additional type definitions).
 */
import { defineConfig, type MeshComposeCLISourceHandlerDef } from '@graphql-mesh/compose-cli';
import { loadOpenAPISubgraph } from '@omnigraph/openapi';
import { SOAPLoader, type XSComplexType } from '@omnigraph/soap';
import { getNullableType, type GraphQLSchema } from 'graphql';
import { MapperKind, mapSchema } from '@graphql-tools/utils';

const urls = JSON.parse(process.env.MOCK_URLS ?? '{}') as Record<
  'crm' | 'billing' | 'warehouse' | 'scoring',
  string | undefined
>;
const url = (name: keyof typeof urls): string => {
  const value = urls[name];
  if (!value) throw new Error(`MOCK_URLS has no ${name} URL`);
  return value.replace(/\/$/, '');
};

const BILLING_PATH = '/billing/AccountService';

/**
 * Two bugs of @omnigraph/soap 0.96.0 that this WSDL meets, both fixed in later versions, fixed here the same way:
 * - it keeps only namespace aliases whose URI starts with "http", so tns="urn:example:billing:account:v1" is lost
 *   ("Namespace alias: tns is undefined!"): every alias is kept;
 * - its output types make an element non-null exactly when it is optional (`if (isNullable) getTypeNonNull()`), so
 *   Bill.paidDate and PaymentBehaviour.lastPayment* (minOccurs="0") are non-null and an unpaid bill fails the whole
 *   billing section: elements with minOccurs="0" or nillable="true" are nullable, as the later versions make them.
 */
class BillingSOAPLoader extends SOAPLoader {
  private readonly optionalFields = new Set<string>();

  override getAliasMapFromAttributes(
    attributes: Parameters<SOAPLoader['getAliasMapFromAttributes']>[0],
  ): Map<string, string> {
    const aliasMap = new Map<string, string>();
    for (const [name, value] of Object.entries(attributes))
      if (name !== 'targetNamespace') aliasMap.set(name, value as string);
    return aliasMap;
  }

  override getOutputTypeForComplexType(
    complexType: XSComplexType,
    namespace: string,
  ): ReturnType<SOAPLoader['getOutputTypeForComplexType']> {
    const composer = super.getOutputTypeForComplexType(complexType, namespace);
    for (const group of [...(complexType.sequence ?? []), ...(complexType.choice ?? [])]) {
      for (const element of group.element ?? []) {
        const minOccurs = group.attributes?.minOccurs ?? element.attributes.minOccurs;
        const nillable = element.attributes.nillable;
        if (nillable === 'true' || (minOccurs === '0' && nillable !== 'false'))
          this.optionalFields.add(`${composer.getTypeName()}.${element.attributes.name}`);
      }
    }
    return composer;
  }

  override buildSchema(): GraphQLSchema {
    return mapSchema(super.buildSchema(), {
      [MapperKind.OBJECT_FIELD]: (field, fieldName, typeName) =>
        this.optionalFields.has(`${typeName}.${fieldName}`) ? { ...field, type: getNullableType(field.type) } : field,
    });
  }
}

/**
 * The billing subgraph from the WSDL the mock serves. The registry here has @omnigraph/soap only up to 0.96.0,
 * whose SOAPLoader predates `loadSOAPSubgraph` (the Mesh Compose source handler added in later versions): this is
 * that handler for 0.96.0. It points the WSDL's soap:address (http://localhost/…, no port) at the running mock, as
 * the later handler's `endpoint` option does, and marks the schema with the `soap` transport as the later
 * SOAPLoader.buildSchema() does, so that Hive Gateway executes it with the "soap" transport (soap-transport.ts).
 */
function loadBillingSubgraph(
  name: string,
  options: { source: string; endpoint: string },
): MeshComposeCLISourceHandlerDef {
  return ({ fetch }) => ({
    name,
    schema$: (async () => {
      // 0.96.0 wants a fetch that always returns a promise; Mesh Compose's may not.
      const loader = new BillingSOAPLoader({ fetch: async (...args) => fetch(...args) });
      const wsdl = await (await fetch(options.source)).text();
      await loader.loadWSDL(wsdl.replace(/(<soap:address\s+location=")[^"]*"/, `$1${options.endpoint}"`));
      const schema = loader.buildSchema();
      const extensions = (schema.extensions ?? {}) as { directives?: Record<string, unknown> };
      extensions.directives = { ...extensions.directives, transport: { kind: 'soap', subgraph: name } };
      Object.assign(schema, { extensions });
      return schema;
    })(),
  });
}

const openapi = (name: 'crm' | 'warehouse' | 'scoring') =>
  loadOpenAPISubgraph(name, { source: `./openapi/${name}.yaml`, endpoint: url(name) });

export const composeConfig = defineConfig({
  subgraphs: [
    { sourceHandler: openapi('crm') },
    {
      sourceHandler: loadBillingSubgraph('billing', {
        source: `${url('billing')}${BILLING_PATH}?wsdl`,
        endpoint: `${url('billing')}${BILLING_PATH}`,
      }),
    },
    { sourceHandler: openapi('warehouse') },
    { sourceHandler: openapi('scoring') },
  ],
  additionalTypeDefs: /* GraphQL */ `
    extend type Query {
      "One customer by customer id (e.g. C00000001): the CRM profile, with every other system's section."
      customer(id: ID!): Customer
        @resolveTo(
          sourceName: "crm"
          sourceTypeName: "Query"
          sourceFieldName: "getCustomer"
          sourceArgs: { id: "{args.id}" }
        )
    }
    extend type Customer {
      products: [Product]
        @resolveTo(
          sourceName: "crm"
          sourceTypeName: "Query"
          sourceFieldName: "getCustomerProducts"
          requiredSelectionSet: "{ customerId }"
          sourceArgs: { id: "{root.customerId}" }
          result: "items"
        )
      contacts: [Contact]
        @resolveTo(
          sourceName: "crm"
          sourceTypeName: "Query"
          sourceFieldName: "getCustomerContacts"
          requiredSelectionSet: "{ customerId }"
          sourceArgs: { id: "{root.customerId}" }
          result: "items"
        )
      billing: BillingService_AccountSummary
        @resolveTo(
          sourceName: "billing"
          sourceTypeName: "Query"
          sourceFieldName: "BillingService_BillingService_BillingPort_GetAccountSummary"
          requiredSelectionSet: "{ customerId }"
          sourceArgs: { GetAccountSummaryRequest: { customerId: "{root.customerId}" } }
          result: "account"
        )
      insights: CustomerInsights
        @resolveTo(
          sourceName: "warehouse"
          sourceTypeName: "Query"
          sourceFieldName: "getCustomerInsights"
          requiredSelectionSet: "{ customerId }"
          sourceArgs: { id: "{root.customerId}" }
        )
      score: Evaluation
        @resolveTo(
          sourceName: "scoring"
          sourceTypeName: "Query"
          sourceFieldName: "getEvaluation"
          requiredSelectionSet: "{ customerId }"
          sourceArgs: { id: "{root.customerId}" }
        )
    }
  `,
});
