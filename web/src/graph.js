// The flow graph: a cytoscape.js instance is the one model of what is on
// screen; the table view, exports and cases all read it from here.
//
// Node ids: "a:ADDRESS", "t:TXID", "o:TXID:VOUT" (trace endpoints and
// holdings), "g:..." (a hub's counterparties grouped), "c:ID" (a cluster).
// Node data: kind, ref (the full address, txid or outpoint), label,
// entity, category, tainted (sat), time (unix), members (groups).
// Edge data: amount (sat), tainted (sat, trace only), time (unix).
import cytoscape from './cytoscape.mjs';

// d3-hierarchy's tree layout, loaded as a classic script by index.html.
const d3 = globalThis.d3;
import { btcShort, isoDate, short } from './format.js';

export const COLOURS = {
  seed: '#d1242f', exchange: '#0969da', mixer: '#8250df', bridge: '#0e8a7e', sanctioned: '#111111',
  holding: '#e16f24', service: '#57606a', tagged: '#bf8700', '': '#afb8c1',
};
export const CATEGORY_NAMES = {
  seed: 'heist seed', exchange: 'exchange', mixer: 'mixer', bridge: 'bridge', sanctioned: 'sanctioned',
  holding: 'holding', service: 'service', tagged: 'tagged', '': '',
};

// Category of a tag's category string (unknown ones are "tagged").
export function categoryOf(cat) {
  if (!cat) return '';
  return Object.prototype.hasOwnProperty.call(COLOURS, cat) ? cat : 'tagged';
}

function edgeLabel(e) {
  const t = e.data('tainted');
  const a = e.data('amount');
  let s = t !== undefined && t !== null ? btcShort(t) + ' tainted' : (a !== undefined ? btcShort(a) : '');
  const time = e.data('time');
  if (time) s += '\n' + isoDate(time).slice(0, 16).replace('T', ' ');
  return s;
}

// Category colours as one selector each (static values: a function
// mapper is re-run for every element on each style pass).
const colourRules = Object.entries(COLOURS).filter(([k]) => k).map(([k, v]) => (
  { selector: `node[category = "${k}"]`, style: { 'background-color': v } }));

// Marks shared by both styles; later rules win.
const MARKS = [
  { selector: 'node[kind = "group"]', style: { 'shape': 'hexagon', 'width': 26, 'height': 26, 'background-color': '#8c959f' } },
  { selector: 'node[kind = "cluster"]', style: { 'shape': 'octagon', 'width': 30, 'height': 30 } },
  { selector: 'node.coinjoin', style: { 'border-width': 3, 'border-color': '#8250df', 'border-style': 'double' } },
  { selector: 'node.peel', style: { 'border-width': 2, 'border-color': '#e16f24', 'border-style': 'dashed' } },
  { selector: 'node.more', style: { 'border-width': 2, 'border-color': '#0969da', 'border-style': 'dotted' } },
  { selector: 'edge[tainted > 0]', style: { 'line-color': '#d1242f', 'target-arrow-color': '#d1242f', 'mid-target-arrow-color': '#d1242f' } },
  { selector: '.filtered', style: { 'display': 'none' } },
  { selector: '.path', style: { 'line-color': '#fbca04', 'target-arrow-color': '#fbca04', 'mid-target-arrow-color': '#fbca04', 'width': 4, 'border-color': '#fbca04', 'border-width': 4 } },
  { selector: 'node:selected', style: { 'border-width': 3, 'border-color': '#fbca04', 'label': nodeLabel } },
  { selector: 'edge:selected, edge.near', style: { 'label': edgeLabel, 'width': 2 } },
];

function nodeLabel(n) { return n.data('note') ? n.data('label') + ' ✎ ' + n.data('note') : n.data('label'); }

// Small graphs: every node and edge labelled, arrows at the targets.
const STYLE = [
  { selector: 'node', style: {
    'background-color': COLOURS[''], 'label': nodeLabel, 'font-size': 9, 'text-valign': 'bottom', 'text-margin-y': 2,
    'min-zoomed-font-size': 7, 'width': 18, 'height': 18, 'border-width': 1, 'border-color': '#fff',
  } },
  ...colourRules,
  { selector: 'node[kind = "tx"]', style: { 'shape': 'round-rectangle', 'width': 14, 'height': 10 } },
  { selector: 'edge', style: {
    'width': 1.2, 'line-color': '#8c959f', 'target-arrow-color': '#8c959f', 'target-arrow-shape': 'triangle',
    'arrow-scale': 0.7, 'curve-style': 'straight', 'label': edgeLabel, 'font-size': 7,
    'min-zoomed-font-size': 8, 'text-wrap': 'wrap', 'text-rotation': 'autorotate', 'color': '#57606a',
  } },
  ...MARKS,
];

// Large graphs (past LARGE nodes) draw far less per element, as each frame
// of a pan or zoom redraws thousands of them on the CPU: labels only on
// tagged nodes and noted ones (and the selection, and the edges at the
// selected node), no node borders, haystack edges (one line each, with
// no per-edge geometry cache) and a mid-edge arrow.
export const LARGE = 1000;
const STYLE_LARGE = [
  { selector: 'node', style: {
    'background-color': COLOURS[''], 'label': '', 'font-size': 9, 'text-valign': 'bottom', 'text-margin-y': 2,
    'min-zoomed-font-size': 12, 'width': 18, 'height': 18, 'border-width': 0,
  } },
  { selector: 'node[?entity], node[?note]', style: { 'label': nodeLabel } },
  ...colourRules,
  { selector: 'node[kind = "tx"]', style: { 'shape': 'rectangle', 'width': 14, 'height': 10 } },
  { selector: 'edge', style: {
    'width': 1, 'line-color': '#8c959f', 'curve-style': 'haystack', 'haystack-radius': 0,
    'mid-target-arrow-shape': 'triangle', 'mid-target-arrow-color': '#8c959f', 'arrow-scale': 0.6,
    'font-size': 7, 'min-zoomed-font-size': 8, 'text-wrap': 'wrap', 'text-rotation': 'autorotate', 'color': '#57606a',
  } },
  ...MARKS,
];

export class Graph {
  constructor(container, hooks) {
    this.hooks = hooks;
    this.cy = cytoscape({
      container, style: STYLE, minZoom: 0.02, maxZoom: 6,
      // Pan and zoom move one picture of the graph (textureOnViewport)
      // drawn once when the gesture starts, instead of redrawing every
      // element each frame (5,000 nodes: up to seconds a frame on 2 CPU
      // cores). Edges stay in that picture: hiding them made cytoscape
      // draw each node on its own rather than from its layer caches. At a
      // pixel ratio of 1 or less cytoscape draws the picture at twice the
      // ratio, where the layer caches of the current zoom do not apply; a
      // hair above 1 keeps it at the caches' scale.
      textureOnViewport: true, hideEdgesOnViewport: false, pixelRatio: 1.01, motionBlur: false,
    });
    this.large = false;
    // The edges at the selected node carry their labels (amount, time).
    this.cy.on('select', 'node', (ev) => { ev.target.connectedEdges().addClass('near'); hooks.onSelect(ev.target); });
    this.cy.on('unselect', 'node', (ev) => { ev.target.connectedEdges().removeClass('near'); hooks.onSelect(null); });
    this.cy.on('dbltap', 'node', (ev) => hooks.onActivate(ev.target));
  }

  clear() { this.cy.elements().remove(); }

  node(id) { const n = this.cy.getElementById(id); return n.nonempty() ? n : null; }

  // Adds or updates a node; returns it.
  putNode(d) {
    const n = this.cy.getElementById(d.id);
    if (n.nonempty()) {
      for (const [k, v] of Object.entries(d)) if (v !== undefined && k !== 'id') n.data(k, v);
      return n;
    }
    return this.cy.add({ group: 'nodes', data: d, classes: d.classes || '' });
  }

  // Adds or updates the edge source->target; returns it.
  putEdge(d) {
    const id = d.id || d.source + '>' + d.target;
    const e = this.cy.getElementById(id);
    if (e.nonempty()) {
      for (const [k, v] of Object.entries(d)) if (v !== undefined && k !== 'id') e.data(k, v);
      return e;
    }
    return this.cy.add({ group: 'edges', data: Object.assign({ id }, d) });
  }

  // Lays the graph out. A flow (a trace, or any graph past 150 nodes) is
  // drawn as a tidy tree by d3-hierarchy over a breadth-first spanning
  // tree from the roots: left to right up to 300 nodes, radial beyond.
  // cytoscape's own breadthfirst layout took 5.7 s for a 5,352-node trace
  // in headless Chromium here; the tree takes milliseconds. Small explored
  // graphs use cytoscape's force-directed cose. Returns the time in ms.
  layout(opts) {
    const o = opts || {};
    const n = this.cy.nodes().length - this.cy.nodes('.filtered').length;
    this.fitStyle();
    const t0 = performance.now();
    if (o.roots || n > 150) this.treeLayout(o.roots || []);
    else this.cy.elements().not('.filtered').layout({ name: 'cose', animate: false, randomize: false, nodeRepulsion: 8000, idealEdgeLength: 90, numIter: 600 }).run();
    this.lastLayoutMs = performance.now() - t0;
    this.fitPositions();
    return this.lastLayoutMs;
  }

  // Picks the style for the graph's size (STYLE_LARGE past LARGE nodes).
  fitStyle() {
    const large = this.cy.nodes().length > LARGE;
    if (large !== this.large) { this.large = large; this.cy.style(large ? STYLE_LARGE : STYLE); }
  }

  // Fits the view to the nodes' centres. cy.fit() measures every label
  // first (seconds for thousands of edge labels); the centres are enough.
  fitPositions() {
    const cy = this.cy;
    let x1 = Infinity, y1 = Infinity, x2 = -Infinity, y2 = -Infinity;
    cy.nodes().forEach((n) => {
      if (n.hasClass('filtered')) return;
      const p = n.position();
      if (p.x < x1) x1 = p.x; if (p.x > x2) x2 = p.x;
      if (p.y < y1) y1 = p.y; if (p.y > y2) y2 = p.y;
    });
    if (x1 === Infinity) return;
    const pad = 40, w = cy.width(), h = cy.height();
    const zoom = Math.min(1.5, (w - 2 * pad) / Math.max(1, x2 - x1), (h - 2 * pad) / Math.max(1, y2 - y1));
    cy.viewport({ zoom, pan: { x: w / 2 - zoom * (x1 + x2) / 2, y: h / 2 - zoom * (y1 + y2) / 2 } });
  }

  treeLayout(rootIds) {
    const cy = this.cy;
    const t0 = performance.now();
    // (':visible' would compute every element's style: seconds at 5,000)
    const ids = [];
    cy.nodes().forEach((x) => { if (!x.hasClass('filtered')) ids.push(x.id()); });
    const out = new Map(), und = new Map();
    const push = (m, k, v) => { const l = m.get(k); if (l) l.push(v); else m.set(k, [v]); };
    cy.edges().forEach((e) => {
      if (e.hasClass('filtered')) return;
      const s = e.data('source'), t = e.data('target');
      push(out, s, t); push(und, s, t); push(und, t, s);
    });
    const ROOT = '\u0000root';
    const parent = new Map();
    const bfs = (starts, adj) => {
      const q = starts.filter((r) => !parent.has(r));
      for (const r of q) parent.set(r, ROOT);
      for (let i = 0; i < q.length; i++)
        for (const v of adj.get(q[i]) || []) if (!parent.has(v)) { parent.set(v, q[i]); q.push(v); }
    };
    // Along the flow from the roots first; what that misses (nodes
    // upstream of a root, or a graph without roots) hangs off the first
    // node reached in either direction.
    bfs(rootIds.filter((r) => cy.getElementById(r).nonempty()), out);
    for (const id of ids) if (!parent.has(id)) bfs([id], und);
    const t1 = performance.now();
    const rows = [{ id: ROOT, parentId: null }];
    for (const id of ids) rows.push({ id, parentId: parent.get(id) });
    const root = d3.stratify().id((r) => r.id).parentId((r) => r.parentId)(rows);
    const n = ids.length;
    const pos = new Map();
    if (n <= 300) {
      d3.tree().nodeSize([34, 190])(root);
      root.each((d) => pos.set(d.id, { x: d.y, y: d.x }));
    } else {
      const R = Math.sqrt(n) * 40;
      d3.tree().size([2 * Math.PI, R]).separation((a, b) => (a.parent === b.parent ? 1 : 2) / Math.max(1, a.depth))(root);
      root.each((d) => pos.set(d.id, { x: d.y * Math.cos(d.x - Math.PI / 2), y: d.y * Math.sin(d.x - Math.PI / 2) }));
    }
    const t2 = performance.now();
    cy.batch(() => { for (const id of ids) cy.getElementById(id).position(pos.get(id)); });
    this.layoutParts = { spanning_ms: Math.round(t1 - t0), tree_ms: Math.round(t2 - t1), apply_ms: Math.round(performance.now() - t2) };
  }

  // Hides edges outside [from, to] (unix seconds, either may be null) and
  // the nodes left without a visible edge (unless alone from the start).
  timeFilter(from, to) {
    const cy = this.cy;
    cy.batch(() => {
      cy.elements().removeClass('filtered');
      if (from === null && to === null) return;
      cy.edges().forEach((e) => {
        const t = e.data('time');
        if (!t) return;
        if ((from !== null && t < from) || (to !== null && t > to)) e.addClass('filtered');
      });
      cy.nodes().forEach((n) => {
        const all = n.connectedEdges();
        if (all.nonempty() && all.filter((e) => !e.hasClass('filtered')).empty()) n.addClass('filtered');
      });
    });
  }

  // Marks the shortest path (ignoring edge direction, by hops) between
  // two nodes; returns its nodes, or null when they are not connected.
  path(a, b) {
    this.cy.elements().removeClass('path');
    const r = this.cy.elements().not('.filtered').aStar({ root: a, goal: b, directed: false });
    if (!r.found) return null;
    r.path.addClass('path');
    return r.path.nodes();
  }

  // What a case or an export keeps: every element with its data and
  // position, and the viewport.
  snapshot() {
    const nodes = this.cy.nodes().map((n) => ({ data: n.data(), position: n.position(), classes: n.classes().filter((c) => c !== 'filtered' && c !== 'path').join(' ') }));
    const edges = this.cy.edges().map((e) => ({ data: e.data() }));
    return { nodes, edges, zoom: this.cy.zoom(), pan: this.cy.pan() };
  }

  restore(s) {
    this.clear();
    this.cy.add(s.nodes.map((n) => ({ group: 'nodes', data: n.data, position: n.position, classes: n.classes || '' })));
    this.cy.add(s.edges.map((e) => ({ group: 'edges', data: e.data })));
    this.fitStyle();
    this.cy.layout({ name: 'preset' }).run();
    if (s.zoom) { this.cy.zoom(s.zoom); this.cy.pan(s.pan); } else this.cy.fit(undefined, 30);
  }

  // The drawing as a standalone SVG document (positions from the layout).
  svg() {
    const bb = this.cy.elements().not('.filtered').boundingBox();
    const pad = 20;
    const w = Math.ceil(bb.w + 2 * pad), h = Math.ceil(bb.h + 2 * pad);
    const x = (v) => (v - bb.x1 + pad).toFixed(1), y = (v) => (v - bb.y1 + pad).toFixed(1);
    const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
    const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif">`,
      '<rect width="100%" height="100%" fill="#fff"/>'];
    this.cy.edges().not('.filtered').forEach((e) => {
      const s = e.source().position(), t = e.target().position();
      const col = e.data('tainted') > 0 ? '#d1242f' : '#8c959f';
      out.push(`<line x1="${x(s.x)}" y1="${y(s.y)}" x2="${x(t.x)}" y2="${y(t.y)}" stroke="${col}" stroke-width="1.2"><title>${esc(e.data('source').slice(2))} → ${esc(e.data('target').slice(2))}: ${esc(edgeLabel(e))}</title></line>`);
    });
    this.cy.nodes().not('.filtered').forEach((n) => {
      const p = n.position();
      const col = COLOURS[n.data('category') || ''] || COLOURS[''];
      const shape = n.data('kind') === 'tx'
        ? `<rect x="${(+x(p.x) - 7).toFixed(1)}" y="${(+y(p.y) - 5).toFixed(1)}" width="14" height="10" fill="${col}"/>`
        : `<circle cx="${x(p.x)}" cy="${y(p.y)}" r="9" fill="${col}"/>`;
      out.push(`<g data-id="${esc(n.id())}">${shape}<text x="${x(p.x)}" y="${(+y(p.y) + 18).toFixed(1)}" font-size="8" text-anchor="middle">${esc(n.data('label') || '')}</text><title>${esc(n.data('ref') || n.id())}</title></g>`);
    });
    out.push('</svg>');
    return out.join('\n');
  }
}

export function txNode(txid, extra) {
  return Object.assign({ id: 't:' + txid, kind: 'tx', ref: txid, label: short(txid) }, extra || {});
}

export function addrNode(addr, extra) {
  return Object.assign({ id: 'a:' + addr, kind: 'address', ref: addr, label: short(addr) }, extra || {});
}
