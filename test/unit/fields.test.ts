import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isStatusError } from '../../src/apiserver/errors.js';
import { escapeFieldValue, parseFieldSelector, unescapeFieldValue } from '../../src/apiserver/fields.js';

const META = ['metadata.name', 'metadata.namespace'];
const WITH_PHASE = ['metadata.name', 'metadata.namespace', 'status.phase'];

// fields/selector_test.go TestSelectorParse and friends.
describe('parseFieldSelector: valid selectors', () => {
  const cases: Array<{ input: string; string: string; requirements: Array<[string, '=' | '!=', string]> }> = [
    { input: '', string: '', requirements: [] },
    { input: ',', string: '', requirements: [] },
    { input: 'metadata.name=foo', string: 'metadata.name=foo', requirements: [['metadata.name', '=', 'foo']] },
    { input: 'metadata.name==foo', string: 'metadata.name=foo', requirements: [['metadata.name', '=', 'foo']] },
    { input: 'metadata.name!=foo', string: 'metadata.name!=foo', requirements: [['metadata.name', '!=', 'foo']] },
    { input: 'metadata.name=', string: 'metadata.name=', requirements: [['metadata.name', '=', '']] },
    {
      input: 'metadata.namespace=ns,metadata.name=n',
      string: 'metadata.name=n,metadata.namespace=ns',
      requirements: [
        ['metadata.name', '=', 'n'],
        ['metadata.namespace', '=', 'ns'],
      ],
    },
    { input: 'metadata.name=a\\,b', string: 'metadata.name=a\\,b', requirements: [['metadata.name', '=', 'a,b']] },
    { input: 'metadata.name=a\\=b\\\\c', string: 'metadata.name=a\\=b\\\\c', requirements: [['metadata.name', '=', 'a=b\\c']] },
    { input: 'metadata.name=x y', string: 'metadata.name=x y', requirements: [['metadata.name', '=', 'x y']] },
  ];
  for (const c of cases) {
    it(JSON.stringify(c.input), () => {
      const selector = parseFieldSelector(c.input, META);
      assert.equal(selector.toString(), c.string);
      assert.equal(selector.empty, c.requirements.length === 0);
      assert.deepEqual(
        selector.requirements.map((r) => [r.field, r.operator, r.value]),
        c.requirements,
      );
    });
  }
});

describe('parseFieldSelector: errors are 400 BadRequest with Go\'s text', () => {
  const cases: Array<[string, readonly string[] | undefined, string]> = [
    ['spec.x=1', META, '"spec.x" is not a known field selector: only "metadata.name", "metadata.namespace"'],
    ['status.phase=Running', META, '"status.phase" is not a known field selector: only "metadata.name", "metadata.namespace"'],
    [
      'spec.x=1',
      WITH_PHASE,
      '"spec.x" is not a known field selector: only "metadata.name", "metadata.namespace", "status.phase"',
    ],
    ['metadata.name=a,zzz=1,aaa=2', META, '"aaa" is not a known field selector: only "metadata.name", "metadata.namespace"'],
    ['a', META, "invalid selector: 'a'; can't understand 'a'"],
    ['metadata.name=a,b', META, "invalid selector: 'metadata.name=a,b'; can't understand 'b'"],
    ['metadata.name=a=b', META, 'invalid field selector: unescaped character in value: 61'],
    ['metadata.name!==x', META, 'invalid field selector: unescaped character in value: 61'],
    ['metadata.name=a\\q', META, 'invalid field selector: invalid escape sequence: \\q'],
    ['metadata.name=a\\!', META, 'invalid field selector: invalid escape sequence: \\!'],
    ['metadata.name=a\\', META, 'invalid field selector: invalid escape sequence: \\'],
    ['x=a\\', undefined, 'invalid field selector: invalid escape sequence: \\'],
  ];
  for (const [input, allowed, message] of cases) {
    it(JSON.stringify(input), () => {
      assert.throws(
        () => parseFieldSelector(input, allowed),
        (e: unknown) => isStatusError(e) && e.status.code === 400 && e.status.reason === 'BadRequest' && e.message === message,
      );
    });
  }

  it('accepts any field name without an allow-list', () => {
    assert.equal(parseFieldSelector('spec.x=1').toString(), 'spec.x=1');
  });

  it('accepts allowed extra fields', () => {
    assert.equal(parseFieldSelector('status.phase=Running', WITH_PHASE).exactValue('status.phase'), 'Running');
  });
});

describe('FieldSelector.matches', () => {
  const fields = { 'metadata.name': 'foo', 'metadata.namespace': 'ns' };
  const cases: Array<[string, boolean]> = [
    ['', true],
    ['metadata.name=foo', true],
    ['metadata.name==foo', true],
    ['metadata.name=bar', false],
    ['metadata.name!=bar', true],
    ['metadata.name!=foo', false],
    ['metadata.name=foo,metadata.namespace=ns', true],
    ['metadata.name=foo,metadata.namespace=other', false],
    ['metadata.namespace!=', true],
  ];
  for (const [selector, want] of cases) {
    it(selector, () => assert.equal(parseFieldSelector(selector, META).matches(fields), want));
  }

  it('reads a missing field as the empty string', () => {
    assert.equal(parseFieldSelector('status.phase=', WITH_PHASE).matches({}), true);
    assert.equal(parseFieldSelector('status.phase!=Running', WITH_PHASE).matches({}), true);
  });
});

describe('FieldSelector.exactValue', () => {
  const cases: Array<[string, string | undefined]> = [
    ['metadata.name=foo', 'foo'],
    ['metadata.name==foo,metadata.namespace=ns', 'foo'],
    ['metadata.name!=foo', undefined],
    ['metadata.namespace=ns', undefined],
    ['', undefined],
    ['metadata.name=', ''],
  ];
  for (const [selector, want] of cases) {
    it(JSON.stringify(selector), () => assert.equal(parseFieldSelector(selector, META).exactValue('metadata.name'), want));
  }
});

describe('escapeFieldValue / unescapeFieldValue', () => {
  const pairs: Array<[string, string]> = [
    ['plain', 'plain'],
    ['a,b', 'a\\,b'],
    ['a=b', 'a\\=b'],
    ['a\\b', 'a\\\\b'],
    ['!x', '!x'],
    ['', ''],
  ];
  for (const [raw, escaped] of pairs) {
    it(JSON.stringify(raw), () => {
      assert.equal(escapeFieldValue(raw), escaped);
      assert.equal(unescapeFieldValue(escaped), raw);
    });
  }
});
