// Tests of the virtualised list's Windows: which list API requests it
// makes (cursor next to a window it has, offset for a jump, always at the
// snapshot), and that a new filter's answers are never mixed with an
// older one's.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Windows } from '../static/vlist.js';

// fakeAPI answers like GET /api/exchanges?view=summary over total rows
// named r0, r1, …; each answer waits until release() is called for it.
function fakeAPI(total) {
  const calls = [], pending = [];
  const get = (params, signal) => {
    calls.push(params);
    return new Promise((resolve, reject) => {
      const off = params.cursor ? +params.cursor.slice(1) : +(params.offset || 0);
      const items = [];
      for (let i = off; i < Math.min(off + params.limit, total); i++) items.push({ id: 'r' + i });
      const next = off + params.limit < total ? 'c' + (off + params.limit) : '';
      pending.push(() => (signal && signal.aborted ? reject(new Error('aborted')) :
        resolve({ exchanges: items, next, snapshot: 77, total: params.count ? total : undefined })));
    });
  };
  const release = async () => {
    while (pending.length) pending.shift()();
    await new Promise(r => setTimeout(r, 0));
  };
  return { calls, get, release };
}

test('windows load by cursor next to one they have, by offset for a jump, at the snapshot', async () => {
  const api = fakeAPI(1000);
  let changed = 0;
  const w = new Windows({ get: api.get, changed: () => changed++, size: 100 });
  const first = w.reset({ q: 'boom' });
  await api.release();
  assert.deepEqual((await first).map(s => s.id).slice(0, 2), ['r0', 'r1']);
  assert.deepEqual(api.calls[0], { q: 'boom', view: 'summary', limit: 100, count: 1 });
  assert.equal(w.total, 1000);
  assert.equal(w.snapshot, 77);

  assert.equal(w.row(150), undefined); // window 1: loading
  assert.equal(w.row(750), undefined); // window 7: a jump
  await api.release();
  assert.deepEqual(api.calls.slice(1), [
    { q: 'boom', view: 'summary', limit: 100, snapshot: 77, cursor: 'c100' },
    { q: 'boom', view: 'summary', limit: 100, snapshot: 77, offset: 700 },
  ]);
  assert.equal(w.row(150).id, 'r150');
  assert.equal(w.row(750).id, 'r750');
  assert.equal(changed, 2);
  assert.equal(w.row(1000), undefined);
  assert.equal(api.calls.length, 3, 'no window past the total is asked for');
});

test('a new filter cancels the old one and drops its answers', async () => {
  const api = fakeAPI(500);
  const w = new Windows({ get: api.get, changed: () => {}, size: 100 });
  const a = assert.rejects(w.reset({ q: 'po' })); // cancelled in flight
  const b = w.reset({ q: 'pool' });
  await api.release();
  assert.equal(await b.then(xs => xs.length), 100);
  await a;
  assert.deepEqual(w.query, { q: 'pool' });
  w.row(250);
  const c = w.reset({ q: 'pools' });
  await api.release(); // window 2 of "pool" answers after the reset: dropped
  await c;
  assert.equal(w.wins.has(2), false);
});
