// Tests of jsontree.js's pure helpers: what the tree shows for a value
// (JSON in strings, base64 bodies), paths as jq reads them, search and the
// blamed field's path, and how binary data is recognised and dumped.
import assert from 'node:assert/strict';
import { test } from 'node:test';
import {
  blamePath, decodeBase64, encodeBase64, fmtBytes, hexDump, imageType, jsonInString, kindOf,
  pathString, searchJSON, shownValue, textOf,
} from '../static/jsontree.js';

const b64 = s => Buffer.from(s).toString('base64');

test('kindOf names JSON types', () => {
  assert.deepEqual([null, [], {}, '', 1, true].map(kindOf), ['null', 'array', 'object', 'string', 'number', 'boolean']);
});

test('jsonInString parses objects and arrays held in strings, nothing else', () => {
  assert.deepEqual(jsonInString(' {"a":1} '), { a: 1 });
  assert.deepEqual(jsonInString('[1,2]'), [1, 2]);
  for (const s of ['', '1', '"x"', '{broken', '{"a":}', 'name=x&y=1', 'true']) {
    assert.equal(jsonInString(s), undefined, s);
  }
});

test('decodeBase64 and encodeBase64 round-trip; non-base64 is null', () => {
  const bytes = new Uint8Array([0, 1, 2, 250, 255]);
  assert.deepEqual(decodeBase64(encodeBase64(bytes)), bytes);
  assert.equal(decodeBase64('not base64!'), null);
  assert.equal(decodeBase64('abc'), null); // not a multiple of 4
  const big = new Uint8Array(100000).map((_, i) => i % 256);
  assert.deepEqual(decodeBase64(encodeBase64(big)), big);
});

test('textOf accepts UTF-8 text and refuses binaries', () => {
  assert.equal(textOf(new TextEncoder().encode('héllo\n\tworld')), 'héllo\n\tworld');
  assert.equal(textOf(new Uint8Array([0x68, 0x00])), null);
  assert.equal(textOf(new Uint8Array([0xff, 0xfe, 0x41])), null);
});

test('imageType reads image signatures', () => {
  assert.equal(imageType(new Uint8Array([0x89, 0x50, 0x4e, 0x47, 13, 10])), 'image/png');
  assert.equal(imageType(new Uint8Array([0xff, 0xd8, 0xff, 0xe0])), 'image/jpeg');
  assert.equal(imageType(new TextEncoder().encode('GIF89a')), 'image/gif');
  assert.equal(imageType(new TextEncoder().encode('RIFF\0\0\0\0WEBPVP8 ')), 'image/webp');
  assert.equal(imageType(new Uint8Array([0x25, 0x50, 0x44, 0x46])), ''); // %PDF
  assert.equal(imageType(new Uint8Array([])), '');
});

test('hexDump writes xxd lines and stops at the limit', () => {
  const bytes = new TextEncoder().encode('ABCDEFGHIJKLMNOPQ\0');
  assert.equal(hexDump(bytes), [
    '00000000: 4142 4344 4546 4748 494a 4b4c 4d4e 4f50  ABCDEFGHIJKLMNOP',
    '00000010: 5100                                     Q.',
  ].join('\n'));
  assert.equal(hexDump(new Uint8Array(1000), 32).split('\n').length, 2);
});

test('fmtBytes is fmtSize', () => {
  assert.deepEqual([0, 1023, 1024, 1536, 1 << 20, 3.5 * (1 << 20)].map(fmtBytes),
    ['0 B', '1023 B', '1.0 KB', '1.5 KB', '1.0 MB', '3.5 MB']);
});

test('shownValue parses JSON strings and decodes base64 bodies', () => {
  assert.deepEqual(shownValue('{"a":1}', 'body', {}), { value: { a: 1 }, via: ['json'] });
  assert.deepEqual(shownValue(b64('name=Ada&x=1'), 'body', { isBase64Encoded: true }),
    { value: 'name=Ada&x=1', via: ['base64'] });
  assert.deepEqual(shownValue(b64('{"n":2}'), 'body', { isBase64Encoded: true }),
    { value: { n: 2 }, via: ['base64', 'json'] });
  const bin = shownValue(Buffer.from([0, 159, 146, 150]).toString('base64'), 'body', { isBase64Encoded: true });
  assert.deepEqual(bin.via, ['base64']);
  assert.deepEqual(Array.from(bin.bytes), [0, 159, 146, 150]);
  // Only a body with isBase64Encoded beside it is decoded.
  assert.deepEqual(shownValue(b64('hello'), 'body', { isBase64Encoded: false }), { value: b64('hello'), via: [] });
  assert.deepEqual(shownValue(b64('hello'), 'other', { isBase64Encoded: true }), { value: b64('hello'), via: [] });
  assert.deepEqual(shownValue(7), { value: 7, via: [] });
});

test('pathString writes paths as jq reads them', () => {
  assert.equal(pathString([]), '.');
  assert.equal(pathString([{ key: 'isBase64Encoded' }]), '.isBase64Encoded');
  assert.equal(pathString([{ key: 'headers' }, { key: 'content-type' }]), '.headers["content-type"]');
  assert.equal(pathString([{ key: 'items' }, { index: 0 }, { key: 'id' }]), '.items[0].id');
  assert.equal(pathString([{ index: 2 }]), '.[2]');
  assert.equal(pathString([{ key: 'body' }, { via: 'json' }, { key: 'name' }]), '.body | fromjson | .name');
  assert.equal(pathString([{ key: 'body' }, { via: 'base64' }, { via: 'json' }]), '.body | @base64d | fromjson');
  assert.equal(pathString([{ via: 'json' }, { key: 'a' }]), '. | fromjson | .a');
});

test('searchJSON finds keys and values, inside JSON strings and decoded bodies', () => {
  const event = {
    rawPath: '/items', headers: { 'x-trace': 'abc' }, isBase64Encoded: true,
    body: b64('{"customer":{"name":"Ada"}}'),
    list: [{ name: 'x' }, { name: 'ADA lovelace' }],
  };
  assert.deepEqual(searchJSON(event, 'ada').map(pathString), [
    '.body | @base64d | fromjson | .customer.name',
    '.list[1].name',
  ]);
  assert.deepEqual(searchJSON(event, 'x-trace').map(pathString), ['.headers["x-trace"]']);
  assert.deepEqual(searchJSON(event, 'customer').map(pathString), ['.body | @base64d | fromjson | .customer']);
  assert.deepEqual(searchJSON(event, ''), []);
  assert.equal(searchJSON({ a: Array(50).fill('hit') }, 'hit', 10).length, 10);
});

test('blamePath follows the blamed keys through the tree', () => {
  const out = { statusCode: '200', body: { a: 1 }, multiValueHeaders: { 'Set-Cookie': ['a', 'b'] } };
  assert.equal(pathString(blamePath(out, ['statusCode'])), '.statusCode');
  assert.equal(pathString(blamePath(out, ['multiValueHeaders', 'Set-Cookie', '1'])), '.multiValueHeaders["Set-Cookie"][1]');
  assert.equal(pathString(blamePath(out, [])), '.');
  assert.equal(blamePath(out, ['nope']), null);
  assert.equal(blamePath(out, ['statusCode', 'deeper']), null);
  // The event's body, shown parsed: its path carries the decoding.
  const ev = { isBase64Encoded: true, body: b64('{"a":1}') };
  assert.equal(pathString(blamePath(ev, ['body'])), '.body | @base64d | fromjson');
  assert.equal(pathString(blamePath(ev, ['isBase64Encoded'])), '.isBase64Encoded');
});
