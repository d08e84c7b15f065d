// @ts-check
/**
 * The rule builder: a rule made by form, never typed as JSON. Event kinds are picked from the catalog; each condition
 * picks a field the catalog offers (with its Chinese label and type), an operator that fits the type and a value from
 * the field's own values when they are a closed set; conditions over history (a count in a window), time spent (a
 * dwell) and a time window have small forms of their own; groups nest. While it is built the rule is read back as a
 * sentence by the gateway (`POST /marketing/console/sentence`), tried against a customer (dry run: nothing is sent)
 * and saved as a draft that an approver publishes.
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
  problemsOf,
  problemText,
  say,
  select,
  t,
  ui,
  valueText,
  when,
} from './common.js';

/** @typedef {import('./common.js').FieldSpec} FieldSpec */
/** @typedef {{ field: string, operator: string, value: any }} FieldLeaf */

const LIST_OPERATORS = ['in', 'notIn'];
const WEEKDAYS = ['MON', 'TUE', 'WED', 'THU', 'FRI', 'SAT', 'SUN'];
const OFFER_KINDS = ['upsell', 'care'];
const MSISDN = /^(\+?86)?1\d{10}$/;

/**
 * The rule being edited, as the gateway's definition reads it (`when` is the condition tree itself: the forms
 * change it in place).
 */
const rule = {
  id: '',
  description: '',
  priority: 10,
  enabled: true,
  /** @type {string[]} */
  on: [],
  /** @type {any} */
  when: { all: [] },
  then: { offerCode: '', channel: 'PREFERRED', message: '', kind: 'upsell' },
  isNew: true,
};

/** What the page does once a draft is saved (console.js: back to the list, reloaded). */
export const builderHooks = { saved: (/** @type {string} */ _id) => {} };

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));

/**
 * The first spelling of rules (`{ fact, path }`, JSONPath) in the form's language (`field`), when it is one of the
 * simple paths the form can show; anything else stays as it is.
 * @param {any} node @returns {any}
 */
function normalize(node) {
  if (!node || typeof node !== 'object') return node;
  if (Array.isArray(node.all)) return { all: node.all.map(normalize) };
  if (Array.isArray(node.any)) return { any: node.any.map(normalize) };
  if (node.not) return { not: normalize(node.not) };
  if (typeof node.fact === 'string' && typeof node.path === 'string') {
    const path = node.path;
    let field = '';
    if (node.fact === 'event' && (path === '$.type' || path === '$.at')) field = `event.${path.slice(2)}`;
    else if (node.fact === 'event' && /^\$\.data\.\w+$/.test(path)) field = `event.${path.slice(7)}`;
    else if (node.fact === 'view' && /^\$\.\w+(\.\w+)*$/.test(path)) field = `customer.${path.slice(2)}`;
    if (field) return { field, operator: node.operator, value: node.value };
  }
  return node;
}

/** Opens a rule in the builder: a definition to edit (a draft's, or the rule in force), or a new one. @param {any} definition */
export function openBuilder(definition) {
  const d = definition ?? {};
  let when = normalize(d.when ?? { all: [] });
  /** @type {string[]} */
  let on = Array.isArray(d.on) ? [...d.on] : typeof d.on === 'string' ? [d.on] : [];
  // A rule without `on` takes its kinds from an `event.type` condition in its top `all`: the form shows them as kinds.
  if (on.length === 0 && Array.isArray(when.all)) {
    const typeLeaf = when.all.find((/** @type {any} */ c) => c.field === 'event.type');
    if (typeLeaf) {
      on = Array.isArray(typeLeaf.value) ? typeLeaf.value : [typeLeaf.value];
      when = { all: when.all.filter((/** @type {any} */ c) => c !== typeLeaf) };
    }
  }
  if (!when.all && !when.any) when = { all: [when] };
  Object.assign(rule, {
    id: d.id ?? '',
    description: d.description ?? '',
    priority: d.priority ?? 10,
    enabled: d.enabled ?? true,
    on,
    when,
    then: {
      offerCode: d.then?.offerCode ?? '',
      channel: d.then?.channel ?? 'PREFERRED',
      message: d.then?.message ?? '',
      kind: d.then?.kind ?? 'upsell',
    },
    isNew: !definition,
  });
  renderBuilder();
}

/** The rule as the gateway's definition. */
export function definition() {
  /** @type {Record<string, unknown>} */
  const d = {
    id: rule.id.trim(),
    enabled: rule.enabled,
    priority: Number(rule.priority),
    on: rule.on.length === 1 ? rule.on[0] : [...rule.on],
    when: rule.when,
    then: { ...rule.then },
  };
  if (rule.description.trim()) d.description = rule.description.trim();
  return d;
}

// ---- the form ----------------------------------------------------------------------------------------------

/** Draws the whole builder from `rule`. */
export function renderBuilder() {
  const root = $('builder');
  const idInput = /** @type {HTMLInputElement} */ (
    h('input', { id: 'rule-id', value: rule.id, required: '', maxlength: '64', autocomplete: 'off' })
  );
  if (!rule.isNew) idInput.readOnly = true;
  idInput.addEventListener('input', () => {
    rule.id = idInput.value;
    changed();
  });
  const description = /** @type {HTMLInputElement} */ (
    h('input', { id: 'rule-description', value: rule.description, maxlength: '500' })
  );
  description.addEventListener('input', () => {
    rule.description = description.value;
    changed();
  });
  const priority = /** @type {HTMLInputElement} */ (
    h('input', { id: 'rule-priority', type: 'number', min: '0', step: '1', value: String(rule.priority) })
  );
  priority.addEventListener('input', () => {
    rule.priority = Number(priority.value);
    changed();
  });
  const enabled = /** @type {HTMLInputElement} */ (h('input', { id: 'rule-enabled', type: 'checkbox' }));
  enabled.checked = rule.enabled;
  enabled.addEventListener('change', () => {
    rule.enabled = enabled.checked;
    changed();
  });

  root.replaceChildren(
    h(
      'div',
      { class: 'form-row' },
      h('label', {}, h('span', {}, t('ruleId')), idInput),
      h('label', { class: 'grow' }, h('span', {}, t('description')), description),
      h('label', { class: 'narrow' }, h('span', {}, t('priority')), priority),
      h('label', { class: 'check' }, enabled, h('span', {}, t('enabled'))),
    ),
    h('h3', {}, t('onKinds')),
    kindPicker(),
    h('h3', {}, t('conditions')),
    h('div', { id: 'conditions' }),
    h('h3', {}, t('then')),
    thenForm(),
    h(
      'div',
      { class: 'sentence-box' },
      h('div', { class: 'note' }, t('sentence')),
      h('p', { id: 'sentence', 'data-seq': '0' }),
      h('ul', { id: 'sentence-problems', class: 'problems' }),
    ),
    h(
      'div',
      { class: 'actions' },
      button(t('saveDraft'), saveDraft, { id: 'save-draft' }),
      h('span', { class: 'note' }, ''),
    ),
    h('ul', { id: 'save-problems', class: 'problems' }),
    dryRunForm(),
  );
  renderConditions();
  changed();
}

/** The event kinds a rule is on: a checkbox per kind of the catalog, by its label. */
function kindPicker() {
  return h(
    'div',
    { class: 'kinds', id: 'kinds' },
    ...ui.catalog.kinds.map((kind) => {
      const box = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', 'data-kind': kind.type }));
      box.checked = rule.on.includes(kind.type);
      box.addEventListener('change', () => {
        rule.on = box.checked ? [...rule.on, kind.type] : rule.on.filter((k) => k !== kind.type);
        // The fields offered follow the kinds picked.
        renderConditions();
        changed();
      });
      return h('label', { class: 'check' }, box, h('span', {}, say(kind.label, kind.type)));
    }),
  );
}

/** Redraws the condition tree (after a change of its shape: a field picked, a condition added or removed). */
function renderConditions() {
  $('conditions').replaceChildren(groupForm(rule.when, 'when', null));
}

/** A group: all or any of its conditions, each drawn by its own form, and the buttons that add one. @param {any} node @param {string} path @param {(() => void)|null} remove */
function groupForm(node, path, remove) {
  const mode = Array.isArray(node.all) ? 'all' : 'any';
  /** @type {any[]} */
  const children = node[mode];
  const modeSelect = select(
    [
      ['all', t('matchAll')],
      ['any', t('matchAny')],
    ],
    mode,
    { 'data-role': 'mode' },
  );
  modeSelect.addEventListener('change', () => {
    const items = node[mode];
    delete node[mode];
    node[modeSelect.value] = items;
    renderConditions();
    changed();
  });
  /** @param {any} leaf */
  const add = (leaf) => () => {
    children.push(leaf);
    renderConditions();
    changed();
  };
  const firstKind = rule.on[0] ?? ui.catalog.kinds[0]?.type ?? '';
  return h(
    'div',
    { class: 'group', 'data-path': path, 'data-type': 'group' },
    h(
      'div',
      { class: 'group-head' },
      modeSelect,
      remove ? button(t('remove'), remove, { class: 'ghost small' }) : null,
    ),
    ...children.map((child, i) =>
      nodeForm(child, `${path}.${mode}.${i}`, () => {
        children.splice(i, 1);
        renderConditions();
        changed();
      }),
    ),
    h(
      'div',
      { class: 'adders' },
      button(t('addField'), add({ field: '', operator: 'equal', value: '' }), { class: 'ghost', 'data-add': 'field' }),
      button(
        t('addHistory'),
        add({ history: { event: firstKind, within: { days: 7 } }, operator: 'greaterThanInclusive', value: 1 }),
        { class: 'ghost', 'data-add': 'history' },
      ),
      button(
        t('addDwell'),
        add({
          dwell: { event: firstKind, where: { field: '', operator: 'equal', value: '' } },
          operator: 'greaterThanInclusive',
          value: 60,
        }),
        { class: 'ghost', 'data-add': 'dwell' },
      ),
      button(t('addDuring'), add({ during: { days: [], start: '09:00', end: '18:00' } }), {
        class: 'ghost',
        'data-add': 'during',
      }),
      button(t('addGroup'), add({ any: [] }), { class: 'ghost', 'data-add': 'group' }),
      // "None of these": a group under `not`, shown as 并非 and the group's own form.
      button(t('addNotGroup'), add({ not: { any: [] } }), { class: 'ghost', 'data-add': 'not-group' }),
    ),
  );
}

/** One condition, by its kind. @param {any} node @param {string} path @param {() => void} remove @returns {HTMLElement} */
function nodeForm(node, path, remove) {
  if (Array.isArray(node.all) || Array.isArray(node.any)) return groupForm(node, path, remove);
  const removeButton = button('×', remove, { class: 'ghost small', title: t('remove'), 'data-role': 'remove' });
  if (node.not)
    return h(
      'div',
      { class: 'cond', 'data-path': path, 'data-type': 'not' },
      h('strong', {}, t('not')),
      nodeForm(node.not, `${path}.not`, remove),
    );
  if (node.history) return historyForm(node, path, removeButton);
  if (node.dwell) return dwellForm(node, path, removeButton);
  if (node.during) return duringForm(node, path, removeButton);
  if (typeof node.field === 'string')
    return h(
      'div',
      { class: 'cond', 'data-path': path, 'data-type': 'field' },
      ...fieldForm(node, rule.on, true),
      removeButton,
    );
  // A spelling the form cannot show: kept as it is, and removable.
  return h(
    'div',
    { class: 'cond', 'data-path': path, 'data-type': 'other' },
    h('code', {}, JSON.stringify(node)),
    removeButton,
  );
}

/** The fields offered for events of `kinds` (by kind) and, when asked, the customer's. @param {string[]} kinds @param {boolean} withView @param {string} current */
function fieldSelect(kinds, withView, current) {
  const el = /** @type {HTMLSelectElement} */ (h('select', { 'data-role': 'field' }));
  el.append(h('option', { value: '' }, t('pickField')));
  for (const kind of ui.catalog.kinds.filter((k) => kinds.includes(k.type))) {
    const group = h('optgroup', { label: `${t('event')} · ${say(kind.label, kind.type)}` });
    for (const [field, spec] of Object.entries(kind.fields))
      group.append(h('option', { value: field }, say(spec.label, field)));
    el.append(group);
  }
  if (withView) {
    const group = h('optgroup', { label: t('customer') });
    for (const [field, spec] of Object.entries(ui.catalog.view))
      group.append(h('option', { value: field }, say(spec.label, field)));
    el.append(group);
  }
  el.value = current;
  return el;
}

/** The operators that fit a type, by their labels. @param {FieldSpec|undefined} spec @param {string} current @param {string} [type] */
function operatorSelect(spec, current, type) {
  const operators = ui.catalog.operators[type ?? spec?.type ?? 'string'] ?? [];
  return select(
    operators.map((op) => [op, say(ui.catalog.operatorLabels[op], op)]),
    current,
    { 'data-role': 'operator' },
  );
}

/** A value that fits a field and an operator. @param {FieldSpec|undefined} spec @param {string} operator */
function defaultValue(spec, operator) {
  if (LIST_OPERATORS.includes(operator)) return [];
  if (spec?.type === 'boolean') return true;
  if (spec?.type === 'number') return 0;
  return valuesOf(spec, '')[0] ?? '';
}

/**
 * The controls of a field test: field, operator, value. The value is picked from the field's values when they are a
 * closed set (one, or several for "is one of"), yes/no for a boolean, a number or a date; free text only for open
 * strings.
 * @param {FieldLeaf} leaf @param {string[]} kinds @param {boolean} withView @returns {HTMLElement[]}
 */
function fieldForm(leaf, kinds, withView) {
  const spec = fieldSpec(leaf.field);
  const fields = fieldSelect(kinds, withView, leaf.field);
  fields.addEventListener('change', () => {
    leaf.field = fields.value;
    const next = fieldSpec(leaf.field);
    leaf.operator = ui.catalog.operators[next?.type ?? 'string']?.[0] ?? 'equal';
    leaf.value = defaultValue(next, leaf.operator);
    renderConditions();
    changed();
  });
  if (!leaf.field) return [fields];
  const operators = operatorSelect(spec, leaf.operator);
  operators.addEventListener('change', () => {
    const wasList = LIST_OPERATORS.includes(leaf.operator);
    leaf.operator = operators.value;
    const isList = LIST_OPERATORS.includes(leaf.operator);
    if (wasList !== isList)
      leaf.value = isList
        ? leaf.value === '' || leaf.value === undefined
          ? []
          : [leaf.value]
        : (leaf.value?.[0] ?? defaultValue(spec, leaf.operator));
    renderConditions();
    changed();
  });
  return [fields, operators, valueControl(leaf, spec)];
}

/**
 * The values to pick from: the field's closed set, else the values it names (the products of the catalogue, say),
 * with the value already there kept among them.
 * @param {FieldSpec|undefined} spec @param {unknown} current @returns {string[]}
 */
function valuesOf(spec, current) {
  if (spec?.values?.length) return [...spec.values];
  const named = Object.keys(spec?.valueLabels ?? {});
  if (named.length === 0) return [];
  const kept = (Array.isArray(current) ? current : [current]).filter(
    (v) => typeof v === 'string' && v !== '' && !named.includes(v),
  );
  return [...named, ...kept.map(String)];
}

/** @param {{ value: any, operator: string }} leaf @param {FieldSpec|undefined} spec @returns {HTMLElement} */
function valueControl(leaf, spec) {
  const list = LIST_OPERATORS.includes(leaf.operator);
  if (spec?.type === 'boolean') {
    const el = select(
      [
        ['true', t('yes')],
        ['false', t('no')],
      ],
      String(leaf.value === true),
      { 'data-role': 'value' },
    );
    el.addEventListener('change', () => {
      leaf.value = el.value === 'true';
      changed();
    });
    return el;
  }
  const values = valuesOf(spec, leaf.value);
  if (values.length > 0 && list) {
    const chosen = new Set(Array.isArray(leaf.value) ? leaf.value : []);
    return h(
      'span',
      { class: 'multi', 'data-role': 'value' },
      ...values.map((v) => {
        const box = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', value: v }));
        box.checked = chosen.has(v);
        box.addEventListener('change', () => {
          if (box.checked) chosen.add(v);
          else chosen.delete(v);
          leaf.value = values.filter((x) => chosen.has(x));
          changed();
        });
        return h('label', { class: 'check' }, box, h('span', {}, valueText(spec, v)));
      }),
    );
  }
  if (values.length > 0) {
    const el = select(
      values.map((v) => [v, valueText(spec, v)]),
      String(leaf.value),
      { 'data-role': 'value' },
    );
    if (!values.includes(String(leaf.value))) leaf.value = values[0] ?? '';
    el.addEventListener('change', () => {
      leaf.value = el.value;
      changed();
    });
    return el;
  }
  const number = spec?.type === 'number';
  const type = list ? 'text' : number ? 'number' : spec?.type === 'date' ? 'date' : 'text';
  const shown = Array.isArray(leaf.value) ? leaf.value.join(ui.lang === 'zh' ? '、' : ', ') : String(leaf.value ?? '');
  const el = /** @type {HTMLInputElement} */ (
    h('input', { type, value: shown, 'data-role': 'value', ...(number && !list ? { step: 'any' } : {}) })
  );
  el.addEventListener('input', () => {
    if (list) {
      const items = el.value
        .split(/[,，、;；]/)
        .map((s) => s.trim())
        .filter(Boolean);
      leaf.value = number ? items.map(Number) : items;
    } else leaf.value = number ? (el.value === '' ? '' : Number(el.value)) : el.value;
    changed();
  });
  return spec?.unit ? h('span', { class: 'with-unit' }, el, h('span', { class: 'note' }, spec.unit)) : el;
}

/** An event kind to count or to stay in. @param {{ event: string }} target */
function kindSelect(target) {
  const el = select(
    ui.catalog.kinds.map((k) => [k.type, say(k.label, k.type)]),
    target.event,
    { 'data-role': 'event' },
  );
  el.addEventListener('change', () => {
    target.event = el.value;
    // The fields of the condition's `where` are the new kind's.
    if (/** @type {any} */ (target).where)
      /** @type {any} */ (target).where = { field: '', operator: 'equal', value: '' };
    renderConditions();
    changed();
  });
  return el;
}

/** A count's (or a dwell's) comparison: operator and number. @param {{ operator: string, value: any }} node @param {string} unit */
function countControls(node, unit) {
  const operators = operatorSelect(undefined, node.operator, 'number');
  operators.addEventListener('change', () => {
    node.operator = operators.value;
    changed();
  });
  const value = /** @type {HTMLInputElement} */ (
    h('input', { type: 'number', min: '0', step: '1', value: String(node.value), 'data-role': 'count' })
  );
  value.addEventListener('input', () => {
    node.value = value.value === '' ? '' : Number(value.value);
    changed();
  });
  return [operators, value, h('span', { class: 'note' }, unit)];
}

/** How many events of a kind (matching `where`) the customer had in a window ending now. @param {any} node @param {string} path @param {HTMLElement} removeButton */
function historyForm(node, path, removeButton) {
  const hist = node.history;
  const whereBox = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', 'data-role': 'has-where' }));
  whereBox.checked = Boolean(hist.where);
  whereBox.addEventListener('change', () => {
    if (whereBox.checked) hist.where = { field: '', operator: 'equal', value: '' };
    else delete hist.where;
    renderConditions();
    changed();
  });
  const windowKind = hist.within?.calendar ?? 'days';
  const within = select(
    [
      ['days', t('lastDays')],
      ...ui.catalog.calendar.map((c) => /** @type {[string, string]} */ ([c, label('calendarWindow', c)])),
    ],
    windowKind,
    { 'data-role': 'within' },
  );
  within.addEventListener('change', () => {
    hist.within = within.value === 'days' ? { days: 7 } : { calendar: within.value };
    renderConditions();
    changed();
  });
  const days = /** @type {HTMLInputElement} */ (
    h('input', {
      type: 'number',
      min: '1',
      max: '400',
      step: '1',
      value: String(hist.within?.days ?? 7),
      'data-role': 'days',
    })
  );
  days.addEventListener('input', () => {
    hist.within = { days: Number(days.value) };
    changed();
  });
  return h(
    'div',
    { class: 'cond', 'data-path': path, 'data-type': 'history' },
    h('strong', {}, t('historyOf')),
    h('span', { class: 'note' }, t('event')),
    kindSelect(hist),
    h('label', { class: 'check' }, whereBox, h('span', {}, t('onlyWhere'))),
    ...(hist.where ? fieldForm(hist.where, [hist.event], false) : []),
    h('span', { class: 'note' }, t('within')),
    within,
    windowKind === 'days' ? h('span', { class: 'with-unit' }, days, h('span', { class: 'note' }, t('days'))) : null,
    h('span', { class: 'note' }, t('count')),
    ...countControls(node, ''),
    removeButton,
  );
}

/** Minutes the customer has stayed where `where` holds. @param {any} node @param {string} path @param {HTMLElement} removeButton */
function dwellForm(node, path, removeButton) {
  const dwell = node.dwell;
  if (!dwell.where) dwell.where = { field: '', operator: 'equal', value: '' };
  return h(
    'div',
    { class: 'cond', 'data-path': path, 'data-type': 'dwell' },
    h('strong', {}, t('dwellOf')),
    h('span', { class: 'note' }, t('event')),
    kindSelect(dwell),
    h('span', { class: 'note' }, t('onlyWhere')),
    ...fieldForm(dwell.where, [dwell.event], false),
    ...countControls(node, t('minutes')),
    removeButton,
  );
}

/** The event's local time in a window: date ranges, days of the week, hours. @param {any} node @param {string} path @param {HTMLElement} removeButton */
function duringForm(node, path, removeButton) {
  const during = node.during;
  /** @type {Array<{from: string, to: string}>} */
  const dates = during.dates ?? [];
  const dateRows = dates.map((range, i) => {
    const from = /** @type {HTMLInputElement} */ (h('input', { type: 'date', value: range.from, 'data-role': 'from' }));
    const to = /** @type {HTMLInputElement} */ (h('input', { type: 'date', value: range.to, 'data-role': 'to' }));
    from.addEventListener('input', () => {
      range.from = from.value;
      changed();
    });
    to.addEventListener('input', () => {
      range.to = to.value;
      changed();
    });
    return h(
      'span',
      { class: 'range' },
      from,
      t('to'),
      to,
      button(
        '×',
        () => {
          dates.splice(i, 1);
          if (dates.length === 0) delete during.dates;
          renderConditions();
          changed();
        },
        { class: 'ghost small' },
      ),
    );
  });
  /** @type {string[]} */
  const days = during.days ?? [];
  const dayBoxes = WEEKDAYS.map((day) => {
    const box = /** @type {HTMLInputElement} */ (h('input', { type: 'checkbox', value: day }));
    box.checked = days.includes(day);
    box.addEventListener('change', () => {
      const chosen = WEEKDAYS.filter((d) => (d === day ? box.checked : (during.days ?? []).includes(d)));
      if (chosen.length) during.days = chosen;
      else delete during.days;
      changed();
    });
    return h('label', { class: 'check' }, box, h('span', {}, label('weekday', day)));
  });
  /** @param {'start'|'end'} key */
  const time = (key) => {
    const el = /** @type {HTMLInputElement} */ (
      h('input', { type: 'time', value: during[key] ?? '', 'data-role': key })
    );
    el.addEventListener('input', () => {
      if (el.value) during[key] = el.value;
      else delete during[key];
      changed();
    });
    return el;
  };
  return h(
    'div',
    { class: 'cond', 'data-path': path, 'data-type': 'during' },
    h('strong', {}, t('duringOf')),
    h('span', { class: 'note' }, t('dates')),
    ...dateRows,
    button(
      t('addDates'),
      () => {
        during.dates = [...dates, { from: '', to: '' }];
        renderConditions();
        changed();
      },
      { class: 'ghost small', 'data-role': 'add-dates' },
    ),
    h('span', { class: 'note' }, t('weekdays')),
    ...dayBoxes,
    h('span', { class: 'note' }, t('hours')),
    time('start'),
    t('to'),
    time('end'),
    removeButton,
  );
}

/** The offer: what, on which channel, which kind, the message. */
function thenForm() {
  const offers = Object.entries(ui.domains.offer ?? {});
  const code = /** @type {HTMLInputElement} */ (
    h('input', { id: 'then-offer', list: 'offer-codes', value: rule.then.offerCode, autocomplete: 'off' })
  );
  const named = h('span', { class: 'note', id: 'then-offer-name' }, label('offer', rule.then.offerCode));
  code.addEventListener('input', () => {
    rule.then.offerCode = code.value.trim();
    named.textContent = label('offer', rule.then.offerCode) === rule.then.offerCode ? '' : label('offer', code.value);
    changed();
  });
  if (named.textContent === rule.then.offerCode) named.textContent = '';
  const list = h('datalist', { id: 'offer-codes' }, ...offers.map(([c, l]) => h('option', { value: c }, say(l))));
  const channels = ui.catalog.channels.length ? ui.catalog.channels : ['PREFERRED', 'SMS', 'PUSH', 'EMAIL'];
  const channel = select(
    channels.map((c) => [c, label('ruleChannel', c)]),
    rule.then.channel,
    { id: 'then-channel' },
  );
  channel.addEventListener('change', () => {
    rule.then.channel = channel.value;
    changed();
  });
  const kind = select(
    OFFER_KINDS.map((k) => [k, label('offerKind', k)]),
    rule.then.kind,
    { id: 'then-kind' },
  );
  kind.addEventListener('change', () => {
    rule.then.kind = kind.value;
    changed();
  });
  const message = /** @type {HTMLTextAreaElement} */ (
    h('textarea', { id: 'then-message', rows: '2', maxlength: '500' })
  );
  message.value = rule.then.message;
  message.addEventListener('input', () => {
    rule.then.message = message.value;
    changed();
  });
  return h(
    'div',
    {},
    h(
      'div',
      { class: 'form-row' },
      h('label', {}, h('span', {}, t('offerCode')), code, list, named),
      h('label', {}, h('span', {}, t('channel')), channel),
      h('label', {}, h('span', {}, t('offerKind')), kind),
    ),
    h('label', { class: 'block' }, h('span', {}, t('message')), message),
  );
}

// ---- the sentence, live ------------------------------------------------------------------------------------
let timer = 0;
let asked = 0;
/** Something changed: the sentence is asked again once typing pauses (a quarter of a second). */
function changed() {
  window.clearTimeout(timer);
  timer = window.setTimeout(() => void readBack(), 250);
}

/** The rule read back by the gateway: the sentence, or the problems that keep it from being one. */
async function readBack() {
  const seq = ++asked;
  const out = $('sentence');
  const problems = $('sentence-problems');
  if (rule.on.length === 0) {
    out.textContent = t('sentencePending');
    problems.replaceChildren();
    out.dataset.seq = String(seq);
    return;
  }
  const answer = await api('POST', '/marketing/console/sentence', { definition: definition() });
  if (seq !== asked) return; // a later change asked again: its answer is the one to show
  if (answer.status !== 200) {
    out.textContent = errorText(answer);
    problems.replaceChildren();
  } else {
    out.textContent = answer.body.sentence ? say(answer.body.sentence) : '';
    problems.replaceChildren(...problemsOf(answer.body).map((p) => h('li', {}, problemText(p))));
  }
  out.dataset.seq = String(seq);
  out.dataset.done = String(seq);
}

// ---- save, dry run -----------------------------------------------------------------------------------------
async function saveDraft() {
  const problems = $('save-problems');
  problems.replaceChildren();
  const id = rule.id.trim();
  if (!id) {
    notify(`${t('ruleId')}?`, 'error');
    $('rule-id').focus();
    return;
  }
  const answer = await api('PUT', `/marketing/console/rules/${encodeURIComponent(id)}/draft`, {
    definition: definition(),
  });
  if (answer.status === 200) {
    notify(t('draftSaved'));
    rule.isNew = false;
    builderHooks.saved(id);
    return;
  }
  notify(errorText(answer), 'error');
  problems.replaceChildren(...problemsOf(answer.body).map((p) => h('li', {}, problemText(p))));
}

function dryRunForm() {
  const who = /** @type {HTMLInputElement} */ (h('input', { id: 'dry-who', autocomplete: 'off' }));
  const last = /** @type {HTMLInputElement} */ (
    h('input', { id: 'dry-last', type: 'number', min: '0', max: '50', step: '1', value: '' })
  );
  const form = h(
    'form',
    { id: 'dry-form', class: 'form-row' },
    h('label', {}, h('span', {}, t('customerOrMsisdn')), who),
    h('label', { class: 'narrow' }, h('span', {}, t('lastEvents')), last),
    h('button', { type: 'submit', id: 'dry-run' }, t('run')),
  );
  form.addEventListener('submit', (event) => {
    event.preventDefault();
    void dryRun(who.value, last.value);
  });
  return h(
    'section',
    { class: 'dry' },
    h('h3', {}, t('dryRun')),
    h('p', { class: 'note' }, t('dryRunHint')),
    form,
    h('div', { id: 'dry-results' }),
  );
}

/** @param {string} whoText @param {string} lastText */
async function dryRun(whoText, lastText) {
  const out = $('dry-results');
  out.replaceChildren(h('p', { class: 'note' }, t('loading')));
  const who = whoText.trim().replace(/[\s-]/g, '');
  /** @type {Record<string, unknown>} */
  const input = {};
  if (who) input[MSISDN.test(who) ? 'msisdn' : 'customerId'] = who;
  const last = Number(lastText);
  if (lastText !== '' && last > 0) input.lastEvents = last;
  const id = rule.id.trim() || 'new-rule';
  const answer = await api('POST', `/marketing/console/rules/${encodeURIComponent(id)}/dry-run`, {
    definition: definition(),
    input,
  });
  if (answer.status !== 200) {
    out.replaceChildren(
      h('p', { class: 'error' }, errorText(answer)),
      h('ul', { class: 'problems' }, ...problemsOf(answer.body).map((p) => h('li', {}, problemText(p)))),
    );
    return;
  }
  const body = answer.body;
  if (!body.valid) {
    out.replaceChildren(
      h('p', { class: 'error' }, t('problems')),
      h('ul', { class: 'problems' }, ...problemsOf(body).map((p) => h('li', {}, problemText(p)))),
    );
    return;
  }
  const results = body.result?.results ?? [];
  out.replaceChildren(
    h('p', { class: 'note' }, t('nothingSent')),
    ...(body.result && body.result.viewLoaded === false ? [h('p', { class: 'note' }, t('viewNotLoaded'))] : []),
    ...(results.length ? results.map(resultCard) : [h('p', { class: 'note' }, t('noResults'))]),
  );
  out.dataset.done = String(Date.now());
}

const MARK = { true: '✓', false: '✗', null: '—' };
/** How an event's type reads: by its kind's label. @returns {FieldSpec} */
const kindSpec = () => ({
  type: 'string',
  label: { zh: '事件', en: 'event' },
  valueLabels: Object.fromEntries(ui.catalog.kinds.map((k) => [k.type, k.label])),
});

/** One event tried: what it was, each condition as judged, what would be sent. @param {any} r */
function resultCard(r) {
  const e = r.event ?? {};
  const kind = ui.catalog.kinds.find((k) => k.type === e.type);
  const data = Object.entries(e.data ?? {}).map(([k, v]) => {
    const spec = kind?.fields[`event.${k}`];
    return `${say(spec?.label, k)}：${valueText(spec, v)}`;
  });
  return h(
    'div',
    { class: `result ${r.matched ? 'matched' : ''}`, 'data-matched': String(Boolean(r.matched)) },
    h(
      'div',
      { class: 'result-head' },
      h('strong', {}, kindLabel(e.type ?? '')),
      e.customerId ? h('span', {}, `${t('customer')} ${e.customerId}`) : null,
      e.at ? h('span', {}, when(e.at)) : null,
      h(
        'span',
        { class: `mark ${r.matched ? 'yes' : 'no'}` },
        r.matched ? `✓ ${t('matched')}` : `✗ ${t('notMatched')}`,
      ),
    ),
    data.length ? h('div', { class: 'note' }, `${t('data')}：${data.join(ui.lang === 'zh' ? '，' : ', ')}`) : null,
    h(
      'table',
      { class: 'conditions' },
      h('tr', {}, h('th', {}, t('condition')), h('th', {}, t('actual')), h('th', {}, t('held'))),
      ...(r.conditions ?? []).map((/** @type {any} */ c) => {
        const { text, spec } = conditionText(c);
        const held = c.held === true ? 'true' : c.held === false ? 'false' : 'null';
        return h(
          'tr',
          { 'data-held': held },
          h('td', {}, text),
          h('td', {}, c.factResult === undefined ? '' : valueText(spec, c.factResult)),
          h('td', { class: `mark ${held}` }, MARK[held]),
        );
      }),
    ),
    r.offer
      ? h(
          'div',
          { class: 'offer', 'data-offer': r.offer.offerCode },
          h('strong', {}, `${t('wouldSend')}：`),
          `${label('offer', r.offer.offerCode)} · ${label('ruleChannel', r.offer.channel)}`,
          h('div', { class: 'message-text' }, r.offer.message ?? ''),
        )
      : null,
  );
}

/**
 * A condition as judged by the dry run, in words: the field's label (from its path, in either spelling), or what a
 * history, dwell or time-window condition counts; the operator's label; the value with its labels.
 * @param {any} c @returns {{ text: string, spec: FieldSpec|undefined }}
 */
function conditionText(c) {
  const path = typeof c.path === 'string' ? c.path.replace(/^\$\./, '') : '';
  const op = c.operator ? say(ui.catalog.operatorLabels[c.operator], '') : '';
  const join = (/** @type {string[]} */ parts) => parts.filter(Boolean).join(' ');
  // The kinds the rule is on: the event's type among them.
  if (c.fact === 'event' && path === 'type') {
    const kinds = (Array.isArray(c.value) ? c.value : [c.value]).map((/** @type {unknown} */ k) =>
      kindLabel(String(k)),
    );
    return { text: join([t('event'), op, kinds.join(ui.lang === 'zh' ? '、' : ', ')]), spec: kindSpec() };
  }
  /** @type {string[]} */
  const candidates = [];
  if (c.fact === 'event') candidates.push(`event.${path.replace(/^data\./, '')}`);
  else if (c.fact === 'view') candidates.push(`customer.${path}`);
  if (path) candidates.push(path, `${c.fact}.${path}`);
  /** @type {FieldSpec|undefined} */
  let spec;
  for (const key of candidates) if ((spec = fieldSpec(key))) break;
  const value = c.value === undefined || c.value === true ? '' : valueText(spec, c.value);
  if (spec) return { text: join([say(spec.label), op, value]), spec };
  const facts = /** @type {Record<string, string>} */ ({ history: 'historyOf', dwell: 'dwellOf', during: 'duringOf' });
  const word = facts[String(c.fact)];
  const kind = c.params?.type ?? c.params?.event;
  const about = kind ? ` · ${kindLabel(String(kind))}` : '';
  const unit = c.fact === 'dwell' ? t('minutes') : '';
  if (c.fact === 'during') return { text: t('duringOf'), spec: undefined };
  return { text: join([word ? `${t(word)}${about}` : t('condition'), op, value, unit]), spec: undefined };
}
