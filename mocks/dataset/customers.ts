/**
 * The deterministic mock data set: every record is a pure function of the customer id (and of the as-of date,
 * fixed by default so that runs repeat), in the shape each production system would answer with.
 *
 * Each function returns null when its system does not know the customer: the sample customers below cover
 * the edge cases a front desk meets (suspended, not yet in the nightly batch, no billing account, key account).
 */
import { CUSTOMER_COUNT, customerId, customerNumber, msisdnOf } from './identity';
import { rng, type Rng } from './random';

/** `YYYY-MM-DD` (year 1000 or later, day at most 31): the form every date of the data set has. */
const PLAIN_DATE = /^([1-9]\d{3})-(0[1-9]|1[0-2])-(0[1-9]|[12]\d|3[01])$/;
const DAY_MS = 86_400_000;
const pad2 = (value: number): string => (value < 10 ? `0${value}` : String(value));

/** The day the data set describes. Override with MOCK_AS_OF=YYYY-MM-DD. */
export const AS_OF = process.env.MOCK_AS_OF ?? '2026-11-22';
/** The nightly warehouse batch ran the night before AS_OF. */
export const BATCH_DATE = addDays(AS_OF, -1);

export const SAMPLE_CUSTOMERS = {
  ordinary: customerId(1),
  suspended: customerId(2),
  newNotInWarehouse: customerId(3),
  noBillingAccount: customerId(4),
  keyAccount: customerId(5),
} as const;

export { CUSTOMER_COUNT };

type Kind = 'ordinary' | 'suspended' | 'new' | 'noBilling' | 'keyAccount';

function kindOf(n: number): Kind {
  const sample: Record<number, Kind> = { 2: 'suspended', 3: 'new', 4: 'noBilling', 5: 'keyAccount' };
  if (n in sample) return sample[n] as Kind;
  if (n === 1) return 'ordinary';
  const r = rng(`kind:${n}`).next();
  if (r < 0.015) return 'suspended';
  if (r < 0.035) return 'new';
  if (r < 0.045) return 'noBilling';
  if (r < 0.055) return 'keyAccount';
  return 'ordinary';
}

/**
 * The date `days` after `date` (before, when negative). Computed from the numbers rather than by parsing the text
 * with `new Date`: the data set calls it hundreds of thousands of times (the warehouse's audience columns cover
 * every customer), and the answer is the same (`2026-02-30` is 2026-03-02 either way). Anything else goes the
 * slow way, with its errors.
 */
function addDays(date: string, days: number): string {
  const m = PLAIN_DATE.exec(date);
  if (!m) {
    const d = new Date(`${date}T00:00:00Z`);
    d.setUTCDate(d.getUTCDate() + days);
    return d.toISOString().slice(0, 10);
  }
  const d = new Date(Date.UTC(Number(m[1]), Number(m[2]) - 1, Number(m[3])) + days * DAY_MS);
  const year = d.getUTCFullYear();
  if (year < 1000 || year > 9999) return d.toISOString().slice(0, 10);
  return `${year}-${pad2(d.getUTCMonth() + 1)}-${pad2(d.getUTCDate())}`;
}

/** The month `months` after the month of `date` (`YYYY-MM…`), as `YYYY-MM`. */
function addMonths(date: string, months: number): string {
  const year = Number(date.slice(0, 4));
  const month = Number(date.slice(5, 7));
  if (!/^[1-9]\d{3}-(0[1-9]|1[0-2])/.test(date)) {
    const d = new Date(`${date.slice(0, 7)}-01T00:00:00Z`);
    d.setUTCMonth(d.getUTCMonth() + months);
    return d.toISOString().slice(0, 7);
  }
  const index = year * 12 + (month - 1) + months;
  const y = Math.floor(index / 12);
  if (y < 1000 || y > 9999) return new Date(Date.UTC(y, index - y * 12, 1)).toISOString().slice(0, 7);
  return `${y}-${pad2(index - y * 12 + 1)}`;
}

function joinDate(n: number, kind: Kind, r: Rng): string {
  if (kind === 'new') return AS_OF;
  return addDays(AS_OF, -r.int(200, 6000) - (n % 97));
}

// ---------------------------------------------------------------------------------------------------------
// CRM
// ---------------------------------------------------------------------------------------------------------

const SURNAMES = [
  '王',
  '李',
  '张',
  '刘',
  '陈',
  '杨',
  '黄',
  '赵',
  '吴',
  '周',
  '徐',
  '孙',
  '马',
  '朱',
  '胡',
  '郭',
  '何',
  '林',
  '罗',
  '高',
];
const GIVEN = [
  '伟',
  '芳',
  '娜',
  '秀英',
  '敏',
  '静',
  '丽',
  '强',
  '磊',
  '军',
  '洋',
  '勇',
  '艳',
  '杰',
  '娟',
  '涛',
  '明',
  '超',
  '秀兰',
  '霞',
  '平',
  '刚',
  '桂英',
  '建华',
  '晓东',
];
const PINYIN = [
  'wang',
  'li',
  'zhang',
  'liu',
  'chen',
  'yang',
  'huang',
  'zhao',
  'wu',
  'zhou',
  'xu',
  'sun',
  'ma',
  'zhu',
  'hu',
  'guo',
  'he',
  'lin',
  'luo',
  'gao',
];
const REGIONS = [
  { province: '广东省', city: '广州市', districts: ['天河区', '越秀区', '海珠区', '白云区'], code: '440100' },
  { province: '广东省', city: '深圳市', districts: ['南山区', '福田区', '罗湖区', '宝安区'], code: '440300' },
  { province: '浙江省', city: '杭州市', districts: ['西湖区', '上城区', '滨江区', '拱墅区'], code: '330100' },
  { province: '江苏省', city: '南京市', districts: ['玄武区', '鼓楼区', '建邺区', '秦淮区'], code: '320100' },
  { province: '四川省', city: '成都市', districts: ['武侯区', '锦江区', '青羊区', '成华区'], code: '510100' },
  { province: '湖北省', city: '武汉市', districts: ['江汉区', '武昌区', '洪山区', '江岸区'], code: '420100' },
] as const;
const STREETS = [
  '中山路',
  '人民路',
  '解放路',
  '建设路',
  '和平路',
  '文化路',
  '新华路',
  '天河路',
  '滨江大道',
  '科技园路',
];

export interface CrmProfile {
  customerId: string;
  msisdn: string;
  name: string;
  gender: 'M' | 'F';
  idCardNo: string;
  address: string;
  email: string;
  regionCode: string;
  regionName: string;
  status: 'ACTIVE' | 'SUSPENDED';
  customerType: 'INDIVIDUAL' | 'KEY_ACCOUNT';
  createdDate: string;
  lifestyle: string[];
}

function idCardNumber(regionCode: string, birth: string, n: number): string {
  const body = `${regionCode}${birth.replace(/-/g, '')}${String(n % 1000).padStart(3, '0')}`;
  const weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2];
  const sum = body.split('').reduce((acc, digit, i) => acc + Number(digit) * (weights[i] ?? 0), 0);
  return body + '10X98765432'[sum % 11];
}

export function crmProfile(id: string): CrmProfile | null {
  const n = customerNumber(id);
  if (n === null) return null;
  const kind = kindOf(n);
  const r = rng(`crm:${n}`);
  const surnameIndex = n === 1 ? 2 : r.int(0, SURNAMES.length - 1);
  const name = n === 1 ? '张伟' : `${SURNAMES[surnameIndex]}${r.pick(GIVEN)}`;
  const region = n === 1 ? REGIONS[0] : r.pick(REGIONS);
  const birth = `${r.int(1955, 2004)}-${String(r.int(1, 12)).padStart(2, '0')}-${String(r.int(1, 28)).padStart(2, '0')}`;
  return {
    customerId: id,
    msisdn: msisdnOf(n),
    name,
    gender: r.chance(0.5) ? 'M' : 'F',
    idCardNo: idCardNumber(region.code, birth, n),
    address: `${region.province}${region.city}${r.pick(region.districts)}${r.pick(STREETS)}${r.int(1, 399)}号`,
    email: `${PINYIN[surnameIndex]}${n}@${r.pick(['139.com', '163.com', 'qq.com', 'sina.com'])}`,
    regionCode: region.code,
    regionName: `${region.province}${region.city}`,
    status: kind === 'suspended' ? 'SUSPENDED' : 'ACTIVE',
    customerType: kind === 'keyAccount' ? 'KEY_ACCOUNT' : 'INDIVIDUAL',
    createdDate: joinDate(n, kind, r),
    lifestyle: r.sample(
      ['商务出行', '网购达人', '视频爱好者', '游戏玩家', '家庭用户', '户外运动', '汽车爱好者'],
      r.int(1, 3),
    ),
  };
}

export interface CrmProduct {
  productId: string;
  offerCode: string;
  offerName: string;
  category: 'LOCAL_VOICE' | 'LONG_DISTANCE' | 'DATA' | 'VALUE_ADDED';
  orderDate: string;
  monthlyFee: number;
  status: 'ACTIVE' | 'SUSPENDED';
}

/** The product catalogue the CRM sells; the CRM mock's order endpoint accepts these codes. */
export const CATALOGUE: ReadonlyArray<Omit<CrmProduct, 'productId' | 'orderDate' | 'status'>> = [
  { offerCode: 'LV-58', offerName: '本地通话套餐58元', category: 'LOCAL_VOICE', monthlyFee: 58 },
  { offerCode: 'LV-88', offerName: '本地通话套餐88元', category: 'LOCAL_VOICE', monthlyFee: 88 },
  { offerCode: 'LD-10', offerName: '国内长途优惠包', category: 'LONG_DISTANCE', monthlyFee: 10 },
  { offerCode: 'LD-IDD', offerName: '国际及港澳台长途包', category: 'LONG_DISTANCE', monthlyFee: 30 },
  { offerCode: 'DATA-10G', offerName: '4G流量包10GB', category: 'DATA', monthlyFee: 30 },
  { offerCode: 'DATA-30G', offerName: '5G流量包30GB', category: 'DATA', monthlyFee: 60 },
  { offerCode: 'DATA-HKMO', offerName: '港澳漫游流量包', category: 'DATA', monthlyFee: 25 },
  { offerCode: 'VAS-CRBT', offerName: '彩铃', category: 'VALUE_ADDED', monthlyFee: 5 },
  { offerCode: 'VAS-CLIP', offerName: '来电显示', category: 'VALUE_ADDED', monthlyFee: 6 },
  { offerCode: 'VAS-NEWS', offerName: '手机报', category: 'VALUE_ADDED', monthlyFee: 3 },
  { offerCode: 'VAS-CLOUD', offerName: '和彩云存储50GB', category: 'VALUE_ADDED', monthlyFee: 10 },
  { offerCode: 'VAS-VIDEO', offerName: '视频会员', category: 'VALUE_ADDED', monthlyFee: 15 },
];

/**
 * Services the CRM sells that no customer of the dataset holds yet (so the marketing rules' "not yet subscribed"
 * holds for everyone until they order): the operator's examples' 12580 information line, 12593 long-distance savings,
 * the missed-call reminder, mobile securities and the local "welcome home" package. Orderable like the catalogue.
 */
export const NEW_SERVICES: ReadonlyArray<Omit<CrmProduct, 'productId' | 'orderDate' | 'status'>> = [
  { offerCode: 'VAS-12580', offerName: '12580综合信息服务', category: 'VALUE_ADDED', monthlyFee: 5 },
  { offerCode: 'LD-12593', offerName: '12593长途优惠', category: 'LONG_DISTANCE', monthlyFee: 0 },
  { offerCode: 'VAS-MISSED-CALL', offerName: '来电提醒', category: 'VALUE_ADDED', monthlyFee: 3 },
  { offerCode: 'VAS-SECURITIES', offerName: '手机证券', category: 'VALUE_ADDED', monthlyFee: 25 },
  { offerCode: 'ROAM-NATIONAL', offerName: '国内漫游优惠包', category: 'DATA', monthlyFee: 15 },
  { offerCode: 'LOCAL-HOME', offerName: '回家本地套餐', category: 'LOCAL_VOICE', monthlyFee: 18 },
];

export function crmProducts(id: string): CrmProduct[] | null {
  const profile = crmProfile(id);
  return profile ? crmProductsOf(profile) : null;
}

/** The products of the customer whose CRM profile this is (crmProducts, for a caller that holds the profile). */
export function crmProductsOf(profile: CrmProfile): CrmProduct[] {
  const n = customerNumber(profile.customerId) as number;
  const r = rng(`products:${n}`);
  const keyAccount = profile.customerType === 'KEY_ACCOUNT';
  const count = keyAccount ? r.int(10, CATALOGUE.length) : r.int(2, 5);
  // Everyone has a voice plan; the rest is a stable sample of the catalogue.
  const voice = CATALOGUE[r.int(0, 1)] as (typeof CATALOGUE)[number];
  const others = r.sample(
    CATALOGUE.filter((p) => p.category !== 'LOCAL_VOICE'),
    count - 1,
  );
  // The offer's members spelt out rather than spread: the same object and key order, and the batch's audience
  // columns (mocks/warehouse/audience.ts) read every customer's products.
  return [voice, ...others].map((offer, i) => ({
    offerCode: offer.offerCode,
    offerName: offer.offerName,
    category: offer.category,
    monthlyFee: offer.monthlyFee,
    productId: `P${n}-${i + 1}`,
    orderDate: profile.createdDate === AS_OF ? AS_OF : addDays(profile.createdDate, r.int(0, 900) * (i === 0 ? 0 : 1)),
    status: profile.status,
  }));
}

export interface CrmContact {
  contactId: string;
  channel: string;
  contactTime: string;
  contactType: string;
  result: string;
  /** Who had the contact (an agent, or the system when no person did), and the offer presented, if any. */
  agentId?: string;
  system?: string;
  offerCode?: string;
  response?: string;
}

/** The guideline's channel list. */
export const CHANNELS = [
  'BUSINESS_HALL',
  'FLAGSHIP_STORE',
  'SELF_SERVICE_HALL',
  'CALL_CENTER',
  'IVR',
  'SMS_HALL',
  'WEB_HALL',
  'WAP_HALL',
  'SELF_SERVICE_TERMINAL',
  'ACCOUNT_MANAGER',
  'FRANCHISE_STORE',
  'AGENT_POINT',
] as const;
/** Channels where no person has the contact: the self-service systems record it. */
const SELF_SERVICE_CHANNELS: ReadonlySet<string> = new Set([
  'SELF_SERVICE_HALL',
  'IVR',
  'SMS_HALL',
  'WEB_HALL',
  'WAP_HALL',
  'SELF_SERVICE_TERMINAL',
]);
const CONTACT_TYPES = [
  ['BILL_ENQUIRY', ['RESOLVED']],
  ['BALANCE_ENQUIRY', ['RESOLVED']],
  ['TOP_UP', ['RESOLVED']],
  ['PACKAGE_CHANGE', ['COMPLETED', 'CANCELLED']],
  ['COMPLAINT', ['RESOLVED', 'ESCALATED', 'PENDING']],
  ['CAMPAIGN_OFFER', ['ACCEPTED', 'DECLINED', 'NO_RESPONSE']],
  ['ITEMISED_BILL_PRINT', ['RESOLVED']],
] as const;

export function crmContacts(id: string): CrmContact[] | null {
  const profile = crmProfile(id);
  if (!profile) return null;
  const n = customerNumber(id) as number;
  const r = rng(`contacts:${n}`);
  const count = profile.createdDate === AS_OF ? 1 : r.int(2, profile.customerType === 'KEY_ACCOUNT' ? 12 : 8);
  const contacts: CrmContact[] = [];
  for (let i = 0; i < count; i++) {
    const [type, outcomes] = r.pick(CONTACT_TYPES);
    const day = profile.createdDate === AS_OF ? AS_OF : addDays(AS_OF, -r.int(0, 180));
    const channel = profile.customerType === 'KEY_ACCOUNT' && r.chance(0.5) ? 'ACCOUNT_MANAGER' : r.pick(CHANNELS);
    const result = r.pick(outcomes);
    // Who had it and which offer it was about: from the contact's place in the trail, not from the customer's random
    // stream, so every other value of the data set stays as it was.
    const offer = type === 'CAMPAIGN_OFFER' ? CATALOGUE[(n + i) % CATALOGUE.length] : undefined;
    contacts.push({
      contactId: `T${n}-${i + 1}`,
      channel,
      contactTime: `${day}T${String(r.int(8, 21)).padStart(2, '0')}:${String(r.int(0, 59)).padStart(2, '0')}:00+08:00`,
      contactType: type,
      result,
      ...(SELF_SERVICE_CHANNELS.has(channel)
        ? { system: 'self-service' }
        : { agentId: `G${1000 + ((n * 7 + i * 13) % 9000)}` }),
      ...(offer ? { offerCode: offer.offerCode, ...(result === 'NO_RESPONSE' ? {} : { response: result }) } : {}),
    });
  }
  return contacts.sort((a, b) => b.contactTime.localeCompare(a.contactTime));
}

// ---------------------------------------------------------------------------------------------------------
// Billing (the SOAP service's record)
// ---------------------------------------------------------------------------------------------------------

export interface BillingAccount {
  accountId: string;
  customerId: string;
  currency: 'CNY';
  balance: string;
  creditLimit: string;
  currentCharges: { billingMonth: string; amount: string; asOf: string };
  bills: Array<{
    billingMonth: string;
    amount: string;
    dueDate: string;
    paidDate?: string;
    status: 'PAID' | 'UNPAID' | 'OVERDUE';
  }>;
  paymentBehaviour: {
    paymentMethod: 'AUTO_DEBIT' | 'ONLINE' | 'CASH' | 'BANK_TRANSFER';
    onTimeRatio: string;
    averageDaysLate: number;
    lastPaymentDate?: string;
    lastPaymentAmount?: string;
  };
}

const amount = (value: number): string => value.toFixed(2);

export function billingAccount(id: string): BillingAccount | null {
  const n = customerNumber(id);
  if (n === null) return null;
  const kind = kindOf(n);
  if (kind === 'noBilling') return null;
  const r = rng(`billing:${n}`);
  const base = kind === 'keyAccount' ? r.money(400, 2400) : r.money(40, 260);
  const thisMonth = AS_OF.slice(0, 7);
  const isNew = kind === 'new';
  const bills: BillingAccount['bills'] = [];
  for (let i = 1; i <= (isNew ? 0 : 6); i++) {
    const month = addMonths(thisMonth, -i);
    const due = `${addMonths(month, 1)}-20`;
    const late = kind === 'suspended' && i <= 2;
    const billAmount = amount(base * (0.8 + r.next() * 0.4));
    bills.push(
      late
        ? { billingMonth: month, amount: billAmount, dueDate: due, status: i === 1 ? 'UNPAID' : 'OVERDUE' }
        : {
            billingMonth: month,
            amount: billAmount,
            dueDate: due,
            paidDate: addDays(due, -r.int(0, 15)),
            status: 'PAID',
          },
    );
  }
  const lastPaid = bills.find((b) => b.paidDate);
  const day = Number(AS_OF.slice(8, 10));
  return {
    accountId: `A${String(n).padStart(10, '0')}`,
    customerId: id,
    currency: 'CNY',
    balance: amount(kind === 'suspended' ? -r.money(50, 400) : r.money(0, 300)),
    creditLimit: amount(kind === 'keyAccount' ? 5000 : kind === 'suspended' ? 0 : r.pick([100, 200, 300, 500])),
    currentCharges: { billingMonth: thisMonth, amount: amount((base * day) / 30), asOf: `${AS_OF}T08:00:00+08:00` },
    bills,
    paymentBehaviour: {
      paymentMethod: r.pick(['AUTO_DEBIT', 'ONLINE', 'CASH', 'BANK_TRANSFER'] as const),
      onTimeRatio: kind === 'suspended' ? '0.50' : isNew ? '1.00' : r.pick(['0.83', '1.00', '1.00', '0.67']),
      averageDaysLate: kind === 'suspended' ? r.int(20, 60) : r.int(0, 3),
      ...(lastPaid ? { lastPaymentDate: lastPaid.paidDate, lastPaymentAmount: lastPaid.amount } : {}),
    },
  };
}

// ---------------------------------------------------------------------------------------------------------
// Data warehouse (nightly batch, snake_case as the EDW exports it)
// ---------------------------------------------------------------------------------------------------------

const TAGS = [
  'fashion-forward early adopter',
  'senior white-collar',
  'car lover',
  'frequent traveller to Hong Kong/Macau',
  'heavy video user',
  'price sensitive',
  'family plan head',
  'night owl gamer',
];
const SEGMENTS = ['HIGH_VALUE_BUSINESS', 'YOUTH_DATA', 'FAMILY', 'MASS_MARKET', 'SENIOR', 'SMALL_BUSINESS'];
const ROAMING = ['Hong Kong', 'Macau', 'Taiwan', 'Japan', 'Korea', 'Thailand', 'Singapore', 'USA'];
const E_CHANNELS = ['PHONE_HALL', 'SMS_HALL', 'WEB_HALL', 'WAP_HALL', 'SELF_SERVICE_TERMINAL'];
const LEVELS = ['STRONGEST', 'STRONG', 'MEDIUM', 'WEAK'];

export interface WarehouseRecord {
  customer_id: string;
  batch_date: string;
  arpu_3m: Array<{ month: string; arpu: number }>;
  usage_mix: { data_pct: number; voice_pct: number; local_pct: number; long_distance_pct: number };
  roaming_destinations: string[];
  tags: string[];
  segment: string;
  churn_probability: number;
  lifetime_value: number;
  loyalty_years: number;
  campaign_responses_12m: number;
  channel_preferences: Array<{ channel: string; level: string }>;
  /** Last month's counts behind the channel preferences (channelUsage below). */
  channel_usage: ChannelUsage;
}

/**
 * A month of a customer's use of the electronic channels: the counts the channel guideline rates preference levels
 * by. The WAP hall's indicators are the web hall's (GPRS and new data services), counted on the WAP gateway.
 */
export interface ChannelUsage {
  bill_enquiries: number;
  address_enquiries: number;
  sms: number;
  mms: number;
  gprs_mb: number;
  new_data_services: number;
  ringback_changes: number;
  wap_gprs_mb: number;
  wap_new_data_services: number;
  itemised_bill_prints: number;
}

/**
 * Each channel's indicators and the lowest count of each level (STRONGEST, STRONG, MEDIUM, WEAK), as the channel
 * guideline rates them (the gateway's default steering table holds the same figures). A channel's level is its
 * strongest indicator's.
 */
const USAGE_LEVELS: Record<string, Array<[keyof ChannelUsage, [number, number, number, number]]>> = {
  PHONE_HALL: [
    ['bill_enquiries', [8, 5, 2, 0]],
    ['address_enquiries', [6, 4, 2, 0]],
  ],
  SMS_HALL: [
    ['sms', [300, 150, 50, 0]],
    ['mms', [30, 15, 8, 0]],
  ],
  WEB_HALL: [
    ['gprs_mb', [500, 300, 100, 0]],
    ['ringback_changes', [4, 3, 2, 0]],
    ['new_data_services', [4, 3, 1, 0]],
  ],
  WAP_HALL: [
    ['wap_gprs_mb', [500, 300, 100, 0]],
    ['wap_new_data_services', [4, 3, 1, 0]],
  ],
  SELF_SERVICE_TERMINAL: [['itemised_bill_prints', [5, 3, 2, 0]]],
};

/**
 * Counts that make exactly the given levels: per channel, one indicator (drawn) inside its level's range and the
 * others at that level or weaker. Drawn from a stream of their own, so every other field stays as it was.
 */
function channelUsageOf(n: number, preferences: ReadonlyArray<{ channel: string; level: string }>): ChannelUsage {
  const r = rng(`usage:${n}`);
  const usage = {} as ChannelUsage;
  const countAt = (lows: readonly number[], level: number): number => {
    const low = lows[level] as number;
    const high = level === 0 ? low * 2 : (lows[level - 1] as number) - 1;
    return r.int(low, Math.max(low, high));
  };
  for (const { channel, level } of preferences) {
    const indicators = USAGE_LEVELS[channel] ?? [];
    const at = Math.max(0, LEVELS.indexOf(level));
    const primary = r.int(0, indicators.length - 1);
    indicators.forEach(([name, lows], i) => {
      usage[name] = countAt(lows, i === primary ? at : r.int(at, LEVELS.length - 1));
    });
  }
  return usage;
}

export function warehouseRecord(id: string): WarehouseRecord | null {
  const n = customerNumber(id);
  if (n === null || kindOf(n) === 'new') return null; // joined after last night's batch
  const kind = kindOf(n);
  const r = rng(`edw:${n}`);
  const base = kind === 'keyAccount' ? r.money(400, 2000) : r.money(40, 220);
  const dataPct = r.int(20, 85);
  const localPct = r.int(55, 95);
  const traveller = n === 1 || r.chance(0.2);
  const tags = r.sample(
    TAGS.filter((t) => !t.startsWith('frequent')),
    r.int(1, 3),
  );
  const record = {
    customer_id: id,
    batch_date: BATCH_DATE,
    arpu_3m: [3, 2, 1].map((back) => ({
      month: addMonths(BATCH_DATE, -back),
      arpu: Math.round(base * (0.85 + r.next() * 0.3) * 100) / 100,
    })),
    usage_mix: { data_pct: dataPct, voice_pct: 100 - dataPct, local_pct: localPct, long_distance_pct: 100 - localPct },
    roaming_destinations: traveller
      ? ['Hong Kong', 'Macau', ...r.sample(ROAMING.slice(2), r.int(0, 2))]
      : r.sample(ROAMING, r.int(0, 1)),
    tags: traveller ? ['frequent traveller to Hong Kong/Macau', ...tags] : tags,
    segment: kind === 'keyAccount' ? 'HIGH_VALUE_BUSINESS' : r.pick(SEGMENTS),
    churn_probability:
      kind === 'suspended'
        ? Math.round((0.6 + r.next() * 0.35) * 1000) / 1000
        : Math.round(r.next() * 0.4 * 1000) / 1000,
    lifetime_value: Math.round(base * r.int(24, 96) * 100) / 100,
    loyalty_years: r.int(0, 15),
    campaign_responses_12m: r.int(0, 6),
    channel_preferences: E_CHANNELS.map((channel) => ({ channel, level: r.pick(LEVELS) })),
  };
  return { ...record, channel_usage: channelUsageOf(n, record.channel_preferences) };
}

// ---------------------------------------------------------------------------------------------------------
// Scoring (the analytics / precise-segmentation system)
// ---------------------------------------------------------------------------------------------------------

export interface ScoringEvaluation {
  customerId: string;
  evaluatedAt: string;
  creditScore: number;
  creditGrade: 'AAA' | 'AA' | 'A' | 'B' | 'C';
  valueTier: 'DIAMOND' | 'PLATINUM' | 'GOLD' | 'SILVER' | 'STANDARD';
  positioning: string;
  /** `reason`: in Chinese with the customer's figures, as an agent says it; `reasonCode`: which rule it is. */
  offers: Array<{ offerCode: string; offerName: string; reason: string; reasonCode: string; propensity: number }>;
}

const POSITIONINGS = [
  'small business owner',
  'senior white-collar',
  'university student',
  'young professional',
  'retiree',
  'frequent business traveller',
];

/** The credit score and value tier: the first draws of the customer's scoring stream. */
function scoreAndTier(kind: Kind, r: Rng): { score: number; tier: ScoringEvaluation['valueTier'] } {
  const score = kind === 'suspended' ? r.int(380, 520) : kind === 'new' ? 600 : r.int(560, 900);
  const tier =
    kind === 'keyAccount' ? 'DIAMOND' : r.pick(['PLATINUM', 'GOLD', 'SILVER', 'STANDARD', 'STANDARD'] as const);
  return { score, tier };
}

/** The value tier scoringEvaluation(id) answers, without the rest of the evaluation (null: unknown customer). */
export function valueTierOf(id: string): ScoringEvaluation['valueTier'] | null {
  const n = customerNumber(id);
  return n === null ? null : scoreAndTier(kindOf(n), rng(`score:${n}`)).tier;
}

export function scoringEvaluation(id: string): ScoringEvaluation | null {
  const n = customerNumber(id);
  if (n === null) return null;
  const kind = kindOf(n);
  const r = rng(`score:${n}`);
  const { score, tier } = scoreAndTier(kind, r);
  const grade = score >= 820 ? 'AAA' : score >= 740 ? 'AA' : score >= 650 ? 'A' : score >= 550 ? 'B' : 'C';
  const warehouse = warehouseRecord(id);
  const offers: ScoringEvaluation['offers'] = [];
  if (warehouse?.tags.includes('frequent traveller to Hong Kong/Macau')) {
    offers.push({
      offerCode: 'DATA-HKMO',
      offerName: '港澳漫游流量包',
      reason: '近3个月中有2个月漫游港澳',
      reasonCode: 'ROAMING_HK_MO',
      propensity: 0.82,
    });
  }
  if (warehouse && warehouse.usage_mix.data_pct > 60) {
    offers.push({
      offerCode: 'DATA-30G',
      offerName: '5G流量包30GB',
      reason: `流量占使用量的${warehouse.usage_mix.data_pct}%，现有流量包多数月份不够用`,
      reasonCode: 'DATA_HEAVY',
      propensity: Math.round(r.next() * 50 + 40) / 100,
    });
  }
  if (kind === 'keyAccount') {
    offers.push({
      offerCode: 'VAS-CLOUD',
      offerName: '和彩云存储50GB',
      reason: '集团客户多线路：团队共享云存储',
      reasonCode: 'KEY_ACCOUNT_TEAM',
      propensity: 0.64,
    });
  }
  if (kind !== 'suspended' && offers.length === 0) {
    offers.push({
      offerCode: 'VAS-VIDEO',
      offerName: '视频会员',
      reason: '同细分群体的相似客户已订购',
      reasonCode: 'SIMILAR_CUSTOMERS',
      propensity: Math.round(r.next() * 30 + 20) / 100,
    });
  }
  return {
    customerId: id,
    evaluatedAt: `${AS_OF}T02:30:00+08:00`,
    creditScore: score,
    creditGrade: grade,
    valueTier: tier,
    positioning: kind === 'keyAccount' || n === 1 ? 'small business owner' : r.pick(POSITIONINGS),
    offers,
  };
}
