/**
 * CRM (REST/JSON): profile, products held and contact history. The system of record for customers: it decides
 * whether a customer exists and resolves mobile numbers.
 */
import { defineAdapter, field, getJson, jsonHttpClient, type JsonClient } from '../../gateway/adapter';
import { schemaFile } from '../../schemas';

interface CrmProfile {
  customerId: string;
  msisdn: string;
  name: string;
  gender?: string;
  idCardNo: string;
  address: string;
  email?: string;
  regionCode: string;
  regionName: string;
  status: string;
  customerType: string;
  createdDate: string;
  lifestyle?: string[];
}
interface CrmProduct {
  productId: string;
  offerCode: string;
  offerName: string;
  category: string;
  orderDate: string;
  monthlyFee: number;
  status: string;
}
interface CrmContact {
  contactId: string;
  channel: string;
  contactTime: string;
  contactType: string;
  result: string;
}
interface Items<T> {
  items: T[];
}

const path = (id: string, sub = ''): string => `/api/v1/customers/${encodeURIComponent(id)}${sub}`;

export default defineAdapter<JsonClient>({
  name: 'crm',
  description: 'CRM: profile, products held, contact history; system of record for customers',
  typeDefs: schemaFile('profile.graphql'),
  connect: ({ url }) => jsonHttpClient(url),
  close: (client) => client.destroy(),
  resources: {
    profile: {
      async fetch(client, id, ctx) {
        const p = await getJson<CrmProfile>(client, path(id), ctx);
        return (
          p && {
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
          }
        );
      },
    },
    products: {
      async fetch(client, id, ctx) {
        const body = await getJson<Items<CrmProduct>>(client, path(id, '/products'), ctx);
        return body?.items.map((p) => ({
          id: p.productId,
          code: p.offerCode,
          name: p.offerName,
          category: p.category,
          orderedOn: p.orderDate,
          monthlyFee: p.monthlyFee,
          status: p.status,
        })) ?? null;
      },
    },
    contacts: {
      async fetch(client, id, ctx) {
        const body = await getJson<Items<CrmContact>>(client, path(id, '/contacts'), ctx);
        return body?.items.map((c) => ({ id: c.contactId, channel: c.channel, at: c.contactTime, type: c.contactType, outcome: c.result })) ?? null;
      },
    },
    msisdn: {
      async fetch(client, msisdn, ctx) {
        const body = await getJson<Items<CrmProfile>>(client, `/api/v1/customers?msisdn=${encodeURIComponent(msisdn)}`, ctx);
        return body?.items[0]?.customerId ?? null;
      },
    },
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
