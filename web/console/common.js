// @ts-check
/**
 * What every part of the console shares: the page's words in Chinese and English, the gateway's labels, local
 * times, building elements (text is always text, never markup), the calls to the marketing API with the person's
 * credential, and errors in plain words.
 */

/** @typedef {{ zh: string, en: string }} Label */
/**
 * @typedef {{ type: 'string'|'number'|'date'|'boolean'|'string[]', label: Label, values?: string[],
 *   valueLabels?: Record<string, Label>, unit?: string }} FieldSpec
 * @typedef {{ type: string, label: Label, source?: string, origin?: string, fields: Record<string, FieldSpec> }} EventKind
 * @typedef {{ kinds: EventKind[], view: Record<string, FieldSpec>, operators: Record<string, string[]>,
 *   operatorLabels: Record<string, Label>, calendar: string[], channels: string[] }} Catalog
 */

/** @type {Record<'zh'|'en', Record<string, string>>} */
const WORDS = {
  zh: {
    title: '营销控制台',
    signIn: '登录',
    signOut: '退出',
    credential: 'API 密钥或 JWT',
    demoConsumer: '演示账号（开发环境）',
    badCredential: '凭证无效或已过期，请重新登录',
    noAccess: '当前账号无权使用营销控制台。营销控制台供营销人员和审批人使用，请使用营销或管理员账号登录。',
    tabRules: '规则与活动',
    tabBuilder: '规则编辑',
    tabExceptions: '异常队列',
    tabReports: '效果报表',
    rules: '事件营销规则',
    campaigns: '营销活动',
    newRule: '新建规则',
    rule: '规则',
    state: '状态',
    origin: '来源',
    priority: '优先级',
    lastChange: '最后修改',
    content: '规则内容',
    actions: '操作',
    enabled: '启用',
    disabled: '停用',
    pending: '草稿待审批',
    edit: '编辑',
    history: '历史版本',
    publish: '审批发布',
    discard: '丢弃草稿',
    enable: '启用',
    disable: '停用',
    draftSays: '草稿',
    campaign: '活动',
    owner: '负责人',
    updated: '更新时间',
    noCampaigns: '暂无营销活动',
    audience: '目标受众',
    previewAudience: '预估受众',
    previewRefused: '无法预估：活动定义有误',
    audienceSize: '约 {count} 人（含对照组 {control} 人，数据批次 {batch}）；抽样 {targets} 人中可触达 {eligible} 人',
    noRules: '暂无规则',
    loading: '加载中…',
    published: '已发布',
    draftSaved: '草稿已保存，等待审批人发布',
    draftDiscarded: '草稿已丢弃',
    enabledDone: '规则已启用',
    disabledDone: '规则已停用',
    rolledBack: '已回滚到所选版本',
    // builder
    ruleId: '规则编号',
    description: '说明',
    onKinds: '触发事件',
    conditions: '触发条件',
    matchAll: '以下条件全部满足',
    matchAny: '以下条件任一满足',
    addField: '＋ 字段条件',
    addHistory: '＋ 历史次数',
    addDwell: '＋ 停留时长',
    addDuring: '＋ 时间窗口',
    addGroup: '＋ 条件组',
    addNotGroup: '＋ 排除条件组',
    remove: '删除',
    pickField: '请选择字段',
    historyOf: '历史次数',
    dwellOf: '停留时长',
    duringOf: '时间窗口',
    event: '事件',
    onlyWhere: '且满足',
    within: '时间范围',
    lastDays: '近 N 天',
    days: '天',
    count: '次数',
    minutes: '分钟',
    dates: '日期',
    addDates: '＋ 日期段',
    weekdays: '星期',
    hours: '时段',
    to: '至',
    not: '并非',
    yes: '是',
    no: '否',
    then: '推荐动作',
    offerCode: '推荐产品',
    channel: '渠道',
    message: '推送内容',
    offerKind: '推荐类型',
    sentence: '规则读作',
    sentencePending: '请选择触发事件并添加条件',
    problems: '需要修改',
    dryRun: '试运行',
    dryRunHint: '对一位客户试运行（不会发送任何消息）',
    customerOrMsisdn: '客户编号或手机号',
    lastEvents: '最近真实事件条数（可选）',
    run: '试运行',
    saveDraft: '保存为草稿',
    backToList: '返回列表',
    matched: '命中',
    notMatched: '未命中',
    wouldSend: '将发送',
    nothingSent: '（试运行，未发送任何消息）',
    noResults: '没有可试运行的事件',
    condition: '条件',
    held: '结果',
    actual: '实际值',
    customer: '客户',
    at: '时间',
    data: '事件内容',
    viewNotLoaded: '未读取客户视图（事件条件未满足）',
    // history
    historyOf2: '版本历史',
    version: '版本',
    by: '修改人',
    kindDraft: '草稿',
    kindRule: '已发布版本',
    compare: '对比',
    rollback: '回滚到此版本',
    diff: '版本差异',
    before: '旧版本',
    after: '新版本',
    where: '位置',
    oldValue: '旧值',
    newValue: '新值',
    noDiff: '两个版本内容相同',
    noHistory: '该规则没有版本历史（配置文件中的规则）',
    absent: '（无）',
    draftClosed: '草稿已关闭（已发布或已丢弃）',
    ruleRemoved: '规则已删除（恢复为配置文件中的规则）',
    close: '关闭',
    // exceptions
    exceptions: '异常队列',
    cause: '原因',
    allStates: '全部状态',
    allCauses: '全部原因',
    detail: '说明',
    assignee: '处理人',
    assign: '分派',
    resolve: '解决',
    resolution: '处理结果',
    resolvedBy: '解决人',
    noExceptions: '没有符合条件的异常',
    more: '更多',
    assigned: '已分派',
    resolvedDone: '已解决',
    // reports
    reports: '效果报表',
    since: '统计范围',
    last7: '近7天',
    last30: '近30天',
    last90: '近90天',
    offersFunnel: '推荐转化漏斗',
    byChannel: '按渠道',
    byOffer: '按产品',
    sent: '已发送',
    responded: '已响应',
    accepted: '已接受',
    declined: '已拒绝',
    ordered: '已订购',
    conversion: '转化率',
    campaignReport: '活动报表',
    pickCampaign: '请选择活动',
    selected: '入选',
    control: '对照组',
    targets: '目标客户',
    eligible: '符合条件',
    lift: '提升',
    noData: '暂无数据',
    chartsUnavailable: '图表组件加载失败，仅显示数据表',
  },
  en: {
    title: 'Marketing console',
    signIn: 'Sign in',
    signOut: 'Sign out',
    credential: 'API key or JWT',
    demoConsumer: 'Demo consumer (development)',
    badCredential: 'Credential refused or expired: sign in again',
    noAccess:
      'This account may not use the marketing console. It is for marketing staff and approvers: sign in with a marketing or admin account.',
    tabRules: 'Rules and campaigns',
    tabBuilder: 'Rule editor',
    tabExceptions: 'Exception queue',
    tabReports: 'Reports',
    rules: 'Event marketing rules',
    campaigns: 'Campaigns',
    newRule: 'New rule',
    rule: 'Rule',
    state: 'State',
    origin: 'Origin',
    priority: 'Priority',
    lastChange: 'Last change',
    content: 'What it does',
    actions: 'Actions',
    enabled: 'On',
    disabled: 'Off',
    pending: 'Draft awaiting approval',
    edit: 'Edit',
    history: 'History',
    publish: 'Approve and publish',
    discard: 'Discard draft',
    enable: 'Switch on',
    disable: 'Switch off',
    draftSays: 'Draft',
    campaign: 'Campaign',
    owner: 'Owner',
    updated: 'Updated',
    noCampaigns: 'No campaigns yet',
    audience: 'Audience',
    previewAudience: 'Preview audience',
    previewRefused: 'Cannot preview: the campaign definition has problems',
    audienceSize:
      'about {count} customers ({control} in the control group, batch {batch}); {eligible} of a sample of {targets} reachable now',
    noRules: 'No rules yet',
    loading: 'Loading…',
    published: 'Published',
    draftSaved: 'Draft saved: an approver publishes it',
    draftDiscarded: 'Draft discarded',
    enabledDone: 'Rule switched on',
    disabledDone: 'Rule switched off',
    rolledBack: 'Rolled back to the version chosen',
    ruleId: 'Rule id',
    description: 'Description',
    onKinds: 'Triggered by',
    conditions: 'Conditions',
    matchAll: 'All of these hold',
    matchAny: 'Any of these holds',
    addField: '+ Field',
    addHistory: '+ Count in history',
    addDwell: '+ Time spent',
    addDuring: '+ Time window',
    addGroup: '+ Group',
    addNotGroup: '+ None of these',
    remove: 'Remove',
    pickField: 'Pick a field',
    historyOf: 'Count in history',
    dwellOf: 'Time spent',
    duringOf: 'Time window',
    event: 'Event',
    onlyWhere: 'where',
    within: 'Within',
    lastDays: 'last N days',
    days: 'days',
    count: 'count',
    minutes: 'minutes',
    dates: 'Dates',
    addDates: '+ Dates',
    weekdays: 'Days',
    hours: 'Hours',
    to: 'to',
    not: 'not',
    yes: 'yes',
    no: 'no',
    then: 'Then',
    offerCode: 'Offer',
    channel: 'Channel',
    message: 'Message',
    offerKind: 'Kind',
    sentence: 'The rule reads',
    sentencePending: 'Pick the events and add conditions',
    problems: 'To correct',
    dryRun: 'Dry run',
    dryRunHint: 'Try it on a customer (nothing is sent)',
    customerOrMsisdn: 'Customer id or mobile number',
    lastEvents: 'Last real events (optional)',
    run: 'Dry run',
    saveDraft: 'Save as draft',
    backToList: 'Back to the list',
    matched: 'matched',
    notMatched: 'not matched',
    wouldSend: 'Would send',
    nothingSent: '(dry run: nothing was sent)',
    noResults: 'No event to try',
    condition: 'Condition',
    held: 'Held',
    actual: 'Actual',
    customer: 'Customer',
    at: 'When',
    data: 'Event data',
    viewNotLoaded: 'Customer view not read (the event conditions did not hold)',
    historyOf2: 'Version history',
    version: 'Version',
    by: 'By',
    kindDraft: 'Draft',
    kindRule: 'Published',
    compare: 'Compare',
    rollback: 'Roll back to this version',
    diff: 'Differences',
    before: 'Older',
    after: 'Newer',
    where: 'Where',
    oldValue: 'Before',
    newValue: 'After',
    noDiff: 'The two versions are the same',
    noHistory: 'This rule has no history (a configured rule)',
    absent: '(none)',
    draftClosed: 'Draft closed (published or discarded)',
    ruleRemoved: 'Rule removed (the configured one applies again)',
    close: 'Close',
    exceptions: 'Exception queue',
    cause: 'Cause',
    allStates: 'Every state',
    allCauses: 'Every cause',
    detail: 'Detail',
    assignee: 'Assignee',
    assign: 'Assign',
    resolve: 'Resolve',
    resolution: 'Resolution',
    resolvedBy: 'Resolved by',
    noExceptions: 'No exception matches',
    more: 'More',
    assigned: 'Assigned',
    resolvedDone: 'Resolved',
    reports: 'Reports',
    since: 'Period',
    last7: 'Last 7 days',
    last30: 'Last 30 days',
    last90: 'Last 90 days',
    offersFunnel: 'Offer funnel',
    byChannel: 'By channel',
    byOffer: 'By offer',
    sent: 'Sent',
    responded: 'Responded',
    accepted: 'Accepted',
    declined: 'Declined',
    ordered: 'Ordered',
    conversion: 'Conversion',
    campaignReport: 'Campaign report',
    pickCampaign: 'Pick a campaign',
    selected: 'Selected',
    control: 'Control',
    targets: 'Targets',
    eligible: 'Eligible',
    lift: 'Lift',
    noData: 'No data yet',
    chartsUnavailable: 'Charts could not be loaded: the tables show the figures',
  },
};

/** The person's language: Chinese unless they chose English. */
export const ui = {
  lang: /** @type {'zh'|'en'} */ (localStorage.getItem('console.lang') === 'en' ? 'en' : 'zh'),
  /** The gateway's label catalog (`GET /labels`), by domain. @type {Record<string, Record<string, Label>>} */
  domains: {},
  /** The marketing catalog (`GET /marketing/console/catalog`): event kinds, view fields, operators. @type {Catalog} */
  catalog: { kinds: [], view: {}, operators: {}, operatorLabels: {}, calendar: [], channels: [] },
  /** What the signed-in role may do (`GET /marketing/console/me`): approvers' actions are not offered to others. */
  may: { draft: true, dryRun: true, disable: true, publish: true, enable: true, rollback: true },
};

/** A word of the page in the person's language. */
export const t = (/** @type {string} */ key) => WORDS[ui.lang][key] ?? key;
/** One of a pair of labels, in the person's language. @param {Label|undefined|null} pair @param {string} [fallback] */
export const say = (pair, fallback = '') => (pair ? (pair[ui.lang] ?? pair.zh) : fallback);

/** A code's label from the gateway's catalog; the code itself only when the catalog does not know it. */
export function label(/** @type {string} */ domain, /** @type {unknown} */ value) {
  if (value === null || value === undefined) return '';
  const code = String(value);
  const labels = ui.domains[domain];
  return labels && Object.hasOwn(labels, code) ? say(labels[code], code) : code;
}

/** An event kind's name for people. */
export function kindLabel(/** @type {string} */ type) {
  const kind = ui.catalog.kinds.find((k) => k.type === type);
  return kind ? say(kind.label, type) : type;
}

/** Every field a condition may test on events of `kinds` and on the customer's view, with its spec. */
export function fieldSpec(/** @type {string} */ field) {
  for (const kind of ui.catalog.kinds) if (Object.hasOwn(kind.fields, field)) return kind.fields[field];
  return Object.hasOwn(ui.catalog.view, field) ? ui.catalog.view[field] : undefined;
}

/** A value as people read it: the field's value labels, yes/no, numbers with their unit. @param {FieldSpec|undefined} spec @param {unknown} value @returns {string} */
export function valueText(spec, value) {
  if (Array.isArray(value)) return value.map((v) => valueText(spec, v)).join(ui.lang === 'zh' ? '、' : ', ');
  if (typeof value === 'boolean') return value ? t('yes') : t('no');
  if (value === null || value === undefined) return '';
  const code = String(value);
  const labelled = spec?.valueLabels?.[code] ?? anyLabel(code);
  if (labelled) return say(labelled);
  return spec?.unit && typeof value === 'number' ? `${code} ${spec.unit}` : code;
}

/**
 * A code the field does not label itself (a product held, say, that its values do not list): the gateway's catalog
 * names it, offers first.
 * @param {string} code @returns {Label|undefined}
 */
function anyLabel(code) {
  if (!/^[A-Z][A-Z0-9_-]+$/.test(code)) return undefined;
  const domains = ui.domains;
  if (domains.offer && Object.hasOwn(domains.offer, code)) return domains.offer[code];
  for (const labels of Object.values(domains)) if (Object.hasOwn(labels, code)) return labels[code];
  return undefined;
}

/** Every time is shown in the operator's zone, in one form: 2026-11-22 14:05. */
const TIME_FORMAT = new Intl.DateTimeFormat('en-CA', {
  timeZone: 'Asia/Shanghai',
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
/** @param {string|number|Date|null|undefined} value */
export function when(value) {
  if (value === null || value === undefined || value === '') return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const parts = Object.fromEntries(TIME_FORMAT.formatToParts(date).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}

/**
 * Builds an element: h('td', { class: 'x' }, 'text', child). Text is always set as text, never as HTML, so data
 * from a backend can never become markup.
 * @param {string} tag @param {Record<string, string>} [attrs] @param {...(Node|string|number|null|undefined|false)} children
 */
export function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children)
    if (c !== null && c !== undefined && c !== false) el.append(typeof c === 'object' ? c : String(c));
  return el;
}

/** A button that runs `action` when clicked. @param {string} text @param {() => unknown} action @param {Record<string, string>} [attrs] */
export function button(text, action, attrs = {}) {
  const el = h('button', { type: 'button', ...attrs }, text);
  el.addEventListener('click', () => void action());
  return el;
}

/** A select of `options` ([value, text]), `selected` chosen. @param {Array<[string, string]>} options @param {string} selected @param {Record<string, string>} [attrs] */
export function select(options, selected, attrs = {}) {
  const el = /** @type {HTMLSelectElement} */ (h('select', attrs));
  for (const [value, text] of options) {
    const option = /** @type {HTMLOptionElement} */ (h('option', { value }, text));
    if (value === selected) option.selected = true;
    el.append(option);
  }
  return el;
}

// ---- calls ---------------------------------------------------------------------------------------------------
export const credential = () => sessionStorage.getItem('console.credential') ?? '';
/** A JWT is sent as a bearer token, anything else as an API key. @returns {Record<string, string>} */
function authHeaders() {
  const c = credential();
  return /^[\w-]+\.[\w-]+\.[\w-]*$/.test(c) ? { authorization: `Bearer ${c}` } : { 'x-api-key': c };
}

/** @typedef {{ status: number, body: any }} Answer */
/** What to do when the gateway refuses the credential: set by the page (sign out and say why). */
export const onUnauthenticated = { handler: () => {} };

/**
 * Calls the gateway with the person's credential: the status and the JSON body. A network failure is status 0 with
 * a body in the catalog's error form, so every caller handles one shape.
 * @param {string} method @param {string} path @param {unknown} [body] @returns {Promise<Answer>}
 */
export async function api(method, path, body) {
  /** @type {Record<string, string>} */
  const headers = { accept: 'application/json', ...authHeaders() };
  if (body !== undefined) headers['content-type'] = 'application/json';
  try {
    const res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
    });
    const json = await res.json().catch(() => ({ errors: [{ message: '', extensions: { code: 'BAD_RESPONSE' } }] }));
    if (res.status === 401) onUnauthenticated.handler();
    return { status: res.status, body: json };
  } catch {
    return { status: 0, body: { errors: [{ message: '', extensions: { code: 'NETWORK' } }] } };
  }
}

/** The catalog's error codes, in plain words. */
const ERRORS = {
  zh: {
    UNAUTHENTICATED: '凭证无效或已过期，请重新登录',
    FORBIDDEN: '当前账号无权执行此操作',
    FOUR_EYES: '发布需由起草人以外的审批人完成（四眼原则）',
    DEFINITION_REFUSED: '规则有误，未保存',
    DEFINITION_NOT_FOUND: '未找到该规则或版本',
    DEFINITION_CONFLICT: '规则已被他人修改，请刷新后重试',
    STORE_UNAVAILABLE: '存储暂不可用，未做任何更改，请稍后重试',
    BAD_REQUEST: '输入有误',
    BAD_USER_INPUT: '输入有误',
    ROUTE_NOT_FOUND: '该功能尚未开通',
    EXCEPTION_RESOLVED: '该异常已解决，不能再修改',
    EXCEPTION_NOT_FOUND: '未找到该异常',
    CAMPAIGN_NOT_FOUND: '该活动尚未启动，暂无报表',
    CAMPAIGN_STATE: '活动当前状态不允许此操作',
    RATE_LIMITED: '请求过于频繁，请稍后再试',
    NETWORK: '无法连接网关，请检查网络',
    INTERNAL_SERVER_ERROR: '网关内部错误，请稍后再试',
    other: '操作失败',
  },
  en: {
    UNAUTHENTICATED: 'Credential refused or expired: sign in again',
    FORBIDDEN: 'This account may not do that',
    FOUR_EYES: 'An approver other than the draft’s author must publish it (four eyes)',
    DEFINITION_REFUSED: 'The rule has problems: not saved',
    DEFINITION_NOT_FOUND: 'No such rule or version',
    DEFINITION_CONFLICT: 'Someone changed the rule meanwhile: reload and try again',
    STORE_UNAVAILABLE: 'The store cannot be reached: nothing was changed, try again',
    BAD_REQUEST: 'Something in the input is wrong',
    BAD_USER_INPUT: 'Something in the input is wrong',
    ROUTE_NOT_FOUND: 'Not available yet',
    EXCEPTION_RESOLVED: 'That exception is resolved already',
    EXCEPTION_NOT_FOUND: 'No such exception',
    CAMPAIGN_NOT_FOUND: 'The campaign has not been launched: no report yet',
    CAMPAIGN_STATE: 'The campaign’s state does not allow that',
    RATE_LIMITED: 'Too many requests: try again in a moment',
    NETWORK: 'The gateway cannot be reached',
    INTERNAL_SERVER_ERROR: 'The gateway failed: try again later',
    other: 'It did not work',
  },
};

/** The code of a refusal (the catalog's), or '' for a success. @param {Answer} answer */
export const codeOf = (answer) =>
  answer.status >= 200 && answer.status < 300 ? '' : (answer.body?.errors?.[0]?.extensions?.code ?? 'other');

/** A refusal in plain words, with the gateway's own sentence in English (it names what to change). @param {Answer} answer */
export function errorText(answer) {
  const code = codeOf(answer);
  const words = ERRORS[ui.lang];
  const plain = /** @type {Record<string, string>} */ (words)[code] ?? words.other;
  const message = answer.body?.errors?.[0]?.message;
  return ui.lang === 'en' && message && code !== 'NETWORK' ? `${plain}: ${message}` : plain;
}

/** The problems of a refusal, or of a sentence or dry-run answer. @param {any} body @returns {Array<{path: string, message: string, expected?: unknown, given?: unknown}>} */
export const problemsOf = (body) => body?.problems ?? body?.errors?.[0]?.extensions?.problems ?? [];

/** Where a definition's path points, in words: `when.all.1.value` → 条件 2 · 值. @param {string|Array<string|number>} path */
export function placeText(path) {
  const parts = Array.isArray(path) ? path.map(String) : String(path).split('.');
  /** @type {Record<'zh'|'en', Record<string, string>>} */
  const NAMES = {
    zh: {
      id: '规则编号',
      description: '说明',
      priority: '优先级',
      enabled: '启用',
      on: '触发事件',
      when: '触发条件',
      then: '推荐动作',
      offerCode: '推荐产品',
      channel: '渠道',
      message: '推送内容',
      kind: '推荐类型',
      field: '字段',
      operator: '运算',
      value: '值',
      history: '历史次数',
      dwell: '停留时长',
      during: '时间窗口',
      where: '限定条件',
      within: '时间范围',
      event: '事件',
      days: '天数',
      calendar: '日历周期',
      dates: '日期',
      from: '开始',
      to: '结束',
      start: '开始时间',
      end: '结束时间',
      not: '并非',
      input: '试运行',
      customerId: '客户编号',
      msisdn: '手机号',
      lastEvents: '事件条数',
    },
    en: {},
  };
  const out = [];
  for (let i = 0; i < parts.length; i++) {
    const part = parts[i] ?? '';
    const next = parts[i + 1];
    if ((part === 'all' || part === 'any') && next !== undefined && /^\d+$/.test(next)) {
      out.push(ui.lang === 'zh' ? `条件${Number(next) + 1}` : `condition ${Number(next) + 1}`);
      i++;
    } else if (/^\d+$/.test(part)) out.push(`${Number(part) + 1}`);
    else out.push(NAMES[ui.lang][part] ?? part);
  }
  return out.join(' · ');
}

/** A problem in plain words: where, then the gateway's sentence (what was expected and given). @param {{path?: unknown, message?: string}} p */
export const problemText = (p) => {
  const where = p.path === undefined || p.path === '' ? '' : placeText(/** @type {any} */ (p.path));
  return where ? `${where}${ui.lang === 'zh' ? '：' : ': '}${p.message ?? ''}` : (p.message ?? '');
};

/** Tells the person what just happened (or went wrong), in the page's one message line. @param {string} text @param {'ok'|'error'} [kind] */
export function notify(text, kind = 'ok') {
  const line = /** @type {HTMLElement} */ (document.getElementById('message'));
  line.textContent = text;
  line.className = `message ${kind}`;
  line.dataset.kind = kind;
}
