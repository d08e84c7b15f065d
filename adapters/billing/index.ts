/**
 * Billing / accounting (legacy SOAP 1.1, document/literal): balance, credit limit, running charges, the last 6
 * bills and payment behaviour. Consumed with the `soap` client, built once from the service's own WSDL, over the
 * gateway's SOAP transport (`gateway/backends/soap-client.ts`: undici, the byte cap, faults and unreadable envelopes).
 */
import { z } from 'zod/v4';
import { defineAdapter, field, resource, type SoapClient, soapClient, SoapFaultError } from '../../gateway/backends';
import { schemaFile } from '../../schemas';

const SERVICE_PATH = '/billing/AccountService';

// The account as node-soap reads it from the envelope (xsd:decimal → number, xsd:date(Time) → Date), checked after
// every fetch; extra elements pass. A missing account (wrong Body) fails here as wrong_shape.
const SoapBill = z
  .object({
    billingMonth: z.string(),
    amount: z.number(),
    dueDate: z.date(),
    paidDate: z.date().nullish(),
    status: z.string(),
  })
  .passthrough();
const AccountSummary = z
  .object({
    accountId: z.string(),
    currency: z.string(),
    balance: z.number(),
    creditLimit: z.number(),
    currentCharges: z.object({ billingMonth: z.string(), amount: z.number(), asOf: z.date() }).passthrough(),
    bills: z
      .object({ bill: z.union([z.array(SoapBill), SoapBill]).nullish() })
      .passthrough()
      .nullish(),
    paymentBehaviour: z
      .object({
        paymentMethod: z.string(),
        onTimeRatio: z.number(),
        averageDaysLate: z.number(),
        lastPaymentDate: z.date().nullish(),
        lastPaymentAmount: z.number().nullish(),
      })
      .passthrough(),
  })
  .passthrough();
type AccountSummary = z.infer<typeof AccountSummary>;

const day = (d: Date | null | undefined): string | null => (d instanceof Date ? d.toISOString().slice(0, 10) : null);

/** The service's own fault code, from the Fault's detail (`<BillingFault><code>`). */
function billingFaultCode(err: unknown): string | undefined {
  if (!(err instanceof SoapFaultError)) return undefined;
  return (err.fault.detail as { BillingFault?: { code?: string } } | undefined)?.BillingFault?.code;
}

export default defineAdapter<SoapClient>({
  name: 'billing',
  description: 'Billing (SOAP): balance, credit limit, running charges, last 6 bills, payment behaviour',
  typeDefs: schemaFile('billing.graphql'),
  connect({ url, timeoutMs, maxResponseBytes }) {
    return soapClient({ endpoint: `${url}${SERVICE_PATH}`, maxResponseBytes, timeoutMs });
  },
  close: (client) => client.close(),
  resources: {
    account: resource({
      async fetch(billing: SoapClient, customerId, ctx) {
        let result;
        try {
          result = (await billing.call('GetAccountSummary', { customerId }, ctx)) as
            { account?: unknown } | null | undefined;
        } catch (err) {
          if (billingFaultCode(err) === 'ACCOUNT_NOT_FOUND') return null;
          throw err;
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
          currentCharges: {
            month: a.currentCharges.billingMonth,
            amount: a.currentCharges.amount,
            asOf: a.currentCharges.asOf.toISOString(),
          },
          bills: bills.map((b) => ({
            month: b.billingMonth,
            amount: b.amount,
            dueDate: day(b.dueDate),
            paidDate: day(b.paidDate),
            status: b.status,
          })),
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
