// Ethereum accounts (0x + 40 hex digits) and transactions (0x + 64) in the
// search box: /ui/eth/address/0x… and /ui/eth/tx/0x…, read from the
// server's /eth/api/v2 routes and the account's screening. A server
// started without an Ethereum database answers them 404
// `chain_not_served`, and the page says so instead of failing.
import { api, ApiError } from './api.js';
import { download, el, short } from './format.js';

export const ROUTES = {
  address: (a) => '/eth/api/v2/addresses/' + a,
  transfers: (a, n) => '/eth/api/v2/addresses/' + a + '/transfers?limit=' + n,
  tx: (h) => '/eth/api/v2/transactions/' + h,
  screen: (a) => '/v1/screen?address=' + a,
};

export const ETH_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
export const ETH_TX = /^0x[0-9a-fA-F]{64}$/;
const TRANSFERS_SHOWN = 50;

// The search box's Ethereum path for q, or null when q is not Ethereum.
export function ethPath(q) {
  if (ETH_ADDRESS.test(q)) return '/ui/eth/address/' + q.toLowerCase();
  if (ETH_TX.test(q)) return '/ui/eth/tx/' + q.toLowerCase();
  return null;
}

// An amount in base units (a decimal string of any size) in whole units,
// exactly: "1500000000000000000", 18 -> "1.5".
export function units(base, decimals) {
  const s = String(base).replace(/^0+(?=\d)/, '');
  const d = Number(decimals) || 0;
  if (!d) return s;
  const p = s.padStart(d + 1, '0');
  const frac = p.slice(-d).replace(/0+$/, '');
  return p.slice(0, -d) + (frac ? '.' + frac : '');
}

const addrLink = (a) => (a ? el('a', { href: '/ui/eth/address/' + a, 'data-nav': true, title: a, text: short(a) }) : '');
const txLink = (h) => el('a', { href: '/ui/eth/tx/' + h, 'data-nav': true, title: h, text: short(h) });

function table(id, caption, head, rows) {
  return el('table', { id }, el('caption', { text: caption }),
    el('thead', null, el('tr', null, ...head.map((h) => el('th', { scope: 'col', text: h })))),
    el('tbody', null, ...rows));
}

function transfersTable(list, caption) {
  const rows = list.map((t) => el('tr', { dataset: { seq: String(t.seq) } },
    el('td', { class: 'num', text: t.block }), el('td', null, txLink(t.transaction)), el('td', { text: t.kind }),
    el('td', { text: t.symbol || t.asset }), el('td', null, addrLink(t.from)), el('td', null, addrLink(t.to)),
    el('td', { class: 'num', dataset: { base: t.amount }, text: units(t.amount, t.decimals) })));
  return table('eth-transfers', caption,
    ['block', 'transaction', 'kind', 'asset', 'from', 'to', 'amount'], rows);
}

async function showAccount(a, title) {
  const acct = await api.get(ROUTES.address(a)); // first: its 404 says whether Ethereum is served
  const [verdict, tr] = await Promise.all([api.get(ROUTES.screen(a)), api.get(ROUTES.transfers(a, TRANSFERS_SHOWN))]);
  const assets = table('eth-assets', 'Assets', ['asset', 'received', 'sent', 'fees', 'balance', 'transfers'],
    (acct.assets || []).map((x) => el('tr', { dataset: { asset: x.asset } }, el('td', { title: x.asset, text: x.symbol || x.asset }),
      ...['received', 'sent', 'fees', 'balance'].map((k) => el('td', { class: 'num', dataset: { base: x[k] }, text: units(x[k], x.decimals) })),
      el('td', { class: 'num', text: x.transfers }))));
  const symbols = new Map((acct.assets || []).map((x) => [x.asset, x]));
  const exp = [];
  for (const e of verdict.exposures || [])
    for (const x of e.assets || []) {
      const known = symbols.get(x.asset);
      exp.push(el('tr', { dataset: { heist: e.heist, asset: x.asset } }, el('td', { text: e.heist }),
        el('td', { title: x.asset, text: known ? known.symbol : x.asset }),
        el('td', { class: 'num', dataset: { base: x.tainted }, text: known ? units(x.tainted, known.decimals) : x.tainted })));
    }
  const exposure = exp.length
    ? table('eth-exposures', 'Exposure to registered heists (haircut, at the screening tip)', ['heist', 'asset', 'tainted'], exp)
    : el('p', { id: 'eth-exposures', text: 'No exposure to a registered heist.' });
  return [title, el('p', null, `Seen in blocks ${acct.first_block} to ${acct.last_block}.`), assets, exposure,
    transfersTable(tr.transfers || [], `Latest transfers (${(tr.transfers || []).length}, at most ${TRANSFERS_SHOWN})`)];
}

async function showTransaction(h, title) {
  const t = await api.get(ROUTES.tx(h));
  const fields = Object.entries(t).filter(([, x]) => x === null || typeof x !== 'object');
  const value = (k, x) => (k === 'from' || k === 'to' ? addrLink(x) : String(x));
  return [title, el('dl', { id: 'eth-tx' }, ...fields.flatMap(([k, x]) => [el('dt', { text: k }), el('dd', { dataset: { field: k } }, value(k, x))])),
    transfersTable(t.transfers || [], `Transfers (${(t.transfers || []).length})`)];
}

// Shows an Ethereum account or transaction in `box`; returns false when
// the server serves no Ethereum database.
export async function showEth(kind, id, box) {
  const valid = kind === 'address' ? ETH_ADDRESS : kind === 'tx' ? ETH_TX : null;
  if (!valid || !valid.test(id || '')) throw new Error(`not an Ethereum ${kind === 'tx' ? 'transaction hash' : 'address'}: ${id}`);
  const title = el('h2', null, el('code', { text: id }));
  try {
    box.replaceChildren(...(kind === 'address' ? await showAccount(id, title) : await showTransaction(id, title)));
  } catch (e) {
    if (e instanceof ApiError && e.code === 'chain_not_served') {
      box.replaceChildren(title, el('p', { id: 'eth-unserved', role: 'alert',
        text: 'Ethereum database not served: this server was started without an Ethereum database, so Ethereum ' +
          (kind === 'tx' ? 'transactions' : 'accounts') + ' cannot be looked up here.' }));
      return false;
    }
    throw e;
  }
  return true;
}

// A heist this server traces on Ethereum only (GET /v1/heists, traced_on):
// its registry entry and its flow report, the HTML page of
// /v1/heists/:id/trace (the graph view draws Bitcoin traces).
export function showEthHeist(h, box) {
  const d = h.definition || {};
  const report = el('button', { id: 'eth-heist-report', type: 'button', text: 'Flow report (HTML)' });
  report.addEventListener('click', async () => {
    report.disabled = true;
    try {
      download(`taintline-${h.id}.html`, await api.blob(`/v1/heists/${encodeURIComponent(h.id)}/trace?format=html`));
    } finally { report.disabled = false; }
  });
  box.replaceChildren(el('h2', { text: d.name || h.id }),
    el('p', null, `${h.id}: traced on Ethereum (${d.date || 'no date'}). `, report));
}

// Whether the graph view can show a heist's trace (a Bitcoin one).
export const onBitcoin = (h) => (h.traced_on ? h.traced_on.includes('bitcoin') : h.traceable);
export const onEthereumOnly = (h) => !onBitcoin(h) && (h.traced_on || []).includes('ethereum');
