/**
 * CPU of reading one JSON request body (gateway/inbound/http/body.ts readJson), in process, no network: `npx tsx bench/body-cost.ts`.
 * 50,000 requests per round, 3 rounds; a 1 KB body in one chunk, as a GraphQL request arrives.
 */
import { IncomingMessage, ServerResponse } from 'node:http';
import { Socket } from 'node:net';
import { readJson } from '../gateway/inbound/http/body';
const N = 50_000;
const body = Buffer.from(JSON.stringify({ query: 'x'.repeat(900), variables: { id: 'C00000001' } }));
const limits = { maxBytes: 1 << 20, maxInflatedBytes: 1 << 22, idleTimeoutMs: 5000, timeoutMs: 10000 };
const socket = new Socket();
async function round(): Promise<number> {
  const started = process.cpuUsage();
  for (let i = 0; i < N; i++) {
    const req = new IncomingMessage(socket);
    req.headers = { 'content-type': 'application/json', 'content-length': String(body.length) };
    const res = new ServerResponse(req);
    const p = readJson(req, res, limits);
    req.push(body);
    req.push(null);
    await p;
  }
  const u = process.cpuUsage(started);
  return (u.user + u.system) / N;
}
(async () => {
  const xs = [];
  for (let r = 0; r < 3; r++) xs.push(await round());
  console.log('readJson µs/request', xs.map((x) => x.toFixed(2)).join(' '));
})();
