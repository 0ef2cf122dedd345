// Ethereum accounts (0x + 40 hex digits) and transactions (0x + 64) in the
// search box: /ui/eth/address/0x… and /ui/eth/tx/0x…. The page asks the
// server's Ethereum route for the item; a server started without an
// Ethereum database has no such route (its 404 says "no route for"), and
// the page says so instead of failing. ROUTES is the one place to change
// when the Ethereum HTTP routes settle.
import { api, ApiError } from './api.js';
import { el } from './format.js';

export const ROUTES = {
  address: (a) => '/v1/eth/accounts/' + a,
  tx: (h) => '/v1/eth/txs/' + h,
};

export const ETH_ADDRESS = /^0x[0-9a-fA-F]{40}$/;
export const ETH_TX = /^0x[0-9a-fA-F]{64}$/;

// The search box's Ethereum path for q, or null when q is not Ethereum.
export function ethPath(q) {
  if (ETH_ADDRESS.test(q)) return '/ui/eth/address/' + q.toLowerCase();
  if (ETH_TX.test(q)) return '/ui/eth/tx/' + q.toLowerCase();
  return null;
}

// Shows an Ethereum account or transaction in `box`; returns false when
// the server serves no Ethereum database.
export async function showEth(kind, id, box) {
  const route = ROUTES[kind];
  const valid = kind === 'address' ? ETH_ADDRESS : ETH_TX;
  if (!route || !valid.test(id || '')) throw new Error(`not an Ethereum ${kind === 'tx' ? 'transaction hash' : 'address'}: ${id}`);
  const title = el('h2', null, el('code', { text: id }));
  let v;
  try {
    v = await api.get(route(id));
  } catch (e) {
    if (e instanceof ApiError && e.status === 404 && /^no route for/.test(e.message)) {
      box.replaceChildren(title, el('p', { id: 'eth-unserved', role: 'alert',
        text: 'Ethereum database not served: this server was started without an Ethereum database, so Ethereum ' +
          (kind === 'tx' ? 'transactions' : 'accounts') + ' cannot be looked up here.' }));
      return false;
    }
    throw e;
  }
  // The answer's own fields, as the server gives them.
  const rows = Object.entries(v || {}).filter(([, x]) => x === null || typeof x !== 'object');
  box.replaceChildren(title, el('dl', null, ...rows.flatMap(([k, x]) => [el('dt', { text: k }), el('dd', { text: String(x) })])));
  return true;
}
