// The flow graph: a cytoscape.js instance is the one model of what is on
// screen; the table view, exports and cases all read it from here.
//
// Node ids: "a:ADDRESS", "t:TXID", "o:TXID:VOUT" (trace endpoints and
// holdings), "g:..." (a hub's counterparties grouped), "c:ID" (a cluster).
// Node data: kind, ref (the full address, txid or outpoint), label,
// entity, category, tainted (sat), time (unix), members (groups).
// Edge data: amount (sat), tainted (sat, trace only), time (unix).
import cytoscape from './cytoscape.mjs';
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

const STYLE = [
  { selector: 'node', style: {
    'background-color': (n) => COLOURS[n.data('category') || ''] || COLOURS[''],
    'label': 'data(label)', 'font-size': 9, 'text-valign': 'bottom', 'text-margin-y': 2,
    'min-zoomed-font-size': 7, 'width': 18, 'height': 18, 'border-width': 1, 'border-color': '#fff',
  } },
  { selector: 'node[kind = "tx"]', style: { 'shape': 'round-rectangle', 'width': 14, 'height': 10 } },
  { selector: 'node[kind = "group"]', style: { 'shape': 'hexagon', 'width': 26, 'height': 26, 'background-color': '#8c959f' } },
  { selector: 'node[kind = "cluster"]', style: { 'shape': 'octagon', 'width': 30, 'height': 30 } },
  { selector: 'node.coinjoin', style: { 'border-width': 3, 'border-color': '#8250df', 'border-style': 'double' } },
  { selector: 'node.peel', style: { 'border-width': 2, 'border-color': '#e16f24', 'border-style': 'dashed' } },
  { selector: 'node.more', style: { 'border-width': 2, 'border-color': '#0969da', 'border-style': 'dotted' } },
  { selector: 'node:selected', style: { 'border-width': 3, 'border-color': '#fbca04' } },
  { selector: 'edge', style: {
    'width': 1.2, 'line-color': '#8c959f', 'target-arrow-color': '#8c959f', 'target-arrow-shape': 'triangle',
    'arrow-scale': 0.7, 'curve-style': 'straight', 'label': edgeLabel, 'font-size': 7,
    'min-zoomed-font-size': 8, 'text-wrap': 'wrap', 'text-rotation': 'autorotate', 'color': '#57606a',
  } },
  { selector: 'edge[tainted > 0]', style: { 'line-color': '#d1242f', 'target-arrow-color': '#d1242f' } },
  { selector: '.filtered', style: { 'display': 'none' } },
  { selector: '.path', style: { 'line-color': '#fbca04', 'target-arrow-color': '#fbca04', 'width': 4, 'border-color': '#fbca04', 'border-width': 4 } },
];

export class Graph {
  constructor(container, hooks) {
    this.hooks = hooks;
    this.cy = cytoscape({
      container, style: STYLE, minZoom: 0.02, maxZoom: 6,
      // Large graphs stay responsive: draw a texture while panning, skip
      // edges during a pan or zoom.
      textureOnViewport: false, hideEdgesOnViewport: true, pixelRatio: 1, motionBlur: false,
    });
    this.cy.on('select', 'node', (ev) => hooks.onSelect(ev.target));
    this.cy.on('unselect', 'node', () => hooks.onSelect(null));
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

  // Lays the graph out. Trees of flows (traces) use breadthfirst from the
  // roots; small explored graphs cose; big ones breadthfirst too.
  layout(opts) {
    const o = opts || {};
    const ele = this.cy.elements(':visible');
    let l;
    const n = ele.nodes().length;
    if (o.roots || n > 150) {
      const roots = o.roots && o.roots.length ? this.cy.collection(o.roots.map((r) => this.cy.getElementById(r))) : undefined;
      // Past a few hundred nodes the levels are rings (circle), which
      // keeps a wide tree readable in a square view.
      const side = Math.max(this.cy.width(), Math.sqrt(n) * 45);
      l = ele.layout({ name: 'breadthfirst', directed: true, roots, circle: n > 400, spacingFactor: n > 400 ? 1.2 : 0.9,
        animate: false, avoidOverlap: n < 400, nodeDimensionsIncludeLabels: false,
        boundingBox: n > 400 ? { x1: 0, y1: 0, w: side, h: side } : undefined });
    } else {
      l = ele.layout({ name: 'cose', animate: false, randomize: false, nodeRepulsion: 8000, idealEdgeLength: 90, numIter: 600 });
    }
    // Labels of a big graph appear only when zoomed in far enough to read.
    this.cy.style().selector('node').style('min-zoomed-font-size', n > 300 ? 12 : 7).update();
    const t0 = performance.now();
    l.run();
    this.lastLayoutMs = performance.now() - t0;
    this.cy.fit(undefined, 30);
    if (this.cy.zoom() > 1.5) { this.cy.zoom(1.5); this.cy.center(); }
    return this.lastLayoutMs;
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
    const r = this.cy.elements(':visible').aStar({ root: a, goal: b, directed: false });
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
    this.cy.layout({ name: 'preset' }).run();
    if (s.zoom) { this.cy.zoom(s.zoom); this.cy.pan(s.pan); } else this.cy.fit(undefined, 30);
  }

  // The drawing as a standalone SVG document (positions from the layout).
  svg() {
    const bb = this.cy.elements(':visible').boundingBox();
    const pad = 20;
    const w = Math.ceil(bb.w + 2 * pad), h = Math.ceil(bb.h + 2 * pad);
    const x = (v) => (v - bb.x1 + pad).toFixed(1), y = (v) => (v - bb.y1 + pad).toFixed(1);
    const esc = (s) => String(s).replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;').replace(/"/g, '&quot;');
    const out = [`<svg xmlns="http://www.w3.org/2000/svg" width="${w}" height="${h}" viewBox="0 0 ${w} ${h}" font-family="sans-serif">`,
      '<rect width="100%" height="100%" fill="#fff"/>'];
    this.cy.edges(':visible').forEach((e) => {
      const s = e.source().position(), t = e.target().position();
      const col = e.data('tainted') > 0 ? '#d1242f' : '#8c959f';
      out.push(`<line x1="${x(s.x)}" y1="${y(s.y)}" x2="${x(t.x)}" y2="${y(t.y)}" stroke="${col}" stroke-width="1.2"><title>${esc(e.data('source').slice(2))} → ${esc(e.data('target').slice(2))}: ${esc(edgeLabel(e))}</title></line>`);
    });
    this.cy.nodes(':visible').forEach((n) => {
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
