/**
 * Figures for the protection layer, each the median of RUNS runs:
 *   1. backend calls per 1,000 full-view requests over a hot set of customers, with the default policies and with
 *      the cache off (coalescing only); an unprotected gateway would make 6,000 (CRM 3 + billing + warehouse + scoring);
 *   2. latency of a request whose only source has its breaker open (fail fast), p50 and p99;
 *   3. share of full-view requests answered while billing is down, for a warm hot set and for cold customers.
 * Usage: npm run bench:protection   (writes bench/results/protection.json and .md)
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  CACHE_OFF,
  control,
  drive,
  forAll,
  graphql,
  id,
  machine,
  median,
  percentile,
  resetMocks,
  startStack,
  totalCalls,
} from './support';

const RUNS = Number(process.env.RUNS ?? 3);
const HOT = 200;
const FULL = `query($id: ID!) { customer(id: $id) { profile { name } products { code } contacts { type } billing { balance } insights { segment } score { creditScore } recommendations { offerCode } sources { source status } } }`;

async function callsPer1000(policies: object): Promise<number> {
  const stack = await startStack(policies);
  try {
    // Warm the billing client's WSDL, then count from zero.
    await graphql(stack.gateway, FULL, { id: id(1) });
    await resetMocks(stack.mocks);
    await drive(
      1000,
      20,
      async (i) => void (await graphql(stack.gateway, FULL, { id: id(1000 + ((i * 7919) % HOT)) })),
    );
    return await totalCalls(stack.mocks);
  } finally {
    await stack.stop();
  }
}

async function breakerOpenLatency(): Promise<{ p50: number; p99: number; answered: number }> {
  const stack = await startStack({ scoring: { ...CACHE_OFF, breaker: { resetTimeoutMs: 600_000 } } });
  try {
    await control(stack.mocks.scoring, '/faults', 'PATCH', { down: '503' });
    for (let i = 0; i < 20; i++) await graphql(stack.gateway, FULL, { id: id(5000 + i) }); // open it
    let answered = 0;
    const q = '{ customer(id: "C00000001") { score { creditScore } sources { source breaker } } }';
    await drive(200, 4, async () => void (await graphql(stack.gateway, q))); // warm-up
    const latencies = await drive(2000, 4, async () => {
      const { status, body } = await graphql(stack.gateway, q);
      if (status === 200 && body.data?.customer && body.errors?.[0]?.extensions?.reason === 'circuit_open') answered++;
    });
    return { p50: percentile(latencies, 50), p99: percentile(latencies, 99), answered: answered / latencies.length };
  } finally {
    await stack.stop();
  }
}

async function answeredWhileBillingDown(): Promise<{
  warmAnswered: number;
  warmBillingServed: number;
  coldAnswered: number;
  coldBillingServed: number;
}> {
  const stack = await startStack({ billing: { cache: { ttlSeconds: 1 } } });
  try {
    await drive(HOT, 10, async (i) => void (await graphql(stack.gateway, FULL, { id: id(1000 + i) }))); // warm
    await new Promise((r) => setTimeout(r, 1100)); // billing's TTL passes: only stale-if-error can serve it now
    await control(stack.mocks.billing, '/faults', 'PATCH', { down: '503' });
    const measure = async (ids: (i: number) => string) => {
      let answered = 0;
      let billing = 0;
      await drive(500, 10, async (i) => {
        const { status, body } = await graphql(stack.gateway, FULL, { id: ids(i) });
        if (status === 200 && body.data?.customer?.profile) answered++;
        if (body.data?.customer?.billing) billing++;
      });
      return [answered / 500, billing / 500];
    };
    const [warmAnswered = 0, warmBillingServed = 0] = await measure((i) => id(1000 + (i % HOT)));
    const [coldAnswered = 0, coldBillingServed = 0] = await measure((i) => id(20_000 + i));
    return { warmAnswered, warmBillingServed, coldAnswered, coldBillingServed };
  } finally {
    await stack.stop();
  }
}

async function main(): Promise<void> {
  const runs: Array<Record<string, number>> = [];
  for (let r = 0; r < RUNS; r++) {
    const protectedCalls = await callsPer1000({});
    const coalescingOnly = await callsPer1000(forAll(CACHE_OFF));
    const breaker = await breakerOpenLatency();
    const down = await answeredWhileBillingDown();
    runs.push({
      protectedCalls,
      coalescingOnly,
      breakerP50: breaker.p50,
      breakerP99: breaker.p99,
      breakerAnswered: breaker.answered,
      ...down,
    });
    console.log(`run ${r + 1}/${RUNS}`, runs[r]);
  }
  const keys = Object.keys(runs[0] ?? {});
  const result = Object.fromEntries(keys.map((k) => [k, median(runs.map((run) => run[k] as number))]));
  const report = {
    machine: machine(),
    runs: RUNS,
    hotSet: HOT,
    unprotectedCallsPer1000: 6000,
    median: result,
    all: runs,
  };
  const dir = path.join(__dirname, 'results');
  fs.mkdirSync(dir, { recursive: true });
  fs.writeFileSync(path.join(dir, 'protection.json'), JSON.stringify(report, null, 2) + '\n');
  const pct = (x: number | undefined) => `${((x ?? 0) * 100).toFixed(1)}%`;
  const ms = (x: number | undefined) => `${(x ?? 0).toFixed(2)} ms`;
  const md = `# Protection figures (median of ${RUNS} runs)

Machine: ${report.machine.cores} cores, ${report.machine.cpu}, Node ${report.machine.node}, commit ${report.machine.commit}.
Load generator, mocks and gateway share the machine, each in its own process.

| figure | value |
|---|---|
| backend calls per 1,000 full views, hot set of ${HOT}, default policies | ${result.protectedCalls} (unprotected: 6,000) |
| backend calls per 1,000 full views, cache off (coalescing only) | ${result.coalescingOnly} |
| breaker open, request latency p50 / p99 (client-measured, 4 concurrent) | ${ms(result.breakerP50)} / ${ms(result.breakerP99)} |
| breaker open, requests answered | ${pct(result.breakerAnswered)} |
| billing down, warm hot set: answered / billing section served stale | ${pct(result.warmAnswered)} / ${pct(result.warmBillingServed)} |
| billing down, cold customers: answered / billing section served | ${pct(result.coldAnswered)} / ${pct(result.coldBillingServed)} |
`;
  fs.writeFileSync(path.join(dir, 'protection.md'), md);
  console.log(md);
}

void main();
