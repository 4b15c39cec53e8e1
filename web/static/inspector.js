// inspector.js: the page of one exchange. Sections become tabs, and the
// buttons work: replay (as is, or with an edited event), star, copy as curl
// or as a SAM event file, permalink, and "show all" for cut bodies.
import { api, hook, href, request } from './common.js';

export function initInspector() {
  initTabs();
  const flash = flasher(hook('flash'));
  initStar(flash);
  initCopy(flash);
  initShowAll(flash);
  initReplay(flash);
}

// initTabs shows one section at a time, named by the URL's #hash; a failed
// exchange (its explanation is an alert) opens on the function output, or
// on the step its explanation names (data-open: the authorizer).
function initTabs() {
  const tabs = document.querySelectorAll('[data-tab]');
  const panels = document.querySelectorAll('[data-panel]');
  const show = id => {
    if (!Array.from(tabs).some(t => t.dataset.tab === id)) id = tabs[0].dataset.tab;
    tabs.forEach(t => t.setAttribute('aria-selected', String(t.dataset.tab === id)));
    panels.forEach(p => { p.hidden = p.dataset.panel !== id; });
  };
  tabs.forEach(t => t.addEventListener('click', e => {
    e.preventDefault();
    history.replaceState(null, '', '#' + t.dataset.tab);
    show(t.dataset.tab);
  }));
  const failed = document.querySelector('[data-js=explanation][role=alert]');
  show(location.hash.slice(1) || (failed ? failed.dataset.open || 'output' : 'request'));
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

function initCopy(flash) {
  const copy = async (text, what) => {
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
  document.querySelectorAll('[data-copy]').forEach(b => b.addEventListener('click', () => {
    copy(document.getElementById(b.dataset.copy).value, b.textContent.replace(/^Copy /, ''));
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
