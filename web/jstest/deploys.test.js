// Tests of deploys.js's pure part, against the table the Go side's
// deployRowOf is tested with (web/testdata/deployments.json).
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { deployView } from '../static/deploys.js';

const table = JSON.parse(readFileSync(new URL('../testdata/deployments.json', import.meta.url), 'utf8'));

test('deployView follows web/testdata/deployments.json (as the dashboard\'s deployRowOf does)', () => {
  assert.ok(table.cases.length >= 5);
  for (const c of table.cases) assert.deepEqual(deployView(c.deployment), c.view, c.name);
});

test('deployView copes with a frame missing its lists', () => {
  assert.deepEqual(deployView({ id: 3, status: 'deployed', durationMs: 5 }),
    { id: 3, status: 'deployed', label: 'Deployment 3', statusText: 'deployed', what: '', took: 'in 5.0 ms', errors: [] });
});
