// session.js: the session bar above the list. Export is plain links; this
// adds the read-only share link and the import upload, which opens the
// imported session when done.
import { api, hook, href } from './common.js';

export function initSessionBar() {
  const msg = hook('bar-msg');
  const say = (text, bad) => {
    msg.textContent = text;
    msg.classList.toggle('bad', !!bad);
  };

  const share = document.querySelector('[data-share]');
  if (share) share.addEventListener('click', async () => {
    try {
      const d = await api(href(['api', 'sessions', share.dataset.share, 'share']), { method: 'POST' });
      const out = hook('share-url');
      out.value = d.url;
      out.hidden = false;
      out.select();
      say('Read-only link, redacted, valid until ' + new Date(d.expiresAt).toLocaleString() + '.');
    } catch (err) {
      say('Could not share: ' + err.message, true);
    }
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
