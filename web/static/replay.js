// gatescope replay pages: the "Edit & replay" form builds the replay body,
// checks it (nothing is sent while it is invalid), posts it to
// /api/exchanges/{id}/replay and opens the diff of the new replay.
(function () {
  'use strict';
  if (document.body.dataset.page !== 'replay-edit') return;
  var form = document.querySelector('[data-js=edit-form]');
  var flashEl = document.querySelector('[data-js=edit-flash]');
  var id = form.dataset.id;

  function flash(msg, bad) {
    flashEl.textContent = msg;
    flashEl.classList.toggle('bad', !!bad);
  }
  function mode() {
    var m = form.querySelector('input[name=mode]:checked');
    return m ? m.value : 'event';
  }
  function showMode() {
    var m = mode();
    form.querySelectorAll('.rfields[data-mode]').forEach(function (f) { f.hidden = f.dataset.mode !== m; });
  }
  form.querySelectorAll('input[name=mode]').forEach(function (r) { r.addEventListener('change', showMode); });
  showMode();

  // parseHeaders reads "Name: value" lines; repeated names keep every value.
  function parseHeaders(text) {
    var out = {};
    var lines = text.split(/\r?\n/);
    for (var i = 0; i < lines.length; i++) {
      var l = lines[i];
      if (!l.trim()) continue;
      var c = l.indexOf(':');
      var name = c > 0 ? l.slice(0, c).trim() : '';
      if (!name || /[\s()<>@,;:\\"\/\[\]?={}]/.test(name)) {
        throw new Error('header line ' + (i + 1) + ' is not "Name: value": ' + l);
      }
      (out[name] = out[name] || []).push(l.slice(c + 1).trim());
    }
    return out;
  }

  function build() {
    var body = {};
    var target = form.elements.target.value.trim();
    if (target) body.target = target;
    if (mode() === 'event') {
      var ev;
      try { ev = JSON.parse(form.elements.event.value); }
      catch (err) { throw new Error('The event is not valid JSON: ' + err.message); }
      if (ev === null || typeof ev !== 'object') throw new Error('The event must be a JSON object or array.');
      body.event = ev;
      return body;
    }
    var path = form.elements.path.value.trim();
    if (path.charAt(0) !== '/') throw new Error('The path must start with /.');
    body.request = {
      method: form.elements.method.value.trim().toUpperCase(),
      path: path,
      query: form.elements.query.value.trim().replace(/^\?/, ''),
      headers: parseHeaders(form.elements.headers.value),
      body: form.elements.body.value
    };
    return body;
  }

  form.addEventListener('submit', function (e) {
    e.preventDefault();
    var body;
    try { body = build(); } catch (err) { flash(err.message, true); return; }
    var btn = form.querySelector('[type=submit]');
    btn.disabled = true;
    flash('Replaying…');
    fetch('/api/exchanges/' + encodeURIComponent(id) + '/replay', {
      method: 'POST', headers: { 'Content-Type': 'application/json' }, body: JSON.stringify(body)
    }).then(function (r) {
      return r.json().catch(function () { return {}; }).then(function (d) {
        if (!r.ok) throw new Error(d.error || ('HTTP ' + r.status));
        location.href = '/exchanges/' + encodeURIComponent(id) + '/diff/' + encodeURIComponent(d.id);
      });
    }).catch(function (err) { btn.disabled = false; flash('Replay failed: ' + err.message, true); });
  });
})();
