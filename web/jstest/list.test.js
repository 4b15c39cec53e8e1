// Tests of the live list's Catchup: which /api/exchanges requests it makes,
// what it delivers and where its cursor goes. The API is a fake that
// answers from a list of stored exchanges, in store order, by the filter's
// one rule here: the exchange's "match" field.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Catchup, retryDelay } from '../static/list.js';

// fakeStore answers /api/exchanges like the server: after= walks forward
// (oldest first) from the cursor, no cursor gives the newest first. Its
// answered() runs after each answer is made, before it arrives: what it
// does happens while the request is in flight.
function fakeStore(ids, matching) {
  const stored = ids.map(id => ({ id, match: matching.includes(id) }));
  const calls = [];
  const store = { stored, calls, answered: () => {} };
  store.get = async url => {
    const answer = answer1(url);
    store.answered(calls.length);
    return answer;
  };
  const answer1 = url => {
    calls.push(url);
    const p = new URL(url, 'http://x').searchParams;
    const limit = +p.get('limit');
    const hits = stored.filter(x => x.match);
    if (p.get('after')) {
      const at = stored.findIndex(x => x.id === p.get('after'));
      if (at < 0) throw new Error('unknown cursor: ' + p.get('after'));
      const rest = stored.slice(at + 1).filter(x => x.match);
      const page = rest.slice(0, limit);
      return { exchanges: page, next: rest.length > limit ? page[page.length - 1].id : '' };
    }
    return { exchanges: hits.slice(-limit).reverse(), next: '' };
  };
  return store;
}

function catchup(store, cursor, opts = {}) {
  const delivered = [];
  const c = new Catchup({
    query: { q: 'boom' }, cursor, get: store.get, deliver: xs => delivered.push(xs.map(x => x.id)),
    fallbackSize: 3, pageSize: 2, maxPages: 2, delay: 0, ...opts,
  });
  return { c, delivered };
}

async function settle(c) {
  while (c.busy) await c.running;
}

test('a search asks which new exchanges match, from the cursor on', async () => {
  const s = fakeStore(['A', 'B', 'C', 'D'], ['A', 'C']);
  const { c, delivered } = catchup(s, 'A');
  c.stored('D'); // a frame: the store has got to D
  c.request();
  await settle(c);
  assert.deepEqual(s.calls, ['/api/exchanges?q=boom&after=A&limit=2']);
  assert.deepEqual(delivered, [['C']]);
  assert.equal(c.cursor, 'C', 'the last match is the new cursor');

  s.stored.push({ id: 'E', match: false });
  c.stored('E');
  c.request();
  await settle(c);
  assert.deepEqual(delivered[1], []);
  assert.equal(c.cursor, 'E', 'no match: the newest id the feed sent');
  assert.equal(c.position(), 'E');
});

test('frames during a request ask once more, after it', async () => {
  const s = fakeStore(['A', 'B'], ['B']);
  const { c, delivered } = catchup(s, 'A');
  s.answered = n => {
    if (n !== 1) return;
    s.stored.push({ id: 'C', match: true }, { id: 'D', match: true });
    c.stored('C');
    c.request();
    c.stored('D');
    c.request(); // coalesced with the one before
  };
  c.stored('B');
  c.request();
  await settle(c);
  assert.equal(s.calls.length, 2, s.calls.join(' '));
  assert.deepEqual(delivered.flat(), ['B', 'C', 'D']);
  assert.equal(c.cursor, 'D');
});

test('pages on, and takes the newest when the gap is too long', async () => {
  const ids = 'ABCDEFGH'.split('');
  const s = fakeStore(ids, ids);
  const { c, delivered } = catchup(s, 'A');
  c.stored('H');
  c.request();
  await settle(c);
  assert.deepEqual(s.calls, [
    '/api/exchanges?q=boom&after=A&limit=2',
    '/api/exchanges?q=boom&after=C&limit=2',
    '/api/exchanges?q=boom&limit=3',
  ]);
  assert.deepEqual(delivered, [['H', 'G', 'F']]);
  assert.equal(c.cursor, 'H');

  const short = fakeStore(ids, ['C', 'E']);
  const t = catchup(short, 'A');
  t.c.request();
  await settle(t.c);
  assert.deepEqual(t.delivered, [['C', 'E']]);
  assert.equal(short.calls.length, 1, 'a page that holds all there is has no next');
});

test('a pruned cursor falls back to the newest matches', async () => {
  const s = fakeStore(['B', 'C'], ['C']);
  const { c, delivered } = catchup(s, 'A');
  c.request();
  await settle(c);
  assert.deepEqual(delivered, [['C']]);
  assert.equal(c.cursor, 'C');
});

test('without a search, frames move the cursor and a reconnect fills the gap', async () => {
  const s = fakeStore(['A', 'B', 'C'], ['A', 'B', 'C']);
  s.stored.push({ id: 'D', match: true });
  const { c, delivered } = catchup(s, 'A');
  c.accounted('B'); // a frame, matched on the page
  assert.equal(c.position(), 'B');
  s.answered = () => c.accounted('E'); // a frame arrives while the fill runs
  c.request(); // reconnected
  await settle(c);
  assert.deepEqual(delivered, [['C', 'D']]);
  assert.equal(c.cursor, 'E', 'the frame\'s cursor stands');
});

test('a failed request leaves the cursor for the next one', async () => {
  const { c, delivered } = catchup({ get: async () => { throw new Error('offline'); } }, 'A');
  c.stored('B');
  c.request();
  await settle(c);
  assert.deepEqual(delivered, []);
  assert.equal(c.cursor, 'A');
});

test('retryDelay spreads reconnects over ±25%', () => {
  assert.equal(retryDelay(1000, 0), 750);
  assert.equal(retryDelay(1000, 0.5), 1000);
  assert.equal(retryDelay(1000, 1), 1250);
});
