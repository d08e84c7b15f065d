/**
 * `npx tsx bench/campaign.ts`: what a campaign costs and how fast it runs, on one gateway instance and on two
 * sharing PostgreSQL. The four mocks run in their own process, the channel gateway mock in this one, each gateway
 * instance in its own (test/fixtures/campaign-instance.ts, the instance the SIGKILL test runs). One campaign of
 * young data users with churn below CHURN_BELOW (default 0.25: 10,007 customers) with a 10% control group, throttles out of the way,
 * RUNS (default 3) times per layout, each in a fresh schema.
 *
 *   selection      launch → every id of the audience read from the warehouse into the targets
 *   targets/s      targets processed (live view, eligibility, caps, channel call, touchpoint) per second of the run
 *   calls/target   backend calls (the four mocks' counters) per target processed
 *   report         time to answer the closed-loop report of the finished campaign
 *
 * Writes bench/results/campaign.{md,json}. Needs PostgreSQL at DATABASE_URL (default the test database).
 */
import { spawn, type ChildProcess } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Client } from 'pg';
import { startChannelsMock } from '../mocks/channels';
import { machine, median, mockCounts, resetMocks, startServer } from './support';

const RUNS = Number(process.env.RUNS ?? 3);
/** The audience: young data users with churn below this (0.25: 10,007 customers; 0.1: 4,019). */
const CHURN_BELOW = Number(process.env.CHURN_BELOW ?? 0.25);
const DATABASE_URL = process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/test';
const ADMIN_KEY = 'bench-campaign-admin-key';
const FIXTURE = path.join(__dirname, '..', 'test', 'fixtures', 'campaign-instance.ts');

function startInstance(env: Record<string, string>): Promise<{ child: ChildProcess; url: string }> {
  const child = spawn(process.execPath, ['--import', 'tsx', FIXTURE], {
    env: { ...process.env, NODE_ENV: 'production', NODE_OPTIONS: '', ADMIN_KEY, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return new Promise((resolve, reject) => {
    child.stdout?.on('data', (c: Buffer) => {
      const port = /listening (\d+)/.exec(c.toString())?.[1];
      if (port) resolve({ child, url: `http://127.0.0.1:${port}` });
    });
    child.once('exit', (code) => reject(new Error(`instance exited with ${code}`)));
  });
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- the gateway's JSON answers, read by field
const call = async (url: string, method: string, route: string, body?: unknown): Promise<any> => {
  const res = await fetch(`${url}${route}`, {
    method,
    headers: { 'content-type': 'application/json', 'x-api-key': ADMIN_KEY },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return res.json();
};

const CAMPAIGN = {
  id: 'bench-cloud',
  name: '和彩云 青年推广（基准）',
  audience: {
    where: {
      all: [
        { field: 'segment', operator: 'equal', value: 'YOUTH_DATA' },
        { field: 'churnProbability', operator: 'lessThan', value: CHURN_BELOW },
      ],
    },
  },
  offer: { code: 'VAS-CLOUD', name: '和彩云存储50GB' },
  messages: { SMS: '尊敬的{{customer.title}}，{{offer.name}}每月10元，回复Y订购。' },
  channels: { plan: 'FALLBACK_ONLY', fallback: 'SMS' },
  schedule: { start: '2026-01-01T00:00:00+08:00', end: '2099-01-01T00:00:00+08:00' },
  throttle: { sendsPerSecond: 1000, viewLoadsPerSecond: 1000 },
  controlShare: 0.1,
};

interface Row {
  instances: number;
  targets: number;
  selectionMs: number;
  runMs: number;
  targetsPerSecond: number;
  callsPerTarget: number;
  reportMs: number;
}

async function once(instances: number, mocks: Record<string, string>, channelsUrl: string): Promise<Row> {
  const schema = `ucv_bench_${randomBytes(4).toString('hex')}`;
  const env = {
    STORE_URL: DATABASE_URL,
    STORE_SCHEMA: schema,
    MOCK_URLS: JSON.stringify(mocks),
    CHANNELS_URL: channelsUrl,
    LEASE_MS: '30000',
  };
  const started = await Promise.all(Array.from({ length: instances }, () => startInstance(env)));
  const url = started[0]?.url ?? '';
  try {
    await call(url, 'PUT', `/admin/campaigns/${CAMPAIGN.id}`, CAMPAIGN);
    await resetMocks(mocks as never);
    const t0 = performance.now();
    await call(url, 'POST', `/marketing/campaigns/${CAMPAIGN.id}/launch`);
    let selectedAt = 0;
    for (;;) {
      const run = await call(url, 'GET', `/marketing/campaigns/${CAMPAIGN.id}`);
      if (!selectedAt && run.state !== 'selecting') selectedAt = performance.now();
      if (run.state === 'completed') break;
      await new Promise((r) => setTimeout(r, 50));
    }
    const done = performance.now();
    const counts = await mockCounts(mocks as never);
    const r0 = performance.now();
    const report = await call(url, 'GET', `/marketing/campaigns/${CAMPAIGN.id}/report`);
    const reportMs = performance.now() - r0;
    const targets = Number(report.funnel.targets);
    const calls = Object.values(counts).reduce((a, b) => a + b, 0);
    return {
      instances,
      targets,
      selectionMs: Math.round(selectedAt - t0),
      runMs: Math.round(done - selectedAt),
      targetsPerSecond: Math.round(targets / ((done - selectedAt) / 1000)),
      callsPerTarget: Math.round((calls / targets) * 100) / 100,
      reportMs: Math.round(reportMs),
    };
  } finally {
    for (const s of started) s.child.kill('SIGKILL');
    const pg = new Client({ connectionString: DATABASE_URL });
    await pg.connect();
    await pg.query(`DROP SCHEMA IF EXISTS ${schema} CASCADE`);
    await pg.end();
  }
}

async function main(): Promise<void> {
  const loadBefore = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const mocks = await startServer('mocks');
  const channels = await startChannelsMock();
  const rows: Row[] = [];
  try {
    for (let run = 0; run < RUNS; run++)
      for (const instances of [1, 2]) {
        channels.clear();
        const row = await once(instances, mocks.urls, channels.url);
        process.stdout.write(`${JSON.stringify(row)}\n`);
        rows.push(row);
      }
  } finally {
    await channels.close();
    await mocks.stop();
  }
  const summary = [1, 2].map((instances) => {
    const of = rows.filter((r) => r.instances === instances);
    const m = (k: keyof Row) => median(of.map((r) => r[k]));
    return {
      instances,
      targets: m('targets'),
      selectionMs: m('selectionMs'),
      runMs: m('runMs'),
      targetsPerSecond: m('targetsPerSecond'),
      callsPerTarget: m('callsPerTarget'),
      reportMs: m('reportMs'),
    };
  });
  const loadAfter = os
    .loadavg()
    .map((l) => l.toFixed(2))
    .join(' ');
  const out = path.join(__dirname, 'results');
  fs.mkdirSync(out, { recursive: true });
  fs.writeFileSync(path.join(out, 'campaign.json'), JSON.stringify({ machine: machine(), rows, summary }, null, 2));
  const md = [
    '# Campaign run: one instance and two',
    '',
    `\`CHURN_BELOW=${CHURN_BELOW} npx tsx bench/campaign.ts\`, ${RUNS} runs per layout, medians. Machine: ${JSON.stringify(machine())}.`,
    `Load average before: ${loadBefore}; after: ${loadAfter}.`,
    '',
    '| instances | targets | selection (ms) | run (ms) | targets/s | backend calls/target | report (ms) |',
    '|---|---|---|---|---|---|---|',
    ...summary.map(
      (s) =>
        `| ${s.instances} | ${s.targets} | ${s.selectionMs} | ${s.runMs} | ${s.targetsPerSecond} | ${s.callsPerTarget} | ${s.reportMs} |`,
    ),
    '',
  ].join('\n');
  fs.writeFileSync(path.join(out, 'campaign.md'), md);
  process.stdout.write(md);
}

main().catch((err: unknown) => {
  process.stderr.write(`${(err as Error).stack ?? String(err)}\n`);
  process.exit(1);
});
