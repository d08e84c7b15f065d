/**
 * The one label catalog: every code the view can carry (statuses, types, segments, tiers, tags, channels, levels,
 * products, bills, contacts, sources, refusals), each with its Chinese label first and its English one second.
 * The schema's descriptions, the SOAP WSDL's enumerations, the audience field catalog and the desk page (through
 * `GET /labels`) read it from here, so a label is written once.
 *
 * A leaf: imports nothing of the gateway, so any room and any adapter may import it.
 */
import { createHash } from 'node:crypto';
import { billStatus, currency, paymentMethod } from './billing';
import { channel, offerChannel, preferenceLevel } from './channels';
import { contactOutcome, contactSystem, contactType, offerResponse, recordStatus } from './contacts';
import {
  creditGrade,
  customerType,
  gender,
  positioning,
  profileStatus,
  region,
  roamingDestination,
  segment,
  tag,
  trend,
  valueTier,
} from './customer';
import { breakerState, ineligibleReason, section, source, sourceReason, sourceState } from './gateway';
import {
  calendarWindow,
  campaignState,
  exceptionCause,
  exceptionState,
  offerKind,
  ruleChannel,
  ruleOrigin,
  weekday,
} from './marketing';
import { offer, offerReason, productCategory, productStatus } from './products';
import { DIVERSION_RULES, STEERING_BASES, STEERING_REASONS, USAGE_INDICATORS } from './steering';
import type { Label, Labels } from './types';

export type { Label, Labels } from './types';

export const CATALOG = {
  profileStatus,
  customerType,
  gender,
  region,
  creditGrade,
  valueTier,
  positioning,
  segment,
  tag,
  trend,
  roamingDestination,
  channel,
  offerChannel,
  preferenceLevel,
  offer,
  offerReason,
  productCategory,
  productStatus,
  paymentMethod,
  billStatus,
  currency,
  contactType,
  contactOutcome,
  offerResponse,
  contactSystem,
  recordStatus,
  section,
  source,
  sourceState,
  sourceReason,
  breakerState,
  ineligibleReason,
  diversionRule: DIVERSION_RULES,
  steeringBasis: STEERING_BASES,
  steeringReason: STEERING_REASONS,
  usageIndicator: USAGE_INDICATORS,
  exceptionCause,
  exceptionState,
  campaignState,
  ruleOrigin,
  ruleChannel,
  offerKind,
  calendarWindow,
  weekday,
} as const satisfies Readonly<Record<string, Labels>>;

export type Domain = keyof typeof CATALOG;

/** The GraphQL enums whose values are a domain's codes: the WSDL documents each value with its labels. */
export const ENUM_DOMAINS: Readonly<Record<string, Domain>> = {
  CustomerStatus: 'profileStatus',
  CustomerType: 'customerType',
  ProductCategory: 'productCategory',
  Channel: 'channel',
  PreferenceLevel: 'preferenceLevel',
  BillStatus: 'billStatus',
  SourceState: 'sourceState',
  BreakerState: 'breakerState',
  RecordStatus: 'recordStatus',
};

/**
 * What makes a customer one to take care with, as data the desk reads with the labels: a credit grade that is low,
 * a churn probability from which the risk is high, the outcomes that leave a complaint open.
 */
export const RISK = {
  lowCreditGrades: ['C'],
  highChurnProbability: 0.6,
  openComplaintOutcomes: ['PENDING', 'ESCALATED'],
} as const;

/** The label of `code` in `domain`, or undefined when the catalog does not know it. */
export function labelOf(domain: Domain, code: string): Label | undefined {
  const labels: Labels = CATALOG[domain];
  return Object.hasOwn(labels, code) ? labels[code] : undefined;
}

/** "正常 (active)": a code's labels in one line, both languages; the code itself when unknown. */
export function bilingual(domain: Domain, code: string): string {
  const label = labelOf(domain, code);
  return label ? `${label.zh} (${label.en})` : code;
}

/** The catalog as served (`GET /labels`): its JSON and a strong ETag of it, computed once. */
export const SERVED = (() => {
  const json = JSON.stringify({ version: 1, domains: CATALOG, risk: RISK });
  return { json, etag: `"${createHash('sha256').update(json).digest('base64url').slice(0, 27)}"` };
})();
