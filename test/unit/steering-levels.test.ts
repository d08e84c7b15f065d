/**
 * Preference levels read from monthly counts with the steering table's thresholds: the guideline's edges (8 bill
 * enquiries strongest, 7 strong), a channel's level its strongest indicator's, ranges refused when they overlap or
 * leave counts without a level, and the warehouse mock's counts giving exactly the levels it reports. In process.
 */
import { customerId } from '../../mocks/dataset/identity';
import { warehouseRecord } from '../../mocks/dataset/customers';
import {
  checkSteeringTable,
  DEFAULT_STEERING_TABLE,
  levelOf,
  preferencesOf,
  rangeProblems,
  type SteeringTable,
} from '../../gateway/steering';

const checked = checkSteeringTable(DEFAULT_STEERING_TABLE);
if (!checked.ok) throw new Error(JSON.stringify(checked.problems));
const table: SteeringTable = checked.table;

const ranges = (channel: keyof SteeringTable['preferences'], indicator: string) =>
  (table.preferences[channel] as Record<string, Parameters<typeof levelOf>[0]>)[indicator]!;

it.each([
  [
    'PHONE_HALL',
    'billEnquiries',
    [
      [20, 'STRONGEST'],
      [8, 'STRONGEST'],
      [7, 'STRONG'],
      [5, 'STRONG'],
      [4, 'MEDIUM'],
      [2, 'MEDIUM'],
      [1, 'WEAK'],
      [0, 'WEAK'],
    ],
  ],
  [
    'PHONE_HALL',
    'addressEnquiries',
    [
      [6, 'STRONGEST'],
      [5, 'STRONG'],
      [4, 'STRONG'],
      [3, 'MEDIUM'],
      [2, 'MEDIUM'],
      [1, 'WEAK'],
    ],
  ],
  [
    'SMS_HALL',
    'sms',
    [
      [300, 'STRONGEST'],
      [299, 'STRONG'],
      [150, 'STRONG'],
      [149, 'MEDIUM'],
      [50, 'MEDIUM'],
      [49, 'WEAK'],
    ],
  ],
  [
    'SMS_HALL',
    'mms',
    [
      [30, 'STRONGEST'],
      [29, 'STRONG'],
      [15, 'STRONG'],
      [14, 'MEDIUM'],
      [8, 'MEDIUM'],
      [7, 'WEAK'],
    ],
  ],
  [
    'WEB_HALL',
    'gprsMb',
    [
      [500, 'STRONGEST'],
      [499, 'STRONG'],
      [300, 'STRONG'],
      [299, 'MEDIUM'],
      [100, 'MEDIUM'],
      [99, 'WEAK'],
    ],
  ],
  [
    'WEB_HALL',
    'ringbackChanges',
    [
      [4, 'STRONGEST'],
      [3, 'STRONG'],
      [2, 'MEDIUM'],
      [1, 'WEAK'],
    ],
  ],
  [
    'WEB_HALL',
    'newDataServices',
    [
      [4, 'STRONGEST'],
      [3, 'STRONG'],
      [2, 'MEDIUM'],
      [1, 'MEDIUM'],
      [0, 'WEAK'],
    ],
  ],
  [
    'SELF_SERVICE_TERMINAL',
    'itemisedBillPrints',
    [
      [5, 'STRONGEST'],
      [4, 'STRONG'],
      [3, 'STRONG'],
      [2, 'MEDIUM'],
      [1, 'WEAK'],
    ],
  ],
] as const)('%s %s: each count at its level, on both sides of every edge', (channel, indicator, cases) => {
  for (const [count, level] of cases)
    expect([count, levelOf(ranges(channel, indicator), count)]).toEqual([count, level]);
});

it("a channel's level is its strongest indicator's (the web hall by GPRS MB or data services)", () => {
  const [web] = preferencesOf(table, { gprsMb: 120, ringbackChanges: 0, newDataServices: 4 });
  expect(web).toMatchObject({
    channel: 'WEB_HALL',
    level: 'STRONGEST',
    indicators: [
      { indicator: 'gprsMb', count: 120, level: 'MEDIUM' },
      { indicator: 'ringbackChanges', count: 0, level: 'WEAK' },
      { indicator: 'newDataServices', count: 4, level: 'STRONGEST' },
    ],
  });
});

describe('ranges that do not make one level per count are refused, with where', () => {
  const ok = [
    { level: 'STRONGEST' as const, from: 8 },
    { level: 'STRONG' as const, from: 5, to: 8 },
    { level: 'MEDIUM' as const, from: 2, to: 5 },
    { level: 'WEAK' as const, from: 0, to: 2 },
  ];
  const change = (i: number, patch: object) => ok.map((r, k) => (k === i ? { ...r, ...patch } : r));

  it('the guideline thresholds pass', () => expect(rangeProblems(ok)).toEqual([]));
  it('an overlap', () =>
    expect(rangeProblems(change(1, { to: 9 }))).toEqual([{ path: [0, 'from'], message: 'overlaps STRONG (5 to 8)' }]));
  it('a gap', () =>
    expect(rangeProblems(change(2, { from: 3 }))).toEqual([
      { path: [2, 'from'], message: 'counts 2 to 2 have no level: WEAK ends at 2, MEDIUM starts at 3' },
    ]));
  it('counts from 0 not covered', () =>
    expect(rangeProblems(change(3, { from: 1 }))[0]).toEqual({
      path: [3, 'from'],
      message: 'counts 0 to 0 have no level: the lowest range starts at 0',
    }));
  it('a highest range with an upper bound', () =>
    expect(rangeProblems(change(0, { to: 20 }))).toEqual([
      { path: [0, 'to'], message: 'counts from 20 up have no level: the highest range has no "to"' },
    ]));
  it('a level twice', () =>
    expect(rangeProblems(change(2, { level: 'STRONG' }))).toEqual([
      { path: [2, 'level'], message: 'STRONG is given twice (also at 1)' },
    ]));
  it('a weaker level above a stronger one', () =>
    expect(
      rangeProblems(change(0, { level: 'WEAK' }).map((r, i) => (i === 3 ? { ...r, level: 'STRONGEST' as const } : r))),
    ).toContainEqual({
      path: [0, 'level'],
      message: 'WEAK above STRONG: stronger levels take higher counts',
    }));
});

it("the warehouse mock's counts give exactly the preference levels it reports (2,000 customers)", () => {
  let compared = 0;
  for (let n = 1; n <= 2000; n++) {
    const record = warehouseRecord(customerId(n));
    if (!record) continue;
    const u = record.channel_usage;
    const computed = preferencesOf(table, {
      billEnquiries: u.bill_enquiries,
      addressEnquiries: u.address_enquiries,
      sms: u.sms,
      mms: u.mms,
      gprsMb: u.gprs_mb,
      newDataServices: u.new_data_services,
      ringbackChanges: u.ringback_changes,
      wapGprsMb: u.wap_gprs_mb,
      wapNewDataServices: u.wap_new_data_services,
      itemisedBillPrints: u.itemised_bill_prints,
    }).map((p) => ({ channel: p.channel, level: p.level }));
    expect([record.customer_id, computed]).toEqual([record.customer_id, record.channel_preferences]);
    compared++;
  }
  expect(compared).toBeGreaterThan(1900);
});
