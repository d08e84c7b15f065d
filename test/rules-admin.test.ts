/**
 * Rules are data, managed through /admin/rules: an invalid rule is refused with every problem at its path (and the
 * rules in force are unchanged); a dry run tells what a rule would do for a sample customer, against the real view,
 * sending nothing; only an admin may touch rules. A bad rule in the configuration stops the gateway at start.
 */
import { compile, render, validate } from '../gateway/rules/definition';
import { ConfigError, parseConfig } from '../gateway/config';
import { configuredRules, ruleKind } from '../gateway/marketing';
import { roamingEvent } from './support/marketing';
import type { Store } from '../gateway/store';
import { AUTH, json, sha256 } from './support/harness';
import { HK_RULE, startMarketing, type MarketingHarness } from './support/marketing';
import { testStores } from './support/store';

describe('a rule definition', () => {
  it('is refused with each problem at its path', () => {
    const checked = validate({
      id: 'bad id!',
      when: { all: [{ fact: 'weather', operator: 'equal', value: 1 }, { fact: 'event', path: '$..type', operator: 'matches', value: 'x' }] },
      then: { offerCode: 'X', channel: 'FAX', message: '' },
    });
    expect(checked.ok).toBe(false);
    const paths = checked.ok ? [] : checked.problems.map((p) => p.path);
    expect(paths).toEqual(expect.arrayContaining(['id', 'then.channel', 'then.message']));
    expect(paths.some((p) => p.startsWith('when'))).toBe(true);
  });

  it('refuses a template placeholder that is not event.…, view.… or offerCode', () => {
    const checked = validate({ ...HK_RULE, then: { ...HK_RULE.then, message: 'Hi {{process.env.SECRET}}' } });
    expect(checked).toEqual({ ok: false, problems: [{ path: 'then.message', message: '{{process.env.SECRET}} is not event.…, view.… or offerCode' }] });
  });

  it('renders its message from the event and the view; a missing value is empty', () => {
    expect(render('{{event.data.region}} / {{view.insights.tags[0]}} / {{view.nothing.here}} / {{offerCode}}', { event: { data: { region: 'Macau' } }, view: { insights: { tags: ['a'] } }, offerCode: 'X' })).toBe('Macau / a /  / X');
  });

  it('sends only the highest-priority match of an event, and never loads the view when the event conditions fail', async () => {
    const low = validate({ ...HK_RULE, id: 'low', priority: 1, when: { all: [{ fact: 'event', path: '$.type', operator: 'equal', value: 'HANDSET_ON' }] } });
    const high = validate({ ...HK_RULE, id: 'high', priority: 9, when: { all: [{ fact: 'event', path: '$.data.missedCalls', operator: 'greaterThanInclusive', value: 3 }] } });
    if (!low.ok || !high.ok) throw new Error('valid rules refused');
    const set = compile([low.rule, high.rule]);
    let loads = 0;
    const load = async () => {
      loads++;
      return null;
    };
    const at = new Date().toISOString();
    const three = await set.evaluate({ version: 1, id: 'e1', type: 'HANDSET_ON', customerId: 'C1', at, data: { missedCalls: 3 } }, load);
    const one = await set.evaluate({ version: 1, id: 'e2', type: 'HANDSET_ON', customerId: 'C1', at, data: { missedCalls: 1 } }, load);
    expect([three.match?.rule.id, one.match?.rule.id]).toEqual(['high', 'low']);
    expect(loads).toBe(0);
  });

  it('in the configuration, a bad one is a configuration error naming it', () => {
    const config = parseConfig({ adapters: [{ name: 'crm', url: 'http://127.0.0.1:9' }], logLevel: 'silent', marketing: { rules: [{ ...HK_RULE, then: { offerCode: 'X' } }] } }, {});
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
    h = await startMarketing(store, { security: { consumers: [{ id: 'mk-1', role: 'marketing', apiKeySha256: sha256('marketing-key') }] } });
  }, 60_000);
  afterAll(async () => {
    await h.close();
    await stores.cleanup();
  });

  it('refuses a caller without credentials (401) or without the admin role (403)', async () => {
    const anonymous = await fetch(`${h.url}/admin/rules`);
    expect(anonymous.status).toBe(401);
    expect(anonymous.headers.get('www-authenticate')).toBeTruthy();
    const marketing = await fetch(`${h.url}/admin/rules`, { headers: { 'x-api-key': 'marketing-key' } });
    expect(marketing.status).toBe(403);
    expect((await json(marketing)).errors[0].extensions.code).toBe('FORBIDDEN');
  });

  it('refuses an invalid rule with its problems and keeps the rules in force', async () => {
    const res = await h.putRule({ id: 'broken', when: { all: [] }, then: { offerCode: 'X', message: 'x' } });
    expect(res.status).toBe(400);
    expect(res.body.errors[0].extensions).toMatchObject({ code: 'BAD_REQUEST', problems: [{ path: 'when.all', message: expect.any(String) }] });
    const listed = await json(await fetch(`${h.url}/admin/rules`, { headers: AUTH }));
    expect(listed.rules.map((e: { rule: { id: string } }) => e.rule.id)).toEqual(['hk-roaming-data']);
    const mismatch = await fetch(`${h.url}/admin/rules/another-id`, { method: 'PUT', headers: { 'content-type': 'application/json', ...AUTH }, body: JSON.stringify(HK_RULE) });
    expect(mismatch.status).toBe(400);
    expect((await json(mismatch)).errors[0].extensions.problems).toEqual([{ path: 'id', message: 'must be "another-id", the id in the path' }]);
  });

  it('dry-runs a rule for a sample customer against the real view, sending nothing', async () => {
    h.channels.clear();
    const res = await fetch(`${h.url}/admin/rules/dry-run?customerId=C00000027`, { method: 'POST', headers: { 'content-type': 'application/json', ...AUTH }, body: JSON.stringify(HK_RULE) });
    expect(res.status).toBe(200);
    const body = await json(res);
    expect(body.viewLoaded).toBe(true);
    const roaming = body.results.find((r: { event: { type: string } }) => r.event.type === 'ROAMING_ENTERED');
    expect(roaming).toMatchObject({ matched: true, offer: { offerCode: 'DATA-HKMO', channel: 'EMAIL', message: 'Welcome to Hong Kong: 1 GB for 30 CNY (DATA-HKMO).' } });
    expect(body.results.filter((r: { matched: boolean }) => r.matched)).toHaveLength(1);
    expect(h.channels.messages()).toHaveLength(0);
  });

  it('is the definitions store\'s kind "rule": validate, dry run, and apply swapping the rules in force', async () => {
    const marketing = h.gateway.marketing;
    if (!marketing) throw new Error('marketing is off');
    const kind = ruleKind(marketing);
    expect(kind.kind).toBe('rule');
    expect(kind.validate(HK_RULE)).toEqual([]);
    expect(kind.validate({ id: 'x' })).toEqual(expect.arrayContaining([{ path: 'when', message: 'Required' }]));
    expect((await kind.dryRun(HK_RULE, 'C00000027')).results.filter((r) => r.matched)).toHaveLength(1);
    kind.apply([]);
    expect((await h.send(roamingEvent('C00000027'))).body.offer).toBeNull();
    kind.apply([HK_RULE]);
    expect((await h.send(roamingEvent('C00000027'))).body.offer).toMatchObject({ ruleId: 'hk-roaming-data', status: 'SENT' });
    expect(() => kind.apply([{ id: 'broken' }])).toThrow(/invalid rule/);
  });
});
