/**
 * The validate-time probe of a registered adapter's base URL connects through the allow-list, as run-time calls do:
 * a name that resolved to an allowed address when it was checked, then to a refused one when the probe connects
 * (DNS rebinding), is not reached. Real HTTP to a real server; the name's resolver is the rebinding one.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { probe } from '../gateway/runtime/adapter-kind';
import type { AllLookup } from '../gateway/runtime/allow-list';

let server: http.Server;
let hits = 0;
let port = 0;

/** What a rebinding DNS answers when the probe connects: the gateway's own loopback. */
const rebound: AllLookup = (_hostname, _options, callback) => callback(null, [{ address: '127.0.0.1', family: 4 }]);

beforeAll(async () => {
  server = http.createServer((_req, res) => {
    hits++;
    res.end('internal');
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  port = (server.address() as AddressInfo).port;
});

afterAll(() => new Promise<void>((resolve) => server.close(() => resolve())));

it('refuses to connect when the name now resolves to a refused address, and never reaches it', async () => {
  const problem = await probe(`http://rebind.example:${port}/`, 2000, false, rebound);
  expect(problem).toMatch(/refused address: 127\.0\.0\.1 is a loopback address/);
  expect(hits).toBe(0);
});

it('reaches the same server when its address is allowed (admin.allowLoopback): the resolver is what connects', async () => {
  expect(await probe(`http://rebind.example:${port}/`, 2000, true, rebound)).toBeNull();
  expect(hits).toBe(1);
});
