// @ts-check
/**
 * The front-desk screen: a customer 360 page for business-hall and call-center agents. It calls only the public
 * GraphQL endpoint, as any consumer would, with the agent's credential; what the role may not see is absent or
 * masked by the gateway, never hidden here. No framework and no build: one module, a strict CSP, no network access
 * outside the gateway.
 */

/**
 * The page's GraphQL operations, in one file the gateway reads too: it trusts them by their text (its trusted
 * documents), so the page keeps working where the gateway runs only registered operations.
 */
import OPERATIONS from './operations.json' with { type: 'json' };

const BY_ID = OPERATIONS.DeskById;
const RECORD = OPERATIONS.DeskRecord;
const BY_MSISDN = OPERATIONS.DeskByMsisdn;
const STEERING = OPERATIONS.DeskSteering;
const CONTACT_TIME = OPERATIONS.DeskContactTime;
const TASKS = OPERATIONS.DeskCallbackTasks;
const CLOSE_TASK = OPERATIONS.DeskCloseCallbackTask;

/** @type {Record<'zh'|'en', Record<string, string>>} */
const LABELS = {
  zh: {
    title: '客户360',
    search: '查询',
    searchPlaceholder: '手机号或客户编号，回车查询',
    signIn: '登录',
    signOut: '退出',
    credential: 'API 密钥或 JWT',
    demoConsumer: '演示账号（开发环境）',
    badCredential: '凭证无效或已过期',
    profile: '基本信息',
    products: '已订产品',
    billing: '账务',
    insights: '客户洞察',
    score: '信用与定位',
    recommendations: '推荐营销',
    contacts: '接触记录',
    care: '风险与关怀提示',
    steer: '服务渠道引导',
    name: '姓名',
    productName: '产品名称',
    category: '类别',
    msisdn: '手机号',
    idCardNumber: '证件号',
    address: '地址',
    email: '邮箱',
    region: '地区',
    status: '状态',
    type: '类型',
    customerSince: '入网日期',
    lifestyle: '生活方式',
    balance: '余额',
    creditLimit: '信用额度',
    currentCharges: '本月实时话费',
    bills: '近6期账单',
    paymentBehaviour: '缴费行为',
    onTimeRatio: '按时缴费率',
    averageDaysLate: '平均逾期天数',
    arpu: '近3月ARPU',
    usageMix: '使用构成',
    tags: '标签',
    segment: '细分群体',
    churnProbability: '流失概率',
    lifetimeValue: '生命周期价值',
    channelPreferences: '渠道偏好',
    batchDate: '数仓批次日期',
    creditScore: '信用分',
    creditGrade: '信用等级',
    valueTier: '价值层级',
    positioning: '客户定位',
    orderedOn: '订购日期',
    monthlyFee: '月费',
    reason: '推荐理由',
    propensity: '响应倾向',
    accepted: '接受',
    declined: '拒绝',
    callback: '约定回访',
    channel: '渠道',
    at: '时间',
    outcome: '结果',
    who: '经办',
    offer: '推荐产品',
    withheld: '暂不推荐',
    suspended: '客户已停机',
    arrears: '欠费',
    overdueDays: '逾期',
    days: '天',
    lowCredit: '信用等级低',
    highChurn: '流失风险高',
    openComplaint: '有未结投诉',
    notInBatch: '尚未进入夜间批次',
    nextBatch: '下次批次',
    tonight: '今夜',
    noBillingAccount: '无计费账户',
    notKnownBy: '该系统无此客户记录',
    stillShown: '仍显示',
    copyFrom: '显示的是',
    askedAt: '查询时间',
    noCopy: '无缓存副本',
    ago: '前',
    minutes: '分钟',
    hours: '小时',
    seconds: '秒',
    data: '数据',
    voice: '语音',
    local: '本地',
    longDistance: '长途',
    FORBIDDEN: '无权限',
    age: '数据时长',
    missing: '暂无法获取',
    notPermitted: '当前角色无权查看',
    notFound: '未找到该客户',
    loading: '查询中…',
    answeredIn: '用时',
    guide: '服务引导与回访',
    service: '办理业务',
    steerTo: '建议引导至',
    bestTime: '最佳联系时间',
    nextCallback: '建议回访时间',
    notOffered: '此环境未提供',
    none: '无',
    recordUnavailable: '接触记录功能尚未开通',
    recordFailed: '记录失败',
    recordForbidden: '当前角色无权记录接触',
    callbacks: '回访任务',
    dueAt: '应回访',
    fromCampaign: '来自营销活动',
    fromRule: '来自营销规则',
    noTasks: '暂无待回访任务',
    openCustomer: '查看客户',
    REACHED_ACCEPTED: '已回访·接受',
    REACHED_DECLINED: '已回访·拒绝',
    NOT_REACHED: '未接通',
    closeFailed: '关闭失败，请重试',
  },
  en: {
    title: 'Customer 360',
    search: 'Search',
    searchPlaceholder: 'Mobile number or customer id, then Enter',
    signIn: 'Sign in',
    signOut: 'Sign out',
    credential: 'API key or JWT',
    demoConsumer: 'Demo consumer (development)',
    badCredential: 'Credential refused or expired',
    profile: 'Profile',
    products: 'Products held',
    billing: 'Billing',
    insights: 'Insights',
    score: 'Credit and positioning',
    recommendations: 'Recommended offers',
    contacts: 'Contact trail',
    care: 'Risk and care',
    steer: 'Channel steering',
    name: 'Name',
    productName: 'Product',
    category: 'Category',
    msisdn: 'Mobile',
    idCardNumber: 'ID card',
    address: 'Address',
    email: 'Email',
    region: 'Region',
    status: 'Status',
    type: 'Type',
    customerSince: 'Customer since',
    lifestyle: 'Lifestyle',
    balance: 'Balance',
    creditLimit: 'Credit limit',
    currentCharges: 'Charges this month',
    bills: 'Last 6 bills',
    paymentBehaviour: 'Payment behaviour',
    onTimeRatio: 'Paid on time',
    averageDaysLate: 'Average days late',
    arpu: 'ARPU, last 3 months',
    usageMix: 'Usage mix',
    tags: 'Tags',
    segment: 'Segment',
    churnProbability: 'Churn risk',
    lifetimeValue: 'Lifetime value',
    channelPreferences: 'Channel preferences',
    batchDate: 'Warehouse batch',
    creditScore: 'Credit score',
    creditGrade: 'Grade',
    valueTier: 'Value tier',
    positioning: 'Positioning',
    orderedOn: 'Ordered on',
    monthlyFee: 'Monthly fee',
    reason: 'Why',
    propensity: 'Propensity',
    accepted: 'Accepted',
    declined: 'Declined',
    callback: 'Call back',
    channel: 'Channel',
    at: 'When',
    outcome: 'Outcome',
    who: 'Handled by',
    offer: 'Offer',
    withheld: 'Withheld',
    suspended: 'Line suspended',
    arrears: 'In arrears',
    overdueDays: 'overdue',
    days: 'days',
    lowCredit: 'Low credit grade',
    highChurn: 'High churn risk',
    openComplaint: 'Open complaint',
    notInBatch: 'Not yet in the nightly batch',
    nextBatch: 'next batch',
    tonight: 'tonight',
    noBillingAccount: 'No billing account',
    notKnownBy: 'This system has no record of the customer',
    stillShown: 'still shown',
    copyFrom: 'showing data from',
    askedAt: 'asked at',
    noCopy: 'no cached copy',
    ago: 'ago',
    minutes: 'min',
    hours: 'h',
    seconds: 's',
    data: 'data',
    voice: 'voice',
    local: 'local',
    longDistance: 'long distance',
    FORBIDDEN: 'not permitted',
    age: 'age',
    missing: 'cannot be shown now',
    notPermitted: 'Your role may not see this section',
    notFound: 'No such customer',
    loading: 'Searching…',
    answeredIn: 'answered in',
    guide: 'Steering and callbacks',
    service: 'Service asked for',
    steerTo: 'Steer to the',
    bestTime: 'Best time to contact',
    nextCallback: 'Next good time to call back',
    notOffered: 'not offered here',
    none: 'none',
    recordUnavailable: 'Recording contacts is not available yet',
    recordFailed: 'not recorded',
    recordForbidden: 'your role may not record contacts',
    callbacks: 'Callback tasks',
    dueAt: 'due',
    fromCampaign: 'from campaign',
    fromRule: 'from rule',
    noTasks: 'No callbacks to make',
    openCustomer: 'Open customer',
    REACHED_ACCEPTED: 'Called · accepted',
    REACHED_DECLINED: 'Called · declined',
    NOT_REACHED: 'Not reached',
    closeFailed: 'Not closed; try again',
  },
};

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
let lang = /** @type {'zh'|'en'} */ (localStorage.getItem('desk.lang') === 'en' ? 'en' : 'zh');
const t = (/** @type {string} */ key) => LABELS[lang][key] ?? key;

/**
 * @typedef {{ zh: string, en: string }} Label
 * @typedef {{ domains: Record<string, Record<string, Label>>, risk: { lowCreditGrades: string[], highChurnProbability: number, openComplaintOutcomes: string[] } }} Catalog
 */
/**
 * The gateway's label catalog (`GET /labels`): every code's Chinese and English label, the one list the schema and
 * SOAP's WSDL share, with the care rules. Fetched once at start (the browser keeps it and revalidates it by its
 * ETag); a view is drawn once it is here. Without it, codes show as they are.
 * @type {Catalog}
 */
let CATALOG = {
  domains: {},
  risk: { lowCreditGrades: ['C'], highChurnProbability: 0.6, openComplaintOutcomes: ['PENDING', 'ESCALATED'] },
};
const catalogLoaded = fetch('/labels', { headers: { accept: 'application/json' } })
  .then((res) => (res.ok ? res.json() : null))
  .then((catalog) => {
    if (catalog?.domains) CATALOG = catalog;
  })
  .catch(() => undefined);

/** A code's label in the agent's language, from the catalog; the code itself when the catalog does not know it. */
function label(/** @type {string} */ domain, /** @type {unknown} */ value) {
  if (value === null || value === undefined) return '';
  const code = String(value);
  const labels = CATALOG.domains[domain];
  return labels && Object.hasOwn(labels, code) ? (labels[code]?.[lang] ?? code) : code;
}

/** Text in brackets, as each language writes them. */
const bracket = (/** @type {string} */ text) => (lang === 'zh' ? `（${text}）` : ` (${text})`);
const listed = (/** @type {string[]} */ items) => items.join(lang === 'zh' ? '、' : ', ');

/** Every time is shown in the operator's zone, in one form: 2026-11-22 14:05. */
const ZONE = 'Asia/Shanghai';
const TIME_FORMAT = new Intl.DateTimeFormat('en-CA', {
  timeZone: ZONE,
  year: 'numeric',
  month: '2-digit',
  day: '2-digit',
  hour: '2-digit',
  minute: '2-digit',
  hourCycle: 'h23',
});
/** @param {string|number|Date|null|undefined} value */
function when(value) {
  if (value === null || value === undefined) return '';
  const date = new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  const parts = Object.fromEntries(TIME_FORMAT.formatToParts(date).map((p) => [p.type, p.value]));
  return `${parts.year}-${parts.month}-${parts.day} ${parts.hour}:${parts.minute}`;
}
/** Today's date in the operator's zone. */
const today = () => when(Date.now()).slice(0, 10);

/**
 * Builds an element: h('td', { class: 'x' }, 'text', child). Text is always set as text, never as HTML, so data
 * from a backend can never become markup.
 * @param {string} tag @param {Record<string, string>} [attrs] @param {...(Node|string|number|null|undefined)} children
 */
function h(tag, attrs = {}, ...children) {
  const el = document.createElement(tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, v);
  for (const c of children) if (c !== null && c !== undefined) el.append(typeof c === 'object' ? c : String(c));
  return el;
}
/** @param {string} tag @param {Record<string, string|number>} attrs */
function svg(tag, attrs) {
  const el = document.createElementNS('http://www.w3.org/2000/svg', tag);
  for (const [k, v] of Object.entries(attrs)) el.setAttribute(k, String(v));
  return el;
}

// ---- credentials -------------------------------------------------------------------------------------------
const credential = () => sessionStorage.getItem('desk.credential') ?? '';
/** A JWT is sent as a bearer token, anything else as an API key. @returns {Record<string, string>} */
function authHeaders() {
  const c = credential();
  return /^[\w-]+\.[\w-]+\.[\w-]*$/.test(c) ? { authorization: `Bearer ${c}` } : { 'x-api-key': c };
}

/** @param {string} query @param {Record<string, unknown>} variables */
async function graphql(query, variables) {
  const res = await fetch('/graphql', {
    method: 'POST',
    headers: {
      'content-type': 'application/json',
      accept: 'application/graphql-response+json, application/json',
      ...authHeaders(),
    },
    body: JSON.stringify({ query, variables }),
  });
  const body = await res
    .json()
    .catch(() => ({ errors: [{ message: `HTTP ${res.status}`, extensions: { code: 'BAD_RESPONSE' } }] }));
  return { status: res.status, body };
}

// ---- rendering ---------------------------------------------------------------------------------------------
const money = (/** @type {unknown} */ v) => (v === null || v === undefined ? '' : `¥${Number(v).toFixed(2)}`);
const pct = (/** @type {number} */ v) => `${Math.round(v * 100)}%`;
/** How old data is, in the agent's words: "12分钟" / "12 min". */
function ago(/** @type {number|null} */ ms) {
  if (ms === null || ms === undefined) return '';
  const space = lang === 'zh' ? '' : ' ';
  if (ms < 60_000) return `${Math.max(1, Math.round(ms / 1000))}${space}${t('seconds')}`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)}${space}${t('minutes')}`;
  return `${Math.round(ms / 3_600_000)}${space}${t('hours')}`;
}

/** The last `n` monthly items, oldest first, whatever order the source sent them in. @template {{ month: string }} T @param {T[]} items @param {number} n */
const latest = (items, n) => [...items].sort((a, b) => a.month.localeCompare(b.month)).slice(-n);

/** @param {Array<[string, unknown]>} rows */
const dl = (rows) =>
  h(
    'dl',
    {},
    ...rows.flatMap(([k, v]) =>
      v === null || v === undefined ? [] : [h('dt', {}, t(k)), h('dd', {}, /** @type {any} */ (v))],
    ),
  );

/** A small bar chart of the last bills, unpaid ones marked. @param {Array<{month: string, amount: string, status?: string}>} items */
function barChart(items) {
  const W = 260,
    H = 90,
    max = Math.max(1, ...items.map((i) => Number(i.amount)));
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'data-chart': 'bills' });
  const bw = W / Math.max(1, items.length);
  items.forEach((item, i) => {
    const bh = (Number(item.amount) / max) * (H - 28);
    const rect = svg('rect', {
      class: `bar ${item.status ?? ''}`,
      x: i * bw + 4,
      y: H - 16 - bh,
      width: bw - 8,
      height: bh,
    });
    const title = svg('title', {});
    title.textContent = `${item.month} ${money(item.amount)} ${label('billStatus', item.status)}`;
    rect.append(title);
    const month = svg('text', { x: i * bw + 4, y: H - 4 });
    month.textContent = item.month.slice(2);
    const value = svg('text', { x: i * bw + 4, y: H - 19 - bh });
    value.textContent = String(Math.round(Number(item.amount)));
    chart.append(rect, month, value);
  });
  return chart;
}

/** A line of the ARPU trend. @param {Array<{month: string, amount: string}>} items */
function lineChart(items) {
  const W = 260,
    H = 80,
    values = items.map((i) => Number(i.amount));
  const max = Math.max(...values),
    min = Math.min(...values),
    span = Math.max(1, max - min);
  const x = (/** @type {number} */ i) => 30 + (i * (W - 80)) / Math.max(1, items.length - 1);
  const y = (/** @type {number} */ v) => 10 + (1 - (v - min) / span) * (H - 34);
  const chart = svg('svg', { viewBox: `0 0 ${W} ${H}`, role: 'img', 'data-chart': 'arpu' });
  chart.append(svg('polyline', { points: values.map((v, i) => `${x(i)},${y(v)}`).join(' ') }));
  items.forEach((item, i) => {
    const point = svg('text', { x: x(i) - 22, y: H - 4 });
    point.textContent = `${item.month.slice(2)} ${Math.round(Number(item.amount))}`;
    chart.append(point, svg('circle', { cx: x(i), cy: y(Number(item.amount)), r: 3 }));
  });
  return chart;
}

/**
 * The badge of a section, from the provenance of the source that serves it.
 * @param {any} status
 */
function badge(status) {
  if (!status) return null;
  const age =
    status.ageMs !== null && status.ageMs !== undefined && status.status !== 'LIVE' ? ` ${ago(status.ageMs)}` : '';
  const why = status.reason ? ` · ${label('sourceReason', status.reason)}` : '';
  return h(
    'span',
    { class: `badge ${status.status}`, 'data-badge': status.status, title: when(status.fetchedAt) },
    `${label('source', status.source)} · ${label('sourceState', status.status)}${age}${why}`,
  );
}

/** "12分钟前" / "12 min ago". @param {number|null} ms */
const agoText = (ms) => (lang === 'zh' ? `${ago(ms)}${t('ago')}` : `${ago(ms)} ${t('ago')}`);

/** The sections a view can hold, in the order they are drawn. */
const SECTIONS = ['profile', 'contacts', 'billing', 'score', 'recommendations', 'products', 'insights'];

/**
 * What a section's absence means for the agent. "Not found" from its system is a business answer, shown as
 * information: a customer who joined after last night's warehouse batch, one with no billing account. A system that
 * failed is an outage: which system, why, since when the page knows (the copy's time, or when it asked), and what
 * the page still shows.
 * @param {string} section @param {any} customer @param {any} status @param {any} error
 */
function absence(section, customer, status, error) {
  if (error?.extensions?.code === 'NOT_FOUND') {
    const text =
      section === 'insights'
        ? `${t('notInBatch')}${bracket(`${t('nextBatch')}${lang === 'zh' ? '：' : ': '}${t('tonight')} ${today()}`)}`
        : section === 'billing'
          ? t('noBillingAccount')
          : t('notKnownBy');
    return { kind: 'info', node: h('p', { class: 'info', 'data-info': section }, text) };
  }
  const reason = error?.extensions?.reason ?? status?.reason;
  const shown = SECTIONS.filter((s) => s !== section && customer[s] !== null && customer[s] !== undefined);
  const [comma, semicolon, sep] = lang === 'zh' ? ['，', '；', '：'] : [', ', '; ', ': '];
  const since = status?.fetchedAt
    ? `${t('copyFrom')} ${when(status.fetchedAt)}`
    : `${t('askedAt')} ${when(Date.now())}${comma}${t('noCopy')}`;
  const still = shown.length
    ? `${semicolon}${t('stillShown')}${sep}${listed(shown.map((s) => label('section', s)))}`
    : '';
  const text = `${label('source', status?.source ?? error?.extensions?.source)} ${t('missing')}${reason ? `${sep}${label('sourceReason', reason)}` : ''}${bracket(`${since}${still}`)}`;
  return { kind: 'missing', node: h('p', { class: 'error', 'data-missing': section }, text) };
}

/**
 * One card per section. A section that is null says plainly why: not permitted for this role, or its source is
 * unavailable (with the reason and, when an older copy exists, since when).
 * @param {string} section @param {any} customer @param {Map<string, any>} statusBySection @param {Map<string, any>} errorBySection
 * @param {() => Node[]} body
 */
function card(section, customer, statusBySection, errorBySection, body, wide = false) {
  const status = statusBySection.get(section);
  const error = errorBySection.get(section);
  const value = customer[section];
  const forbidden = error?.extensions?.code === 'FORBIDDEN';
  const missing = value === null || value === undefined;
  const gone = missing && !forbidden ? absence(section, customer, status, error) : null;
  const el = h(
    'section',
    { class: `card${wide ? ' wide' : ''}${gone ? ` ${gone.kind}` : ''}`, 'data-section': section },
    h(
      'h2',
      {},
      label('section', section),
      forbidden ? h('span', { class: 'badge FORBIDDEN', 'data-badge': 'FORBIDDEN' }, t('FORBIDDEN')) : badge(status),
    ),
  );
  if (forbidden) el.append(h('p', { class: 'note' }, t('notPermitted')));
  else if (gone) el.append(gone.node);
  else {
    // Stale: served from the last copy while its system is down, and said how old it is.
    if (status?.status === 'STALE' && status.fetchedAt)
      el.append(
        h(
          'p',
          { class: 'stale', 'data-stale': section },
          `${t('copyFrom')} ${when(status.fetchedAt)}${bracket(agoText(status.ageMs))}`,
        ),
      );
    el.append(...body());
  }
  return el;
}

/**
 * What calls for care with this customer, first on the screen: the line suspended, arrears (amount and days), a low
 * credit grade, a high churn risk, an open complaint. Each from the sections the role may read; the thresholds are
 * the catalog's (`risk`).
 * @param {any} c
 */
function careItems(c) {
  /** @type {Array<[string, string]>} */
  const items = [];
  const risk = CATALOG.risk;
  const sep = lang === 'zh' ? '：' : ': ';
  if (c.profile?.status === 'SUSPENDED') items.push(['suspended', t('suspended')]);
  if (c.billing) {
    const balance = Number(c.billing.balance);
    const overdue = (c.billing.bills ?? []).filter((/** @type {any} */ b) => b.status === 'OVERDUE');
    if (balance < 0 || overdue.length > 0) {
      const oldest = Math.min(...overdue.map((/** @type {any} */ b) => Date.parse(`${b.dueDate}T00:00:00+08:00`)));
      const days = Number.isFinite(oldest) ? Math.max(0, Math.floor((Date.now() - oldest) / 86_400_000)) : 0;
      const amount = balance < 0 ? money(-balance) : '';
      const late = days > 0 ? `${lang === 'zh' ? '，' : ', '}${t('overdueDays')} ${days} ${t('days')}` : '';
      items.push(['arrears', `${t('arrears')} ${amount}${late}`.replace(/\s+$/, '')]);
    }
  }
  if (c.score && risk.lowCreditGrades.includes(c.score.creditGrade))
    items.push(['credit', `${t('lowCredit')}${sep}${label('creditGrade', c.score.creditGrade)}`]);
  if (c.insights && c.insights.churnProbability >= risk.highChurnProbability)
    items.push(['churn', `${t('highChurn')}${sep}${pct(c.insights.churnProbability)}`]);
  const complaint = (c.contacts ?? []).find(
    (/** @type {any} */ x) => x.type === 'COMPLAINT' && risk.openComplaintOutcomes.includes(x.outcome),
  );
  if (complaint)
    items.push([
      'complaint',
      `${t('openComplaint')}${sep}${when(complaint.at)} ${label('contactOutcome', complaint.outcome)}`,
    ]);
  return items;
}

/** @param {any} c */
function careCard(c) {
  const items = careItems(c);
  if (items.length === 0) return null;
  return h(
    'section',
    { class: 'card full care', 'data-section': 'care', role: 'alert' },
    h('h2', {}, t('care')),
    h('ul', {}, ...items.map(([kind, text]) => h('li', { 'data-risk': kind }, text))),
  );
}

/** Section statuses and errors by section, from the provenance and the errors of an answer. @param {any} customer @param {any[]} errors */
function bySection(customer, errors) {
  const statusBySection = new Map();
  for (const s of customer.sources ?? []) for (const section of s.sections ?? []) statusBySection.set(section, s);
  const errorBySection = new Map();
  for (const e of errors) if (Array.isArray(e.path) && e.path.length >= 2) errorBySection.set(e.path[1], e);
  return { statusBySection, errorBySection };
}

/** One offer: the reason in the agent's language, and either the outcome buttons or why it is withheld now. @param {any} c @param {any} r */
function offerRow(c, r) {
  const reason = lang === 'zh' ? r.reason : label('offerReason', r.reasonCode) || r.reason;
  const name = lang === 'zh' ? r.offerName : label('offer', r.offerCode);
  const sep = lang === 'zh' ? '：' : ': ';
  return h(
    'div',
    { class: `offer${r.withheld ? ' withheld' : ''}`, 'data-offer': r.offerCode },
    h('strong', {}, name),
    ' ',
    h('span', { class: 'note' }, `${t('propensity')} ${pct(r.propensity)}`),
    h('div', {}, `${t('reason')}${sep}${reason}`),
    r.withheld
      ? h(
          'div',
          { class: 'withheld-reason', 'data-withheld': r.withheld.reason },
          `${t('withheld')}${sep}${lang === 'zh' ? r.withheld.label : r.withheld.labelEn}`,
        )
      : h(
          'div',
          { class: 'actions' },
          ...['accepted', 'declined', 'callback'].map((o) => outcomeButton(c.id, r.offerCode, o)),
          h('span', { class: 'note', 'data-recorded': '' }),
        ),
  );
}

/** @param {any} customer @param {any[]} errors @param {number} ms */
function render(customer, errors, ms) {
  const { statusBySection, errorBySection } = bySection(customer, errors);
  const c = customer;
  const view = $('view');
  view.replaceChildren(
    ...[
      careCard(c),
      card('profile', c, statusBySection, errorBySection, () => [
        dl([
          ['name', c.profile.name],
          ['msisdn', c.profile.msisdn],
          ['idCardNumber', c.profile.idCardNumber],
          ['address', c.profile.address],
          ['email', c.profile.email],
          ['region', c.profile.region ? label('region', c.profile.region.code) : null],
          ['status', label('profileStatus', c.profile.status)],
          ['type', label('customerType', c.profile.type)],
          ['customerSince', c.profile.customerSince],
          ['lifestyle', c.profile.lifestyle?.join('、')],
        ]),
      ]),
      trailCard(c, statusBySection, errorBySection),
      tasksCard(),
      card('billing', c, statusBySection, errorBySection, () => [
        dl([
          ['balance', money(c.billing.balance)],
          ['creditLimit', money(c.billing.creditLimit)],
          [
            'currentCharges',
            `${money(c.billing.currentCharges.amount)}${bracket(when(c.billing.currentCharges.asOf))}`,
          ],
          ['paymentBehaviour', label('paymentMethod', c.billing.paymentBehaviour.method)],
          ['onTimeRatio', pct(c.billing.paymentBehaviour.onTimeRatio)],
          ['averageDaysLate', c.billing.paymentBehaviour.averageDaysLate],
        ]),
        h('p', { class: 'note' }, t('bills')),
        barChart(latest(c.billing.bills, 6)),
      ]),
      // The score is short: where to steer the customer and when to call back sit under it, in its column.
      h(
        'div',
        { class: 'stack' },
        card('score', c, statusBySection, errorBySection, () => [
          dl([
            ['creditScore', c.score.creditScore],
            ['creditGrade', label('creditGrade', c.score.creditGrade)],
            ['valueTier', label('valueTier', c.score.valueTier)],
            ['positioning', label('positioning', c.score.positioning)],
          ]),
        ]),
        guideCard(),
      ),
      card('recommendations', c, statusBySection, errorBySection, () => [
        ...c.recommendations.map((/** @type {any} */ r) => offerRow(c, r)),
      ]),
      card(
        'products',
        c,
        statusBySection,
        errorBySection,
        () => [
          h(
            'table',
            {},
            h(
              'tr',
              {},
              h('th', {}, t('productName')),
              h('th', {}, t('category')),
              h('th', {}, t('orderedOn')),
              h('th', {}, t('monthlyFee')),
              h('th', {}, t('status')),
            ),
            ...c.products.map((/** @type {any} */ p) =>
              h(
                'tr',
                {},
                h('td', {}, lang === 'zh' ? p.name : label('offer', p.code)),
                h('td', {}, label('productCategory', p.category)),
                h('td', {}, p.orderedOn),
                h('td', {}, money(p.monthlyFee)),
                h('td', {}, label('productStatus', p.status)),
              ),
            ),
          ),
        ],
        true,
      ),
      card('insights', c, statusBySection, errorBySection, () => [
        dl([
          ['batchDate', c.insights.batchDate],
          ['segment', label('segment', c.insights.segment)],
          ['churnProbability', pct(c.insights.churnProbability)],
          ['lifetimeValue', money(c.insights.lifetimeValue)],
          [
            'usageMix',
            `${t('data')} ${c.insights.usageMix.dataPercent}% · ${t('voice')} ${c.insights.usageMix.voicePercent}% · ${t('local')} ${c.insights.usageMix.localPercent}% · ${t('longDistance')} ${c.insights.usageMix.longDistancePercent}%`,
          ],
          [
            'channelPreferences',
            h(
              'span',
              { class: 'prefs' },
              ...c.insights.channelPreferences.map((/** @type {any} */ p) =>
                h('span', {}, `${label('channel', p.channel)}${bracket(label('preferenceLevel', p.level))}`),
              ),
            ),
          ],
        ]),
        h(
          'div',
          { class: 'tags' },
          ...c.insights.tags.map((/** @type {string} */ tag) => h('span', {}, label('tag', tag))),
        ),
        h('p', { class: 'note' }, t('arpu')),
        lineChart(latest(c.insights.arpu, 3)),
      ]),
    ].filter((el) => el !== null),
  );
  $('status').textContent = `${c.id} · ${t('answeredIn')} ${ms} ms`;
}

/** The channel an agent records a contact on: the call center for a call-center agent, else the business hall. */
const agentChannel = () =>
  /call-center/.test(sessionStorage.getItem('desk.who') ?? '') ? 'CALL_CENTER' : 'BUSINESS_HALL';

/**
 * One click records the customer's answer to an offer. The button keeps one idempotency key, made when it is drawn:
 * a second click, or a retry after a lost answer, sends the same key, and the gateway records it once and answers
 * what it answered the first time.
 * @param {string} customerId @param {string} offerCode @param {string} outcome
 */
function outcomeButton(customerId, offerCode, outcome) {
  const key = `desk-${crypto.randomUUID()}`;
  const button = h('button', { type: 'button', class: 'ghost', 'data-outcome': outcome }, t(outcome));
  button.addEventListener('click', async () => {
    const note = /** @type {HTMLElement} */ (button.parentElement?.querySelector('[data-recorded]'));
    const input = {
      customerId,
      channel: agentChannel(),
      type: 'CAMPAIGN_OFFER',
      outcome: outcome.toUpperCase(),
      offerCode,
      response: outcome.toUpperCase(),
    };
    const { body } = await graphql(RECORD, { input, key }).catch(() => ({
      body: { errors: [{ extensions: { code: 'NETWORK' } }] },
    }));
    const result = body.data?.recordContact;
    const code = body.errors?.[0]?.extensions?.code;
    note.textContent = result
      ? `${t(outcome)} · ${label('recordStatus', result.status)}`
      : code === 'FORBIDDEN'
        ? t('recordForbidden')
        : code === 'GRAPHQL_VALIDATION_FAILED'
          ? t('recordUnavailable')
          : t('recordFailed');
    note.dataset.recorded = result?.status ?? code ?? 'ERROR';
    // A callback the customer asked for is a task of this agent's at once: the gateway made it when it recorded.
    if (result && outcome === 'callback') void showTasks();
    // The contact shows in the trail: the gateway evicted the customer's contacts when it recorded it.
    if (result?.status === 'RECORDED') await refreshTrail(customerId);
  });
  return button;
}

/**
 * Reloads the view and redraws the contact trail only (the rest of the page, and the notes, stay); the best time to
 * contact too, which counts the answer just recorded.
 * @param {string} customerId
 */
async function refreshTrail(customerId) {
  void graphql(CONTACT_TIME, { id: customerId })
    .catch(() => null)
    .then((answer) => customerId === guideFor && drawGuidePart(timePart(answer)));
  const { body } = await graphql(BY_ID, { id: customerId });
  const customer = body.data?.customer;
  if (!customer) return;
  const { statusBySection, errorBySection } = bySection(customer, body.errors ?? []);
  document
    .querySelector('[data-section="contacts"]')
    ?.replaceWith(trailCard(customer, statusBySection, errorBySection));
}

/**
 * The contact trail, the last first, every channel in one form: when, where, who (the agent, or the system when no
 * person had it), what about, the offer, how it ended.
 * @param {any} c @param {Map<string, any>} statusBySection @param {Map<string, any>} errorBySection
 */
function trailCard(c, statusBySection, errorBySection) {
  return card(
    'contacts',
    c,
    statusBySection,
    errorBySection,
    () => [
      h(
        'div',
        { class: 'trail' },
        h(
          'table',
          { 'data-trail': '' },
          h('tr', {}, ...['at', 'channel', 'who', 'type', 'offer', 'outcome'].map((k) => h('th', {}, t(k)))),
          ...[...c.contacts]
            .sort((/** @type {any} */ a, /** @type {any} */ b) => Date.parse(b.at) - Date.parse(a.at))
            .map((/** @type {any} */ x) =>
              h(
                'tr',
                { 'data-contact': x.id ?? '' },
                h('td', {}, when(x.at)),
                h('td', {}, label('channel', x.channel)),
                h('td', {}, x.agentId ?? label('contactSystem', x.system)),
                h('td', {}, label('contactType', x.type)),
                h('td', {}, label('offer', x.offerCode)),
                h('td', {}, label('contactOutcome', x.outcome)),
              ),
            ),
        ),
      ),
    ],
    true,
  );
}

// ---- the agent's callback tasks -----------------------------------------------------------------------------

/** How an agent closes a callback task: the outcome codes the gateway keeps, each a button. */
const TASK_OUTCOMES = ['REACHED_ACCEPTED', 'REACHED_DECLINED', 'NOT_REACHED'];

/** The card of the agent's own open callback tasks, waiting for them. */
const tasksCard = () =>
  h(
    'section',
    { class: 'card tasks', 'data-section': 'callbacks' },
    h('h2', {}, t('callbacks')),
    h('div', { 'data-tasks': '' }, h('p', { class: 'note' }, t('loading'))),
  );

/**
 * Asks the gateway for the agent's open callback tasks (`callbackTasks`) and draws them: each with its customer (a
 * button that opens the customer), when it is due in Beijing time, the offer by its label and the campaign or rule
 * that made it by its name, and one button per outcome that closes it. A gateway without a store has none to offer.
 */
async function showTasks() {
  const { body } = await graphql(TASKS, {}).catch(() => ({ body: { errors: [{ extensions: { code: 'NETWORK' } }] } }));
  const tasks = body.data?.callbackTasks;
  const code = body.errors?.[0]?.extensions?.code;
  const sep = lang === 'zh' ? '：' : ': ';
  const list = h('div', { 'data-tasks': tasks ? String(tasks.length) : (code ?? 'ERROR') });
  if (!tasks)
    list.append(
      h(
        'p',
        { class: 'note' },
        code === 'FORBIDDEN'
          ? t('notPermitted')
          : code === 'GRAPHQL_VALIDATION_FAILED'
            ? t('notOffered')
            : t('missing'),
      ),
    );
  else if (tasks.length === 0) list.append(h('p', { class: 'note' }, t('noTasks')));
  for (const task of tasks ?? []) {
    const open = h('button', { type: 'button', class: 'link', title: t('openCustomer') }, task.customerId);
    open.addEventListener('click', () => void search(task.customerId));
    // Named as the campaign or rule is defined now; its id is a code, never shown (one gone or unnamed: the kind only).
    const madeBy = task.campaignId
      ? [t('fromCampaign'), task.campaignName].filter(Boolean).join(sep)
      : task.ruleId
        ? [t('fromRule'), task.ruleDescription].filter(Boolean).join(sep)
        : null;
    const note = h('span', { class: 'note', 'data-closed': '' });
    list.append(
      h(
        'div',
        { class: 'task', 'data-task': task.id, 'data-customer': task.customerId },
        h('div', {}, open, ' ', h('span', { 'data-due': task.dueAt }, `${t('dueAt')}${sep}${when(task.dueAt)}`)),
        task.offerCode ? h('div', {}, `${t('offer')}${sep}${label('offer', task.offerCode)}`) : null,
        madeBy ? h('div', { class: 'note' }, madeBy) : null,
        h('div', { class: 'actions' }, ...TASK_OUTCOMES.map((outcome) => closeButton(task.id, outcome, note)), note),
      ),
    );
  }
  document.querySelector('[data-section="callbacks"] [data-tasks]')?.replaceWith(list);
}

/**
 * Closes a task with an outcome (`closeCallbackTask`), then redraws the list: the task leaves it. A task closed
 * meanwhile (another tab) leaves it too.
 * @param {string} id @param {string} outcome @param {HTMLElement} note
 */
function closeButton(id, outcome, note) {
  const button = h('button', { type: 'button', class: 'ghost', 'data-close': outcome }, t(outcome));
  button.addEventListener('click', async () => {
    const { body } = await graphql(CLOSE_TASK, { id, outcome }).catch(() => ({
      body: { errors: [{ extensions: { code: 'NETWORK' } }] },
    }));
    const code = body.errors?.[0]?.extensions?.code;
    if (body.data?.closeCallbackTask || code === 'CALLBACK_TASK_CLOSED') return showTasks();
    note.textContent = code === 'FORBIDDEN' ? t('notPermitted') : t('closeFailed');
  });
  return button;
}

// ---- where to steer, when to call back ---------------------------------------------------------------------

/**
 * The service the customer came for, as the agent last picked it (kept across customers: a desk often handles the
 * same request several times in a row); null until the agent picks one: the gateway's table then gives its lines
 * and the first is shown.
 */
let service = localStorage.getItem('desk.service');
/** The customer the guide card belongs to: an answer that comes back for an earlier search is dropped. */
let guideFor = '';

/** Where to steer the customer for the service picked: the gateway's `steering(service:)`. @param {string} id */
const askSteering = (id) => graphql(STEERING, { id, service }).catch(() => null);
/**
 * The guide's two questions, asked as soon as the customer's id is known (alongside the view when the agent typed
 * an id): each is a query of its own, so a gateway without the best time to contact (no store) still steers.
 * @param {string} id
 */
const askGuide = (id) => ({
  id,
  steering: askSteering(id),
  time: graphql(CONTACT_TIME, { id }).catch(() => null),
});

/** Why a part of the guide is not shown, in the agent's words. @param {any} answer */
function guideMissing(answer) {
  const code = answer?.body?.errors?.[0]?.extensions?.code ?? 'ERROR';
  const text =
    code === 'FORBIDDEN' ? t('notPermitted') : code === 'GRAPHQL_VALIDATION_FAILED' ? t('notOffered') : t('missing');
  return h('p', { class: 'note', 'data-guide-missing': code }, text);
}

/**
 * For the service picked (a list of the steering table's services, labelled by the section itself), where to steer
 * the customer and why, in one line: the channel, then the gateway's reason (value tier and basis, preference or
 * cost, and the saturated channels passed over, which `data-avoided` names too).
 * @param {string} id @param {any} answer
 */
function steeringPart(id, answer) {
  const customer = answer?.body?.data?.customer;
  const services = customer?.all?.services ?? [];
  const line = customer?.steering?.services?.[0];
  const el = h('div', { class: 'guide-part', 'data-guide': 'steering' }, h('div', { class: 'note' }, t('steer')));
  // A service the table no longer has (the agent's last pick, the table changed since): its first one.
  if (!line && services.length > 0 && answer?.body?.errors?.[0]?.extensions?.code === 'BAD_USER_INPUT') {
    service = services[0].service;
    localStorage.removeItem('desk.service');
    void askSteering(id).then((next) => id === guideFor && drawGuidePart(steeringPart(id, next)));
  }
  if (!line) {
    el.append(guideMissing(answer));
    return el;
  }
  const picker = /** @type {HTMLSelectElement} */ (
    h(
      'select',
      { 'aria-label': t('service'), 'data-service-picker': '' },
      ...services.map((/** @type {any} */ s) => h('option', { value: s.service }, s.label[lang])),
    )
  );
  picker.value = line.service;
  picker.addEventListener('change', async () => {
    service = picker.value;
    localStorage.setItem('desk.service', service);
    const next = await askSteering(id);
    if (id === guideFor) drawGuidePart(steeringPart(id, next));
  });
  el.append(
    h('label', { class: 'service' }, t('service'), ' ', picker),
    h(
      'p',
      {
        class: 'steer-line',
        'data-steer': line.channel,
        'data-service': line.service,
        'data-reason': line.reason.code,
        'data-avoided': line.reason.avoided.join(' '),
      },
      `${t('steerTo')}${lang === 'zh' ? '' : ' '}`,
      h('strong', { class: 'steer' }, line.channelLabel[lang]),
      bracket(line.reason[lang]),
    ),
  );
  return el;
}

/**
 * The best time to contact, for a callback: the hours the customer answered in (local, outside the quiet hours:
 * the gateway never names a quiet hour), and the next such hour from now.
 * @param {any} answer
 */
function timePart(answer) {
  const best = answer?.body?.data?.customer?.bestContactTime;
  const el = h('div', { class: 'guide-part', 'data-guide': 'time' }, h('div', { class: 'note' }, t('bestTime')));
  if (!best) {
    el.append(guideMissing(answer));
    return el;
  }
  el.append(h('p', { 'data-best-hours': best.bestHours.join(' ') }, best.summary[lang]));
  const next = nextBestHour(best.bestHours, best.timeZone);
  if (next !== null)
    el.append(h('p', { 'data-next-callback': '' }, `${t('nextCallback')}${lang === 'zh' ? '：' : ': '}${when(next)}`));
  return el;
}

/**
 * The next instant (from now) inside one of the best hours, in the zone the hours are counted in; null when there is
 * none. Hours are stepped on the UTC hour, which is the local hour in the operator's zone (whole-hour offsets).
 * @param {number[]} hours @param {string} timeZone
 */
function nextBestHour(hours, timeZone) {
  if (hours.length === 0) return null;
  const hourOf = new Intl.DateTimeFormat('en-GB', { timeZone, hour: '2-digit', hourCycle: 'h23' });
  const now = Date.now();
  for (let at = Math.floor(now / 3_600_000) * 3_600_000, i = 0; i < 48; i++, at += 3_600_000)
    if (hours.includes(Number(hourOf.format(at)))) return Math.max(at, now);
  return null;
}

/** The guide's card, waiting for its answers. */
const guideCard = () =>
  h(
    'section',
    { class: 'card guide', 'data-section': 'guide' },
    h('h2', {}, t('guide')),
    h('div', { 'data-guide': 'steering' }, h('p', { class: 'note' }, t('loading'))),
    h('div', { 'data-guide': 'time' }, h('p', { class: 'note' }, t('loading'))),
  );

/** Puts a part of the guide in place of the one drawn. @param {HTMLElement} part */
function drawGuidePart(part) {
  document.querySelector(`[data-section="guide"] [data-guide="${part.dataset.guide}"]`)?.replaceWith(part);
}

/**
 * Draws the guide's answers when they come, if the card is still this customer's.
 * @param {ReturnType<typeof askGuide>} asked @param {number} started when the search began (performance.now())
 */
async function showGuide(asked, started) {
  guideFor = asked.id;
  const [steering, time] = await Promise.all([asked.steering, asked.time]);
  if (asked.id !== guideFor) return;
  drawGuidePart(steeringPart(asked.id, steering));
  drawGuidePart(timePart(time));
  document.body.dataset.guided = asked.id;
  performance.measure('desk:guide', { start: started });
}

// ---- search ------------------------------------------------------------------------------------------------
const recent = () => /** @type {string[]} */ (JSON.parse(localStorage.getItem('desk.recent') ?? '[]'));
function remember(/** @type {string} */ key) {
  const list = [key, ...recent().filter((k) => k !== key)].slice(0, 8);
  localStorage.setItem('desk.recent', JSON.stringify(list));
  showRecent();
}
function showRecent() {
  $('recent').replaceChildren(
    ...recent().map((k) => {
      const b = h('button', { type: 'button' }, k);
      b.addEventListener('click', () => void search(k));
      return b;
    }),
  );
}

async function search(/** @type {string} */ input) {
  const key = input.trim().replace(/[\s-]/g, '');
  if (!key) return;
  $('q').blur();
  $('status').textContent = t('loading');
  delete document.body.dataset.guided;
  const started = performance.now();
  const byMsisdn = /^(\+?86)?1\d{10}$/.test(key);
  // Typed as an id, the guide is asked alongside the view; by mobile number, once the view gives the id.
  const early = byMsisdn ? null : askGuide(key);
  const { status, body } = await graphql(byMsisdn ? BY_MSISDN : BY_ID, byMsisdn ? { msisdn: key } : { id: key });
  const ms = Math.round(performance.now() - started);
  if (status === 401) return signOut(t('badCredential'));
  const errors = body.errors ?? [];
  const customer = body.data?.customer;
  if (!customer) {
    $('view').replaceChildren();
    const e = errors[0];
    $('status').textContent =
      e?.extensions?.code === 'NOT_FOUND' ? `${t('notFound')}: ${key}` : (e?.message ?? `HTTP ${status}`);
    return;
  }
  remember(key);
  await catalogLoaded;
  render(customer, errors, ms);
  void showTasks();
  document.body.dataset.rendered = key;
  performance.measure('desk:search', { start: started });
  void showGuide(early && early.id === customer.id ? early : askGuide(customer.id), started);
}

// ---- sign-in -----------------------------------------------------------------------------------------------
function signOut(/** @type {string} */ message = '') {
  sessionStorage.removeItem('desk.credential');
  show();
  $('signin-error').textContent = message;
}

function show() {
  const signedIn = credential() !== '';
  $('signin').hidden = signedIn;
  $('desk').hidden = !signedIn;
  $('search').hidden = !signedIn;
  $('signout').hidden = !signedIn;
  $('who').textContent = signedIn ? (sessionStorage.getItem('desk.who') ?? '') : '';
  (signedIn ? $('q') : $('credential')).focus();
}

function applyLabels() {
  document.documentElement.lang = lang === 'zh' ? 'zh-CN' : 'en';
  document.title = `UCV · ${t('title')}`;
  for (const el of document.querySelectorAll('[data-i18n]'))
    el.textContent = t(/** @type {HTMLElement} */ (el).dataset.i18n ?? '');
  for (const el of document.querySelectorAll('[data-i18n-placeholder]'))
    /** @type {HTMLInputElement} */ (el).placeholder = t(/** @type {HTMLElement} */ (el).dataset.i18nPlaceholder ?? '');
  $('lang').textContent = lang === 'zh' ? 'EN' : '中文';
}

/** In development the gateway lists its demo consumers; elsewhere that route does not exist and the picker stays hidden. */
async function loadDemoConsumers() {
  const res = await fetch('/desk/demo-consumers', { headers: { accept: 'application/json' } }).catch(() => null);
  if (!res?.ok) return;
  const consumers = /** @type {Array<{ name: string, role: string, key: string }>} */ (await res.json());
  const select = /** @type {HTMLSelectElement} */ ($('demo-select'));
  select.replaceChildren(
    h('option', { value: '' }, '—'),
    ...consumers.map((c) => h('option', { value: c.key, 'data-role': c.role }, `${c.name} (${c.role})`)),
  );
  select.addEventListener('change', () => {
    /** @type {HTMLInputElement} */ ($('credential')).value = select.value;
  });
  $('demo').hidden = false;
}

$('signin-form').addEventListener('submit', (event) => {
  event.preventDefault();
  const value = /** @type {HTMLInputElement} */ ($('credential')).value.trim();
  const select = /** @type {HTMLSelectElement} */ ($('demo-select'));
  sessionStorage.setItem('desk.credential', value);
  sessionStorage.setItem('desk.who', select.value === value ? (select.selectedOptions[0]?.textContent ?? '') : '');
  $('signin-error').textContent = '';
  show();
});
$('search').addEventListener('submit', (event) => {
  event.preventDefault();
  void search(/** @type {HTMLInputElement} */ ($('q')).value);
});
$('signout').addEventListener('click', () => signOut());
$('lang').addEventListener('click', () => {
  lang = lang === 'zh' ? 'en' : 'zh';
  localStorage.setItem('desk.lang', lang);
  applyLabels();
  const shown = document.body.dataset.rendered;
  if (shown) void search(shown);
});

applyLabels();
showRecent();
show();
void loadDemoConsumers();
// Usable: the form is up and the label catalog is here (a view is drawn only once it is).
void catalogLoaded.then(() => performance.mark('desk:usable'));
