/**
 * The label catalog is complete: every code the mock systems can produce (over the sample customers and the first
 * few thousand of the data set, every kind of customer among them), every value of the schema's enums and every
 * value the gateway itself writes has a Chinese and an English label. A code without both would reach an agent raw.
 */
import { isEnumType } from 'graphql';
import { CATALOG, ENUM_DOMAINS, labelOf, type Domain } from '../gateway/labels';
import { INELIGIBLE_REASONS } from '../gateway/marketing/eligibility';
import warehouse, { AUDIENCE_FIELDS } from '../adapters/warehouse';
import crm from '../adapters/crm';
import billing from '../adapters/billing';
import scoring from '../adapters/scoring';
import { customerId } from '../mocks/dataset/identity';
import {
  billingAccount,
  CATALOGUE,
  NEW_SERVICES,
  CHANNELS,
  crmContacts,
  crmProducts,
  crmProfile,
  scoringEvaluation,
  warehouseRecord,
} from '../mocks/dataset/customers';
import { buildSchema } from '../gateway/view';

/** Every code seen, by domain, with where it was first seen (for the failure message). */
function codesOfDataset(count: number): Map<Domain, Map<string, string>> {
  const seen = new Map<Domain, Map<string, string>>();
  const add = (domain: Domain, code: string | undefined, where: string): void => {
    if (code === undefined) return;
    const codes = seen.get(domain) ?? new Map<string, string>();
    if (!codes.has(code)) codes.set(code, where);
    seen.set(domain, codes);
  };
  for (let n = 1; n <= count; n++) {
    const id = customerId(n);
    const profile = crmProfile(id);
    if (profile) {
      add('profileStatus', profile.status, `${id} profile.status`);
      add('customerType', profile.customerType, `${id} profile.customerType`);
      add('gender', profile.gender, `${id} profile.gender`);
      add('region', profile.regionCode, `${id} profile.regionCode`);
    }
    for (const p of crmProducts(id) ?? []) {
      add('offer', p.offerCode, `${id} product.offerCode`);
      add('productCategory', p.category, `${id} product.category`);
      add('productStatus', p.status, `${id} product.status`);
    }
    for (const c of crmContacts(id) ?? []) {
      add('channel', c.channel, `${id} contact.channel`);
      add('contactType', c.contactType, `${id} contact.contactType`);
      add('contactOutcome', c.result, `${id} contact.result`);
      add('contactSystem', c.system, `${id} contact.system`);
      add('offer', c.offerCode, `${id} contact.offerCode`);
      add('offerResponse', c.response, `${id} contact.response`);
    }
    const account = billingAccount(id);
    if (account) {
      add('currency', account.currency, `${id} billing.currency`);
      add('paymentMethod', account.paymentBehaviour.paymentMethod, `${id} billing.paymentMethod`);
      for (const b of account.bills) add('billStatus', b.status, `${id} bill.status`);
    }
    const edw = warehouseRecord(id);
    if (edw) {
      add('segment', edw.segment, `${id} edw.segment`);
      for (const t of edw.tags) add('tag', t, `${id} edw.tags`);
      for (const d of edw.roaming_destinations) add('roamingDestination', d, `${id} edw.roaming_destinations`);
      for (const p of edw.channel_preferences) {
        add('channel', p.channel, `${id} edw.channel_preferences.channel`);
        add('preferenceLevel', p.level, `${id} edw.channel_preferences.level`);
      }
    }
    const score = scoringEvaluation(id);
    if (score) {
      add('creditGrade', score.creditGrade, `${id} score.creditGrade`);
      add('valueTier', score.valueTier, `${id} score.valueTier`);
      add('positioning', score.positioning, `${id} score.positioning`);
      for (const o of score.offers) {
        add('offer', o.offerCode, `${id} offer.offerCode`);
        add('offerReason', o.reasonCode, `${id} offer.reasonCode`);
      }
    }
  }
  for (const c of CHANNELS) add('channel', c, 'CHANNELS');
  for (const o of [...CATALOGUE, ...NEW_SERVICES]) {
    add('offer', o.offerCode, 'CATALOGUE');
    add('productCategory', o.category, 'CATALOGUE');
  }
  for (const r of INELIGIBLE_REASONS) add('ineligibleReason', r, 'INELIGIBLE_REASONS');
  // What the gateway itself records: rules' and campaigns' offers, and the desk's three answers.
  for (const s of ['ucv-rules', 'ucv-campaigns']) add('contactSystem', s, 'marketing');
  add('contactOutcome', 'SENT', 'marketing');
  for (const o of ['ACCEPTED', 'DECLINED', 'CALLBACK']) {
    add('contactOutcome', o, 'desk');
    add('offerResponse', o, 'desk');
  }
  return seen;
}

const unlabelled = (domain: Domain, code: string): boolean => {
  const label = labelOf(domain, code);
  return !label || label.zh.trim() === '' || label.en.trim() === '';
};

it('every code the mock systems can produce has a Chinese and an English label', () => {
  const seen = codesOfDataset(3000);
  const missing: string[] = [];
  for (const [domain, codes] of seen)
    for (const [code, where] of codes) if (unlabelled(domain, code)) missing.push(`${domain}.${code} (${where})`);
  expect(missing).toEqual([]);
  // The walk met every kind of customer: each of these domains was reached.
  for (const domain of ['profileStatus', 'customerType', 'segment', 'tag', 'offerReason', 'billStatus'] as const)
    expect(seen.get(domain)?.size).toBeGreaterThan(1);
});

it('every label has both languages, and the Chinese label is Chinese', () => {
  for (const [domain, labels] of Object.entries(CATALOG))
    for (const [code, label] of Object.entries(labels)) {
      expect(`${domain}.${code}: ${label.zh}`).toMatch(/: .+/);
      expect(label.en.trim()).not.toBe('');
      // Chinese first: a label of the agents' language has a CJK character (codes like AAA keep theirs inside).
      expect(`${domain}.${code}: ${label.zh}`).toMatch(/[\u4e00-\u9fff]/);
    }
});

it('every value of the schema enums the catalog documents has its labels', () => {
  const sources = [crm, billing, warehouse, scoring].map((adapter) => ({ name: adapter.name, adapter }));
  const schema = buildSchema(sources as never);
  for (const [typeName, domain] of Object.entries(ENUM_DOMAINS)) {
    const type = schema.getType(typeName);
    if (!type) continue; // RecordStatus exists only with a store
    expect(isEnumType(type)).toBe(true);
    if (!isEnumType(type)) continue;
    const missing = type.getValues().filter((v) => unlabelled(domain, v.name));
    expect(missing.map((v) => `${domain}.${v.name}`)).toEqual([]);
  }
});

it("the warehouse's audience fields take their value labels from the catalog", () => {
  expect(AUDIENCE_FIELDS.segment?.valueLabels).toBe(CATALOG.segment);
  expect(AUDIENCE_FIELDS.tags?.valueLabels).toBe(CATALOG.tag);
  expect(AUDIENCE_FIELDS.valueTier?.valueLabels).toBe(CATALOG.valueTier);
  expect(AUDIENCE_FIELDS.products?.valueLabels).toBe(CATALOG.offer);
  expect(AUDIENCE_FIELDS.preferenceSmsHall?.label).toEqual({ zh: '短信营业厅偏好', en: 'SMS hall preference' });
});
