/**
 * Event kinds as data: what a customer event of a type carries, registered in the definitions store (kind
 * `event-kind`, `/admin/event-kinds/<TYPE>`) like adapters, or configured (`marketing.eventKinds`, whose default is
 * DEFAULT_EVENT_KINDS). A kind:
 *
 *     { "type": "CELL_LOCATION", "label": { "zh": "位置更新", "en": "cell location update" }, "source": "network",
 *       "data": { "type": "object", "required": ["cellId"],
 *                 "properties": { "cellId": { "type": "string", "maxLength": 32 },
 *                                 "site": { "type": "string", "enum": ["RAILWAY_STATION", "PORT"] } } },
 *       "labels": { "cellId": { "zh": "小区", "en": "cell" }, "site": { "zh": "场所", "en": "site" } } }
 *
 * `data` is a JSON Schema (draft 2020-12), limited to what a field catalog can offer a form and what is cheap and
 * safe to check on every event: an object of scalar properties (string, number, integer, boolean; `enum`, bounds,
 * `format: date-time`) and arrays of strings. No `pattern` (a registered regular expression could hang the event
 * loop), no `$ref`, no nesting. Events are checked with Ajv (compiled once per kind); their fields become
 * `event.<name>` in the condition language (conditions/), labelled with `labels`, which every property must have.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import { z } from 'zod';
import type { FieldCatalog, FieldSpec } from '../../backends';
import type { Problem } from '../../definitions';
import { problemsOf } from '../../runtime/declarative';

const Label = z.object({ zh: z.string().min(1).max(64), en: z.string().min(1).max(64) }).strict();
/**
 * Names every object already has (`constructor`, `toString`, `__proto__`, …): a field or a value of one of these
 * names would be found on any event or label map without being there, so none may be one.
 */
const INHERITED = new Set([...Object.getOwnPropertyNames(Object.prototype), 'prototype']);
const notInherited = (what: string) =>
  z
    .string()
    .refine((name) => !INHERITED.has(name), `${what} may not be a name every object has (constructor, toString, …)`);
/** A field's name for people, and optionally the names of its values (an `enum`'s codes): forms and sentences show them. */
const FieldLabel = z
  .object({
    zh: z.string().min(1).max(64),
    en: z.string().min(1).max(64),
    values: z.record(notInherited('a value'), Label).optional(),
  })
  .strict();
const NAME = /^[a-z][A-Za-z0-9]{0,31}$/;
const Code = z.string().min(1).max(64).pipe(notInherited('a value'));

const ScalarProperty = z
  .object({
    type: z.enum(['string', 'number', 'integer', 'boolean']),
    description: z.string().max(300).optional(),
    enum: z.array(Code).min(1).max(200).optional(),
    minimum: z.number().finite().optional(),
    maximum: z.number().finite().optional(),
    /** Strings are bounded whatever the kind says: at most 256 characters. */
    maxLength: z.number().int().min(1).max(256).optional(),
    format: z.enum(['date-time', 'date']).optional(),
  })
  .strict()
  .refine((p) => p.enum === undefined || p.type === 'string', { message: '"enum" is for strings', path: ['enum'] })
  .refine((p) => p.format === undefined || p.type === 'string', {
    message: '"format" is for strings',
    path: ['format'],
  });

const ArrayProperty = z
  .object({
    type: z.literal('array'),
    description: z.string().max(300).optional(),
    items: z.object({ type: z.literal('string'), enum: z.array(Code).min(1).max(200).optional() }).strict(),
    maxItems: z.number().int().min(1).max(100).optional(),
  })
  .strict();

const Property = z.union([ScalarProperty, ArrayProperty]);
export type EventProperty = z.infer<typeof Property>;

export const EventKindSchema = z
  .object({
    /** The event's `type`: upper-case letters, digits and "_", e.g. CELL_LOCATION. */
    type: z.string().regex(/^[A-Z][A-Z0-9_]{1,63}$/, 'upper-case letters, digits and "_", e.g. CELL_LOCATION'),
    label: Label,
    /** The system that sends it (its secret signs the webhook: events.secrets.<source>), e.g. "network". */
    source: z.string().regex(/^[a-z][a-z0-9-]{0,31}$/, 'lower-case letters, digits and "-", e.g. network'),
    description: z.string().max(500).optional(),
    data: z
      .object({
        type: z.literal('object'),
        properties: z
          .record(z.string().regex(NAME, 'a camelCase name, e.g. cellId').pipe(notInherited('a field')), Property)
          .refine((p) => Object.keys(p).length <= 30, 'at most 30 properties'),
        required: z.array(z.string()).max(30).optional(),
        additionalProperties: z.literal(false).optional(),
      })
      .strict(),
    /** The name of every property for people, Chinese first (and of its values): forms, sentences and the console show these. */
    labels: z.record(z.string().pipe(notInherited('a field')), FieldLabel),
  })
  .strict();

export type EventKind = z.infer<typeof EventKindSchema>;

/** A kind, checked: its validator compiled and its fields as the condition language names them. */
export interface CompiledEventKind {
  readonly kind: EventKind;
  /** The data's problems with their paths (`data.cellId`); [] when it fits. */
  check(data: unknown): string[];
  /** `event.<property>` for each property, plus `event.at` (a date-time). */
  readonly fields: FieldCatalog;
}

// Every problem of an event at once, so a sender fixes them in one go (an event has at most 30 fields).
const ajv = new Ajv({ allErrors: true, strict: true });
addFormats(ajv, ['date-time', 'date']);

/** The problems of a kind definition, with their paths; [] when it is fine. Never throws. */
export function eventKindProblems(input: unknown, name?: string): Problem[] {
  const parsed = EventKindSchema.safeParse(input);
  if (!parsed.success) return problemsOf(parsed.error, input);
  const kind = parsed.data;
  const problems: Problem[] = [];
  if (name !== undefined && kind.type !== name)
    problems.push({
      path: 'type',
      message: `must be "${name}", the name in the path`,
      expected: name,
      given: kind.type,
    });
  const names = Object.keys(kind.data.properties);
  for (const [i, required] of (kind.data.required ?? []).entries())
    if (!names.includes(required))
      problems.push({
        path: `data.required.${i}`,
        message: 'names no property',
        expected: names.join(', '),
        given: required,
      });
  for (const property of names)
    if (!Object.hasOwn(kind.labels, property))
      problems.push({
        path: `labels.${property}`,
        message: 'every property needs its label for people: { "zh", "en" }',
      });
  for (const [label, given] of Object.entries(kind.labels)) {
    if (!names.includes(label)) problems.push({ path: `labels.${label}`, message: 'names no property', given: label });
    const spec = kind.data.properties[label];
    const allowed = spec ? (spec.type === 'array' ? spec.items.enum : spec.enum) : undefined;
    for (const value of Object.keys(given.values ?? {}))
      if (!allowed?.includes(value))
        problems.push({
          path: `labels.${label}.values.${value}`,
          message: "names no value of the property's enum",
          expected: allowed?.join(', ') ?? 'an enum on the property',
          given: value,
        });
  }
  for (const [property, spec] of Object.entries(kind.data.properties))
    if (
      spec.type !== 'array' &&
      spec.minimum !== undefined &&
      spec.maximum !== undefined &&
      spec.minimum > spec.maximum
    )
      problems.push({ path: `data.properties.${property}.minimum`, message: 'greater than maximum' });
  return problems;
}

function fieldOf(property: EventProperty, given: z.infer<typeof FieldLabel>): FieldSpec {
  const label = { zh: given.zh, en: given.en };
  const valueLabels = given.values ? { valueLabels: given.values } : {};
  if (property.type === 'array')
    return { type: 'string[]', label, ...valueLabels, ...(property.items.enum ? { values: property.items.enum } : {}) };
  if (property.type === 'boolean') return { type: 'boolean', label };
  if (property.type === 'number' || property.type === 'integer') return { type: 'number', label };
  if (property.format === 'date') return { type: 'date', label };
  return { type: 'string', label, ...valueLabels, ...(property.enum ? { values: property.enum } : {}) };
}

/** A kind's fields as the condition language names them (`event.<property>`, and `event.at`), without compiling it. */
export function kindFields(kind: EventKind): FieldCatalog {
  const fields: Record<string, FieldSpec> = {
    'event.at': { type: 'date', label: { zh: '事件时间', en: 'event time' } },
  };
  for (const [name, property] of Object.entries(kind.data.properties))
    fields[`event.${name}`] = fieldOf(property, kind.labels[name] ?? { zh: name, en: name });
  return fields;
}

/** Compiles a kind that passed eventKindProblems. */
export function compileEventKind(kind: EventKind): CompiledEventKind {
  const properties = Object.fromEntries(
    Object.entries(kind.data.properties).map(([name, p]) => [
      name,
      p.type === 'string' && p.maxLength === undefined && p.enum === undefined && p.format === undefined
        ? { ...p, maxLength: 256 }
        : p.type === 'array' && p.maxItems === undefined
          ? { ...p, maxItems: 100 }
          : p,
    ]),
  );
  const validate: ValidateFunction = ajv.compile({ ...kind.data, properties, additionalProperties: false });
  return {
    kind,
    fields: kindFields(kind),
    check(data) {
      if (validate(data)) return nulProblems(data);
      return (validate.errors ?? []).slice(0, 10).map((e) => {
        if (e.keyword === 'required') return `data.${String(e.params.missingProperty)}: Required`;
        const at = e.instancePath.replace(/^\//, '').replace(/\//g, '.');
        const extra = e.keyword === 'additionalProperties' ? ` (${String(e.params.additionalProperty)})` : '';
        const allowed = e.keyword === 'enum' ? `: one of ${(e.params.allowedValues as string[]).join(', ')}` : '';
        return `data${at ? `.${at}` : ''}: ${e.message ?? 'invalid'}${extra}${allowed}`;
      });
    },
  };
}

/**
 * The fields holding a NUL character: no text column or JSON document of PostgreSQL can keep one, so such an event
 * could never be recorded and would be retried for ever; it is refused as the bad input it is.
 */
function nulProblems(data: unknown): string[] {
  const problems: string[] = [];
  for (const [name, value] of Object.entries(data as Record<string, unknown>))
    for (const [i, text] of (Array.isArray(value) ? value : [value]).entries())
      if (typeof text === 'string' && text.includes('\u0000'))
        problems.push(`data.${name}${Array.isArray(value) ? `.${i}` : ''}: must not contain a NUL character`);
  return problems.slice(0, 10);
}

const label = (zh: string, en: string) => ({ zh, en });

/**
 * The kinds `npm start` and a gateway without `marketing.eventKinds` know: what the network and order systems send.
 * Data, not code: configuration replaces them, and registered kinds add to or override them.
 */
export const DEFAULT_EVENT_KINDS: readonly EventKind[] = [
  {
    type: 'ROAMING_ENTERED',
    label: label('漫游进入', 'roamed into a region'),
    source: 'network',
    description: 'The handset registered in a region (province, Hong Kong, Macau, abroad) other than the last one.',
    data: {
      type: 'object',
      required: ['region'],
      properties: {
        region: { type: 'string', maxLength: 64 },
        previousRegion: { type: 'string', maxLength: 64 },
        scope: { type: 'string', enum: ['NATIONAL', 'INTERNATIONAL'] },
      },
    },
    labels: {
      region: label('漫游地区', 'region'),
      previousRegion: label('原地区', 'previous region'),
      scope: {
        ...label('漫游范围', 'roaming scope'),
        values: { NATIONAL: label('国内跨省', 'national'), INTERNATIONAL: label('国际及港澳台', 'international') },
      },
    },
  },
  {
    type: 'HANDSET_ON',
    label: label('手机开机', 'handset switched on'),
    source: 'network',
    description: 'The handset was switched on; missedCalls were missed while it was off.',
    data: {
      type: 'object',
      required: ['missedCalls'],
      properties: { missedCalls: { type: 'integer', minimum: 0, maximum: 10_000 } },
    },
    labels: { missedCalls: label('关机期间未接来电', 'missed calls while off') },
  },
  {
    type: 'DIRECTORY_ENQUIRY',
    label: label('拨打查号台', 'called directory enquiries'),
    source: 'network',
    description: 'The customer called directory enquiries (e.g. 114).',
    data: { type: 'object', properties: { number: { type: 'string', maxLength: 32 } } },
    labels: { number: label('所拨号码', 'number called') },
  },
  {
    type: 'CALL_MADE',
    label: label('发起通话', 'call made'),
    source: 'network',
    description:
      'A call the customer made: local, long-distance or international, and to whom when the number is known.',
    data: {
      type: 'object',
      required: ['callType'],
      properties: {
        callType: { type: 'string', enum: ['LOCAL', 'LONG_DISTANCE', 'INTERNATIONAL'] },
        calledNumber: { type: 'string', maxLength: 32 },
        calledParty: { type: 'string', enum: ['SECURITIES_BROKER', 'BANK', 'AIRLINE', 'OTHER'] },
        durationSeconds: { type: 'integer', minimum: 0, maximum: 86_400 },
      },
    },
    labels: {
      callType: {
        ...label('通话类型', 'call type'),
        values: {
          LOCAL: label('本地', 'local'),
          LONG_DISTANCE: label('长途', 'long distance'),
          INTERNATIONAL: label('国际', 'international'),
        },
      },
      calledNumber: label('被叫号码', 'number called'),
      calledParty: {
        ...label('被叫方', 'called party'),
        values: {
          SECURITIES_BROKER: label('证券公司', 'securities broker'),
          BANK: label('银行', 'bank'),
          AIRLINE: label('航空公司', 'airline'),
          OTHER: label('其他', 'other'),
        },
      },
      durationSeconds: label('通话时长（秒）', 'duration (s)'),
    },
  },
  {
    type: 'CELL_LOCATION',
    label: label('位置更新', 'cell location update'),
    source: 'network',
    description:
      'The handset is in a cell: sent when it enters one and periodically while it stays (the network’s periodic location update), so how long it stays can be told.',
    data: {
      type: 'object',
      required: ['cellId'],
      properties: {
        cellId: { type: 'string', maxLength: 32 },
        area: { type: 'string', maxLength: 64 },
        site: {
          type: 'string',
          enum: ['RAILWAY_STATION', 'PORT', 'AIRPORT', 'SECURITIES_FIRM', 'SHOPPING_MALL', 'RESIDENTIAL', 'OTHER'],
        },
      },
    },
    labels: {
      cellId: label('小区', 'cell'),
      area: label('区域', 'area'),
      site: {
        ...label('场所类型', 'site'),
        values: {
          RAILWAY_STATION: label('火车站', 'railway station'),
          PORT: label('港口码头', 'port'),
          AIRPORT: label('机场', 'airport'),
          SECURITIES_FIRM: label('证券营业部', 'securities firm'),
          SHOPPING_MALL: label('商场', 'shopping mall'),
          RESIDENTIAL: label('住宅区', 'residential'),
          OTHER: label('其他', 'other'),
        },
      },
    },
  },
  {
    type: 'BALANCE_LOW',
    label: label('余额不足', 'balance low'),
    source: 'billing',
    description: 'The prepaid balance fell under the threshold, in CNY.',
    data: {
      type: 'object',
      required: ['balance', 'threshold'],
      properties: { balance: { type: 'number' }, threshold: { type: 'number' } },
    },
    labels: { balance: label('余额（元）', 'balance (CNY)'), threshold: label('提醒阈值（元）', 'threshold (CNY)') },
  },
  {
    type: 'PRODUCT_ORDERED',
    label: label('订购产品', 'product ordered'),
    source: 'crm',
    description: 'A product was ordered.',
    data: {
      type: 'object',
      required: ['productCode'],
      properties: { productCode: { type: 'string', maxLength: 64 } },
    },
    labels: { productCode: label('产品编码', 'product code') },
  },
];

/** The kinds in force, by type, swapped whole when the definitions change (configured, then registered over them). */
export interface EventKinds {
  get(type: string): CompiledEventKind | undefined;
  types(): string[];
  swap(kinds: readonly EventKind[]): void;
  /** Grows with every swap: what is derived from the kinds (the rules' catalog) is kept until it changes. */
  readonly version: number;
}

export function eventKindsHolder(initial: readonly EventKind[] = DEFAULT_EVENT_KINDS): EventKinds {
  let current = new Map<string, CompiledEventKind>();
  let version = 0;
  const holder: EventKinds = {
    get: (type) => current.get(type),
    types: () => [...current.keys()].sort(),
    swap(kinds) {
      current = new Map(kinds.map((k) => [k.type, compileEventKind(k)]));
      version++;
    },
    get version() {
      return version;
    },
  };
  holder.swap(initial);
  return holder;
}

/** The built-in kinds, compiled once: what an event is checked against when no holder is given. */
export const DEFAULT_KINDS: EventKinds = eventKindsHolder();
