// Tests of common.js's pure helpers. formatMs and summarize are checked
// against the tables the Go tests read too (web/testdata), so the server's
// rows and the script's rows cannot drift apart.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { api, filterOf, filterQuery, formatMs, formatSize, href, matches, waterfall } from '../static/common.js';

const table = name => JSON.parse(readFileSync(new URL('../testdata/' + name, import.meta.url), 'utf8'));

test('formatMs follows web/testdata/durations.json (as web.FormatMs does)', () => {
  const { cases } = table('durations.json');
  assert.ok(cases.length >= 10);
  for (const [ms, want] of cases) assert.equal(formatMs(ms), want, `formatMs(${ms})`);
  assert.equal(formatMs(NaN), '0 ms');
  assert.equal(formatMs(undefined), '0 ms');
});

test('formatSize follows web/testdata/sizes.json (as web.FormatSize does)', () => {
  const { cases } = table('sizes.json');
  assert.ok(cases.length >= 8);
  for (const [n, want] of cases) assert.equal(formatSize(n), want, `formatSize(${n})`);
});

test('waterfall splits the summaries of web/testdata/summaries.json into shares that add up', () => {
  const { cases } = table('summaries.json');
  assert.ok(cases.length >= 4);
  for (const c of cases) {
    const w = waterfall(c.summary.phases);
    const sum = w.widths.reduce((a, b) => a + b, 0);
    assert.ok(c.summary.durationMs > 0 ? Math.abs(sum - 100) < 0.5 : sum === 0, `${c.name}: ${w.widths}`);
    assert.match(w.title, /^env wait .* · init .* · invoke .* · gateway .*$/);
  }
  assert.deepEqual(waterfall({ envWaitMs: 1, initMs: 2, invokeMs: 3, gatewayMs: 4 }).widths, [10, 20, 30, 40]);
});

test('href escapes each segment and leaves out empty parameters', () => {
  assert.equal(href(['exchanges', 'A/B C']), '/exchanges/A%2FB%20C');
  assert.equal(href(['exchanges', 'X', 'diff', 'Y']), '/exchanges/X/diff/Y');
  assert.equal(href(['api', 'exchanges'], { q: 'pool exhausted', after: '', limit: 100, route: undefined }),
    '/api/exchanges?q=pool+exhausted&limit=100');
  assert.equal(href([], { session: 'a&b' }), '/?session=a%26b');
  assert.equal(href([], { session: '' }), '/');
});

test('filterQuery keeps the filter parameters the page was opened with', () => {
  const p = new URLSearchParams('q=boom&status=5xx&limit=3&session=bug-123&foo=1');
  assert.deepEqual(filterQuery(p), { session: 'bug-123', status: '5xx', q: 'boom' });
});

test('matches applies every filter field but the text query', () => {
  const s = { session: 'S1', routeKey: 'POST /items', method: 'POST', status: 502, outcome: 'function_error', failed: true,
    function: 'Items', apiId: 'shop', durationMs: 12.5, cold: false, replayOf: 'ORIG' };
  const f = q => filterOf(new URLSearchParams(q), 'S1');
  const cases = [
    ['', true],
    ['status=5xx', true], ['status=5', true], ['status=502', true], ['status=4xx', false], ['status=500', false],
    ['method=post', true], ['method=GET', false],
    ['route=POST+/items', true], ['route=GET+/hello', false],
    ['outcome=function_error', true], ['outcome=ok', false],
    ['function=Items', true], ['function=Hello', false], ['api=shop', true], ['api=other', false],
    ['failed=1', true], ['failed=0', true], ['cold=1', false], ['replays=only', true], ['replays=hide', false],
    ['min=12.5', true], ['min=13', false], ['max=12.5', true], ['max=12', false], ['min=10&max=20', true],
    ['q=not-in-the-summary', true], // the server decides
    ['node=aws:DynamoDB', true], // so it does for a service map node
  ];
  for (const [q, want] of cases) assert.equal(matches(f(q), s), want, q || '(no filter)');
  assert.equal(matches(filterOf(new URLSearchParams(''), 'S2'), s), false, 'other session');
  assert.equal(f('q=+boom+').q, 'boom');
  assert.equal(f('node=fn:Orders').node, 'fn:Orders');
});

test('api returns JSON, {} for an empty answer, and the API\'s error message', async t => {
  const answers = {
    '/ok': new Response('{"id":"X"}', { status: 200 }),
    '/empty': new Response('', { status: 200 }),
    '/bad': new Response('{"error":"unknown cursor: gone"}', { status: 400 }),
    '/html': new Response('<h1>oops</h1>', { status: 502 }),
  };
  const sent = [];
  t.mock.method(globalThis, 'fetch', async (url, init) => {
    sent.push([url, init]);
    return answers[url];
  });
  assert.deepEqual(await api('/ok', { method: 'POST', json: { event: {} } }), { id: 'X' });
  assert.equal(sent[0][1].body, '{"event":{}}');
  assert.equal(sent[0][1].headers['Content-Type'], 'application/json');
  assert.equal(sent[0][1].headers.Accept, 'application/json');
  assert.deepEqual(await api('/empty', { method: 'POST', json: '' }), {});
  assert.equal(sent[1][1].body, '');
  await assert.rejects(api('/bad'), { message: 'unknown cursor: gone' });
  await assert.rejects(api('/html'), { message: 'HTTP 502' });
});
