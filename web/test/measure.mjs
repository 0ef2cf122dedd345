// Measures the web app in headless Chromium against a running server:
// the bytes of the first load (page and every asset), and for a trace the
// time to fetch it, lay it out and fill the tables, then the longest frame
// while zooming and panning.
//   node measure.mjs URL PATH [KEY]
// e.g. node measure.mjs http://127.0.0.1:8080 '/ui/heist/sim-heist-1?policy=haircut&max_hops=14'
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { chromium } from 'playwright-core';

const [base, path, key] = process.argv.slice(2);
const profile = mkdtempSync(join(tmpdir(), 'tl-measure-'));
const ctx = await chromium.launchPersistentContext(profile, {
  executablePath: process.env.TL_CHROMIUM || '/usr/bin/chromium', headless: true, viewport: { width: 1400, height: 1000 },
  args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
    '--disable-component-update', '--disable-sync'],
});
ctx.setDefaultTimeout(300000);
const page = await ctx.newPage();
let assetBytes = 0, apiBytes = 0;
const files = [];
page.on('response', async (r) => {
  const u = new URL(r.url());
  const len = (await r.body().catch(() => Buffer.alloc(0))).length;
  if (u.pathname.startsWith('/v1/') || u.pathname.startsWith('/api/')) apiBytes += len;
  else { assetBytes += len; files.push(`${u.pathname} ${len}`); }
});
if (key) { await page.goto(base + '/ui/config'); await page.evaluate((k) => sessionStorage.setItem('taintline.key', k), key); }
const t0 = Date.now();
await page.goto(base + path);
await page.waitForFunction(() => ['ready', 'error'].includes(document.body.dataset.state));
const wall = Date.now() - t0;
const info = await page.evaluate(() => ({ state: document.body.dataset.state, nodes: window.taintline.graph.cy.nodes().length,
  edges: window.taintline.graph.cy.edges().length, timings: window.taintline.state.timings,
  ready_after_navigation_ms: window.taintline.state.readyAt, marks: window.taintline.state.marks, now_ms: Math.round(performance.now()) }));
// Zoom and pan: 40 steps, one per animation frame; the longest frame.
const frames = await page.evaluate(async () => {
  const cy = window.taintline.graph.cy;
  const times = [];
  let last = performance.now();
  for (let i = 0; i < 40; i++) {
    if (i < 20) cy.zoom({ level: cy.zoom() * (i < 10 ? 1.15 : 1 / 1.15), renderedPosition: { x: 500, y: 400 } });
    else cy.panBy({ x: 25, y: 10 });
    await new Promise((r) => requestAnimationFrame(r));
    const now = performance.now();
    times.push(now - last);
    last = now;
  }
  const first = Math.round(times[0]);
  times.sort((a, b) => a - b);
  return { first_ms: first, median_ms: Math.round(times[20]), max_ms: Math.round(times[39]),
    max_after_first_ms: Math.round(times[times[39] === times.find((x) => Math.round(x) === first) ? 38 : 39]) };
});
console.log(JSON.stringify({ path, wall_ms: wall, ...info, first_load_asset_bytes: assetBytes, api_bytes: apiBytes, files, frames }, null, 1));
await ctx.close();
rmSync(profile, { recursive: true, force: true });
