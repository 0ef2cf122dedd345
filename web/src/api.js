// Calls to the taintline API with the key the investigator typed in. The
// key lives in sessionStorage: this tab only, gone when it closes.
const KEY = 'taintline.key';

export class ApiError extends Error {
  constructor(status, code, message, body) {
    super(message);
    this.status = status;
    this.code = code;
    this.body = body;
  }
}

export function getKey() { return sessionStorage.getItem(KEY) || ''; }
export function setKey(k) { if (k) sessionStorage.setItem(KEY, k); else sessionStorage.removeItem(KEY); }

function headers(extra) {
  const h = Object.assign({}, extra || {});
  const k = getKey();
  if (k) h.Authorization = 'Bearer ' + k;
  return h;
}

const sleep = (ms) => new Promise((res) => setTimeout(res, ms));

async function send(method, path, body, accept) {
  const init = { method, headers: headers(body !== undefined ? { 'Content-Type': 'application/json' } : {}) };
  if (body !== undefined) init.body = JSON.stringify(body);
  let r = await fetch(path, init);
  // A key's rate limit: wait as the server says, a few times.
  for (let i = 0; i < 5 && r.status === 429; i++) {
    await sleep(1000 * Math.min(10, Math.max(1, +(r.headers.get('Retry-After') || 1))));
    r = await fetch(path, init);
  }
  if (!r.ok) {
    let j = null;
    try { j = await r.json(); } catch (e) { /* not JSON */ }
    const code = j && j.error ? j.error : 'http_' + r.status;
    const msg = j && j.message ? j.message : r.status + ' ' + r.statusText;
    throw new ApiError(r.status, code, msg, j);
  }
  if (accept === 'blob') return r.blob();
  if (accept === 'text') return r.text();
  return r.json();
}

export const api = {
  get: (p) => send('GET', p),
  text: (p) => send('GET', p, undefined, 'text'),
  blob: (p) => send('GET', p, undefined, 'blob'),
  post: (p, b) => send('POST', p, b),
  put: (p, b) => send('PUT', p, b),
  del: (p) => send('DELETE', p),
};

// Runs fn over items with at most `limit` calls in flight.
export async function pool(items, limit, fn) {
  const out = new Array(items.length);
  let next = 0;
  async function worker() {
    while (next < items.length) {
      const i = next++;
      out[i] = await fn(items[i], i);
    }
  }
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, worker));
  return out;
}
