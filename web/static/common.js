// common.js: what every page's module shares. Nothing here touches the page
// when imported, so node's test runner loads this file as it is
// (web/jstest); everything but hook, request and api is a pure function.

// hook returns the element whose data-js attribute is name. Scripts find
// elements by these hooks (or ids), never by the attributes tests use.
export function hook(name, root = document) {
  return root.querySelector(`[data-js="${name}"]`);
}

// href builds a dashboard URL from path segments, each escaped, and query
// parameters, of which empty ones are left out:
// href(['exchanges', id, 'diff', other]), href(['api', 'exchanges'], {q, after}).
export function href(segments, query) {
  let url = '/' + segments.map(s => encodeURIComponent(s)).join('/');
  const p = new URLSearchParams();
  for (const [k, v] of Object.entries(query || {})) {
    if (v !== '' && v !== undefined && v !== null) p.set(k, v);
  }
  const qs = p.toString();
  if (qs) url += '?' + qs;
  return url;
}

// request fetches url and returns the response when it is 2xx; otherwise it
// throws an Error carrying the API's {"error": "…"} message, or the status,
// with the status and the decoded answer as err.status and err.data (the
// API puts details beside the message, such as "confirmRemote"). opts.json
// is sent as JSON, declared with Content-Type: application/json, which the
// JSON API requires of every body.
export async function request(url, opts = {}) {
  const { json, ...init } = opts;
  if (json !== undefined) {
    init.headers = { 'Content-Type': 'application/json', ...init.headers };
    init.body = json === '' ? '' : JSON.stringify(json);
  }
  const r = await fetch(url, init);
  if (r.ok) return r;
  let msg = 'HTTP ' + r.status, data;
  try {
    data = await r.json();
    if (data && data.error) msg = data.error;
  } catch { /* not JSON: the status says it */ }
  const err = new Error(msg);
  err.status = r.status;
  err.data = data;
  throw err;
}

// api is request for the JSON API: it returns the decoded answer ({} when
// the answer is empty). opts.json, if given, is sent as the JSON body ('' for
// an empty one).
export async function api(url, opts = {}) {
  const r = await request(url, { ...opts, headers: { Accept: 'application/json', ...opts.headers } });
  const text = await r.text();
  return text ? JSON.parse(text) : {};
}

// formatMs is web.FormatMs (Go): "0 ms", "1.5 ms" under 10 ms, "13 ms" under
// a second, "1.50 s" from a second on, each rounding half up at its last
// digit computed on the scaled value. (toFixed would round the binary value:
// 1.45 is stored a hair below, and toFixed(1) says 1.4.) Both are tested
// against web/testdata/durations.json.
export function formatMs(ms) {
  if (!(ms > 0)) return '0 ms';
  if (ms < 10) return (Math.round(ms * 10) / 10).toFixed(1) + ' ms';
  if (ms < 1000) return Math.round(ms) + ' ms';
  return (Math.round(ms / 10) / 100).toFixed(2) + ' s';
}

function pad(n, width = 2) {
  return String(n).padStart(width, '0');
}

// formatTime shows an RFC 3339 time as local hh:mm:ss.mmm ('' if invalid).
export function formatTime(iso) {
  const d = new Date(iso);
  if (isNaN(d)) return '';
  return pad(d.getHours()) + ':' + pad(d.getMinutes()) + ':' + pad(d.getSeconds()) + '.' + pad(d.getMilliseconds(), 3);
}

// formatSize is web.FormatSize (Go): "512 B", "1.5 KB", "2.0 MB"; both are
// tested against web/testdata/sizes.json.
export function formatSize(n) {
  if (!(n > 0)) return '0 B';
  if (n < 1024) return n + ' B';
  if (n < 1048576) return (n / 1024).toFixed(1) + ' KB';
  return (n / 1048576).toFixed(1) + ' MB';
}

// filterKeys are the list filter's URL parameters, as /api/exchanges takes them.
export const filterKeys = ['session', 'function', 'route', 'api', 'method', 'status', 'outcome', 'q', 'node',
  'min', 'max', 'cold', 'failed', 'replays'];

// filterOf reads the list filter from URL parameters. session is the
// session's id (the page resolves a name to it), which summaries carry.
export function filterOf(params, session) {
  const num = k => (params.get(k) ? parseFloat(params.get(k)) : 0) || 0;
  const on = k => !['', '0', 'false'].includes(params.get(k) || '');
  return {
    session: session || '',
    function: params.get('function') || '',
    route: params.get('route') || '',
    api: params.get('api') || '',
    method: (params.get('method') || '').toUpperCase(),
    status: (params.get('status') || '').toLowerCase(),
    outcome: params.get('outcome') || '',
    q: (params.get('q') || '').trim(),
    node: (params.get('node') || '').trim(),
    min: num('min'),
    max: num('max'),
    cold: on('cold'),
    failed: on('failed'),
    replays: params.get('replays') || '',
  };
}

// filterQuery is the page's filter as /api/exchanges parameters.
export function filterQuery(params) {
  const out = {};
  for (const k of filterKeys) {
    const v = params.get(k);
    if (v) out[k] = v;
  }
  return out;
}

// matches applies the filter's fields to a live summary, as the store's
// filter does (store.Filter). It ignores the text query and the service
// map node: only the server can match those, as it searches bodies and
// logs and knows the traces, which summaries do not carry.
export function matches(f, s) {
  if (f.session && s.session !== f.session) return false;
  if (f.function && s.function !== f.function) return false;
  if (f.route && s.routeKey !== f.route) return false;
  if (f.api && s.apiId !== f.api) return false;
  if (f.method && String(s.method).toUpperCase() !== f.method) return false;
  if (f.outcome && s.outcome !== f.outcome) return false;
  if (f.failed && !s.failed) return false;
  if (f.cold && !s.cold) return false;
  if (f.replays === 'only' && !s.replayOf) return false;
  if (f.replays === 'hide' && s.replayOf) return false;
  if (f.min > 0 && !(s.durationMs >= f.min)) return false;
  if (f.max > 0 && !(s.durationMs <= f.max)) return false;
  if (f.status) {
    const cls = f.status.replace(/xx$/, '');
    if (cls.length === 1 ? Math.floor(s.status / 100) !== +cls : String(s.status) !== f.status) return false;
  }
  return true;
}

// waterfall is the list row's timings bar (server/dashboard waterfallOf):
// each phase's share of the duration in percent, to a tenth, and the
// figures for its tooltip.
export function waterfall(p) {
  p = p || {};
  const parts = [p.envWaitMs || 0, p.initMs || 0, p.invokeMs || 0, p.gatewayMs || 0];
  const total = parts.reduce((a, b) => a + b, 0);
  const pc = ms => (total > 0 ? Math.round(ms / total * 1000) / 10 : 0);
  return {
    widths: parts.map(pc),
    title: `env wait ${formatMs(parts[0])} · init ${formatMs(parts[1])} · invoke ${formatMs(parts[2])} · gateway ${formatMs(parts[3])}`,
  };
}
