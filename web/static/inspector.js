// inspector.js: the page of one exchange. Wide screens show every section
// at once and the section bar jumps between them; narrow ones (app.css)
// show one section at a time under it, as tabs. JSON shows as a tree
// (jsontree.js), searchable across the exchange; the buttons work: replay
// (as is, or with an edited event), star, copy as curl, fetch and the rest,
// permalink, and "show all" for cut bodies; and the keyboard: j/k, Esc,
// section numbers, / and ?.
import { api, hook, href, request } from './common.js';
import { blamePath, renderTree, searchJSON, showBytes } from './jsontree.js';

// narrow is app.css's breakpoint: below it sections are tabs.
const narrow = matchMedia('(max-width: 1199px)');

export function initInspector() {
  const flash = flasher(hook('flash'));
  const copy = copier(flash);
  const sections = initSections();
  initStar(flash);
  initCopy(copy, flash);
  initShowAll(flash);
  initReplay(flash);
  const docs = initDocs(copy, flash);
  // A mark for bench/: when every tree has rendered.
  Promise.all(docs.map(d => d.ready)).then(() => performance.mark('inspector-ready'));
  const search = initSearch(docs, sections);
  initKeys(sections, search, docs);
}

// initSections makes the section bar work: on a narrow screen it shows the
// named section only (a tab); on a wide one every section shows and it
// scrolls to the one named. The URL's #hash names the section; a failed
// exchange opens on the function output, or on the part its explanation
// names (data-open: the authorizer, the event). Returns show(id, scroll).
function initSections() {
  const tabs = Array.from(document.querySelectorAll('[data-tab]'));
  const panels = document.querySelectorAll('[data-panel]');
  tabs.forEach((t, i) => {
    if (i < 9) {
      t.dataset.key = String(i + 1);
      t.title = 'Key ' + (i + 1);
    }
  });
  const show = (id, scroll) => {
    if (!tabs.some(t => t.dataset.tab === id)) id = tabs[0].dataset.tab;
    tabs.forEach(t => t.setAttribute('aria-selected', String(t.dataset.tab === id)));
    panels.forEach(p => p.toggleAttribute('data-off', p.dataset.panel !== id));
    if (scroll && !narrow.matches) document.getElementById(id).scrollIntoView({ block: 'start' });
  };
  tabs.forEach(t => t.addEventListener('click', e => {
    e.preventDefault();
    history.replaceState(null, '', '#' + t.dataset.tab);
    show(t.dataset.tab, true);
  }));
  const failed = document.querySelector('[data-js=explanation][role=alert]');
  const hash = location.hash.slice(1);
  show(hash || (failed ? failed.dataset.open || 'output' : 'request'), !!hash);
  return { show, tabs };
}

// copier returns copy(text, what), which puts text on the clipboard and
// says so.
function copier(flash) {
  return async (text, what) => {
    try {
      if (!navigator.clipboard || !window.isSecureContext) throw new Error('no clipboard');
      await navigator.clipboard.writeText(text);
    } catch {
      if (!copyByCommand(text)) {
        flash('Copy failed.', true);
        return;
      }
    }
    flash('Copied ' + what + '.');
  };
}

// initDocs turns each JSON document of the page into a tree, and shows
// binary bodies as images or hex; the server's text stays as the raw view.
// It returns the trees, as they come (a cut document is fetched whole).
function initDocs(copy, flash) {
  const docs = [];
  for (const pre of document.querySelectorAll('pre[data-js=doc]')) {
    const json = pre.dataset.lang === 'json', binary = pre.classList.contains('binary');
    if (!json && !binary) continue;
    const host = document.createElement('div');
    host.className = 'doc-view';
    const bar = document.createElement('p');
    bar.className = 'doc-bar';
    const toggle = document.createElement('button');
    toggle.type = 'button';
    toggle.className = 'btn small';
    toggle.title = 'Key r';
    const d = { pre, host, tree: null, raw: false, ready: null };
    // "Shown in part" is about the raw text: the tree has it all.
    const cut = pre.nextElementSibling && pre.nextElementSibling.matches('.cut') ? pre.nextElementSibling : null;
    d.setRaw = raw => {
      d.raw = raw;
      host.hidden = raw;
      pre.hidden = !raw;
      if (cut) cut.hidden = !raw;
      toggle.textContent = raw ? (json ? 'Tree' : 'Decoded') : 'Raw';
      toggle.setAttribute('aria-pressed', String(raw));
    };
    toggle.addEventListener('click', () => d.setRaw(!d.raw));
    bar.append(toggle);
    pre.before(bar, host);
    d.setRaw(false);
    const whole = pre.dataset.cut === 'true' || binary;
    d.ready = (async () => {
      try {
        if (binary) {
          const bytes = new Uint8Array(await (await request(pre.dataset.src)).arrayBuffer());
          showBytes(host, bytes);
          return d;
        }
        const text = whole ? await (await request(pre.dataset.src)).text() : pre.textContent;
        d.tree = renderTree(host, JSON.parse(text), { copy });
        if (pre.dataset.blame) blame(d.tree, JSON.parse(pre.dataset.blame));
      } catch (err) {
        d.setRaw(true);
        toggle.remove();
        d.tree = null;
        if (whole) flash('Could not load the body: ' + err.message, true);
      }
      return d;
    })();
    docs.push(d);
  }
  return docs;
}

// blame marks the field an explanation is about and scrolls its tree to it.
function blame(tree, keys) {
  const path = blamePath(tree.doc, keys);
  const row = path && tree.open(path);
  if (!row) return;
  row.classList.add('jt-blame');
  const line = row.firstElementChild;
  line.title = 'The explanation is about this field';
  const box = tree.root.parentElement;
  box.scrollTop += line.getBoundingClientRect().top - box.getBoundingClientRect().top - box.clientHeight / 3;
}

// initSearch searches the whole exchange: the JSON trees (inside JSON
// strings and decoded bodies too), headers and log lines. Enter goes to
// the next match. Returns the search box.
function initSearch(docs, sections) {
  const box = hook('ex-search'), count = hook('ex-search-count');
  let hits = [], at = -1, timer = 0;
  const clear = () => {
    document.querySelectorAll('.hit, .hit-cur').forEach(el => el.classList.remove('hit', 'hit-cur'));
    hits = [];
    at = -1;
  };
  const run = async () => {
    clear();
    const q = box.value.trim();
    if (!q) {
      count.textContent = '';
      return;
    }
    const needle = q.toLowerCase();
    let total = 0;
    for (const d of docs) {
      await d.ready;
      if (!d.tree) continue;
      const paths = searchJSON(d.tree.doc, q);
      total += paths.length;
      for (const p of paths.slice(0, 100)) d.tree.open(p)?.firstElementChild.classList.add('hit');
    }
    for (const el of document.querySelectorAll('table.headers tr, #logs-text .log, .fnerror p, .fnerror pre')) {
      if (el.textContent.toLowerCase().includes(needle)) {
        el.classList.add('hit');
        total++;
      }
    }
    hits = Array.from(document.querySelectorAll('.hit'));
    count.textContent = total === 1 ? '1 match' : total + ' matches';
  };
  box.addEventListener('input', () => {
    clearTimeout(timer);
    timer = setTimeout(run, 120);
  });
  box.addEventListener('keydown', e => {
    if (e.key === 'Escape') {
      box.value = '';
      run();
      box.blur();
      e.stopPropagation();
      return;
    }
    if (e.key !== 'Enter' || !hits.length) return;
    e.preventDefault();
    hits[at]?.classList.remove('hit-cur');
    at = (at + (e.shiftKey ? hits.length - 1 : 1)) % hits.length;
    const el = hits[at];
    el.classList.add('hit-cur');
    const panel = el.closest('[data-panel]');
    if (panel && narrow.matches) sections.show(panel.dataset.panel);
    el.scrollIntoView({ block: 'center' });
  });
  return box;
}

// initKeys: j and k open the next and previous exchange of the list, Esc
// goes back to it, 1–9 go to a section, / searches, r switches the JSON
// between tree and raw, ? shows the keys.
function initKeys(sections, search, docs) {
  const art = document.querySelector('article.inspector');
  const help = hook('keys-help');
  hook('keys-open').addEventListener('click', () => help.showModal());
  document.addEventListener('keydown', e => {
    if (e.ctrlKey || e.metaKey || e.altKey || e.defaultPrevented) return;
    const t = e.target;
    if (t.closest && t.closest('input, textarea, select, [contenteditable]')) return;
    if (help.open && e.key !== '?') return;
    const go = url => { if (url) location.href = url; };
    switch (e.key) {
      case 'j': go(art.dataset.next); break;
      case 'k': go(art.dataset.prev); break;
      case 'Escape': go(art.dataset.list || '/'); break;
      case '/': search.focus(); break;
      case '?': help.open ? help.close() : help.showModal(); break;
      case 'r': {
        const raw = !docs.some(d => d.raw);
        docs.forEach(d => d.tree && d.setRaw(raw));
        break;
      }
      default: {
        const tab = sections.tabs.find(x => x.dataset.key === e.key);
        if (!tab) return;
        history.replaceState(null, '', '#' + tab.dataset.tab);
        sections.show(tab.dataset.tab, true);
      }
    }
    e.preventDefault();
  });
}

// flasher returns flash(message, bad): a short note beside the buttons that
// clears itself (errors stay longer).
function flasher(el) {
  let timer = 0;
  return (msg, bad) => {
    el.textContent = msg;
    el.classList.toggle('bad', !!bad);
    clearTimeout(timer);
    timer = setTimeout(() => { el.textContent = ''; }, bad ? 8000 : 2500);
  };
}

// initStar toggles the exchange's star (PUT/DELETE /api/exchanges/{id}/star).
function initStar(flash) {
  const b = document.querySelector('[data-star]');
  if (!b) return;
  b.addEventListener('click', async () => {
    const on = b.getAttribute('aria-pressed') !== 'true';
    try {
      await api(href(['api', 'exchanges', b.dataset.star, 'star']), { method: on ? 'PUT' : 'DELETE' });
      b.setAttribute('aria-pressed', String(on));
      b.textContent = on ? '★ Starred' : '☆ Star';
    } catch (err) {
      flash('Could not change the star: ' + err.message, true);
    }
  });
}

// initCopy wires the "Copy as" buttons (the text is in the page, or
// fetched when too long to carry) and the permalink.
function initCopy(copy, flash) {
  document.querySelectorAll('[data-copy]').forEach(b => b.addEventListener('click', async () => {
    let text = document.getElementById(b.dataset.copy).value;
    try {
      if (!text && b.dataset.copyUrl) text = await (await request(b.dataset.copyUrl)).text();
    } catch (err) {
      flash('Could not copy: ' + err.message, true);
      return;
    }
    copy(text, b.dataset.what || b.textContent);
  }));
  const perma = document.querySelector('[data-permalink]');
  perma.addEventListener('click', e => {
    e.preventDefault();
    copy(location.origin + perma.getAttribute('href'), 'permalink');
  });
}

// copyByCommand is the fallback where the Clipboard API is missing (plain
// http on a non-loopback address is not a secure context).
function copyByCommand(text) {
  const ta = document.createElement('textarea');
  ta.value = text;
  ta.style.position = 'fixed';
  ta.style.opacity = '0';
  document.body.appendChild(ta);
  ta.select();
  let ok = false;
  try { ok = document.execCommand('copy'); } catch { ok = false; }
  ta.remove();
  return ok;
}

// initShowAll: "Show all" swaps the cut text for the whole body, pretty
// when JSON.
function initShowAll(flash) {
  document.querySelectorAll('[data-show-all]').forEach(a => a.addEventListener('click', async e => {
    e.preventDefault();
    try {
      let text = await (await request(a.href)).text();
      const pre = document.getElementById(a.dataset.showAll);
      if (pre.dataset.lang === 'json') {
        try { text = JSON.stringify(JSON.parse(text), null, 2); } catch { /* keep it raw */ }
      }
      pre.textContent = text;
      a.parentNode.remove();
    } catch (err) {
      flash('Could not load the body: ' + err.message, true);
    }
  }));
}

// initReplay wires Replay (the original request again) and "Replay with
// this event"; both open the new exchange.
function initReplay(flash) {
  const replay = async (btn, id, body) => {
    btn.disabled = true;
    flash('Replaying…');
    try {
      const d = await api(href(['api', 'exchanges', id, 'replay']), { method: 'POST', json: body === undefined ? '' : body });
      location.href = href(['exchanges', d.id]);
    } catch (err) {
      btn.disabled = false;
      if (err.data && err.data.confirmRemote) {
        flash('This replay would invoke the deployed function ' + err.data.confirmRemote +
          ' with your AWS credentials: use Edit & replay to confirm it.', true);
        return;
      }
      flash('Replay failed: ' + err.message, true);
    }
  };
  const rb = document.querySelector('[data-replay]');
  if (rb) rb.addEventListener('click', () => replay(rb, rb.dataset.replay));
  const eb = document.querySelector('[data-replay-event]');
  if (eb) eb.addEventListener('click', () => {
    let event;
    try {
      event = JSON.parse(hook('event-editor').value);
    } catch (err) {
      flash('The event is not valid JSON: ' + err.message, true);
      return;
    }
    replay(eb, eb.dataset.replayEvent, { event });
  });
}
