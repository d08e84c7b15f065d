/**
 * CRM (REST/JSON): profile, products held and contact history. The system of record for customers: it decides
 * whether a customer exists and resolves mobile numbers.
 */
import { z } from 'zod/v4';
import {
  command,
  defineAdapter,
  field,
  getJson,
  jsonHttpClient,
  postJson,
  resource,
  type JsonClient,
} from '../../gateway/backends';
import { schemaFile } from '../../schemas';

// The CRM's answers as the gateway needs them (checked after every fetch; extra fields pass).
const Profile = z
  .object({
    customerId: z.string(),
    msisdn: z.string(),
    name: z.string(),
    gender: z.string().nullish(),
    idCardNo: z.string(),
    address: z.string(),
    email: z.string().nullish(),
    regionCode: z.string(),
    regionName: z.string(),
    status: z.enum(['ACTIVE', 'SUSPENDED']),
    customerType: z.enum(['INDIVIDUAL', 'KEY_ACCOUNT']),
    createdDate: z.string(),
    lifestyle: z.array(z.string()).nullish(),
  })
  .passthrough();
const Product = z
  .object({
    productId: z.string(),
    offerCode: z.string(),
    offerName: z.string(),
    category: z.enum(['LOCAL_VOICE', 'LONG_DISTANCE', 'DATA', 'VALUE_ADDED']),
    orderDate: z.string(),
    monthlyFee: z.number(),
    status: z.string(),
  })
  .passthrough();
const CHANNELS = [
  'BUSINESS_HALL',
  'FLAGSHIP_STORE',
  'SELF_SERVICE_HALL',
  'CALL_CENTER',
  'IVR',
  'SMS_HALL',
  'WEB_HALL',
  'WAP_HALL',
  'SELF_SERVICE_TERMINAL',
  'ACCOUNT_MANAGER',
  'FRANCHISE_STORE',
  'AGENT_POINT',
] as const;
const Contact = z
  .object({
    contactId: z.string(),
    channel: z.enum(CHANNELS),
    contactTime: z.string(),
    contactType: z.string(),
    result: z.string(),
    agentId: z.string().nullish(),
    system: z.string().nullish(),
    offerCode: z.string().nullish(),
    response: z.string().nullish(),
  })
  .passthrough();
/** A date-time whose offset is written in ISO 8601's basic form, e.g. 2026-11-30T09:15:00+0800. */
const BASIC_OFFSET_DATETIME = /^\d{4}-\d{2}-\d{2}T([01]\d|2[0-3]):[0-5]\d(:[0-5]\d(\.\d+)?)?[+-]\d{4}$/;
/** A contact to record, as the gateway's touchpoint service hands it over (gateway/touchpoints). */
const NewContact = z
  .object({
    channel: z.enum(CHANNELS),
    // ISO 8601 with an offset; the basic form `+0800` as well as `+08:00`, as the CRM takes (zod 4's own check
    // has only the extended form).
    at: z.iso.datetime({ offset: true }).or(z.string().regex(BASIC_OFFSET_DATETIME, 'an ISO 8601 date-time')),
    type: z.string().min(1).max(64),
    outcome: z.string().min(1).max(64),
    agentId: z.string().min(1).max(64).nullish(),
    system: z.string().min(1).max(64).nullish(),
    offerCode: z.string().min(1).max(64).nullish(),
    response: z.string().min(1).max(64).nullish(),
  })
  .strict();
/** An order of one product of the catalogue, as `placeOrder` hands it over (gateway/marketing/responses/). */
const NewOrder = z
  .object({
    offerCode: z.string().regex(/^[A-Z0-9][A-Z0-9-]{0,63}$/, '1 to 64 capital letters, digits or "-", e.g. DATA-HKMO'),
  })
  .strict();
const items = <T extends z.ZodTypeAny>(item: T) => z.object({ items: z.array(item) }).passthrough();
const ProfileItems = items(z.object({ customerId: z.string() }).passthrough());

const path = (id: string, sub = ''): string => `/api/v1/customers/${encodeURIComponent(id)}${sub}`;

export default defineAdapter<JsonClient>({
  name: 'crm',
  description: 'CRM: profile, products held, contact history; system of record for customers',
  typeDefs: schemaFile('profile.graphql'),
  connect: ({ url }) => jsonHttpClient(url),
  close: (client) => client.destroy(),
  resources: {
    profile: resource({
      fetch: (client: JsonClient, id, ctx) => getJson(client, path(id), ctx),
      schema: Profile,
      toRecord: (p) => ({
        name: p.name,
        msisdn: p.msisdn,
        gender: p.gender ?? null,
        idCardNumber: p.idCardNo,
        address: p.address,
        email: p.email ?? null,
        region: { code: p.regionCode, name: p.regionName },
        status: p.status,
        type: p.customerType,
        customerSince: p.createdDate,
        lifestyle: p.lifestyle ?? [],
      }),
    }),
    products: resource({
      fetch: (client: JsonClient, id, ctx) => getJson(client, path(id, '/products'), ctx),
      schema: items(Product),
      toRecord: (body) =>
        body.items.map((p) => ({
          id: p.productId,
          code: p.offerCode,
          name: p.offerName,
          category: p.category,
          orderedOn: p.orderDate,
          monthlyFee: p.monthlyFee,
          status: p.status,
        })),
    }),
    contacts: resource({
      fetch: (client: JsonClient, id, ctx) => getJson(client, path(id, '/contacts'), ctx),
      schema: items(Contact),
      toRecord: (body) =>
        body.items.map((c) => ({
          id: c.contactId,
          channel: c.channel,
          at: c.contactTime,
          type: c.contactType,
          outcome: c.result,
          agentId: c.agentId ?? null,
          system: c.system ?? null,
          offerCode: c.offerCode ?? null,
          response: c.response ?? null,
        })),
    }),
    msisdn: resource({
      fetch: (client: JsonClient, msisdn, ctx) =>
        getJson(client, `/api/v1/customers?msisdn=${encodeURIComponent(msisdn)}`, ctx),
      schema: ProfileItems,
      // An empty list is "no such number": null, cached briefly like any "not found".
      toRecord: (body) => body.items[0]?.customerId ?? null,
    }),
  },
  commands: {
    // POST …/contacts with the idempotency key as `Idempotency-Key`: the CRM records a redelivery once.
    recordContact: command({
      schema: NewContact,
      send: async (client: JsonClient, id, c, ctx) => {
        const created = await postJson<{ contactId?: unknown }>(
          client,
          path(id, '/contacts'),
          {
            channel: c.channel,
            contactTime: c.at,
            contactType: c.type,
            result: c.outcome,
            ...(c.agentId ? { agentId: c.agentId } : {}),
            ...(c.system ? { system: c.system } : {}),
            ...(c.offerCode ? { offerCode: c.offerCode } : {}),
            ...(c.response ? { response: c.response } : {}),
          },
          ctx,
        );
        return { contactId: typeof created.contactId === 'string' ? created.contactId : null };
      },
      invalidates: ['contacts'],
    }),
    // POST …/products with the idempotency key as `Idempotency-Key`: a redelivered order places one product. An
    // unknown customer is 404 (not_found), an offer not in the catalogue 400 (invalid).
    placeOrder: command({
      schema: NewOrder,
      send: async (client: JsonClient, id, order, ctx) => {
        const product = await postJson<{ productId?: unknown }>(
          client,
          path(id, '/products'),
          { offerCode: order.offerCode },
          ctx,
        );
        return { productId: typeof product.productId === 'string' ? product.productId : null };
      },
      invalidates: ['products'],
    }),
  },
  fields: {
    profile: field('profile'),
    products: field('products'),
    contacts: field('contacts'),
  },
  directory: { existenceResource: 'profile', msisdnResource: 'msisdn' },
  invalidate(event) {
    const e = event as { type?: unknown; customerId?: unknown } | null;
    if (e?.type !== 'customer.products.changed' || typeof e.customerId !== 'string') return null;
    return [{ resource: 'products', key: e.customerId }];
  },
});
