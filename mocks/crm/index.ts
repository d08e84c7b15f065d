/**
 * Mock CRM: REST/JSON. The system of record for who the customer is, what they hold and how they were contacted.
 *
 *   GET    /api/v1/customers/:id                      profile
 *   GET    /api/v1/customers?msisdn=138…              { items: [profile] } (empty when unknown)
 *   GET    /api/v1/customers/:id/products             { customerId, items: [product] }
 *   POST   /api/v1/customers/:id/products             order { offerCode } → 201 product. Honours an
 *                                                     `Idempotency-Key` as the contacts route does: one product
 *                                                     and one change event per key
 *   DELETE /api/v1/customers/:id/products/:productId  cancel → 204
 *   GET    /api/v1/customers/:id/contacts             { customerId, items: [contact] } (newest first, recorded ones included)
 *   POST   /api/v1/customers/:id/contacts             record { channel, contactTime, contactType, result, agentId?,
 *                                                     system?, offerCode?, response? } → 201 contact. Honours an
 *                                                     `Idempotency-Key` header: a repeated key answers the first
 *                                                     answer again (`idempotent-replayed: true`), never stores twice
 *   POST   /api/v1/webhooks                           subscribe { url } to change events
 *
 * An order or a cancellation publishes `customer.products.changed` to every webhook subscriber, signed with
 * `webhookSecret` when one is given.
 */
import { createHmac } from 'node:crypto';
import express from 'express';
import { customerIdByMsisdn } from '../dataset/identity';
import {
  CATALOGUE,
  NEW_SERVICES,
  CHANNELS,
  crmContacts,
  crmProducts,
  crmProfile,
  type CrmContact,
  type CrmProduct,
} from '../dataset/customers';
import { sendJson, serializedRecords, startMock, type MockOptions, type MockServer } from '../server';

export interface CrmChangeEvent {
  type: 'customer.products.changed';
  customerId: string;
  productId: string;
  change: 'ORDERED' | 'CANCELLED';
  occurredAt: string;
}

export interface CrmMockOptions extends MockOptions {
  /** URLs that receive every change event as a JSON POST. */
  webhooks?: string[];
  /**
   * The secret the gateway holds for the CRM's events (`events.secrets.crm`): each delivery is signed with it, in
   * `x-ucv-signature: t=<unix seconds>,v1=<hex HMAC-SHA256 of "<t>.<body>">` (docs/events.md). Unsigned when absent.
   */
  webhookSecret?: string;
}

/** The sender's side of docs/events.md, written from the document (as a real CRM's integrator would). */
function signature(secret: string, body: string): string {
  const t = Math.floor(Date.now() / 1000);
  return `t=${t},v1=${createHmac('sha256', secret).update(`${t}.${body}`).digest('hex')}`;
}

const notFound = (id: string) => ({ code: 'CUSTOMER_NOT_FOUND', message: `no customer ${id}` });

export interface CrmMock extends MockServer {
  /** Products ordered through `POST …/products` since the start (a replayed Idempotency-Key not counted). */
  ordersPlaced(): number;
}

export async function startCrmMock(options: CrmMockOptions = {}): Promise<CrmMock> {
  const webhooks = new Set(options.webhooks ?? []);
  // Orders and cancellations made through this mock, on top of the generated data set.
  const ordered = new Map<string, CrmProduct[]>();
  const cancelled = new Set<string>();
  let sequence = 0;
  // Profiles and contacts never change here: serialized once per customer. Products do (orders, cancellations).
  const profileJson = serializedRecords(crmProfile);
  const contactsJson = serializedRecords((id) => {
    const items = crmContacts(id);
    return items ? { customerId: id, items } : null;
  });

  // Contacts recorded through this mock (in memory), and the first answer given to each Idempotency-Key.
  const recorded = new Map<string, CrmContact[]>();
  const answers = new Map<string, { status: number; body: object }>();
  let contactSequence = 0;
  let ordersPlaced = 0;

  /**
   * The Idempotency-Key handling both commands share: a key seen before (for this route and customer) gets the first
   * answer again, with `idempotent-replayed: true`, and `handle` does not run; otherwise `handle` runs and its
   * answer is kept. Keys are the caller's: scoped by customer here, as a real CRM would scope them by caller.
   */
  const idempotent =
    (route: string, handle: (id: string, body: Record<string, unknown>) => { status: number; body: object }) =>
    (req: express.Request<{ id: string }>, res: express.Response): void => {
      const id = req.params.id;
      const key = req.get('idempotency-key');
      const scoped = key ? `${route}\u0000${id}\u0000${key}` : undefined;
      const first = scoped ? answers.get(scoped) : undefined;
      if (first) return void res.status(first.status).set('idempotent-replayed', 'true').json(first.body);
      const answer = handle(id, (req.body ?? {}) as Record<string, unknown>);
      // Only a decided answer is kept: a 5xx would be retried and must be allowed to succeed.
      if (scoped && answer.status < 500) answers.set(scoped, answer);
      res.status(answer.status).json(answer.body);
    };

  const productsOf = (id: string): CrmProduct[] | null => {
    const base = crmProducts(id);
    if (!base) return null;
    return [...base, ...(ordered.get(id) ?? [])].filter((p) => !cancelled.has(p.productId));
  };

  const publish = (event: CrmChangeEvent): void => {
    const body = JSON.stringify(event);
    for (const url of webhooks) {
      // Signed per delivery, so a retry carries a fresh timestamp and signature.
      const signed: Record<string, string> = options.webhookSecret
        ? { 'x-ucv-signature': signature(options.webhookSecret, body) }
        : {};
      fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...signed }, body }).catch(
        (err: unknown) => console.warn(`crm mock: webhook ${url} failed: ${(err as Error).message}`),
      );
    }
  };

  const mock = await startMock('crm', options, (app) => {
    app.use(express.json());
    app.get('/api/v1/customers', (req, res) => {
      const msisdn = typeof req.query.msisdn === 'string' ? req.query.msisdn : '';
      const id = customerIdByMsisdn(msisdn);
      const profile = id ? crmProfile(id) : null;
      res.json({ items: profile ? [profile] : [] });
    });
    app.get('/api/v1/customers/:id', (req, res) => {
      const profile = profileJson(req.params.id);
      if (!profile) return void res.status(404).json(notFound(req.params.id));
      sendJson(res, profile);
    });
    app.get('/api/v1/customers/:id/products', (req, res) => {
      const items = productsOf(req.params.id);
      if (!items) return void res.status(404).json(notFound(req.params.id));
      res.json({ customerId: req.params.id, items });
    });
    app.get('/api/v1/customers/:id/contacts', (req, res) => {
      const extra = recorded.get(req.params.id);
      if (extra) {
        const items = [...extra, ...(crmContacts(req.params.id) ?? [])].sort(
          (a, b) => Date.parse(b.contactTime) - Date.parse(a.contactTime),
        );
        return void res.json({ customerId: req.params.id, items });
      }
      const contacts = contactsJson(req.params.id);
      if (!contacts) return void res.status(404).json(notFound(req.params.id));
      sendJson(res, contacts);
    });
    app.post(
      '/api/v1/customers/:id/contacts',
      idempotent('contacts', (id, b) => {
        if (!crmProfile(id)) return { status: 404, body: notFound(id) };
        const text = (v: unknown): v is string => typeof v === 'string' && v.length > 0 && v.length <= 200;
        if (!CHANNELS.includes(b.channel as (typeof CHANNELS)[number]))
          return {
            status: 400,
            body: { code: 'INVALID_CHANNEL', message: `channel must be one of ${CHANNELS.join(', ')}` },
          };
        if (!text(b.contactTime) || Number.isNaN(Date.parse(b.contactTime)))
          return { status: 400, body: { code: 'INVALID_TIME', message: 'contactTime must be an ISO 8601 date-time' } };
        if (!text(b.contactType) || !text(b.result))
          return {
            status: 400,
            body: { code: 'INVALID_CONTACT', message: 'contactType and result are required strings' },
          };
        const optional = (name: string): Record<string, string> => (text(b[name]) ? { [name]: b[name] as string } : {});
        const contact: CrmContact = {
          contactId: `T${Number(id.slice(1))}-r${++contactSequence}`,
          channel: b.channel as string,
          contactTime: b.contactTime,
          contactType: b.contactType,
          result: b.result,
          ...optional('agentId'),
          ...optional('system'),
          ...optional('offerCode'),
          ...optional('response'),
        };
        recorded.set(id, [contact, ...(recorded.get(id) ?? [])]);
        return { status: 201, body: contact };
      }),
    );
    app.post(
      '/api/v1/customers/:id/products',
      idempotent('products', (id, b) => {
        if (!crmProfile(id)) return { status: 404, body: notFound(id) };
        const offer = [...CATALOGUE, ...NEW_SERVICES].find((p) => p.offerCode === b.offerCode);
        if (!offer) {
          return {
            status: 400,
            body: {
              code: 'UNKNOWN_OFFER',
              message: `offerCode must be one of ${[...CATALOGUE, ...NEW_SERVICES].map((p) => p.offerCode).join(', ')}`,
            },
          };
        }
        const product: CrmProduct = {
          ...offer,
          productId: `P${Number(id.slice(1))}-o${++sequence}`,
          orderDate: new Date().toISOString().slice(0, 10),
          status: 'ACTIVE',
        };
        ordered.set(id, [...(ordered.get(id) ?? []), product]);
        ordersPlaced++;
        publish({
          type: 'customer.products.changed',
          customerId: id,
          productId: product.productId,
          change: 'ORDERED',
          occurredAt: new Date().toISOString(),
        });
        return { status: 201, body: product };
      }),
    );
    app.delete('/api/v1/customers/:id/products/:productId', (req, res) => {
      const { id, productId } = req.params;
      if (!productsOf(id)?.some((p) => p.productId === productId)) {
        return void res
          .status(404)
          .json({ code: 'PRODUCT_NOT_FOUND', message: `customer ${id} holds no product ${productId}` });
      }
      cancelled.add(productId);
      publish({
        type: 'customer.products.changed',
        customerId: id,
        productId,
        change: 'CANCELLED',
        occurredAt: new Date().toISOString(),
      });
      res.status(204).end();
    });
    app.post('/api/v1/webhooks', (req, res) => {
      const url = req.body?.url;
      if (typeof url !== 'string' || !/^https?:\/\//.test(url))
        return void res.status(400).json({ code: 'INVALID_URL', message: 'url must be an http(s) URL' });
      webhooks.add(url);
      res.status(201).json({ url });
    });
  });
  return Object.assign(mock, { ordersPlaced: () => ordersPlaced });
}
