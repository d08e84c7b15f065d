/**
 * Mock billing/accounting system: a legacy SOAP 1.1 service (document/literal wrapped) served by node-soap.
 *
 *   POST /billing/AccountService        GetAccountSummary { customerId } → { account }
 *   GET  /billing/AccountService?wsdl   the WSDL
 *
 * A customer without a billing account gets a SOAP Client fault whose detail code is ACCOUNT_NOT_FOUND.
 */
import fs from 'node:fs';
import path from 'node:path';
import * as soap from 'soap';
import { billingAccount } from '../dataset/customers';
import { startMock, type MockOptions, type MockServer } from '../server';

export const BILLING_PATH = '/billing/AccountService';
const WSDL = fs.readFileSync(path.join(__dirname, 'billing.wsdl'), 'utf8');

export function startBillingMock(options: MockOptions = {}): Promise<MockServer> {
  const service = {
    BillingService: {
      BillingPort: {
        GetAccountSummary(args: { customerId?: string }) {
          const account = typeof args.customerId === 'string' ? billingAccount(args.customerId) : null;
          if (!account) {
            throw {
              Fault: {
                faultcode: 'soap:Client',
                faultstring: 'Account not found',
                detail: {
                  BillingFault: {
                    code: 'ACCOUNT_NOT_FOUND',
                    message: `no billing account for customer ${args.customerId ?? ''}`,
                  },
                },
              },
            };
          }
          const { bills, ...rest } = account;
          return { account: { ...rest, bills: { bill: bills } } };
        },
      },
    },
  };
  return startMock(
    'billing',
    options,
    (app) => {
      soap.listen(app, { path: BILLING_PATH, services: service, xml: WSDL });
    },
    {
      // A malformed SOAP answer: the envelope cut in the middle of an element.
      malformedBody: (body) => body.slice(0, Math.floor(body.length * 0.6)),
      // Well-formed SOAP of the wrong shape: a valid envelope whose Body holds an element the WSDL does not define.
      wrongShapeBody: {
        contentType: 'text/xml; charset=utf-8',
        body:
          '<?xml version="1.0" encoding="utf-8"?><soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/">' +
          '<soap:Body><tns:Unexpected xmlns:tns="urn:example:billing:account:v1"><tns:value>x</tns:value></tns:Unexpected></soap:Body></soap:Envelope>',
      },
    },
  );
}
