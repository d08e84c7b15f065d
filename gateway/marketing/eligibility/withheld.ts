/**
 * `Recommendation.withheld`: the scoring system's offers checked, in the gateway, by the same eligibility check
 * campaigns and rules use (`offerRefusal`), so every consumer (the desk, SOAP, a console) learns that an offer would
 * be wrong to make now and why, instead of each page deciding for itself.
 *
 * It reads the customer's profile, products and billing through the request's loads (a record is fetched once per
 * request, the desk's full view has them in flight already). Its reason reveals what those sections hold (IN_ARREARS
 * says the customer owes), so a role that may not read one of the coordinates in `reveals` may not read
 * `withheld` either: the rights plugin denies it, as it would the section (FORBIDDEN naming the field).
 */
import { CATALOG } from '../../labels';
import { offerRefusal, type EligibilityView } from './index';

const TYPE_DEFS = `
"Why an offer is withheld now: the eligibility check campaigns and rules use."
type Withheld {
  "SUSPENDED, IN_ARREARS, HOLDS_PRODUCT, LIVE_DATA_UNAVAILABLE or UNKNOWN_CUSTOMER (labels: GET /labels, domain ineligibleReason)."
  reason: String!
  "The reason for the agent, in Chinese."
  label: String!
  "The reason in English."
  labelEn: String!
}

extend type Recommendation {
  "Null: the offer may be made now. Otherwise it would be wrong to make now (e.g. the line is suspended), and why."
  withheld: Withheld
}
`;

export const withheldField = {
  type: 'Recommendation',
  field: 'withheld',
  typeDefs: TYPE_DEFS,
  reads: ['profile', 'products', 'billing'],
  reveals: [
    'Customer.profile',
    'Profile.status',
    'Customer.products',
    'Product.code',
    'Product.status',
    'Customer.billing',
    'Billing.balance',
    'Billing.bills',
    'Bill.status',
    'Bill.dueDate',
  ],
  resolve(
    parent: unknown,
    { sections, read }: { sections: Record<string, unknown>; read: Record<string, boolean> },
  ): { reason: string; label: string; labelEn: string } | null {
    const offerCode = (parent as { offerCode?: unknown }).offerCode;
    if (typeof offerCode !== 'string') return null;
    const view = {
      profile: sections.profile,
      products: sections.products,
      billing: sections.billing,
    } as EligibilityView;
    const reason = offerRefusal(
      view,
      { profile: read.profile === true, products: read.products === true, billing: read.billing === true },
      { offerCode, kind: 'upsell' },
    );
    if (!reason) return null;
    const label = CATALOG.ineligibleReason[reason];
    return { reason, label: label?.zh ?? reason, labelEn: label?.en ?? reason };
  },
} as const;
