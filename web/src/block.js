// The block view: a block's header and its transactions, a page of 25 at a
// time (Esplora's /api/block/:hash/txs/:start), each with a button that
// puts the transaction and its addresses on the graph below. The page is
// in the link: /ui/block/HEIGHT_OR_HASH?start=N (N a multiple of 25).
import { api } from './api.js';
import { btc, el, isoDate } from './format.js';

export const PAGE = 25;

const $ = (id) => document.getElementById(id);

// Resolves a height or a hash to the block's Esplora record.
async function load(ref) {
  const hash = /^\d+$/.test(ref) ? (await api.text('/api/block-height/' + ref)).trim() : ref.toLowerCase();
  return api.get('/api/block/' + encodeURIComponent(hash));
}

// Shows the block `ref` at transaction index `start` in #block.
// on.add(txid) puts a transaction on the graph; on.page(start) is called
// when the investigator turns the page (to update the link).
export async function showBlock(ref, start, on) {
  const blk = await load(ref);
  const box = $('block');
  box.hidden = false;
  box.replaceChildren(el('h2', { id: 'block-h', text: `Block ${blk.height}` }), el('dl', null,
    ...[['hash', blk.id], ['time', isoDate(blk.timestamp)], ['transactions', blk.tx_count], ['size', blk.size + ' bytes, weight ' + blk.weight],
      ['previous', blk.previousblockhash || '(genesis)'], ['merkle root', blk.merkle_root]]
      .flatMap(([k, v]) => [el('dt', { text: k }), el('dd', null, el('code', { text: String(v) }))])));
  const list = el('div', { id: 'block-txs' });
  box.append(list);
  await showPage(blk, start, list, on);
  return blk;
}

async function showPage(blk, start, list, on) {
  start = Math.max(0, Math.min(start - (start % PAGE), blk.tx_count - 1 - ((blk.tx_count - 1) % PAGE)));
  const txs = await api.get(`/api/block/${blk.id}/txs/${start}`);
  const turn = (s) => async () => {
    list.setAttribute('aria-busy', 'true');
    try { await showPage(blk, s, list, on); on.page(s); } catch (e) { on.fail(e); }
    list.removeAttribute('aria-busy');
  };
  const prev = el('button', { type: 'button', id: 'block-prev', disabled: start === 0, onclick: turn(start - PAGE), text: '← Previous' });
  const next = el('button', { type: 'button', id: 'block-next', disabled: start + PAGE >= blk.tx_count, onclick: turn(start + PAGE), text: 'Next →' });
  const rows = txs.map((tx, i) => {
    const out = tx.vout.reduce((s, o) => s + o.value, 0);
    const coinbase = tx.vin.length && tx.vin[0].is_coinbase;
    return el('tr', { 'data-txid': tx.txid },
      el('td', { class: 'num', text: start + i }),
      el('td', null, el('a', { href: '/ui/tx/' + tx.txid, 'data-nav': true }, el('code', { text: tx.txid }))),
      el('td', { class: 'num', text: coinbase ? 'coinbase' : tx.vin.length }),
      el('td', { class: 'num', text: tx.vout.length }),
      el('td', { class: 'num', 'data-sat': String(out), text: btc(out) }),
      el('td', { class: 'num', text: coinbase ? '' : btc(tx.fee) }),
      el('td', null, el('button', { type: 'button', class: 'add-tx', 'aria-label': 'add transaction ' + tx.txid + ' to the graph',
        onclick: () => on.add(tx.txid), text: 'Add to graph' })));
  });
  const last = start + txs.length;
  list.replaceChildren(
    el('table', { id: 'block-txs-table' },
      el('caption', { text: `Transactions ${start + 1} to ${last} of ${blk.tx_count}` }),
      el('thead', null, el('tr', null, ...['#', 'txid', 'inputs', 'outputs', 'output total (BTC)', 'fee (BTC)', 'graph']
        .map((h) => el('th', { scope: 'col', text: h })))),
      el('tbody', null, ...rows)),
    el('p', { class: 'pager' }, prev, ' ', next));
}

export function hideBlock() {
  const box = $('block');
  box.hidden = true;
  box.replaceChildren();
}
