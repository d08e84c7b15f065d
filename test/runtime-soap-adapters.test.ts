/**
 * Issue 11 §2–3: declarative SOAP backends registered at run time (`type: 'soap'`), and the SSRF and size checks of
 * their WSDL. Real HTTP servers serve the WSDL variants; real node-soap services (`soap.listen`, the billing mock)
 * answer the calls; real gateways (definitions in a file, no Redis).
 */
import fs from 'node:fs';
import http from 'node:http';
import os from 'node:os';
import path from 'node:path';
import { randomUUID } from 'node:crypto';
import type { AddressInfo } from 'node:net';
import pino from 'pino';
import * as soap from 'soap';
import { createGateway, type Gateway } from '../gateway/app/server';
import { importLocations } from '../gateway/runtime/declarative-soap';
import { SAMPLE_CUSTOMERS, startMocks, type Mocks } from '../mocks';
import { billingAccount } from '../mocks/dataset/customers';
import { AUTH, postGraphQL, SOAP_AUTH, testConfig, type ConfigOverrides } from './support/harness';
import { renderExample } from '../scripts/example';

const ID = 'C00000001';
const MAX_WSDL_BYTES = 8192;

let mocks: Mocks;
const gateways: Gateway[] = [];
const servers: http.Server[] = [];

async function start(overrides: ConfigOverrides): Promise<Gateway> {
  const config = testConfig(mocks, {
    ...overrides,
    admin: {
      definitionsFile: path.join(os.tmpdir(), `ucv-soap-defs-${randomUUID()}.json`),
      probeTimeoutMs: 2000,
      maxWsdlBytes: MAX_WSDL_BYTES,
      ...overrides.admin,
    },
  });
  const gateway = createGateway(config, { logger: pino({ level: 'silent' }) });
  await gateway.listen();
  gateways.push(gateway);
  return gateway;
}

async function listen(
  handler: http.RequestListener,
  host = '127.0.0.1',
): Promise<{ server: http.Server; port: number }> {
  const server = http.createServer(handler);
  await new Promise<void>((resolve) => server.listen(0, host, resolve));
  servers.push(server);
  return { server, port: (server.address() as AddressInfo).port };
}

async function admin(gateway: Gateway, method: string, route: string, body?: unknown) {
  const res = await fetch(`${gateway.url}${route}`, {
    method,
    headers: { 'content-type': 'application/json', ...AUTH },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as Record<string, any> }; // eslint-disable-line @typescript-eslint/no-explicit-any
}

const customerFields = async (gateway: Gateway): Promise<string[]> => {
  const { body } = await postGraphQL(gateway.url, '{ __type(name: "Customer") { fields { name } } }');
  return (body.data.__type.fields as Array<{ name: string }>).map((f) => f.name).sort();
};

/**
 * The documented example (examples/billing-ledger.json): the billing mock's own WSDL, under its own name and field,
 * its URLs filled in as the documented script does (scripts/example.ts), from the test's own billing mock.
 */
const example = () =>
  renderExample(path.join(__dirname, '..', 'examples', 'billing-ledger.json'), {
    BILLING_URL: mocks.billing.url,
  }) as { resources: { account: object } };
const ledger = (extra: Record<string, unknown> = {}, resource: Record<string, unknown> = {}) => {
  const EXAMPLE = example();
  return { ...EXAMPLE, resources: { account: { ...EXAMPLE.resources.account, ...resource } }, ...extra };
};

// A small SOAP service of the test's own (the "points" backend), whose answers the test makes slow or broken.
const POINTS_WSDL = (imports = '') => `<?xml version="1.0" encoding="UTF-8"?>
<definitions name="Points" targetNamespace="urn:test:points" xmlns="http://schemas.xmlsoap.org/wsdl/" xmlns:soap="http://schemas.xmlsoap.org/wsdl/soap/" xmlns:tns="urn:test:points" xmlns:xsd="http://www.w3.org/2001/XMLSchema">
  ${imports.startsWith('<import') ? imports : ''}
  <types>
    <xsd:schema targetNamespace="urn:test:points" elementFormDefault="qualified">
      ${imports.startsWith('<import') ? '' : imports}
      <xsd:element name="GetPoints"><xsd:complexType><xsd:sequence><xsd:element name="customerId" type="xsd:string"/></xsd:sequence></xsd:complexType></xsd:element>
      <xsd:element name="GetPointsResponse"><xsd:complexType><xsd:sequence><xsd:element name="points" type="xsd:int"/><xsd:element name="since" type="xsd:dateTime"/></xsd:sequence></xsd:complexType></xsd:element>
    </xsd:schema>
  </types>
  <message name="GetPointsIn"><part name="parameters" element="tns:GetPoints"/></message>
  <message name="GetPointsOut"><part name="parameters" element="tns:GetPointsResponse"/></message>
  <portType name="PointsPort"><operation name="GetPoints"><input message="tns:GetPointsIn"/><output message="tns:GetPointsOut"/></operation></portType>
  <binding name="PointsBinding" type="tns:PointsPort">
    <soap:binding style="document" transport="http://schemas.xmlsoap.org/soap/http"/>
    <operation name="GetPoints"><soap:operation soapAction="urn:test:points#GetPoints"/><input><soap:body use="literal"/></input><output><soap:body use="literal"/></output></operation>
  </binding>
  <service name="PointsService"><port name="PointsPort" binding="tns:PointsBinding"><soap:address location="http://localhost/points"/></port></service>
</definitions>`;

let pointsMode: 'ok' | 'slow' | 'broken' | 'large' = 'ok';
let points: { port: number };
/** The WSDL variants the refusals are made of, served by one plain HTTP server. */
let wsdls: { port: number };
const wsdlRoutes = new Map<string, () => string>();

const pointsDefinition = (extra: Record<string, unknown> = {}) => ({
  name: 'points',
  description: 'Loyalty points (a test SOAP service)',
  type: 'soap',
  wsdlUrl: `http://127.0.0.1:${points.port}/points?wsdl`,
  endpoint: `http://127.0.0.1:${points.port}/points`,
  typeDefs: 'extend type Customer { points: Points }\ntype Points { points: Int! since: String! }',
  resources: {
    balance: {
      operation: 'GetPoints',
      key: 'customerId',
      shape: {
        type: 'object',
        required: ['points', 'since'],
        properties: { points: { type: 'integer' }, since: { type: 'string' } },
      },
    },
  },
  fields: { points: { resource: 'balance' } },
  // A deadline a loaded machine's own slowness cannot reach, far below the slow answer's 10 s.
  policy: { timeoutMs: 1500, retry: { attempts: 0 }, maxResponseBytes: 4096 },
  ...extra,
});

beforeAll(async () => {
  mocks = await startMocks();
  // node-soap answers on a server of its own (never listening); the test's server hands it what it does not break.
  const inner = http.createServer();
  soap.listen(
    inner,
    '/points',
    { PointsService: { PointsPort: { GetPoints: () => ({ points: 42, since: '2024-05-01T10:00:00Z' }) } } },
    POINTS_WSDL(),
  );
  // soap.listen attaches its listener once the WSDL is parsed: read it at each request.
  const soapHandler: http.RequestListener = (req, res) =>
    (inner.listeners('request')[0] as http.RequestListener)(req, res);
  const pointsServer = await listen((req, res) => {
    if (req.method === 'POST' && pointsMode === 'broken') {
      res
        .writeHead(200, { 'content-type': 'text/xml' })
        .end('<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><trunc');
      return;
    }
    if (req.method === 'POST' && pointsMode === 'large') {
      // A valid answer, larger than the source's policy.maxResponseBytes (4096): cut off while it is read.
      res
        .writeHead(200, { 'content-type': 'text/xml' })
        .end(
          `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/"><soap:Body><GetPointsResponse xmlns="urn:test:points"><!-- ${'x'.repeat(20_000)} --><points>1</points><since>2024-05-01T10:00:00Z</since></GetPointsResponse></soap:Body></soap:Envelope>`,
        );
      return;
    }
    if (req.method === 'POST' && pointsMode === 'slow') {
      setTimeout(() => res.writeHead(500).end(), 10_000).unref();
      return;
    }
    soapHandler(req, res);
  });
  points = pointsServer;

  wsdls = await listen((req, res) => {
    const route = wsdlRoutes.get(new URL(req.url ?? '/', 'http://x').pathname);
    if (!route) return void res.writeHead(404).end();
    res.writeHead(200, { 'content-type': 'text/xml' }).end(route());
  }, '0.0.0.0');
  const base = `http://127.0.0.1:${wsdls.port}`;
  wsdlRoutes.set('/big.wsdl', () => POINTS_WSDL(`<!-- ${'x'.repeat(MAX_WSDL_BYTES)} -->`));
  // Chunked, no content-length: the cap counts the bytes as they come.
  wsdlRoutes.set('/file.wsdl', () =>
    POINTS_WSDL('<xsd:import namespace="urn:x" schemaLocation="file:///etc/passwd"/>'),
  );
  wsdlRoutes.set('/meta.wsdl', () =>
    POINTS_WSDL('<import namespace="urn:x" location="http://169.254.169.254/latest/meta-data/x.wsdl"/>'),
  );
  wsdlRoutes.set('/relative.wsdl', () =>
    POINTS_WSDL('<xsd:import namespace="urn:test:parts" schemaLocation="parts/types.xsd"/>'),
  );
  wsdlRoutes.set(
    '/parts/types.xsd',
    () =>
      '<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:test:parts"><xsd:include schemaLocation="../../deeper/../secret.xsd"/><xsd:include schemaLocation="file:///etc/shadow"/></xsd:schema>',
  );
  wsdlRoutes.set(
    '/secret.xsd',
    () => '<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:test:parts"/>',
  );
  wsdlRoutes.set('/loopback.wsdl', () =>
    POINTS_WSDL(`<xsd:import namespace="urn:x" schemaLocation="${base}/secret.xsd"/>`),
  );
});

afterAll(async () => {
  await Promise.all(gateways.map((g) => g.close(100)));
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  await mocks.close();
});

describe('a declarative SOAP backend', () => {
  let gateway: Gateway;

  beforeAll(async () => {
    gateway = await start({ admin: { allowLoopback: true } });
  });

  it('registered through PUT /admin/adapters/:name, serves its field over GraphQL with provenance, dates as ISO strings', async () => {
    const before = await customerFields(gateway);
    const put = await admin(gateway, 'PUT', '/admin/adapters/ledger', ledger());
    expect([put.status, put.body.errors]).toEqual([200, undefined]);
    expect(await customerFields(gateway)).toEqual([...before, 'ledger'].sort());

    const res = await postGraphQL(
      gateway.url,
      `{ customer(id: "${ID}") { ledger { accountId currency balance creditLimit asOf lastDueDate paymentMethod } billing { balance bills { dueDate } } sources { source status } } }`,
    );
    expect(res.body.errors).toBeUndefined();
    const truth = billingAccount(ID);
    expect(truth).toBeTruthy();
    const view = res.body.data.customer;
    expect(view.ledger.accountId).toBe(truth?.accountId);
    expect(view.ledger.balance).toBe(view.billing.balance);
    // xsd:dateTime → node-soap's Date → an ISO string before the shape check (declared `string`) and the mapping.
    expect(view.ledger.asOf).toBe(new Date(truth?.currentCharges.asOf as string).toISOString());
    expect(view.ledger.lastDueDate?.slice(0, 10)).toBe(view.billing.bills[0].dueDate);
    expect(view.ledger).toMatchObject({
      currency: truth?.currency,
      creditLimit: Number(truth?.creditLimit),
      paymentMethod: truth?.paymentBehaviour.paymentMethod,
    });
    expect(view.sources).toContainEqual(expect.objectContaining({ source: 'ledger', status: 'LIVE' }));
  });

  it('the declared Fault means "not found" (NOT_FOUND, the section null); another Fault is the backend failing', async () => {
    const id = SAMPLE_CUSTOMERS.noBillingAccount;
    const res = await postGraphQL(gateway.url, `{ customer(id: "${id}") { profile { name } ledger { accountId } } }`);
    expect(res.body.data.customer.profile.name).toBeTruthy();
    expect(res.body.data.customer.ledger).toBeNull();
    expect(
      res.body.errors.map((e: { path: string[]; extensions: { code: string; source: string } }) => [
        e.path,
        e.extensions.code,
        e.extensions.source,
      ]),
    ).toEqual([[['customer', 'ledger'], 'NOT_FOUND', 'ledger']]);
    // Without the notFound clause the same Fault fails the call.
    expect(
      (
        await admin(
          gateway,
          'PUT',
          '/admin/adapters/ledger',
          ledger({}, { notFound: { path: 'faultcode', value: 'soap:Server' } }),
        )
      ).status,
    ).toBe(200);
    const failed = await postGraphQL(gateway.url, `{ customer(id: "${id}") { ledger { accountId } } }`);
    expect(failed.body.errors[0].extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'ledger' });
    expect((await admin(gateway, 'PUT', '/admin/adapters/ledger', ledger())).status).toBe(200);
  });

  it('serves the same field over SOAP (the extension section, when named)', async () => {
    const res = await fetch(`${gateway.url}/soap/CustomerView`, {
      method: 'POST',
      headers: {
        'content-type': 'text/xml; charset=utf-8',
        soapaction: '"urn:ucv:customer-view:v1#GetCustomerView"',
        ...SOAP_AUTH,
      },
      body: `<soap:Envelope xmlns:soap="http://schemas.xmlsoap.org/soap/envelope/" xmlns:v="urn:ucv:customer-view:v1"><soap:Body><v:GetCustomerView><v:customerId>${ID}</v:customerId><v:section>ledger</v:section></v:GetCustomerView></soap:Body></soap:Envelope>`,
    });
    const text = await res.text();
    expect(res.status).toBe(200);
    expect(text).toContain(`<ledger><accountId>${billingAccount(ID)?.accountId}</accountId>`);
    expect(text).toMatch(/<source>ledger<\/source>/);
    const wsdl = await (await fetch(`${gateway.url}/soap/CustomerView?wsdl`)).text();
    expect(wsdl).toContain(
      '<xsd:element name="ledger" type="tns:Ledger" minOccurs="0"><xsd:annotation><xsd:documentation>The billing ledger',
    );
    expect(wsdl).toContain('<xsd:complexType name="Ledger">');
  });

  it('a slow, broken or too large SOAP answer affects only its own section', async () => {
    expect((await admin(gateway, 'PUT', '/admin/adapters/points', pointsDefinition())).status).toBe(200);
    const query = `{ customer(id: "C00000002") { profile { name } billing { balance } ledger { balance } points { points since } } }`;
    const ok = await postGraphQL(gateway.url, query);
    expect(ok.body.errors).toBeUndefined();
    expect(ok.body.data.customer.points).toEqual({ points: 42, since: '2024-05-01T10:00:00.000Z' });
    const cases = [
      ['broken', 'bad_response', 'unreadable', 'C00000007'],
      ['slow', 'timeout', undefined, 'C00000008'],
      ['large', 'bad_response', 'too_large', 'C00000012'],
    ] as const;
    for (const [mode, reason, detail, id] of cases) {
      pointsMode = mode;
      try {
        const res = await postGraphQL(gateway.url, query.replace('C00000002', id));
        const view = res.body.data.customer;
        expect(view.profile.name).toBeTruthy();
        expect(view.billing).not.toBeNull();
        expect(view.ledger).not.toBeNull();
        expect(view.points).toBeNull();
        expect(res.body.errors).toHaveLength(1);
        expect(res.body.errors[0].extensions).toMatchObject({
          code: 'SOURCE_UNAVAILABLE',
          source: 'points',
          reason,
          ...(detail ? { detail } : {}),
        });
      } finally {
        pointsMode = 'ok';
      }
    }
  });

  describe('refuses, with 422 DEFINITION_REFUSED naming the path, and leaves the schema as it was', () => {
    const base = () => `http://127.0.0.1:${wsdls.port}`;
    const refusals: Array<[string, () => Record<string, unknown>, string, RegExp]> = [
      [
        'a WSDL larger than admin.maxWsdlBytes',
        () => pointsDefinition({ name: 'refused', wsdlUrl: `${base()}/big.wsdl` }),
        'wsdlUrl',
        /larger than admin\.maxWsdlBytes \(8192 bytes\)/,
      ],
      [
        'an xsd:import of file:///etc/passwd',
        () => pointsDefinition({ name: 'refused', wsdlUrl: `${base()}/file.wsdl` }),
        'wsdlUrl',
        /file:\/\/\/etc\/passwd.*scheme file:/,
      ],
      [
        'a wsdl:import of the metadata address',
        () => pointsDefinition({ name: 'refused', wsdlUrl: `${base()}/meta.wsdl` }),
        'wsdlUrl',
        /169\.254\.169\.254.*link-local/,
      ],
      [
        'a file: include two levels down, behind a relative import',
        () => pointsDefinition({ name: 'refused', wsdlUrl: `${base()}/relative.wsdl` }),
        'wsdlUrl',
        /file:\/\/\/etc\/shadow, imported by .*\/parts\/types\.xsd ← .*\/relative\.wsdl: scheme file:/,
      ],
      [
        'an operation the WSDL does not have',
        () => ledger({ name: 'refused' }, { operation: 'GetAccountHistory' }),
        'resources.account.operation',
        /one of GetAccountSummary/,
      ],
      [
        'a key element the input does not have',
        () => ledger({ name: 'refused' }, { key: 'customer.id' }),
        'resources.account.key',
        /one of customerId/,
      ],
      [
        'an unreachable WSDL',
        () => pointsDefinition({ name: 'refused', wsdlUrl: 'http://127.0.0.1:1/points?wsdl' }),
        'wsdlUrl',
        /unreachable/,
      ],
      [
        'a WSDL URL that is a file',
        () => pointsDefinition({ name: 'refused', wsdlUrl: 'file:///etc/passwd' }),
        'wsdlUrl',
        /scheme file:/,
      ],
      [
        'an endpoint at the metadata address',
        () => pointsDefinition({ name: 'refused', endpoint: 'http://169.254.169.254/points' }),
        'endpoint',
        /link-local/,
      ],
    ];
    it.each(refusals)('%s', async (_what, make, where, problem) => {
      const generation = gateway.runtime.generation;
      const fields = await customerFields(gateway);
      const definition = make();
      const res = await admin(gateway, 'PUT', '/admin/adapters/refused', {
        ...definition,
        typeDefs: 'extend type Customer { refused: Points2 }\ntype Points2 { points: Int }',
        fields: { refused: { resource: Object.keys(definition.resources as object)[0] } },
      });
      expect(res.status).toBe(422);
      expect(res.body.errors[0].extensions.code).toBe('DEFINITION_REFUSED');
      const problems = res.body.errors[0].extensions.problems as Array<{ path: string }>;
      expect(problems.map((p) => p.path)).toContain(where);
      expect(JSON.stringify(problems)).toMatch(problem);
      expect(gateway.runtime.generation).toBe(generation);
      expect(await customerFields(gateway)).toEqual(fields);
    });
  });
});

describe('where loopback is not allowed', () => {
  // The WSDL must come from an address that is not loopback: this host's first external IPv4 address.
  const external = Object.values(os.networkInterfaces())
    .flat()
    .find((a) => a && a.family === 'IPv4' && !a.internal)?.address;

  it(`refuses an import to loopback (the WSDL at ${external ?? 'no external address on this host'})`, async () => {
    // Fails, never skips, on a host without one (as the store tests do without PostgreSQL).
    expect(external).toEqual(expect.any(String));
    const gateway = await start({ admin: { allowLoopback: false } });
    const fields = await customerFields(gateway);
    const res = await admin(
      gateway,
      'PUT',
      '/admin/adapters/refused',
      pointsDefinition({
        name: 'refused',
        wsdlUrl: `http://${external}:${wsdls.port}/loopback.wsdl`,
        endpoint: `http://${external}:${points.port}/points`,
      }),
    );
    expect(res.status).toBe(422);
    expect(res.body.errors[0].extensions).toMatchObject({
      code: 'DEFINITION_REFUSED',
      problems: [
        expect.objectContaining({
          path: 'wsdlUrl',
          message: expect.stringMatching(
            /secret\.xsd, imported by .*loopback\.wsdl: host 127\.0\.0\.1 resolves to 127\.0\.0\.1 is a loopback address/,
          ),
        }),
      ],
    });
    expect(await customerFields(gateway)).toEqual(fields);
  });
});

it('at run time node-soap never reads a file or reaches a refused address, even when the backend serves another WSDL later', async () => {
  const gateway = await start({ admin: { allowLoopback: true } });
  const good = POINTS_WSDL();
  let served = good;
  wsdlRoutes.set('/changing.wsdl', () => served);
  const put = await admin(
    gateway,
    'PUT',
    '/admin/adapters/points',
    pointsDefinition({ wsdlUrl: `http://127.0.0.1:${wsdls.port}/changing.wsdl` }),
  );
  expect(put.status).toBe(200);
  const query = (id: string) =>
    postGraphQL(gateway.url, `{ customer(id: "${id}") { profile { name } points { points } } }`);
  // A readable, valid schema on this host. node-soap resolves a location against the WSDL's URL and reads anything
  // not http(s) with fs.readFile: `ucv-…:local.xsd` (a URL of a scheme of its own) is the file of that name in the
  // working directory. Were node-soap to read it, the call would succeed (without the guard, it does).
  const local = `ucv-${randomUUID().slice(0, 8)}:local.xsd`;
  fs.writeFileSync(local, '<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:x"/>');
  try {
    // Checked at put; node-soap loads it at first use. By then the backend serves a WSDL that imports a file, then one
    // that imports from the metadata address: both refused (the guard, before fs or a connection), the section null.
    for (const [bad, id] of [
      [POINTS_WSDL(`<xsd:import namespace="urn:x" schemaLocation="${local}"/>`), 'C00000009'],
      [POINTS_WSDL('<import namespace="urn:x" location="http://169.254.169.254/latest/x.wsdl"/>'), 'C00000010'],
    ] as const) {
      served = bad;
      const res = await query(id);
      expect(res.body.data.customer.profile.name).toBeTruthy();
      expect(res.body.data.customer.points).toBeNull();
      expect(res.body.errors[0].extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'points' });
    }
    // The control: the same source, its WSDL good again, is loaded again and answers.
    served = good;
    const control = await query('C00000011');
    expect([control.body.errors, control.body.data.customer.points]).toEqual([undefined, { points: 42 }]);
  } finally {
    fs.rmSync(local, { force: true });
  }
});

it('finds every import and include location, either quote, any prefix, entities decoded', () => {
  expect(
    importLocations(
      `<wsdl:import namespace="a" location="http://h/a.wsdl"/><xs:import schemaLocation='b.xsd' namespace="b"/><include schemaLocation="c.xsd?x=1&amp;y=2"/><xsd:element name="import"/>`,
    ),
  ).toEqual(['http://h/a.wsdl', 'b.xsd', 'c.xsd?x=1&y=2']);
});

describe('a WSDL that pulls in more documents when node-soap reads it than when it was checked', () => {
  // The documents node-soap reads itself (at validate, after the checked crawl, and at run time) are not the ones
  // the crawl counted: a backend can answer the crawl's request with a plain WSDL and node-soap's with an endless
  // chain of imports. The cap (32 documents) and the deadline hold for node-soap's reading too.
  const CHAIN = 200;
  let chained = 0;
  let plainReads = 1;
  let reads = 0;
  beforeAll(() => {
    wsdlRoutes.set('/growing.wsdl', () =>
      POINTS_WSDL(++reads <= plainReads ? '' : '<xsd:import namespace="urn:chain:1" schemaLocation="chain/1.xsd"/>'),
    );
    for (let n = 1; n <= CHAIN; n++) {
      const next = n < CHAIN ? `<xsd:import namespace="urn:chain:${n + 1}" schemaLocation="${n + 1}.xsd"/>` : '';
      wsdlRoutes.set(
        `/chain/${n}.xsd`,
        () => (
          chained++,
          `<xsd:schema xmlns:xsd="http://www.w3.org/2001/XMLSchema" targetNamespace="urn:chain:${n}">${next}</xsd:schema>`
        ),
      );
    }
  });
  beforeEach(() => {
    chained = 0;
    reads = 0;
  });

  it('at validate: refused, node-soap stopped at the cap, the schema unchanged', async () => {
    plainReads = 1; // the crawl's read
    const gateway = await start({ admin: { allowLoopback: true } });
    const fields = await customerFields(gateway);
    const res = await admin(
      gateway,
      'PUT',
      '/admin/adapters/points',
      pointsDefinition({ wsdlUrl: `http://127.0.0.1:${wsdls.port}/growing.wsdl` }),
    );
    expect([res.status, res.body.errors?.[0]?.extensions?.code]).toEqual([422, 'DEFINITION_REFUSED']);
    expect(chained).toBeLessThanOrEqual(32);
    expect(await customerFields(gateway)).toEqual(fields);
  });

  it('at run time: the section fails, node-soap stopped at the cap', async () => {
    plainReads = 2; // the crawl's and node-soap's reads at validate
    const gateway = await start({ admin: { allowLoopback: true } });
    expect(
      (
        await admin(
          gateway,
          'PUT',
          '/admin/adapters/points',
          pointsDefinition({ wsdlUrl: `http://127.0.0.1:${wsdls.port}/growing.wsdl` }),
        )
      ).status,
    ).toBe(200);
    expect(chained).toBe(0);
    const res = await postGraphQL(gateway.url, '{ customer(id: "C00000013") { profile { name } points { points } } }');
    expect(res.body.data.customer.points).toBeNull();
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'SOURCE_UNAVAILABLE', source: 'points' });
    // node-soap's reading goes on after the call's deadline: wait for it to stop, then count.
    let last = -1;
    while (last !== chained) {
      last = chained;
      await new Promise((r) => setTimeout(r, 300));
    }
    expect(chained).toBeLessThanOrEqual(32);
  });
});

it('a change that cannot be stored (the definitions file locked) is not left running', async () => {
  const file = path.join(os.tmpdir(), `ucv-soap-defs-${randomUUID()}.json`);
  const gateway = await start({ admin: { allowLoopback: true, definitionsFile: file } });
  const fields = await customerFields(gateway);
  // Another worker holds the lock for longer than a writer waits (5 s), e.g. its disk stalls: the save throws.
  fs.writeFileSync(`${file}.lock`, '');
  const fresh = setInterval(() => fs.utimesSync(`${file}.lock`, new Date(), new Date()), 1000);
  try {
    const put = await admin(gateway, 'PUT', '/admin/adapters/points', pointsDefinition());
    expect(put.status).toBeGreaterThanOrEqual(500);
  } finally {
    clearInterval(fresh);
    fs.rmSync(`${file}.lock`, { force: true });
  }
  // Neither stored nor running: what this instance serves is what every worker and a restart will.
  expect(fs.existsSync(file)).toBe(false);
  expect(await customerFields(gateway)).toEqual(fields);
}, 20_000);
