// sharefile.js: the script of a share file (gatescope export --format html).
// The file is one document with no server behind it, opened from disk: its
// list and every exchange are rendered into it by the share pages' own
// components, and which one shows is the URL's fragment (CSS :target). This
// script, inlined into the file, adds what a server did for share links:
// "Show all" of a part shown in part, taken from the session the file
// embeds (gatescope's native export, as one JSON string in the data block
// whose id is gatescope-export) and written as the share pages write it.
// The script is inlined as it is, so it never spells an end tag; it asks
// nothing of the network. Its one import, jsontree.js (the inspector's
// JSON trees), is inlined before it (web.shareFileAssets), so JSON parts
// show as the dashboard's inspector shows them.
// Its pure helpers are exported for node --test (web/jstest); init runs only
// inside a share file.

import { renderTree } from './jsontree.js';

// MAX_DEPTH is jsonview.MaxDepth: JSON nested deeper is shown as text.
export const MAX_DEPTH = 512;

// jsonDepth is jsonview.Depth: the deepest nesting of arrays and objects
// in text (0 for a scalar), skipping strings; it stops counting past stop.
export function jsonDepth(text, stop) {
  let depth = 0, deepest = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c === '"') {
      i = stringEnd(text, i);
    } else if (c === '{' || c === '[') {
      if (++depth > deepest && (deepest = depth) > stop) return deepest;
    } else if (c === '}' || c === ']') {
      depth--;
    }
  }
  return deepest;
}

// stringEnd is the index of the quote closing the string that opens at
// text[i], or the last index when it is not closed.
function stringEnd(text, i) {
  for (i++; i < text.length; i++) {
    if (text[i] === '\\') i++;
    else if (text[i] === '"') return i;
  }
  return text.length - 1;
}

const space = c => c === ' ' || c === '\t' || c === '\n' || c === '\r';

// indentJSON pretty-prints text as Go's json.Indent(dst, src, "", "  ")
// does, and so as the share pages do (jsonview.Indent): tokens are kept
// as written (a number is never re-read as a float), empty objects and
// arrays stay {} and []. It is null when text is not one JSON value or is
// nested deeper than MAX_DEPTH, which the pages show as text.
export function indentJSON(text) {
  if (jsonDepth(text, MAX_DEPTH + 1) > MAX_DEPTH) return null;
  try {
    JSON.parse(text);
  } catch {
    return null;
  }
  const out = [];
  let depth = 0, start = 0;
  const newline = () => out.push('\n' + '  '.repeat(depth));
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (space(c)) continue;
    switch (c) {
      case '"': {
        const end = stringEnd(text, i);
        out.push(text.slice(i, end + 1));
        i = end;
        break;
      }
      case '{': case '[': {
        let j = i + 1;
        while (j < text.length && space(text[j])) j++;
        if (text[j] === (c === '{' ? '}' : ']')) {
          out.push(c + text[j]);
          i = j;
        } else {
          out.push(c);
          depth++;
          newline();
        }
        break;
      }
      case '}': case ']':
        depth--;
        newline();
        out.push(c);
        break;
      case ',':
        out.push(c);
        newline();
        break;
      case ':':
        out.push(': ');
        break;
      default: // a number or a literal: copied up to its end
        start = i;
        while (i + 1 < text.length && !space(text[i + 1]) && !',:]}'.includes(text[i + 1])) i++;
        out.push(text.slice(start, i + 1));
    }
  }
  return out.join('');
}

// goTrim trims what Go's bytes.TrimSpace trims (unicode.IsSpace), which
// differs from String.prototype.trim at U+0085 and U+FEFF.
export function goTrim(s) {
  return s.replace(/^[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+|[\t\n\v\f\r \u0085\u00a0\u1680\u2000-\u200a\u2028\u2029\u202f\u205f\u3000]+$/g, '');
}

// jsonText is a JSON document (an event, a function's output) as the share
// pages show it (share.shareJSON): pretty when it parses, else as written;
// '' when it is empty or null.
export function jsonText(raw) {
  const t = goTrim(raw || '');
  if (t === '' || t === 'null') return '';
  const pretty = indentJSON(t);
  return pretty === null ? raw : pretty;
}

// bodyText is a request or response body as the share pages show it
// (share.shareBody): decoded from base64 when that is text, pretty when it
// is JSON, else as it is; binary stays base64 and says so.
export function bodyText(body, isBase64) {
  body = body || '';
  if (isBase64) {
    const text = decodeBase64Text(body);
    if (text === null) return { text: body, note: 'binary, shown as base64' };
    body = text;
  }
  const json = jsonText(body);
  return { text: json !== '' ? json : body, note: '' };
}

// decodeBase64Text is the UTF-8 text that b64 encodes, or null when it is
// not base64 as Go's StdEncoding reads it (padded; line breaks ignored),
// not UTF-8, or holds a NUL byte (binary).
export function decodeBase64Text(b64) {
  const clean = b64.replace(/[\r\n]/g, '');
  if (clean.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(clean)) return null;
  let bin;
  try {
    bin = atob(clean);
  } catch {
    return null;
  }
  const bytes = Uint8Array.from(bin, ch => ch.charCodeAt(0));
  if (bytes.includes(0)) return null;
  try {
    return new TextDecoder('utf-8', { fatal: true, ignoreBOM: true }).decode(bytes);
  } catch {
    return null;
  }
}

// skipValue is the index just past the JSON value that starts at text[i]
// (spaces before it skipped), for a document JSON.parse accepted.
function skipValue(text, i) {
  while (space(text[i])) i++;
  const c = text[i];
  if (c === '"') return stringEnd(text, i) + 1;
  if (c === '{' || c === '[') {
    for (let depth = 0; i < text.length; i++) {
      const d = text[i];
      if (d === '"') i = stringEnd(text, i);
      else if (d === '{' || d === '[') depth++;
      else if ((d === '}' || d === ']') && --depth === 0) return i + 1;
    }
    return i;
  }
  while (i < text.length && !space(text[i]) && !',]}'.includes(text[i])) i++;
  return i;
}

// rawAt is the text of the value at path (object keys and array indexes)
// in the JSON document text, exactly as written there, or '' when the path
// is not in it. The embedded export's event and function output are
// documents of their own, shown as written: JSON.parse would re-read their
// numbers as floats.
export function rawAt(text, path) {
  let i = 0;
  for (const step of path) {
    while (space(text[i])) i++;
    if (typeof step === 'number') {
      if (text[i] !== '[') return '';
      i++;
      for (let n = 0; ; n++) {
        while (space(text[i])) i++;
        if (text[i] === ']' || i >= text.length) return '';
        if (n === step) break;
        i = skipValue(text, i);
        while (space(text[i])) i++;
        if (text[i] === ',') i++;
      }
    } else {
      if (text[i] !== '{') return '';
      i++;
      for (;;) {
        while (space(text[i])) i++;
        if (text[i] !== '"') return '';
        const end = stringEnd(text, i);
        const key = JSON.parse(text.slice(i, end + 1));
        i = end + 1;
        while (space(text[i])) i++;
        i++; // the colon
        if (key === step) break;
        i = skipValue(text, i);
        while (space(text[i])) i++;
        if (text[i] === ',') i++;
      }
    }
  }
  while (space(text[i])) i++;
  return text.slice(i, skipValue(text, i));
}

// readExport reads the embedded block: a JSON string holding the native
// export's text (so that nothing in the session can end the block, and the
// text comes back exactly as gatescope wrote it).
export function readExport(block) {
  const text = JSON.parse(block);
  return { text, doc: JSON.parse(text) };
}

// partText is the whole of one part of the index-th exchange of an export
// (readExport), as the share pages show it: { text, note }.
export function partText(exp, index, part) {
  const x = exp.doc.exchanges[index];
  switch (part) {
    case 'request': return bodyText(x.request.body, x.request.isBase64);
    case 'response': return bodyText(x.response.body, x.response.isBase64);
    case 'event': return { text: jsonText(rawAt(exp.text, ['exchanges', index, 'event'])), note: '' };
    case 'output': return { text: jsonText(rawAt(exp.text, ['exchanges', index, 'function', 'rawResponse'])), note: '' };
    case 'logs': return { text: x.logs || '', note: '' };
  }
  throw new Error('unknown part ' + part);
}

function init() {
  let exp;
  const exported = () => exp ||= readExport(document.getElementById('gatescope-export').textContent);

  // showAll replaces a part shown in part with all of it.
  const showAll = button => {
    const box = button.closest('[data-index]');
    const panel = button.closest('section');
    const cut = button.closest('[data-js="part-cut"]');
    try {
      panel.querySelector('[data-js="part-text"]').textContent = partText(exported(), Number(box.dataset.index), button.dataset.part).text;
      cut.textContent = 'Shown whole.';
    } catch (err) {
      cut.textContent = 'Could not show it all: ' + err.message;
    }
  };
  // The list's place, kept when a row is opened (by the time the fragment
  // changes, the browser has scrolled to the exchange).
  let listY = 0;
  document.addEventListener('click', e => {
    const button = e.target.closest('[data-js="show-all"]');
    if (button) {
      showAll(button);
      return;
    }
    const row = e.target.closest('tr.row');
    if (!row) return;
    listY = window.scrollY;
    // A row opens its exchange wherever it is clicked, as the list's do.
    const link = !e.target.closest('a') && row.querySelector('a[href^="#"]');
    if (link) location.hash = link.getAttribute('href');
  });
  document.addEventListener('keydown', e => {
    if (e.key === 'Escape' && location.hash.length > 1 && !e.defaultPrevented) location.hash = '';
  });

  // An exchange opens at its top, the list where it was left; data-view
  // is for browsers without :has(), which the stylesheet uses first.
  const route = () => {
    const open = location.hash.length > 1 && document.getElementById(decodeURIComponent(location.hash.slice(1)));
    const view = open && open.matches('[data-index]') ? 'exchange' : 'list';
    const was = document.body.dataset.view;
    document.body.dataset.view = view;
    if (view === 'exchange') window.scrollTo(0, 0);
    else if (was === 'exchange') window.scrollTo(0, listY);
  };
  window.addEventListener('hashchange', route);
  route();
  document.querySelectorAll('[data-index] pre[data-js="part-text"]').forEach(treeView);
  document.body.dataset.ready = 'true';
}

// treeView shows a part that is JSON as a tree, with a button back to
// the text. A part shown in part stays text until Show all makes it
// whole; binary parts stay base64, as the file says.
function treeView(pre) {
  const t = pre.textContent.trim();
  if (!(t.startsWith('{') || t.startsWith('[')) || pre.parentElement.querySelector('[data-js="part-cut"] [data-js="show-all"]')) return;
  let doc;
  try {
    doc = JSON.parse(t);
  } catch {
    return;
  }
  const host = document.createElement('div');
  host.className = 'doc-view';
  const bar = document.createElement('p');
  bar.className = 'doc-bar';
  const toggle = document.createElement('button');
  toggle.type = 'button';
  toggle.className = 'btn small';
  const setRaw = raw => {
    host.hidden = raw;
    pre.hidden = !raw;
    toggle.textContent = raw ? 'Tree' : 'Raw';
    toggle.setAttribute('aria-pressed', String(raw));
  };
  toggle.addEventListener('click', () => setRaw(!host.hidden));
  bar.append(toggle);
  pre.before(bar, host);
  renderTree(host, doc, { copy: v => navigator.clipboard && navigator.clipboard.writeText(v) });
  setRaw(false);
}

if (typeof document !== 'undefined' && document.body && document.body.dataset.page === 'sharefile') init();
