// The graph as tables: one row per node (full address, txid or outpoint,
// its entity, its tainted amount when a trace is shown) and one per edge.
// Screen readers and keyboard users work from here; so do the tests.
import { btc, el, isoDate } from './format.js';
import { COLOURS, CATEGORY_NAMES } from './graph.js';

const $ = (id) => document.getElementById(id);

function satCell(v) {
  if (v === undefined || v === null) return el('td', { class: 'num' });
  return el('td', { class: 'num', 'data-sat': String(v), text: btc(v) });
}

export function renderTables(graph, explorer, on) {
  const cy = graph.cy;
  // Tainted amounts are shown when the graph holds a trace (loaded now or
  // restored from a case).
  const tracing = !!explorer.trace || cy.edges().some((e) => e.data('tainted') !== undefined);
  const nodes = document.createDocumentFragment();
  cy.nodes().forEach((n) => {
    const d = n.data();
    const hidden = n.hasClass('filtered');
    const acts = el('td', null,
      el('button', { type: 'button', onclick: () => on.onSelect(d.id), 'aria-label': 'select ' + (d.ref || d.id), text: 'Select' }));
    if (!tracing && (d.kind === 'tx' || d.kind === 'address')) {
      acts.append(' ', el('button', { type: 'button', class: 'exp-in', onclick: () => on.onExpand(d.id, 'in'), 'aria-label': 'expand inputs of ' + d.ref, text: 'In' }),
        ' ', el('button', { type: 'button', class: 'exp-out', onclick: () => on.onExpand(d.id, 'out'), 'aria-label': 'expand outputs of ' + d.ref, text: 'Out' }));
    } else if (d.kind === 'group') {
      acts.append(' ', el('button', { type: 'button', onclick: () => on.onExpand(d.id, 'both'), text: 'Open group' }));
    } else if (d.kind === 'cluster' && d.collapsed) {
      acts.append(' ', el('button', { type: 'button', class: 'open-cluster', onclick: () => on.onExpand(d.id, 'both'), text: 'Open cluster' }));
    }
    nodes.append(el('tr', { 'data-id': d.id, 'data-kind': d.kind, class: hidden ? 'hidden-by-filter' : null },
      el('td', null, el('code', { text: d.ref || d.id })),
      el('td', { text: d.kind + (n.hasClass('coinjoin') ? ' (CoinJoin)' : '') + (n.hasClass('peel') ? ' (peel chain)' : '') + (hidden ? ' (outside the time window)' : '') }),
      el('td', { class: 'entity', text: d.entity || '' }),
      el('td', { class: 'category', 'data-category': d.category || '' },
        el('span', { class: 'cat', style: `background:${COLOURS[d.category || ''] || COLOURS['']}` }), CATEGORY_NAMES[d.category || ''] || d.category || ''),
      tracing ? satCell(d.tainted) : satCell(undefined),
      acts, el('td', { class: 'note', text: d.note || '' })));
  });
  $('nodes-table').tBodies[0].replaceChildren(nodes);
  const edges = document.createDocumentFragment();
  cy.edges().forEach((e) => {
    const d = e.data();
    edges.append(el('tr', { 'data-from': d.source, 'data-to': d.target, class: e.hasClass('filtered') ? 'hidden-by-filter' : null },
      el('td', null, el('code', { text: d.source.slice(2) })), el('td', null, el('code', { text: d.target.slice(2) })),
      satCell(d.amount), satCell(d.tainted), el('td', { text: isoDate(d.time) })));
  });
  $('edges-table').tBodies[0].replaceChildren(edges);
  const shown = cy.nodes().length - cy.nodes('.filtered').length;
  $('nodes-table').caption.textContent = `Nodes: ${cy.nodes().length} (${shown} in the time window), edges: ${cy.edges().length}`;
}

export function markSelected(id) {
  const tb = $('nodes-table').tBodies[0];
  for (const r of tb.querySelectorAll('tr.selected')) r.classList.remove('selected');
  if (!id) return;
  const r = tb.querySelector(`tr[data-id="${CSS.escape(id)}"]`);
  if (r) r.classList.add('selected');
}
