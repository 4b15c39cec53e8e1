// Tests of the session bar's words for a share link.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { describeShare, remaining } from '../static/session.js';

test('remaining', () => {
  const min = 60000, h = 60 * min;
  for (const [ms, want] of [
    [-1, 'now'], [0, 'now'], [1, 'in 1 min'], [45 * min, 'in 45 min'], [59 * min, 'in 59 min'], [59 * min + 1, 'in 1 h'],
    [60 * min + 1, 'in 1 h'], [24 * h, 'in 24 h'], [47 * h, 'in 47 h'], [48 * h, 'in 2 d'], [30 * 24 * h, 'in 30 d'],
  ]) {
    assert.equal(remaining(ms), want, `remaining(${ms})`);
  }
});

test('describeShare', () => {
  const created = new Date(2026, 2, 1, 14, 3, 12, 500); // local time, as the page shows it
  const s = n => ({ id: '0a1b2c3d4e5f', createdAt: created.toISOString(), expiresAt: new Date(created.getTime() + 24 * 3600e3).toISOString(), snapshot: { exchanges: n } });
  assert.equal(describeShare(s(12), created.getTime()), '12 exchanges as of 14:03:12, expires in 24 h');
  assert.equal(describeShare(s(1), created.getTime()), '1 exchange as of 14:03:12, expires in 24 h');
  assert.equal(describeShare({ ...s(0), snapshot: undefined }, created.getTime()), '0 exchanges as of 14:03:12, expires in 24 h');
});
