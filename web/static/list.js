// list.js: the live list. The server renders the first rows; this module
// virtualises the whole list (vlist.js), filters it as the user types,
// follows the live feed (/api/live) and keeps the counts current. Its parts,
// each owning its own state:
//
//   LiveList the filter (the form is its one copy; the URL follows it), the
//            rows that arrived since the list was read (head, newest first),
//            drawn once per animation frame (less often in a burst) unless
//            paused, and the keyboard selection
//   Chips    the status, outcome, failed, replays and cold toggles and their
//            counts, read from /api/facets (the store's counts, never the
//            page's own tally)
//   Catchup  asks /api/exchanges what the feed cannot tell: what was stored
//            while the page was not listening, and, with a text search,
//            which new exchanges match (the server searches bodies and logs)
//   Feed     the websocket, reconnecting with jittered backoff
//   Bar      the live state, the counters and the pause button
import { api, filterOf, hook, href, matches } from './common.js';
import { Deployments } from './deploys.js';
import { VTable, Windows } from './vlist.js';

// In a burst (more than burstSize rows waiting) the table is redrawn at most
// every burstGap ms, so the tab keeps idle frames between batches instead of
// laying out the table every frame.
const burstSize = 20, burstGap = 200;
// New rows flash only when few arrive at once: in a burst an animation on
// every row keeps the whole table repainting.
const flashAtMost = 5;
// Typing waits this long for the next key before it asks the server.
const typeDelay = 120;
// The chips' counts are read again at most this often while rows arrive,
// and never more than a fifth of the time: over a large store each read
// costs the server a scan of an index.
const facetsGap = 250, facetsShare = 5;

export function initList() {
  const tbody = document.getElementById('rows');
  const bar = new Bar();
  if (tbody.dataset.live !== 'true') {
    // An older page (?before=): the server's rows as they are.
    listenStaticKeys(tbody);
    return;
  }
  const list = new LiveList(tbody, bar);
  list.start();
}

// LiveList is the live page's list: see the file comment.
class LiveList {
  constructor(tbody, bar) {
    this.bar = bar;
    this.form = hook('filters');
    this.tbody = tbody;
    this.table = hook('vlist');
    this.head = []; // arrived since the snapshot, newest (highest id) first
    this.known = new Set(); // ids drawn, waiting or in the first window
    this.pending = []; // to draw at the next frame
    this.held = []; // arrived while paused (the newest 1000 of them)
    this.paused = false;
    this.frame = 0;
    this.timer = 0;
    this.lastDraw = 0;
    this.windows = new Windows({
      get: (params, signal) => api(href(['api', 'exchanges'], params), { signal }),
      changed: () => this.vt.schedule(),
    });
    this.vt = new VTable({
      scroller: hook('vscroll'), table: this.table, tbody, tpl: document.getElementById('row-tpl'),
      padTop: hook('vpad-top'), padBottom: hook('vpad-bottom'),
      count: () => this.head.length + this.windows.total,
      rowAt: i => (i < this.head.length ? this.head[i] : this.windows.row(i - this.head.length)),
    });
    for (const o of this.form.querySelectorAll('select[name=session] option[data-id]')) {
      this.vt.sessions.set(o.dataset.id, o.value);
    }
    this.chips = new Chips(hook('chips'), this.form, () => this.apply());
    this.deploys = new Deployments(hook('deploys'));
  }

  start() {
    const older = hook('older');
    if (older) older.hidden = true; // every row is reachable by scrolling
    this.listenForm();
    this.listenKeys();
    this.bar.onPause(() => this.togglePause());
    this.feed = new Feed(() => href(['api', 'live'], { after: this.catchup ? this.catchup.position() : '' }), {
      open: () => {
        this.bar.setConnected(true, this.paused);
        if (this.catchup) this.catchup.request(); // what was stored while we were not listening
        this.deploys.refresh(); // and deployed
      },
      lost: wasConnected => {
        if (wasConnected) this.bar.setConnected(false, this.paused);
      },
      frame: m => this.onFrame(m),
    });
    this.ready = this.apply().then(() => this.feed.connect());
  }

  // params is the filter as the form holds it (empty fields left out).
  params() {
    const p = new URLSearchParams();
    for (const [k, v] of new FormData(this.form)) {
      const t = String(v).trim();
      if (t !== '') p.set(k, t);
    }
    return p;
  }

  sessionID(p) {
    const o = this.form.querySelector('select[name=session]').selectedOptions[0];
    return p.get('session') && p.get('session') !== '*' && o ? (o.dataset.id || p.get('session')) : '';
  }

  // apply reads the list again for the form's filter: the first window,
  // the count and the chips' counts, cancelling whatever an earlier
  // filter still had in flight.
  async apply() {
    const p = this.params();
    const qs = p.toString();
    history.replaceState(null, '', qs ? '/?' + qs : '/');
    this.filter = filterOf(p, this.sessionID(p));
    this.searching = this.filter.q !== '' || this.filter.node !== '';
    this.sorted = !!p.get('sort') || p.get('dir') === 'asc';
    this.table.classList.toggle('searching', this.filter.q !== '');
    this.table.classList.toggle('all-sessions', (p.get('session') || '*') === '*');
    this.chips.sync(p);
    syncSortHeads(this.table, p);
    this.bar.setNote(this.searching ? 'Live: the server checks each new exchange against the search.' : '');
    const query = {};
    for (const [k, v] of p) query[k] = v;
    this.chips.refresh(query);
    let first;
    try {
      first = await this.windows.reset(query);
    } catch (err) {
      if (err.name !== 'AbortError') this.bar.showError(err.message);
      return;
    }
    if (first === null) return; // a newer filter took over
    this.bar.showError('');
    this.head = [];
    this.pending = [];
    this.held = [];
    this.known = new Set(first.map(s => s.id));
    this.vt.sel = -1;
    this.vt.rowH = 0;
    this.vt.forget();
    this.vt.scroller.scrollTop = 0;
    const { sort, dir, ...match } = query; // what is new is new in time, whatever the order shown
    const catchup = new Catchup({
      query: { ...match, view: 'summary' },
      cursor: !this.sorted && first.length ? first[0].id : '',
      get: url => api(url),
      // A catch-up for an earlier filter may still answer: not into this list.
      deliver: xs => { if (this.catchup === catchup) this.arrive(xs); },
      fallbackSize: this.windows.size,
    });
    this.catchup = catchup;
    if (this.feed && this.feed.connected) this.catchup.request();
    this.vt.draw();
    this.showRows();
  }

  onFrame(m) {
    if (m.type === 'stats') {
      this.bar.setCounts(m);
      return;
    }
    if (m.type === 'deployment') {
      this.deploys.update(m.deployment);
      return;
    }
    if (m.type !== 'exchanges' || !this.catchup) return;
    if (typeof m.dropped === 'number') this.bar.setDropped(m.dropped);
    const items = (m.items || []).filter(s => s && s.id);
    if (!items.length) return;
    this.chips.refreshSoon();
    if (this.searching) {
      this.catchup.stored(items[items.length - 1].id);
      this.catchup.request();
    } else {
      this.arrive(items.filter(s => matches(this.filter, s)));
      this.catchup.accounted(items[items.length - 1].id);
    }
  }

  // arrive takes matching summaries from the feed or a catch-up.
  arrive(items) {
    const fresh = [];
    for (const s of items) {
      if (!s || !s.id || this.known.has(s.id)) continue;
      this.known.add(s.id);
      fresh.push(s);
    }
    if (!fresh.length) return;
    if (this.sorted) {
      // A sorted list has no top for new rows: it is read again.
      this.reloadSoon();
      return;
    }
    if (this.paused) {
      this.held.push(...fresh);
      if (this.held.length > 1000) for (const s of this.held.splice(0, this.held.length - 1000)) this.known.delete(s.id);
      this.showRows();
      return;
    }
    this.pending.push(...fresh);
    this.schedule();
  }

  reloadSoon() {
    if (this.reloading) return;
    this.reloading = setTimeout(() => {
      this.reloading = 0;
      const top = this.vt.scroller.scrollTop, sel = this.vt.sel;
      this.apply().then(() => {
        this.vt.scroller.scrollTop = top;
        this.vt.sel = sel;
        this.vt.draw();
      });
    }, 1000);
  }

  // schedule coalesces draws per animation frame, and spaces them burstGap
  // apart while a burst is waiting.
  schedule() {
    if (this.frame || this.timer) return;
    const wait = this.pending.length > burstSize ? this.lastDraw + burstGap - performance.now() : 0;
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = 0;
        this.frame = requestAnimationFrame(() => this.drawPending());
      }, wait);
    } else {
      this.frame = requestAnimationFrame(() => this.drawPending());
    }
  }

  // drawPending puts the waiting rows in the head, each at its place by id
  // (concurrent requests commit out of id order).
  drawPending() {
    this.frame = 0;
    this.lastDraw = performance.now();
    const add = this.pending;
    this.pending = [];
    if (!add.length) return;
    add.sort((a, b) => (a.id < b.id ? 1 : -1));
    const head = this.head;
    for (const s of add) {
      let lo = 0, hi = head.length;
      while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (head[mid].id > s.id) lo = mid + 1;
        else hi = mid;
      }
      head.splice(lo, 0, s);
    }
    if (add.length <= flashAtMost) for (const s of add) this.vt.flash.add(s.id);
    this.vt.shift(add.length);
    this.vt.draw();
    this.showRows();
  }

  togglePause() {
    this.paused = !this.paused;
    if (!this.paused) {
      this.pending.push(...this.held);
      this.held = [];
      this.schedule();
    }
    this.bar.showPaused(this.paused);
    this.showRows();
  }

  showRows() {
    this.bar.showRows(this.head.length + this.windows.total, this.paused, this.held.length, hasFilter(this.params()));
  }

  listenForm() {
    let typing = 0;
    const soon = delay => {
      clearTimeout(typing);
      typing = setTimeout(() => this.apply(), delay);
    };
    this.form.addEventListener('submit', e => {
      e.preventDefault();
      clearTimeout(typing);
      this.apply();
    });
    this.form.addEventListener('input', e => {
      if (e.target.matches('input[type=search], input[type=number]')) soon(typeDelay);
    });
    this.form.addEventListener('change', e => {
      if (e.target.name === 'session') {
        // The session bar (export, share) is the server's: a new page.
        location.href = '/?' + this.params();
      } else if (e.target.tagName === 'SELECT') this.apply();
    });
    this.table.tHead.addEventListener('click', e => {
      const a = e.target.closest('a[data-sort]');
      if (!a || e.button !== 0 || e.ctrlKey || e.metaKey) return;
      e.preventDefault();
      const p = this.params(), key = a.dataset.sort;
      const dir = (p.get('sort') || '') === key && p.get('dir') !== 'asc' ? 'asc' : '';
      setHidden(this.form, 'sort', key);
      setHidden(this.form, 'dir', dir);
      this.apply();
    });
  }

  // listenKeys: click anywhere on a row opens it; arrows or j/k move,
  // Enter opens, / searches, p pauses.
  listenKeys() {
    const open = id => { location.href = href(['exchanges', id]); };
    const q = hook('filter-q');
    this.tbody.addEventListener('click', e => {
      if (e.target.closest('a') || e.button !== 0) return;
      const tr = e.target.closest('tr[data-id]');
      if (tr) open(tr.dataset.id);
    });
    document.addEventListener('keydown', e => {
      if (e.ctrlKey || e.metaKey || e.altKey) return;
      const vt = this.vt;
      if (/INPUT|SELECT|TEXTAREA/.test(e.target.tagName)) {
        // From the search box, down goes to the rows.
        if (e.target === q && e.key === 'ArrowDown') {
          e.preventDefault();
          q.blur();
          vt.select(0);
        } else if (e.target === q && e.key === 'Escape') q.blur();
        return;
      }
      if (e.key === 'j' || e.key === 'ArrowDown') vt.select(vt.sel + 1);
      else if (e.key === 'k' || e.key === 'ArrowUp') vt.select(Math.max(vt.sel - 1, 0));
      else if (e.key === 'Home') vt.select(0);
      else if (e.key === 'End') vt.select(vt.count() - 1);
      else if (e.key === 'Enter') {
        const s = vt.sel >= 0 && vt.rowAt(vt.sel);
        if (s) open(s.id);
        else return;
      } else if (e.key === '/') {
        q.focus();
        q.select();
      } else if (e.key === 'p' && this.bar.pause) this.togglePause();
      else return;
      e.preventDefault();
    });
  }
}

// hasFilter: the form filters something (all sessions is no filter).
function hasFilter(p) {
  for (const [k, v] of p) if (!(k === 'session' && v === '*') && k !== 'sort' && k !== 'dir') return true;
  return false;
}

// setHidden sets (or, with '', removes) a hidden field of the form.
function setHidden(form, name, value) {
  let el = form.querySelector(`input[type=hidden][name="${name}"]`);
  if (!value) {
    if (el) el.remove();
    return;
  }
  if (!el) {
    el = document.createElement('input');
    el.type = 'hidden';
    el.name = name;
    form.appendChild(el);
  }
  el.value = value;
}

// syncSortHeads marks the sorted column (aria-sort) and points each
// header's link at the sort a click gives.
function syncSortHeads(table, p) {
  const sort = p.get('sort') || '', asc = p.get('dir') === 'asc';
  for (const a of table.tHead.querySelectorAll('a[data-sort]')) {
    const key = a.dataset.sort, on = key === sort;
    a.closest('th').setAttribute('aria-sort', on ? (asc ? 'ascending' : 'descending') : 'none');
    const q = new URLSearchParams(p);
    q.delete('sort');
    q.delete('dir');
    if (key) q.set('sort', key);
    if (on && !asc) q.set('dir', 'asc');
    a.href = '/?' + q;
  }
}

// Chips are the toggles above the list. Each sets one filter field in the
// form (status and outcome through their selects, the rest as hidden
// fields), and shows how many exchanges it would list, as /api/facets
// counts them.
class Chips {
  constructor(root, form, changed) {
    Object.assign(this, { root, form, changed });
    this.abort = null;
    this.query = {};
    this.timer = 0;
    this.busy = false;
    this.again = false;
    this.took = 0; // ms the last read took
    root.addEventListener('click', e => {
      const c = e.target.closest('[data-chip]');
      if (!c || e.button !== 0 || e.ctrlKey || e.metaKey) return;
      e.preventDefault();
      const on = c.getAttribute('aria-pressed') === 'true', field = c.dataset.chip, value = on ? '' : c.dataset.value;
      const sel = form.querySelector(`select[name=${field}]`);
      if (sel) sel.value = value;
      else setHidden(form, field, value);
      changed();
    });
  }

  // sync shows which chips the filter p has on, and points each chip's
  // link at the filter it gives.
  sync(p) {
    for (const c of this.root.querySelectorAll('[data-chip]')) {
      const field = c.dataset.chip, on = (p.get(field) || '') === c.dataset.value;
      c.setAttribute('aria-pressed', String(on));
      c.classList.toggle('on', on);
      const q = new URLSearchParams(p);
      if (on) q.delete(field);
      else q.set(field, c.dataset.value);
      c.href = '/?' + q;
    }
  }

  // refresh reads the counts for query now, dropping an older read.
  refresh(query) {
    this.query = query;
    if (this.abort) this.abort.abort();
    this.abort = new AbortController();
    this.busy = true;
    const signal = this.abort.signal, start = performance.now();
    api(href(['api', 'facets'], query), { signal })
      .then(fc => {
        if (signal.aborted) return;
        this.took = performance.now() - start;
        this.show(fc);
      })
      .catch(() => { /* cancelled or offline: the next frame asks again */ })
      .finally(() => {
        if (signal.aborted) return;
        this.busy = false;
        if (this.again) {
          this.again = false;
          this.refreshSoon();
        }
      });
  }

  // refreshSoon reads the counts again within facetsGap, once for any
  // number of calls, and once more after a read under way.
  refreshSoon() {
    if (this.busy) {
      this.again = true;
      return;
    }
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = 0;
      this.refresh(this.query);
    }, Math.max(facetsGap, facetsShare * (this.took || 0)));
  }

  show(fc) {
    for (const c of this.root.querySelectorAll('[data-chip]')) {
      const field = c.dataset.chip, v = c.dataset.value;
      const n = field === 'status' ? fc.status[v] : field === 'outcome' ? fc.outcome[v] :
        field === 'failed' ? fc.failed : field === 'replays' ? fc.replays : undefined;
      const b = c.querySelector('[data-f=n]');
      if (b) b.textContent = n || 0;
      if (field === 'outcome') c.hidden = !n && c.getAttribute('aria-pressed') !== 'true';
    }
  }
}

// listenStaticKeys: on an older page the rows are the server's; j/k move,
// Enter opens.
function listenStaticKeys(tbody) {
  let sel = -1;
  const open = id => { location.href = href(['exchanges', id]); };
  tbody.addEventListener('click', e => {
    if (e.target.closest('a') || e.button !== 0) return;
    const tr = e.target.closest('tr[data-id]');
    if (tr) open(tr.dataset.id);
  });
  document.addEventListener('keydown', e => {
    if (e.ctrlKey || e.metaKey || e.altKey || /INPUT|SELECT|TEXTAREA/.test(e.target.tagName)) return;
    const rows = tbody.rows;
    if ((e.key === 'j' || e.key === 'ArrowDown' || e.key === 'k' || e.key === 'ArrowUp') && rows.length) {
      e.preventDefault();
      if (rows[sel]) rows[sel].classList.remove('sel');
      sel = Math.max(0, Math.min(rows.length - 1, sel + (e.key === 'j' || e.key === 'ArrowDown' ? 1 : -1)));
      rows[sel].classList.add('sel');
      rows[sel].scrollIntoView({ block: 'nearest' });
    } else if (e.key === 'Enter' && rows[sel]) open(rows[sel].dataset.id);
    else if (e.key === '/') {
      e.preventDefault();
      hook('filter-q').focus();
    }
  });
}

// Catchup brings rows from /api/exchanges, one request at a time. Its
// cursor is the id of the last exchange, in the store's order, up to which
// every match is on the page or queued; GET ?after=cursor returns the
// matches stored since. Ids from the feed are valid cursors: the feed sends
// exchanges in the store's order, and only once they are committed.
//
// Without a text search, rows from the feed are matched here, so each frame
// moves the cursor (accounted) and a catch-up is needed only after a
// (re)connect. With one, each frame only says how far the store has got
// (stored) and asks for a catch-up, which the server answers by searching.
export class Catchup {
  // query: the filter parameters; cursor: the newest row the page shows;
  // get(url) → Promise of the API's JSON; deliver(exchanges) takes the
  // matches; fallbackSize: how many of the newest to fetch when the gap is
  // too long to walk (or the cursor is gone, pruned).
  constructor({ query, cursor, get, deliver, fallbackSize, pageSize = 100, maxPages = 10, delay = 50 }) {
    Object.assign(this, { query, get, deliver, fallbackSize, pageSize, maxPages, delay });
    this.cursor = cursor || '';
    this.latest = ''; // the last id the feed sent
    this.busy = false; // a request (or its delay) is under way
    this.again = false; // asked for while busy: run once more after
    this.running = null; // the promise of the run under way (tests await it)
  }

  // position is where a (re)connecting feed should resume (?after=).
  position() { return this.latest || this.cursor; }

  // accounted: every match up to id (from the feed) is on the page.
  accounted(id) { this.cursor = this.latest = id; }

  // stored: the store has committed up to id (from the feed).
  stored(id) { this.latest = id; }

  // request runs a catch-up soon; while one runs, once more after it.
  request() {
    if (this.busy) {
      this.again = true;
      return;
    }
    this.busy = true;
    this.running = new Promise(resolve => setTimeout(resolve, this.delay)).then(() => this.run());
  }

  async run() {
    const from = this.cursor, target = this.latest;
    let next = '';
    try {
      const got = from ? await this.walk(from) : null;
      const xs = got || await this.newest();
      this.deliver(xs);
      // The last match returned is a cursor too: whatever was stored before
      // it and is not on the page did not match.
      if (xs.length) next = got ? xs[xs.length - 1].id : xs[0].id;
      else next = target;
    } catch {
      // Offline or failing: the next frame or reconnect asks again.
      next = '';
    }
    // A frame may have moved the cursor meanwhile; it is at least as good.
    if (next && this.cursor === from) this.cursor = next;
    this.busy = false;
    if (this.again) {
      this.again = false;
      this.request();
    }
  }

  // walk returns the matches stored after cursor, oldest first, or null when
  // there are more than maxPages pages of them or the walk fails (say, the
  // cursor was pruned): then the newest matches will do.
  async walk(cursor) {
    const out = [];
    for (let page = 0; page < this.maxPages; page++) {
      let d;
      try {
        d = await this.get(href(['api', 'exchanges'], { ...this.query, after: cursor, limit: this.pageSize }));
      } catch {
        return null;
      }
      out.push(...(d.exchanges || []));
      if (!d.next) return out;
      cursor = d.next;
    }
    return null;
  }

  // newest returns the newest fallbackSize matches, newest first.
  async newest() {
    const d = await this.get(href(['api', 'exchanges'], { ...this.query, limit: this.fallbackSize }));
    return d.exchanges || [];
  }
}

// Feed is the live websocket. It reconnects after any close with jittered
// exponential backoff, so a restarting server is not stampeded.
export class Feed {
  constructor(path, on) {
    this.path = path; // () → '/api/live?after=…'
    this.on = on; // open(), frame(message), lost(wasConnected)
    this.connected = false;
    this.backoff = 500;
  }

  connect() {
    const ws = new WebSocket((location.protocol === 'https:' ? 'wss://' : 'ws://') + location.host + this.path());
    ws.onopen = () => {
      this.connected = true;
      this.backoff = 500;
      this.on.open();
    };
    ws.onmessage = e => {
      let m;
      try { m = JSON.parse(e.data); } catch { return; }
      this.on.frame(m);
    };
    ws.onclose = () => {
      const was = this.connected;
      this.connected = false;
      this.on.lost(was);
      setTimeout(() => this.connect(), retryDelay(this.backoff, Math.random()));
      this.backoff = Math.min(this.backoff * 2, 10000);
    };
  }
}

// retryDelay spreads reconnects over ±25% of the backoff.
export function retryDelay(backoff, random) {
  return backoff * (0.75 + random / 2);
}

// Bar is the strip above the list: live state, counters, pause.
class Bar {
  constructor() {
    this.status = hook('live-status');
    this.captured = hook('count-captured');
    this.shown = hook('count-shown');
    this.dropped = hook('count-dropped');
    this.empty = hook('empty');
    this.msg = hook('bar-msg');
    this.pause = hook('pause'); // absent on pages that do not follow the feed
    this.connected = false;
  }

  onPause(toggle) {
    if (this.pause) this.pause.addEventListener('click', toggle);
  }

  setConnected(connected, paused) {
    this.connected = connected;
    this.showState(paused);
  }

  showPaused(paused) {
    this.pause.setAttribute('aria-pressed', String(paused));
    this.showState(paused);
  }

  showState(paused) {
    const [state, label] = paused ? ['paused', 'paused'] : this.connected ? ['live', 'live'] : ['reconnecting', 'reconnecting…'];
    this.status.dataset.state = state;
    this.status.textContent = label;
  }

  setNote(text) { this.status.title = text; }

  // setCounts shows the server's counters (stats frames): what /api/stats
  // says, not what this page happened to receive.
  setCounts(c) {
    if (typeof c.captured === 'number') this.captured.textContent = c.captured;
    if (typeof c.dropped === 'number') this.setDropped(c.dropped);
  }

  setDropped(n) { this.dropped.textContent = n; }

  showRows(n, paused, held, filtered) {
    this.shown.textContent = n;
    this.empty.hidden = n > 0;
    this.empty.textContent = filtered ? 'No exchanges match these filters yet.' :
      'No exchanges yet. Send a request to the API and it shows up here at once.';
    if (!this.pause) return;
    this.pause.textContent = paused ? 'Resume' + (held ? ` (${held} new)` : '') : 'Pause';
  }

  showError(msg) {
    this.msg.textContent = msg;
    this.msg.classList.toggle('bad', !!msg);
  }
}

