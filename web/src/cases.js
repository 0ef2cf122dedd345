// Cases: a named, saved graph (elements, positions, viewport) with notes
// and a TLP level, stored by the server with its author and times; list,
// open, rename, delete, and the audit log of who did what.
import { api } from './api.js';
import { el } from './format.js';

const $ = (id) => document.getElementById(id);

export class Cases {
  constructor(app) {
    this.app = app;
    this.current = null; // the open case's metadata
    $('case-form').addEventListener('submit', (ev) => {
      if (ev.submitter && ev.submitter.value === 'save') { ev.preventDefault(); this.save().catch(app.fail); }
    });
  }

  closeBar(keep) {
    if (keep) return;
    this.current = null;
    $('case-bar').hidden = true;
  }

  saveDialog() {
    const c = this.current;
    $('case-name').value = c ? c.name : '';
    $('case-tlp').value = c ? c.tlp : 'amber';
    $('case-notes').value = c ? c.notes || '' : '';
    $('case-dialog').showModal();
  }

  async save() {
    const body = { name: $('case-name').value.trim(), tlp: $('case-tlp').value, notes: $('case-notes').value,
      graph: this.app.caseGraph() };
    if (!body.name) { this.app.status('a case needs a name', true); return; }
    this.app.setBusy('loading');
    const c = this.current ? await api.put('/v1/cases/' + this.current.id, body) : await api.post('/v1/cases', body);
    $('case-dialog').close();
    this.show(c);
    history.replaceState(null, '', '/ui/case/' + c.id);
    this.app.status(`case #${c.id} saved`);
    this.app.setBusy('ready');
  }

  show(c) {
    this.current = c;
    const bar = $('case-bar');
    bar.hidden = false;
    bar.replaceChildren(el('strong', { id: 'case-title', text: `Case #${c.id}: ${c.name}` }),
      ` TLP:${c.tlp.toUpperCase()} · by ${c.author} · created ${c.created} · updated ${c.updated}`,
      c.notes ? el('p', { id: 'case-notes-shown', text: c.notes }) : '');
  }

  async open(id) {
    const c = await api.get('/v1/cases/' + encodeURIComponent(id));
    if (!c.graph || !c.graph.snapshot) throw new Error(`case #${c.id} holds no graph`);
    this.app.loadCaseGraph(c.graph);
    this.show(c);
  }

  async list() {
    const [{ cases }, { entries }] = await Promise.all([api.get('/v1/cases'), api.get('/v1/audit?limit=200')]);
    $('cases-table').tBodies[0].replaceChildren(...cases.map((c) => el('tr', { 'data-case': c.id },
      el('td', { text: c.id }),
      el('td', null, el('a', { href: '/ui/case/' + c.id, 'data-nav': true, text: c.name })),
      el('td', { text: c.tlp }), el('td', { text: c.author }), el('td', { text: c.updated }),
      el('td', null,
        el('button', { type: 'button', class: 'rename', text: 'Rename', onclick: () => this.rename(c) }), ' ',
        el('button', { type: 'button', class: 'delete', text: 'Delete', onclick: () => this.remove(c) })))));
    $('audit-table').tBodies[0].replaceChildren(...entries.map((e) => el('tr', null,
      el('td', { text: e.time }), el('td', { text: `#${e.case} ${e.name}` }), el('td', { text: e.action }),
      el('td', { text: `${e.by} (${e.role})` }), el('td', { text: (e.changes || []).join(', ') }))));
  }

  async rename(c) {
    const name = prompt(`New name of case #${c.id}`, c.name);
    if (!name || name === c.name) return;
    await api.put('/v1/cases/' + c.id, { name });
    await this.list();
    this.app.status(`case #${c.id} renamed`);
  }

  async remove(c) {
    if (!confirm(`Delete case #${c.id} "${c.name}"?`)) return;
    await api.del('/v1/cases/' + c.id);
    await this.list();
    this.app.status(`case #${c.id} deleted`);
  }
}
