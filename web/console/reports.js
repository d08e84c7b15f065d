// @ts-check
/**
 * The closed-loop reports, as charts and as the figures under them: every offer made by rules and campaigns since a
 * date (`GET /marketing/reports/offers`: the funnel sent → responded → accepted → ordered, by channel, by offer) and
 * one campaign's report (`GET /marketing/campaigns/<id>/report`: its funnel and its channels).
 *
 * Charts are Apache ECharts, the gateway's copy of the package's browser build (no CDN), imported when the reports
 * are first opened so the rest of the console does not wait for it. It draws on a canvas and needs no `eval`, so the
 * page's CSP stays strict. Without it the tables still give every figure.
 */
import { api, errorText, h, label, select, t, ui } from './common.js';

const ECHARTS = '/console/vendor/echarts.esm.min.mjs';
/** @type {Promise<any>|null} */
let echartsLoading = null;
const loadECharts = () => (echartsLoading ??= import(/** @type {string} */ (ECHARTS)).catch(() => null));

const $ = (/** @type {string} */ id) => /** @type {HTMLElement} */ (document.getElementById(id));
/** @type {any[]} */
let drawn = [];
let days = 30;

/** Draws the reports tab: the offers report of the period chosen, and the campaign picker. @param {any[]} campaigns */
export async function drawReports(campaigns) {
  for (const chart of drawn) chart.dispose();
  drawn = [];
  const root = $('reports');
  const period = select(
    [
      ['7', t('last7')],
      ['30', t('last30')],
      ['90', t('last90')],
    ],
    String(days),
    { id: 'report-since' },
  );
  period.addEventListener('change', () => {
    days = Number(period.value);
    void drawReports(campaigns);
  });
  const picker = select(
    [['', t('pickCampaign')], ...campaigns.map((c) => /** @type {[string, string]} */ ([c.id, c.name ?? c.id]))],
    '',
    { id: 'report-campaign' },
  );
  const campaignBox = h('div', { id: 'campaign-report' });
  picker.addEventListener('change', () => void drawCampaign(campaignBox, picker.value));
  const offersBox = h('div', { id: 'offers-report' }, h('p', { class: 'note' }, t('loading')));
  root.replaceChildren(
    h('div', { class: 'form-row' }, h('label', {}, h('span', {}, t('since')), period)),
    offersBox,
    h('h3', {}, t('campaignReport')),
    h('div', { class: 'form-row' }, picker),
    campaignBox,
  );
  const since = new Date(Date.now() - days * 24 * 3600_000).toISOString();
  const [answer, echarts] = await Promise.all([
    api('GET', `/marketing/reports/offers?since=${encodeURIComponent(since)}`),
    loadECharts(),
  ]);
  if (answer.status !== 200) {
    offersBox.replaceChildren(h('p', { class: 'error' }, errorText(answer)));
    return;
  }
  drawOffers(offersBox, answer.body, echarts);
}

/** @typedef {{ offerCode: string, channel: string, sent: number, responded: number, accepted: number, declined: number, ordered: number, conversionRate: number|null }} Line */

/** @param {HTMLElement} box @param {{ lines: Line[], byOffer: Line[], byChannel: Line[] }} report @param {any} echarts */
function drawOffers(box, report, echarts) {
  const total = { sent: 0, responded: 0, accepted: 0, ordered: 0 };
  for (const l of report.lines ?? [])
    for (const k of /** @type {const} */ (['sent', 'responded', 'accepted', 'ordered'])) total[k] += l[k];
  if ((report.lines ?? []).length === 0) {
    box.replaceChildren(h('p', { class: 'note', 'data-empty': 'offers' }, t('noData')));
    return;
  }
  const funnel = h('div', { class: 'chart', 'data-chart': 'offers-funnel' });
  const channels = h('div', { class: 'chart', 'data-chart': 'offers-channel' });
  const offers = h('div', { class: 'chart', 'data-chart': 'offers-offer' });
  box.replaceChildren(
    ...(echarts ? [] : [h('p', { class: 'note' }, t('chartsUnavailable'))]),
    h(
      'div',
      { class: 'charts' },
      h('figure', {}, h('figcaption', {}, t('offersFunnel')), funnel),
      h('figure', {}, h('figcaption', {}, t('byChannel')), channels),
      h('figure', {}, h('figcaption', {}, t('byOffer')), offers),
    ),
    figures(report.byOffer ?? []),
  );
  if (!echarts) return;
  chart(
    echarts,
    funnel,
    funnelOption(['sent', 'responded', 'accepted', 'ordered'].map((k) => [t(k), total[/** @type {'sent'} */ (k)]])),
  );
  chart(
    echarts,
    channels,
    barOption(
      (report.byChannel ?? []).map((l) => label('ruleChannel', l.channel)),
      report.byChannel ?? [],
    ),
  );
  chart(
    echarts,
    offers,
    barOption(
      (report.byOffer ?? []).map((l) => label('offer', l.offerCode)),
      report.byOffer ?? [],
    ),
  );
}

/** The figures under the charts, by offer. @param {Line[]} lines */
function figures(lines) {
  const pct = (/** @type {number|null} */ v) => (v === null || v === undefined ? '' : `${(v * 100).toFixed(1)}%`);
  return h(
    'table',
    { class: 'list figures', 'data-figures': 'offers' },
    h(
      'tr',
      {},
      ...['offerCode', 'sent', 'responded', 'accepted', 'declined', 'ordered', 'conversion'].map((k) =>
        h('th', {}, t(k)),
      ),
    ),
    ...lines.map((l) =>
      h(
        'tr',
        { 'data-offer': l.offerCode },
        h('td', {}, label('offer', l.offerCode)),
        h('td', {}, String(l.sent)),
        h('td', {}, String(l.responded)),
        h('td', {}, String(l.accepted)),
        h('td', {}, String(l.declined)),
        h('td', {}, String(l.ordered)),
        h('td', {}, pct(l.conversionRate)),
      ),
    ),
  );
}

/** @param {HTMLElement} box @param {string} id */
async function drawCampaign(box, id) {
  if (!id) return void box.replaceChildren();
  box.replaceChildren(h('p', { class: 'note' }, t('loading')));
  const [answer, echarts] = await Promise.all([
    api('GET', `/marketing/campaigns/${encodeURIComponent(id)}/report`),
    loadECharts(),
  ]);
  if (answer.status !== 200) return void box.replaceChildren(h('p', { class: 'error' }, errorText(answer)));
  const r = answer.body;
  const f = r.funnel ?? {};
  const steps = ['selected', 'targets', 'eligible', 'sent', 'responded', 'accepted', 'ordered'];
  const funnel = h('div', { class: 'chart', 'data-chart': 'campaign-funnel' });
  const channels = h('div', { class: 'chart', 'data-chart': 'campaign-channel' });
  const lift = r.lift
    ? `${t('lift')}：${(r.lift.absolute * 100).toFixed(1)}% (95% CI ${(r.lift.ci95[0] * 100).toFixed(1)}% – ${(r.lift.ci95[1] * 100).toFixed(1)}%)`
    : '';
  box.replaceChildren(
    h(
      'p',
      {},
      `${t('state')}：${label('campaignState', r.run?.state)} · ${t('control')} ${f.control ?? 0} · ${t('conversion')} ${
        f.conversionRate === null || f.conversionRate === undefined ? '—' : `${(f.conversionRate * 100).toFixed(1)}%`
      }`,
      lift ? h('span', { class: 'note' }, ` · ${lift}`) : null,
    ),
    h(
      'div',
      { class: 'charts' },
      h('figure', {}, h('figcaption', {}, t('offersFunnel')), funnel),
      h('figure', {}, h('figcaption', {}, t('byChannel')), channels),
    ),
  );
  if (!echarts) return;
  chart(echarts, funnel, funnelOption(steps.map((k) => [t(k), Number(f[k] ?? 0)])));
  chart(
    echarts,
    channels,
    barOption(
      (r.byChannel ?? []).map((/** @type {any} */ b) => label('ruleChannel', b.channel)),
      r.byChannel ?? [],
    ),
  );
}

/** @param {any} echarts @param {HTMLElement} el @param {any} option */
function chart(echarts, el, option) {
  // A breakdown with nothing in it yet says so, rather than drawing empty axes.
  if (option.xAxis && option.xAxis.data.length === 0) {
    el.replaceChildren(h('p', { class: 'note' }, t('noData')));
    el.dataset.drawn = 'empty';
    return;
  }
  const c = echarts.init(el, null, { renderer: 'canvas' });
  // Drawn at once: figures for people, not a show.
  c.setOption({ animation: false, textStyle: { fontFamily: 'inherit' }, ...option });
  el.dataset.drawn = 'true';
  drawn.push(c);
}

/** @param {Array<[string, number]>} steps */
function funnelOption(steps) {
  return {
    tooltip: { trigger: 'item', formatter: '{b}：{c}' },
    series: [
      {
        type: 'funnel',
        sort: 'none',
        minSize: '8%',
        left: '5%',
        width: '55%',
        // Beside each step, not inside: a small step stays readable.
        label: { position: 'right', formatter: '{b} {c}', color: '#1d2330' },
        labelLine: { show: true },
        data: steps.map(([name, value]) => ({ name, value })),
      },
    ],
  };
}

/** Sent and accepted per category. @param {string[]} names @param {Array<{ sent: number, accepted: number }>} rows */
function barOption(names, rows) {
  return {
    tooltip: { trigger: 'axis' },
    legend: { data: [t('sent'), t('accepted')], top: 0 },
    grid: { left: 40, right: 10, top: 30, bottom: 40 },
    xAxis: { type: 'category', data: names, axisLabel: { interval: 0, rotate: names.length > 4 ? 20 : 0 } },
    yAxis: { type: 'value', minInterval: 1 },
    series: [
      { name: t('sent'), type: 'bar', data: rows.map((r) => r.sent) },
      { name: t('accepted'), type: 'bar', data: rows.map((r) => r.accepted) },
    ],
  };
}

void ui;
