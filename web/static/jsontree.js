// jsontree.js: a JSON document as a tree, for the inspector (an event, a
// function's output, a JSON body). Nodes render when first opened, and
// long arrays and objects a page of children at a time, so a 1 MB body
// costs what is on screen. JSON held in a string (an event's body) shows
// parsed, a base64 body (isBase64Encoded) decoded; each row copies its
// path (as jq reads it) and its value; the field an explanation blames is
// marked and shown.
// The pure helpers are exported for node --test (web/jstest); renderTree
// and what follows it need a document.

// PAGE is how many children of one node render at a time.
export const PAGE = 200;
// SHOWN_CHARS is how much of a long string a row shows until asked.
export const SHOWN_CHARS = 400;

// kindOf names a JSON value's type.
export function kindOf(v) {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'array';
  return typeof v; // object, string, number, boolean
}

// jsonInString is the object or array a string holds as JSON (the event's
// body, a stringified payload), or undefined when it holds none.
export function jsonInString(s) {
  const t = s.trim();
  if (t.length < 2 || !((t[0] === '{' && t.at(-1) === '}') || (t[0] === '[' && t.at(-1) === ']'))) return undefined;
  try {
    return JSON.parse(t);
  } catch {
    return undefined;
  }
}

// decodeBase64 is the bytes of standard base64 s, or null when s is not
// base64.
export function decodeBase64(s) {
  const t = s.replace(/[\r\n]/g, '');
  if (t.length % 4 !== 0 || !/^[A-Za-z0-9+/]*={0,2}$/.test(t)) return null;
  try {
    const bin = atob(t);
    const out = new Uint8Array(bin.length);
    for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
    return out;
  } catch {
    return null;
  }
}

// encodeBase64 is bytes as standard base64.
export function encodeBase64(bytes) {
  let bin = '';
  for (let i = 0; i < bytes.length; i += 0x8000) {
    bin += String.fromCharCode.apply(null, bytes.subarray(i, i + 0x8000));
  }
  return btoa(bin);
}

// textOf is bytes as text when they are UTF-8 without control characters
// other than whitespace (the server's printable), else null.
export function textOf(bytes) {
  let s;
  try {
    s = new TextDecoder('utf-8', { fatal: true }).decode(bytes);
  } catch {
    return null;
  }
  // eslint-disable-next-line no-control-regex
  return /[\x00-\x08\x0b\x0c\x0e-\x1f\x7f]/.test(s) ? null : s;
}

// imageType is the media type of an image the browser can show, read
// from its first bytes; '' for anything else.
export function imageType(b) {
  const at = (i, ...xs) => xs.every((x, j) => b[i + j] === x);
  if (at(0, 0x89, 0x50, 0x4e, 0x47)) return 'image/png';
  if (at(0, 0xff, 0xd8, 0xff)) return 'image/jpeg';
  if (at(0, 0x47, 0x49, 0x46, 0x38)) return 'image/gif';
  if (at(0, 0x52, 0x49, 0x46, 0x46) && at(8, 0x57, 0x45, 0x42, 0x50)) return 'image/webp';
  if (at(0, 0x42, 0x4d)) return 'image/bmp';
  if (at(0, 0, 0, 1, 0)) return 'image/x-icon';
  return '';
}

// hexDump shows the first limit bytes as xxd does: offset, sixteen bytes
// in hex, and those that are printable ASCII.
export function hexDump(bytes, limit = 4096) {
  const lines = [];
  const n = Math.min(bytes.length, limit);
  for (let off = 0; off < n; off += 16) {
    const row = bytes.subarray(off, Math.min(off + 16, n));
    let hex = '', ascii = '';
    for (let i = 0; i < 16; i++) {
      hex += i < row.length ? row[i].toString(16).padStart(2, '0') : '  ';
      hex += i % 2 ? ' ' : '';
      if (i < row.length) ascii += row[i] >= 0x20 && row[i] < 0x7f ? String.fromCharCode(row[i]) : '.';
    }
    lines.push(off.toString(16).padStart(8, '0') + ': ' + hex + ' ' + ascii);
  }
  return lines.join('\n');
}

// fmtBytes is a size as the server's fmtSize writes it.
export function fmtBytes(n) {
  if (n < 1024) return n + ' B';
  if (n < 1 << 20) return (n / 1024).toFixed(1) + ' KB';
  return (n / (1 << 20)).toFixed(1) + ' MB';
}

// shownValue is what the tree shows for value, found at key of parent:
// JSON in a string parsed, a base64 body (isBase64Encoded beside it)
// decoded. via lists the decodings ('base64', 'json') as path steps; bytes
// is set for a body that decodes to binary.
export function shownValue(value, key, parent) {
  if (typeof value !== 'string') return { value, via: [] };
  if (key === 'body' && parent && parent.isBase64Encoded === true && value !== '') {
    const bytes = decodeBase64(value);
    if (bytes) {
      const text = textOf(bytes);
      if (text === null) return { value, via: ['base64'], bytes };
      const j = jsonInString(text);
      if (j !== undefined) return { value: j, via: ['base64', 'json'] };
      return { value: text, via: ['base64'] };
    }
  }
  const j = jsonInString(value);
  if (j !== undefined) return { value: j, via: ['json'] };
  return { value, via: [] };
}

// Path steps are {key}, {index} or {via: 'json' | 'base64'}.

// pathString writes a path as jq reads it: .headers["content-type"],
// .items[0], and decodings as filters: .body | @base64d | fromjson | .name.
export function pathString(path) {
  const parts = [];
  let seg = '';
  for (const s of path) {
    if ('via' in s) {
      if (seg || !parts.length) parts.push(seg || '.');
      parts.push(s.via === 'json' ? 'fromjson' : '@base64d');
      seg = '';
    } else if ('index' in s) {
      seg += (seg ? '' : '.') + '[' + s.index + ']';
    } else {
      seg += /^[A-Za-z_][A-Za-z0-9_]*$/.test(s.key) ? '.' + s.key : (seg ? '' : '.') + '[' + JSON.stringify(s.key) + ']';
    }
  }
  if (seg || !parts.length) parts.push(seg || '.');
  return parts.join(' | ');
}

// pathKey identifies a node by its path.
export function pathKey(path) {
  return JSON.stringify(path.map(s => ('via' in s ? '~' + s.via : 'key' in s ? 'k' + s.key : 'i' + s.index)));
}

// entries lists a container's children as [step, value].
function entries(v) {
  if (Array.isArray(v)) return v.map((x, i) => [{ index: i }, x]);
  return Object.keys(v).map(k => [{ key: k }, v[k]]);
}

// child is the path of a container's child (its step and raw value) and
// what the tree shows for it.
function child(path, step, raw, parentValue) {
  const sv = shownValue(raw, step.key, parentValue);
  return { path: [...path, step, ...sv.via.map(via => ({ via }))], shown: sv, raw };
}

// searchJSON lists the paths of the nodes whose key or scalar value
// contains q (case-insensitive), in document order, at most limit; it
// looks inside JSON strings and decoded bodies as the tree shows them.
export function searchJSON(root, q, limit = 1000) {
  const needle = q.toLowerCase();
  const out = [];
  if (!needle) return out;
  const walk = (path, value, key) => {
    if (out.length >= limit) return;
    const k = kindOf(value);
    const keyHit = typeof key === 'string' && key.toLowerCase().includes(needle);
    if (k === 'object' || k === 'array') {
      if (keyHit) out.push(path);
      for (const [step, raw] of entries(value)) {
        const c = child(path, step, raw, value);
        walk(c.path, c.shown.value, step.key);
      }
    } else if (keyHit || String(value).toLowerCase().includes(needle)) {
      out.push(path);
    }
  };
  const top = shownValue(root);
  walk(top.via.map(via => ({ via })), top.value);
  return out;
}

// blamePath turns a blame's path (keys and decimal indexes, as the
// server records it) into tree steps, following the tree's decodings of
// the document doc; null when the document has no such node.
export function blamePath(doc, keys) {
  const top = shownValue(doc);
  let path = top.via.map(via => ({ via })), value = top.value;
  for (const k of keys || []) {
    let step;
    if (Array.isArray(value) && /^\d+$/.test(k) && +k < value.length) step = { index: +k };
    else if (kindOf(value) === 'object' && Object.hasOwn(value, k)) step = { key: k };
    else return null;
    const c = child(path, step, Array.isArray(value) ? value[step.index] : value[k], value);
    path = c.path;
    value = c.shown.value;
  }
  return path;
}

// The rest builds the tree in a document.

// renderTree draws doc into host and returns the tree: open(path) opens
// the nodes down to path and returns its row, row(path) the row if drawn.
export function renderTree(host, doc, opts = {}) {
  const copy = opts.copy || (() => {});
  const rows = new Map(); // pathKey → row element, for rendered nodes
  const root = document.createElement('div');
  root.className = 'jt';
  root.setAttribute('role', 'tree');
  host.replaceChildren(root);

  // node renders one row and, when it is a container, its (lazy) children.
  const node = (parent, path, key, shown) => {
    const { value } = shown;
    const k = kindOf(value);
    const row = document.createElement('div');
    row.className = 'jt-node';
    row.setAttribute('role', 'treeitem');
    const line = document.createElement('div');
    line.className = 'jt-line';
    row.append(line);
    rows.set(pathKey(path), row);
    row._path = path;
    row._value = value;
    const container = k === 'object' || k === 'array';
    if (container) {
      const t = document.createElement('button');
      t.type = 'button';
      t.className = 'jt-toggle';
      t.setAttribute('aria-label', 'open or close');
      line.append(t);
      row.setAttribute('aria-expanded', 'false');
    }
    if (key !== undefined) {
      const ks = document.createElement('span');
      ks.className = 'jt-key';
      ks.textContent = typeof key === 'number' ? key : JSON.stringify(key);
      line.append(ks, ': ');
    }
    const vs = document.createElement('span');
    vs.className = 'jt-v jt-' + k;
    if (container) {
      const n = Array.isArray(value) ? value.length : Object.keys(value).length;
      vs.textContent = Array.isArray(value) ? `[${n}]` : `{${n}}`;
    } else if (shown.bytes) {
      vs.textContent = `${fmtBytes(shown.bytes.length)} of binary data`;
    } else if (k === 'string') {
      const s = JSON.stringify(value);
      vs.textContent = s.length > SHOWN_CHARS ? s.slice(0, SHOWN_CHARS) + '…' : s;
      if (s.length > SHOWN_CHARS) {
        const more = document.createElement('button');
        more.type = 'button';
        more.className = 'jt-more';
        more.textContent = `show all ${fmtBytes(s.length)}`;
        more.addEventListener('click', () => { vs.textContent = s; more.remove(); });
        vs.after(more);
      }
    } else {
      vs.textContent = JSON.stringify(value);
    }
    line.append(vs);
    if (container || (k === 'string' && value.length > 1024)) {
      const size = container ? JSON.stringify(value).length : value.length;
      if (size >= 1024) {
        const m = document.createElement('span');
        m.className = 'jt-size';
        m.textContent = fmtBytes(size);
        line.append(m);
      }
    }
    if (shown.via && shown.via.length) {
      const note = document.createElement('span');
      note.className = 'jt-note';
      note.textContent = shown.via.includes('base64') ? (shown.bytes ? 'base64, binary' : 'base64, decoded') : 'JSON in a string';
      line.append(note);
    }
    const tools = document.createElement('span');
    tools.className = 'jt-tools';
    for (const [what, label] of [['path', 'copy path'], ['value', 'copy value']]) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'jt-copy';
      b.textContent = label;
      b.dataset.what = what;
      b.addEventListener('click', () => copy(what === 'path' ? pathString(path) :
        k === 'string' ? value : JSON.stringify(value, null, 2), what));
      tools.append(b);
    }
    line.append(tools);
    if (shown.bytes) {
      const b = document.createElement('div');
      b.className = 'jt-binary';
      showBytes(b, shown.bytes);
      row.append(b);
    }
    if (container) {
      const kids = document.createElement('div');
      kids.className = 'jt-kids';
      kids.setAttribute('role', 'group');
      row.append(kids);
      row._open = () => {
        if (row.getAttribute('aria-expanded') === 'true') return;
        row.setAttribute('aria-expanded', 'true');
        if (!row._rendered) {
          row._rendered = 0;
          row._more = () => renderKids(row, kids, path, value);
          row._more();
        }
        kids.hidden = false;
      };
      row._close = () => {
        row.setAttribute('aria-expanded', 'false');
        kids.hidden = true;
      };
      line.querySelector('.jt-toggle').addEventListener('click', () =>
        row.getAttribute('aria-expanded') === 'true' ? row._close() : row._open());
    }
    parent.append(row);
    return row;
  };

  // renderKids adds the next page of a container's children.
  const renderKids = (row, kids, path, value) => {
    const all = entries(value);
    const from = row._rendered, to = Math.min(all.length, from + PAGE);
    kids.querySelector(':scope > .jt-page')?.remove();
    for (let i = from; i < to; i++) {
      const [step, raw] = all[i];
      const c = child(path, step, raw, value);
      node(kids, c.path, step.key ?? step.index, c.shown);
    }
    row._rendered = to;
    if (to < all.length) {
      const b = document.createElement('button');
      b.type = 'button';
      b.className = 'jt-page';
      b.textContent = `show ${Math.min(PAGE, all.length - to)} more of ${all.length - to}`;
      b.addEventListener('click', () => row._more());
      kids.append(b);
    }
  };

  const top = shownValue(doc);
  const topPath = top.via.map(via => ({ via }));
  const first = node(root, topPath, undefined, top);
  // Open the top, and the small nodes under it: an event shows its keys
  // on one screen.
  let budget = 300;
  const openSmall = (row, depth) => {
    if (!row._open || depth > 1 || budget <= 0) return;
    const n = entries(row._value).length;
    if (depth > 0 && n > 6) return;
    row._open();
    budget -= Math.min(n, PAGE);
    for (const c of row.querySelector(':scope > .jt-kids').children) {
      if (c._value !== undefined) openSmall(c, depth + 1);
    }
  };
  openSmall(first, 0);

  // open opens every node down to path (rendering pages as needed) and
  // returns the path's row, or null.
  const open = path => {
    let row = first;
    let at = topPath.length;
    for (;;) {
      if (at >= path.length) return row;
      if (!row._open) return null;
      row._open();
      // the next row: the child whose path is the longest prefix of path
      let next = null;
      for (;;) {
        for (const c of row.querySelector(':scope > .jt-kids').children) {
          if (c._path && isPrefix(c._path, path) && c._path.length > at) { next = c; break; }
        }
        if (next || row._rendered >= entries(row._value).length) break;
        row._more();
      }
      if (!next) return null;
      row = next;
      at = next._path.length;
    }
  };
  return { root, doc, open, row: path => rows.get(pathKey(path)) || null };
}

function isPrefix(p, of) {
  if (p.length > of.length) return false;
  return pathKey(p) === pathKey(of.slice(0, p.length));
}

// showBytes shows binary data: an image as an image, anything else as a
// hex dump of its start.
export function showBytes(host, bytes) {
  const type = imageType(bytes);
  if (type) {
    const img = document.createElement('img');
    img.className = 'jt-img';
    img.alt = `${type}, ${fmtBytes(bytes.length)}`;
    img.src = `data:${type};base64,` + encodeBase64(bytes);
    host.replaceChildren(img);
    return;
  }
  const pre = document.createElement('pre');
  pre.className = 'code hex';
  pre.textContent = hexDump(bytes) + (bytes.length > 4096 ? `\n… ${fmtBytes(bytes.length - 4096)} more` : '');
  host.replaceChildren(pre);
}
