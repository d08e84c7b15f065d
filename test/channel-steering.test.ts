/**
 * Channel steering, the view's `steering` section: by the guideline's table, high-value customers by preference and
 * ordinary ones by cost; a channel the channel systems report saturated is not recommended; the load source down
 * still answers, and says so; the same lines over GraphQL and SOAP; rights per role; a bad table refused at start
 * and at change, with its path. Real HTTP, the mock systems and the channel gateway mock (its load set by the test).
 */
import * as soap from 'soap';
import { startMocks, type Mocks } from '../mocks';
import { startChannelsMock, type ChannelsMock } from '../mocks/channels';
import { DEFAULT_STEERING_TABLE } from '../gateway/steering';
import { createGateway } from '../gateway/app/server';
import { AUTH, asRole, roleConsumer, startHarness, testConfig, TEST_SOAP_USER, type Harness } from './support/harness';

/**
 * Two pairs of customers with the same preference levels (phone, SMS, WAP hall weak; web hall medium; self-service
 * terminal strongest) and (web hall strongest, WAP hall medium, the rest weak), one of each high value, one ordinary.
 */
const GOLD_TERMINAL = 'C00000573';
const STANDARD_TERMINAL = 'C00000006';
const PLATINUM_WEB = 'C00000767';

const STEERING = `query Steering($id: ID!, $service: String) {
  customer(id: $id) {
    insights { channelPreferences { channel level } channelUsage { billEnquiries sms gprsMb itemisedBillPrints } }
    steering(service: $service) {
      inputs { valueTier highValue basis preferencesKnown }
      preferences { channel level indicators { indicator count level } }
      load { available status reason saturatedAt channels { channel utilisation saturated } }
      services {
        service label { zh en } rule channel channelLabel { zh en }
        reason { code zh en avoided } line { zh en }
        channels { channel level costCny utilisation saturated }
      }
    }
  }
}`;

let mocks: Mocks;
let channels: ChannelsMock;
let h: Harness;
const loadConfig = (url: string) => ({
  name: 'channelload',
  url,
  // No caching: each view reads the load the test just set.
  policy: { timeoutMs: 1000, cache: { ttlSeconds: 0, staleSeconds: 0 }, retry: { attempts: 0 } },
});

beforeAll(async () => {
  [mocks, channels] = await Promise.all([startMocks(), startChannelsMock()]);
  h = await startHarness(
    {
      steering: { load: loadConfig(channels.url) },
      security: { consumers: ['front-desk', 'call-center', 'self-service'].map(roleConsumer) },
    },
    { mocks },
  );
}, 60_000);
afterAll(async () => {
  await h?.close();
  await Promise.all([mocks?.close(), channels?.close()]);
});
beforeEach(() => {
  channels.resetLoad();
  channels.faults.reset();
});

// eslint-disable-next-line @typescript-eslint/no-explicit-any
async function steeringOf(id: string, service: string | null = 'ITEMISED_BILL', headers = AUTH): Promise<any> {
  const { status, body } = await h.gql(STEERING, { id, service }, headers);
  expect(status).toBe(200);
  expect(body.errors).toBeUndefined();
  return body.data.customer;
}

it('"itemised bill": a high-value customer goes by preference, an ordinary one with the same preferences by cost', async () => {
  const [gold, standard] = await Promise.all([steeringOf(GOLD_TERMINAL), steeringOf(STANDARD_TERMINAL)]);
  // The premise: the same levels, from the warehouse's counts, and the tiers the scoring system gives.
  expect(gold.insights.channelPreferences).toEqual(standard.insights.channelPreferences);
  expect(gold.steering.preferences.map((p: { level: string }) => p.level)).toEqual(
    standard.steering.preferences.map((p: { level: string }) => p.level),
  );
  expect(gold.steering.inputs).toMatchObject({ valueTier: 'GOLD', highValue: true, basis: 'PREFERENCE' });
  expect(standard.steering.inputs).toMatchObject({ valueTier: 'STANDARD', highValue: false, basis: 'COST' });

  const [goldLine] = gold.steering.services;
  const [standardLine] = standard.steering.services;
  expect(goldLine).toMatchObject({
    service: 'ITEMISED_BILL',
    label: { zh: '详单查询', en: 'itemised bill' },
    rule: 'LOW_RISK_LOW_TOUCH',
    channel: 'SELF_SERVICE_TERMINAL',
    channelLabel: { zh: '自助终端', en: 'self-service terminal' },
    reason: { code: 'STRONGEST_PREFERENCE', avoided: [] },
  });
  expect(goldLine.line.zh).toBe('详单查询：建议引导至自助终端（高价值客户，按渠道偏好优先，偏好最强）');
  expect(standardLine).toMatchObject({
    channel: 'SMS_HALL',
    channelLabel: { zh: '短信营业厅', en: 'SMS hall' },
    reason: { code: 'LOWEST_COST', avoided: [] },
  });
  expect(standardLine.line.en).toBe(
    'itemised bill: steer to the SMS hall (ordinary customer: cost first; 0.10 CNY a transaction)',
  );
  // Every eligible channel is listed, best first: cost order for the ordinary customer.
  expect(standardLine.channels.map((c: { costCny: number }) => c.costCny)).toEqual([0.1, 0.15, 0.2, 0.5, 2]);
});

it('moves away from a channel the channel systems report as saturated, and says which', async () => {
  channels.setLoad({ SMS_HALL: { value: 1950 } }); // of 2000 messages a second: 0.975
  const standard = await steeringOf(STANDARD_TERMINAL);
  const [line] = standard.steering.services;
  expect(line).toMatchObject({ channel: 'WAP_HALL', reason: { code: 'NEXT_NOT_SATURATED', avoided: ['SMS_HALL'] } });
  expect(line.line.zh).toContain('短信营业厅繁忙已避开');
  expect(line.channels.at(-1)).toMatchObject({ channel: 'SMS_HALL', saturated: true, utilisation: 0.975 });
  expect(standard.steering.load).toMatchObject({ available: true, status: 'LIVE', saturatedAt: 0.9 });

  // A high-value customer's strongest channel saturated: the next by preference.
  channels.setLoad({ WEB_HALL: { value: 19_000 } });
  const before = await steeringOf(PLATINUM_WEB);
  expect(before.steering.inputs.highValue).toBe(true);
  expect(before.steering.services[0]).toMatchObject({ channel: 'WAP_HALL', reason: { avoided: ['WEB_HALL'] } });
  channels.resetLoad();
  const after = await steeringOf(PLATINUM_WEB);
  expect(after.steering.services[0]).toMatchObject({ channel: 'WEB_HALL', reason: { code: 'STRONGEST_PREFERENCE' } });
});

it('answers without load, and says so, when the load source is down', async () => {
  channels.faults.set({ down: '503' });
  const standard = await steeringOf(STANDARD_TERMINAL);
  expect(standard.steering.load).toMatchObject({
    available: false,
    status: 'UNAVAILABLE',
    reason: 'error',
    channels: [],
  });
  const [line] = standard.steering.services;
  expect(line.channel).toBe('SMS_HALL');
  expect(line.line.zh).toContain('渠道负荷暂无法获取');
  expect(line.line.en).toContain('channel load not known');
});

it('without a load source: ranked without load, and a table change is in force at the next view (never a kept answer)', async () => {
  const plain = await startHarness({}, { mocks });
  try {
    const ask = async () =>
      (await plain.gql(STEERING, { id: STANDARD_TERMINAL, service: 'ITEMISED_BILL' })).body.data.customer.steering;
    const first = await ask();
    expect(first.load).toMatchObject({ available: false, status: 'NOT_CONFIGURED', reason: null });
    expect(first.services[0]).toMatchObject({ channel: 'SMS_HALL' });
    expect((await ask()).services[0].channel).toBe('SMS_HALL');
    const table = { ...structuredClone(DEFAULT_STEERING_TABLE), highValueTiers: ['STANDARD'] };
    const put = await fetch(`${plain.url}/admin/steerings/default`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...AUTH },
      body: JSON.stringify(table),
    });
    expect(put.status).toBe(200);
    expect((await ask()).services[0]).toMatchObject({
      channel: 'SELF_SERVICE_TERMINAL',
      reason: { code: 'STRONGEST_PREFERENCE' },
    });
  } finally {
    await plain.close();
  }
});

it('every service of the table when none is named; an unknown service is BAD_USER_INPUT', async () => {
  const all = await steeringOf(GOLD_TERMINAL, null);
  expect(all.steering.services.map((s: { service: string }) => s.service)).toEqual(
    Object.keys(DEFAULT_STEERING_TABLE.services as object),
  );
  const { body } = await h.gql(STEERING, { id: GOLD_TERMINAL, service: 'TELEPORT' });
  expect(body.errors[0]).toMatchObject({
    path: ['customer', 'steering'],
    extensions: { code: 'BAD_USER_INPUT', argument: 'service' },
  });
});

it('a customer not in the warehouse batch is still steered, by cost, without preferences', async () => {
  const { body } = await h.gql(STEERING, { id: 'C00000003', service: 'BALANCE_ENQUIRY' });
  const steering = body.data.customer.steering;
  expect(steering.inputs.preferencesKnown).toBe(false);
  expect(steering.services[0].channel).toBeDefined();
});

it('front desk and call centre read it; self-service may not', async () => {
  const desk = await steeringOf(GOLD_TERMINAL, 'ITEMISED_BILL', asRole('front-desk'));
  const call = await steeringOf(GOLD_TERMINAL, 'ITEMISED_BILL', asRole('call-center'));
  expect(call.steering).toEqual(desk.steering);
  const { body } = await h.gql(
    `{ customer(id: "${GOLD_TERMINAL}") { steering(service: "ITEMISED_BILL") { services { channel } } } }`,
    undefined,
    asRole('self-service'),
  );
  expect(body.data.customer.steering).toBeNull();
  expect(body.errors[0].extensions).toMatchObject({ code: 'FORBIDDEN', field: 'Customer.steering' });
});

it('the same lines over SOAP as over GraphQL', async () => {
  const client = await soap.createClientAsync(`${h.url}/soap/CustomerView?wsdl`);
  client.setSecurity(new soap.BasicAuthSecurity(TEST_SOAP_USER.username, TEST_SOAP_USER.password));
  let result;
  try {
    [result] = await client.GetCustomerViewAsync({ customerId: GOLD_TERMINAL, section: ['steering'] });
  } catch (err) {
    // node-soap's error holds the HTTP exchange (circular, which jest cannot report): the fault's body says why.
    throw new Error(String((err as { body?: string }).body ?? (err as Error).message));
  }
  const graphql = await steeringOf(GOLD_TERMINAL, null);
  const fromSoap = result.customer.steering;
  const lines = (list: Array<{ service: string; channel: string; reason: { code: string } }>) =>
    list.map((s) => `${s.service}→${s.channel}:${s.reason.code}`);
  expect(lines(fromSoap.services)).toEqual(lines(graphql.steering.services));
  expect(fromSoap.services[5].line).toEqual(graphql.steering.services[5].line);
  expect(fromSoap.inputs.basis).toBe('PREFERENCE');
  // A SOAP client that names no section gets the configured adapters' sections, as before.
  const [plain] = await client.GetCustomerViewAsync({ customerId: GOLD_TERMINAL });
  expect(plain.customer.steering).toBeUndefined();
});

describe('a bad table', () => {
  type Table = typeof DEFAULT_STEERING_TABLE;
  const withTable = (change: (t: Table) => void): Table => {
    const table = structuredClone(DEFAULT_STEERING_TABLE);
    change(table);
    return table;
  };
  const refusedAtStart = (table: Table): string => {
    try {
      createGateway(testConfig(mocks, { steering: { table } }));
    } catch (err) {
      return (err as Error).message;
    }
    throw new Error('the gateway started with a bad table');
  };

  const overlapping = withTable((t) => {
    t.preferences.PHONE_HALL!.billEnquiries![1] = { level: 'STRONG', from: 5, to: 9 };
  });
  const gap = withTable((t) => {
    t.preferences.SMS_HALL!.sms![2] = { level: 'MEDIUM', from: 60, to: 150 };
  });
  const unknownService = withTable((t) => {
    (t.services as Record<string, unknown>).TELEPORT = {
      label: { zh: '传送', en: 'teleport' },
      rule: 'NICHE_SERVICE',
      channels: ['SMS_HALL'],
    };
  });
  const unknownChannel = withTable((t) => {
    (t.services.ITEMISED_BILL!.channels as string[])[1] = 'CARRIER_PIGEON';
  });

  it('is refused at start, with the path', () => {
    expect(refusedAtStart(overlapping)).toContain(
      'steering.table.preferences.PHONE_HALL.billEnquiries.0.from: overlaps STRONG (5 to 8)',
    );
    expect(refusedAtStart(gap)).toContain(
      'steering.table.preferences.SMS_HALL.sms.2.from: counts 50 to 59 have no level',
    );
    expect(refusedAtStart(unknownService)).toContain('steering.table.services.TELEPORT: no service named "TELEPORT"');
    expect(refusedAtStart(unknownChannel)).toContain('steering.table.services.ITEMISED_BILL.channels.1');
  });

  it('is refused at change (kind steering), and a good change is in force at the next view', async () => {
    const put = (table: unknown) =>
      fetch(`${h.url}/admin/steerings/default`, {
        method: 'PUT',
        headers: { 'content-type': 'application/json', ...AUTH },
        body: JSON.stringify(table),
      }).then(async (res) => ({
        status: res.status,
        body: (await res.json()) as { errors: Array<{ extensions: { problems: Array<{ path: string }> } }> },
      }));
    for (const [table, path] of [
      [overlapping, 'preferences.PHONE_HALL.billEnquiries.0.from'],
      [gap, 'preferences.SMS_HALL.sms.2.from'],
      [unknownService, 'services.TELEPORT'],
      [unknownChannel, 'services.ITEMISED_BILL.channels.1'],
    ] as const) {
      const refused = await put(table);
      expect(refused.status).toBe(422);
      expect(refused.body.errors[0]?.extensions.problems.map((p: { path: string }) => p.path)).toContain(path);
    }
    // Every tier high value: the ordinary customer is now steered by preference too.
    const accepted = await put(withTable((t) => void (t.highValueTiers = ['GOLD', 'SILVER', 'STANDARD'])));
    expect(accepted.status).toBe(200);
    const standard = await steeringOf(STANDARD_TERMINAL);
    expect(standard.steering.services[0]).toMatchObject({ channel: 'SELF_SERVICE_TERMINAL' });
    const removed = await fetch(`${h.url}/admin/steerings/default`, { method: 'DELETE', headers: AUTH });
    expect(removed.status).toBe(200);
    expect((await steeringOf(STANDARD_TERMINAL)).steering.services[0].channel).toBe('SMS_HALL');
  });
});
