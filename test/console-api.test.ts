/**
 * The marketing console's API (`/marketing/console`): a marketing user drafts a rule, reads it back as a sentence
 * and dry-runs it; an approver who is not the author publishes it (four eyes), and only then does an event trigger
 * its offer; history holds both; switching it off stops it, and only an approver switches it on or rolls it back.
 * Real servers, PGlite.
 */
import type { Store } from '../gateway/store';
import { startMocks, type Mocks } from '../mocks';
import { startChannelsMock, type ChannelsMock } from '../mocks/channels';
import { AUTH, asRole, roleConsumer } from './support/harness';
import { startMarketing, type MarketingHarness } from './support/marketing';
import { testStores } from './support/store';
import { SETUP_TIMEOUT_MS } from './support/patient';

const stores = testStores();
let mocks: Mocks;
let channels: ChannelsMock;
let h: MarketingHarness;
const MARKETING = asRole('marketing');

beforeAll(async () => {
  [mocks, channels] = await Promise.all([startMocks(), startChannelsMock()]);
  const store: Store = await stores.open('pglite');
  h = await startMarketing(
    store,
    {
      marketing: { caps: { perCustomerPerDay: 100, perCustomerPerWeek: 100, perChannelPerDay: 100 } },
      security: { consumers: [roleConsumer('marketing'), roleConsumer('front-desk')] },
    },
    { mocks, channels },
  );
}, SETUP_TIMEOUT_MS);
afterAll(async () => {
  await h?.close();
  await Promise.all([mocks.close(), channels.close()]);
  await stores.cleanup();
});

const RULE = {
  id: 'console-114',
  on: 'DIRECTORY_ENQUIRY',
  when: {
    all: [
      { field: 'event.number', operator: 'equal', value: '114' },
      { field: 'customer.products.code', operator: 'doesNotContain', value: 'VAS-12580' },
    ],
  },
  then: { offerCode: 'VAS-12580', channel: 'SMS', message: '试试12580。' },
};
let n = 0;
const enquiry = (customerId: string) => ({
  version: 1,
  id: `evt-console-${process.pid}-${++n}`,
  type: 'DIRECTORY_ENQUIRY',
  customerId,
  at: '2026-12-07T02:00:00Z',
  data: { number: '114' },
});

it('offers the form its catalog: kinds, fields with Chinese labels and value names, operators by type', async () => {
  const res = await h.admin('GET', '/marketing/console/catalog?on=CELL_LOCATION', undefined, MARKETING);
  expect(res.status).toBe(200);
  expect(res.body.kinds).toEqual(
    expect.arrayContaining([
      expect.objectContaining({ type: 'CELL_LOCATION', label: { zh: '位置更新', en: 'cell location update' } }),
    ]),
  );
  expect(res.body.event['event.site']).toMatchObject({
    type: 'string',
    label: { zh: '场所类型', en: 'site' },
    valueLabels: expect.objectContaining({ SECURITIES_FIRM: { zh: '证券营业部', en: 'securities firm' } }),
  });
  expect(res.body.view['customer.insights.segment']).toMatchObject({
    type: 'string',
    label: { zh: '客户分群', en: 'segment' },
  });
  expect(Object.keys(res.body.view['customer.insights.segment'].valueLabels ?? {}).length).toBeGreaterThan(0);
  // The marketing role reads no contacts and no identity data: they are not offered.
  expect(
    Object.keys(res.body.view).some((f) => f.startsWith('customer.contacts') || f === 'customer.profile.idCardNumber'),
  ).toBe(false);
  expect(res.body.operators['string[]']).toEqual(['contains', 'doesNotContain']);
  expect(res.body.operatorLabels.doesNotContain).toEqual({ zh: '不包含', en: 'does not include' });
  expect((await h.admin('GET', '/marketing/console/catalog', undefined, asRole('front-desk'))).status).toBe(403);
  // What each may do here: the page offers an approver's actions to approvers only.
  expect((await h.admin('GET', '/marketing/console/me', undefined, MARKETING)).body).toMatchObject({
    role: 'marketing',
    may: { draft: true, publish: false, enable: false, rollback: false, disable: true },
  });
  expect((await h.admin('GET', '/marketing/console/me')).body.may).toMatchObject({ publish: true, rollback: true });
});

it('reads a rule back as a sentence, and says what is wrong with one that could never match', async () => {
  const ok = await h.admin('POST', '/marketing/console/sentence', { definition: RULE }, MARKETING);
  expect(ok.status).toBe(200);
  expect(ok.body.sentence.zh).toBe(
    '当客户发生「拨打查号台」，且所拨号码为"114"，且已订购产品不含"12580综合信息服务"时，经短信推荐「12580综合信息服务（VAS-12580）」：“试试12580。”',
  );
  expect(ok.body.sentence.en).toMatch(/^When the customer: called directory enquiries, and number called is "114"/);
  const history = await h.admin(
    'POST',
    '/marketing/console/sentence',
    {
      definition: {
        ...RULE,
        on: 'CALL_MADE',
        when: {
          all: [
            {
              history: {
                event: 'CALL_MADE',
                within: { calendar: 'year' },
                where: { field: 'event.callType', operator: 'equal', value: 'LONG_DISTANCE' },
              },
              operator: 'equal',
              value: 1,
            },
            { during: { dates: [{ from: '2027-01-22', to: '2027-03-02' }] } },
          ],
        },
      },
    },
    MARKETING,
  );
  expect(history.body.sentence.zh).toContain('今年内首次「发起通话」（通话类型为"长途"）');
  expect(history.body.sentence.zh).toContain('事件发生在 2027-01-22 至 2027-03-02 期间');
  const bad = await h.admin(
    'POST',
    '/marketing/console/sentence',
    { definition: { ...RULE, when: { all: [{ field: 'customer.insights.segmnt', operator: 'equal', value: 'X' }] } } },
    MARKETING,
  );
  expect(bad.body).toMatchObject({
    sentence: null,
    problems: [expect.objectContaining({ path: 'when.all.0.field', given: 'customer.insights.segmnt' })],
  });
});

it('four eyes: a marketing user drafts, an approver who is not the author publishes; then the event triggers the offer', async () => {
  const customer = 'C00000021';
  const draft = await h.admin('PUT', `/marketing/console/rules/${RULE.id}/draft`, { definition: RULE }, MARKETING);
  expect(draft.status).toBe(200);
  expect(draft.body.draft).toMatchObject({ by: 'marketing', sentence: { zh: expect.stringContaining('拨打查号台') } });
  // A draft runs nothing.
  expect((await h.send(enquiry(customer))).body.offer).toBeNull();
  const tried = await h.admin(
    'POST',
    `/marketing/console/rules/${RULE.id}/dry-run`,
    { input: { customerId: customer } },
    MARKETING,
  );
  expect(tried.body).toMatchObject({ valid: true, result: { customerId: customer } });
  expect(tried.body.result.results[0].conditions.length).toBeGreaterThan(0);
  // The author may not publish; nor may the marketing role at all.
  expect((await h.admin('POST', `/marketing/console/rules/${RULE.id}/publish`, undefined, MARKETING)).status).toBe(403);
  const own = await h.admin('PUT', `/marketing/console/rules/other-114/draft`, {
    definition: { ...RULE, id: 'other-114' },
  });
  expect(own.status).toBe(200);
  const mine = await h.admin('POST', '/marketing/console/rules/other-114/publish');
  expect(mine.status).toBe(409);
  expect(mine.body.errors[0].extensions.code).toBe('FOUR_EYES');
  expect((await h.admin('DELETE', '/marketing/console/rules/other-114/draft')).status).toBe(200);

  const published = await h.admin('POST', `/marketing/console/rules/${RULE.id}/publish`);
  expect(published.status).toBe(200);
  expect(published.body).toMatchObject({ rule: { kind: 'rule', name: RULE.id }, draft: { by: 'marketing' } });
  const sent = await h.send(enquiry(customer));
  expect(sent.body.offer).toMatchObject({ ruleId: RULE.id, offerCode: 'VAS-12580', status: 'SENT' });

  const listed = await h.admin('GET', '/marketing/console/rules', undefined, MARKETING);
  expect(listed.body.rules).toEqual(
    expect.arrayContaining([
      expect.objectContaining({
        id: RULE.id,
        origin: 'registered',
        enabled: true,
        draft: null,
        sentence: expect.any(Object),
      }),
    ]),
  );
  const history = await h.admin('GET', `/marketing/console/rules/${RULE.id}/history`, undefined, MARKETING);
  expect(history.body.items.map((i: { kind: string; by: string }) => [i.kind, i.by])).toEqual(
    expect.arrayContaining([
      ['rule', expect.not.stringMatching(/^marketing$/)],
      ['draft', 'marketing'],
    ]),
  );

  // Switching it off is safe: the author may. Switching it on is an approver's.
  expect((await h.admin('POST', `/marketing/console/rules/${RULE.id}/disable`, undefined, MARKETING)).status).toBe(200);
  expect((await h.send(enquiry(customer))).body.offer).toBeNull();
  expect((await h.admin('POST', `/marketing/console/rules/${RULE.id}/enable`, undefined, MARKETING)).status).toBe(403);
  const version = published.body.rule.version as number;
  expect((await h.admin('POST', `/marketing/console/rules/${RULE.id}/rollback`, { version }, MARKETING)).status).toBe(
    403,
  );
  expect((await h.admin('POST', `/marketing/console/rules/${RULE.id}/rollback`, { version })).status).toBe(200);
  expect((await h.send(enquiry(customer))).body.offer).toMatchObject({ ruleId: RULE.id, status: 'SENT' });
  expect((await h.admin('GET', '/marketing/console/rules', undefined, AUTH)).status).toBe(200);
});

it('refuses a draft that could never match, with the paths; a front-desk key may do nothing here', async () => {
  const bad = await h.admin(
    'PUT',
    '/marketing/console/rules/bad/draft',
    { definition: { ...RULE, id: 'bad', on: 'CELL_DWELL' } },
    MARKETING,
  );
  expect(bad.status).toBe(422);
  expect(bad.body.errors[0].extensions.problems).toEqual(
    expect.arrayContaining([expect.objectContaining({ path: 'on', given: 'CELL_DWELL' })]),
  );
  const desk = await h.admin('PUT', '/marketing/console/rules/bad/draft', { definition: RULE }, asRole('front-desk'));
  expect(desk.status).toBe(403);
  expect((await h.admin('GET', '/marketing/console/campaigns', undefined, MARKETING)).body).toEqual({ campaigns: [] });
});
