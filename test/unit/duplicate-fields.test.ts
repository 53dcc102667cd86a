// Keys given twice within one JSON object, as kube-apiserver's strict decoding reports them.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { duplicateFields } from '../../src/apiserver/http/duplicate-fields.js';

describe('duplicateFields', () => {
  it('finds a key repeated within one object, at any depth, each key once', () => {
    assert.deepEqual(duplicateFields('{"a":1,"b":{"c":1,"c":2,"c":3},"a":[{"d":1,"d":2}]}'), ['c', 'a', 'd']);
  });
  it('does not count the same key in different objects, nor string values that look like keys', () => {
    assert.deepEqual(duplicateFields('{"a":{"x":1},"b":{"x":2},"c":["a","a"],"d":"a","e":{"a":"\\"a\\":"}}'), []);
  });
  it('compares keys after unescaping', () => {
    assert.deepEqual(duplicateFields('{"a\\u0062":1,"ab":2, "\\"q" : 1 , "\\"q":2}'), ['ab', '"q']);
  });
  it('is empty for scalars and arrays', () => {
    assert.deepEqual(duplicateFields('[1,2,{"a":1}]'), []);
    assert.deepEqual(duplicateFields('"x"'), []);
  });
});
