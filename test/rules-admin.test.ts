/**
 * Rules are data, managed through /admin/rules, the definitions store's kind `rule` (gateway/definitions/): an invalid
 * rule is refused with every problem at its path (and the rules in force are unchanged); a dry run tells what a rule
 * would do for a sample customer, against the real view, sending nothing; only an admin may touch rules; every change
 * is a version with who and when, and a rollback restores an earlier rule's behaviour; a rule put through one instance
 * applies on another sharing Redis; a restarted gateway keeps its registered rules. A bad rule in the configuration
 * stops the gateway at start.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { compile, render, validate } from '../gateway/marketing/rules/definition';
import { ConfigError, parseConfig } from '../gateway/config';
import { DefinitionRefused } from '../gateway/definitions';
import { configuredRules, ruleKind } from '../gateway/marketing';
import type { CustomerEvent } from '../gateway/marketing/events/customer-event';
import type { Store } from '../gateway/store';
import { startMocks, type Mocks } from '../mocks';
import { startChannelsMock, type ChannelsMock } from '../mocks/channels';
import { sha256 } from './support/harness';
import { HK_RULE, roamingEvent, startMarketing, type MarketingHarness } from './support/marketing';
import { testStores } from './support/store';

const REDIS_URL = process.env.REDIS_URL ?? 'redis://127.0.0.1:6379';
/** High caps: these tests send several offers to one customer and are about rules, not caps. */
const NO_CAPS = { caps: { perCustomerPerDay: 1000, perCustomerPerWeek: 1000, perChannelPerDay: 1000 } };

let counter = 0;
/** A 114 directory enquiry with a fresh id: the event the rules of these tests match on its type alone. */
const enquiry = (customerId = 'C00000006'): CustomerEvent => ({
  version: 1,
  id: `evt-114-${process.pid}-${Date.now()}-${++counter}`,
  type: 'DIRECTORY_ENQUIRY',
  customerId,
  at: new Date().toISOString(),
  data: { number: '114' },
});
/** A rule offering `offerCode` by SMS on every 114 enquiry (no view condition). */
const enquiryRule = (id: string, offerCode: string) => ({
  id,
  priority: 20,
  when: { all: [{ fact: 'event', path: '$.type', operator: 'equal', value: 'DIRECTORY_ENQUIRY' }] },
  then: { offerCode, channel: 'SMS', message: `Offer ${offerCode}` },
});

describe('a rule definition', () => {
  it('is refused with each problem at its path', () => {
    const checked = validate({
      id: 'bad id!',
      when: {
        all: [
          { fact: 'weather', operator: 'equal', value: 1 },
          { fact: 'event', path: '$..type', operator: 'matches', value: 'x' },
        ],
      },
      then: { offerCode: 'X', channel: 'FAX', message: '' },
    });
    expect(checked.ok).toBe(false);
    const paths = checked.ok ? [] : checked.problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['id', 'then.channel', 'then.message']));
    expect(paths.some((p) => p.startsWith('when'))).toBe(true);
  });

  it('refuses a template placeholder that is not event.…, view.… or offerCode', () => {
    const checked = validate({ ...HK_RULE, then: { ...HK_RULE.then, message: 'Hi {{process.env.SECRET}}' } });
    expect(checked).toEqual({
      ok: false,
      problems: [{ path: 'then.message', message: '{{process.env.SECRET}} is not event.…, view.… or offerCode' }],
    });
  });

  it('renders its message from the event and the view; a missing value is empty', () => {
    expect(
      render('{{event.data.region}} / {{view.insights.tags[0]}} / {{view.nothing.here}} / {{offerCode}}', {
        event: { data: { region: 'Macau' } },
        view: { insights: { tags: ['a'] } },
        offerCode: 'X',
      }),
    ).toBe('Macau / a /  / X');
  });

  it('sends only the highest-priority match of an event, and never loads the view when the event conditions fail', async () => {
    const low = validate({
      ...HK_RULE,
      id: 'low',
      priority: 1,
      when: { all: [{ fact: 'event', path: '$.type', operator: 'equal', value: 'HANDSET_ON' }] },
    });
    const high = validate({
      ...HK_RULE,
      id: 'high',
      priority: 9,
      when: { all: [{ fact: 'event', path: '$.data.missedCalls', operator: 'greaterThanInclusive', value: 3 }] },
    });
    if (!low.ok || !high.ok) throw new Error('valid rules refused');
    const set = compile([low.rule, high.rule]);
    let loads = 0;
    const load = async () => {
      loads++;
      return null;
    };
    const at = new Date().toISOString();
    const three = await set.evaluate(
      { version: 1, id: 'e1', type: 'HANDSET_ON', customerId: 'C1', at, data: { missedCalls: 3 } },
      load,
    );
    const one = await set.evaluate(
      { version: 1, id: 'e2', type: 'HANDSET_ON', customerId: 'C1', at, data: { missedCalls: 1 } },
      load,
    );
    expect([three.match?.rule.id, one.match?.rule.id]).toEqual(['high', 'low']);
    expect(loads).toBe(0);
  });

  it('in the configuration, a bad one is a configuration error naming it', () => {
    const config = parseConfig(
      {
        adapters: [{ name: 'crm', url: 'http://127.0.0.1:9' }],
        logLevel: 'silent',
        marketing: { rules: [{ ...HK_RULE, then: { offerCode: 'X' } }] },
      },
      {},
    );
    expect(() => configuredRules(config)).toThrow(ConfigError);
    expect(() => configuredRules(config)).toThrow(/marketing\.rules\[0\]: then\.message: Required/);
  });
});

describe('/admin/rules', () => {
  const stores = testStores();
  let store: Store;
  let h: MarketingHarness;
  beforeAll(async () => {
    store = await stores.open('pglite');
    h = await startMarketing(store, {
      security: { consumers: [{ id: 'mk-1', role: 'marketing', apiKeySha256: sha256('marketing-key') }] },
      marketing: NO_CAPS,
    });
  }, 60_000);
  afterAll(async () => {
    await h.close();
    await stores.cleanup();
  });

  it('refuses a caller without credentials (401) or without the admin role (403)', async () => {
    const anonymous = await fetch(`${h.url}/admin/rules`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBeTruthy();
    const marketing = await h.admin('PUT', '/admin/rules/x', enquiryRule('x', 'X'), { 'x-api-key': 'marketing-key' });
    expect(marketing.status).toBe(403);
    expect(marketing.body.errors[0].extensions.code).toBe('FORBIDDEN');
    expect((await h.send(enquiry())).body.offer).toBeNull();
  });

  it('refuses an invalid rule with its problems and keeps the rules in force', async () => {
    const res = await h.putRule({ id: 'broken', when: { all: [] }, then: { offerCode: 'X', message: 'x' } });
    expect(res.status).toBe(422);
    expect(res.body.errors[0].extensions).toMatchObject({
      code: 'DEFINITION_REFUSED',
      problems: [{ path: 'when.all', message: expect.any(String) }],
    });
    const many = await h.putRule({
      id: 'bad id!',
      when: { all: [{ fact: 'weather', operator: 'equal', value: 1 }] },
      then: { offerCode: 'X', channel: 'FAX', message: '' },
    });
    expect(many.status).toBe(422);
    expect(many.body.errors[0].extensions.problems.map((p: { path: string }) => p.path)).toEqual(
      expect.arrayContaining(['id', 'then.channel', 'then.message']),
    );
    const listed = await h.admin('GET', '/admin/rules');
    expect(listed.body.items).toEqual([]);
    expect(listed.body.inForce).toEqual([
      {
        id: 'hk-roaming-data',
        enabled: true,
        priority: 10,
        origin: 'config',
        definition: expect.objectContaining({ id: 'hk-roaming-data', when: HK_RULE.when }),
      },
    ]);
    const mismatch = await h.admin('PUT', '/admin/rules/another-id', HK_RULE);
    expect(mismatch.status).toBe(422);
    expect(mismatch.body.errors[0].extensions.problems).toEqual([
      { path: 'id', message: 'must be "another-id", the name in the path' },
    ]);
    // What runs is what ran: the configured rule still answers its event.
    expect((await h.send(roamingEvent('C00000027'))).body.offer).toMatchObject({
      ruleId: 'hk-roaming-data',
      offerCode: 'DATA-HKMO',
    });
  });

  it('dry-runs a rule for a sample customer against the real view, sending nothing', async () => {
    h.channels.clear();
    const sent = h.channels.faults.requests().total;
    const res = await h.admin('POST', '/admin/rules/hk-roaming-data/validate', {
      definition: HK_RULE,
      input: { customerId: 'C00000027' },
    });
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ valid: true, problems: [] });
    expect(res.body.result.viewLoaded).toBe(true);
    const roaming = res.body.result.results.find(
      (r: { event: { type: string } }) => r.event.type === 'ROAMING_ENTERED',
    );
    expect(roaming).toMatchObject({
      matched: true,
      offer: {
        offerCode: 'DATA-HKMO',
        channel: 'EMAIL',
        message: 'Welcome to Hong Kong: 1 GB for 30 CNY (DATA-HKMO).',
      },
    });
    expect(res.body.result.results.filter((r: { matched: boolean }) => r.matched)).toHaveLength(1);
    // A customer without the tag: the same rule matches nothing.
    const other = await h.admin('POST', '/admin/rules/hk-roaming-data/validate', {
      definition: HK_RULE,
      input: { customerId: 'C00000002' },
    });
    expect(other.body.result.results.filter((r: { matched: boolean }) => r.matched)).toHaveLength(0);
    expect(h.channels.messages()).toHaveLength(0);
    expect(h.channels.faults.requests().total).toBe(sent);
    expect(h.touchpoints.recorded.filter((t) => t.key.includes('dry-run'))).toHaveLength(0);
  });

  it('refuses a dry run without a sample customer, or with a malformed one, naming input.customerId', async () => {
    const missing = await h.admin('POST', '/admin/rules/hk-roaming-data/validate', { definition: HK_RULE });
    expect(missing.status).toBe(200);
    expect(missing.body).toEqual({
      valid: false,
      problems: [{ path: 'input.customerId', message: expect.stringContaining('required') }],
    });
    const malformed = await h.admin('POST', '/admin/rules/hk-roaming-data/validate', {
      definition: HK_RULE,
      input: { customerId: '../../etc' },
    });
    expect(malformed.body).toEqual({
      valid: false,
      problems: [{ path: 'input.customerId', message: expect.stringContaining('letters, digits'), given: '../../etc' }],
    });
    const both = await h.admin('POST', '/admin/rules/other/validate', { definition: HK_RULE, input: 7 });
    expect(both.body.problems.map((p: { path: string }) => p.path)).toEqual(['id']);
  });

  it('versions every change with who and when; a rollback restores the earlier rule; a delete brings the configured rule back', async () => {
    const v1 = await h.putRule(enquiryRule('app-114', 'APP-V1'));
    expect(v1.status).toBe(200);
    expect((await h.send(enquiry())).body.offer).toMatchObject({
      ruleId: 'app-114',
      offerCode: 'APP-V1',
      status: 'SENT',
    });
    const v2 = await h.putRule(enquiryRule('app-114', 'APP-V2'));
    expect((await h.send(enquiry())).body.offer).toMatchObject({ ruleId: 'app-114', offerCode: 'APP-V2' });

    const history = await h.admin('GET', '/admin/rules/app-114/history');
    expect(history.status).toBe(200);
    expect(history.body.items).toEqual([
      {
        kind: 'rule',
        name: 'app-114',
        version: v1.body.version,
        definition: enquiryRule('app-114', 'APP-V1'),
        by: 'test',
        at: expect.any(String),
      },
      {
        kind: 'rule',
        name: 'app-114',
        version: v2.body.version,
        definition: enquiryRule('app-114', 'APP-V2'),
        by: 'test',
        at: expect.any(String),
      },
    ]);
    for (const item of history.body.items) expect(Math.abs(Date.parse(item.at) - Date.now())).toBeLessThan(60_000);

    const rolled = await h.admin('POST', '/admin/rules/app-114/rollback', { version: v1.body.version });
    expect(rolled.status).toBe(200);
    expect(rolled.body).toMatchObject({
      version: v2.body.version + 1,
      definition: enquiryRule('app-114', 'APP-V1'),
      by: 'test',
    });
    expect((await h.send(enquiry())).body.offer).toMatchObject({ ruleId: 'app-114', offerCode: 'APP-V1' });
    const noSuch = await h.admin('POST', '/admin/rules/app-114/rollback', { version: 999_999 });
    expect([noSuch.status, noSuch.body.errors[0].extensions.code]).toEqual([404, 'DEFINITION_NOT_FOUND']);

    const removed = await h.admin('DELETE', '/admin/rules/app-114');
    expect(removed.status).toBe(200);
    expect((await h.send(enquiry())).body.offer).toBeNull();

    // A registered rule of a configured rule's id overrides it; deleting it brings the configured one back.
    const off = await h.putRule({ ...HK_RULE, enabled: false });
    expect(off.status).toBe(200);
    expect((await h.send(roamingEvent('C00000027'))).body.offer).toBeNull();
    expect((await h.admin('DELETE', '/admin/rules/hk-roaming-data')).status).toBe(200);
    expect((await h.send(roamingEvent('C00000027'))).body.offer).toMatchObject({
      ruleId: 'hk-roaming-data',
      offerCode: 'DATA-HKMO',
    });
    // The configured rule itself is not a registered definition: it cannot be deleted, and the 404 says why.
    const configured = await h.admin('DELETE', '/admin/rules/hk-roaming-data');
    expect(configured.status).toBe(404);
    expect(configured.body.errors[0]).toMatchObject({
      extensions: { code: 'DEFINITION_NOT_FOUND' },
      message: expect.stringContaining('configured (marketing.rules)'),
    });
    expect((await h.send(roamingEvent('C00000027'))).body.offer).toMatchObject({ ruleId: 'hk-roaming-data' });
  });

  it('is the definitions store\'s kind "rule": validate, dry run, and apply swapping configured + registered rules', async () => {
    const marketing = h.gateway.marketing;
    if (!marketing) throw new Error('marketing is off');
    const kind = ruleKind(
      marketing,
      configuredRules(
        parseConfig({ adapters: [{ name: 'crm', url: 'http://127.0.0.1:9' }], marketing: { rules: [HK_RULE] } }, {}),
      ),
    );
    expect(kind.kind).toBe('rule');
    expect(await kind.validate(HK_RULE, 'hk-roaming-data')).toEqual([]);
    expect(await kind.validate({ id: 'x' }, 'x')).toEqual(
      expect.arrayContaining([{ path: 'when', message: 'Required' }]),
    );
    const result = (await kind.dryRun?.(HK_RULE, { customerId: 'C00000027' }, 'hk-roaming-data')) as {
      results: Array<{ matched: boolean }>;
    };
    expect(result.results.filter((r) => r.matched)).toHaveLength(1);
    try {
      await kind.apply(new Map([['hk-roaming-data', { ...HK_RULE, enabled: false }]]), 1);
      expect((await h.send(roamingEvent('C00000027'))).body.offer).toBeNull();
      await kind.apply(new Map(), 2);
      expect((await h.send(roamingEvent('C00000027'))).body.offer).toMatchObject({
        ruleId: 'hk-roaming-data',
        status: 'SENT',
      });
      await expect(kind.apply(new Map([['broken', { id: 'broken' }]]), 3)).rejects.toBeInstanceOf(DefinitionRefused);
      await expect(kind.apply(new Map([['other', HK_RULE]]), 3)).rejects.toThrow(/other\.id: must be "other"/);
      expect((await h.send(roamingEvent('C00000027'))).body.offer).toMatchObject({ ruleId: 'hk-roaming-data' });
    } finally {
      await kind.apply(new Map(), 4);
    }
  });
});

describe('two instances sharing Redis', () => {
  const stores = testStores();
  const keyPrefix = `test-rules-${randomUUID()}:`;
  let mocks: Mocks;
  let channels: ChannelsMock;
  let a: MarketingHarness;
  let b: MarketingHarness;
  beforeAll(async () => {
    // One PostgreSQL store shared by both, as instances of one deployment share theirs.
    const store = await stores.open('postgres');
    mocks = await startMocks();
    channels = await startChannelsMock();
    const shared = { cache: { redisUrl: REDIS_URL, keyPrefix }, marketing: NO_CAPS };
    a = await startMarketing(store, shared, { mocks, channels });
    b = await startMarketing(store, shared, { mocks, channels });
  }, 60_000);
  afterAll(async () => {
    await a?.close();
    await b?.close();
    await channels?.close();
    await mocks?.close();
    await stores.cleanup();
  });

  it('a rule put through one applies on the other within a second: an event sent to the other triggers the new offer', async () => {
    expect((await b.send(enquiry())).body.offer).toBeNull();
    const put = await a.putRule(enquiryRule('shared-114', 'SHARED-114'));
    expect(put.status).toBe(200);
    // From the put's answer to the start of the event that found the rule on the other instance: the convergence,
    // not the time a loaded machine takes to answer the put or to handle the event.
    const stored = Date.now();
    let offer: { ruleId?: string; status?: string } | null = null;
    let took = 0;
    while (!offer && Date.now() - stored < 5000) {
      const sentAt = Date.now();
      offer = (await b.send(enquiry())).body.offer;
      took = sentAt - stored;
    }
    expect(offer).toMatchObject({ ruleId: 'shared-114', status: 'SENT' });
    expect(channels.messages().at(-1)).toMatchObject({ channel: 'SMS', message: 'Offer SHARED-114' });
    // One second is the target; the busy test machine gets some room (as test/runtime-adapters.test.ts).
    expect(took).toBeLessThan(2500);
    const ready = (await (await fetch(`${b.url}/readyz`)).json()) as { definitions: { version: number } };
    expect(ready.definitions.version).toBe(put.body.version);
    // Its history is the same, read through either.
    expect((await b.admin('GET', '/admin/rules/shared-114/history')).body).toEqual(
      (await a.admin('GET', '/admin/rules/shared-114/history')).body,
    );
  });
});

describe('a restarted gateway', () => {
  const stores = testStores();
  const file = path.join(os.tmpdir(), `ucv-rules-${randomUUID()}.json`);
  afterAll(async () => {
    fs.rmSync(file, { force: true });
    await stores.cleanup();
  });

  it('keeps the registered rule (file backend)', async () => {
    const store = await stores.open('pglite');
    const overrides = { admin: { definitionsFile: file }, marketing: NO_CAPS };
    const first = await startMarketing(store, overrides);
    try {
      expect((await first.putRule(enquiryRule('kept-114', 'KEPT'))).status).toBe(200);
    } finally {
      await first.close();
    }
    const second = await startMarketing(store, overrides);
    try {
      expect((await second.send(enquiry())).body.offer).toMatchObject({
        ruleId: 'kept-114',
        offerCode: 'KEPT',
        status: 'SENT',
      });
      expect((await second.admin('GET', '/admin/rules/kept-114')).body).toMatchObject({ name: 'kept-114', by: 'test' });
    } finally {
      await second.close();
    }
  }, 60_000);
});
