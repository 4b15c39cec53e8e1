// session.js: the session bar above the list. Export (HAR, JSON, the HTML
// share file) is plain links; this adds the read-only share links (create,
// saying where they open; list; revoke) and the import upload, which opens
// the imported session when done.
import { api, formatTime, hook, href } from './common.js';

// remaining words the time left until a link expires: "in 45 min",
// "in 23 h", "in 6 d"; "now" once it has passed.
export function remaining(ms) {
  const min = Math.ceil(ms / 60000);
  if (!(min > 0)) return 'now';
  if (min < 60) return 'in ' + min + ' min';
  const h = Math.round(min / 60);
  if (h < 48) return 'in ' + h + ' h';
  return 'in ' + Math.round(h / 24) + ' d';
}

// describeShare is one listed link (GET /api/sessions/{id}/shares) in
// words: what its snapshot holds, when it was taken, when it expires.
export function describeShare(s, now) {
  const n = (s.snapshot && s.snapshot.exchanges) || 0;
  const what = n === 1 ? '1 exchange' : n + ' exchanges';
  return what + ' as of ' + formatTime(s.createdAt).slice(0, 8) + ', expires ' + remaining(Date.parse(s.expiresAt) - now);
}

export function initSessionBar() {
  const msg = hook('bar-msg');
  const say = (text, bad) => {
    msg.textContent = text;
    msg.classList.toggle('bad', !!bad);
  };

  const box = hook('shares');
  const sharesURL = box ? href(['api', 'sessions', box.dataset.session, 'shares']) : '';
  // refresh shows the session's live links; the box stays hidden when
  // there are none.
  const refresh = async () => {
    if (!box) return;
    const d = await api(sharesURL);
    const list = hook('share-list', box);
    const tpl = document.getElementById('share-tpl');
    const items = (d.shares || []).map(s => {
      const li = tpl.content.firstElementChild.cloneNode(true);
      const f = name => li.querySelector(`[data-f=${name}]`);
      f('id').textContent = s.id;
      f('what').textContent = describeShare(s, Date.now());
      f('revoke').addEventListener('click', () => revoke(href(['api', 'sessions', box.dataset.session, 'shares', s.id]),
        'Link ' + s.id + ' revoked: it no longer opens.'));
      return li;
    });
    list.replaceChildren(...items);
    box.hidden = items.length === 0;
  };
  const revoke = async (url, done) => {
    try {
      const d = await api(url, { method: 'DELETE' });
      say(d.revoked !== undefined ? 'Revoked ' + d.revoked + (d.revoked === 1 ? ' link.' : ' links.') : done);
    } catch (err) {
      say('Could not revoke: ' + err.message, true);
    }
    await refresh().catch(() => {});
  };
  if (box) {
    hook('share-revoke-all', box).addEventListener('click', () => revoke(sharesURL, ''));
    refresh().catch(err => say('Could not list share links: ' + err.message, true));
  }

  const share = document.querySelector('[data-share]');
  if (share) share.addEventListener('click', async () => {
    try {
      const d = await api(href(['api', 'sessions', share.dataset.share, 'share']), { method: 'POST' });
      const out = hook('share-url');
      out.value = d.url;
      out.hidden = false;
      out.select();
      // Where the link opens, beside it: a loopback dashboard's link opens
      // on this machine only, which nothing else on screen says.
      const reach = hook('share-reach');
      reach.textContent = d.reach || '';
      reach.hidden = !d.reach;
      say('Read-only link, redacted, to the session as it is now; valid until ' + new Date(d.expiresAt).toLocaleString() + '.');
    } catch (err) {
      say('Could not share: ' + err.message, true);
      return;
    }
    await refresh().catch(() => {});
  });

  const file = hook('import-file');
  if (file) file.addEventListener('change', async () => {
    if (!file.files.length) return;
    const fd = new FormData();
    fd.append('file', file.files[0]);
    say('Importing ' + file.files[0].name + '…');
    try {
      const d = await api(href(['api', 'import']), { method: 'POST', body: fd });
      location.href = href([], { session: (d.session && d.session.name) || '' });
    } catch (err) {
      say('Import failed: ' + err.message, true);
      file.value = '';
    }
  });
}
