// list.js: the live list. The server renders the newest rows; this module
// follows the live feed (/api/live) and keeps the table current. Its parts,
// each owning its own state:
//
//   Table    the rows in the DOM: built from the row template, newest first,
//            at most max of them, and the keyboard selection
//   Queue    rows waiting to be drawn: deduplicated by id, held while
//            paused, drawn once per animation frame (less often in a burst)
//   Catchup  asks /api/exchanges what the feed cannot tell: what was stored
//            while the page was not listening, and, with a text search,
//            which new exchanges match (the server searches bodies and logs)
//   Feed     the websocket, reconnecting with jittered backoff
//   Bar      the live state, the counters and the pause button
import { api, filterOf, filterQuery, formatMs, formatTime, hook, href, matches, summarize } from './common.js';
import { Deployments } from './deploys.js';

// In a burst (more than burstSize rows waiting) the table is redrawn at most
// every burstGap ms, so the tab keeps idle frames between batches instead of
// laying out the table every frame.
const burstSize = 20, burstGap = 200;
// New rows flash only when few arrive at once: in a burst an animation on
// every row keeps the whole table repainting.
const flashAtMost = 5;

export function initList() {
  const tbody = document.getElementById('rows');
  const params = new URLSearchParams(location.search);
  const table = new Table(tbody, document.getElementById('row-tpl'), parseInt(tbody.dataset.max, 10) || 500);
  table.localTimes();
  const bar = new Bar();
  const queue = new Queue(table, () => bar.showRows(table.length, queue));
  const togglePause = () => {
    queue.setPaused(!queue.paused);
    bar.showPaused(queue.paused);
  };
  bar.onPause(togglePause);
  listenKeys(table, bar, togglePause);
  // Selects filter at once; the URL is the filter, so it stays bookmarkable.
  hook('filters').querySelectorAll('select').forEach(s => s.addEventListener('change', () => s.form.requestSubmit()));

  if (tbody.dataset.live !== 'true') return;
  const deploys = new Deployments(hook('deploys'));
  const filter = filterOf(params, tbody.dataset.session);
  // With a text search or a service map node only the server knows what matches.
  const searching = filter.q !== '' || filter.node !== '';
  const catchup = new Catchup({
    query: filterQuery(params),
    cursor: table.topId(),
    get: url => api(url),
    deliver: xs => queue.add(xs.map(summarize)),
    fallbackSize: table.max,
  });
  const feed = new Feed(() => href(['api', 'live'], { after: catchup.position() }), {
    open() {
      bar.setConnected(true, queue.paused);
      catchup.request(); // what was stored while we were not listening
      deploys.refresh(); // and deployed
    },
    lost(wasConnected) {
      if (wasConnected) bar.setConnected(false, queue.paused);
    },
    frame(m) {
      if (m.type === 'stats') {
        bar.setCounts(m);
        return;
      }
      if (m.type === 'deployment') {
        deploys.update(m.deployment);
        return;
      }
      if (m.type !== 'exchanges') return;
      if (typeof m.dropped === 'number') bar.setDropped(m.dropped);
      const items = (m.items || []).filter(s => s && s.id);
      if (!items.length) return;
      if (searching) {
        catchup.stored(items[items.length - 1].id);
        catchup.request();
      } else {
        queue.add(items.filter(s => matches(filter, s)));
        catchup.accounted(items[items.length - 1].id);
      }
    },
  });
  if (searching) bar.setNote('Live: the server checks each new exchange against the search.');
  feed.connect();
}

// Table is the list's rows in the DOM, newest (highest id) first.
class Table {
  constructor(tbody, tpl, max) {
    this.tbody = tbody;
    this.tpl = tpl;
    this.max = max;
    this.sel = -1; // index of the selected row, or -1
  }

  get length() { return this.tbody.rows.length; }
  ids() { return Array.from(this.tbody.rows, r => r.dataset.id); }
  topId() { return this.length ? this.tbody.rows[0].dataset.id : ''; }

  // localTimes shows the server-rendered times in the browser's time zone.
  localTimes() {
    for (const t of this.tbody.querySelectorAll('time')) {
      t.textContent = formatTime(t.getAttribute('datetime')) || t.textContent;
    }
  }

  // insert draws summaries: those newer than the top row go above it, older
  // ones (a gap fill) to their place by id. It returns the ids that did not
  // fit in max rows or fell off the bottom.
  insert(items) {
    const out = [];
    items.sort((a, b) => (a.id < b.id ? 1 : -1));
    // Rows past the bound would be built only to be removed in this frame.
    for (const s of items.splice(this.max)) out.push(s.id);
    const flash = items.length <= flashAtMost;
    const top = this.topId();
    const frag = document.createDocumentFragment(), older = [];
    for (const s of items) {
      if (s.id > top) frag.appendChild(this.build(s, flash));
      else older.push(s);
    }
    this.tbody.insertBefore(frag, this.tbody.firstChild);
    const rows = this.tbody.rows;
    for (const s of older) {
      let j = 0;
      while (j < rows.length && rows[j].dataset.id > s.id) j++;
      if (j < this.max) this.tbody.insertBefore(this.build(s, false), rows[j] || null);
      else out.push(s.id);
    }
    for (let excess = rows.length - this.max; excess > 0; excess--) {
      const last = this.tbody.lastElementChild;
      out.push(last.dataset.id);
      last.remove();
    }
    const sel = this.tbody.querySelector('tr.sel');
    this.sel = sel ? Array.prototype.indexOf.call(rows, sel) : -1;
    return out;
  }

  // build fills a clone of the server's row template (web/list.templ row).
  build(s, flash) {
    const tr = this.tpl.content.firstElementChild.cloneNode(true);
    const f = name => tr.querySelector(`[data-f=${name}]`);
    tr.dataset.id = s.id;
    tr.dataset.outcome = s.outcome;
    tr.classList.toggle('failed', !!s.failed);
    if (flash) tr.classList.add('new');
    const t = f('time');
    t.setAttribute('datetime', s.startedAt);
    t.textContent = formatTime(s.startedAt);
    f('method').textContent = s.method;
    const a = f('path');
    a.textContent = s.url;
    a.href = href(['exchanges', s.id]);
    f('route').textContent = s.routeKey || '';
    const st = f('status');
    st.textContent = s.status ? s.status : '—';
    st.className = 'status s' + (s.status ? Math.floor(s.status / 100) : 0);
    const o = f('outcome');
    o.textContent = s.outcome;
    o.className = 'outcome o-' + s.outcome;
    if (s.explanation) o.title = s.explanation;
    f('duration').textContent = formatMs(s.durationMs);
    f('cold').hidden = !s.cold;
    return tr;
  }

  // move selects the row delta rows away from the selected one.
  move(delta) {
    const rows = this.tbody.rows;
    if (!rows.length) return;
    const i = Math.max(0, Math.min(rows.length - 1, this.sel + delta));
    if (this.sel >= 0 && rows[this.sel]) rows[this.sel].classList.remove('sel');
    this.sel = i;
    rows[i].classList.add('sel');
    rows[i].scrollIntoView({ block: 'nearest' });
  }

  selectedId() { return this.sel >= 0 ? this.tbody.rows[this.sel].dataset.id : ''; }
}

// Queue holds summaries until the next draw. known is every id drawn or
// waiting, so repeats (backlogs, gap fills) are drawn once.
class Queue {
  constructor(table, drawn) {
    this.table = table;
    this.drawn = drawn; // called after each draw
    this.known = new Set(table.ids());
    this.pending = []; // to draw at the next frame
    this.held = []; // arrived while paused (the newest max of them)
    this.paused = false;
    this.frame = 0; // requestAnimationFrame handle
    this.timer = 0; // setTimeout handle while a burst waits
    this.lastDraw = 0;
  }

  add(items) {
    for (const s of items) {
      if (!s || !s.id || this.known.has(s.id)) continue;
      this.known.add(s.id);
      if (!this.paused) {
        this.pending.push(s);
        continue;
      }
      this.held.push(s);
      if (this.held.length > this.table.max) this.known.delete(this.held.shift().id);
    }
    this.schedule();
  }

  setPaused(p) {
    this.paused = p;
    if (!p) {
      this.pending = this.pending.concat(this.held);
      this.held = [];
    }
    this.schedule();
  }

  // schedule coalesces draws per animation frame, and spaces them burstGap
  // apart while a burst is waiting.
  schedule() {
    if (this.frame || this.timer) return;
    const wait = this.pending.length > burstSize ? this.lastDraw + burstGap - performance.now() : 0;
    if (wait > 0) {
      this.timer = setTimeout(() => {
        this.timer = 0;
        this.frame = requestAnimationFrame(() => this.draw());
      }, wait);
    } else {
      this.frame = requestAnimationFrame(() => this.draw());
    }
  }

  draw() {
    this.frame = 0;
    this.lastDraw = performance.now();
    if (this.pending.length) {
      for (const id of this.table.insert(this.pending)) this.known.delete(id);
      this.pending = [];
    }
    this.drawn();
  }
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

  showRows(n, queue) {
    this.shown.textContent = n;
    this.empty.hidden = n > 0;
    if (!this.pause) return;
    const held = queue.held.length;
    this.pause.textContent = queue.paused ? 'Resume' + (held ? ` (${held} new)` : '') : 'Pause';
  }
}

// listenKeys: click anywhere on a row opens it; j/k move, Enter opens, /
// searches, p pauses.
function listenKeys(table, bar, togglePause) {
  const open = id => { location.href = href(['exchanges', id]); };
  table.tbody.addEventListener('click', e => {
    if (e.target.closest('a') || e.button !== 0) return;
    const tr = e.target.closest('tr');
    if (tr) open(tr.dataset.id);
  });
  document.addEventListener('keydown', e => {
    if (e.ctrlKey || e.metaKey || e.altKey || /INPUT|SELECT|TEXTAREA/.test(e.target.tagName)) return;
    if (e.key === 'j') table.move(1);
    else if (e.key === 'k') table.move(-1);
    else if (e.key === 'Enter' && table.selectedId()) open(table.selectedId());
    else if (e.key === '/') {
      e.preventDefault();
      hook('filter-q').focus();
    } else if (e.key === 'p' && bar.pause) togglePause();
  });
}
