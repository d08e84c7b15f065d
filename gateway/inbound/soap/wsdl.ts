/**
 * The CustomerView WSDL (1.1, document/literal wrapped, SOAP 1.1), generated from the gateway's GraphQL schema so
 * the two contracts cannot drift: every Customer section becomes an element of the same name, every GraphQL type a
 * complexType (enums a restricted xsd:string), and every element is typed: no xsd:anyType.
 *
 * Lists are repeated elements (minOccurs 0); nullable fields are optional elements; a section that is null in
 * GraphQL is absent here, and the response's sourceStatus/sectionError elements say why.
 */
import {
  getNamedType,
  isEnumType,
  isListType,
  isNonNullType,
  isObjectType,
  isScalarType,
  type GraphQLField,
  type GraphQLNamedType,
  type GraphQLObjectType,
  type GraphQLSchema,
} from 'graphql';
import { ENUM_DOMAINS, labelOf } from '../../labels';

export const TARGET_NAMESPACE = 'urn:ucv:customer-view:v1';
export const SERVICE_NAME = 'CustomerViewService';
export const PORT_NAME = 'CustomerViewPort';

const SCALARS: Record<string, string> = {
  ID: 'xsd:string',
  String: 'xsd:string',
  Int: 'xsd:int',
  Float: 'xsd:double',
  Boolean: 'xsd:boolean',
  Date: 'xsd:date',
  DateTime: 'xsd:dateTime',
  Decimal: 'xsd:decimal',
};

/** Escapes text for XML content or a double-quoted attribute. */
const escapeXml = (text: string): string =>
  text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');

/** Customer fields the SOAP view carries as sections (everything but the key and the provenance). */
export function sectionsOf(schema: GraphQLSchema): string[] {
  const customer = schema.getType('Customer') as GraphQLObjectType;
  return Object.keys(customer.getFields()).filter((name) => name !== 'id' && name !== 'sources');
}

function xsdType(type: GraphQLNamedType): string {
  if (isScalarType(type)) {
    const mapped = SCALARS[type.name];
    if (!mapped) throw new Error(`no XML Schema type for GraphQL scalar ${type.name}`);
    return mapped;
  }
  return `tns:${type.name}`;
}

function element(field: GraphQLField<unknown, unknown>): string {
  let type = field.type;
  const required = isNonNullType(type);
  if (isNonNullType(type)) type = type.ofType;
  const list = isListType(type);
  const doc = field.description
    ? `<xsd:annotation><xsd:documentation>${escapeXml(field.description)}</xsd:documentation></xsd:annotation>`
    : '';
  const occurs = list ? ' minOccurs="0" maxOccurs="unbounded"' : required ? '' : ' minOccurs="0"';
  const open = `<xsd:element name="${field.name}" type="${xsdType(getNamedType(field.type))}"${occurs}`;
  return doc ? `${open}>${doc}</xsd:element>` : `${open}/>`;
}

/** complexTypes and simpleTypes for `roots` and every type they reach. */
function typeDefinitions(roots: GraphQLObjectType[], omit: (type: string, field: string) => boolean): string[] {
  const out: string[] = [];
  const seen = new Set<string>();
  const visit = (type: GraphQLNamedType): void => {
    if (seen.has(type.name) || isScalarType(type)) return;
    seen.add(type.name);
    if (isEnumType(type)) {
      const domain = ENUM_DOMAINS[type.name];
      const values = type
        .getValues()
        .map((v) => {
          // Each value documented with its labels from the one catalog, Chinese first.
          const label = domain ? labelOf(domain, v.name) : undefined;
          if (!label) return `<xsd:enumeration value="${v.name}"/>`;
          const docs = `<xsd:documentation xml:lang="zh">${escapeXml(label.zh)}</xsd:documentation><xsd:documentation xml:lang="en">${escapeXml(label.en)}</xsd:documentation>`;
          return `<xsd:enumeration value="${v.name}"><xsd:annotation>${docs}</xsd:annotation></xsd:enumeration>`;
        })
        .join('');
      out.push(
        `<xsd:simpleType name="${type.name}"><xsd:restriction base="xsd:string">${values}</xsd:restriction></xsd:simpleType>`,
      );
      return;
    }
    if (!isObjectType(type)) throw new Error(`cannot map GraphQL type ${type.name} to XML Schema`);
    const fields = Object.values(type.getFields()).filter((f) => !omit(type.name, f.name));
    out.push(
      `<xsd:complexType name="${type.name}"><xsd:sequence>${fields.map(element).join('')}</xsd:sequence></xsd:complexType>`,
    );
    fields.forEach((f) => visit(getNamedType(f.type)));
  };
  roots.forEach(visit);
  return out;
}

/** True when the schema has the recordContact mutation (a store and an adapter that records contacts). */
export function hasRecordContact(schema: GraphQLSchema): boolean {
  return Boolean(schema.getMutationType()?.getFields().recordContact);
}

/**
 * Operations that return one section of the view: declared here as data, and present in the WSDL (and the service)
 * only when the running schema has their section, so the WSDL is valid for any set of adapters (without billing
 * there is no GetBillingSummary, rather than one referring to an undefined type).
 */
export const SECTION_OPERATIONS: ReadonlyArray<{ name: string; section: string; doc: string }> = [
  { name: 'GetBillingSummary', section: 'billing', doc: 'The billing section of one customer, with its provenance.' },
];

/** The section operations the schema can serve, with the XML Schema type of their section. */
export function sectionOperations(
  schema: GraphQLSchema,
): Array<{ name: string; section: string; doc: string; type: string }> {
  const fields = (schema.getType('Customer') as GraphQLObjectType).getFields();
  return SECTION_OPERATIONS.flatMap((o) => {
    const field = fields[o.section];
    return field ? [{ ...o, type: xsdType(getNamedType(field.type)) }] : [];
  });
}

export function buildWsdl(schema: GraphQLSchema, location: string): string {
  const customer = schema.getType('Customer') as GraphQLObjectType;
  const sourceStatus = schema.getType('SourceStatus') as GraphQLObjectType;
  const sections = sectionsOf(schema);
  const types = typeDefinitions([customer, sourceStatus], (type, field) => type === 'Customer' && field === 'sources');
  const records = hasRecordContact(schema);
  const summaries = sectionOperations(schema);
  const operations = [
    {
      name: 'GetCustomerView',
      doc: "The unified view of one customer, by customerId or msisdn (exactly one), with the sections asked for (when none is named: the sections of the configured adapters; a registered adapter's section only when named).",
    },
    ...summaries,
    {
      name: 'GetSourceStatus',
      doc: 'Where each section of a customer view would come from now: the per-source status, without the data.',
    },
    ...(records
      ? [
          {
            name: 'RecordContact',
            doc: 'Records one contact with a customer in the CRM, once per idempotency key (the idempotencyKey element, else the Idempotency-Key HTTP header, else derived): RECORDED, or ACCEPTED into the outbox when the CRM cannot take it now. The same as the GraphQL mutation recordContact.',
          },
        ]
      : []),
  ];
  // The elements of RecordContact follow ContactInput (schemas/touchpoints.graphql), in its order.
  const recordElements = records
    ? `
      <xsd:simpleType name="RecordStatus"><xsd:restriction base="xsd:string"><xsd:enumeration value="RECORDED"/><xsd:enumeration value="ACCEPTED"/></xsd:restriction></xsd:simpleType>
      <xsd:element name="RecordContact"><xsd:complexType><xsd:sequence>
        <xsd:element name="customerId" type="xsd:string"/>
        <xsd:element name="channel" type="tns:Channel"/>
        <xsd:element name="at" type="xsd:dateTime" minOccurs="0"/>
        <xsd:element name="type" type="xsd:string"/>
        <xsd:element name="outcome" type="xsd:string"/>
        <xsd:element name="agentId" type="xsd:string" minOccurs="0"/>
        <xsd:element name="system" type="xsd:string" minOccurs="0"/>
        <xsd:element name="offerCode" type="xsd:string" minOccurs="0"/>
        <xsd:element name="response" type="xsd:string" minOccurs="0"/>
        <xsd:element name="idempotencyKey" type="xsd:string" minOccurs="0"/>
      </xsd:sequence></xsd:complexType></xsd:element>
      <xsd:element name="RecordContactResponse"><xsd:complexType><xsd:sequence>
        <xsd:element name="status" type="tns:RecordStatus"/>
        <xsd:element name="contactId" type="xsd:string" minOccurs="0"/>
        <xsd:element name="idempotencyKey" type="xsd:string"/>
        <xsd:element name="acceptedAt" type="xsd:dateTime"/>
      </xsd:sequence></xsd:complexType></xsd:element>`
    : '';
  const xsdElements = `
      <xsd:simpleType name="Section"><xsd:restriction base="xsd:string">${sections.map((s) => `<xsd:enumeration value="${s}"/>`).join('')}</xsd:restriction></xsd:simpleType>
      <xsd:complexType name="SectionError"><xsd:sequence>
        <xsd:element name="section" type="xsd:string"/><xsd:element name="code" type="xsd:string"/>
        <xsd:element name="source" type="xsd:string" minOccurs="0"/><xsd:element name="reason" type="xsd:string" minOccurs="0"/>
        <xsd:element name="message" type="xsd:string"/>
      </xsd:sequence></xsd:complexType>
      <xsd:element name="GetCustomerView"><xsd:complexType><xsd:sequence>
        <xsd:element name="customerId" type="xsd:string" minOccurs="0"/>
        <xsd:element name="msisdn" type="xsd:string" minOccurs="0"/>
        <xsd:element name="section" type="tns:Section" minOccurs="0" maxOccurs="unbounded"/>
      </xsd:sequence></xsd:complexType></xsd:element>
      <xsd:element name="GetCustomerViewResponse"><xsd:complexType><xsd:sequence>
        <xsd:element name="customer" type="tns:Customer"/>
        <xsd:element name="sourceStatus" type="tns:SourceStatus" minOccurs="0" maxOccurs="unbounded"/>
        <xsd:element name="sectionError" type="tns:SectionError" minOccurs="0" maxOccurs="unbounded"/>
      </xsd:sequence></xsd:complexType></xsd:element>
${summaries
  .map(
    (o) => `      <xsd:element name="${o.name}"><xsd:complexType><xsd:sequence>
        <xsd:element name="customerId" type="xsd:string"/>
      </xsd:sequence></xsd:complexType></xsd:element>
      <xsd:element name="${o.name}Response"><xsd:complexType><xsd:sequence>
        <xsd:element name="customerId" type="xsd:string"/>
        <xsd:element name="${o.section}" type="${o.type}" minOccurs="0"/>
        <xsd:element name="sourceStatus" type="tns:SourceStatus" minOccurs="0" maxOccurs="unbounded"/>
        <xsd:element name="sectionError" type="tns:SectionError" minOccurs="0" maxOccurs="unbounded"/>
      </xsd:sequence></xsd:complexType></xsd:element>`,
  )
  .join('\n')}
      <xsd:element name="GetSourceStatus"><xsd:complexType><xsd:sequence>
        <xsd:element name="customerId" type="xsd:string"/>
        <xsd:element name="section" type="tns:Section" minOccurs="0" maxOccurs="unbounded"/>
      </xsd:sequence></xsd:complexType></xsd:element>
      <xsd:element name="GetSourceStatusResponse"><xsd:complexType><xsd:sequence>
        <xsd:element name="customerId" type="xsd:string"/>
        <xsd:element name="sourceStatus" type="tns:SourceStatus" minOccurs="0" maxOccurs="unbounded"/>
      </xsd:sequence></xsd:complexType></xsd:element>
      ${recordElements}
      <xsd:element name="GatewayFault"><xsd:complexType><xsd:sequence>
        <xsd:element name="code" type="xsd:string"/><xsd:element name="message" type="xsd:string"/>
      </xsd:sequence></xsd:complexType></xsd:element>`;

  return `<?xml version="1.0" encoding="UTF-8"?>
<wsdl:definitions name="${SERVICE_NAME}" targetNamespace="${TARGET_NAMESPACE}"
    xmlns:tns="${TARGET_NAMESPACE}" xmlns:wsdl="http://schemas.xmlsoap.org/wsdl/"
    xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  <wsdl:documentation>UCV Gateway: the unified customer view for legacy systems. Faults carry tns:GatewayFault with the gateway's error code (docs/errors.md).</wsdl:documentation>
  <wsdl:types>
    <xsd:schema targetNamespace="${TARGET_NAMESPACE}" elementFormDefault="qualified">
      ${types.join('\n      ')}
      ${xsdElements}
    </xsd:schema>
  </wsdl:types>
${operations
  .map(
    (o) => `  <wsdl:message name="${o.name}Input"><wsdl:part name="parameters" element="tns:${o.name}"/></wsdl:message>
  <wsdl:message name="${o.name}Output"><wsdl:part name="parameters" element="tns:${o.name}Response"/></wsdl:message>`,
  )
  .join('\n')}
  <wsdl:message name="GatewayFaultMessage"><wsdl:part name="fault" element="tns:GatewayFault"/></wsdl:message>
  <wsdl:portType name="CustomerViewPortType">
${operations.map((o) => `    <wsdl:operation name="${o.name}"><wsdl:documentation>${escapeXml(o.doc)}</wsdl:documentation><wsdl:input message="tns:${o.name}Input"/><wsdl:output message="tns:${o.name}Output"/><wsdl:fault name="GatewayFault" message="tns:GatewayFaultMessage"/></wsdl:operation>`).join('\n')}
  </wsdl:portType>
  <wsdl:binding name="CustomerViewBinding" type="tns:CustomerViewPortType">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
${operations.map((o) => `    <wsdl:operation name="${o.name}"><soap:operation soapAction="${TARGET_NAMESPACE}#${o.name}" style="document"/><wsdl:input><soap:body use="literal"/></wsdl:input><wsdl:output><soap:body use="literal"/></wsdl:output><wsdl:fault name="GatewayFault"><soap:fault name="GatewayFault" use="literal"/></wsdl:fault></wsdl:operation>`).join('\n')}
  </wsdl:binding>
  <wsdl:service name="${SERVICE_NAME}">
    <wsdl:port name="${PORT_NAME}" binding="tns:CustomerViewBinding"><soap:address location="${escapeXml(location)}"/></wsdl:port>
  </wsdl:service>
</wsdl:definitions>
`;
}
