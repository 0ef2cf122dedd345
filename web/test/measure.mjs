// Measures the web app in headless Chromium against a running server: the
// bytes of the first load (page and every asset); for a graph view the
// time to fetch, lay out and tabulate it, and to draw it the first time;
// then frame times during a scripted pan and zoom sent as real mouse input
// through the DevTools protocol (wheel events and drags on the graph's
// background, one per frame, as a user's hand would), from the page's
// requestAnimationFrame timestamps.
//   node measure.mjs URL PATH [--key K] [--runs N] [--profile FILE] [--dev-assets]
// e.g. node measure.mjs http://127.0.0.1:8080 '/ui/heist/sim-heist-1?policy=haircut&max_hops=14' --runs 5
// Each run opens a fresh browser profile. Prints one JSON line per run,
// then a summary with the median of each figure over the runs. --profile
// writes a CPU profile (.cpuprofile, for Chromium's DevTools) of the last
// run's pan and zoom and prints the functions taking the most time.
// --dev-assets serves the app's files from web/src and the unminified
// libraries from web/node_modules instead of the server's built-in copies
// (to try a change without a rebuild, or to read a profile by name).
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { chromium } from 'playwright-core';

const argv = process.argv.slice(2);
const opt = (name, dflt) => { const i = argv.indexOf(name); if (i < 0) return dflt; const v = argv[i + 1]; argv.splice(i, 2); return v; };
const key = opt('--key', '');
const runs = Math.max(1, +opt('--runs', '1'));
const idleMs = Math.max(0, +opt('--idle-ms', '0'));
const profileOut = opt('--profile', '');
const devAssets = argv.includes('--dev-assets') ? (argv.splice(argv.indexOf('--dev-assets'), 1), true) : false;
const [base, path] = argv;
if (!base || !path) {
  console.error('usage: node measure.mjs URL PATH [--key K] [--runs N] [--profile FILE]');
  process.exit(2);
}

const median = (xs) => { const s = [...xs].sort((a, b) => a - b); return s.length ? s[(s.length - 1) >> 1] : null; };
const pct = (sorted, p) => sorted[Math.min(sorted.length - 1, Math.ceil(p * sorted.length) - 1)];

// The scripted gesture: wheel in, wheel out, a drag, wheel far in (labels
// drawn), another drag, wheel back out. Each input waits for one frame.
async function gesture(page) {
  const box = await page.locator('#graph').boundingBox();
  const cx = box.x + box.width / 2, cy = box.y + box.height / 2;
  const frame = () => page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r())));
  // A point of the graph's background (a drag there pans; on a node it
  // would move the node).
  const background = () => page.evaluate(() => {
    const g = window.taintline.graph.cy;
    const w = g.width(), h = g.height();
    const pts = g.nodes().map((n) => n.renderedPosition());
    let best = null, bestD = -1;
    for (let x = w * 0.2; x <= w * 0.8; x += w / 30)
      for (let y = h * 0.2; y <= h * 0.8; y += h / 30) {
        let d = Infinity;
        for (const p of pts) d = Math.min(d, Math.hypot(p.x - x, p.y - y));
        if (d > bestD) { bestD = d; best = { x, y }; }
      }
    return best;
  });
  const mark = (name) => page.evaluate((x) => window.__marks.push([`${x} from zoom ${window.taintline.graph.cy.zoom().toFixed(3)}`, performance.now()]), name);
  const wheel = async (n, dy) => {
    await mark(`wheel ${n}x${dy}`);
    await page.mouse.move(cx, cy);
    for (let i = 0; i < n; i++) { await page.mouse.wheel(0, dy); await frame(); }
  };
  const drag = async (n, dx, dy) => {
    const p = await background();
    await mark(`drag ${n}x(${dx},${dy})`);
    await page.mouse.move(box.x + p.x, box.y + p.y);
    await page.mouse.down();
    for (let i = 1; i <= n; i++) { await page.mouse.move(box.x + p.x + i * dx, box.y + p.y + i * dy); await frame(); }
    await page.mouse.up();
  };
  await wheel(12, -100);
  await wheel(12, 100);
  await drag(30, 8, 4);
  await wheel(25, -100);
  await drag(30, -8, -3);
  await wheel(25, 100);
  await mark('settle');
  await page.waitForTimeout(600); // the full redraw after the last input
}

async function run(last) {
  const profile = mkdtempSync(join(tmpdir(), 'tl-measure-'));
  const ctx = await chromium.launchPersistentContext(profile, {
    executablePath: process.env.TL_CHROMIUM || '/usr/bin/chromium', headless: true, viewport: { width: 1400, height: 1000 },
    args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
      '--disable-component-update', '--disable-sync'],
  });
  ctx.setDefaultTimeout(300000);
  try {
    const page = await ctx.newPage();
    const errors = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(e.message));
    if (devAssets) await page.route('**/ui/assets/*', (rt) => {
      const name = new URL(rt.request().url()).pathname.split('/').pop();
      const lib = { 'cytoscape.mjs': 'node_modules/cytoscape/dist/cytoscape.esm.mjs', 'd3-hierarchy.js': 'node_modules/d3-hierarchy/dist/d3-hierarchy.js' };
      const file = new URL('../' + (lib[name] || 'src/' + name), import.meta.url);
      rt.fulfill({ path: fileURLToPath(file), contentType: /\.css$/.test(name) ? 'text/css' : 'text/javascript' });
    });
    let assetBytes = 0, apiBytes = 0;
    page.on('response', async (r) => {
      const u = new URL(r.url());
      const len = (await r.body().catch(() => Buffer.alloc(0))).length;
      if (u.pathname.startsWith('/v1/') || u.pathname.startsWith('/api/')) apiBytes += len;
      else assetBytes += len;
    });
    if (key) { await page.goto(base + '/ui/config'); await page.evaluate((k) => sessionStorage.setItem('taintline.key', k), key); }
    await page.goto(base + path);
    await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state));
    // The first draw: the page is ready, then two frames.
    const info = await page.evaluate(async () => {
      const t0 = performance.now();
      await new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)));
      const s = window.taintline.state;
      const g = window.taintline.graph;
      return { state: document.body.dataset.state, nodes: g.cy.nodes().length, edges: g.cy.edges().length,
        ready_ms: s.readyAt, first_draw_ms: Math.round(performance.now() - t0), timings: s.timings || null, zoom_fit: g.cy.zoom() };
    });
    await page.evaluate(() => {
      const f = [];
      let on = true;
      const tick = (t) => { f.push(t); if (on) requestAnimationFrame(tick); };
      requestAnimationFrame(tick);
      window.__frames = () => { on = false; return f; };
      window.__marks = [];
    });
    // The investigator looks at the drawn graph before reaching for the wheel.
    if (idleMs) await page.waitForTimeout(idleMs);
    let cdp = null;
    if (last && profileOut) {
      cdp = await ctx.newCDPSession(page);
      await cdp.send('Profiler.enable');
      await cdp.send('Profiler.setSamplingInterval', { interval: 200 });
      await cdp.send('Profiler.start');
    }
    // The gesture twice: the first pass also fills the renderer's caches
    // at each zoom level, the second shows pan and zoom once they are warm.
    const passes = [];
    for (let k = 0; k < 2; k++) {
      await page.evaluate(() => window.__marks.push(['pass', performance.now()]));
      await gesture(page);
    }
    let prof = null;
    if (cdp) prof = (await cdp.send('Profiler.stop')).profile;
    const [ts, marks] = await page.evaluate(() => [window.__frames(), window.__marks]);
    const starts = marks.filter((m) => m[0] === 'pass').map((m) => m[1]).concat([Infinity]);
    for (let k = 0; k < 2; k++) {
      const dt = [], long = [];
      for (let i = 1; i < ts.length; i++) {
        if (ts[i - 1] < starts[k] || ts[i - 1] >= starts[k + 1]) continue;
        dt.push(ts[i] - ts[i - 1]);
        if (ts[i] - ts[i - 1] > 100) long.push(`${Math.round(ts[i] - ts[i - 1])}@${marks.filter((m) => m[1] <= ts[i - 1]).pop()[0]}`);
      }
      dt.sort((a, b) => a - b);
      passes.push({ frames: dt.length, p50_ms: +pct(dt, 0.5).toFixed(1), p99_ms: +pct(dt, 0.99).toFixed(1),
        max_ms: +dt[dt.length - 1].toFixed(1), over_100ms: dt.filter((x) => x > 100).length, long: long.join(' ') });
    }
    const r = { ...info, first_load_asset_bytes: assetBytes, api_bytes: apiBytes, console_errors: errors.length,
      load: readFileSync('/proc/loadavg', 'utf8').split(' ').slice(0, 3).join(' '), first: passes[0], warm: passes[1] };
    if (prof) { writeFileSync(profileOut, JSON.stringify(prof)); r.profile_top = topFunctions(prof); }
    return r;
  } finally {
    await ctx.close();
    rmSync(profile, { recursive: true, force: true });
  }
}

// Self time per function in a CPU profile, the largest first.
function topFunctions(p) {
  const self = new Map();
  const byId = new Map(p.nodes.map((n) => [n.id, n]));
  const dts = p.timeDeltas;
  p.samples.forEach((id, i) => {
    const n = byId.get(id).callFrame;
    const k = `${n.functionName || '(anonymous)'} ${n.url.split('/').pop()}:${n.lineNumber + 1}:${n.columnNumber + 1}`;
    self.set(k, (self.get(k) || 0) + (dts[i] || 0) / 1000);
  });
  return [...self].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, v]) => `${v.toFixed(0).padStart(7)} ms  ${k}`);
}

const all = [];
for (let i = 0; i < runs; i++) {
  const r = await run(i === runs - 1);
  const top = r.profile_top;
  delete r.profile_top;
  console.log(JSON.stringify({ run: i + 1, ...r }));
  if (top) console.log('CPU profile of the pan and zoom (self time):\n' + top.join('\n'));
  all.push(r);
}
const get = (r, k) => k.split('.').reduce((o, x) => (o == null ? o : o[x]), r);
const m = (k) => median(all.map((r) => get(r, k)).filter((x) => x !== null && x !== undefined));
const summary = { path, runs, nodes: all[0].nodes, edges: all[0].edges, first_load_asset_bytes: all[0].first_load_asset_bytes,
  load: all.map((r) => r.load.split(' ')[0]).join(',') };
for (const k of ['timings.load_ms', 'timings.layout_ms', 'timings.tables_ms', 'ready_ms', 'first_draw_ms',
  'first.frames', 'first.p50_ms', 'first.p99_ms', 'first.max_ms', 'first.over_100ms',
  'warm.frames', 'warm.p50_ms', 'warm.p99_ms', 'warm.max_ms', 'warm.over_100ms'])
  summary['median_' + k.replace('timings.', '').replace('.', '_')] = m(k);
summary.worst_first_max_ms = Math.max(...all.map((r) => r.first.max_ms));
summary.worst_warm_max_ms = Math.max(...all.map((r) => r.warm.max_ms));
console.log('summary ' + JSON.stringify(summary));
