// End-to-end tests of the web app in headless Chromium (Debian's, driven
// through the DevTools protocol by playwright-core), against a taintline
// server on 127.0.0.1 serving a simulated chain. Run by
// tests/test_web_app.c, which prepares the data:
//   node e2e.mjs TAINTLINE WORKDIR ARTIFACTS
// WORKDIR holds db/, sim/ (blocks, truth.json), keys.txt, key-investigate,
// key-screen and trace-POLICY.json (`taintline trace --format json`).
// The tainted amounts the page shows are checked against those files.
// Exit 0 when every check passed, 1 otherwise; screenshots go to ARTIFACTS.
import { spawn } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, mkdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [tl, work, artifacts] = process.argv.slice(2);
const BROWSER = process.env.TL_CHROMIUM || '/usr/bin/chromium';
const WAIT_MS = +(process.env.TL_WEB_WAIT_MS || 120000); // ASan builds are slow
const POLICIES = ['poison', 'haircut', 'fifo', 'tiho'];
mkdirSync(artifacts, { recursive: true });

let passed = 0, failed = 0;
function check(cond, what, detail) {
  if (cond) { passed++; console.log('ok   ' + what); }
  else { failed++; console.log('FAIL ' + what + (detail !== undefined ? ': ' + (typeof detail === 'string' ? detail : JSON.stringify(detail)).slice(0, 800) : '')); }
}

function freePort() {
  return new Promise((res, rej) => {
    const s = createServer();
    s.on('error', rej);
    s.listen(0, '127.0.0.1', () => { const p = s.address().port; s.close(() => res(p)); });
  });
}

const read = (f) => readFileSync(join(work, f), 'utf8');
const keyInv = read('key-investigate').trim();
const keyScreen = read('key-screen').trim();
const truth = JSON.parse(read('sim/truth.json'));
const heist = truth.heists[0];
const cashout = heist.cashouts[0];

const port = await freePort();
const base = `http://127.0.0.1:${port}`;
const server = spawn(tl, ['serve', '--db', join(work, 'db'), '--blocks-dir', join(work, 'sim/blocks'),
  '--keys', join(work, 'keys.txt'), '--listen', `127.0.0.1:${port}`, '--threads', '2'], { stdio: ['ignore', 'inherit', 'inherit'] });
let serverExit = null;
server.on('exit', (c, s) => { serverExit = c ?? s; });
const stopServer = () => { if (serverExit === null) server.kill('SIGTERM'); };
process.on('exit', stopServer);

async function apiGet(path, key) {
  const r = await fetch(base + path, { headers: key ? { Authorization: 'Bearer ' + key } : {} });
  return { status: r.status, body: r.headers.get('content-type')?.includes('json') ? await r.json() : await r.text() };
}

for (let i = 0; ; i++) {
  if (serverExit !== null) { console.log('FAIL the server exited with ' + serverExit); process.exit(1); }
  try { if ((await fetch(base + '/healthz')).ok) break; } catch (e) { /* not up yet */ }
  if (i > WAIT_MS / 100) { console.log('FAIL the server did not answer /healthz'); process.exit(1); }
  await new Promise((r) => setTimeout(r, 100));
}

const profile = mkdtempSync(join(work, 'profile-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: BROWSER, headless: true, viewport: { width: 1400, height: 1000 }, acceptDownloads: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
ctx.setDefaultTimeout(WAIT_MS);
const consoleErrors = [];
const ethProbe404s = [];
const foreign = [];
ctx.on('request', (r) => { const u = new URL(r.url()); if (!['127.0.0.1', ''].includes(u.hostname) && !['data:', 'blob:'].includes(u.protocol)) foreign.push(r.url()); });

async function newPage(label) {
  const page = await ctx.newPage();
  // The Ethereum probe's 404 (no Ethereum database served) is expected:
  // Chromium logs every failed fetch; only that URL is let through.
  page.on('console', (m) => {
    if (m.type() !== 'error') return;
    if (/\/eth\/api\/v2\//.test(m.location().url || '') && /404/.test(m.text())) { ethProbe404s.push(m.location().url); return; }
    consoleErrors.push(`${label}: ${m.text()}`);
  });
  page.on('pageerror', (e) => consoleErrors.push(`${label}: ${e.message}`));
  page.on('dialog', (d) => d.accept(page.nextPrompt !== undefined ? page.nextPrompt : undefined));
  return page;
}

async function ready(page) {
  await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state));
  return page.evaluate(() => ({ state: document.body.dataset.state, status: document.getElementById('status').textContent }));
}

async function shot(page, name) { await page.screenshot({ path: join(artifacts, name + '.png') }); }

// The node table and edge table as the page shows them.
function readTables(page) {
  return page.evaluate(() => {
    const nodes = [...document.querySelectorAll('#nodes-table tbody tr')].map((r) => {
      const c = r.cells;
      return { id: r.dataset.id, kind: r.dataset.kind, ref: c[0].textContent, entity: c[2].textContent,
        category: c[3].dataset.category, tainted: c[4].dataset.sat !== undefined ? Number(c[4].dataset.sat) : null,
        hidden: r.classList.contains('hidden-by-filter') };
    });
    const edges = [...document.querySelectorAll('#edges-table tbody tr')].map((r) => ({ from: r.dataset.from, to: r.dataset.to,
      amount: r.cells[2].dataset.sat !== undefined ? Number(r.cells[2].dataset.sat) : null,
      tainted: r.cells[3].dataset.sat !== undefined ? Number(r.cells[3].dataset.sat) : null, time: r.cells[4].textContent }));
    return { nodes, edges };
  });
}

async function signIn(page, key) {
  await page.goto(base + '/');
  await ready(page);
  check(await page.isVisible('#login'), 'without a key the page asks for one');
  await page.fill('#key', key);
  await page.click('#login-form button');
  await page.waitForFunction(() => document.getElementById('login').hidden);
  return ready(page);
}

// A base-unit amount in whole units, written again here (the page's own
// is web/src/eth.js units()).
function wholeUnits(base, decimals) {
  const d = BigInt(decimals || 0), v = BigInt(base);
  if (!d) return v.toString();
  const q = 10n ** d, frac = (v % q).toString().padStart(Number(d), '0').replace(/0+$/, '');
  return (v / q).toString() + (frac ? '.' + frac : '');
}

// Ethereum in the app: a second server with the Bitcoin and the Ethereum
// database; the account of the heist's exploiter (its assets and its
// exposure as the API gives them), the heist's seed transaction, and a
// link from one to the other.
async function ethChecks() {
  const eport = await freePort();
  const ebase = `http://127.0.0.1:${eport}`;
  const es = spawn(tl, ['serve', '--db', join(work, 'db'), '--db', join(work, 'edb'), '--blocks-dir', join(work, 'sim/blocks'),
    '--keys', join(work, 'keys.txt'), '--listen', `127.0.0.1:${eport}`, '--threads', '2'], { stdio: ['ignore', 'inherit', 'inherit'] });
  let esExit = null;
  es.on('exit', (c, sig) => { esExit = c ?? sig; });
  const stop = () => { if (esExit === null) es.kill('SIGTERM'); };
  process.on('exit', stop);
  try {
    for (let i = 0; ; i++) {
      if (esExit !== null) throw new Error('the Ethereum server exited with ' + esExit);
      try { if ((await fetch(ebase + '/healthz')).ok) break; } catch (e) { /* not up yet */ }
      if (i > WAIT_MS / 100) throw new Error('the Ethereum server did not answer /healthz');
      await new Promise((r) => setTimeout(r, 100));
    }
    const eget = async (path) => (await fetch(ebase + path, { headers: { Authorization: 'Bearer ' + keyInv } })).json();
    const etruth = JSON.parse(read('esim/truth.json'));
    const eh = etruth.heists[0];
    const ep = await newPage('ethereum');
    await ep.goto(ebase + '/');
    await ep.evaluate((k) => sessionStorage.setItem('taintline.key', k), keyInv);
    await ep.goto(`${ebase}/ui/search/${eh.exploiter}`);
    await ep.waitForURL(`${ebase}/ui/eth/address/${eh.exploiter.toLowerCase()}`);
    let st = await ready(ep);
    const acct = await eget(`/eth/api/v2/addresses/${eh.exploiter}`);
    const shownAssets = await ep.evaluate(() => [...document.querySelectorAll('#eth-assets tbody tr')].map((r) =>
      ({ asset: r.dataset.asset, balance: r.cells[4].textContent, base: r.cells[4].dataset.base })));
    check(st.state === 'ready' && acct.assets.length > 0 && shownAssets.length === acct.assets.length &&
      acct.assets.every((a, i) => shownAssets[i].asset === a.asset && shownAssets[i].base === a.balance && shownAssets[i].balance === wholeUnits(a.balance, a.decimals)),
      `searching an Ethereum account shows its ${acct.assets.length} assets with the balances of /eth/api/v2/addresses`, { st, shownAssets, acct });
    const verdict = await eget(`/v1/screen?address=${eh.exploiter}`);
    const want = verdict.exposures.flatMap((e) => e.assets.map((x) => `${e.heist} ${x.asset} ${x.tainted}`));
    const shownExp = await ep.evaluate(() => [...document.querySelectorAll('#eth-exposures tbody tr')].map((r) =>
      `${r.dataset.heist} ${r.dataset.asset} ${r.cells[2].dataset.base}`));
    check(want.length > 0 && want.some((w) => w.startsWith(eh.id + ' ')) && JSON.stringify(shownExp) === JSON.stringify(want),
      `the exploiter's exposure to ${eh.id} is shown as screening gives it (${want.length} assets)`, { want, shownExp });
    const seed = (JSON.parse(read('esim/heists.json')).heists.find((h) => h.id === eh.id).seeds[0].txid).toLowerCase();
    await ep.fill('#q', seed);
    await ep.press('#q', 'Enter');
    await ep.waitForURL(`${ebase}/ui/eth/tx/${seed}`);
    const txShown = await ep.waitForFunction((h) => document.body.dataset.state === 'ready' &&
      document.querySelector('#eth-tx dd[data-field="hash"]')?.textContent === h, seed).then(() => true, () => false);
    const tx = await eget(`/eth/api/v2/transactions/${seed}`);
    const txRows = await ep.evaluate(() => document.querySelectorAll('#eth-transfers tbody tr').length);
    const from = await ep.getAttribute('#eth-tx dd[data-field="from"] a', 'title');
    check(txShown && from === tx.from && txRows === tx.transfers.length,
      `searching the heist's seed transaction shows it with its ${tx.transfers.length} transfers`, { from, txRows });
    await shot(ep, '09-ethereum');
    await ep.click('#eth-tx dd[data-field="from"] a');
    await ep.waitForURL(`${ebase}/ui/eth/address/${tx.from}`);
    st = await ready(ep);
    check(st.state === 'ready' && (await ep.textContent('#panel h2')) === tx.from, 'the sender links to its account');
    // the heist list names the chain each heist is traced on; an
    // Ethereum heist opens its flow report
    const hl = (await eget('/v1/heists')).heists;
    const on = (id) => JSON.stringify((hl.find((x) => x.id === id) || {}).traced_on);
    check(on(eh.id) === '["ethereum"]' && on(heist.id) === '["bitcoin"]',
      'GET /v1/heists lists the Ethereum heist traced on ethereum and the Bitcoin one on bitcoin', { eth: on(eh.id), btc: on(heist.id) });
    await ep.goto(`${ebase}/ui/heist/${eh.id}`);
    st = await ready(ep);
    const [dl] = await Promise.all([ep.waitForEvent('download'), ep.click('#eth-heist-report')]);
    const rp = join(artifacts, 'eth-report.html');
    await dl.saveAs(rp);
    const html = readFileSync(rp, 'utf8');
    check(st.state === 'ready' && /<html/i.test(html) && html.includes(eh.id),
      `the Ethereum heist's page downloads its flow report (${html.length} bytes)`, st);
    await ep.close();
  } finally {
    stop();
  }
}

try {
  // ---- the first load: the page and every asset, under 1 MB ----
  {
    const fp = await newPage('first-load');
    const bodies = [];
    fp.on('response', (r) => { const u = new URL(r.url()); if (!u.pathname.startsWith('/v1/') && !u.pathname.startsWith('/api/')) bodies.push(r.body().then((b) => [u.pathname, b.length], () => [u.pathname, 0])); });
    await fp.goto(base + '/ui');
    check((await ready(fp)).state === 'ready' && await fp.isVisible('#login'), 'deep link /ui opens the app (asking for a key)');
    const files = await Promise.all(bodies);
    const total = files.reduce((a, [, n]) => a + n, 0);
    check(files.some(([p]) => p.endsWith('/cytoscape.mjs')) && total > 0 && total < 1000000,
      `the first load (${files.length} files, ${total} bytes) is under 1 MB`, files);
    await fp.close();
  }

  // ---- sign-in and home ----
  const page = await newPage('investigator');
  const st = await signIn(page, keyInv);
  check(st.state === 'ready', 'signed in with the investigate key', st);
  check((await page.textContent('#who')).includes('analyst A (investigate)'), 'the page names the key and its role');
  check(await page.isVisible(`#panel a[href="/ui/heist/${heist.id}"]`), 'home lists the simulated heist');
  await shot(page, '01-home');

  // ---- the trace under each policy, against `taintline trace --format json` ----
  for (const p of POLICIES) {
    await page.goto(`${base}/ui/heist/${heist.id}?policy=${p}`);
    const s = await ready(page);
    check(s.state === 'ready', `deep link /ui/heist/${heist.id}?policy=${p} loads`, s);
    check(await page.inputValue('#policy') === p, `the policy selector shows ${p}`);
    const cli = JSON.parse(read(`trace-${p}.json`));
    const { nodes, edges } = await readTables(page);
    const want = new Map();
    for (const e of cli.graph.edges) want.set(e.from + '>' + e.to, e.amount_sat);
    const got = new Map(edges.map((e) => [e.from.slice(2) + '>' + e.to.slice(2), e.tainted]));
    const diff = [...want].filter(([k, v]) => got.get(k) !== v).slice(0, 5);
    check(edges.length === cli.graph.edges.length && diff.length === 0,
      `${p}: every edge of the CLI trace (${cli.graph.edges.length}) is in the table with its tainted amount`, { rows: edges.length, diff });
    // A node's tainted amount: what flows into it; a seed: what flows out.
    const inflow = new Map(), outflow = new Map();
    for (const e of cli.graph.edges) {
      inflow.set(e.to, (inflow.get(e.to) || 0) + e.amount_sat);
      outflow.set(e.from, (outflow.get(e.from) || 0) + e.amount_sat);
    }
    const byRef = new Map(nodes.map((n) => [n.ref, n]));
    const bad = cli.graph.nodes.filter((n) => {
      const row = byRef.get(n.id);
      const w = inflow.has(n.id) ? inflow.get(n.id) : (outflow.get(n.id) || 0);
      return !row || row.tainted !== w;
    }).slice(0, 5);
    check(nodes.length === cli.graph.nodes.length && bad.length === 0,
      `${p}: one row per node (${cli.graph.nodes.length}), with the full id and the tainted amount`, { rows: nodes.length, bad });
    const ends = cli.endpoints.filter((e) => e.tag);
    const badEnt = ends.filter((e) => { const r = byRef.get(e.outpoint); return !r || r.entity !== e.tag.label || r.category !== e.tag.category; }).slice(0, 3);
    check(badEnt.length === 0, `${p}: endpoints show their entity and category (${ends.length})`, badEnt);
    if (p !== 'poison') {
      const seedSum = nodes.filter((n) => n.category === 'seed').reduce((s, n) => s + n.tainted, 0);
      check(seedSum === cli.totals.seeded_sat, `${p}: the seed rows carry the seeded amount ${cli.totals.seeded_sat}`, seedSum);
    }
    await shot(page, `02-trace-${p}`);
  }
  // Switching the policy in place
  await page.selectOption('#policy', 'fifo');
  await page.waitForURL(/policy=fifo/);
  await ready(page);
  const afterSwitch = await readTables(page);
  check(afterSwitch.edges.length === JSON.parse(read('trace-fifo.json')).graph.edges.length, 'switching the policy selector reloads the trace under fifo');

  // ---- a saved and reopened case, with a note on a node ----
  const noted = (await readTables(page)).nodes.find((n) => n.category === 'seed').id;
  await page.click(`#nodes-table tr[data-id="${noted}"] button`);
  await page.fill('#node-note', 'theft transaction');
  await page.dispatchEvent('#node-note', 'change');
  await page.waitForFunction((id) => document.querySelector(`#nodes-table tr[data-id="${id}"] td.note`)?.textContent === 'theft transaction', noted);
  const before = await page.evaluate(() => window.taintline.graph.snapshot().nodes.map((n) => [n.data.id, Math.round(n.position.x), Math.round(n.position.y)]).sort());
  await page.click('#save-case');
  await page.fill('#case-name', 'Bitsim theft, fifo');
  await page.selectOption('#case-tlp', 'red');
  await page.fill('#case-notes', 'Follow the Hashbase deposits.');
  await page.click('#case-save');
  await page.waitForURL(/\/ui\/case\/\d+$/);
  const caseId = page.url().split('/').pop();
  check(/Case #\d+: Bitsim theft, fifo/.test(await page.textContent('#case-title')), 'the saved case is named in the case bar');
  const page2 = await newPage('reopen');
  await page2.goto(base + '/');
  await page2.evaluate((k) => sessionStorage.setItem('taintline.key', k), keyInv);
  await page2.goto(`${base}/ui/case/${caseId}`);
  const s2 = await ready(page2);
  check(s2.state === 'ready', `deep link /ui/case/${caseId} opens the case`, s2);
  const after = await page2.evaluate(() => window.taintline.graph.snapshot().nodes.map((n) => [n.data.id, Math.round(n.position.x), Math.round(n.position.y)]).sort());
  check(JSON.stringify(after) === JSON.stringify(before), `the reopened case shows the same graph, node for node and position for position (${after.length} nodes)`);
  const reT = await readTables(page2);
  check(reT.edges.length === afterSwitch.edges.length && reT.nodes.every((n, i) => n.tainted === afterSwitch.nodes[i].tainted),
    'the reopened case keeps the tainted amounts');
  check(await page2.textContent(`#nodes-table tr[data-id="${noted}"] td.note`) === 'theft transaction', 'the note on a node is kept in the case');
  check((await page2.textContent('#case-bar')).includes('TLP:RED') && (await page2.textContent('#case-bar')).includes('by analyst A'),
    'the case shows its TLP level and author (the key name)');
  await shot(page2, '03-case-reopened');
  await page2.close();

  // list, rename, audit, delete
  await page.goto(base + '/ui/case');
  await ready(page);
  check(await page.isVisible(`#cases-table tr[data-case="${caseId}"]`), 'the case is listed');
  page.nextPrompt = 'Bitsim theft (renamed)';
  await page.click(`#cases-table tr[data-case="${caseId}"] button.rename`);
  await page.waitForFunction((id) => document.querySelector(`#cases-table tr[data-case="${id}"]`)?.textContent.includes('renamed'), caseId);
  const audit = (await apiGet(`/v1/audit?case=${caseId}`, keyInv)).body.entries.map((e) => `${e.action}:${e.by}`);
  check(JSON.stringify(audit) === JSON.stringify(['rename:analyst A', 'open:analyst A', 'create:analyst A']),
    'the audit log holds create, open and rename by the key name, newest first', audit);
  check((await page.textContent('#audit-table')).includes('rename'), 'the cases view shows the audit log');
  await shot(page, '04-cases');
  page.nextPrompt = undefined;
  await page.click(`#cases-table tr[data-case="${caseId}"] button.delete`);
  await page.waitForFunction((id) => !document.querySelector(`#cases-table tr[data-case="${id}"]`), caseId);
  check((await apiGet(`/v1/cases/${caseId}`, keyInv)).status === 404, 'a deleted case is gone');

  // ---- an address: deep link, entity, expand, time filter, path, panel ----
  await page.goto(`${base}/ui/address/${cashout.address}`);
  let s3 = await ready(page);
  check(s3.state === 'ready', `deep link /ui/address/${cashout.address} loads`, s3);
  let t = await readTables(page);
  const arow = t.nodes.find((n) => n.id === 'a:' + cashout.address);
  check(arow && arow.category === 'exchange' && arow.entity.length > 0, 'the cash-out address is coloured as an exchange with its label', arow);
  const txs = (await apiGet(`/api/address/${cashout.address}/txs`, keyInv)).body;
  const txRows = t.nodes.filter((n) => n.kind === 'tx' || n.kind === 'group');
  check(txRows.length > 0 && (txRows.some((n) => n.kind === 'group') || txs.every((x) => t.nodes.some((n) => n.ref === x.txid))),
    'the address\'s newest transactions are on the graph (or grouped as a hub)', { txRows: txRows.length, txs: txs.length });
  await page.click('#nodes-table tr[data-id="a:' + cashout.address + '"] button');
  await page.waitForSelector('#panel dl');
  await page.waitForFunction(() => document.querySelector('#panel .txs tbody tr'));
  check((await page.textContent('#panel')).includes('Hashbase') || (await page.textContent('#panel')).includes(arow.entity), 'the side panel shows the address\'s tags');
  await shot(page, '05-address');

  // expand: the cash-out transaction's outputs
  await page.goto(`${base}/ui/tx/${cashout.txid}`);
  s3 = await ready(page);
  check(s3.state === 'ready', `deep link /ui/tx/${cashout.txid} loads`, s3);
  const tx = (await apiGet(`/api/tx/${cashout.txid}`, keyInv)).body;
  t = await readTables(page);
  const outAddrs = new Set(tx.vout.map((o) => o.scriptpubkey_address).filter(Boolean));
  const inAddrs = new Set(tx.vin.map((v) => v.prevout && v.prevout.scriptpubkey_address).filter(Boolean));
  const shown = new Set(t.nodes.filter((n) => n.kind === 'address').map((n) => n.ref));
  const grouped = t.nodes.some((n) => n.kind === 'group');
  check(grouped || [...outAddrs, ...inAddrs].every((a) => shown.has(a)), 'the transaction\'s input and output addresses are on the graph', { outAddrs: outAddrs.size, inAddrs: inAddrs.size, shown: shown.size });
  const paid = tx.vout.filter((x) => x.scriptpubkey_address === cashout.address).reduce((s, x) => s + x.value, 0);
  const toCashout = t.edges.find((x) => x.from === 't:' + cashout.txid && x.to === 'a:' + cashout.address);
  check(toCashout && toCashout.amount === paid && toCashout.time.length > 0,
    `the edge to the cash-out address carries the amount paid (${paid}) and the time`, toCashout);
  const n0 = t.nodes.length;
  await page.click(`#nodes-table tr[data-id="a:${cashout.address}"] button.exp-out`);
  await page.waitForFunction((n) => document.querySelectorAll('#nodes-table tbody tr').length > n, n0);
  await ready(page);
  t = await readTables(page);
  const spends = txs.filter((x) => x.vin.some((v) => v.prevout && v.prevout.scriptpubkey_address === cashout.address));
  check(t.nodes.length > n0 && spends.every((x) => t.nodes.some((n) => n.ref === x.txid)) || t.nodes.some((n) => n.id === `g:a:${cashout.address}:out`),
    `expanding the address outward adds the transactions spending from it (${spends.length})`, { before: n0, after: t.nodes.length });
  const spend = t.edges.find((e) => e.from === 'a:' + cashout.address);
  check(!!spend, 'an edge leaves the address after the expand');
  // the path between the cash-out transaction and a spending transaction
  await page.click(`#nodes-table tr[data-id="t:${cashout.txid}"] button`);
  await page.click(`#nodes-table tr[data-id="${spend.to}"] button`);
  await page.click('#path-btn');
  const path = (await page.getAttribute('#summary', 'data-path')) || '';
  check(path.split(' ').length === 3 && path.split(' ')[0] === `t:${cashout.txid}` && path.includes(`a:${cashout.address}`) && path.split(' ')[2] === spend.to,
    'the path between the two selected nodes runs through the address', path);
  // the time window: nothing before the chain's start
  await page.fill('#t-to', '2000-01-01');
  await page.dispatchEvent('#t-to', 'change');
  t = await readTables(page);
  check(t.nodes.filter((n) => t.edges.some((e) => e.from === n.id || e.to === n.id)).every((n) => n.hidden), 'a time window before every transaction hides every connected node');
  await page.fill('#t-to', '');
  await page.dispatchEvent('#t-to', 'change');
  t = await readTables(page);
  check(t.nodes.every((n) => !n.hidden), 'clearing the time window shows them again');
  await shot(page, '06-tx-expanded');

  // collapse the cash-out address's cluster into one node, then open it;
  // first the inputs of the transaction spending from the address (the
  // exchange sweeping its deposit addresses: one cluster)
  const nBefore = t.nodes.length;
  await page.click(`#nodes-table tr[data-id="${spend.to}"] button.exp-in`);
  await page.waitForFunction((n) => document.querySelectorAll('#nodes-table tbody tr').length > n, nBefore);
  await ready(page);
  t = await readTables(page);
  const addrNodes = t.nodes.filter((n) => n.kind === 'address').map((n) => n.ref);
  const clusterOf = new Map();
  for (const a of addrNodes) clusterOf.set(a, (await apiGet(`/v1/addresses/${a}/tags`, keyInv)).body.cluster?.id);
  const cid = clusterOf.get(cashout.address);
  const members = addrNodes.filter((a) => clusterOf.get(a) === cid);
  const idsBefore = t.nodes.map((n) => n.id).sort();
  await page.click(`#nodes-table tr[data-id="a:${cashout.address}"] button`);
  await page.click('#collapse-cluster');
  await page.waitForSelector(`#nodes-table tr[data-id="c:${cid}"]`);
  await ready(page);
  t = await readTables(page);
  check(members.length >= 2 && members.every((a) => !t.nodes.some((n) => n.id === 'a:' + a)) && t.nodes.length === idsBefore.length - members.length + 1,
    `collapsing the cluster replaces its ${members.length} addresses on the graph by one node`, { members: members.length, before: idsBefore.length, after: t.nodes.length });
  await page.click(`#nodes-table tr[data-id="c:${cid}"] button.open-cluster`);
  await page.waitForSelector(`#nodes-table tr[data-id="a:${cashout.address}"]`);
  await ready(page);
  t = await readTables(page);
  check(JSON.stringify(t.nodes.map((n) => n.id).sort()) === JSON.stringify(idsBefore), 'opening the cluster brings its addresses back');

  // exports
  for (const [btn, ext, test] of [['#export-json', 'json', (b) => JSON.parse(b.toString()).graph.snapshot.nodes.length === t.nodes.length],
    ['#export-svg', 'svg', (b) => b.toString().startsWith('<svg') && (b.toString().match(/<g data-id=/g) || []).length === t.nodes.length],
    ['#export-png', 'png', (b) => b.subarray(1, 4).toString() === 'PNG' && b.length > 2000]]) {
    const [dl] = await Promise.all([page.waitForEvent('download'), page.click(btn)]);
    const p = join(artifacts, 'export.' + ext);
    await dl.saveAs(p);
    check(test(readFileSync(p)), `the ${ext.toUpperCase()} export holds the graph`);
  }

  // a block, a cluster, and the search box
  await page.goto(`${base}/ui/block/1`);
  s3 = await ready(page);
  const h1 = (await apiGet('/api/block-height/1', keyInv)).body;
  check(s3.state === 'ready' && (await page.textContent('#block')).includes(h1), 'deep link /ui/block/1 shows the block', s3);
  // the block view: a block of more than one page of transactions, its
  // list page by page against /api/block/:hash/txids, and a transaction
  // added to the graph from it
  let big = null;
  for (let start = Number((await apiGet("/api/blocks/tip/height", keyInv)).body); start >= 0 && !big; start -= 10)
    big = (await apiGet(`/api/blocks/${start}`, keyInv)).body.find((b) => b.tx_count > 30) || null;
  if (!big) check(false, 'the simulated chain has a block of more than 30 transactions');
  else {
    const ids = (await apiGet(`/api/block/${big.id}/txids`, keyInv)).body;
    const listed = () => page.evaluate(() => [...document.querySelectorAll('#block-txs-table tbody tr')].map((r) => r.dataset.txid));
    await page.goto(`${base}/ui/block/${big.height}`);
    s3 = await ready(page);
    let got = await listed();
    check(s3.state === 'ready' && JSON.stringify(got) === JSON.stringify(ids.slice(0, 25)),
      `deep link /ui/block/${big.height} lists the block's first 25 transactions in order`, { got: got.length, want: ids.length });
    check((await page.textContent('#block-txs-table caption')).includes(`of ${ids.length}`), 'the list says how many transactions the block has');
    await page.click('#block-next');
    await page.waitForFunction((t) => document.querySelector('#block-txs-table tbody tr')?.dataset.txid === t, ids[25]);
    got = await listed();
    check(JSON.stringify(got) === JSON.stringify(ids.slice(25, 50)) && page.url().endsWith(`/ui/block/${big.height}?start=25`),
      'Next shows the second page and puts it in the link', { url: page.url(), got: got.length });
    await page.goto(`${base}/ui/block/${big.id}?start=25`);
    await ready(page);
    check(JSON.stringify(await listed()) === JSON.stringify(ids.slice(25, 50)), `deep link /ui/block/HASH?start=25 opens that page`);
    await page.click('#block-prev');
    await page.waitForFunction((t) => document.querySelector('#block-txs-table tbody tr')?.dataset.txid === t, ids[0]);
    check(true, 'Previous goes back to the first page');
    const pick = ids[1];
    await page.click(`#block-txs-table tr[data-txid="${pick}"] button.add-tx`);
    await page.waitForSelector(`#nodes-table tr[data-id="t:${pick}"]`);
    await ready(page);
    const ptx = (await apiGet(`/api/tx/${pick}`, keyInv)).body;
    t = await readTables(page);
    const outs = new Set(ptx.vout.map((o) => o.scriptpubkey_address).filter(Boolean));
    check(t.nodes.some((n) => n.kind === 'group') || [...outs].every((a) => t.nodes.some((n) => n.id === 'a:' + a)),
      `"Add to graph" puts the transaction and its ${outs.size} output addresses on the graph`, { nodes: t.nodes.length });
    await shot(page, '08-block');
    await page.fill('#q', big.id);
    await page.press('#q', 'Enter');
    // The link may already be /ui/block/HASH (Previous put it there), so
    // neither the URL nor the ready state shows the search's own render:
    // wait for the list that render draws.
    await page.waitForURL(`${base}/ui/block/${big.id}`);
    const shown = await page.waitForFunction((t) => document.body.dataset.state === 'ready'
      && document.querySelector('#block-txs-table tbody tr')?.dataset.txid === t, ids[0], { timeout: 10000 }).then(() => true, () => false);
    check(shown && (await listed())[0] === ids[0], 'searching a block hash opens the block', { url: page.url(), first: (await listed())[0] });
    await page.fill('#q', String(big.height));
    await page.press('#q', 'Enter');
    await page.waitForURL(`${base}/ui/block/${big.height}`);
    await ready(page);
    const hShown = await page.waitForFunction((h) => document.body.dataset.state === 'ready'
      && document.querySelector('#block-h')?.textContent === h, `Block ${big.height}`, { timeout: 10000 }).then(() => true, () => false);
    check(hShown, 'searching a height opens the block', await page.textContent('#block-h'));
  }
  const tags = (await apiGet(`/v1/addresses/${cashout.address}/tags`, keyInv)).body;
  await page.goto(`${base}/ui/cluster/${tags.cluster.id}`);
  s3 = await ready(page);
  t = await readTables(page);
  check(s3.state === 'ready' && t.nodes.some((n) => n.id === 'c:' + tags.cluster.id), `deep link /ui/cluster/${tags.cluster.id} shows the cluster`, s3);
  await page.fill('#q', cashout.address);
  await page.press('#q', 'Enter');
  await page.waitForURL(`${base}/ui/address/${cashout.address}`);
  await ready(page);
  check((await readTables(page)).nodes.some((n) => n.id === 'a:' + cashout.address), 'searching an address opens it');
  await page.fill('#q', heist.id);
  await page.press('#q', 'Enter');
  await page.waitForURL(`${base}/ui/heist/${heist.id}`);
  await ready(page);
  check((await readTables(page)).edges.length === JSON.parse(read('trace-haircut.json')).graph.edges.length, 'searching the heist id opens its trace (haircut)');
  await page.goto(`${base}/ui/search/${heist.id}`);
  await page.waitForURL(`${base}/ui/heist/${heist.id}`);
  check((await ready(page)).state === 'ready', 'the deep link /ui/search/ID opens what the search finds');
  await page.fill('#q', cashout.txid);
  await page.press('#q', 'Enter');
  await page.waitForURL(`${base}/ui/tx/${cashout.txid}`);
  check((await ready(page)).state === 'ready', 'searching a txid opens the transaction');
  // Ethereum: recognised in the search box; this server has no Ethereum
  // database, which the page says
  const ethAddr = '0x00000000219AB540356cBB839Cbe05303d7705Fa', ethTx = '0x' + 'ab'.repeat(32);
  for (const [q, want] of [[ethAddr, `/ui/eth/address/${ethAddr.toLowerCase()}`], [ethTx, `/ui/eth/tx/${ethTx}`]]) {
    await page.fill('#q', q);
    await page.press('#q', 'Enter');
    await page.waitForURL(base + want);
    const se = await ready(page);
    check(se.state === 'ready' && (await page.textContent('#eth-unserved')).startsWith('Ethereum database not served'),
      `searching ${q.length === 42 ? 'an Ethereum address' : 'an Ethereum transaction hash'} says the Ethereum database is not served`, se);
  }
  await page.goto(base + '/ui/search/' + cashout.txid);
  await page.waitForURL(`${base}/ui/tx/${cashout.txid}`);
  await ready(page);
  // keyboard: the graph takes arrow keys and Enter
  await page.focus('#graph');
  await page.keyboard.press('ArrowRight');
  const sel = await page.evaluate(() => window.taintline.graph.cy.$('node:selected').map((n) => n.id()));
  check(sel.length === 1, 'the arrow keys select a node on the graph', sel);
  await page.keyboard.press('ArrowRight');
  const sel2 = await page.evaluate(() => window.taintline.graph.cy.$('node:selected').map((n) => n.id()));
  check(sel2.length === 1 && sel2[0] !== sel[0], 'the next arrow key moves the selection to another node', sel2);
  const z0 = await page.evaluate(() => window.taintline.graph.cy.zoom());
  await page.keyboard.press('+');
  const z1 = await page.evaluate(() => window.taintline.graph.cy.zoom());
  await page.keyboard.press('-');
  const z2 = await page.evaluate(() => window.taintline.graph.cy.zoom());
  check(z1 > z0 && Math.abs(z2 - z0) < 1e-9 * z0, 'the + and - keys zoom the graph in and back out', [z0, z1, z2]);
  // Enter on a selected address expands it outward: an output address of
  // the transaction whose spending transactions are not on the graph yet
  const onGraph = new Set((await readTables(page)).nodes.map((n) => n.id));
  let addrSel = null, spendsOf = [];
  for (const id of await page.evaluate(() => window.taintline.graph.cy.nodes('[kind = "address"]').filter((a) => a.incomers('node').nonempty()).map((a) => a.id()))) {
    const spent = (await apiGet(`/api/address/${id.slice(2)}/txs`, keyInv)).body.filter((x) => x.vin.some((v) => v.prevout && v.prevout.scriptpubkey_address === id.slice(2)));
    if (spent.some((x) => !onGraph.has('t:' + x.txid))) { addrSel = id; spendsOf = spent; break; }
  }
  if (!addrSel) check(false, 'an output address of the transaction has been spent from (to expand with Enter)');
  else {
    await page.evaluate((id) => { const g = window.taintline.graph.cy; g.$(':selected').unselect(); g.getElementById(id).select(); document.getElementById('status').textContent = ''; }, addrSel);
    await page.focus('#graph');
    await page.keyboard.press('Enter');
    await page.waitForFunction(() => document.getElementById('status').textContent.includes('nodes added'));
    await ready(page);
    const afterKey = await readTables(page);
    check(spendsOf.every((x) => afterKey.nodes.some((n) => n.id === 't:' + x.txid)) || afterKey.nodes.some((n) => n.id === `g:${addrSel}:out`),
      `Enter on a selected address expands its spending transactions (${spendsOf.length}; ${onGraph.size} -> ${afterKey.nodes.length} nodes)`);
  }
  await page.close();

  // ---- a screen-role key sees only screening ----
  const sp = await newPage('screener');
  await signIn(sp, keyScreen);
  check(await sp.isVisible('#screen-view') && !(await sp.isVisible('#graph-view')), 'a screen key gets the screening view only');
  await sp.goto(`${base}/ui/address/${cashout.address}`);
  await ready(sp);
  const verdict = (await apiGet(`/v1/screen?address=${cashout.address}`, keyScreen)).body;
  check((await sp.textContent('#risk')) === verdict.risk, `the screening verdict is shown (${verdict.risk})`);
  await sp.goto(`${base}/ui/heist/${heist.id}`);
  await ready(sp);
  check(!(await sp.isVisible('#graph-view')) && (await sp.textContent('#screen-result')).includes('only screen'), 'a screen key cannot open a trace view');
  check((await apiGet('/v1/cases', keyScreen)).status === 403 && (await apiGet(`/v1/heists/${heist.id}/trace`, keyScreen)).status === 403,
    'the server refuses cases and traces to a screen key');
  await shot(sp, '07-screen-role');
  await sp.close();

  await ethChecks();

  check(consoleErrors.length === 0, `no console errors (besides the Ethereum probe's ${ethProbe404s.length} expected 404s)`, consoleErrors);
  check(foreign.length === 0, 'nothing was requested from anywhere but the server', foreign);
} catch (e) {
  check(false, 'the run finished', e.stack || String(e));
} finally {
  await ctx.close().catch(() => {});
  rmSync(profile, { recursive: true, force: true });
  stopServer();
}
console.log(`\nweb app: ${passed} passed, ${failed} failed (screenshots in ${artifacts})`);
process.exit(failed ? 1 : 0);
