/**
 * CPU per billing SOAP call, by transport: `npx tsx bench/soap-transport.ts`. The same node-soap client generated
 * from the billing mock's WSDL, over axios with a keep-alive agent (billing's transport before
 * `gateway/backends/soap-client.ts`) and over that module's undici pool; rounds alternate A and B so both see the same machine.
 * Then node-soap's own share of a call, in process: the envelope cut out of the answer (HttpClient.handleResponse),
 * the answer's parse (sax, `wsdl.xmlToObject`) and the request's envelope built (`objectToDocumentXML`).
 *
 * The mocks run in their own process (bench/servers.ts), at 0 ms latency; this process's CPU (user + system) is
 * measured around CALLS calls made CONCURRENCY at a time, for ROUNDS rounds of each transport; the median is reported.
 * Env: ROUNDS (default 5), CALLS (default 2000), CONCURRENCY (default 8).
 */
import http from 'node:http';
import axios from 'axios';
import * as soap from 'soap';
import { soapClient } from '../gateway/backends/soap-client';
import { drive, id, median, startServer } from './support';

const ROUNDS = Number(process.env.ROUNDS ?? 5);
const CALLS = Number(process.env.CALLS ?? 2000);
const CONCURRENCY = Number(process.env.CONCURRENCY ?? 8);
const MAX_BYTES = 2 * 1024 * 1024;

type Call = (customerId: string, requestId: string) => Promise<unknown>;

async function main(): Promise<void> {
  const mocks = await startServer('mocks');
  const endpoint = `${mocks.urls.billing}/billing/AccountService`;
  try {
    // billing's client before: node-soap's default HttpClient over an axios instance (keep-alive, no redirects, capped).
    const request = axios.create({
      httpAgent: new http.Agent({ keepAlive: true, maxSockets: 256 }),
      maxRedirects: 0,
      maxContentLength: MAX_BYTES,
    });
    const axiosClient = await soap.createClientAsync(`${endpoint}?wsdl`, {
      endpoint,
      request,
      wsdl_options: { timeout: 5000 },
    });
    const viaAxios: Call = async (customerId, requestId) => {
      const method = (
        axiosClient as unknown as { GetAccountSummaryAsync: (a: object, o: object, h: object) => Promise<[unknown]> }
      ).GetAccountSummaryAsync;
      return (
        await method.call(
          axiosClient,
          { customerId },
          { signal: AbortSignal.timeout(5000) },
          { 'x-request-id': requestId },
        )
      )[0];
    };
    const undiciClient = soapClient({ endpoint, maxResponseBytes: MAX_BYTES, timeoutMs: 5000 });
    const viaUndici: Call = (customerId, requestId) =>
      undiciClient.call(
        'GetAccountSummary',
        { customerId },
        { signal: AbortSignal.timeout(5000), requestId, maxResponseBytes: MAX_BYTES },
      );

    // ~1% of the data set's customers have no billing account: a Fault, answered and counted, like any call.
    let faults = 0;
    const counted =
      (call: Call): Call =>
      (customerId, requestId) =>
        call(customerId, requestId).catch(() => void faults++);
    const transports: [string, Call][] = [
      ['axios (keep-alive agent)', counted(viaAxios)],
      ['undici (gateway/backends/soap-client.ts)', counted(viaUndici)],
    ];
    const perCall = new Map<string, number[]>(transports.map(([name]) => [name, []]));
    for (const [, call] of transports)
      await drive(200, CONCURRENCY, async (i) => void (await call(id(1 + (i % 1000)), `warm-${i}`))); // JIT, sockets
    for (let round = 0; round < ROUNDS; round++) {
      for (const [name, call] of round % 2 ? [...transports].reverse() : transports) {
        const before = process.cpuUsage();
        await drive(
          CALLS,
          CONCURRENCY,
          async (i) => void (await call(id(1 + ((round * CALLS + i) % 5000)), `r${round}-${i}`)),
        );
        const used = process.cpuUsage(before);
        perCall.get(name)?.push((used.user + used.system) / CALLS);
      }
    }
    console.log(
      `CPU of this process per call, µs (median of ${ROUNDS} rounds of ${CALLS} calls, ${CONCURRENCY} at a time; all rounds):`,
    );
    console.log(`  (${faults} of the calls answered a Fault: customers without a billing account)`);
    for (const [name, values] of perCall)
      console.log(
        `  ${name.padEnd(34)} ${median(values).toFixed(1).padStart(7)}   [${values.map((v) => v.toFixed(0)).join(', ')}]`,
      );

    // node-soap's own work per call, in process, on a real answer of the mock.
    await viaAxios(id(1), 'sample');
    const raw = await fetch(endpoint, {
      method: 'POST',
      headers: {
        'content-type': 'text/xml; charset=utf-8',
        soapaction: '"urn:example:billing:account:v1#GetAccountSummary"',
      },
      body: (axiosClient as unknown as { lastRequest: string }).lastRequest,
    }).then((r) => r.text());
    const wsdl = (
      axiosClient as unknown as {
        wsdl: { xmlToObject(xml: string): unknown; objectToDocumentXML(...a: unknown[]): string };
      }
    ).wsdl;
    const httpClient = new soap.HttpClient({});
    const method = (
      axiosClient as unknown as {
        wsdl: {
          definitions: {
            services: Record<
              string,
              {
                ports: Record<
                  string,
                  {
                    binding: {
                      methods: Record<
                        string,
                        {
                          input: {
                            $name: string;
                            targetNSAlias: string;
                            targetNamespace: string;
                            $type?: string;
                            $lookupType?: string;
                          };
                        }
                      >;
                    };
                  }
                >;
              }
            >;
          };
        };
      }
    ).wsdl.definitions.services;
    const input = Object.values(Object.values(method)[0]?.ports ?? {})[0]?.binding.methods.GetAccountSummary?.input;
    const inProcess: [string, () => unknown][] = [
      ['handleResponse (envelope cut out)', () => httpClient.handleResponse(null as never, null as never, raw)],
      ['xmlToObject (sax parse)', () => wsdl.xmlToObject(raw)],
      ...(input
        ? ([
            [
              'objectToDocumentXML (request)',
              () =>
                wsdl.objectToDocumentXML(
                  input.$name,
                  { customerId: 'C00000001' },
                  input.targetNSAlias,
                  input.targetNamespace,
                  input.$type || input.$lookupType,
                  {},
                ),
            ],
          ] as [string, () => unknown][])
        : []),
    ];
    console.log(`node-soap's work per call, in process (answer of ${raw.length} bytes), µs, median of ${ROUNDS}:`);
    for (const [name, fn] of inProcess) {
      const values: number[] = [];
      for (let round = 0; round < ROUNDS; round++) {
        for (let i = 0; i < 200; i++) fn();
        const start = process.cpuUsage();
        for (let i = 0; i < 2000; i++) fn();
        const used = process.cpuUsage(start);
        values.push((used.user + used.system) / 2000);
      }
      console.log(`  ${name.padEnd(34)} ${median(values).toFixed(1).padStart(7)}`);
    }
  } finally {
    await mocks.stop();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    console.error(err);
    process.exit(1);
  },
);
