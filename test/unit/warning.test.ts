import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { collectWarnings, warningHeaderValue } from '../../src/apiserver/warning.js';

describe('warningHeaderValue', () => {
  const cases: Array<[string, string]> = [
    ['mytext', '299 - "mytext"'],
    ['unknown field "spec.foo"', '299 - "unknown field \\"spec.foo\\""'],
    ['back\\slash', '299 - "back\\\\slash"'],
    ['Iñtërnâtiônàlizætiøn → ok', '299 - "Iñtërnâtiônàlizætiøn → ok"'],
  ];
  for (const [text, want] of cases) {
    it(JSON.stringify(text), () => assert.equal(warningHeaderValue(text), want));
  }

  for (const bad of ['my\ntext', 'tab\there', 'nul\u0000', 'c1\u0085', 'lone \ud800']) {
    it(`rejects ${JSON.stringify(bad)}`, () => {
      assert.throws(() => warningHeaderValue(bad), /must not contain control characters/);
    });
  }
});

// Cases from k8s.io/apiserver/pkg/endpoints/filters/warning_test.go.
describe('collectWarnings', () => {
  const cases: Array<{ name: string; texts: string[]; want: string[] }> = [
    { name: 'empty', texts: [], want: [] },
    { name: 'empty text', texts: [''], want: [] },
    { name: 'one', texts: ['mytext'], want: ['299 - "mytext"'] },
    { name: 'duplicates', texts: ['a', 'b', 'a', 'b'], want: ['299 - "a"', '299 - "b"'] },
    {
      name: 'multiple',
      texts: ['mytext1', 'mytext2', 'mytext3'],
      want: ['299 - "mytext1"', '299 - "mytext2"', '299 - "mytext3"'],
    },
    { name: 'invalid text skipped', texts: ['my\ntext', 'ok'], want: ['299 - "ok"'] },
  ];
  for (const c of cases) {
    it(c.name, () => assert.deepEqual(collectWarnings(c.texts), c.want));
  }

  it('truncates like TestTruncation (limits 25 total / 5 per item)', () => {
    const limits = { total: 25, item: 5 };
    const first = ['aaaaaaaaaa', 'aaaaaaaaaa', 'bb', 'ccc', 'Iñtërnâtiô'];
    assert.deepEqual(collectWarnings(first, limits), [
      '299 - "aaaaaaaaaa"',
      '299 - "bb"',
      '299 - "ccc"',
      '299 - "Iñtërnâtiô"',
    ]);
    const all = [...first, 'e', 'ffffffffff', 'ffffffffff', 'gggggggggg', 'h'];
    assert.deepEqual(collectWarnings(all, limits), [
      '299 - "aaaaa"',
      '299 - "bb"',
      '299 - "ccc"',
      '299 - "Iñtër"',
      '299 - "e"',
      '299 - "fffff"',
      '299 - "ggggg"',
    ]);
  });

  it('applies the default 4096/256 rune limits', () => {
    const long = (c: string): string => c.repeat(1000);
    const headers = collectWarnings([long('a'), long('b'), long('c'), long('d'), long('e')]);
    assert.deepEqual(
      headers,
      ['a', 'b', 'c', 'd', 'e'].map((c) => `299 - "${c.repeat(256)}"`),
    );
    const fits = collectWarnings([long('a'), long('b'), long('c'), long('d')]);
    assert.deepEqual(fits, ['a', 'b', 'c', 'd'].map((c) => `299 - "${long(c)}"`));
  });
});
