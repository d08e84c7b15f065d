/**
 * OpenTelemetry traces (gateway/telemetry/), received as a collector receives them: OTLP/HTTP on an endpoint of
 * this test, configured by the standard OTEL_* variables only. A client's `traceparent` is the parent of the
 * operation's span; identity, parse, validate and execute are its children, each source load a child of those with
 * its cache result and breaker state, and the W3C headers reach the backend. A customer event's rules are a span
 * whose view load is an operation inside it. Real servers throughout.
 */
import http from 'node:http';
import fs from 'node:fs';
import path from 'node:path';
import type { AddressInfo } from 'node:net';
import { startTracing, type Tracing } from '../gateway/telemetry';
import type { Store } from '../gateway/store';
import { startMocks, type Mocks } from '../mocks';
import { startChannelsMock, type ChannelsMock } from '../mocks/channels';
import { networkState } from '../mocks/network-events';
import { AUTH } from './support/harness';
import { roamingEvent, startMarketing, type MarketingHarness } from './support/marketing';
import { testStores } from './support/store';
import { waitFor } from './support/wait';
import { SETUP_TIMEOUT_MS, PATIENT_MAPPINGS } from './support/patient';

interface ReceivedSpan {
  traceId: string;
  spanId: string;
  parentSpanId?: string;
  name: string;
  attributes: Record<string, unknown>;
}

const stores = testStores();
const received: ReceivedSpan[] = [];
const backendHeaders: http.IncomingHttpHeaders[] = [];
let collector: http.Server;
let backend: http.Server;
let tracing: Tracing | null;
let mocks: Mocks;
let channels: ChannelsMock;
let h: MarketingHarness;

const listen = async (server: http.Server): Promise<string> => {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
};
const value = (v: Record<string, unknown>): unknown => v.stringValue ?? v.intValue ?? v.boolValue ?? v.doubleValue;

beforeAll(async () => {
  // The collector: OTLP/HTTP with JSON bodies, as the exporter sends them.
  collector = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString('utf8')));
    req.on('end', () => {
      const parsed = JSON.parse(body) as {
        resourceSpans: Array<{
          scopeSpans: Array<{
            spans: Array<ReceivedSpan & { attributes: Array<{ key: string; value: Record<string, unknown> }> }>;
          }>;
        }>;
      };
      for (const rs of parsed.resourceSpans)
        for (const ss of rs.scopeSpans)
          for (const s of ss.spans)
            received.push({ ...s, attributes: Object.fromEntries(s.attributes.map((a) => [a.key, value(a.value)])) });
      res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
    });
  });
  // A backend that records what it was sent, answering as the network-events platform does.
  backend = http.createServer((req, res) => {
    backendHeaders.push(req.headers);
    const id = /subscribers\/([^/]+)\/state/.exec(req.url ?? '')?.[1] ?? '';
    res.writeHead(200, { 'content-type': 'application/json' }).end(JSON.stringify(networkState(id)));
  });
  const [collectorUrl, backendUrl] = await Promise.all([listen(collector), listen(backend)]);
  process.env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT = `${collectorUrl}/v1/traces`;
  process.env.OTEL_TRACES_SAMPLER = 'parentbased_always_on';
  process.env.OTEL_BSP_SCHEDULE_DELAY = '50';
  tracing = startTracing();
  [mocks, channels] = await Promise.all([startMocks(), startChannelsMock()]);
  const store: Store = await stores.open('pglite');
  h = await startMarketing(store, { admin: { allowLoopback: true, mappings: PATIENT_MAPPINGS } }, { mocks, channels });
  const example = JSON.parse(fs.readFileSync(path.join(__dirname, '..', 'examples', 'network-events.json'), 'utf8'));
  const put = await h.admin('PUT', '/admin/adapters/network', { ...example, baseUrl: backendUrl });
  expect(put.status).toBe(200);
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await h?.close();
  await tracing?.shutdown();
  await Promise.all([mocks.close(), channels.close()]);
  await new Promise((r) => collector.close(r));
  await new Promise((r) => backend.close(r));
  await stores.cleanup();
});

const TRACE_ID = '4bf92f3577b34da6a3ce929d0e0e4736';
const PARENT = '00f067aa0ba902b7';

it('is off without an OTLP endpoint', () => {
  expect(startTracing({})).toBeNull();
  expect(startTracing({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x', OTEL_SDK_DISABLED: 'true' })).toBeNull();
});

it('a request’s spans: the client’s traceparent its parent, the phases and each source load its children, the headers sent on', async () => {
  const res = await fetch(`${h.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...AUTH, traceparent: `00-${TRACE_ID}-${PARENT}-01` },
    body: JSON.stringify({ query: '{ customer(id: "C00000031") { profile { name } networkState { roaming } } }' }),
  });
  expect(res.status).toBe(200);
  await tracing?.flush();
  await waitFor(() => received.some((s) => s.traceId === TRACE_ID && s.name === 'operation graphql'), {
    what: 'the operation span at the collector',
  });
  const spans = received.filter((s) => s.traceId === TRACE_ID);
  const byName = (name: string) => spans.find((s) => s.name === name);
  const operation = byName('operation graphql');
  expect(operation?.parentSpanId).toBe(PARENT);
  expect(operation?.attributes).toMatchObject({ 'ucv.facade': 'graphql', 'ucv.outcome': 'result' });
  for (const phase of ['identity', 'graphql.parse', 'graphql.validate', 'graphql.execute'])
    expect(byName(phase)?.parentSpanId).toBe(operation?.spanId);
  const execute = byName('graphql.execute');
  for (const source of ['crm', 'network']) {
    const load = byName(`source ${source}`);
    expect(load?.parentSpanId).toBe(execute?.spanId);
    expect(load?.attributes).toMatchObject({
      'ucv.source': source,
      'ucv.cache': 'miss',
      'ucv.breaker': 'CLOSED',
      'ucv.status': 'LIVE',
    });
  }
  // The backend was told the trace: the same trace id, the load's span as parent.
  const sent = backendHeaders.at(-1)?.traceparent as string;
  expect(sent).toBe(`00-${TRACE_ID}-${byName('source network')?.spanId}-01`);
});

it('a trace the client did not sample records no span here and goes on to the backend unsampled', async () => {
  const UNSAMPLED = '5bf92f3577b34da6a3ce929d0e0e4737';
  const sentBefore = backendHeaders.length;
  const res = await fetch(`${h.url}/graphql`, {
    method: 'POST',
    headers: { 'content-type': 'application/json', ...AUTH, traceparent: `00-${UNSAMPLED}-${PARENT}-00` },
    // A customer of its own, so the network section is a live load (not a cached record).
    body: JSON.stringify({ query: '{ customer(id: "C00000032") { networkState { roaming } } }' }),
  });
  expect(res.status).toBe(200);
  // The backend was told the trace and that it is not sampled (flags 00), from a span id of this gateway's.
  const sent = backendHeaders.slice(sentBefore).map((headers) => headers.traceparent);
  expect(sent).toEqual([expect.stringMatching(new RegExp(`^00-${UNSAMPLED}-[0-9a-f]{16}-00$`))]);
  expect(sent[0]).not.toContain(PARENT);
  // A sampled request after it reaches the collector; nothing of the unsampled trace does.
  const after = await fetch(`${h.url}/graphql`, {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      ...AUTH,
      traceparent: `00-${TRACE_ID.replace(/^4/, '6')}-${PARENT}-01`,
    },
    body: JSON.stringify({ query: '{ customer(id: "C00000033") { profile { name } } }' }),
  });
  expect(after.status).toBe(200);
  await tracing?.flush();
  await waitFor(() => received.some((s) => s.traceId === TRACE_ID.replace(/^4/, '6')), {
    what: 'the sampled request after it at the collector',
  });
  expect(received.filter((s) => s.traceId === UNSAMPLED)).toEqual([]);
});

it('a customer event is a span, and its rules’ view load an operation inside it', async () => {
  const event = roamingEvent('C00000027', 'Macau');
  expect((await h.send(event)).status).toBe(202);
  await tracing?.flush();
  await waitFor(
    () => received.some((s) => s.name === 'event ROAMING_ENTERED' && s.attributes['ucv.event.id'] === event.id),
    {
      what: 'the event span at the collector',
    },
  );
  const span = received.find((s) => s.attributes['ucv.event.id'] === event.id) as ReceivedSpan;
  expect(span.attributes['ucv.event.result']).toBe('SENT');
  const inside = received.filter((s) => s.traceId === span.traceId);
  expect(inside.find((s) => s.name === 'operation internal')?.parentSpanId).toBe(span.spanId);
  expect(inside.some((s) => s.name === 'source warehouse')).toBe(true);
});
