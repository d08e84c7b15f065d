/**
 * What the request log (pino-http) costs per request when its lines are not written (the benchmark's gateways log
 * at 'silent'; a production gateway at 'warn' writes no line for a 2xx either): `npx tsx bench/request-log-cost.ts`.
 * In process, no network: a request and a response object per iteration, the operation log set as the pipeline
 * sets it, then 'finish'. Rows: no request log; pino-http as configured before (customProps always an object,
 * customLogLevel always 'info' or 'error'); as configured now (gateway/app/server.ts: no child without an operation log,
 * 'silent' for a level the logger does not write). N (default 200000) iterations per row, 3 rounds, median.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import pino from 'pino';
import pinoHttp from 'pino-http';

const N = Number(process.env.N ?? 200_000);
const logger = pino({ level: process.env.LEVEL ?? 'silent' });
const operationLogs = new WeakMap<ServerResponse, object>();
const operation = {
  operationName: 'View',
  consumer: 'bench',
  role: 'admin',
  customers: ['C00000001'],
  sources: { crm: 'CACHED', billing: 'CACHED', warehouse: 'CACHED', scoring: 'CACHED' },
};
const common = {
  logger,
  genReqId: () => 'fixed-request-id',
  serializers: {
    req: (req: IncomingMessage & { id?: unknown }) => ({ id: req.id, method: req.method, url: req.url }),
    res: (res: ServerResponse) => ({ statusCode: res.statusCode }),
  },
};
const rows: Record<string, ((req: IncomingMessage, res: ServerResponse) => void) | undefined> = {
  none: undefined,
  before: pinoHttp({
    ...common,
    customProps: (_req, res) => ({ graphql: operationLogs.get(res) }),
    customLogLevel: (_req, res, err) => (err || res.statusCode >= 500 ? 'error' : 'info'),
  }),
  after: pinoHttp({
    ...common,
    customProps: (_req, res) => {
      const graphql = operationLogs.get(res);
      return (graphql ? { graphql } : undefined) as object;
    },
    customLogLevel: (_req, res, err) => {
      const level = err || res.statusCode >= 500 ? 'error' : 'info';
      return logger.isLevelEnabled(level) ? level : 'silent';
    },
  }),
};

const socket = new Socket();
function round(log: ((req: IncomingMessage, res: ServerResponse) => void) | undefined): number {
  const started = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    const req = new IncomingMessage(socket);
    req.method = 'POST';
    req.url = '/graphql';
    const res = new ServerResponse(req);
    log?.(req, res);
    operationLogs.set(res, operation);
    res.emit('finish');
  }
  const used = process.cpuUsage(started);
  return (used.user + used.system) / N;
}

const results: Record<string, number[]> = {};
for (let r = 0; r < 3; r++) for (const [name, log] of Object.entries(rows)) (results[name] ??= []).push(round(log));
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)] as number;
console.log(`logger level ${logger.level}, ${N} requests per round, CPU µs per request (median of 3; rounds):`);
for (const [name, xs] of Object.entries(results))
  console.log(`${name.padEnd(7)} ${median(xs).toFixed(2).padStart(6)}   ${xs.map((x) => x.toFixed(2)).join(' ')}`);
const none = median(results.none ?? []);
console.log(
  `request log: before ${(median(results.before ?? []) - none).toFixed(2)} µs, after ${(median(results.after ?? []) - none).toFixed(2)} µs per request`,
);
