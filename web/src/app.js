// The investigator's web app: sign-in, routing of deep links, search, the
// graph with its table view and side panel, traces, cases and exports.
import { api, ApiError, getKey, setKey } from './api.js';
import { btc, download, el } from './format.js';
import { Graph } from './graph.js';
import { Explorer } from './explore.js';
import { renderTables, markSelected } from './tables.js';
import { showPanel } from './panel.js';
import { Cases } from './cases.js';
import { hideBlock, showBlock } from './block.js';
import { ethPath, onBitcoin, onEthereumOnly, showEth, showEthHeist } from './eth.js';

const $ = (id) => document.getElementById(id);

const state = {
  role: null, name: '', mode: 'explore', heist: null, policy: 'haircut', heists: [],
  selection: [], // the last two selected node ids (for the path)
};
let graph, explorer, cases;

function setBusy(s) {
  document.body.dataset.state = s;
  if (s === 'ready') state.readyAt = Math.round(performance.now()); // ms since the page's navigation began
}

export function status(msg, isError) {
  const s = $('status');
  s.textContent = msg || '';
  s.classList.toggle('error', !!isError);
  if (msg && !isError) setTimeout(() => { if (s.textContent === msg) s.textContent = ''; }, 4000);
}

function show(view) {
  for (const v of ['login', 'screen-view', 'cases-view', 'graph-view']) $(v).hidden = v !== view;
}

// ---- sign-in ----

async function signIn() {
  const cfg = await api.get('/ui/config');
  if (cfg.keys && !getKey()) return false;
  try {
    const me = await api.get('/v1/whoami');
    state.role = me.role;
    state.name = me.name || (cfg.keys ? 'unnamed key' : 'local, no keys');
  } catch (e) {
    if (e instanceof ApiError && e.status === 401) { setKey(''); $('login-error').textContent = e.message; return false; }
    throw e;
  }
  $('who').textContent = `${state.name} (${state.role})`;
  $('logout').hidden = !cfg.keys;
  $('nav-cases').hidden = state.role === 'screen';
  return true;
}

// ---- routing ----

export function navigate(path) {
  history.pushState(null, '', path);
  route().catch(fail);
}

function fail(e) {
  setBusy('error');
  status(e.message || String(e), true);
}

async function route() {
  setBusy('loading');
  const url = new URL(location.href);
  const parts = url.pathname.split('/').filter(Boolean).map(decodeURIComponent);
  if (parts[0] !== 'ui') parts.splice(0, parts.length);
  const [, kind, arg] = parts;
  if (state.role === 'screen') {
    show('screen-view');
    if (kind === 'address' || kind === 'tx') await screen(kind, arg);
    else if (kind) $('screen-result').replaceChildren(el('p', { text: 'This key may only screen: search for an address, an output (TXID:VOUT) or a transaction.' }));
    setBusy('ready');
    return;
  }
  cases.closeBar(kind === 'case' && arg);
  if (kind === 'case') {
    if (arg) await cases.open(arg);
    else { show('cases-view'); await cases.list(); }
    setBusy('ready');
    return;
  }
  show('graph-view');
  if (kind !== 'block') hideBlock();
  $('trace-tools').hidden = kind !== 'heist';
  state.mode = kind === 'heist' ? 'trace' : 'explore';
  graph.clear();
  explorer.trace = null;
  if (!kind) {
    await home();
  } else if (kind === 'address') {
    select(await explorer.showAddress(arg));
    relayout();
  } else if (kind === 'tx') {
    select(await explorer.showTx(arg));
    relayout();
  } else if (kind === 'heist' && onEthereumOnly(await heistInfo(arg))) {
    showEthHeist(await heistInfo(arg), $('panel'));
  } else if (kind === 'heist') {
    state.heist = arg;
    state.policy = url.searchParams.get('policy') || 'haircut';
    // The trace's other parameters pass through from the link.
    const extra = new URLSearchParams();
    for (const k of ['max_hops', 'min_sat', 'until', 'stop_categories', 'stop_at_mixers'])
      if (url.searchParams.has(k)) extra.set(k, url.searchParams.get(k));
    state.traceParams = extra.toString();
    $('policy').value = state.policy;
    await loadTrace();
  } else if (kind === 'cluster') {
    select(await explorer.showCluster(arg));
    relayout();
  } else if (kind === 'block') {
    await showBlock(arg, +url.searchParams.get('start') || 0, {
      add: (txid) => addTx(txid),
      page: (start) => history.replaceState(null, '', `/ui/block/${encodeURIComponent(arg)}${start ? '?start=' + start : ''}`),
      fail,
    });
  } else if (kind === 'eth') {
    await showEth(arg, parts[3], $('panel'));
  } else if (kind === 'search') {
    await search(arg, true);
    return;
  } else {
    throw new Error('no such view: ' + url.pathname);
  }
  refresh();
  setBusy('ready');
}

// A heist of GET /v1/heists by id ({} when unknown), the list read once.
async function heistInfo(id) {
  if (!state.heists.length) state.heists = (await api.get('/v1/heists')).heists;
  return state.heists.find((x) => x.id === id) || {};
}

async function home() {
  const h = await api.get('/v1/heists');
  state.heists = h.heists;
  const list = el('ul', null, ...h.heists.map((x) => el('li', null,
    onBitcoin(x) || onEthereumOnly(x) ? el('a', { href: '/ui/heist/' + encodeURIComponent(x.id), 'data-nav': true, text: x.id })
      : el('span', { text: x.id + ' (not on the chains served)' }),
    onEthereumOnly(x) ? ' (Ethereum: flow report)' : '',
    ' ', (x.definition && x.definition.name) || '')));
  $('panel').replaceChildren(el('h2', { text: 'Heists' }), list,
    el('p', { text: 'Search for an address, a transaction, a block (hash or height), a heist or a cluster (cluster:ID).' }));
  refresh();
  setBusy('ready');
}

async function loadTrace() {
  setBusy('loading');
  status(`tracing ${state.heist} (${state.policy})…`);
  const t0 = performance.now();
  state.marks.trace_start = Math.round(t0);
  const roots = await explorer.showTrace(state.heist, state.policy, state.traceParams);
  const t1 = performance.now();
  const ms = graph.layout({ roots });
  state.marks.layout_done = Math.round(performance.now());
  const t = explorer.trace.totals;
  $('summary').textContent = `Trace of ${state.heist} under ${state.policy}: seeded ${btc(t.seeded_sat)} BTC, ` +
    `at endpoints ${btc(t.endpoints_sat)}, held ${btc(t.holdings_sat)}; layout ${Math.round(ms)} ms.`;
  $('summary').dataset.layoutMs = String(Math.round(ms));
  const t2 = performance.now();
  refresh();
  state.marks.tables_done = Math.round(performance.now());
  state.timings = { load_ms: Math.round(t1 - t0), layout_ms: Math.round(ms), layout_parts: graph.layoutParts, tables_ms: Math.round(performance.now() - t2) };
  status('');
  setBusy('ready');
}

// ---- search ----

async function search(q, replace) {
  q = q.trim();
  if (!q) return;
  setBusy('loading'); // before the lookups below, so no one reads the old view as the answer
  const go = (p) => { if (replace) history.replaceState(null, '', p); else history.pushState(null, '', p); return route(); };
  if (state.role === 'screen') {
    const kind = /^[0-9a-fA-F]{64}$/.test(q) ? 'tx' : 'address';
    return go(`/ui/${kind}/${encodeURIComponent(q)}`);
  }
  const eth = ethPath(q);
  if (eth) return go(eth);
  const m = /^cluster[: ]\s*(\d+)$/i.exec(q);
  if (m) return go('/ui/cluster/' + m[1]);
  if (/^\d+$/.test(q)) return go('/ui/block/' + q);
  if (/^[0-9a-fA-F]{64}$/.test(q)) {
    const st = await api.get('/api/tx/' + q + '/status'); // 200 even when unknown
    if (st.confirmed) return go('/ui/tx/' + q.toLowerCase());
    return go('/ui/block/' + q.toLowerCase());
  }
  if (/^[0-9a-fA-F]{64}:\d+$/.test(q)) return go('/ui/tx/' + q.split(':')[0].toLowerCase());
  if (!state.heists.length) state.heists = (await api.get('/v1/heists')).heists;
  const h = state.heists.find((x) => x.id.toLowerCase() === q.toLowerCase());
  if (h) return go('/ui/heist/' + encodeURIComponent(h.id));
  return go('/ui/address/' + encodeURIComponent(q));
}

async function screen(kind, subject) {
  const q = kind === 'tx' ? (subject.includes(':') ? 'outpoint=' : 'txid=') : 'address=';
  const v = await api.get('/v1/screen?' + q + encodeURIComponent(subject));
  const rows = (v.exposures || []).map((x) => el('tr', null, el('td', { text: x.heist }),
    el('td', { class: 'num', text: btc(x.amount_sat) }), el('td', { class: 'num', text: (x.share * 100).toFixed(2) + '%' }),
    el('td', { class: 'num', text: x.hops })));
  $('screen-result').replaceChildren(
    el('h2', null, el('code', { text: subject })),
    el('p', null, 'Risk: ', el('strong', { class: 'risk-' + v.risk, id: 'risk', text: v.risk }), v.sanctioned ? ' (sanctioned)' : ''),
    el('table', null, el('caption', { text: 'Exposures' }),
      el('thead', null, el('tr', null, ...['heist', 'tainted (BTC)', 'share', 'hops'].map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', null, ...rows)),
    el('ul', null, ...(v.reasons || []).map((r) => el('li', { text: r }))));
}

// ---- graph, table and panel ----

export function refresh() {
  renderTables(graph, explorer, {
    onSelect: (id) => select(id),
    onExpand: (id, dir) => expand(id, dir),
  });
  markSelected(state.selection[state.selection.length - 1]);
}

function select(id) {
  const n = graph.node(id);
  if (!n) return;
  graph.cy.$(':selected').unselect();
  n.select();
  graph.cy.animate({ center: { eles: n } }, { duration: 0 });
}

function onSelect(n) {
  if (!n) return;
  const id = n.id();
  state.selection = state.selection.filter((x) => x !== id).concat([id]).slice(-2);
  markSelected(id);
  showPanel(n, { explorer, expand, collapse, navigate, status, refresh, trace: explorer.trace }).catch(fail);
}

export async function expand(id, dir, more) {
  const n = graph.node(id);
  if (!n) return;
  setBusy('loading');
  try {
    const before = graph.cy.nodes().length;
    await explorer.expand(n, dir, more);
    if (graph.cy.nodes().length !== before) relayout();
    refresh();
    status(`${graph.cy.nodes().length - before} nodes added`);
    setBusy('ready');
  } catch (e) { fail(e); }
}

// Puts a transaction (from a block's list) on the graph with its input
// and output addresses.
async function addTx(txid) {
  setBusy('loading');
  try {
    const before = graph.cy.nodes().length;
    const id = await explorer.showTx(txid);
    relayout();
    refresh();
    select(id);
    status(`${graph.cy.nodes().length - before} nodes added`);
    setBusy('ready');
  } catch (e) { fail(e); }
}

async function collapse(addr) {
  setBusy('loading');
  try {
    const id = await explorer.collapseCluster(addr);
    refresh();
    select(id);
    status('cluster collapsed');
    setBusy('ready');
  } catch (e) { fail(e); }
}

function relayout() {
  const roots = state.mode === 'trace' && explorer.trace
    ? graph.cy.nodes('[category = "seed"]').map((n) => n.id()) : undefined;
  graph.layout({ roots });
}

function timeWindow() {
  const f = $('t-from').value, t = $('t-to').value;
  graph.timeFilter(f ? Date.parse(f + 'T00:00:00Z') / 1000 : null, t ? Date.parse(t + 'T23:59:59Z') / 1000 : null);
  refresh();
}

function keyNav(ev) {
  const nodes = graph.cy.nodes().not('.filtered');
  if (!nodes.length) return;
  const cur = graph.cy.$('node:selected')[0];
  const idx = cur ? nodes.indexOf(cur) : -1;
  const k = ev.key;
  if (k === 'ArrowRight' || k === 'ArrowDown') select(nodes[(idx + 1) % nodes.length].id());
  else if (k === 'ArrowLeft' || k === 'ArrowUp') select(nodes[(idx - 1 + nodes.length) % nodes.length].id());
  else if (k === 'Enter' && cur) expand(cur.id(), ev.shiftKey ? 'in' : 'out');
  else if (k === '+' || k === '=') graph.cy.zoom({ level: graph.cy.zoom() * 1.25, renderedPosition: { x: graph.cy.width() / 2, y: graph.cy.height() / 2 } });
  else if (k === '-') graph.cy.zoom({ level: graph.cy.zoom() / 1.25, renderedPosition: { x: graph.cy.width() / 2, y: graph.cy.height() / 2 } });
  else if (k === 'Escape') graph.cy.$(':selected').unselect();
  else return;
  ev.preventDefault();
}

// ---- exports ----

function exportBase() {
  return `taintline-${state.mode === 'trace' ? state.heist + '-' + state.policy : 'graph'}`;
}

export function caseGraph() {
  return { mode: state.mode, heist: state.heist, policy: state.policy, view: location.pathname + location.search,
    hub: explorer.hub, snapshot: graph.snapshot() };
}

export function loadCaseGraph(g) {
  show('graph-view');
  hideBlock();
  state.mode = g.mode || 'explore';
  state.heist = g.heist || null;
  state.policy = g.policy || 'haircut';
  $('trace-tools').hidden = state.mode !== 'trace';
  $('policy').value = state.policy;
  graph.restore(g.snapshot || { nodes: [], edges: [] });
  refresh();
}

function wire() {
  $('search').addEventListener('submit', (ev) => { ev.preventDefault(); search($('q').value).catch(fail); });
  $('login-form').addEventListener('submit', async (ev) => {
    ev.preventDefault();
    setKey($('key').value.trim());
    $('key').value = '';
    try { if (await signIn()) await route(); else show('login'); } catch (e) { fail(e); }
  });
  $('logout').addEventListener('click', () => { setKey(''); location.href = '/'; });
  document.addEventListener('click', (ev) => {
    const a = ev.target.closest('a[data-nav]');
    if (!a || ev.ctrlKey || ev.metaKey || ev.shiftKey || ev.button !== 0) return;
    ev.preventDefault();
    navigate(a.getAttribute('href'));
  });
  window.addEventListener('popstate', () => route().catch(fail));
  $('policy').addEventListener('change', () => {
    state.policy = $('policy').value;
    history.replaceState(null, '', `/ui/heist/${encodeURIComponent(state.heist)}?policy=${state.policy}${state.traceParams ? '&' + state.traceParams : ''}`);
    loadTrace().catch(fail);
  });
  $('t-from').addEventListener('change', timeWindow);
  $('t-to').addEventListener('change', timeWindow);
  $('hub').addEventListener('change', () => { explorer.hub = Math.max(2, +$('hub').value || 20); });
  $('fit-btn').addEventListener('click', () => graph.fitPositions());
  $('relayout-btn').addEventListener('click', relayout);
  $('path-btn').addEventListener('click', () => {
    if (state.selection.length < 2) { status('select two nodes first (click one, then another)', true); return; }
    const [a, b] = state.selection;
    const p = graph.path(graph.node(a), graph.node(b));
    status(p ? `path of ${p.length} nodes` : 'no path between the two nodes on this graph', !p);
    $('summary').dataset.path = p ? p.map((n) => n.id()).join(' ') : '';
  });
  $('export-json').addEventListener('click', () => download(exportBase() + '.json',
    new Blob([JSON.stringify({ software: 'taintline', exported: new Date().toISOString(), graph: caseGraph() }, null, 1)], { type: 'application/json' })));
  $('export-png').addEventListener('click', async () => download(exportBase() + '.png',
    await graph.cy.png({ full: true, output: 'blob-promise', bg: '#ffffff', maxWidth: 8000, maxHeight: 8000 })));
  $('export-svg').addEventListener('click', () => download(exportBase() + '.svg', new Blob([graph.svg()], { type: 'image/svg+xml' })));
  $('report-html').addEventListener('click', async () => {
    try {
      const b = await api.blob(`/v1/heists/${encodeURIComponent(state.heist)}/trace?format=html&policy=${state.policy}${state.traceParams ? '&' + state.traceParams : ''}`);
      download(exportBase() + '.html', b);
    } catch (e) { fail(e); }
  });
  $('save-case').addEventListener('click', () => cases.saveDialog());
  $('graph').addEventListener('keydown', keyNav);
}

async function main() {
  state.marks = { start: Math.round(performance.now()) };
  setBusy('loading');
  graph = new Graph($('graph'), { onSelect, onActivate: (n) => expand(n.id(), 'out') });
  explorer = new Explorer(graph, status);
  cases = new Cases({ caseGraph, loadCaseGraph, navigate, status, fail, setBusy });
  window.taintline = { graph, explorer, state }; // for tests and the console
  wire();
  if (!(await signIn())) { show('login'); setBusy('ready'); return; }
  state.marks.signed_in = Math.round(performance.now());
  await route();
}

main().catch(fail);
