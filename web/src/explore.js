// Loading the graph from the API: exploration from an address or a
// transaction one hop at a time (Esplora routes), the trace of a heist
// (/v1/heists/:id/trace) and a cluster's tagged members (/v1/clusters/:id).
import { api, pool } from './api.js';
import { addrNode, categoryOf, txNode } from './graph.js';
import { short } from './format.js';

// A CoinJoin by its shape (the tracer's rule, docs/tracing.md): at least 5
// inputs and 5 outputs of one equal value making up at least half of the
// outputs, and no OP_RETURN output.
export function isCoinJoin(tx) {
  if (tx.vin.length < 5 || tx.vout.length < 5) return false;
  if (tx.vout.some((o) => o.scriptpubkey_type === 'op_return')) return false;
  const counts = new Map();
  for (const o of tx.vout) counts.set(o.value, (counts.get(o.value) || 0) + 1);
  const best = Math.max(...counts.values());
  return best >= 5 && best * 2 >= tx.vout.length;
}

export class Explorer {
  constructor(graph, status) {
    this.g = graph;
    this.status = status;
    this.hub = 20;
    this.txCache = new Map();
  }

  async tx(txid) {
    if (!this.txCache.has(txid)) this.txCache.set(txid, await api.get('/api/tx/' + txid));
    return this.txCache.get(txid);
  }

  txData(tx) {
    return txNode(tx.txid, { time: tx.status && tx.status.block_time, classes: isCoinJoin(tx) ? 'coinjoin' : '' });
  }

  // Entity colours for address nodes: one batch screening call per 1000
  // addresses gives each one's tag (label, category), sanctions and risk.
  async classify(addrs) {
    const todo = addrs.filter((a) => { const n = this.g.node('a:' + a); return n && n.data('risk') === undefined; });
    for (let i = 0; i < todo.length; i += 1000) {
      const chunk = todo.slice(i, i + 1000);
      let r;
      try {
        r = await api.post('/v1/screen', { items: chunk.map((a) => ({ address: a })) });
      } catch (e) {
        this.status('entity lookup failed: ' + e.message, true);
        return;
      }
      r.results.forEach((v, k) => {
        const n = this.g.node('a:' + chunk[k]);
        if (!n || v.error) return;
        const tag = v.subject && v.subject.tag;
        const cat = v.sanctioned ? 'sanctioned' : categoryOf(tag && tag.category);
        const cur = n.data('category');
        n.data({ risk: v.risk, entity: tag ? tag.label : '', category: cur === 'seed' ? cur : cat,
          label: tag ? tag.label : short(chunk[k]) });
      });
    }
  }

  // Adds counterparties of `center` (edges toward or from it); over the
  // hub threshold they become one group node. items: [{node, amount, time, dir}]
  // with dir 'in' (item -> center) or 'out' (center -> item).
  attach(center, items, dir, groupLabel) {
    if (!items.length) return [];
    if (items.length > this.hub) {
      const gid = 'g:' + center + ':' + dir;
      const total = items.reduce((s, i) => s + i.amount, 0);
      this.g.putNode({ id: gid, kind: 'group', ref: `${items.length} ${groupLabel}`, label: `${items.length} ${groupLabel}`,
        category: '', members: items.map((i) => ({ node: i.node, amount: i.amount, time: i.time })), groupOf: center, dir });
      this.g.putEdge(dir === 'in' ? { source: gid, target: center, amount: total } : { source: center, target: gid, amount: total });
      return [];
    }
    const added = [];
    // New nodes start beside the node they hang from (inputs left,
    // outputs right), so that the layout refines rather than untangles.
    const c = this.g.node(center);
    const at = c ? c.position() : { x: 0, y: 0 };
    items.forEach((i, k) => {
      if (!this.g.node(i.node.id))
        this.g.cy.add({ group: 'nodes', data: i.node, classes: i.node.classes || '',
          position: { x: at.x + (dir === 'in' ? -120 : 120), y: at.y + (k - items.length / 2) * 30 } });
    });
    for (const i of items) {
      this.g.putNode(i.node);
      const e = dir === 'in' ? { source: i.node.id, target: center, amount: i.amount, time: i.time }
        : { source: center, target: i.node.id, amount: i.amount, time: i.time };
      this.g.putEdge(e);
      added.push(i.node);
    }
    return added;
  }

  // Replaces a group node by its members.
  async openGroup(gid) {
    const n = this.g.node(gid);
    if (!n) return;
    const { members, groupOf, dir } = n.data();
    n.remove();
    const saved = this.hub;
    this.hub = Infinity;
    const added = this.attach(groupOf, members, dir, '');
    this.hub = saved;
    await this.classify(added.filter((d) => d.kind === 'address').map((d) => d.ref));
  }

  async showTx(txid) {
    const tx = await this.tx(txid);
    this.g.putNode(this.txData(tx));
    await this.expandTx(txid, 'both');
    return 't:' + txid;
  }

  // One hop from a transaction: its input addresses ('in'), its output
  // addresses ('out') or both.
  async expandTx(txid, dir) {
    const tx = await this.tx(txid);
    const center = this.g.putNode(this.txData(tx)).id();
    const time = tx.status && tx.status.block_time;
    const addrs = [];
    const side = (list, pick) => {
      const m = new Map();
      for (const x of list) {
        const o = pick(x);
        if (!o || !o.scriptpubkey_address) continue;
        m.set(o.scriptpubkey_address, (m.get(o.scriptpubkey_address) || 0) + o.value);
      }
      return [...m].map(([a, v]) => ({ node: addrNode(a), amount: v, time }));
    };
    if (dir !== 'out') {
      const ins = side(tx.vin, (v) => v.prevout);
      addrs.push(...this.attach(center, ins, 'in', 'input addresses'));
    }
    if (dir !== 'in') {
      const outs = side(tx.vout, (o) => o);
      addrs.push(...this.attach(center, outs, 'out', 'output addresses'));
    }
    await this.classify(addrs.map((d) => d.ref));
  }

  async showAddress(addr) {
    const info = await api.get('/api/address/' + encodeURIComponent(addr));
    this.g.putNode(addrNode(addr, { stats: info.chain_stats }));
    await this.classify([addr]);
    await this.expandAddress(addr, 'both');
    return 'a:' + addr;
  }

  // One hop from an address over its newest transactions (25 per page;
  // `more` asks for the next page): 'in' = transactions paying it, 'out' =
  // transactions spending from it.
  async expandAddress(addr, dir, more) {
    const id = 'a:' + addr;
    const n = this.g.putNode(addrNode(addr));
    let path = '/api/address/' + encodeURIComponent(addr) + '/txs';
    if (more && n.data('last_txid')) path += '/chain/' + n.data('last_txid');
    const txs = await api.get(path);
    const ins = [], outs = [];
    for (const tx of txs) {
      this.txCache.set(tx.txid, tx);
      const time = tx.status && tx.status.block_time;
      const spent = tx.vin.reduce((s, v) => s + (v.prevout && v.prevout.scriptpubkey_address === addr ? v.prevout.value : 0), 0);
      const got = tx.vout.reduce((s, o) => s + (o.scriptpubkey_address === addr ? o.value : 0), 0);
      if (got > 0) ins.push({ node: this.txData(tx), amount: got, time });
      if (spent > 0) outs.push({ node: this.txData(tx), amount: spent, time });
    }
    if (dir !== 'out') this.attach(id, ins, 'in', 'paying transactions');
    if (dir !== 'in') this.attach(id, outs, 'out', 'spending transactions');
    const last = txs.length ? txs[txs.length - 1].txid : null;
    n.data({ last_txid: last });
    if (txs.length === 25) n.addClass('more'); else n.removeClass('more');
  }

  // Expands a node of any kind one hop.
  async expand(node, dir, more) {
    const k = node.data('kind');
    if (k === 'tx') return this.expandTx(node.data('ref'), dir);
    if (k === 'address') return this.expandAddress(node.data('ref'), dir, more);
    if (k === 'output') return this.expandTx(node.data('ref').split(':')[0], dir);
    if (k === 'group') return this.openGroup(node.id());
    if (k === 'cluster' && node.data('collapsed')) return this.openCluster(node.id());
    return undefined;
  }

  // A heist's trace: transactions, endpoint and holding outputs, the
  // tainted amount on every edge. Returns the root (seed) node ids.
  // extra: more trace parameters (max_hops, min_sat, until) as a query string.
  async showTrace(heist, policy, extra) {
    const t = await api.get(`/v1/heists/${encodeURIComponent(heist)}/trace?policy=${encodeURIComponent(policy)}${extra ? '&' + extra : ''}`);
    this.trace = t;
    const seedTx = new Set((t.seed_outputs || []).map((s) => (s.txid || s.outpoint.split(':')[0])));
    const ends = new Map((t.endpoints || []).map((e) => [e.outpoint, e]));
    const holds = new Map((t.holdings || []).map((h) => [h.outpoint, h]));
    const peel = new Set();
    for (const pc of t.peel_chains || []) for (const p of pc.peels || []) peel.add(p.outpoint.split(':')[0]);
    const mixerTx = new Set((t.mixers || []).filter((m) => m.coinjoin_txid || m.kind === 'coinjoin').map((m) => m.coinjoin_txid || m.txid));
    const idOf = new Map();
    const nodes = [], edges = [];
    for (const gn of t.graph.nodes) {
      let d;
      if (gn.kind === 'tx') {
        d = txNode(gn.id, { category: seedTx.has(gn.id) ? 'seed' : '' });
        const cls = [];
        if (peel.has(gn.id)) cls.push('peel');
        if (mixerTx.has(gn.id)) cls.push('coinjoin');
        d.classes = cls.join(' ');
      } else {
        const info = ends.get(gn.id) || holds.get(gn.id) || {};
        const tag = info.tag || {};
        let cat = categoryOf(gn.category || tag.category);
        if (gn.kind === 'holding') cat = 'holding';
        else if (info.kind === 'mixer' || info.kind === 'coinjoin') cat = 'mixer';
        d = { id: 'o:' + gn.id, kind: 'output', ref: gn.id, address: info.address || '',
          label: gn.label || tag.label || short(info.address || gn.id), entity: gn.label || tag.label || '',
          category: cat, time: info.time ? Date.parse(info.time) / 1000 : undefined, fate: gn.kind };
      }
      idOf.set(gn.id, d.id);
      nodes.push(d);
    }
    const inflow = new Map(), outflow = new Map();
    for (const ge of t.graph.edges) {
      const s = idOf.get(ge.from), d = idOf.get(ge.to);
      if (!s || !d) continue;
      edges.push({ id: s + '>' + d, source: s, target: d, amount: ge.amount_sat, tainted: ge.amount_sat, kind: ge.kind });
      inflow.set(d, (inflow.get(d) || 0) + ge.amount_sat);
      outflow.set(s, (outflow.get(s) || 0) + ge.amount_sat);
    }
    const byId = new Map(nodes.map((d) => [d.id, d]));
    for (const e of edges) { const tgt = byId.get(e.target); if (tgt && tgt.time) e.time = tgt.time; }
    // A node's tainted amount: the taint flowing into it; a seed, which
    // nothing flows into, the taint flowing out of it.
    for (const d of nodes) d.tainted = inflow.has(d.id) ? inflow.get(d.id) : (outflow.get(d.id) || 0);
    const cy = this.g.cy;
    cy.batch(() => {
      this.g.clear();
      cy.add(nodes.map((d) => ({ group: 'nodes', data: d, classes: d.classes || '' })));
      cy.add(edges.map((e) => ({ group: 'edges', data: e })));
    });
    return [...seedTx].map((x) => 't:' + x).filter((x) => cy.getElementById(x).nonempty());
  }

  // Collapses the addresses on the graph that belong to addr's cluster
  // into one node; their edges to the rest are summed per neighbour and
  // direction. The members and their edges are kept in the cluster node
  // (data "collapsed") for openCluster. Returns the cluster node's id.
  async collapseCluster(addr) {
    const tags = await api.get('/v1/addresses/' + encodeURIComponent(addr) + '/tags');
    if (!tags.cluster) throw new Error(addr + ' is in no cluster');
    const cid = tags.cluster.id;
    const cy = this.g.cy;
    const addrs = cy.nodes('[kind = "address"]').map((n) => n.data('ref')).slice(0, 500);
    const inCluster = await pool(addrs, 4, (a) => (a === addr ? Promise.resolve(true)
      : api.get('/v1/addresses/' + encodeURIComponent(a) + '/tags').then((t) => !!t.cluster && t.cluster.id === cid)));
    const members = cy.collection(addrs.filter((a, i) => inCluster[i]).map((a) => cy.getElementById('a:' + a)));
    const edges = members.connectedEdges();
    const saved = members.union(edges).jsons();
    const id = 'c:' + cid;
    let x = 0, y = 0;
    members.forEach((n) => { x += n.position('x'); y += n.position('y'); });
    const agg = new Map();
    edges.forEach((e) => {
      const s = e.data('source'), t = e.data('target');
      const sIn = members.getElementById(s).nonempty(), tIn = members.getElementById(t).nonempty();
      if (sIn && tIn) return; // inside the cluster
      const key = sIn ? id + '>' + t : s + '>' + id;
      const a = agg.get(key) || { source: sIn ? id : s, target: tIn ? id : t, amount: 0, time: 0 };
      a.amount += e.data('amount') || 0;
      if (e.data('tainted') !== undefined) a.tainted = (a.tainted || 0) + e.data('tainted');
      a.time = Math.max(a.time, e.data('time') || 0) || undefined;
      agg.set(key, a);
    });
    cy.batch(() => {
      members.remove();
      cy.add({ group: 'nodes', data: { id, kind: 'cluster', ref: String(cid), label: `${tags.cluster.label || 'cluster ' + cid} (${members.length} of ${tags.cluster.size})`,
        entity: tags.cluster.label || '', category: categoryOf((tags.cluster.categories || [])[0]), size: tags.cluster.size, collapsed: saved },
      position: { x: x / members.length, y: y / members.length } });
      for (const [k, a] of agg) cy.add({ group: 'edges', data: Object.assign({ id: k }, a) });
    });
    return id;
  }

  // Opens a collapsed cluster: its members and their edges come back.
  openCluster(id) {
    const n = this.g.node(id);
    if (!n || !n.data('collapsed')) return;
    const saved = n.data('collapsed');
    this.g.cy.batch(() => {
      n.remove();
      this.g.cy.add(saved.filter((j) => j.group === 'nodes'));
      this.g.cy.add(saved.filter((j) => j.group === 'edges' && this.g.node(j.data.source) && this.g.node(j.data.target)));
    });
  }

  // A cluster: one node for it and its tagged members around it.
  async showCluster(id) {
    const c = await api.get('/v1/clusters/' + encodeURIComponent(id));
    const cid = 'c:' + c.id;
    this.g.putNode({ id: cid, kind: 'cluster', ref: String(c.id), label: (c.label || 'cluster ' + c.id) + ` (${c.size})`,
      entity: c.label || '', category: categoryOf((c.categories || [])[0]), size: c.size });
    const seen = new Set();
    for (const t of c.tags || []) {
      const a = t.address || t.tagged_address;
      if (!a || seen.has(a) || seen.size >= 200) continue;
      seen.add(a);
      this.g.putNode(addrNode(a, { entity: t.label, category: categoryOf(t.category), label: t.label || short(a) }));
      this.g.putEdge({ source: cid, target: 'a:' + a, kind: 'member' });
    }
    return cid;
  }
}
