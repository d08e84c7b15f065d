/**
 * Billing / accounting (legacy SOAP 1.1, document/literal): balance, credit limit, running charges, the last 6
 * bills and payment behaviour. Consumed with the `soap` client, built once from the service's own WSDL.
 */
import http from 'node:http';
import axios from 'axios';
import * as soap from 'soap';
import { BadResponseError, defineAdapter, field } from '../../gateway/adapter';
import { schemaFile } from '../../schemas';

const SERVICE_PATH = '/billing/AccountService';

interface SoapBill {
  billingMonth: string;
  amount: number;
  dueDate: Date;
  paidDate?: Date;
  status: string;
}
interface AccountSummary {
  accountId: string;
  currency: string;
  balance: number;
  creditLimit: number;
  currentCharges: { billingMonth: string; amount: number; asOf: Date };
  bills?: { bill?: SoapBill[] | SoapBill };
  paymentBehaviour: { paymentMethod: string; onTimeRatio: number; averageDaysLate: number; lastPaymentDate?: Date; lastPaymentAmount?: number };
}
type GetAccountSummary = (args: { customerId: string }, options: object, headers: object) => Promise<[{ account?: AccountSummary }]>;

/** The WSDL is fetched on first use, not at start, so the gateway starts while billing is down. */
interface BillingClient {
  get(): Promise<GetAccountSummary>;
}

const day = (d: Date | undefined): string | null => (d instanceof Date ? d.toISOString().slice(0, 10) : null);

function faultCode(err: unknown): string | undefined {
  const fault = (err as { root?: { Envelope?: { Body?: { Fault?: { detail?: { BillingFault?: { code?: string } } } } } } }).root?.Envelope?.Body?.Fault;
  return fault?.detail?.BillingFault?.code;
}

export default defineAdapter<BillingClient>({
  name: 'billing',
  description: 'Billing (SOAP): balance, credit limit, running charges, last 6 bills, payment behaviour',
  typeDefs: schemaFile('billing.graphql'),
  connect({ url, timeoutMs }) {
    const request = axios.create({ httpAgent: new http.Agent({ keepAlive: true, maxSockets: 256 }), maxRedirects: 0 });
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
    account: {
      async fetch(billing, customerId, ctx) {
        const call = await billing.get();
        let result;
        try {
          [result] = await call({ customerId }, { signal: ctx.signal }, { 'x-request-id': ctx.requestId });
        } catch (err) {
          if (faultCode(err) === 'ACCOUNT_NOT_FOUND') return null;
          throw err;
        }
        const a = result?.account;
        if (!a?.accountId || !a.currentCharges || !a.paymentBehaviour) throw new BadResponseError('GetAccountSummary answered without an account');
        const bills = a.bills?.bill === undefined ? [] : Array.isArray(a.bills.bill) ? a.bills.bill : [a.bills.bill];
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
    },
  },
  fields: { billing: field('account') },
});
