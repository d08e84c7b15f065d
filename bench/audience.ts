/**
 * `npx tsx bench/audience.ts`: what selecting an audience where the data lives costs, over the 100,000 customers of
 * the data set. The mocks run in their own process (NODE_ENV=production, as `npm start` runs them); this process
 * calls the warehouse's extraction API over HTTP, first raw, then through the warehouse adapter's commands (the
 * translation of the gateway's field names and the answer's checks; the gateway's protected path adds a bulkhead,
 * a breaker and a deadline around each call, no work per id).
 *
 *   cold   the first extraction of the mocks' process: the batch's columns are built, then counted
 *   warm   counts, and every id of a selection page by page, median of RUNS (default 5) runs
 *
 * Writes bench/results/audience.{md,json}.
 */
import fs from 'node:fs';
import path from 'node:path';
import warehouse from '../adapters/warehouse';
import type { CommandContext, JsonClient } from '../gateway/backends';
import { machine, median, startServer } from './support';

const RUNS = Number(process.env.RUNS ?? 5);

type Where = Record<string, unknown>;
const leaf = (field: string, operator: string, value: unknown): Where => ({ field, operator, value });

/** Selections in the EDW's columns, from broad to narrow; in the gateway's fields too for the adapter's rows. */
const SELECTIONS: Array<{ name: string; edw: Where; gateway?: Where }> = [
  {
    name: 'every active customer',
    edw: leaf('status', 'equal', 'ACTIVE'),
    gateway: leaf('status', 'equal', 'ACTIVE'),
  },
  {
    name: 'young data users, churn < 0.5, HK/Macau travellers',
    edw: {
      all: [
        leaf('segment', 'equal', 'YOUTH_DATA'),
        leaf('churn_probability', 'lessThan', 0.5),
        leaf('tags', 'contains', 'frequent traveller to Hong Kong/Macau'),
      ],
    },
    gateway: {
      all: [
        leaf('segment', 'equal', 'YOUTH_DATA'),
        leaf('churnProbability', 'lessThan', 0.5),
        leaf('tags', 'contains', 'frequent traveller to Hong Kong/Macau'),
      ],
    },
  },
  {
    name: '12 leaves in 3 groups (any of all)',
    edw: {
      any: [
        {
          all: [
            leaf('value_tier', 'in', ['DIAMOND', 'PLATINUM']),
            leaf('arpu_trend', 'equal', 'DOWN'),
            leaf('pref_sms_hall', 'in', ['STRONGEST', 'STRONG']),
          ],
        },
        {
          all: [
            leaf('roaming_destinations', 'contains', 'Japan'),
            { not: leaf('products', 'contains', 'DATA-HKMO') },
            leaf('region', 'notIn', ['440100', '440300']),
            leaf('data_pct', 'greaterThanInclusive', 60),
          ],
        },
        {
          all: [
            leaf('status', 'equal', 'SUSPENDED'),
            leaf('lifetime_value', 'greaterThan', 5000),
            leaf('arpu_3m_avg', 'lessThanInclusive', 150),
            leaf('long_distance_pct', 'lessThan', 30),
            leaf('tags', 'doesNotContain', 'car lover'),
          ],
        },
      ],
    },
  },
];

async function post(url: string, route: string, body: unknown): Promise<Record<string, unknown>> {
  const res = await fetch(`${url}/edw/v1/extractions:${route}`, {
    method: 'POST',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(body),
  });
  if (res.status !== 200) throw new Error(`${route}: HTTP ${res.status} ${await res.text()}`);
  return (await res.json()) as Record<string, unknown>;
}

async function timed<T>(task: () => Promise<T>): Promise<{ ms: number; value: T }> {
  const started = performance.now();
  const value = await task();
  return { ms: performance.now() - started, value };
}

async function extractRaw(url: string, where: Where, pageSize: number): Promise<number> {
  let after: string | null = null;
  let total = 0;
  do {
    const page = await post(url, 'page', { where, page_size: pageSize, ...(after ? { after } : {}) });
    total += (page.ids as string[]).length;
    after = page.next_after as string | null;
  } while (after !== null);
  return total;
}

async function extractViaAdapter(client: JsonClient, where: Where, pageSize: number): Promise<number> {
  const ctx: CommandContext = {
    signal: new AbortController().signal,
    requestId: 'bench-audience',
    maxResponseBytes: 16 * 1024 * 1024,
  };
  const command = warehouse.commands!.audiencePage!;
  let after: string | null = null;
  let total = 0;
  do {
    const page = (await command.send(client, 'audience', { where, pageSize, ...(after ? { after } : {}) }, ctx)) as {
      ids: string[];
      nextAfter: string | null;
    };
    total += page.ids.length;
    after = page.nextAfter;
  } while (after !== null);
  return total;
}

const ms = (value: number): string => (value >= 100 ? value.toFixed(0) : value.toFixed(1));

async function main(): Promise<void> {
  const mocks = await startServer('mocks');
  const url = mocks.urls.warehouse;
  const rows: Array<[string, string]> = [];
  const json: Record<string, number> = {};
  try {
    const cpuBefore = mocks.cpuSeconds();
    const cold = await timed(() => post(url, 'count', { where: SELECTIONS[0]!.edw }));
    const cpu = mocks.cpuSeconds() - cpuBefore;
    rows.push([
      'cold: first count (columns built, then counted), wall / mocks CPU',
      `${ms(cold.ms)} ms / ${cpu.toFixed(2)} s`,
    ]);
    json.coldCountMs = cold.ms;

    const client = warehouse.connect({ url, timeoutMs: 60_000, maxResponseBytes: 16 * 1024 * 1024 });
    for (const selection of SELECTIONS) {
      const counts: number[] = [];
      let count = 0;
      for (let i = 0; i < RUNS * 4; i++) {
        const run = await timed(() => post(url, 'count', { where: selection.edw }));
        counts.push(run.ms);
        count = run.value.count as number;
      }
      rows.push([
        `warm count, ${selection.name} (${count.toLocaleString('en')} customers)`,
        `${ms(median(counts))} ms`,
      ]);
      json[`count:${selection.name}`] = median(counts);
      for (const pageSize of [10_000, 1_000]) {
        const runs: number[] = [];
        for (let i = 0; i < RUNS; i++) runs.push((await timed(() => extractRaw(url, selection.edw, pageSize))).ms);
        rows.push([
          `warm, every id in pages of ${pageSize.toLocaleString('en')}, ${selection.name}`,
          `${ms(median(runs))} ms`,
        ]);
        json[`ids:${pageSize}:${selection.name}`] = median(runs);
      }
      if (selection.gateway) {
        const where = selection.gateway;
        const runs: number[] = [];
        for (let i = 0; i < RUNS; i++) runs.push((await timed(() => extractViaAdapter(client, where, 10_000))).ms);
        rows.push([
          `warm, every id through the adapter's audiencePage (10,000 a page), ${selection.name}`,
          `${ms(median(runs))} ms`,
        ]);
        json[`adapter:10000:${selection.name}`] = median(runs);
      }
    }
    await client.destroy();
  } finally {
    await mocks.stop();
  }
  const m = machine();
  const report = [
    `# Audience selection where the data lives (median of ${RUNS} runs; counts of ${RUNS * 4})`,
    '',
    `Machine: ${m.cores} cores, ${m.cpu}, Node ${m.node}, commit ${m.commit}. The mocks in their own process`,
    '(NODE_ENV=production, tsx), this process calling them over HTTP on the same machine.',
    '',
    '| figure | value |',
    '|---|---|',
    ...rows.map(([figure, value]) => `| ${figure} | ${value} |`),
    '',
  ].join('\n');
  const dir = path.join(__dirname, 'results');
  fs.writeFileSync(path.join(dir, 'audience.md'), report);
  fs.writeFileSync(
    path.join(dir, 'audience.json'),
    `${JSON.stringify({ machine: m, runs: RUNS, figures: json }, null, 2)}\n`,
  );
  console.log(report);
}

main().catch((err) => {
  console.error(err);
  process.exit(1);
});
