/**
 * The full view of each sample customer equals what the four production systems hold.
 * Expected values are read from the mock data set, field by field, in the canonical names.
 */
import {
  billingAccount,
  crmContacts,
  crmProducts,
  crmProfile,
  scoringEvaluation,
  warehouseRecord,
  SAMPLE_CUSTOMERS,
} from '../mocks/dataset/customers';
import { FULL_VIEW, startHarness, type Harness } from './support/harness';

let h: Harness;
beforeAll(async () => {
  h = await startHarness();
});
afterAll(() => h.close());

const instant = (iso: string | null | undefined) => (iso ? new Date(iso).toISOString() : null);

function expectedView(id: string) {
  const p = crmProfile(id);
  const b = billingAccount(id);
  const w = warehouseRecord(id);
  const s = scoringEvaluation(id);
  return {
    id,
    profile: p && {
      name: p.name,
      msisdn: p.msisdn,
      gender: p.gender,
      idCardNumber: p.idCardNo,
      address: p.address,
      email: p.email,
      region: { code: p.regionCode, name: p.regionName },
      status: p.status,
      type: p.customerType,
      customerSince: p.createdDate,
      lifestyle: p.lifestyle,
    },
    products: crmProducts(id)?.map((x) => ({
      id: x.productId,
      code: x.offerCode,
      name: x.offerName,
      category: x.category,
      orderedOn: x.orderDate,
      monthlyFee: x.monthlyFee,
      status: x.status,
    })),
    contacts: crmContacts(id)?.map((c) => ({
      id: c.contactId,
      channel: c.channel,
      at: c.contactTime,
      type: c.contactType,
      outcome: c.result,
    })),
    billing: b && {
      accountId: b.accountId,
      currency: b.currency,
      balance: Number(b.balance),
      creditLimit: Number(b.creditLimit),
      currentCharges: {
        month: b.currentCharges.billingMonth,
        amount: Number(b.currentCharges.amount),
        asOf: instant(b.currentCharges.asOf),
      },
      bills: b.bills.map((x) => ({
        month: x.billingMonth,
        amount: Number(x.amount),
        dueDate: x.dueDate,
        paidDate: x.paidDate ?? null,
        status: x.status,
      })),
      paymentBehaviour: {
        method: b.paymentBehaviour.paymentMethod,
        onTimeRatio: Number(b.paymentBehaviour.onTimeRatio),
        averageDaysLate: b.paymentBehaviour.averageDaysLate,
        lastPaymentDate: b.paymentBehaviour.lastPaymentDate ?? null,
        lastPaymentAmount:
          b.paymentBehaviour.lastPaymentAmount === undefined ? null : Number(b.paymentBehaviour.lastPaymentAmount),
      },
    },
    insights: w && {
      batchDate: w.batch_date,
      arpu: w.arpu_3m.map((m) => ({ month: m.month, amount: m.arpu })),
      usageMix: {
        dataPercent: w.usage_mix.data_pct,
        voicePercent: w.usage_mix.voice_pct,
        localPercent: w.usage_mix.local_pct,
        longDistancePercent: w.usage_mix.long_distance_pct,
      },
      roamingDestinations: w.roaming_destinations,
      tags: w.tags,
      segment: w.segment,
      churnProbability: w.churn_probability,
      lifetimeValue: w.lifetime_value,
      loyaltyYears: w.loyalty_years,
      campaignResponsesLast12Months: w.campaign_responses_12m,
      channelPreferences: w.channel_preferences,
    },
    score: s && {
      creditScore: s.creditScore,
      creditGrade: s.creditGrade,
      valueTier: s.valueTier,
      positioning: s.positioning,
      evaluatedAt: s.evaluatedAt,
    },
    recommendations: s?.offers,
  };
}

describe.each(Object.entries(SAMPLE_CUSTOMERS))('the full view of the %s sample customer', (_kind, id) => {
  it('equals what CRM, billing, the warehouse and scoring hold', async () => {
    const { status, body } = await h.gql(FULL_VIEW, { id });
    expect(status).toBe(200);
    const { sources, ...view } = body.data.customer;
    const expected = expectedView(id);
    if (view.billing) view.billing.currentCharges.asOf = instant(view.billing.currentCharges.asOf);
    expect(view).toEqual({ ...expected, billing: expected.billing ?? null, insights: expected.insights ?? null });
    expect(sources.map((s: { source: string }) => s.source)).toEqual(['crm', 'billing', 'warehouse', 'scoring']);
  });
});

it('the sample customers are the documented edge cases', async () => {
  const { body } = await h.gql(FULL_VIEW, { id: SAMPLE_CUSTOMERS.suspended });
  expect(body.data.customer.profile.status).toBe('SUSPENDED');
  const key = await h.gql(FULL_VIEW, { id: SAMPLE_CUSTOMERS.keyAccount });
  expect(key.body.data.customer.profile.type).toBe('KEY_ACCOUNT');
  expect(key.body.data.customer.products.length).toBeGreaterThanOrEqual(10);
});

it('finds a customer by mobile number, with or without +86', async () => {
  const msisdn = crmProfile(SAMPLE_CUSTOMERS.ordinary)?.msisdn as string;
  for (const given of [msisdn, `+86${msisdn}`, `${msisdn.slice(0, 3)} ${msisdn.slice(3, 7)} ${msisdn.slice(7)}`]) {
    const { body } = await h.gql('query($m: String!) { customerByMsisdn(msisdn: $m) { id profile { msisdn } } }', {
      m: given,
    });
    expect(body.data.customerByMsisdn).toEqual({ id: SAMPLE_CUSTOMERS.ordinary, profile: { msisdn } });
  }
});
