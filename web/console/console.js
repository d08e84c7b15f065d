// @ts-check
/**
 * The marketing console: the rules and campaigns in force, the rule builder, the exception queue and the closed-loop
 * reports, for the marketing role and its approvers. It calls only the gateway's marketing API with the person's
 * credential; what the role may not do the API refuses, and the page says so in plain words. No framework and no
 * build: browser modules, a strict CSP, no network access outside the gateway. Charts (Apache ECharts, served by the
 * gateway from its package) are loaded when the reports are first opened.
 */
import {
  kindLabel,
  api,
  button,
  codeOf,
  credential,
  errorText,
  h,
  label,
  notify,
  onUnauthenticated,
  say,
  select,
  t,
  ui,
  when,
} from './common.js';
import { builderHooks, openBuilder, renderBuilder } from './builder.js';
import { historyHooks, openHistory } from './history.js';
import { drawReports } from './reports.js';

performance.mark('console:script');

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
const TABS = ['rules', 'builder', 'exceptions', 'reports'];

// ---- labels and catalog ------------------------------------------------------------------------------------
/** The gateway's label catalog: fetched once (the browser revalidates it by its ETag). */
const labelsLoaded = fetch('/labels', { headers: { accept: 'application/json' } })
  .then((res) => (res.ok ? res.json() : null))
  .then((catalog) => {
    if (catalog?.domains) ui.domains = catalog.domains;
  })
  .catch(() => undefined);

/** The marketing catalog: event kinds with their fields, the view's fields, operators by type. */
async function loadCatalog() {
  const [answer, me] = await Promise.all([
    api('GET', '/marketing/console/catalog'),
    api('GET', '/marketing/console/me'),
  ]);
  if (answer.status === 200) ui.catalog = answer.body;
  if (me.status === 200) ui.may = me.body.may;
  return answer;
}

// ---- sign-in -----------------------------------------------------------------------------------------------
function signOut(/** @type {string} */ message = '') {
  sessionStorage.removeItem('console.credential');
  show();
  $('signin-error').textContent = message;
}
onUnauthenticated.handler = () => signOut(t('badCredential'));

function show() {
  const signedIn = credential() !== '';
  $('signin').hidden = signedIn;
  $('console').hidden = !signedIn;
  $('tabs').hidden = !signedIn;
  $('signout').hidden = !signedIn;
  $('who').textContent = signedIn ? (sessionStorage.getItem('console.who') ?? '') : '';
  if (!signedIn) $('credential').focus();
}

/** In development the gateway lists its demo consumers (the desk's list); elsewhere the picker stays hidden. */
async function loadDemoConsumers() {
  const res = await fetch('/desk/demo-consumers', { headers: { accept: 'application/json' } }).catch(() => null);
  if (!res?.ok) return;
  const consumers = /** @type {Array<{ name: string, role: string, key: string }>} */ (await res.json());
  const picker = /** @type {HTMLSelectElement} */ ($('demo-select'));
  picker.replaceChildren(
    h('option', { value: '' }, '—'),
    ...consumers.map((c) => h('option', { value: c.key, 'data-role': c.role }, c.name)),
  );
  picker.addEventListener('change', () => {
    /** @type {HTMLInputElement} */ ($('credential')).value = picker.value;
  });
  $('demo').hidden = false;
}

/** Signed in: the catalog and the lists. A role the marketing API refuses gets one clear sentence, nothing else. */
async function start() {
  show();
  $('no-access').hidden = true;
  notify('');
  const [catalog] = await Promise.all([loadCatalog(), labelsLoaded]);
  if (catalog.status === 401) return;
  if (catalog.status === 403) {
    $('no-access').hidden = false;
    $('no-access').textContent = t('noAccess');
    $('tabs').hidden = true;
    for (const tab of TABS) $(`tab-${tab}`).hidden = true;
    document.body.dataset.ready = 'no-access';
    return;
  }
  if (catalog.status !== 200) notify(errorText(catalog), 'error');
  openBuilder(null);
  showTab('rules');
  await loadRules();
  performance.mark('console:interactive');
  document.body.dataset.ready = 'rules';
  void loadCampaigns();
}

// ---- tabs --------------------------------------------------------------------------------------------------
let current = 'rules';
/** @param {string} tab */
function showTab(tab) {
  current = tab;
  for (const name of TABS) {
    $(`tab-${name}`).hidden = name !== tab;
    $('tabs')
      .querySelector(`[data-tab="${name}"]`)
      ?.setAttribute('aria-current', String(name === tab));
  }
  if (tab === 'exceptions') void loadExceptions();
  if (tab === 'reports') void drawReports(campaigns);
}

// ---- rules -------------------------------------------------------------------------------------------------
/** @type {any[]} */
let rules = [];

async function loadRules() {
  const answer = await api('GET', '/marketing/console/rules');
  const table = $('rules-list');
  if (answer.status !== 200) {
    if (answer.status === 403) {
      $('no-access').hidden = false;
      $('no-access').textContent = t('noAccess');
    }
    table.replaceChildren(h('tr', {}, h('td', { class: 'error' }, errorText(answer))));
    return;
  }
  rules = answer.body.rules ?? [];
  table.replaceChildren(
    h(
      'tr',
      {},
      ...['rule', 'state', 'origin', 'priority', 'lastChange', 'content', 'actions'].map((k) => h('th', {}, t(k))),
    ),
    ...(rules.length ? rules.map(ruleRow) : [h('tr', {}, h('td', { colspan: '7', class: 'note' }, t('noRules')))]),
  );
}

/** One rule: what it is, its state, where it comes from, who changed it last and when, what it does. @param {any} r */
function ruleRow(r) {
  const d = r.draft?.definition ?? r.definition ?? {};
  const by = r.draft?.by ?? r.by;
  const at = r.draft?.at ?? r.at;
  const act = (/** @type {string} */ text, /** @type {string} */ action, /** @type {() => unknown} */ run) =>
    button(text, run, { class: 'ghost small', 'data-action': action });
  return h(
    'tr',
    { 'data-rule': r.id, 'data-enabled': String(r.enabled), 'data-draft': String(Boolean(r.draft)) },
    h('td', {}, h('div', {}, d.description ?? r.description ?? ''), h('div', { class: 'note' }, r.id)),
    h(
      'td',
      {},
      h('span', { class: `state ${r.enabled ? 'on' : 'off'}` }, r.enabled ? t('enabled') : t('disabled')),
      r.draft ? h('div', { class: 'state pending' }, t('pending')) : null,
    ),
    h('td', {}, label('ruleOrigin', r.origin)),
    h('td', {}, String(r.priority ?? d.priority ?? '')),
    h('td', {}, h('div', {}, by ?? ''), h('div', { class: 'note' }, when(at))),
    h(
      'td',
      { class: 'sentence-cell' },
      r.sentence ? h('div', { 'data-sentence': 'rule' }, say(r.sentence)) : null,
      r.draft?.sentence
        ? h('div', { class: 'draft-sentence', 'data-sentence': 'draft' }, `${t('draftSays')}：${say(r.draft.sentence)}`)
        : null,
    ),
    h(
      'td',
      { class: 'row-actions' },
      act(t('edit'), 'edit', () => {
        openBuilder(r.draft?.definition ?? r.definition);
        showTab('builder');
      }),
      act(t('history'), 'history', () => openHistory(r.id)),
      r.draft && ui.may.publish
        ? act(t('publish'), 'publish', () =>
            // The version read is the one approved: a draft changed since is refused (409), never published unseen.
            ruleAction(r.id, 'publish', t('published'), { version: r.draft.version }),
          )
        : null,
      r.draft ? act(t('discard'), 'discard', () => discardDraft(r.id)) : null,
      // A rule that is only a draft is not in force: nothing to switch on or off until it is published.
      r.origin === 'draft'
        ? null
        : r.enabled
          ? act(t('disable'), 'disable', () => ruleAction(r.id, 'disable', t('disabledDone')))
          : ui.may.enable
            ? act(t('enable'), 'enable', () => ruleAction(r.id, 'enable', t('enabledDone')))
            : null,
    ),
  );
}

/** @param {string} id @param {string} action @param {string} done @param {Record<string, unknown>} [body] */
async function ruleAction(id, action, done, body = {}) {
  const answer = await api('POST', `/marketing/console/rules/${encodeURIComponent(id)}/${action}`, body);
  if (answer.status !== 200) return notify(errorText(answer), 'error');
  notify(done);
  await loadRules();
  if (!$('history').hidden && $('history').dataset.history === id) await openHistory(id);
}

/** @param {string} id */
async function discardDraft(id) {
  const answer = await api('DELETE', `/marketing/console/rules/${encodeURIComponent(id)}/draft`);
  if (answer.status !== 200) return notify(errorText(answer), 'error');
  notify(t('draftDiscarded'));
  await loadRules();
}

builderHooks.saved = (id) => {
  showTab('rules');
  void loadRules().then(() => document.querySelector(`[data-rule="${CSS.escape(id)}"]`)?.scrollIntoView());
};
historyHooks.changed = () => void loadRules();

// ---- campaigns ---------------------------------------------------------------------------------------------
/** @type {any[]} */
let campaigns = [];

async function loadCampaigns() {
  const answer = await api('GET', '/marketing/console/campaigns');
  const table = $('campaigns-list');
  campaigns = answer.status === 200 ? (answer.body.campaigns ?? []) : [];
  if (answer.status !== 200 && codeOf(answer) !== 'ROUTE_NOT_FOUND') {
    table.replaceChildren(h('tr', {}, h('td', { class: 'error' }, errorText(answer))));
    return;
  }
  table.replaceChildren(
    h('tr', {}, ...['campaign', 'state', 'owner', 'updated', 'audience'].map((k) => h('th', {}, t(k)))),
    ...(campaigns.length
      ? campaigns.map((c) =>
          h(
            'tr',
            { 'data-campaign': c.id },
            h('td', {}, h('div', {}, c.name ?? c.id), c.name ? h('div', { class: 'note' }, c.id) : null),
            h('td', {}, label('campaignState', c.state ?? 'draft')),
            h('td', {}, c.owner ?? ''),
            h('td', {}, when(c.updatedAt)),
            h(
              'td',
              { 'data-audience': c.id },
              button(t('previewAudience'), () => previewAudience(c.id), {
                class: 'ghost small',
                'data-action': 'preview',
              }),
            ),
          ),
        )
      : [h('tr', {}, h('td', { colspan: '5', class: 'note' }, t('noCampaigns')))]),
  );
}

/**
 * The campaign's audience as the warehouse counts it now, and how many of a live sample could be reached (the
 * eligibility check): nothing is sent. @param {string} id
 */
async function previewAudience(id) {
  const cell = document.querySelector(`[data-audience="${CSS.escape(id)}"]`);
  if (!cell) return;
  cell.replaceChildren(h('span', { class: 'note' }, t('loading')));
  const answer = await api('POST', `/marketing/console/campaigns/${encodeURIComponent(id)}/preview`, { sample: 20 });
  const result = answer.status === 200 && answer.body.valid ? answer.body.result : null;
  if (!result) {
    cell.replaceChildren(
      h('span', { class: 'error' }, answer.status === 200 ? t('previewRefused') : errorText(answer)),
    );
    return;
  }
  const text = t('audienceSize')
    .replace('{count}', String(result.audience.count))
    .replace('{control}', String(result.audience.control))
    .replace('{batch}', String(result.audience.batchDate ?? ''))
    .replace('{targets}', String(result.sample.targets))
    .replace('{eligible}', String(result.sample.eligible));
  cell.replaceChildren(h('span', { 'data-audience-size': String(result.audience.count) }, text));
}

// ---- the exception queue -----------------------------------------------------------------------------------
const CAUSES = ['UNKNOWN_CUSTOMER', 'CHANNEL_REJECTED', 'TOUCHPOINT_REJECTED', 'ORDER_FAILED'];
const STATES = ['open', 'assigned', 'resolved'];
/** Where the queue's list stops (`before`): the next page starts there. */
let nextBefore = /** @type {string|null} */ (null);

function exceptionFilters() {
  const state = select(
    [['', t('allStates')], ...STATES.map((s) => /** @type {[string, string]} */ ([s, label('exceptionState', s)]))],
    'open',
    { id: 'exc-state' },
  );
  const cause = select(
    [['', t('allCauses')], ...CAUSES.map((c) => /** @type {[string, string]} */ ([c, label('exceptionCause', c)]))],
    '',
    { id: 'exc-cause' },
  );
  state.addEventListener('change', () => void loadExceptions());
  cause.addEventListener('change', () => void loadExceptions());
  $('exc-filters').replaceChildren(
    h('label', {}, h('span', {}, t('state')), state),
    h('label', {}, h('span', {}, t('cause')), cause),
    h('span', { id: 'exc-counts', class: 'note' }),
  );
}

async function loadExceptions(/** @type {boolean} */ more = false) {
  if (!document.getElementById('exc-state')) exceptionFilters();
  const state = /** @type {HTMLSelectElement} */ ($('exc-state')).value;
  const cause = /** @type {HTMLSelectElement} */ ($('exc-cause')).value;
  const query = new URLSearchParams({ limit: '50' });
  if (state) query.set('state', state);
  if (cause) query.set('cause', cause);
  if (more && nextBefore) query.set('before', nextBefore);
  const [answer, counts] = await Promise.all([
    api('GET', `/marketing/exceptions?${query}`),
    more ? Promise.resolve(null) : api('GET', '/marketing/exceptions/counts'),
  ]);
  const table = $('exc-list');
  if (answer.status !== 200) {
    table.replaceChildren(h('tr', {}, h('td', { class: 'error' }, errorText(answer))));
    return;
  }
  if (counts?.status === 200) {
    /** @type {Record<string, number>} */
    const byState = {};
    for (const c of counts.body ?? []) byState[c.state] = (byState[c.state] ?? 0) + Number(c.count);
    $('exc-counts').textContent = STATES.map((s) => `${label('exceptionState', s)} ${byState[s] ?? 0}`).join(' · ');
  }
  /** @type {any[]} */
  const items = answer.body.items ?? [];
  nextBefore = answer.body.next ?? null;
  const rows = items.map(exceptionRow);
  if (more) table.append(...rows);
  else
    table.replaceChildren(
      h(
        'tr',
        {},
        ...['at', 'cause', 'customer', 'detail', 'state', 'assignee', 'actions'].map((k) => h('th', {}, t(k))),
      ),
      ...(rows.length ? rows : [h('tr', {}, h('td', { colspan: '7', class: 'note' }, t('noExceptions')))]),
    );
  $('exc-more').hidden = !nextBefore;
}

/** What an exception is about, in words: the event's kind and time, the rule, the offer. @param {any} detail */
function detailText(detail) {
  const parts = [];
  if (detail?.type) parts.push(kindLabel(detail.type));
  if (detail?.at) parts.push(when(detail.at));
  if (detail?.ruleId) parts.push(`${t('rule')} ${detail.ruleId}`);
  if (detail?.offerCode) parts.push(label('offer', detail.offerCode));
  if (detail?.channel) parts.push(label('ruleChannel', detail.channel));
  if (detail?.campaignId) {
    const campaign = campaigns.find((c) => c.id === detail.campaignId);
    parts.push(`${t('campaign')} ${campaign?.name ?? detail.campaignId}`);
  }
  if (detail?.source) parts.push(label('source', detail.source));
  if (detail?.eventId) parts.push(detail.eventId);
  if (detail?.touchpointId) parts.push(detail.touchpointId);
  // What the system that refused said, as it said it: for the person who follows it up.
  const said = detail?.error ?? detail?.message;
  if (typeof said === 'string' && said) parts.push(said);
  return parts.join(' · ');
}
/** @param {any} x */
function exceptionRow(x) {
  const resolved = x.state === 'resolved';
  const assignee = /** @type {HTMLInputElement} */ (
    h('input', { value: x.assignee ?? sessionStorage.getItem('console.who') ?? '', 'data-role': 'assignee' })
  );
  const resolution = /** @type {HTMLInputElement} */ (
    h('input', { placeholder: t('resolution'), 'data-role': 'resolution' })
  );
  const act = async (/** @type {string} */ what, /** @type {unknown} */ body, /** @type {string} */ done) => {
    const answer = await api('POST', `/marketing/exceptions/${encodeURIComponent(x.id)}/${what}`, body);
    if (answer.status !== 200) return notify(errorText(answer), 'error');
    notify(done);
    await loadExceptions();
  };
  return h(
    'tr',
    { 'data-exception': x.id, 'data-cause': x.cause, 'data-state': x.state },
    h('td', {}, when(x.createdAt)),
    h('td', {}, label('exceptionCause', x.cause)),
    h('td', {}, x.customerId ?? ''),
    h('td', {}, detailText(x.detail)),
    h('td', {}, label('exceptionState', x.state)),
    h(
      'td',
      {},
      resolved
        ? h('div', {}, x.resolvedBy ?? x.assignee ?? '', h('div', { class: 'note' }, when(x.resolvedAt)))
        : assignee,
      resolved && x.resolution ? h('div', { class: 'note' }, x.resolution) : null,
    ),
    h(
      'td',
      { class: 'row-actions' },
      resolved
        ? null
        : button(t('assign'), () => act('assign', { assignee: assignee.value.trim() }, t('assigned')), {
            class: 'ghost small',
            'data-action': 'assign',
          }),
      resolved ? null : resolution,
      resolved
        ? null
        : button(t('resolve'), () => act('resolve', { resolution: resolution.value.trim() }, t('resolvedDone')), {
            class: 'ghost small',
            'data-action': 'resolve',
          }),
    ),
  );
}

// ---- the page's words --------------------------------------------------------------------------------------
function applyLabels() {
  document.documentElement.lang = ui.lang === 'zh' ? 'zh-CN' : 'en';
  document.title = `UCV · ${t('title')}`;
  for (const el of document.querySelectorAll('[data-i18n]'))
    el.textContent = t(/** @type {HTMLElement} */ (el).dataset.i18n ?? '');
  $('lang').textContent = ui.lang === 'zh' ? 'EN' : '中文';
}

$('signin-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const value = /** @type {HTMLInputElement} */ ($('credential')).value.trim();
  if (!value) return;
  const picker = /** @type {HTMLSelectElement} */ ($('demo-select'));
  sessionStorage.setItem('console.credential', value);
  sessionStorage.setItem('console.who', picker.value === value ? (picker.selectedOptions[0]?.textContent ?? '') : '');
  $('signin-error').textContent = '';
  void start();
});
$('signout').addEventListener('click', () => signOut());
$('tabs').addEventListener('click', (event) => {
  const tab = /** @type {HTMLElement} */ (event.target).closest('[data-tab]');
  if (tab instanceof HTMLElement && tab.dataset.tab) showTab(tab.dataset.tab);
});
$('new-rule').addEventListener('click', () => {
  openBuilder(null);
  showTab('builder');
});
$('exc-more').addEventListener('click', () => void loadExceptions(true));
$('lang').addEventListener('click', () => {
  ui.lang = ui.lang === 'zh' ? 'en' : 'zh';
  localStorage.setItem('console.lang', ui.lang);
  applyLabels();
  if (credential()) {
    void loadRules();
    void loadCampaigns();
    if (document.getElementById('exc-state')) {
      $('exc-filters').replaceChildren();
      if (current === 'exceptions') void loadExceptions();
    }
    if (current === 'builder') renderBuilder();
    if (current === 'reports') void drawReports(campaigns);
  }
});

applyLabels();
if (credential()) void start();
else show();
void loadDemoConsumers();
performance.mark('console:shown');
