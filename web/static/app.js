// gatescope dashboard client: the live list (websocket feed, coalesced per
// animation frame, bounded DOM, pause, reconnect with gap fill) and the
// inspector's tabs and buttons. No dependencies; works offline.
(function () {
  'use strict';
  document.documentElement.classList.add('js');
  var page = document.body.dataset.page;
  if (page === 'list') { initList(); initSessionBar(); }
  if (page === 'inspector') initInspector();

  function pad(n, w) { n = String(n); while (n.length < (w || 2)) n = '0' + n; return n; }
  function fmtTime(iso) {
    var d = new Date(iso);
    if (isNaN(d)) return '';
    return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + pad(d.getMilliseconds(), 3);
  }
  // fmtMs mirrors the server's formatting so live and rendered rows match.
  function fmtMs(ms) {
    if (!(ms > 0)) return '0 ms';
    if (ms < 10) return ms.toFixed(1) + ' ms';
    if (ms < 1000) return Math.round(ms) + ' ms';
    return (ms / 1000).toFixed(2) + ' s';
  }

  // initSessionBar wires export's neighbours: a read-only share link and
  // the import upload, which opens the imported session when done.
  function initSessionBar() {
    var msg = document.querySelector('[data-js=bar-msg]');
    function say(t, bad) { msg.textContent = t; msg.classList.toggle('bad', !!bad); }
    function json(r) {
      return r.json().catch(function () { return {}; }).then(function (d) {
        if (!r.ok) throw new Error(d.error || ('HTTP ' + r.status));
        return d;
      });
    }
    var share = document.querySelector('[data-share]');
    if (share) share.addEventListener('click', function () {
      fetch('/api/sessions/' + encodeURIComponent(share.dataset.share) + '/share', { method: 'POST' }).then(json).then(function (d) {
        var out = document.querySelector('[data-js=share-url]');
        out.value = d.url;
        out.hidden = false;
        out.select();
        say('Read-only link, redacted, valid until ' + new Date(d.expiresAt).toLocaleString() + '.');
      }).catch(function (err) { say('Could not share: ' + err.message, true); });
    });
    var file = document.querySelector('[data-js=import-file]');
    if (file) file.addEventListener('change', function () {
      if (!file.files.length) return;
      var fd = new FormData();
      fd.append('file', file.files[0]);
      say('Importing ' + file.files[0].name + '…');
      fetch('/api/import', { method: 'POST', body: fd }).then(json).then(function (d) {
        location.href = '/?session=' + encodeURIComponent(d.session && d.session.name || '');
      }).catch(function (err) { say('Import failed: ' + err.message, true); file.value = ''; });
    });
  }

  function initList() {
    var tbody = document.getElementById('rows');
    var tpl = document.getElementById('row-tpl');
    var empty = document.querySelector('[data-js=empty]');
    var statusEl = document.querySelector('[data-js=live-status]');
    var capturedEl = document.querySelector('[data-js=count-captured]');
    var shownEl = document.querySelector('[data-js=count-shown]');
    var droppedEl = document.querySelector('[data-js=count-dropped]');
    var pauseBtn = document.querySelector('[data-js=pause]');
    var max = parseInt(tbody.dataset.max, 10) || 500;
    var params = new URLSearchParams(location.search);
    var f = {
      session: tbody.dataset.session || '', route: params.get('route') || '',
      method: (params.get('method') || '').toUpperCase(), status: (params.get('status') || '').toLowerCase(),
      outcome: params.get('outcome') || '', q: (params.get('q') || '').toLowerCase()
    };
    var ids = new Set();
    var newest = '';
    Array.prototype.forEach.call(tbody.rows, function (r) {
      ids.add(r.dataset.id);
      if (r.dataset.id > newest) newest = r.dataset.id;
      var t = r.querySelector('time');
      if (t) t.textContent = fmtTime(t.getAttribute('datetime')) || t.textContent;
    });
    var pending = [], held = [], paused = false, frame = 0, sel = -1;

    // matches applies the page's filter to a live summary. Text search here
    // sees only the summary, not bodies or logs as the server's search does.
    function matches(s) {
      if (f.session && s.session !== f.session) return false;
      if (f.route && s.routeKey !== f.route) return false;
      if (f.method && String(s.method).toUpperCase() !== f.method) return false;
      if (f.outcome && s.outcome !== f.outcome) return false;
      if (f.status) {
        var cls = f.status.replace(/xx$/, '');
        if (cls.length === 1 ? Math.floor(s.status / 100) !== +cls : String(s.status) !== f.status) return false;
      }
      if (f.q) {
        var hay = [s.method, s.url, s.routeKey, s.status, s.outcome, s.explanation, fnName(s)].join(' ').toLowerCase();
        if (hay.indexOf(f.q) < 0) return false;
      }
      return true;
    }
    function fnName(s) { return s.function && typeof s.function === 'object' ? s.function.name : (s.function || ''); }

    function enqueue(items) {
      for (var i = 0; i < items.length; i++) {
        var s = items[i];
        if (!s || !s.id) continue;
        if (s.id > newest) newest = s.id;
        if (ids.has(s.id) || !matches(s)) continue;
        ids.add(s.id);
        if (paused) { held.push(s); if (held.length > max) ids.delete(held.shift().id); }
        else pending.push(s);
      }
      schedule();
    }
    // schedule coalesces updates per animation frame; in a burst (many rows
    // waiting) it renders at most every burstGap ms, so the tab keeps idle
    // frames between batches instead of relaying out the table every frame.
    var burstGap = 200, lastFlush = 0, timer = 0;
    function schedule() {
      if (frame || timer) return;
      var wait = pending.length > 20 ? lastFlush + burstGap - performance.now() : 0;
      if (wait > 0) timer = setTimeout(function () { timer = 0; frame = requestAnimationFrame(flush); }, wait);
      else frame = requestAnimationFrame(flush);
    }

    function flush() {
      frame = 0;
      lastFlush = performance.now();
      if (pending.length) {
        pending.sort(function (a, b) { return a.id < b.id ? 1 : -1; });
        // In a burst, rows past the bounded list would be built only to be
        // removed in the same frame: skip them.
        if (pending.length > max) {
          pending.slice(max).forEach(function (s) { ids.delete(s.id); });
          pending.length = max;
        }
        // Flash new rows only at a pace the eye can follow; in a burst an
        // animation on every row keeps the whole table repainting.
        var flash = pending.length <= 5;
        var top = tbody.rows[0] ? tbody.rows[0].dataset.id : '';
        var frag = document.createDocumentFragment(), older = [];
        pending.forEach(function (s) { if (s.id > top) frag.appendChild(build(s, flash)); else older.push(s); });
        tbody.insertBefore(frag, tbody.firstChild);
        // Older items (gap fill after a reconnect) go to their place by id.
        older.forEach(function (s) {
          var rows = tbody.rows, j = 0;
          while (j < rows.length && rows[j].dataset.id > s.id) j++;
          if (j < max) tbody.insertBefore(build(s), rows[j] || null); else ids.delete(s.id);
        });
        pending = [];
        for (var excess = tbody.rows.length - max; excess > 0; excess--) {
          var last = tbody.lastElementChild;
          ids.delete(last.dataset.id);
          if (last.classList.contains('sel')) sel = -1;
          last.remove();
        }
        if (sel >= 0) sel = Array.prototype.indexOf.call(tbody.rows, tbody.querySelector('tr.sel'));
      }
      counters();
    }

    function build(s, flash) {
      var tr = tpl.content.firstElementChild.cloneNode(true);
      var failed = s.outcome !== 'ok';
      tr.dataset.id = s.id;
      tr.dataset.outcome = s.outcome;
      tr.classList.toggle('failed', failed);
      if (flash) tr.classList.add('new');
      var q = function (k) { return tr.querySelector('[data-f=' + k + ']'); };
      var t = q('time'); t.setAttribute('datetime', s.startedAt); t.textContent = fmtTime(s.startedAt);
      q('method').textContent = s.method;
      var a = q('path'); a.textContent = s.url; a.href = '/exchanges/' + encodeURIComponent(s.id);
      q('route').textContent = s.routeKey || '';
      var st = q('status'); st.textContent = s.status ? s.status : '—';
      st.className = 'status s' + (s.status ? Math.floor(s.status / 100) : 0);
      var o = q('outcome'); o.textContent = s.outcome; o.className = 'outcome o-' + s.outcome;
      if (s.explanation) o.title = s.explanation;
      q('duration').textContent = fmtMs(s.durationMs);
      q('cold').hidden = !s.cold;
      return tr;
    }

    function counters() {
      shownEl.textContent = tbody.rows.length;
      empty.hidden = tbody.rows.length > 0;
      if (pauseBtn) pauseBtn.textContent = paused ? 'Resume' + (held.length ? ' (' + held.length + ' new)' : '') : 'Pause';
    }
    function setState(s, label) { statusEl.dataset.state = s; statusEl.textContent = label; }

    function setPaused(p) {
      paused = p;
      pauseBtn.setAttribute('aria-pressed', String(p));
      if (!p) { pending = pending.concat(held); held = []; }
      setState(p ? 'paused' : (connected ? 'live' : 'reconnecting'), p ? 'paused' : (connected ? 'live' : 'reconnecting…'));
      schedule();
    }
    if (pauseBtn) pauseBtn.addEventListener('click', function () { setPaused(!paused); });

    // The list: click anywhere on a row opens it; j/k/Enter from the keyboard.
    tbody.addEventListener('click', function (e) {
      if (e.target.closest('a') || e.button !== 0) return;
      var tr = e.target.closest('tr');
      if (tr) location.href = '/exchanges/' + encodeURIComponent(tr.dataset.id);
    });
    function select(i) {
      var rows = tbody.rows;
      if (!rows.length) return;
      i = Math.max(0, Math.min(rows.length - 1, i));
      if (sel >= 0 && rows[sel]) rows[sel].classList.remove('sel');
      sel = i;
      rows[i].classList.add('sel');
      rows[i].scrollIntoView({ block: 'nearest' });
    }
    document.addEventListener('keydown', function (e) {
      if (e.ctrlKey || e.metaKey || e.altKey || /INPUT|SELECT|TEXTAREA/.test(e.target.tagName)) return;
      if (e.key === 'j') select(sel + 1);
      else if (e.key === 'k') select(sel - 1);
      else if (e.key === 'Enter' && sel >= 0) location.href = '/exchanges/' + encodeURIComponent(tbody.rows[sel].dataset.id);
      else if (e.key === '/') { e.preventDefault(); document.querySelector('[data-js=filter-q]').focus(); }
      else if (e.key === 'p' && pauseBtn) setPaused(!paused);
      else return;
    });
    // Selects filter at once; the URL is the filter, so it stays bookmarkable.
    document.querySelectorAll('[data-js=filters] select').forEach(function (s) {
      s.addEventListener('change', function () { s.form.requestSubmit(); });
    });

    if (tbody.dataset.live !== 'true') return;
    var connected = false, backoff = 500, filling = false;

    function apiQuery(before) {
      var p = new URLSearchParams();
      ['session', 'route', 'method', 'status', 'outcome', 'q'].forEach(function (k) {
        var v = params.get(k); if (v) p.set(k, v);
      });
      p.set('limit', '100');
      if (before) p.set('before', before);
      return '/api/exchanges?' + p;
    }
    function summary(x) {
      return { id: x.id, session: x.session, startedAt: x.startedAt, method: x.request.method, url: x.request.url,
        routeKey: x.routeKey, status: x.response.status, outcome: x.outcome, durationMs: x.durationMs,
        cold: x.function.cold, function: x.function.name, explanation: x.explanation };
    }
    // fillGap fetches what was stored while we were not connected, newest
    // first, until it reaches the newest id already seen (at most 10 pages).
    function fillGap() {
      if (filling) return;
      filling = true;
      var known = newest, got = [], pages = 0;
      (function next(before) {
        fetch(apiQuery(before), { headers: { Accept: 'application/json' } }).then(function (r) {
          if (!r.ok) throw new Error('HTTP ' + r.status);
          return r.json();
        }).then(function (d) {
          var reached = false;
          (d.exchanges || []).some(function (x) {
            if (known && x.id <= known) { reached = true; return true; }
            got.push(summary(x));
          });
          if (!reached && known && d.next && ++pages < 10) return next(d.next);
          enqueue(got);
          filling = false;
        }).catch(function () { enqueue(got); filling = false; });
      })('');
    }

    function connect() {
      // ?after= asks the hub for a backlog; fillGap covers hubs without one.
      var ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + '/api/live' +
        (newest ? '?after=' + encodeURIComponent(newest) : ''));
      ws.onopen = function () {
        connected = true; backoff = 500;
        if (!paused) setState('live', 'live');
        fillGap();
      };
      ws.onmessage = function (e) {
        var m;
        try { m = JSON.parse(e.data); } catch (err) { return; }
        // The counters are the server's (stats frames): exchanges commit out
        // of id order, and the page cannot count what it never received.
        if (m.type === 'stats') {
          capturedEl.textContent = m.captured;
          droppedEl.textContent = m.dropped;
          return;
        }
        if (m.type !== 'exchanges') return;
        if (typeof m.dropped === 'number') droppedEl.textContent = m.dropped;
        enqueue(m.items || []);
      };
      ws.onclose = function () {
        if (connected) setState('reconnecting', 'reconnecting…');
        connected = false;
        // Jittered exponential backoff: a restarting server is not stampeded.
        setTimeout(connect, backoff * (0.75 + Math.random() / 2));
        backoff = Math.min(backoff * 2, 10000);
      };
    }
    connect();
  }

  // initStar toggles the exchange's star (PUT/DELETE /api/exchanges/{id}/star).
  function initStar(flash) {
    var b = document.querySelector('[data-star]');
    if (!b) return;
    b.addEventListener('click', function () {
      var on = b.getAttribute('aria-pressed') !== 'true';
      fetch('/api/exchanges/' + encodeURIComponent(b.dataset.star) + '/star', { method: on ? 'PUT' : 'DELETE' }).then(function (r) {
        if (!r.ok) throw new Error('HTTP ' + r.status);
        b.setAttribute('aria-pressed', String(on));
        b.textContent = on ? '★ Starred' : '☆ Star';
      }).catch(function (err) { flash('Could not change the star: ' + err.message, true); });
    });
  }

  function initInspector() {
    var tabs = document.querySelectorAll('[data-tab]');
    var panels = document.querySelectorAll('[data-panel]');
    function show(id) {
      var found = false;
      tabs.forEach(function (t) { if (t.dataset.tab === id) found = true; });
      if (!found) id = tabs[0].dataset.tab;
      tabs.forEach(function (t) { t.setAttribute('aria-selected', String(t.dataset.tab === id)); });
      panels.forEach(function (p) { p.hidden = p.dataset.panel !== id; });
    }
    tabs.forEach(function (t) {
      t.addEventListener('click', function (e) {
        e.preventDefault();
        history.replaceState(null, '', '#' + t.dataset.tab);
        show(t.dataset.tab);
      });
    });
    var failed = document.querySelector('[data-js=explanation][role=alert]');
    show(location.hash.slice(1) || (failed ? 'output' : 'request'));

    var flashEl = document.querySelector('[data-js=flash]');
    function flash(msg, bad) {
      flashEl.textContent = msg;
      flashEl.classList.toggle('bad', !!bad);
      clearTimeout(flash.t);
      flash.t = setTimeout(function () { flashEl.textContent = ''; }, bad ? 8000 : 2500);
    }
    initStar(flash);
    function copy(text, what) {
      var done = function () { flash('Copied ' + what + '.'); };
      if (navigator.clipboard && window.isSecureContext) {
        navigator.clipboard.writeText(text).then(done, function () { fallback(text) ? done() : flash('Copy failed.', true); });
      } else if (fallback(text)) done(); else flash('Copy failed.', true);
    }
    function fallback(text) {
      var ta = document.createElement('textarea');
      ta.value = text; ta.style.position = 'fixed'; ta.style.opacity = '0';
      document.body.appendChild(ta); ta.select();
      var ok = false;
      try { ok = document.execCommand('copy'); } catch (e) { ok = false; }
      ta.remove();
      return ok;
    }
    document.querySelectorAll('[data-copy]').forEach(function (b) {
      b.addEventListener('click', function () {
        copy(document.getElementById(b.dataset.copy).value, b.textContent.replace(/^Copy /, ''));
      });
    });
    var perma = document.querySelector('[data-permalink]');
    perma.addEventListener('click', function (e) {
      e.preventDefault();
      copy(location.origin + perma.getAttribute('href'), 'permalink');
    });

    // "Show all" swaps the cut text for the whole body, pretty when JSON.
    document.querySelectorAll('[data-show-all]').forEach(function (a) {
      a.addEventListener('click', function (e) {
        e.preventDefault();
        fetch(a.href).then(function (r) { if (!r.ok) throw new Error('HTTP ' + r.status); return r.text(); }).then(function (t) {
          var pre = document.getElementById(a.dataset.showAll);
          if (pre.dataset.lang === 'json') { try { t = JSON.stringify(JSON.parse(t), null, 2); } catch (err) { /* keep raw */ } }
          pre.textContent = t;
          a.parentNode.remove();
        }).catch(function (err) { flash('Could not load the body: ' + err.message, true); });
      });
    });

    function replay(btn, body) {
      btn.disabled = true;
      flash('Replaying…');
      fetch('/api/exchanges/' + encodeURIComponent(btn.dataset.replay || btn.dataset.replayEvent) + '/replay', {
        method: 'POST', headers: { 'Content-Type': 'application/json' }, body: body ? JSON.stringify(body) : ''
      }).then(function (r) {
        return r.json().catch(function () { return {}; }).then(function (d) {
          if (!r.ok) throw new Error(d.error || ('HTTP ' + r.status));
          location.href = '/exchanges/' + encodeURIComponent(d.id);
        });
      }).catch(function (err) { btn.disabled = false; flash('Replay failed: ' + err.message, true); });
    }
    var rb = document.querySelector('[data-replay]');
    if (rb) rb.addEventListener('click', function () { replay(rb); });
    var eb = document.querySelector('[data-replay-event]');
    if (eb) eb.addEventListener('click', function () {
      var ev;
      try { ev = JSON.parse(document.querySelector('[data-js=event-editor]').value); }
      catch (err) { flash('The event is not valid JSON: ' + err.message, true); return; }
      replay(eb, { event: ev });
    });
  }
})();
