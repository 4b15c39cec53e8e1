import assert from 'node:assert/strict';
import { test } from 'node:test';
import { parseHeaders, replayBody } from '../static/replay.js';

test('parseHeaders keeps every value of a repeated name', () => {
  assert.deepEqual(parseHeaders('Accept: */*\r\n\nX-A: 1\nX-A:  2 \n'), { Accept: ['*/*'], 'X-A': ['1', '2'] });
  assert.throws(() => parseHeaders('no colon'), /line 1 is not "Name: value"/);
  assert.throws(() => parseHeaders('A: 1\nBad Name: x'), /line 2/);
});

const fields = v => Object.fromEntries(Object.entries(v).map(([k, value]) => [k, { value }]));

test('replayBody builds an edited request, an event, or says what is wrong', () => {
  const form = fields({ target: ' ', event: '{"a":1}', method: 'post', path: '/items', query: '?x=1', headers: 'A: b', body: 'hi' });
  assert.deepEqual(replayBody(form, 'event'), { event: { a: 1 } });
  assert.deepEqual(replayBody(form, 'request'), {
    request: { method: 'POST', path: '/items', query: 'x=1', headers: { A: ['b'] }, body: 'hi' },
  });
  // A cleared query is sent as "": the server must not keep the original's.
  assert.equal(replayBody({ ...form, query: { value: '' } }, 'request').request.query, '');
  assert.deepEqual(replayBody({ ...form, target: { value: 'Hello' } }, 'event'), { target: 'Hello', event: { a: 1 } });
  assert.throws(() => replayBody({ ...form, event: { value: '{' } }, 'event'), /not valid JSON/);
  assert.throws(() => replayBody({ ...form, event: { value: '3' } }, 'event'), /object or array/);
  assert.throws(() => replayBody({ ...form, path: { value: 'items' } }, 'request'), /must start with \//);
  // The confirmation of a deployed target is sent only when ticked.
  const arn = 'arn:aws:lambda:us-east-1:999999999999:function:prod';
  assert.deepEqual(replayBody({ ...form, target: { value: arn }, confirmRemote: { checked: false } }, 'event'), { target: arn, event: { a: 1 } });
  assert.deepEqual(replayBody({ ...form, target: { value: arn }, confirmRemote: { checked: true } }, 'event'),
    { target: arn, confirmRemote: true, event: { a: 1 } });
});

test('replayBody sends a mapping template only when it was edited', () => {
  const form = fields({ target: '', event: '{}', method: 'GET', path: '/mock', query: '', headers: '', body: '' });
  const tmpl = (value, defaultValue) => ({ value, defaultValue });
  assert.equal(replayBody({ ...form, requestTemplate: tmpl('{"statusCode": 200}', '{"statusCode": 200}') }, 'request').templates, undefined);
  assert.deepEqual(replayBody({ ...form, requestTemplate: tmpl('{"statusCode": 404}', '{"statusCode": 200}'),
    responseTemplate: tmpl('$input.body', '$input.body') }, 'request').templates, { request: '{"statusCode": 404}' });
  assert.deepEqual(replayBody({ ...form, responseTemplate: tmpl('', 'x') }, 'request').templates, { response: '' });
  // Replaying the raw event never sends templates.
  assert.equal(replayBody({ ...form, requestTemplate: tmpl('a', 'b') }, 'event').templates, undefined);
});
