/**
 * Billing / accounting (legacy SOAP 1.1, document/literal): balance, credit limit, running charges, the last 6
 * bills and payment behaviour. Consumed with the `soap` client, built once from the service's own WSDL.
 */
import http from 'node:http';
import axios from 'axios';
import * as soap from 'soap';
import { z } from 'zod';
import { BadResponseError, defineAdapter, field, resource, ResponseTooLargeError } from '../../gateway/adapter';
import { schemaFile } from '../../schemas';

const SERVICE_PATH = '/billing/AccountService';

// The account as node-soap reads it from the envelope (xsd:decimal → number, xsd:date(Time) → Date), checked after
// every fetch; extra elements pass. A missing account (wrong Body) fails here as wrong_shape.
const SoapBill = z
  .object({ billingMonth: z.string(), amount: z.number(), dueDate: z.date(), paidDate: z.date().nullish(), status: z.string() })
  .passthrough();
const AccountSummary = z
  .object({
    accountId: z.string(),
    currency: z.string(),
    balance: z.number(),
    creditLimit: z.number(),
    currentCharges: z.object({ billingMonth: z.string(), amount: z.number(), asOf: z.date() }).passthrough(),
    bills: z.object({ bill: z.union([z.array(SoapBill), SoapBill]).nullish() }).passthrough().nullish(),
    paymentBehaviour: z
      .object({ paymentMethod: z.string(), onTimeRatio: z.number(), averageDaysLate: z.number(), lastPaymentDate: z.date().nullish(), lastPaymentAmount: z.number().nullish() })
      .passthrough(),
  })
  .passthrough();
type AccountSummary = z.infer<typeof AccountSummary>;
type GetAccountSummary = (args: { customerId: string }, options: object, headers: object) => Promise<[{ account?: unknown } | null | undefined]>;

/** The WSDL is fetched on first use, not at start, so the gateway starts while billing is down. */
interface BillingClient {
  get(): Promise<GetAccountSummary>;
}

const day = (d: Date | null | undefined): string | null => (d instanceof Date ? d.toISOString().slice(0, 10) : null);

/**
 * What a failed SOAP call means. axios (node-soap's transport) counts the body while reading it and aborts past
 * `maxContentLength` (lib/adapters/http.js: "maxContentLength size of … exceeded"): the answer is too large. An error
 * that carries a 2xx response and no SOAP Fault is node-soap failing to read the envelope (truncated, not XML,
 * wrong elements): the answer is bad, not the backend down.
 */
function readFailure(err: unknown, maxBytes: number): Error | undefined {
  const e = err as { message?: unknown; response?: { status?: number }; root?: unknown } | null;
  if (typeof e?.message === 'string' && e.message.startsWith('maxContentLength size of')) return new ResponseTooLargeError('GetAccountSummary', maxBytes);
  const status = e?.response?.status;
  if (status !== undefined && status >= 200 && status < 300 && !e?.root) return new BadResponseError('GetAccountSummary answered an unreadable envelope', 'unreadable');
  return undefined;
}

function faultCode(err: unknown): string | undefined {
  const fault = (err as { root?: { Envelope?: { Body?: { Fault?: { detail?: { BillingFault?: { code?: string } } } } } } }).root?.Envelope?.Body?.Fault;
  return fault?.detail?.BillingFault?.code;
}

export default defineAdapter<BillingClient>({
  name: 'billing',
  description: 'Billing (SOAP): balance, credit limit, running charges, last 6 bills, payment behaviour',
  typeDefs: schemaFile('billing.graphql'),
  connect({ url, timeoutMs, maxResponseBytes }) {
    // maxContentLength caps every answer, the WSDL's too, while it is read (see readFailure).
    const request = axios.create({ httpAgent: new http.Agent({ keepAlive: true, maxSockets: 256 }), maxRedirects: 0, maxContentLength: maxResponseBytes });
    let client: Promise<GetAccountSummary> | undefined;
    return {
      get() {
        if (!client) {
          // The WSDL fetch has the call's deadline too: a hung fetch must not hold every later call.
          const pending = soap
            .createClientAsync(`${url}${SERVICE_PATH}?wsdl`, { endpoint: `${url}${SERVICE_PATH}`, request, wsdl_options: { timeout: timeoutMs } })
            .then((c) => (c as unknown as { GetAccountSummaryAsync: GetAccountSummary }).GetAccountSummaryAsync.bind(c));
          pending.catch(() => {
            if (client === pending) client = undefined; // try the WSDL again on the next call
          });
          client = pending;
        }
        return client;
      },
    };
  },
  resources: {
    account: resource({
      async fetch(billing: BillingClient, customerId, ctx) {
        const call = await billing.get();
        let result;
        try {
          [result] = await call({ customerId }, { signal: ctx.signal }, { 'x-request-id': ctx.requestId });
        } catch (err) {
          if (faultCode(err) === 'ACCOUNT_NOT_FOUND') return null;
          throw readFailure(err, ctx.maxResponseBytes) ?? err;
        }
        // No account element at all is an answer of the wrong shape, not "not found" (that is a SOAP fault).
        return (result?.account ?? {}) as AccountSummary;
      },
      schema: AccountSummary,
      toRecord(a) {
        const bill = a.bills?.bill;
        const bills = bill === undefined || bill === null ? [] : Array.isArray(bill) ? bill : [bill];
        const pb = a.paymentBehaviour;
        return {
          accountId: a.accountId,
          currency: a.currency,
          balance: a.balance,
          creditLimit: a.creditLimit,
          currentCharges: { month: a.currentCharges.billingMonth, amount: a.currentCharges.amount, asOf: a.currentCharges.asOf.toISOString() },
          bills: bills.map((b) => ({ month: b.billingMonth, amount: b.amount, dueDate: day(b.dueDate), paidDate: day(b.paidDate), status: b.status })),
          paymentBehaviour: {
            method: pb.paymentMethod,
            onTimeRatio: pb.onTimeRatio,
            averageDaysLate: pb.averageDaysLate,
            lastPaymentDate: day(pb.lastPaymentDate),
            lastPaymentAmount: pb.lastPaymentAmount ?? null,
          },
        };
      },
    }),
  },
  fields: { billing: field('account') },
});
