/**
 * Billing / accounting (legacy SOAP 1.1, document/literal): balance, credit limit, running charges, the last 6
 * bills and payment behaviour. Consumed with the `soap` client, built once from the service's own WSDL.
 */
import { z } from 'zod';
import { defineAdapter, field, resource } from '../../gateway/adapter';
import { lazySoapClient, soapFailure, soapFault, soapTransport, type LazySoapClient } from '../../gateway/soap-client';
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

const day = (d: Date | null | undefined): string | null => (d instanceof Date ? d.toISOString().slice(0, 10) : null);

const faultCode = (err: unknown): string | undefined => (soapFault(err)?.detail as { BillingFault?: { code?: string } } | undefined)?.BillingFault?.code;

export default defineAdapter<LazySoapClient>({
  name: 'billing',
  description: 'Billing (SOAP): balance, credit limit, running charges, last 6 bills, payment behaviour',
  typeDefs: schemaFile('billing.graphql'),
  connect({ url, timeoutMs, maxResponseBytes }) {
    // The transport caps every answer, the WSDL's too, while it is read (see soapFailure). The WSDL fetch has the
    // call's deadline: a hung fetch must not hold every later call.
    return lazySoapClient(`${url}${SERVICE_PATH}?wsdl`, { endpoint: `${url}${SERVICE_PATH}`, request: soapTransport({ maxResponseBytes }), wsdl_options: { timeout: timeoutMs } });
  },
  resources: {
    account: resource({
      async fetch(billing: LazySoapClient, customerId, ctx) {
        const client = await billing.get();
        const call = (client as unknown as { GetAccountSummaryAsync: GetAccountSummary }).GetAccountSummaryAsync.bind(client);
        let result;
        try {
          [result] = await call({ customerId }, { signal: ctx.signal }, { 'x-request-id': ctx.requestId });
        } catch (err) {
          if (faultCode(err) === 'ACCOUNT_NOT_FOUND') return null;
          throw soapFailure(err, 'GetAccountSummary', ctx.maxResponseBytes) ?? err;
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
