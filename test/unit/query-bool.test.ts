// Bool query parameters read as kube-apiserver reads them (apimachinery Convert_Slice_string_To_bool).
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseBool } from '../../src/apiserver/http/options.js';

describe('parseBool', () => {
  it('is undefined when the parameter is absent', () => {
    assert.equal(parseBool(null), undefined);
  });
  it('is false for 0 and false in any case', () => {
    for (const v of ['0', 'false', 'False', 'FALSE', 'fAlSe']) assert.equal(parseBool(v), false, v);
  });
  it('is true for anything else, the empty value included', () => {
    for (const v of ['', '1', 'true', 'TRUE', 't', 'f', 'no', 'maybe', '2']) assert.equal(parseBool(v), true, JSON.stringify(v));
  });
});
