/**
 * What a benchmark's answers contained, not only how fast they came: a GraphQL answer is HTTP 200 even when
 * sections are missing, so requests per second alone cannot tell a complete view from a partial one, and a
 * faster-looking row may be one that did less work.
 *
 * Every answer is one of:
 * - **complete**: HTTP 2xx, no `errors` (SOAP: no `sectionError`, no Fault), every selected section present;
 * - **partial**: HTTP 2xx with errors or a section missing, counted by cause, `CODE[:reason]/source`
 *   (`NOT_FOUND/warehouse` is the data set's customer not yet in the nightly batch: a business answer, not a
 *   failure; `SOURCE_UNAVAILABLE:overloaded/crm` is a refusal);
 * - **failed**: non-2xx, or no answer at all (connection error, timeout).
 *
 * Cost, on the load generator: autocannon accumulates every response body as a string whatever we do
 * (lib/pipelinedRequestsQueue.js `addBody`), so the hook adds only a status check and one `indexOf` per answer;
 * answers with errors are parsed whole (they are what must be counted by cause), and one answer in `sampleEvery`
 * without errors is parsed whole to check that no section is null without an error (a gateway bug that would
 * otherwise pass for complete). `costPerAnswerUs` measures it on the run's own answers; the report states it.
 */

/** One gateway's reading of its answers. `null`: complete; otherwise the causes that made it partial. */
export type Classifier = (body: string, parseWhole: boolean) => string[] | null;

export interface Answers {
  /** Answers received, any status, plus requests that got none. */
  total: number;
  complete: number;
  /** 2xx answers with errors or a missing section. */
  partial: number;
  /** Partial answers by cause `CODE[:reason]/source`; an answer with two causes counts under both. */
  partialBy: Record<string, number>;
  /** Partial answers with at least one cause that is not a business answer (see `isBusinessAnswer`). */
  degradedPartial: number;
  /** Answers without errors that were parsed whole to look for a section null without an error. */
  sampled: number;
  non2xx: number;
  /** Requests without an answer: connection errors and timeouts (autocannon's `errors`). */
  network: number;
}

export const emptyAnswers = (): Answers => ({
  total: 0,
  complete: 0,
  partial: 0,
  partialBy: {},
  degradedPartial: 0,
  sampled: 0,
  non2xx: 0,
  network: 0,
});

/**
 * A counter for autocannon's per-request `onResponse(status, body)` hook. Cheap on purpose: see the module's doc.
 * @param sampleEvery parse one answer in this many that have no `errors` (1: every answer).
 */
export function answerCounter(
  classify: Classifier,
  sampleEvery = 10,
): { answers: Answers; onResponse(status: number, body: string): void } {
  const answers = emptyAnswers();
  let clean = 0;
  return {
    answers,
    onResponse(status, body) {
      answers.total++;
      if (status < 200 || status >= 300) {
        answers.non2xx++;
        return;
      }
      const sampled = ++clean % sampleEvery === 0;
      const causes = classify(body, sampled);
      if (sampled) answers.sampled++;
      if (causes === null) {
        answers.complete++;
        return;
      }
      answers.partial++;
      if (!causes.every(isBusinessAnswer)) answers.degradedPartial++;
      for (const cause of new Set(causes)) answers.partialBy[cause] = (answers.partialBy[cause] ?? 0) + 1;
    },
  };
}

/** Sections of bench/full-view.graphql (the UCV schema) and the system each comes from. */
const UCV_SECTIONS = [
  'profile',
  'products',
  'contacts',
  'billing',
  'insights',
  'score',
  'recommendations',
  'sources',
] as const;
/** Sections of bench/hive/full-view.graphql (Hive Gateway over the sources' own shapes) and their systems. */
const HIVE_SECTIONS: Record<string, string> = {
  products: 'crm',
  contacts: 'crm',
  billing: 'billing',
  insights: 'warehouse',
  score: 'scoring',
};

interface GraphQLError {
  path?: Array<string | number>;
  extensions?: { code?: string; source?: string; reason?: string; response?: { status?: number } };
}
interface GraphQLAnswer {
  data?: { customer?: Record<string, unknown> | null } | null;
  errors?: GraphQLError[];
}

function parse(body: string): GraphQLAnswer | null {
  try {
    return JSON.parse(body) as GraphQLAnswer;
  } catch {
    return null;
  }
}

/** Sections that are null (or absent) in `customer` without an error on their path. */
function silentNulls(customer: Record<string, unknown>, sections: readonly string[], errors: GraphQLError[]): string[] {
  const withError = new Set(errors.map((e) => e.path?.[1]).filter((s) => typeof s === 'string'));
  return sections
    .filter((s) => (customer[s] === null || customer[s] === undefined) && !withError.has(s))
    .map((s) => `NO_ERROR/${s}`);
}

/** The UCV gateway's GraphQL answers: codes and sources from the error catalog (`extensions.code/source/reason`). */
export const classifyUcv: Classifier = (body, parseWhole) => {
  if (!parseWhole && !body.includes('"errors"')) return null;
  const answer = parse(body);
  if (!answer) return ['UNPARSABLE/gateway'];
  const errors = answer.errors ?? [];
  const causes = errors.map(
    (e) =>
      `${e.extensions?.code ?? 'NO_CODE'}${e.extensions?.reason ? `:${e.extensions.reason}` : ''}/${e.extensions?.source ?? 'gateway'}`,
  );
  const customer = answer.data?.customer;
  if (!customer) return causes.length > 0 ? causes : ['NO_ERROR/customer'];
  causes.push(...silentNulls(customer, UCV_SECTIONS, errors));
  return causes.length > 0 ? causes : null;
};

/** The UCV sections' systems, for the plain baseline's errors, which carry no code. */
const UCV_SOURCE_OF: Record<string, string> = {
  profile: 'crm',
  products: 'crm',
  contacts: 'crm',
  billing: 'billing',
  insights: 'warehouse',
  score: 'scoring',
  recommendations: 'scoring',
};

/**
 * The plain stitched baseline (bench/plain-gateway.ts): the UCV schema without `sources`, errors without codes. Its
 * resolvers throw "<system> does not know <id>" for a customer a system does not know: NOT_FOUND; any other error
 * is ERROR, both with the section's system.
 */
export const classifyPlain: Classifier = (body, parseWhole) => {
  if (!parseWhole && !body.includes('"errors"')) return null;
  const answer = parse(body);
  if (!answer) return ['UNPARSABLE/gateway'];
  const errors = (answer.errors ?? []) as Array<GraphQLError & { message?: string }>;
  const causes = errors.map((e) => {
    const section = e.path?.[1];
    return `${/does not know/.test(e.message ?? '') ? 'NOT_FOUND' : 'ERROR'}/${typeof section === 'string' ? (UCV_SOURCE_OF[section] ?? section) : 'crm'}`;
  });
  const customer = answer.data?.customer;
  if (!customer) return causes.length > 0 ? causes : ['NO_ERROR/customer'];
  causes.push(...silentNulls(customer, Object.keys(UCV_SOURCE_OF), errors));
  return causes.length > 0 ? causes : null;
};

/**
 * Hive Gateway's answers. Its errors carry no catalog code: a backend's 404 (`extensions.response.status`) reads as
 * NOT_FOUND, other statuses as `HTTP_<status>`, anything else by its `extensions.code` or `ERROR`; the source is
 * the section's system from the error's path (the root field is the CRM). A customer without a billing account
 * comes back as `billing: null` without an error (a SOAP fault, bench/hive/README.md): that is NOT_FOUND/billing.
 */
export const classifyHive: Classifier = (body, parseWhole) => {
  if (!parseWhole && !body.includes('"errors"') && !body.includes('"billing":null')) return null;
  const answer = parse(body);
  if (!answer) return ['UNPARSABLE/gateway'];
  const errors = answer.errors ?? [];
  const causes = errors.map((e) => {
    const status = e.extensions?.response?.status;
    const code = status === 404 ? 'NOT_FOUND' : status ? `HTTP_${status}` : (e.extensions?.code ?? 'ERROR');
    const section = e.path?.[1];
    return `${code}/${typeof section === 'string' ? (HIVE_SECTIONS[section] ?? section) : 'crm'}`;
  });
  const customer = answer.data?.customer;
  if (!customer) return causes.length > 0 ? causes : ['NO_ERROR/customer'];
  for (const cause of silentNulls(customer, Object.keys(HIVE_SECTIONS), errors))
    causes.push(cause === 'NO_ERROR/billing' ? 'NOT_FOUND/billing' : cause);
  return causes.length > 0 ? causes : null;
};

const SECTION_ERROR = /<(?:\w+:)?sectionError>([\s\S]*?)<\/(?:\w+:)?sectionError>/g;
const field = (xml: string, name: string): string | undefined =>
  new RegExp(`<(?:\\w+:)?${name}>([^<]*)<`).exec(xml)?.[1];

/** The UCV SOAP facade's answers: a Fault, or one `sectionError` per missing section with the catalog's code. */
export const classifySoap: Classifier = (body) => {
  if (!body.includes('sectionError>') && !body.includes('Fault>')) return null;
  if (body.includes('Fault>')) return [`FAULT:${field(body, 'faultcode') ?? ''}/gateway`];
  const causes: string[] = [];
  for (const [, xml] of body.matchAll(SECTION_ERROR)) {
    const reason = field(xml as string, 'reason');
    causes.push(
      `${field(xml as string, 'code') ?? 'NO_CODE'}${reason ? `:${reason}` : ''}/${field(xml as string, 'source') ?? 'gateway'}`,
    );
  }
  return causes;
};

/** Causes that are business answers of the data set, not failures: a system that does not know the customer. */
export const isBusinessAnswer = (cause: string): boolean => cause.startsWith('NOT_FOUND/');

/**
 * Answers that are neither complete nor partial only for business reasons: partial for at least one other cause
 * (counted once however many), plus failures. What flags a row. Needs the per-answer flag kept by the counter.
 */
export function degraded(a: Answers): number {
  return a.degradedPartial + a.non2xx + a.network;
}

/**
 * The share of answers that were all the backends could give (complete, or partial only because a system does not
 * know the customer): what two gateways must share for their comparison to hold.
 */
export const answeredShare = (a: Answers): number => (a.total > 0 ? (a.total - degraded(a)) / a.total : 0);

export const share = (part: number, total: number): string =>
  total > 0 ? `${((100 * part) / total).toFixed(1)}%` : '–';

/** Adds `b` into `a` (several autocannon runs of one measurement). */
export function addAnswers(a: Answers, b: Answers): Answers {
  const partialBy = { ...a.partialBy };
  for (const [k, v] of Object.entries(b.partialBy)) partialBy[k] = (partialBy[k] ?? 0) + v;
  return {
    total: a.total + b.total,
    complete: a.complete + b.complete,
    partial: a.partial + b.partial,
    partialBy,
    degradedPartial: a.degradedPartial + b.degradedPartial,
    sampled: a.sampled + b.sampled,
    non2xx: a.non2xx + b.non2xx,
    network: a.network + b.network,
  };
}

/** CPU time (µs) the counter spends per answer on this body, averaged over `times` answers (a measurement). */
export function costPerAnswerUs(classify: Classifier, body: string, sampleEvery: number, times = 20_000): number {
  const counter = answerCounter(classify, sampleEvery);
  const before = process.cpuUsage();
  for (let i = 0; i < times; i++) counter.onResponse(200, body);
  const used = process.cpuUsage(before);
  return (used.user + used.system) / times;
}
