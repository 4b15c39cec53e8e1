// gatescope's Node.js runtime client (Node 18+, standard library only).
//
// It mirrors aws-lambda-nodejs-runtime-interface-client, the client the
// managed nodejs runtimes run, closely enough that a function behaves the
// same locally and deployed: handler resolution (.js/.mjs/.cjs, "type":
// "module"), the context object, callback vs promise completion, the
// "empty event loop" rule, the error JSON and the console line format.
//
// Launched as `node <dir>/bootstrap.mjs` with cwd = LAMBDA_TASK_ROOT.

import net from 'node:net';
import fs from 'node:fs';
import path from 'node:path';
import util from 'node:util';
import { createRequire } from 'node:module';
import { pathToFileURL } from 'node:url';

const require = createRequire(import.meta.url);
const env = process.env;
const RUNTIME = '/2018-06-01/runtime';
const ERROR_TYPE_HEADER = 'Lambda-Runtime-Function-Error-Type';

// ---- errors (names as the real runtime sets them) ----

function defineError(name) {
  const C = class extends Error {};
  Object.defineProperty(C.prototype, 'name', { value: name, writable: true, configurable: true });
  Object.defineProperty(C, 'name', { value: name });
  return C;
}
const ImportModuleError = defineError('Runtime.ImportModuleError');
const HandlerNotFound = defineError('Runtime.HandlerNotFound');
const MalformedHandlerName = defineError('Runtime.MalformedHandlerName');
const UserCodeSyntaxError = defineError('Runtime.UserCodeSyntaxError');
const UnhandledPromiseRejection = defineError('Runtime.UnhandledPromiseRejection');

function isError(e) {
  return util.types.isNativeError(e) ||
    (e !== null && typeof e === 'object' && typeof e.name === 'string' &&
      typeof e.message === 'string' && typeof e.stack === 'string');
}

// The body posted to /error: {"errorType","errorMessage","trace"}.
function toRapidResponse(e) {
  try {
    if (isError(e)) {
      return {
        errorType: e.name,
        errorMessage: e.message,
        trace: String(e.stack).split('\n'),
      };
    }
    return { errorType: typeof e, errorMessage: String(e), trace: [] };
  } catch {
    return {
      errorType: 'handled',
      errorMessage: 'callback called with Error argument, but there was a problem while retrieving one or more of its message, name, and stack',
    };
  }
}

// The JSON the real runtime logs next to "Invoke Error" / "Uncaught Exception".
function toFormatted(e) {
  try {
    return '\t' + JSON.stringify(e, (k, v) => {
      if (!isError(v)) return v;
      return {
        errorType: v.name,
        errorMessage: v.message,
        code: v.code,
        ...v,
        stack: String(v.stack).split('\n'),
      };
    });
  } catch {
    return '\t' + String(e);
  }
}

// ---- logging: "<ISO time>\t<requestId>\t<LEVEL>\t<message>" on stdout ----

let currentRequestId; // undefined until the first invoke, printed as such
function patchConsole() {
  const emit = (level) => (...args) => {
    // Newlines become \r so one console call stays one log record.
    const line = `${new Date().toISOString()}\t${currentRequestId}\t${level}\t${util.format(...args)}`;
    process.stdout.write(line.replace(/\n/g, '\r') + '\n');
  };
  console.log = emit('INFO');
  console.info = emit('INFO');
  console.warn = emit('WARN');
  console.error = emit('ERROR');
  console.debug = emit('DEBUG');
  console.trace = emit('TRACE');
  console.fatal = emit('FATAL');
}

// ---- Runtime API client ----

function apiAddress() {
  const api = env.AWS_LAMBDA_RUNTIME_API;
  if (!api) {
    process.stderr.write('gatescope bootstrap: AWS_LAMBDA_RUNTIME_API is not set\n');
    process.exit(1);
  }
  const i = api.lastIndexOf(':');
  return { hostname: api.slice(0, i).replace(/^\[|\]$/g, ''), port: Number(api.slice(i + 1)) };
}
const { hostname, port } = apiAddress();
// One keep-alive connection to gatescope's Runtime API, one request at a
// time (the loop never has two in flight; calls queue behind each other),
// answers read by hand (gatescope's Runtime API sends Content-Length;
// chunked answers are read too). Node's http client cost more CPU per
// invoke than the rest of this loop and the handler together. The socket is unref'd while idle, so it never keeps the
// event loop alive (which would break the beforeExit rule below).
let sock = null;   // the connection, or null until the next request dials
let pending = null; // { resolve, reject } of the request in flight
let buf = Buffer.alloc(0);
let queue = Promise.resolve();

function dial() {
  const s = net.connect({ host: hostname, port });
  s.setNoDelay(true);
  // A socket given up on (closed after "Connection: close") may still
  // report; only the current one's events count.
  s.on('data', (chunk) => {
    if (sock !== s) return;
    buf = buf.length ? Buffer.concat([buf, chunk]) : chunk;
    answer();
  });
  const gone = (err) => {
    if (sock !== s) return;
    sock = null;
    buf = Buffer.alloc(0);
    const p = pending;
    pending = null;
    if (p) p.reject(err || new Error('connection closed by the Runtime API'));
  };
  s.on('error', gone);
  s.on('close', () => gone());
  return s;
}

// answer resolves the request in flight once its whole answer is in buf.
function answer() {
  if (!pending) return;
  const end = buf.indexOf('\r\n\r\n');
  if (end < 0) return;
  const lines = buf.toString('latin1', 0, end).split('\r\n');
  const status = Number(lines[0].split(' ')[1]);
  const headers = {};
  for (let i = 1; i < lines.length; i++) {
    const c = lines[i].indexOf(':');
    if (c > 0) headers[lines[i].slice(0, c).trim().toLowerCase()] = lines[i].slice(c + 1).trim();
  }
  let body, rest;
  if ((headers['transfer-encoding'] || '').toLowerCase() === 'chunked') {
    const parts = [];
    let at = end + 4;
    for (;;) {
      const eol = buf.indexOf('\r\n', at);
      if (eol < 0) return;
      const size = parseInt(buf.toString('latin1', at, eol), 16);
      if (size === 0) {
        const fin = buf.indexOf('\r\n\r\n', eol); // after any trailers
        if (fin < 0) return;
        rest = fin + 4;
        break;
      }
      if (buf.length < eol + 2 + size + 2) return;
      parts.push(buf.subarray(eol + 2, eol + 2 + size));
      at = eol + 2 + size + 2;
    }
    body = Buffer.concat(parts).toString('utf8');
  } else {
    const len = Number(headers['content-length'] || 0);
    if (buf.length < end + 4 + len) return;
    body = buf.toString('utf8', end + 4, end + 4 + len);
    rest = end + 4 + len;
  }
  const close = (headers.connection || '').toLowerCase() === 'close';
  buf = buf.subarray(rest);
  const p = pending;
  pending = null;
  if (close && sock) {
    sock.destroy();
    sock = null;
  } else if (sock) {
    sock.unref();
  }
  p.resolve({ status, headers, body });
}

function send(method, p, body, headers) {
  return new Promise((resolve, reject) => {
    if (!sock) sock = dial();
    sock.ref();
    pending = { resolve, reject };
    const data = body === undefined ? undefined : Buffer.from(body);
    let head = `${method} ${p} HTTP/1.1\r\nHost: ${hostname}:${port}\r\n`;
    for (const [k, v] of Object.entries(headers)) head += `${k}: ${v}\r\n`;
    if (data) head += `Content-Type: application/json\r\nContent-Length: ${data.length}\r\n`;
    head += '\r\n';
    sock.write(data ? Buffer.concat([Buffer.from(head, 'latin1'), data]) : head);
  });
}

function request(method, p, body, headers = {}) {
  const r = queue.then(() => send(method, p, body, headers));
  queue = r.catch(() => {});
  return r;
}

function fatal(what, err) {
  process.stderr.write(`gatescope bootstrap: ${what}: ${err && err.message ? err.message : err}\n`);
  process.exit(1);
}

function post(p, body, headers) {
  return request('POST', p, body, headers).then((res) => {
    if (res.status >= 300) {
      process.stderr.write(`gatescope bootstrap: POST ${p}: ${res.status} ${res.body}\n`);
    }
  }, (err) => fatal(`POST ${p}`, err));
}

function postError(p, e) {
  const body = toRapidResponse(e);
  return post(p, JSON.stringify(body), { [ERROR_TYPE_HEADER]: String(body.errorType) });
}

// ---- init: resolve and load the handler like the real runtime ----

function isFile(p) {
  try { return fs.statSync(p).isFile(); } catch { return false; }
}

// A .js file is ESM when the nearest package.json says "type": "module"
// (a node_modules folder ends the search, as in the real runtime).
function hasTypeModule(folder) {
  if (folder.endsWith(path.sep + 'node_modules')) return false;
  const pj = path.join(folder, 'package.json');
  if (fs.existsSync(pj)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(pj, 'utf8'));
      return !!pkg && pkg.type === 'module';
    } catch (e) {
      console.warn(`${pj} cannot be read, it will be ignored for ES module detection purposes.`, e);
      return false;
    }
  }
  const parent = path.dirname(folder);
  return parent === folder ? false : hasTypeModule(parent);
}

async function loadModule(root, moduleRoot, mod) {
  const base = path.resolve(root, moduleRoot, mod);
  if (isFile(base)) return require(base); // extensionless files are CommonJS
  const esm = hasTypeModule(path.dirname(base));
  if (isFile(base + '.js')) {
    return esm ? import(pathToFileURL(base + '.js').href) : require(base + '.js');
  }
  if (isFile(base + '.mjs')) return import(pathToFileURL(base + '.mjs').href);
  if (isFile(base + '.cjs')) return require(base + '.cjs');
  // Last resort, as deployed: Node's own resolution (node_modules, dir/index.js).
  return require(require.resolve(mod, { paths: [root, path.resolve(root, moduleRoot)] }));
}

async function loadHandler() {
  const root = env.LAMBDA_TASK_ROOT || process.cwd();
  const full = env._HANDLER || '';
  const base = path.basename(full);
  const moduleRoot = full.slice(0, full.length - base.length);
  // "index.handler" → module "index", property path "handler"; the first dot
  // of the file part splits, as in the real runtime.
  const m = /^([^.]*)\.(.*)$/.exec(base);
  if (!m) throw new MalformedHandlerName('Bad handler');
  const [, mod, prop] = m;
  let app;
  try {
    app = await loadModule(root, moduleRoot, mod);
  } catch (e) {
    if (e instanceof SyntaxError) throw new UserCodeSyntaxError(e);
    if (e && (e.code === 'MODULE_NOT_FOUND' || e.code === 'ERR_MODULE_NOT_FOUND')) throw new ImportModuleError(e);
    throw e;
  }
  const fn = prop.split('.').reduce((o, k) => (o == null ? undefined : o[k]), app);
  if (typeof fn !== 'function') throw new HandlerNotFound(`${full} is undefined or not exported`);
  return fn;
}

// ---- the "empty event loop" rule ----

// The real runtime completes an invocation from process 'beforeExit': a
// handler that neither returns a promise nor calls back gets a null response
// once nothing is left to run, and callback results wait for that moment
// unless context.callbackWaitsForEmptyEventLoop is false. A handler that
// keeps work pending (a timer, an open socket) never posts, like deployed;
// gatescope's timeout then ends it.
let onBeforeExit = () => {};
process.on('beforeExit', () => onBeforeExit());

// ---- uncaught errors ----

let phase = 'init';  // 'init' | 'invoke' | 'idle'
let failCurrent = null; // reports an uncaught error for the running invoke

function onFatal(err, code) {
  if (phase === 'init') {
    postError(`${RUNTIME}/init/error`, err).finally(() => process.exit(code));
  } else if (phase === 'invoke' && failCurrent) {
    failCurrent(err).finally(() => process.exit(code));
  } else {
    process.exit(code);
  }
}
process.on('uncaughtException', (err) => {
  console.error('Uncaught Exception', toFormatted(err));
  onFatal(err, 129);
});
process.on('unhandledRejection', (reason) => {
  const err = new UnhandledPromiseRejection(reason == null ? String(reason) : reason.toString());
  err.reason = reason;
  console.error('Unhandled Promise Rejection', toFormatted(err));
  onFatal(err, 128);
});

// ---- invoke loop ----

function parseJSONHeader(v) {
  if (!v) return undefined;
  try { return JSON.parse(v); } catch { return undefined; }
}

async function next(handler) {
  let res;
  try {
    res = await request('GET', `${RUNTIME}/invocation/next`);
  } catch (err) {
    fatal('GET /invocation/next', err);
  }
  if (res.status !== 200) fatal('GET /invocation/next', `${res.status} ${res.body}`);
  invoke(handler, res);
}

function invoke(handler, res) {
  const h = res.headers;
  const id = h['lambda-runtime-aws-request-id'];
  const deadline = Number(h['lambda-runtime-deadline-ms']);
  currentRequestId = id;
  if (h['lambda-runtime-trace-id']) env._X_AMZN_TRACE_ID = h['lambda-runtime-trace-id'];
  else delete env._X_AMZN_TRACE_ID;
  phase = 'invoke';

  let reported = false; // one report per invocation
  const scheduleNext = () => {
    phase = 'idle';
    failCurrent = null;
    setImmediate(() => next(handler));
  };
  const complete = (result) => {
    if (reported) return;
    let body;
    try {
      body = JSON.stringify(result === undefined ? null : result);
    } catch {
      failAndNext(new Error('Unable to stringify response body'));
      return;
    }
    reported = true;
    onBeforeExit = () => {};
    post(`${RUNTIME}/invocation/${id}/response`, body).then(scheduleNext);
  };
  const fail = (err) => {
    if (reported) return Promise.resolve();
    reported = true;
    onBeforeExit = () => {};
    console.error('Invoke Error', toFormatted(err));
    return postError(`${RUNTIME}/invocation/${id}/error`, err);
  };
  failCurrent = (err) => fail(err);
  const failAndNext = (err) => { if (!reported) fail(err).then(scheduleNext); };

  let waitForEmptyEventLoop = true;
  let finished = false; // callback/done/succeed/fail: only the first call counts
  const once = (f) => (...args) => { if (!finished) { finished = true; f(...args); } };
  const done = (err, result) => {
    onBeforeExit = () => {};
    if (err !== undefined && err !== null) failAndNext(err);
    else complete(result);
  };
  const callback = once((err, result) => {
    onBeforeExit = () => {};
    if (err !== undefined && err !== null) failAndNext(err);
    else if (!waitForEmptyEventLoop) complete(result);
    else onBeforeExit = () => { onBeforeExit = () => {}; setImmediate(() => complete(result)); };
  });

  const context = {
    get callbackWaitsForEmptyEventLoop() { return waitForEmptyEventLoop; },
    set callbackWaitsForEmptyEventLoop(v) { waitForEmptyEventLoop = v; },
    done: once(done),
    succeed: once((result) => done(null, result)),
    fail: once((err) => done(err === undefined || err === null ? 'handled' : err)),
    functionVersion: env.AWS_LAMBDA_FUNCTION_VERSION,
    functionName: env.AWS_LAMBDA_FUNCTION_NAME,
    memoryLimitInMB: env.AWS_LAMBDA_FUNCTION_MEMORY_SIZE,
    logGroupName: env.AWS_LAMBDA_LOG_GROUP_NAME,
    logStreamName: env.AWS_LAMBDA_LOG_STREAM_NAME,
    clientContext: parseJSONHeader(h['lambda-runtime-client-context']),
    identity: parseJSONHeader(h['lambda-runtime-cognito-identity']),
    invokedFunctionArn: h['lambda-runtime-invoked-function-arn'],
    awsRequestId: id,
    getRemainingTimeInMillis: () => deadline - Date.now(),
  };

  // Default completion: nothing left to run and nothing reported → null.
  onBeforeExit = () => { onBeforeExit = () => {}; finished = true; complete(null); };

  let event;
  try {
    event = JSON.parse(res.body);
  } catch (err) {
    finished = true;
    failAndNext(err);
    return;
  }
  try {
    const result = handler(event, context, callback);
    if (result && typeof result.then === 'function') {
      result.then(context.succeed, context.fail);
    }
  } catch (err) {
    callback(err);
  }
}

// ---- ES modules from NODE_PATH ----

// Lambda's Node.js runtimes let ES modules import packages from the
// node_modules directories on NODE_PATH (layers' nodejs/node_modules, the
// runtime's own AWS SDK), which Node's ES module resolution ignores. The
// same rule as a resolve hook: a bare specifier found nowhere else is
// looked up there, in NODE_PATH's order.
const NODE_PATH_HOOK = `
import path from 'node:path';
import { pathToFileURL } from 'node:url';
let dirs = [];
export async function initialize(data) { dirs = data; }
export async function resolve(specifier, context, next) {
  try {
    return await next(specifier, context);
  } catch (err) {
    if (err?.code !== 'ERR_MODULE_NOT_FOUND' || /^([./]|[a-z][a-z0-9+.-]*:)/i.test(specifier)) throw err;
    for (const dir of dirs) {
      // A parent beside the node_modules directory searches it first.
      const parentURL = pathToFileURL(path.join(path.dirname(dir), 'index.mjs')).href;
      try { return await next(specifier, { ...context, parentURL }); } catch {}
    }
    throw err;
  }
}`;

async function resolveFromNodePath() {
  const dirs = (env.NODE_PATH || '').split(path.delimiter).filter((d) => path.basename(d) === 'node_modules');
  const { register } = await import('node:module');
  if (dirs.length === 0 || typeof register !== 'function') return; // register: Node 18.19+
  register('data:text/javascript,' + encodeURIComponent(NODE_PATH_HOOK), { data: dirs });
}

// ---- main ----

patchConsole();
let handler;
try {
  await resolveFromNodePath();
  handler = await loadHandler();
} catch (err) {
  console.error('Uncaught Exception', toFormatted(err));
  await postError(`${RUNTIME}/init/error`, err);
  process.exit(129);
}
phase = 'idle';
next(handler);
