/**
 * Event-triggered marketing, end to end: signed customer events over the webhook → rules (view loaded through the
 * pipeline as the marketing role) → caps → the channel gateway mock → touchpoint → event stored, answered 202.
 * On the embedded store (PGlite) and on PostgreSQL, in one process with the mocks (a floor, not a ceiling: the
 * mocks and the load share the gateway's event loop).
 *
 *   npx tsx bench/events.ts            EVENTS=2000 CONCURRENCY=20 CUSTOMERS=2000 RUNS=3
 *
 * Two rules, each run on both stores, alternating, RUNS times (medians reported): `plain`, a roaming event and a
 * view condition; `history`, a long-distance call whose rule asks whether it is the customer's first this year (a
 * condition over history: the event recorded, then counted in the store) and the same view condition. The ratio
 * history / plain is the cost of conditions over time.
 *
 * Every event is for a different customer (CUSTOMERS ≥ EVENTS: each offer passes the 1-a-day cap) and matches a rule
 * that needs the view, so each one costs a view load, a channel call and the store's writes. Figures: events handled
 * per second; p50/p99 from sending the event to the channel gateway receiving the offer; view operations and backend
 * calls per event. The touchpoint recorder is the tests' stand-in (in memory); with the gateway's own
 * recordTouchpoint wired, its insert adds to each event. Results: bench/results/events.{json,md}.
 */
import fs from 'node:fs';
import path from 'node:path';
import pino from 'pino';
import { signEvent } from '../gateway/inbound/events/signature';
import { createGateway } from '../gateway/app/server';
import { openStore, type Store } from '../gateway/store';
import { startMocks } from '../mocks';
import { startChannelsMock } from '../mocks/channels';
import { parseConfig } from '../gateway/config';
import { Client } from 'pg';
import os from 'node:os';

const EVENTS = Number(process.env.EVENTS ?? 2000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 20);
const CUSTOMERS = Math.max(EVENTS, Number(process.env.CUSTOMERS ?? EVENTS));
const POSTGRES_URL = process.env.DATABASE_TEST_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const SECRET = 'bench-network-events-secret-0123';

const RULE = {
  id: 'bench-welcome',
  when: {
    all: [
      { fact: 'event', path: '$.type', operator: 'equal', value: 'ROAMING_ENTERED' },
      { fact: 'view', path: '$.id', operator: 'notEqual', value: null },
    ],
  },
  then: { offerCode: 'BENCH', channel: 'SMS', message: 'Welcome to {{event.data.region}}.' },
};

/** The same work and a condition over history: the first long-distance call of the year. */
const HISTORY_RULE = {
  id: 'bench-welcome',
  on: 'CALL_MADE',
  when: {
    all: [
      {
        history: {
          event: 'CALL_MADE',
          where: { field: 'event.callType', operator: 'equal', value: 'LONG_DISTANCE' },
          within: { calendar: 'year' },
        },
        operator: 'equal',
        value: 1,
      },
      { fact: 'view', path: '$.id', operator: 'notEqual', value: null },
    ],
  },
  then: { offerCode: 'BENCH', channel: 'SMS', message: 'First long-distance call.' },
};
type Variant = 'plain' | 'history';
const RUNS = Number(process.env.RUNS ?? 1);

const percentile = (sorted: number[], p: number): number =>
  sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;

async function run(engine: 'pglite' | 'postgres', variant: Variant) {
  const schema = `ucv_bench_${Date.now().toString(36)}`;
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'ucv-bench-events-'));
  const store: Store = await openStore(
    engine === 'postgres' ? { url: POSTGRES_URL, dataDir, schema, poolSize: 10 } : { dataDir, schema, poolSize: 10 },
  );
  const [mocks, channels] = await Promise.all([startMocks(), startChannelsMock()]);
  const config = parseConfig(
    {
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent',
      rateLimit: { default: { requestsPerSecond: 1_000_000, costPerSecond: 1_000_000 } },
      events: { secrets: { network: SECRET } },
      audit: { enabled: false },
      marketing: {
        channelsUrl: channels.url,
        viewLoadsPerSecond: 5000,
        quietHours: { start: '00:00', end: '00:00' },
        rules: [variant === 'history' ? HISTORY_RULE : RULE],
      },
      adapters: (['crm', 'billing', 'warehouse', 'scoring'] as const).map((name) => ({ name, url: mocks.urls[name] })),
    },
    {},
  );
  let touchpoints = 0;
  const gateway = createGateway(config, {
    logger: pino({ level: 'silent' }),
    store,
    recordTouchpoint: async () => (touchpoints++, { status: 'RECORDED' }),
  });
  const url = await gateway.listen();
  const sentAt = new Map<string, number>();
  let next = 0;
  let failed = 0;
  const base = 5001;
  const started = performance.now();
  await Promise.all(
    Array.from({ length: CONCURRENCY }, async () => {
      while (next < EVENTS) {
        const n = next++;
        const id = `bench-${schema}-${n}`;
        const body = JSON.stringify({
          version: 1,
          id,
          type: variant === 'history' ? 'CALL_MADE' : 'ROAMING_ENTERED',
          customerId: `C${String(base + (n % CUSTOMERS)).padStart(8, '0')}`,
          at: new Date().toISOString(),
          data: variant === 'history' ? { callType: 'LONG_DISTANCE' } : { region: 'Macau' },
        });
        sentAt.set(`rule:${id}:bench-welcome`, Date.now());
        const res = await fetch(`${url}/events/network`, {
          method: 'POST',
          headers: { 'content-type': 'application/json', 'x-ucv-signature': signEvent(SECRET, body) },
          body,
        });
        await res.arrayBuffer();
        if (res.status !== 202) failed++;
      }
    }),
  );
  const seconds = (performance.now() - started) / 1000;
  const latencies = channels
    .messages()
    .map((m) => m.at - (sentAt.get(m.idempotencyKey) ?? m.at))
    .sort((a, b) => a - b);
  const views = gateway.marketing?.views.stats();
  const calls = {
    crm: mocks.crm.faults.requests().total,
    warehouse: mocks.warehouse.faults.requests().total,
    scoring: mocks.scoring.faults.requests().total,
    billing: mocks.billing.faults.requests().total,
  };
  const result = {
    engine,
    variant,
    events: EVENTS,
    concurrency: CONCURRENCY,
    failed,
    seconds: Number(seconds.toFixed(2)),
    eventsPerSecond: Math.round(EVENTS / seconds),
    offersSent: channels.messages().length,
    touchpoints,
    eventToChannelMs: { p50: percentile(latencies, 50), p99: percentile(latencies, 99), max: latencies.at(-1) ?? NaN },
    viewOperationsPerEvent: Number(((views?.operations ?? 0) / EVENTS).toFixed(3)),
    backendCallsPerEvent: Object.fromEntries(
      Object.entries(calls).map(([k, v]) => [k, Number((v / EVENTS).toFixed(3))]),
    ),
  };
  await gateway.close();
  await Promise.all([mocks.close(), channels.close()]);
  await store.close();
  fs.rmSync(dataDir, { recursive: true, force: true });
  if (engine === 'postgres') {
    const client = new Client({ connectionString: POSTGRES_URL });
    await client.connect();
    await client.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await client.end();
  }
  return result;
}

async function main(): Promise<void> {
  const all: Array<Awaited<ReturnType<typeof run>>> = [];
  for (let i = 0; i < RUNS; i++)
    for (const engine of ['pglite', 'postgres'] as const)
      for (const variant of ['plain', 'history'] as const) {
        const r = await run(engine, variant);
        console.log(JSON.stringify(r));
        all.push(r);
      }
  const median = (values: number[]): number => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)] ?? NaN;
  const results = (['pglite', 'postgres'] as const).flatMap((engine) =>
    (['plain', 'history'] as const).map((variant) => {
      const runs = all.filter((r) => r.engine === engine && r.variant === variant);
      const first = runs[0] as (typeof all)[number];
      return {
        ...first,
        runs: runs.length,
        eventsPerSecond: median(runs.map((r) => r.eventsPerSecond)),
        eventToChannelMs: {
          p50: median(runs.map((r) => r.eventToChannelMs.p50)),
          p99: median(runs.map((r) => r.eventToChannelMs.p99)),
          max: Math.max(...runs.map((r) => r.eventToChannelMs.max)),
        },
        failed: runs.reduce((a, r) => a + r.failed, 0),
      };
    }),
  );
  const out = path.join(__dirname, 'results');
  fs.mkdirSync(out, { recursive: true });
  const machine = `${os.cpus().length} × ${os.cpus()[0]?.model ?? 'cpu'}, Node ${process.version}`;
  fs.writeFileSync(
    path.join(out, 'events.json'),
    JSON.stringify({ at: new Date().toISOString(), machine, runs: RUNS, results, all }, null, 2) + '\n',
  );
  const ratio = (engine: string) => {
    const plain = results.find((r) => r.engine === engine && r.variant === 'plain');
    const history = results.find((r) => r.engine === engine && r.variant === 'history');
    return plain && history ? (history.eventsPerSecond / plain.eventsPerSecond).toFixed(2) : 'n/a';
  };
  const rows = results.map(
    (r) =>
      `| ${r.engine} | ${r.variant} | ${r.events} | ${r.concurrency} | ${r.eventsPerSecond} | ${r.eventToChannelMs.p50} | ${r.eventToChannelMs.p99} | ${r.viewOperationsPerEvent} | ${r.backendCallsPerEvent.warehouse} / ${r.backendCallsPerEvent.scoring} | ${r.failed} |`,
  );
  fs.writeFileSync(
    path.join(out, 'events.md'),
    `# Event-triggered marketing, end to end (bench/events.ts)\n\n${new Date().toISOString()}, ${machine}; mocks in the same process; medians of ${RUNS} run(s).\n\n| store | rule | events | concurrency | events/s | event → channel p50 (ms) | p99 (ms) | view operations / event | warehouse / scoring calls / event | failed |\n|---|---|---|---|---|---|---|---|---|---|\n${rows.join('\n')}\n\nhistory / plain events/s: PGlite ${ratio('pglite')}, PostgreSQL ${ratio('postgres')}.\n`,
  );
}

void main().catch((err: unknown) => {
  console.error(err);
  process.exit(1);
});
