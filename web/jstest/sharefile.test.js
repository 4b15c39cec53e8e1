// Tests of the share file's script: a part shown whole after Show all
// reads as the share pages show it (the table Go's shareBody and shareJSON
// write, web/testdata/sharebodies.json), and the raw documents are found
// in the embedded export exactly as written.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { MAX_DEPTH, bodyText, decodeBase64Text, goTrim, indentJSON, jsonDepth, jsonText, partText, rawAt, readExport } from '../static/sharefile.js';

const table = JSON.parse(readFileSync(new URL('../testdata/sharebodies.json', import.meta.url), 'utf8'));

test('each part reads as the share pages show it (web/testdata/sharebodies.json)', () => {
  assert.ok(table.cases.length >= 20);
  for (const c of table.cases) {
    const got = c.kind === 'body' ? bodyText(c.input, c.isBase64) : { text: jsonText(c.input), note: '' };
    assert.deepEqual(got, { text: c.text, note: c.note }, c.name);
  }
});

test('indentJSON pretty-prints up to MAX_DEPTH and no deeper', () => {
  const deep = n => '['.repeat(n) + ']'.repeat(n);
  assert.equal(jsonDepth(deep(MAX_DEPTH), MAX_DEPTH + 1), MAX_DEPTH);
  assert.equal(jsonDepth('["[[[[", {"a": "]]"}]', 10), 2);
  assert.notEqual(indentJSON(deep(MAX_DEPTH)), null);
  assert.equal(indentJSON(deep(MAX_DEPTH + 1)), null);
  assert.equal(indentJSON(deep(100_000)), null, 'a hostile depth is text, not a stack overflow');
  assert.equal(indentJSON('[1,2'), null);
  assert.equal(indentJSON(' [ 1 , true , null , "a b" ] '), '[\n  1,\n  true,\n  null,\n  "a b"\n]');
});

test('goTrim trims what Go trims', () => {
  assert.equal(goTrim('\u0085\u00a0 x \u3000'), 'x');
  assert.equal(goTrim('\ufeffx'), '\ufeffx');
});

test('decodeBase64Text', () => {
  assert.equal(decodeBase64Text('aGk='), 'hi');
  assert.equal(decodeBase64Text('aGk'), null, 'unpadded');
  assert.equal(decodeBase64Text('AA=='), null, 'NUL');
  assert.equal(decodeBase64Text('wyg='), null, 'not UTF-8');
  assert.equal(decodeBase64Text(''), '');
});

// An export as gatescope writes it: documents of their own inside, with
// spaces, escapes and numbers JSON.parse would not keep.
const native = {
  format: 'gatescope/v1',
  exchanges: [
    { id: 'A', request: { body: 'bmFtZT1h', isBase64: true }, event: null, function: { name: 'F' }, response: { body: '', isBase64: false }, logs: 'START\nEND\n' },
    { id: 'B', request: { body: '{"q":1}', isBase64: false }, function: { name: 'G' }, response: { body: 'AAE=', isBase64: true }, logs: '' },
  ],
};
const nativeText = JSON.stringify(native)
  .replace('"event":null', '"event":null ')
  .replace('"function":{"name":"G"}', '"event" : {"big":12345678901234567890,"s":"}\\"]","e":[ ]},"function":{"name":"G","rawResponse":{"statusCode":200.0,"body":"\\u003c/script>"}}');

test('rawAt finds a document exactly as written', () => {
  assert.equal(rawAt(nativeText, ['exchanges', 1, 'event']), '{"big":12345678901234567890,"s":"}\\"]","e":[ ]}');
  assert.equal(rawAt(nativeText, ['exchanges', 1, 'function', 'rawResponse']), '{"statusCode":200.0,"body":"\\u003c/script>"}');
  assert.equal(rawAt(nativeText, ['exchanges', 0, 'event']), 'null');
  assert.equal(rawAt(nativeText, ['exchanges', 0, 'function', 'rawResponse']), '');
  assert.equal(rawAt(nativeText, ['exchanges', 2, 'event']), '');
  assert.equal(rawAt(nativeText, ['nothing']), '');
  assert.equal(rawAt('[1, [2, 3], "x"]', [1, 1]), '3');
});

test('partText shows each part of an embedded export whole', () => {
  const exp = readExport(JSON.stringify(nativeText));
  assert.equal(exp.text, nativeText);
  assert.deepEqual(partText(exp, 0, 'request'), { text: 'name=a', note: '' });
  assert.deepEqual(partText(exp, 0, 'event'), { text: '', note: '' });
  assert.deepEqual(partText(exp, 0, 'logs'), { text: 'START\nEND\n', note: '' });
  assert.deepEqual(partText(exp, 1, 'request'), { text: '{\n  "q": 1\n}', note: '' });
  assert.deepEqual(partText(exp, 1, 'event'), { text: '{\n  "big": 12345678901234567890,\n  "s": "}\\"]",\n  "e": []\n}', note: '' });
  assert.deepEqual(partText(exp, 1, 'output'), { text: '{\n  "statusCode": 200.0,\n  "body": "\\u003c/script>"\n}', note: '' });
  assert.deepEqual(partText(exp, 1, 'response'), { text: 'AAE=', note: 'binary, shown as base64' });
  assert.throws(() => partText(exp, 1, 'meta'), /unknown part/);
});
