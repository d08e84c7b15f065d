/**
 * The warehouse's audience extraction: last night's batch as columns in memory, and conditions over them.
 *
 * The batch's facts per customer (`batchFacts`, in the EDW's snake_case columns) are derived from the data set, as of
 * the batch: the warehouse record, the CRM profile and products, the scoring tier. They are built once per process,
 * at the first extraction, into one typed column per fact (dictionary codes for strings, bit masks for sets,
 * Float64Array for numbers), over the customers in the batch sorted by id; the build yields to the event loop
 * between slices so the mock's other routes keep answering meanwhile.
 *
 * A condition is the gateway's condition language (`all`, `any`, `not`, leaves `{ field, operator, value }` with
 * json-rules-engine's operator names) over these columns, compiled once into a predicate on a row. Every batch
 * customer has every column, so no fact is ever missing here.
 */
import { setImmediate as yieldToEventLoop } from 'node:timers/promises';
import {
  BATCH_DATE,
  CUSTOMER_COUNT,
  crmProductsOf,
  crmProfile,
  valueTierOf,
  warehouseRecord,
} from '../dataset/customers';
import { customerId } from '../dataset/identity';

/** The type of each column, as the EDW's data dictionary states it. */
export const COLUMNS = {
  segment: 'string',
  tags: 'set',
  value_tier: 'string',
  churn_probability: 'number',
  lifetime_value: 'number',
  arpu_3m_avg: 'number',
  arpu_trend: 'string',
  data_pct: 'number',
  long_distance_pct: 'number',
  roaming_destinations: 'set',
  pref_phone_hall: 'string',
  pref_sms_hall: 'string',
  pref_web_hall: 'string',
  pref_wap_hall: 'string',
  pref_self_service_terminal: 'string',
  region: 'string',
  products: 'set',
  status: 'string',
} as const satisfies Record<string, ColumnType>;
export type ColumnName = keyof typeof COLUMNS;
type ColumnType = 'string' | 'number' | 'set';

/** The ARPU trend: the last of the three months against the first, beyond ±5 % (`FLAT` within). */
const TREND_BAND = 0.05;

/**
 * One batch customer's facts, by column; null when the customer is not in the batch (`warehouseRecord` null).
 *
 *   arpu_3m_avg        the mean of the three months' ARPU, in CNY, two decimals
 *   arpu_trend         UP / FLAT / DOWN: the last month against the first, ±5 %
 *   pref_<channel>     the level of each electronic channel's preference (STRONGEST … WEAK)
 *   region, status     the CRM profile's region code and status
 *   products           the offer codes of the CRM products ordered on or before the batch date
 *   value_tier         the scoring system's tier
 */
export function batchFacts(id: string): Record<ColumnName, string | number | string[]> | null {
  const record = warehouseRecord(id);
  const profile = record && crmProfile(id);
  if (!record || !profile) return null;
  const arpu = record.arpu_3m.map((m) => m.arpu);
  const first = arpu[0] ?? 0;
  const last = arpu[arpu.length - 1] ?? 0;
  const preference = (channel: string): string =>
    record.channel_preferences.find((c) => c.channel === channel)?.level ?? 'WEAK';
  return {
    segment: record.segment,
    tags: record.tags,
    value_tier: valueTierOf(id) ?? 'STANDARD',
    churn_probability: record.churn_probability,
    lifetime_value: record.lifetime_value,
    arpu_3m_avg: Math.round((arpu.reduce((a, b) => a + b, 0) / Math.max(arpu.length, 1)) * 100) / 100,
    arpu_trend: last > first * (1 + TREND_BAND) ? 'UP' : last < first * (1 - TREND_BAND) ? 'DOWN' : 'FLAT',
    data_pct: record.usage_mix.data_pct,
    long_distance_pct: record.usage_mix.long_distance_pct,
    roaming_destinations: record.roaming_destinations,
    pref_phone_hall: preference('PHONE_HALL'),
    pref_sms_hall: preference('SMS_HALL'),
    pref_web_hall: preference('WEB_HALL'),
    pref_wap_hall: preference('WAP_HALL'),
    pref_self_service_terminal: preference('SELF_SERVICE_TERMINAL'),
    region: profile.regionCode,
    products: crmProductsOf(profile)
      .filter((p) => p.orderDate <= BATCH_DATE)
      .map((p) => p.offerCode),
    status: profile.status,
  };
}

type Column =
  | { type: 'string'; codes: Uint16Array; dictionary: Map<string, number> }
  | { type: 'number'; values: Float64Array }
  | { type: 'set'; masks: Uint32Array; dictionary: Map<string, number> };

export interface Batch {
  batchDate: string;
  /** The batch's customer ids, ascending. */
  ids: string[];
  columns: Record<ColumnName, Column>;
  /** How long the build took, in ms. */
  buildMs: number;
}

/** A set column's items are bits of a 32-bit mask: at most this many distinct items. */
const MAX_SET_ITEMS = 32;
/** A string column's values are 16-bit codes: at most this many distinct values. */
const MAX_STRING_VALUES = 0x10000;
/** Customers built between two yields to the event loop. */
const SLICE = 2_000;

let batch: Promise<Batch> | undefined;

/** The batch's columns, built at the first call (then shared by every warehouse mock of the process). */
export function audienceBatch(): Promise<Batch> {
  batch ??= buildBatch();
  return batch;
}

async function buildBatch(): Promise<Batch> {
  const started = performance.now();
  const ids: string[] = [];
  // One writer per column, filled row by row: no customer's facts are kept once written.
  const writers = (Object.entries(COLUMNS) as Array<[ColumnName, ColumnType]>).map(([name, type]) => ({
    name,
    writer: columnWriter(name, type, CUSTOMER_COUNT),
  }));
  // Customer ids are C + the number on 8 digits: ascending numbers are ascending ids.
  for (let n = 1; n <= CUSTOMER_COUNT; n++) {
    const id = customerId(n);
    const row = batchFacts(id);
    if (row) {
      for (const { name, writer } of writers) writer.write(ids.length, row[name]);
      ids.push(id);
    }
    if (n % SLICE === 0) await yieldToEventLoop();
  }
  const columns = Object.fromEntries(writers.map(({ name, writer }) => [name, writer.done(ids.length)]));
  return { batchDate: BATCH_DATE, ids, columns: columns as Batch['columns'], buildMs: performance.now() - started };
}

/** A column being built: `write` each row's value, then `done` with the number of rows. */
function columnWriter(
  name: string,
  type: ColumnType,
  capacity: number,
): { write(row: number, value: string | number | string[]): void; done(rows: number): Column } {
  if (type === 'number') {
    const values = new Float64Array(capacity);
    return {
      write: (row, value) => void (values[row] = value as number),
      done: (rows) => ({ type, values: values.subarray(0, rows) }),
    };
  }
  const dictionary = new Map<string, number>();
  const codeOf = (value: string): number => {
    let code = dictionary.get(value);
    if (code === undefined) {
      code = dictionary.size;
      dictionary.set(value, code);
      if (code >= (type === 'set' ? MAX_SET_ITEMS : MAX_STRING_VALUES))
        throw new Error(`column ${name}: more distinct values than its ${type} column holds`);
    }
    return code;
  };
  if (type === 'string') {
    const codes = new Uint16Array(capacity);
    return {
      write: (row, value) => void (codes[row] = codeOf(value as string)),
      done: (rows) => ({ type, codes: codes.subarray(0, rows), dictionary }),
    };
  }
  const masks = new Uint32Array(capacity);
  return {
    write: (row, value) => {
      let mask = 0;
      for (const item of value as string[]) mask |= bit(codeOf(item));
      masks[row] = mask >>> 0;
    },
    done: (rows) => ({ type, masks: masks.subarray(0, rows), dictionary }),
  };
}

const bit = (code: number): number => (1 << code) >>> 0;

/** A condition the warehouse cannot evaluate: where in it, and why. */
export class BadCondition extends Error {
  constructor(
    readonly path: string,
    message: string,
  ) {
    super(message);
  }
}

/** The warehouse's own bounds on a condition. */
const MAX_DEPTH = 8;
const MAX_LEAVES = 200;
const MAX_LIST = 1_000;

const OPERATORS: Record<ColumnType, readonly string[]> = {
  string: ['equal', 'notEqual', 'in', 'notIn'],
  number: ['equal', 'notEqual', 'in', 'notIn', 'lessThan', 'lessThanInclusive', 'greaterThan', 'greaterThanInclusive'],
  set: ['contains', 'doesNotContain'],
};

type Predicate = (row: number) => boolean;

/** Compiles `where` into a predicate over the batch's rows; throws BadCondition at the first problem. */
export function compileCondition(where: unknown, columns: Batch['columns'], path = 'where'): Predicate {
  let leaves = 0;
  const compile = (node: unknown, at: string, depth: number): Predicate => {
    if (depth > MAX_DEPTH) throw new BadCondition(at, `conditions nest more than ${MAX_DEPTH} deep`);
    if (node === null || typeof node !== 'object' || Array.isArray(node))
      throw new BadCondition(at, 'expected a condition: all, any, not, or field/operator/value');
    const keys = Object.keys(node);
    const record = node as Record<string, unknown>;
    const groups = keys.filter((k) => k === 'all' || k === 'any' || k === 'not');
    if (keys.length === 0 || (groups.length > 0 && keys.length > 1))
      throw new BadCondition(at, 'expected one of all, any, not, or field/operator/value');
    if (keys.length === 1 && (keys[0] === 'all' || keys[0] === 'any')) {
      const group = keys[0];
      const children = record[group];
      if (!Array.isArray(children) || children.length === 0)
        throw new BadCondition(`${at}.${group}`, 'expected a non-empty list of conditions');
      const compiled = children.map((child, i) => compile(child, `${at}.${group}.${i}`, depth + 1));
      return group === 'all' ? (row) => compiled.every((p) => p(row)) : (row) => compiled.some((p) => p(row));
    }
    if (keys.length === 1 && keys[0] === 'not') {
      const inner = compile(record.not, `${at}.not`, depth + 1);
      return (row) => !inner(row);
    }
    const extra = keys.find((k) => k !== 'field' && k !== 'operator' && k !== 'value');
    if (extra !== undefined) throw new BadCondition(`${at}.${extra}`, `unknown key "${extra}"`);
    if (++leaves > MAX_LEAVES) throw new BadCondition(path, `more than ${MAX_LEAVES} conditions`);
    return compileLeaf(record, at, columns);
  };
  return compile(where, path, 1);
}

function compileLeaf(leaf: Record<string, unknown>, at: string, columns: Batch['columns']): Predicate {
  const { field, operator, value } = leaf;
  if (typeof field !== 'string' || !Object.hasOwn(COLUMNS, field))
    throw new BadCondition(`${at}.field`, `unknown column "${String(field)}"`);
  const name = field as ColumnName;
  const column = columns[name];
  if (typeof operator !== 'string' || !OPERATORS[column.type].includes(operator))
    throw new BadCondition(
      `${at}.operator`,
      `operator "${String(operator)}" does not apply to "${name}" (${column.type}); use ${OPERATORS[column.type].join(', ')}`,
    );
  const list = operator === 'in' || operator === 'notIn';
  const itemType = column.type === 'number' ? 'number' : 'string';
  const fits = (v: unknown): boolean =>
    itemType === 'number' ? typeof v === 'number' && Number.isFinite(v) : typeof v === 'string';
  if (list ? !Array.isArray(value) || value.length === 0 || value.length > MAX_LIST : Array.isArray(value))
    throw new BadCondition(
      `${at}.value`,
      list ? `"${operator}" takes a list of 1 to ${MAX_LIST} values` : `"${operator}" takes one value`,
    );
  const items = list ? (value as unknown[]) : [value];
  const wrong = items.findIndex((v) => !fits(v));
  if (wrong >= 0) throw new BadCondition(list ? `${at}.value.${wrong}` : `${at}.value`, `"${name}" holds ${itemType}s`);

  if (column.type === 'number') {
    const values = column.values;
    const v = value as number;
    switch (operator) {
      case 'equal':
        return (row) => values[row] === v;
      case 'notEqual':
        return (row) => values[row] !== v;
      case 'in':
      case 'notIn': {
        const set = new Set(items as number[]);
        const wanted = operator === 'in';
        return (row) => set.has(values[row] as number) === wanted;
      }
      case 'lessThan':
        return (row) => (values[row] as number) < v;
      case 'lessThanInclusive':
        return (row) => (values[row] as number) <= v;
      case 'greaterThan':
        return (row) => (values[row] as number) > v;
      default:
        return (row) => (values[row] as number) >= v;
    }
  }
  if (column.type === 'set') {
    const code = column.dictionary.get(value as string);
    const masks = column.masks;
    const b = code === undefined ? 0 : bit(code);
    // An item no customer has: contains holds for none, doesNotContain for all.
    return operator === 'contains'
      ? (row) => ((masks[row] as number) & b) !== 0
      : (row) => ((masks[row] as number) & b) === 0;
  }
  const codes = column.codes;
  const marks = new Uint8Array(column.dictionary.size + 1);
  for (const item of items) {
    const code = column.dictionary.get(item as string);
    if (code !== undefined) marks[code] = 1;
  }
  const wanted = operator === 'equal' || operator === 'in' ? 1 : 0;
  return (row) => marks[codes[row] as number] === wanted;
}

/** How many of the batch's customers the predicate selects. */
export function countOf(batch: Batch, predicate: Predicate): number {
  let count = 0;
  for (let row = 0; row < batch.ids.length; row++) if (predicate(row)) count++;
  return count;
}

/**
 * The ids the predicate selects after `after` (exclusive; any string, in or out of the batch), at most `size` of
 * them, ascending, and the `nextAfter` to continue with: the last id of this page when another selected id follows,
 * else null. Keyset pagination over the sorted ids: pages never overlap or skip, whatever `after` is.
 */
export function pageOf(
  batch: Batch,
  predicate: Predicate,
  size: number,
  after?: string,
): { ids: string[]; nextAfter: string | null } {
  const { ids } = batch;
  let row = after === undefined ? 0 : firstAfter(ids, after);
  const page: string[] = [];
  for (; row < ids.length && page.length < size; row++) if (predicate(row)) page.push(ids[row] as string);
  for (; row < ids.length; row++) if (predicate(row)) return { ids: page, nextAfter: page[page.length - 1] ?? null };
  return { ids: page, nextAfter: null };
}

/** The index of the first id greater than `after` (binary search over the sorted ids). */
function firstAfter(ids: readonly string[], after: string): number {
  let low = 0;
  let high = ids.length;
  while (low < high) {
    const mid = (low + high) >>> 1;
    if ((ids[mid] as string) <= after) low = mid + 1;
    else high = mid;
  }
  return low;
}
