// Tests of connections.js's pure helpers, against the tables the Go side
// reads too (web/testdata), so a timeline drawn by the server and one drawn
// live cannot drift apart.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { closeText, fmtSize, formatAge, framesOf } from '../static/connections.js';

const table = name => JSON.parse(readFileSync(new URL('../testdata/' + name, import.meta.url), 'utf8'));

test('framesOf follows web/testdata/frames.json (as the dashboard\'s framesOf does)', () => {
  const { cases } = table('frames.json');
  assert.ok(cases.length >= 8);
  for (const c of cases) assert.deepEqual(framesOf(c.exchange), c.rows, c.name);
});

test('formatAge follows web/testdata/ages.json (as web.FormatAge does)', () => {
  for (const [ms, want] of table('ages.json').cases) assert.equal(formatAge(ms), want, `formatAge(${ms})`);
});

test('fmtSize counts UTF-8 bytes', () => {
  assert.equal(fmtSize(''), '0 B');
  assert.equal(fmtSize('é'), '2 B');
  assert.equal(fmtSize('x'.repeat(1536)), '1.5 KB');
  assert.equal(fmtSize('x'.repeat(3 << 20)), '3.0 MB');
});

test('closeText says how a connection ended', () => {
  assert.equal(closeText({ frames: [{ opcode: 8, code: 1001, data: 'Going away' }] }), '1001 Going away');
  assert.equal(closeText({ frames: [{ opcode: 8, code: 1000, data: '' }] }), '1000');
  assert.equal(closeText({}), '');
});
