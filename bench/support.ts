/** Shared by the benchmarks: start a stack in a child process, drive requests, summarise latencies. */
import { spawn, type ChildProcess } from 'node:child_process';
import os from 'node:os';
import path from 'node:path';
import { execSync } from 'node:child_process';

export interface Stack {
  gateway: string;
  mocks: Record<'crm' | 'billing' | 'warehouse' | 'scoring', string>;
  child: ChildProcess;
  stop(): void;
}

export async function startStack(env: Record<string, string> = {}): Promise<Stack> {
  const child = spawn(process.execPath, [require.resolve('tsx/cli'), path.join(__dirname, 'stack.ts')], {
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const line = await new Promise<string>((resolve, reject) => {
    let buffer = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      buffer += chunk.toString();
      const newline = buffer.indexOf('\n');
      if (newline >= 0) resolve(buffer.slice(0, newline));
    });
    child.once('exit', (code) => reject(new Error(`stack exited with ${code}`)));
  });
  const urls = JSON.parse(line) as Omit<Stack, 'child' | 'stop'>;
  return { ...urls, child, stop: () => void child.kill('SIGTERM') };
}

export async function control(mockUrl: string, path: string, method: string, body?: unknown): Promise<unknown> {
  const res = await fetch(`${mockUrl}/__control${path}`, { method, headers: { 'content-type': 'application/json' }, body: body === undefined ? undefined : JSON.stringify(body) });
  return res.json();
}

export async function backendCalls(stack: Stack): Promise<Record<string, number>> {
  const out: Record<string, number> = {};
  for (const [name, url] of Object.entries(stack.mocks)) out[name] = ((await control(url, '', 'GET')) as { requests: { total: number } }).requests.total;
  return out;
}

export async function resetMocks(stack: Stack): Promise<void> {
  await Promise.all(Object.values(stack.mocks).map((url) => control(url, '/reset', 'POST')));
}

// eslint-disable-next-line @typescript-eslint/no-explicit-any -- response bodies are inspected loosely
export async function graphql(gateway: string, query: string, variables?: Record<string, unknown>): Promise<{ status: number; body: any }> {
  const res = await fetch(`${gateway}/graphql`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ query, variables }) });
  return { status: res.status, body: await res.json() };
}

/** Runs `total` tasks with at most `concurrency` at once; returns each task's latency in ms. */
export async function drive(total: number, concurrency: number, task: (i: number) => Promise<void>): Promise<number[]> {
  const latencies: number[] = [];
  let next = 0;
  await Promise.all(
    Array.from({ length: concurrency }, async () => {
      while (next < total) {
        const i = next++;
        const started = performance.now();
        await task(i);
        latencies.push(performance.now() - started);
      }
    }),
  );
  return latencies;
}

export function percentile(values: number[], p: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor((p / 100) * sorted.length))] ?? NaN;
}

export const median = (values: number[]): number => percentile(values, 50);

export function machine(): Record<string, string | number> {
  let commit = 'unknown';
  try {
    commit = execSync('git rev-parse --short HEAD', { cwd: __dirname }).toString().trim();
  } catch {
    /* not a checkout */
  }
  return { cores: os.cpus().length, cpu: os.cpus()[0]?.model ?? 'unknown', memoryGiB: Math.round(os.totalmem() / 2 ** 30), node: process.version, commit };
}
