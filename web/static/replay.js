// replay.js: the "Edit & replay" page. The form builds the replay body and
// checks it (nothing is sent while it is invalid), posts it to
// /api/exchanges/{id}/replay and opens the diff of the new replay. A
// deployed target is replayed only once the user confirms it.
import { api, hook, href } from './common.js';

// The replay pages load this module themselves (web/replay.templ); node's
// tests import it for its pure functions, with no document.
if (globalThis.document?.body.dataset.page === 'replay-edit') initReplayEdit();

export function initReplayEdit() {
  const form = hook('edit-form'), flashEl = hook('edit-flash');
  const id = form.dataset.id;
  const flash = (msg, bad) => {
    flashEl.textContent = msg;
    flashEl.classList.toggle('bad', !!bad);
  };
  const mode = () => {
    const m = form.querySelector('input[name=mode]:checked');
    return m ? m.value : 'event';
  };
  const showMode = () => {
    const m = mode();
    form.querySelectorAll('.rfields[data-mode]').forEach(f => { f.hidden = f.dataset.mode !== m; });
  };
  form.querySelectorAll('input[name=mode]').forEach(r => r.addEventListener('change', showMode));
  showMode();

  // A target the server calls deployed needs the user's word, asked here
  // and carried by the request ("confirmRemote"), for this target only.
  const confirmBox = hook('edit-confirm'), confirmTarget = hook('edit-confirm-target');
  const unconfirm = () => {
    confirmBox.hidden = true;
    form.elements.confirmRemote.checked = false;
  };
  form.elements.target.addEventListener('input', unconfirm);

  form.addEventListener('submit', async e => {
    e.preventDefault();
    let body;
    try {
      body = replayBody(form.elements, mode());
    } catch (err) {
      flash(err.message, true);
      return;
    }
    const btn = form.querySelector('[type=submit]');
    btn.disabled = true;
    flash('Replaying…');
    try {
      const d = await api(href(['api', 'exchanges', id, 'replay']), { method: 'POST', json: body });
      location.href = href(['exchanges', id, 'diff', d.id]);
    } catch (err) {
      btn.disabled = false;
      if (err.data && err.data.confirmRemote) {
        confirmTarget.textContent = err.data.confirmRemote;
        confirmBox.hidden = false;
        flash('This target is a deployed function: confirm below, then replay again.', true);
        return;
      }
      flash('Replay failed: ' + err.message, true);
    }
  });
}

// replayBody builds the replay request from the form's fields (anything
// with .value by name), or throws an Error saying what to fix.
export function replayBody(fields, mode) {
  const body = {};
  const target = fields.target.value.trim();
  if (target) body.target = target;
  if (fields.confirmRemote && fields.confirmRemote.checked) body.confirmRemote = true;
  if (mode === 'event') {
    let ev;
    try { ev = JSON.parse(fields.event.value); } catch (err) { throw new Error('The event is not valid JSON: ' + err.message); }
    if (ev === null || typeof ev !== 'object') throw new Error('The event must be a JSON object or array.');
    body.event = ev;
    return body;
  }
  const path = fields.path.value.trim();
  if (path.charAt(0) !== '/') throw new Error('The path must start with /.');
  body.request = {
    method: fields.method.value.trim().toUpperCase(),
    path,
    query: fields.query.value.trim().replace(/^\?/, ''),
    headers: parseHeaders(fields.headers.value),
    body: fields.body.value,
  };
  // Mapping templates are sent only when edited: an unchanged one runs
  // as the template declares it.
  const templates = {};
  for (const [field, side] of [['requestTemplate', 'request'], ['responseTemplate', 'response']]) {
    const f = fields[field];
    if (f && f.value !== f.defaultValue) templates[side] = f.value;
  }
  if (Object.keys(templates).length > 0) body.templates = templates;
  return body;
}

// parseHeaders reads "Name: value" lines; repeated names keep every value.
export function parseHeaders(text) {
  const out = {};
  text.split(/\r?\n/).forEach((l, i) => {
    if (!l.trim()) return;
    const c = l.indexOf(':');
    const name = c > 0 ? l.slice(0, c).trim() : '';
    if (!name || /[\s()<>@,;:\\"\/\[\]?={}]/.test(name)) {
      throw new Error('header line ' + (i + 1) + ' is not "Name: value": ' + l);
    }
    (out[name] = out[name] || []).push(l.slice(c + 1).trim());
  });
  return out;
}
