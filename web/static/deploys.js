// deploys.js: the strip of deployments above the live list — gatescope's
// start and each reload after a saved change, newest first. The server
// renders the newest; live frames ({"type":"deployment"}) update a
// deployment as it builds and ends, and a reconnect asks /api/deployments
// for what was missed. deployView is the pure part, tested with the Go
// side's table (web/testdata/deployments.json).
import { api, formatMs, formatTime, href } from './common.js';

// shown is how many deployments the strip keeps (the server renders as many).
const shown = 5;

const statusTexts = {
  building: 'building…',
  failed: 'failed: the last good version keeps serving',
  partial: 'partly failed: what failed keeps its last good version',
  superseded: 'superseded by a later save',
};

// deployView is a deployment (exchange.Deployment as JSON) as the strip
// shows it, as the dashboard's deployRowOf (Go) says it.
export function deployView(d) {
  const changes = d.changes || [], files = d.files || [];
  let what = changes.join('; ');
  if (files.length) what += ' (' + files.join(', ') + ')';
  const errors = [];
  if (d.error) errors.push(d.error);
  for (const f of d.functions || []) {
    if (!f.error) continue;
    errors.push(f.error.startsWith('function ' + f.name + ':') ? f.error : f.name + ': ' + f.error);
  }
  return {
    id: d.id || 0,
    status: d.status || '',
    label: d.id > 0 ? 'Deployment ' + d.id : 'Deployment',
    statusText: statusTexts[d.status] || d.status || '',
    what,
    took: d.status === 'building' ? '' : 'in ' + formatMs(d.durationMs),
    errors,
  };
}

// Deployments keeps the strip: one row per deployment id, newest first.
export class Deployments {
  constructor(root) {
    this.root = root; // absent on pages without the strip
    this.list = root && root.querySelector('[data-js="deploy-list"]');
    this.tpl = root && root.querySelector('#deploy-tpl');
    if (this.list) for (const t of this.list.querySelectorAll('time')) t.textContent = formatTime(t.getAttribute('datetime')) || t.textContent;
  }

  // update draws one deployment's current state.
  update(d) {
    if (!this.list || !d) return;
    const v = deployView(d);
    const old = this.list.querySelector(`li[data-id="${v.id}"]`);
    const li = this.build(v, d.startedAt);
    if (old) {
      old.replaceWith(li);
    } else {
      let before = null;
      for (const row of this.list.children) {
        if (+row.dataset.id < v.id) { before = row; break; }
      }
      this.list.insertBefore(li, before);
    }
    while (this.list.children.length > shown) this.list.lastElementChild.remove();
    this.root.hidden = false;
  }

  // refresh asks for the newest deployments (after a reconnect).
  async refresh() {
    if (!this.list) return;
    try {
      const { deployments } = await api(href(['api', 'deployments'], { limit: shown }));
      for (const d of (deployments || []).slice().reverse()) this.update(d);
    } catch { /* the next frame or reconnect tries again */ }
  }

  build(v, startedAt) {
    const li = this.tpl.content.firstElementChild.cloneNode(true);
    const f = name => li.querySelector(`[data-f=${name}]`);
    li.dataset.id = v.id;
    li.dataset.status = v.status;
    li.className = 'deploy d-' + v.status;
    f('label').textContent = v.label;
    const t = f('time');
    t.setAttribute('datetime', startedAt || '');
    t.textContent = formatTime(startedAt);
    f('status').textContent = v.statusText;
    f('took').textContent = v.took;
    f('what').textContent = v.what;
    const errs = f('errors');
    errs.textContent = v.errors.join('\n\n');
    errs.hidden = v.errors.length === 0;
    return li;
  }
}
