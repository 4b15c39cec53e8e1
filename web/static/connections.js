// connections.js: the WebSocket connection pages. The list of open
// connections stays current from the live feed (any exchange of a
// connection re-reads /api/connections) and counts each one's age; one
// connection's page appends the frames of each new exchange of it (read
// from /api/exchanges?connection=) to its timeline, and sends to it as its
// client or as the server. framesOf and formatAge are pure: node --test
// checks them against the Go side's tables (web/testdata).
import { api, formatTime, hook, href } from './common.js';
import { Feed } from './list.js';

// formatAge is web.FormatAge: "45 s", "3 min 4 s", "2 h 5 min".
export function formatAge(ms) {
  const s = Math.max(0, Math.floor(ms / 1000));
  if (s < 60) return s + ' s';
  if (s < 3600) return Math.floor(s / 60) + ' min ' + (s % 60) + ' s';
  return Math.floor(s / 3600) + ' h ' + Math.floor((s % 3600) / 60) + ' min';
}

// fmtSize is the dashboard's fmtSize (Go): bytes of the UTF-8 text.
export function fmtSize(text) {
  const n = new TextEncoder().encode(text).length;
  if (n < 1024) return n + ' B';
  if (n < 1 << 20) return (n / 1024).toFixed(1) + ' KB';
  return (n / (1 << 20)).toFixed(1) + ' MB';
}

// framesOf is the timeline rows of one exchange (as /api/exchanges gives
// it): the handshake, each frame it carried, a refused @connections post.
// It is server/dashboard's framesOf.
export function framesOf(x) {
  const req = x.request || {}, res = x.response || {};
  const failed = x.outcome !== 'ok' || res.status >= 500;
  const link = href(['exchanges', x.id]);
  const row = (dir, kind, data, label, at) => ({ dir, kind, data, label, size: fmtSize(data), href: link, failed, at });
  const out = [];
  const post = req.method === 'POST' && String(x.routeKey).endsWith('@connections');
  const frames = x.frames || [];
  if (x.routeKey === '$connect' && res.status === 101) out.push(row('in', 'connect', 'connected', '$connect', x.startedAt));
  else if (x.routeKey === '$connect') out.push(row('in', 'refused', res.body || '', '$connect ' + res.status, x.startedAt));
  else if (post && frames.length === 0) out.push(row('out', 'refused', req.body || '', '@connections ' + res.status, x.startedAt));
  for (const f of frames) {
    if (f.opcode === 8) out.push(row(f.dir, 'close', f.data, 'close ' + (f.code || 0), f.at));
    else if (post) out.push(row(f.dir, 'text', f.data, '@connections', f.at));
    else if (f.dir === 'in') out.push(row(f.dir, 'text', f.data, x.routeKey || 'no route', f.at));
    else out.push(row(f.dir, 'text', f.data, failed ? 'API Gateway' : 'reply', f.at));
  }
  return out;
}

// closeText says how a connection closed ("1001 Going away"), from its
// $disconnect exchange.
export function closeText(x) {
  const f = (x.frames || [])[0];
  return f ? (String(f.code || '') + ' ' + (f.data || '')).trim() : '';
}

// onConnectionFrames calls fn whenever the live feed announces exchanges
// of a WebSocket connection (of id, when given).
function followFeed(id, fn) {
  const feed = new Feed(() => href(['api', 'live']), {
    open: fn,
    lost() {},
    frame(m) {
      if (m.type !== 'exchanges') return;
      if ((m.items || []).some(s => s.connectionId && (!id || s.connectionId === id))) fn();
    },
  });
  feed.connect();
}

// serial runs task one at a time: a call while it runs asks for one more
// run after it, however many calls come.
function serial(task) {
  let running = false, again = false;
  const run = async () => {
    if (running) { again = true; return; }
    running = true;
    try {
      do {
        again = false;
        await task();
      } while (again);
    } finally {
      running = false;
    }
  };
  return run;
}

export function initConnections() {
  const tbody = hook('open-conns'), tpl = hook('conn-tpl'), empty = hook('no-conns');
  const ages = () => {
    for (const td of tbody.querySelectorAll('[data-f=age]')) {
      td.textContent = formatAge(Date.now() - Date.parse(td.dataset.since));
    }
  };
  const refresh = serial(async () => {
    const { connections } = await api(href(['api', 'connections']));
    const frag = document.createDocumentFragment();
    for (const c of connections) {
      const tr = tpl.content.firstElementChild.cloneNode(true);
      const f = name => tr.querySelector(`[data-f="${name}"]`);
      tr.dataset.id = c.id;
      f('link').href = href(['connections', c.id]);
      f('id').textContent = c.id;
      f('api').textContent = c.api.id + ' ' + c.api.stage;
      f('source').textContent = c.sourceIp + (c.userAgent ? ' · ' + c.userAgent : '');
      f('since').setAttribute('datetime', c.connectedAt);
      f('since').textContent = formatTime(c.connectedAt);
      f('age').dataset.since = c.connectedAt;
      f('in').textContent = c.in;
      f('out').textContent = c.out;
      frag.appendChild(tr);
    }
    tbody.replaceChildren(frag);
    empty.hidden = connections.length > 0;
    ages();
  });
  for (const t of document.querySelectorAll('time')) t.textContent = formatTime(t.getAttribute('datetime')) || t.textContent;
  setInterval(ages, 1000);
  followFeed('', refresh);
}

export function initConnection() {
  const root = hook('conn'), id = root.dataset.id;
  const tbody = hook('frames'), tpl = hook('frame-tpl');
  const counts = { in: hook('count-in'), out: hook('count-out') };
  const state = hook('conn-state'), boxes = hook('send-boxes'), msg = hook('send-msg');
  let cursor = root.dataset.cursor;
  const shown = new Set(); // exchanges already drawn: the feed and a send may both bring one

  for (const t of document.querySelectorAll('time')) t.textContent = formatTime(t.getAttribute('datetime')) || t.textContent;
  for (const a of tbody.querySelectorAll('a[href]')) shown.add(a.getAttribute('href'));

  const draw = x => {
    const link = href(['exchanges', x.id]);
    if (shown.has(link)) return;
    shown.add(link);
    for (const r of framesOf(x)) {
      const tr = tpl.content.firstElementChild.cloneNode(true);
      tr.className = 'frame k-' + r.kind + (r.failed ? ' failed' : '') + ' new';
      tr.dataset.dir = r.dir;
      tr.dataset.kind = r.kind;
      const cell = tr.querySelector('[data-f=cell]');
      if (r.dir !== 'in') tr.querySelector('.c-out').appendChild(cell); // the template's cell is in the in column
      cell.href = r.href;
      cell.querySelector('[data-f=label]').textContent = r.label;
      cell.querySelector('[data-f=size]').textContent = r.size;
      cell.querySelector('[data-f=data]').textContent = r.data;
      const t = tr.querySelector('[data-f=time]');
      t.setAttribute('datetime', r.at);
      t.textContent = formatTime(r.at);
      // In time order: a function's post is stored before the message
      // that made it, so it may arrive first.
      const ms = Date.parse(r.at);
      tr.dataset.ms = String(ms);
      let after = tbody.lastElementChild;
      while (after && +after.dataset.ms > ms) after = after.previousElementSibling;
      tbody.insertBefore(tr, after ? after.nextSibling : tbody.firstChild);
      if (r.kind === 'text') counts[r.dir].textContent = String(+counts[r.dir].textContent + 1);
    }
    if (x.routeKey === '$disconnect') {
      state.dataset.state = 'closed';
      state.textContent = ('closed ' + closeText(x)).trim();
      boxes.hidden = true;
    }
  };

  const catchUp = serial(async () => {
    const q = { connection: id, limit: 1000 };
    if (cursor) q.after = cursor;
    const { exchanges } = await api(href(['api', 'exchanges'], q));
    if (!cursor) exchanges.reverse(); // without a cursor the newest come first
    for (const x of exchanges) draw(x);
    if (exchanges.length) cursor = exchanges[exchanges.length - 1].id;
  });

  const send = (form, box, path) => form.addEventListener('submit', async e => {
    e.preventDefault();
    msg.classList.remove('bad');
    try {
      const { exchange } = await api(href(['api', 'connections', id, path]), { method: 'POST', json: { data: box.value } });
      draw(exchange);
      msg.textContent = 'Sent.';
    } catch (err) {
      msg.textContent = 'Not sent: ' + err.message;
      msg.classList.add('bad');
      if (err.data && err.data.exchange) draw(err.data.exchange);
    }
  });
  send(hook('send-client'), hook('send-client-data'), 'messages');
  send(hook('send-server'), hook('send-server-data'), 'posts');
  if (root.dataset.open === 'true') followFeed(id, catchUp);
}
