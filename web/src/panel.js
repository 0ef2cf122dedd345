// The side panel: details of the selected node. Addresses: Esplora-style
// stats, tags with source and confidence, cluster, screening risk, and a
// transactions table with a date filter and CSV download. Transactions:
// fee, size, inputs and outputs. Trace outputs: entity and tainted amount.
import { api } from './api.js';
import { btc, csvField, download, el, isoDate } from './format.js';

const $ = (id) => document.getElementById(id);

function dl(pairs) {
  return el('dl', null, ...pairs.filter(([, v]) => v !== undefined && v !== null && v !== '')
    .flatMap(([k, v]) => [el('dt', { text: k }), el('dd', null, v instanceof Node ? v : String(v))]));
}

function actions(n, ctx) {
  const id = n.id();
  const k = n.data('kind');
  const box = el('p', { class: 'actions' });
  if (k === 'tx' || k === 'address' || k === 'output') {
    box.append(el('button', { type: 'button', onclick: () => ctx.expand(id, 'in'), text: 'Expand in' }), ' ',
      el('button', { type: 'button', onclick: () => ctx.expand(id, 'out'), text: 'Expand out' }), ' ');
  }
  if (k === 'address' && n.hasClass('more'))
    box.append(el('button', { type: 'button', onclick: () => ctx.expand(id, 'both', true), text: 'Load more' }), ' ');
  if (k === 'group') box.append(el('button', { type: 'button', onclick: () => ctx.expand(id, 'both'), text: 'Open group' }));
  if (k === 'cluster' && n.data('collapsed')) box.append(el('button', { type: 'button', id: 'open-cluster', onclick: () => ctx.expand(id, 'both'), text: 'Open cluster' }));
  return box;
}

async function addressPanel(n, ctx, body) {
  const a = n.data('ref');
  const enc = encodeURIComponent(a);
  const [info, tags, risk, txs] = await Promise.all([
    api.get('/api/address/' + enc), api.get('/v1/addresses/' + enc + '/tags'),
    api.get('/v1/screen?address=' + enc).catch(() => null), api.get('/api/address/' + enc + '/txs')]);
  const cs = info.chain_stats;
  body.append(dl([['transactions', cs.tx_count], ['received', btc(cs.funded_txo_sum) + ' BTC in ' + cs.funded_txo_count + ' outputs'],
    ['sent', btc(cs.spent_txo_sum) + ' BTC from ' + cs.spent_txo_count + ' outputs'], ['balance', btc(cs.funded_txo_sum - cs.spent_txo_sum) + ' BTC'],
    ['risk', risk ? el('span', { class: 'risk-' + risk.risk, text: risk.risk + (risk.sanctioned ? ' (sanctioned)' : '') }) : 'unknown'],
    ['cluster', tags.cluster ? el('a', { href: '/ui/cluster/' + tags.cluster.id, 'data-nav': true,
      text: `#${tags.cluster.id}: ${tags.cluster.size} addresses${tags.cluster.label ? ', ' + tags.cluster.label : ''}` }) : 'none']]));
  if (tags.cluster && tags.cluster.size > 1)
    body.append(el('p', null, el('button', { type: 'button', id: 'collapse-cluster', onclick: () => ctx.collapse(a), text: 'Collapse cluster on the graph' })));
  if (tags.tags.length) {
    body.append(el('table', null, el('caption', { text: 'Tags' }),
      el('thead', null, el('tr', null, ...['label', 'category', 'source', 'confidence'].map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', null, ...tags.tags.map((t) => el('tr', null, el('td', { text: t.label }), el('td', { text: t.category }),
        el('td', { text: t.source || '' }), el('td', { class: 'num', text: t.confidence ?? '' }))))));
  }
  if (risk && risk.exposures && risk.exposures.length)
    body.append(el('p', null, 'Exposure: ', risk.exposures.map((x) => `${x.heist} ${btc(x.amount_sat)} BTC (${x.hops} hops)`).join('; ')));
  // The newest transactions with this address's net change.
  const rows = txs.map((tx) => {
    const got = tx.vout.reduce((s, o) => s + (o.scriptpubkey_address === a ? o.value : 0), 0);
    const spent = tx.vin.reduce((s, v) => s + (v.prevout && v.prevout.scriptpubkey_address === a ? v.prevout.value : 0), 0);
    return { time: tx.status.block_time, txid: tx.txid, height: tx.status.block_height, delta: got - spent };
  });
  const from = el('input', { type: 'date', 'aria-label': 'transactions from' });
  const to = el('input', { type: 'date', 'aria-label': 'transactions to' });
  const tbody = el('tbody');
  const visible = () => rows.filter((r) => (!from.value || r.time >= Date.parse(from.value + 'T00:00:00Z') / 1000) &&
    (!to.value || r.time <= Date.parse(to.value + 'T23:59:59Z') / 1000));
  const fill = () => tbody.replaceChildren(...visible().map((r) => el('tr', null, el('td', { text: isoDate(r.time).slice(0, 16) }),
    el('td', null, el('a', { href: '/ui/tx/' + r.txid, 'data-nav': true, text: r.txid.slice(0, 12) + '…' })),
    el('td', { class: 'num', text: btc(r.delta) }))));
  from.addEventListener('change', fill);
  to.addEventListener('change', fill);
  fill();
  const csv = el('button', { type: 'button', text: 'CSV', onclick: () => {
    const lines = ['time,txid,height,delta_sat', ...visible().map((r) => [isoDate(r.time), r.txid, r.height, r.delta].map(csvField).join(','))];
    download(`taintline-${a}-txs.csv`, new Blob([lines.join('\n') + '\n'], { type: 'text/csv' }));
  } });
  body.append(el('h3', { text: `Transactions (newest ${rows.length})` }), el('p', null, 'From ', from, ' to ', to, ' ', csv),
    el('div', { class: 'txs' }, el('table', null, el('thead', null, el('tr', null, ...['time', 'txid', 'change (BTC)'].map((h) => el('th', { scope: 'col', text: h })))), tbody)));
}

async function txPanel(n, body) {
  const tx = await api.get('/api/tx/' + n.data('ref'));
  const outsum = tx.vout.reduce((s, o) => s + o.value, 0);
  body.append(dl([['block', tx.status.block_height], ['time', isoDate(tx.status.block_time)], ['inputs', tx.vin.length],
    ['outputs', tx.vout.length], ['output total', btc(outsum) + ' BTC'], ['fee', btc(tx.fee) + ' BTC'],
    ['size', tx.size + ' bytes, weight ' + tx.weight], ['shape', n.hasClass('coinjoin') ? 'CoinJoin' : ''],
    ['tainted', n.data('tainted') !== undefined ? btc(n.data('tainted')) + ' BTC' : '']]));
  const list = (title, items) => el('table', null, el('caption', { text: title }),
    el('tbody', null, ...items.map(([addr, v]) => el('tr', null,
      el('td', null, addr ? el('a', { href: '/ui/address/' + encodeURIComponent(addr), 'data-nav': true, text: addr }) : '(no address)'),
      el('td', { class: 'num', text: btc(v) })))));
  body.append(list('Inputs', tx.vin.map((v) => [v.prevout && v.prevout.scriptpubkey_address, v.prevout ? v.prevout.value : 0])),
    list('Outputs', tx.vout.map((o) => [o.scriptpubkey_address, o.value])));
}

export async function showPanel(n, ctx) {
  const d = n.data();
  const body = el('div');
  const title = el('h2', null, el('code', { text: d.ref || d.id }));
  // An annotation of the node: kept in its data, so in cases and exports.
  const note = el('input', { id: 'node-note', size: 30, value: d.note || '', 'aria-label': 'note on this node' });
  note.addEventListener('change', () => { n.data('note', note.value.trim() || undefined); ctx.refresh(); });
  $('panel').replaceChildren(title, el('p', { text: [d.kind, d.entity, d.category].filter(Boolean).join(' · ') }), actions(n, ctx),
    el('p', null, el('label', { for: 'node-note', text: 'Note ' }), note), body);
  if (d.kind === 'address') await addressPanel(n, ctx, body);
  else if (d.kind === 'tx') await txPanel(n, body);
  else if (d.kind === 'output') {
    body.append(dl([['address', d.address ? el('a', { href: '/ui/address/' + encodeURIComponent(d.address), 'data-nav': true, text: d.address }) : ''],
      ['fate', d.fate], ['entity', d.entity], ['tainted', btc(d.tainted) + ' BTC'], ['time', isoDate(d.time)]]));
  } else if (d.kind === 'group') {
    body.append(el('p', { text: `${d.members.length} counterparties, grouped because there are more than the hub threshold.` }));
  } else if (d.kind === 'cluster') {
    body.append(dl([['size', d.size], ['label', d.entity]]));
  }
}
