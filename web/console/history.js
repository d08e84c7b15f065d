// @ts-check
/**
 * A rule's versions, newest first (drafts and published versions, who and when, each read as a sentence), two of
 * them compared: their sentences side by side and the definition's fields that differ, each named in words. An
 * approver rolls back to a published version (the gateway keeps it as a new version).
 */
import {
  api,
  button,
  errorText,
  fieldSpec,
  h,
  kindLabel,
  label,
  notify,
  placeText,
  say,
  t,
  ui,
  valueText,
  when,
} from './common.js';

/** What the page does after a rollback (console.js: reload the list). */
export const historyHooks = { changed: () => {} };

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));

/** Opens the history of a rule under the list. @param {string} id */
export async function openHistory(id) {
  const panel = $('history');
  panel.hidden = false;
  panel.dataset.history = id;
  panel.replaceChildren(h('p', { class: 'note' }, t('loading')));
  const answer = await api('GET', `/marketing/console/rules/${encodeURIComponent(id)}/history`);
  if (answer.status !== 200) {
    panel.replaceChildren(head(id), h('p', { class: 'error' }, errorText(answer)));
    return;
  }
  /** @type {any[]} */
  const items = answer.body.items ?? [];
  if (items.length === 0) {
    panel.replaceChildren(head(id), h('p', { class: 'note' }, t('noHistory')));
    return;
  }
  // Compared by default: the newest against the one before it.
  // Compared by default: the two newest versions that hold a rule (a draft closed by its publication, or a rule
  // deleted, holds none).
  const held = items.flatMap((item, i) => (item.definition ? [i] : []));
  const chosen = { a: held[1] ?? held[0] ?? 0, b: held[0] ?? 0 };
  const diffBox = h('div', { id: 'diff' });
  const latestRule = items.findIndex((i) => i.kind !== 'draft');
  const rows = items.map((item, i) => {
    /** @param {'a'|'b'} side */
    const radio = (side) => {
      const el = /** @type {HTMLInputElement} */ (
        h('input', { type: 'radio', name: `side-${side}`, 'data-side': side, value: String(i) })
      );
      el.checked = chosen[side] === i;
      el.addEventListener('change', () => {
        chosen[side] = i;
        drawDiff(diffBox, items[chosen.a], items[chosen.b]);
      });
      return el;
    };
    return h(
      'tr',
      { 'data-version': String(item.version), 'data-kind': item.kind === 'draft' ? 'draft' : 'rule' },
      h('td', {}, radio('a'), radio('b')),
      h('td', {}, item.kind === 'draft' ? t('kindDraft') : t('kindRule')),
      h('td', {}, String(item.version)),
      h('td', {}, item.by ?? ''),
      h('td', {}, when(item.at)),
      h(
        'td',
        { class: 'sentence-cell' },
        item.sentence
          ? say(item.sentence)
          : item.definition
            ? ''
            : t(item.kind === 'draft' ? 'draftClosed' : 'ruleRemoved'),
      ),
      h(
        'td',
        {},
        ui.may.rollback && item.kind !== 'draft' && i !== latestRule && item.definition
          ? button(t('rollback'), () => rollback(id, item.version), { class: 'ghost', 'data-action': 'rollback' })
          : null,
      ),
    );
  });
  panel.replaceChildren(
    head(id),
    h(
      'table',
      { class: 'list' },
      h(
        'tr',
        {},
        h('th', {}, t('compare')),
        h('th', {}, ''),
        h('th', {}, t('version')),
        h('th', {}, t('by')),
        h('th', {}, t('at')),
        h('th', {}, t('content')),
        h('th', {}, ''),
      ),
      ...rows,
    ),
    diffBox,
  );
  drawDiff(diffBox, items[chosen.a], items[chosen.b]);
}

/** @param {string} id */
function head(id) {
  return h(
    'div',
    { class: 'panel-head' },
    h('h3', {}, `${t('historyOf2')} · ${id}`),
    button(t('close'), () => void ($('history').hidden = true), { class: 'ghost small' }),
  );
}

/** @param {string} id @param {number} version */
async function rollback(id, version) {
  const answer = await api('POST', `/marketing/console/rules/${encodeURIComponent(id)}/rollback`, { version });
  if (answer.status !== 200) return notify(errorText(answer), 'error');
  notify(t('rolledBack'));
  historyHooks.changed();
  await openHistory(id);
}

/**
 * The two versions side by side: their sentences, then each field of the definition that differs, in words.
 * @param {HTMLElement} box @param {any} older @param {any} newer
 */
function drawDiff(box, older, newer) {
  if (!older || !newer) return void box.replaceChildren();
  const a = flatten(older.definition ?? {});
  const b = flatten(newer.definition ?? {});
  const keys = [...new Set([...a.keys(), ...b.keys()])].filter((k) => a.get(k) !== b.get(k));
  const name = (/** @type {any} */ item) => `${item.kind === 'draft' ? t('kindDraft') : t('kindRule')} ${item.version}`;
  box.replaceChildren(
    h('h4', {}, t('diff')),
    h(
      'div',
      { class: 'side-by-side' },
      h(
        'div',
        { 'data-side': 'a' },
        h('div', { class: 'note' }, `${t('before')} · ${name(older)}`),
        h('p', {}, older.sentence ? say(older.sentence) : t('absent')),
      ),
      h(
        'div',
        { 'data-side': 'b' },
        h('div', { class: 'note' }, `${t('after')} · ${name(newer)}`),
        h('p', {}, newer.sentence ? say(newer.sentence) : t('absent')),
      ),
    ),
    keys.length === 0
      ? h('p', { class: 'note' }, t('noDiff'))
      : h(
          'table',
          { class: 'list diff' },
          h('tr', {}, h('th', {}, t('where')), h('th', {}, t('oldValue')), h('th', {}, t('newValue'))),
          ...keys.map((k) =>
            h(
              'tr',
              { 'data-diff': k },
              h('td', {}, placeText(k)),
              h('td', { class: 'old' }, shown(k, a, older.definition)),
              h('td', { class: 'new' }, shown(k, b, newer.definition)),
            ),
          ),
        ),
  );
}

/** Every leaf of a definition by its path (`when.all.0.value`), as text to compare. @param {unknown} value */
function flatten(value, prefix = '', out = new Map()) {
  if (Array.isArray(value) && value.every((v) => typeof v !== 'object' || v === null) && prefix.endsWith('value'))
    out.set(prefix, JSON.stringify(value));
  else if (value && typeof value === 'object')
    for (const [k, v] of Object.entries(value)) flatten(v, prefix ? `${prefix}.${k}` : k, out);
  else out.set(prefix, JSON.stringify(value));
  return out;
}

/**
 * A value of the diff in words: a condition's value with its field's labels, kinds, channels, operators and the
 * rest of the catalog's codes by their labels.
 * @param {string} path @param {Map<string, string>} flat @param {any} definition
 */
function shown(path, flat, definition) {
  const raw = flat.get(path);
  if (raw === undefined) return t('absent');
  const value = JSON.parse(raw);
  const last = path.split('.').at(-1) ?? '';
  if (last === 'value' || /\.value\.\d+$/.test(path)) {
    const fieldPath = path.replace(/\.value(\.\d+)?$/, '.field');
    const field = flat.get(fieldPath);
    return valueText(field ? fieldSpec(JSON.parse(field)) : undefined, value);
  }
  if (last === 'field') return say(fieldSpec(value)?.label, value);
  if (last === 'operator') return say(ui.catalog.operatorLabels[value], value);
  if (last === 'event' || path === 'on' || /^on\.\d+$/.test(path)) return kindLabel(value);
  if (last === 'channel') return label('ruleChannel', value);
  if (last === 'kind') return label('offerKind', value);
  if (last === 'offerCode') return label('offer', value);
  if (last === 'calendar') return label('calendarWindow', value);
  if (/\.days\.\d+$/.test(path)) return label('weekday', value);
  if (typeof value === 'boolean') return value ? t('yes') : t('no');
  void definition;
  return String(value);
}
