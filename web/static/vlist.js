// vlist.js: the list's rows, virtualised. The whole list scrolls (its
// height is every match's), but only the rows in view, and a few around
// them, are in the DOM; the rest are read from the list API a window at a
// time as they scroll into view. Its parts:
//
//   Windows  the list as the store has it at one snapshot: windows of
//            rows fetched by cursor (after the window before) or by
//            offset (a jump), the stale ones cancelled
//   Head     rows that arrived since the snapshot (from the live feed),
//            newest first, above the snapshot's rows
//   VTable   draws rows [first, last] of head + windows into the table,
//            between two spacers that stand in for the rest
import { formatMs, formatSize, formatTime, href, waterfall } from './common.js';

// Windows is the snapshot's rows, by index, fetched size at a time.
export class Windows {
  // get(params, signal) → Promise of the list API's answer for params;
  // changed() is called when a window arrives.
  constructor({ get, changed, size = 200 }) {
    Object.assign(this, { get, changed, size });
    this.query = {};
    this.snapshot = 0;
    this.total = 0;
    this.wins = new Map(); // window index → {items, next}
    this.loading = new Map(); // window index → promise
    this.abort = null;
    this.gen = 0; // bumps on reset: answers of an older generation are dropped
  }

  // reset starts over with query (the filter and sort parameters): it reads
  // the first window with the count and a new snapshot, cancelling what
  // the old query still had in flight. It resolves to the first window.
  async reset(query) {
    if (this.abort) this.abort.abort();
    this.abort = new AbortController();
    const gen = ++this.gen;
    this.query = query;
    this.wins = new Map();
    this.loading = new Map();
    const d = await this.get({ ...query, view: 'summary', limit: this.size, count: 1 }, this.abort.signal);
    if (gen !== this.gen) return null; // overtaken by a newer reset
    this.snapshot = d.snapshot || 0;
    this.total = d.total || 0;
    this.wins.set(0, { items: d.exchanges || [], next: d.next || '' });
    return this.wins.get(0).items;
  }

  // row returns the i-th row, or undefined while its window is loading
  // (it starts loading it).
  row(i) {
    const k = Math.floor(i / this.size), w = this.wins.get(k);
    if (w) return w.items[i - k * this.size];
    this.load(k);
    return undefined;
  }

  load(k) {
    if (this.wins.has(k) || this.loading.has(k) || k * this.size >= this.total) return;
    const gen = this.gen, prev = this.wins.get(k - 1);
    // Next to a window we have, its cursor is the way (an index lookup);
    // a jump has only the offset.
    const at = prev && prev.next ? { cursor: prev.next } : { offset: k * this.size };
    const p = this.get({ ...this.query, view: 'summary', limit: this.size, snapshot: this.snapshot, ...at }, this.abort.signal)
      .then(d => {
        if (gen !== this.gen) return;
        this.wins.set(k, { items: d.exchanges || [], next: d.next || '' });
        this.changed();
      })
      .catch(() => { /* cancelled or offline: asked again when in view */ })
      .finally(() => { if (gen === this.gen) this.loading.delete(k); });
    this.loading.set(k, p);
  }
}

// VTable draws the rows in view. Rows are a fixed height (CSS), measured
// once drawn, so that index ↔ position is a multiplication.
export class VTable {
  constructor({ scroller, table, tbody, padTop, padBottom, tpl, rowAt, count }) {
    Object.assign(this, { scroller, table, tbody, padTop, padBottom, tpl, rowAt, count });
    this.rowH = 0;
    this.sel = -1; // selected index, or -1
    this.flash = new Set(); // ids to flash once drawn
    this.sessions = new Map(); // session id → name, for the session column
    this.built = new Map(); // id → its row, as drawn last time: rows stay in view as others arrive
    this.frame = 0;
    scroller.addEventListener('scroll', () => this.schedule(), { passive: true });
    window.addEventListener('resize', () => { this.fit(); this.schedule(); });
    this.fit();
  }

  // fit makes the scroller fill the window below its top, so the page
  // itself does not scroll and the keys move within the list.
  fit() {
    const top = this.scroller.getBoundingClientRect().top + window.scrollY;
    this.scroller.style.height = Math.max(240, window.innerHeight - top - 48) + 'px';
  }

  schedule() {
    if (this.frame) return;
    this.frame = requestAnimationFrame(() => {
      this.frame = 0;
      this.draw();
    });
  }

  rowHeight() {
    if (!this.rowH) {
      const r = this.tbody.rows[0];
      if (r && r.offsetHeight) this.rowH = r.offsetHeight;
    }
    return this.rowH || 33;
  }

  // range is the indexes to draw: those in view and a screen's worth
  // around them.
  range() {
    const h = this.rowHeight(), n = this.count();
    const view = Math.ceil(this.scroller.clientHeight / h) || 20;
    const first = Math.max(0, Math.floor(this.scroller.scrollTop / h) - view);
    return [first, Math.min(n - 1, first + 3 * view)];
  }

  draw() {
    const n = this.count(), [first, last] = this.range(), h = this.rowHeight();
    const rows = [], built = new Map();
    for (let i = first; i <= last; i++) {
      const s = this.rowAt(i);
      const tr = s ? this.built.get(s.id) || this.build(s) : this.placeholder();
      if (s) built.set(s.id, tr);
      tr.dataset.index = i;
      tr.classList.toggle('sel', i === this.sel);
      rows.push(tr);
    }
    this.built = built;
    // Rows already in place stay (no re-insertion: their layout and any
    // flash animation carry on); new ones go in, the rest go.
    let cur = this.tbody.firstElementChild;
    for (const tr of rows) {
      if (tr === cur) {
        cur = cur.nextElementSibling;
        continue;
      }
      this.tbody.insertBefore(tr, cur);
    }
    while (cur) {
      const next = cur.nextElementSibling;
      cur.remove();
      cur = next;
    }
    this.padTop.style.height = first * h + 'px';
    this.padBottom.style.height = Math.max(0, n - 1 - last) * h + 'px';
    if (!this.rowH && rows.length) this.rowHeight();
    this.flash.clear();
  }

  placeholder() {
    const tr = this.tpl.content.firstElementChild.cloneNode(true);
    tr.classList.add('loading');
    for (const el of tr.querySelectorAll('[data-f]')) if (el.tagName !== 'I') el.textContent = '';
    return tr;
  }

  // build fills a clone of the server's row template (web/list.templ row).
  build(s) {
    const tr = this.tpl.content.firstElementChild.cloneNode(true);
    const f = name => tr.querySelector(`[data-f=${name}]`);
    tr.dataset.id = s.id;
    tr.dataset.outcome = s.outcome;
    tr.classList.toggle('failed', !!s.failed);
    if (this.flash.has(s.id)) tr.classList.add('new');
    const t = f('time');
    t.setAttribute('datetime', s.startedAt);
    t.textContent = formatTime(s.startedAt);
    f('method').textContent = s.method;
    const a = f('path');
    a.textContent = s.url;
    a.href = href(['exchanges', s.id]);
    f('replay').hidden = !s.replayOf;
    const m = f('match');
    m.hidden = !s.match;
    if (s.match) {
      const field = document.createElement('span'), hit = document.createElement('mark');
      field.className = 'match-field';
      field.textContent = s.match.field + ':';
      hit.textContent = s.match.hit;
      m.replaceChildren(field, ' ' + s.match.before, hit, s.match.after);
    }
    f('route').textContent = s.routeKey || '';
    f('function').textContent = s.function || '';
    f('session').textContent = this.sessions.get(s.session) || s.session || '';
    const st = f('status');
    st.textContent = s.status ? s.status : '—';
    st.className = 'status s' + (s.status >= 100 && s.status <= 599 ? Math.floor(s.status / 100) : 0);
    const o = f('outcome');
    o.textContent = s.outcome;
    o.className = 'outcome o-' + s.outcome;
    if (s.explanation) o.title = s.explanation;
    f('duration').textContent = formatMs(s.durationMs);
    f('size').textContent = formatSize(s.size);
    const wf = waterfall(s.phases), bar = f('waterfall');
    bar.title = wf.title;
    Array.from(bar.children).forEach((el, i) => { el.style.width = wf.widths[i] + '%'; });
    f('cold').hidden = !s.cold;
    return tr;
  }

  // select moves the selection to index i (clamped) and scrolls it into view.
  select(i) {
    const n = this.count();
    if (!n) return;
    this.sel = Math.max(0, Math.min(n - 1, i));
    const h = this.rowHeight(), top = this.sel * h, sc = this.scroller;
    // The sticky header covers the first row's height at the top.
    const head = this.table.tHead ? this.table.tHead.offsetHeight : 0;
    if (top < sc.scrollTop) sc.scrollTop = top;
    else if (top + h + head > sc.scrollTop + sc.clientHeight) sc.scrollTop = top + h + head - sc.clientHeight;
    this.draw();
  }

  // shift keeps the rows in view where they are when n rows are added
  // above them (unless the list is at its top, where new rows show).
  shift(n) {
    const h = this.rowHeight();
    if (this.scroller.scrollTop > 0) {
      // Grow the list first, or the browser clamps the new scroll position.
      this.padBottom.style.height = (parseFloat(this.padBottom.style.height) || 0) + n * h + 'px';
      this.scroller.scrollTop += n * h;
    }
    if (this.sel >= 0) this.sel += n;
  }

  // forget drops the rows built, for a new list.
  forget() { this.built = new Map(); }
}
