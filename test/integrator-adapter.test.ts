/**
 * Integrators register a new backend without changing the gateway: an adapter module named in config joins the
 * schema, the view, the provenance and the protections. Its unexpected errors are masked.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import express from 'express';
import pino from 'pino';
import { parseConfig } from '../gateway/config';
import { createGateway, type Gateway } from '../gateway/app/server';
import { startMocks, type Mocks } from '../mocks';
import { postGraphQL, testSecurity } from './support/harness';

let mocks: Mocks;
let loyalty: http.Server;
let gateway: Gateway;
beforeAll(async () => {
  mocks = await startMocks();
  const app = express();
  app.get(
    '/points/:id',
    (req, res) =>
      void (req.params.id === 'C00000001' ? res.json({ points: 4200, tier: 'GOLD' }) : res.status(404).json({})),
  );
  loyalty = http.createServer(app).listen(0, '127.0.0.1');
  await new Promise((r) => loyalty.once('listening', r));
  const config = parseConfig(
    {
      port: 0,
      host: '127.0.0.1',
      logLevel: 'silent',
      security: testSecurity(),
      adapters: [
        { name: 'crm', url: mocks.urls.crm },
        {
          name: 'loyalty',
          module: 'test/fixtures/loyalty-adapter',
          url: `http://127.0.0.1:${(loyalty.address() as AddressInfo).port}`,
        },
      ],
    },
    {},
  );
  gateway = createGateway(config, { logger: pino({ level: 'silent' }) });
  await gateway.listen();
});
afterAll(async () => {
  await gateway.close();
  await mocks.close();
  loyalty.close();
});

it('the new section is served next to the others, with its provenance', async () => {
  const { body } = await postGraphQL(
    gateway.url,
    '{ customer(id: "C00000001") { profile { name } loyalty { points tier } sources { source status } } }',
  );
  expect(body.errors).toBeUndefined();
  expect(body.data.customer).toEqual({
    profile: { name: '张伟' },
    loyalty: { points: 4200, tier: 'GOLD' },
    sources: [
      { source: 'crm', status: 'LIVE' },
      { source: 'loyalty', status: 'LIVE' },
    ],
  });
});

it('a customer the new system does not know gets NOT_FOUND naming it', async () => {
  const { body } = await postGraphQL(gateway.url, '{ customer(id: "C00000002") { loyalty { points } } }');
  expect(body.data.customer.loyalty).toBeNull();
  expect(body.errors[0].extensions).toEqual({ code: 'NOT_FOUND', source: 'loyalty' });
});

it('an unexpected error is masked as INTERNAL_SERVER_ERROR: no message, host or stack leaves the gateway', async () => {
  const { body } = await postGraphQL(
    gateway.url,
    '{ customer(id: "C00000001") { loyaltyBroken { points } profile { name } } }',
  );
  expect(body.data.customer).toEqual({ loyaltyBroken: null, profile: { name: '张伟' } });
  expect(body.errors).toEqual([
    {
      message: 'Unexpected error.',
      path: ['customer', 'loyaltyBroken'],
      extensions: { code: 'INTERNAL_SERVER_ERROR' },
    },
  ]);
  expect(JSON.stringify(body)).not.toContain('db-host');
});

it('the SOAP WSDL gains the new section with no gateway change', async () => {
  const wsdl = await (await fetch(`${gateway.url}/soap/CustomerView?wsdl`)).text();
  expect(wsdl).toContain('<xsd:enumeration value="loyalty"/>');
  expect(wsdl).toMatch(/<xsd:complexType name="Loyalty">/);
});

describe('an adapter that would break the schema is refused at start, naming the problem', () => {
  const start = (module: string, name: string) => () =>
    createGateway(
      parseConfig(
        {
          port: 0,
          host: '127.0.0.1',
          logLevel: 'silent',
          adapters: [
            { name: 'crm', url: mocks.urls.crm },
            { name, module, url: 'http://127.0.0.1:9' },
          ],
        },
        {},
      ),
      {
        logger: pino({ level: 'silent' }),
      },
    );

  it('a Customer field another adapter already defines (merging would silently keep one)', () => {
    expect(start('test/fixtures/clashing-adapter', 'clash')).toThrow(
      'adapter clash: Customer.profile is already defined by adapter crm',
    );
  });

  it('a Customer field bound to no resource', () => {
    expect(start('test/fixtures/unbound-adapter', 'unbound')).toThrow(
      'adapter unbound: Customer.points is not bound to a resource',
    );
  });
});
