import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import {
  child,
  duplicate,
  fieldErrorDetail,
  fieldErrorsText,
  fieldErrorText,
  forbidden,
  index,
  internalError,
  invalid,
  isDNS1123Label,
  isDNS1123Subdomain,
  isQualifiedName,
  isValidLabelValue,
  key,
  nameIsDNSLabel,
  nameIsDNSSubdomain,
  notFound,
  notSupported,
  required,
  tooLong,
  tooMany,
  typeInvalid,
  validateAnnotations,
  validateLabels,
} from '../../src/apiserver/field-errors.js';
import type { FieldError } from '../../src/apiserver/field-errors.js';
import { goFloat, goQuote, goSyntax } from '../../src/apiserver/go-format.js';

const SUBDOMAIN_MSG =
  "a lowercase RFC 1123 subdomain must consist of lower case alphanumeric characters, '-' or '.', and must start and end with an alphanumeric character (e.g. 'example.com', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?(\\.[a-z0-9]([-a-z0-9]*[a-z0-9])?)*')";
const LABEL_MSG =
  "a lowercase RFC 1123 label must consist of lower case alphanumeric characters or '-', and must start and end with an alphanumeric character (e.g. 'my-name',  or '123-abc', regex used for validation is '[a-z0-9]([-a-z0-9]*[a-z0-9])?')";
const QNAME_MSG =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_MSG =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

describe('fieldErrorText', () => {
  const cases: Array<[FieldError, string]> = [
    [invalid('metadata.name', 'Bad_Name', SUBDOMAIN_MSG), `metadata.name: Invalid value: "Bad_Name": ${SUBDOMAIN_MSG}`],
    [required('metadata.name', 'name or generateName is required'), 'metadata.name: Required value: name or generateName is required'],
    [required('metadata.namespace', ''), 'metadata.namespace: Required value'],
    [
      notSupported('fieldValidation', 'Bogus', ['', 'Ignore', 'Strict', 'Warn']),
      'fieldValidation: Unsupported value: "Bogus": supported values: "", "Ignore", "Strict", "Warn"',
    ],
    [notSupported('dryRun', ['x'], ['All']), 'dryRun: Unsupported value: []string{"x"}: supported values: "All"'],
    [notSupported('x', 'y', []), 'x: Unsupported value: "y"'],
    [forbidden('force', 'may not be specified for non-apply patch'), 'force: Forbidden: may not be specified for non-apply patch'],
    [duplicate('spec.steps[1].name', 'build'), 'spec.steps[1].name: Duplicate value: "build"'],
    [notFound('spec.ref', 'x'), 'spec.ref: Not found: "x"'],
    [tooLong('metadata.annotations', '', 262144), 'metadata.annotations: Too long: may not be more than 262144 bytes'],
    [tooLong('x', 'ab', 1), 'x: Too long: may not be more than 1 byte'],
    [tooLong('x', 'ab', -1), 'x: Too long: value is too long'],
    [tooMany('spec.steps', 120, 100), 'spec.steps: Too many: 120: must have at most 100 items'],
    [tooMany('spec.steps', 2, 1), 'spec.steps: Too many: 2: must have at most 1 item'],
    [tooMany('spec.steps', -1, 100), 'spec.steps: Too many: must have at most 100 items'],
    [tooMany('spec.steps', -1, -1), 'spec.steps: Too many: has too many items'],
    [typeInvalid('spec.timeoutSeconds', 'ten', 'must be integer'), 'spec.timeoutSeconds: Invalid value: "ten": must be integer'],
    [internalError('metadata.name', 'boom'), 'metadata.name: Internal error: boom'],
    [invalid('spec.timeoutSeconds', -5, 'must be greater than or equal to 0'), 'spec.timeoutSeconds: Invalid value: -5: must be greater than or equal to 0'],
    [invalid('x', 1.5, 'd'), 'x: Invalid value: 1.5: d'],
    [invalid('x', true, 'd'), 'x: Invalid value: true: d'],
    [invalid('x', null, 'd'), 'x: Invalid value: "null": d'],
    [invalid('x', undefined, 'd'), 'x: Invalid value: "null": d'],
    [invalid('x', 'line\n"q"', ''), 'x: Invalid value: "line\\n\\"q\\""'],
    [invalid('x', [1, 'a'], 'd'), 'x: Invalid value: []interface {}{1, "a"}: d'],
    [invalid('x', { b: 1, a: [null] }, 'd'), 'x: Invalid value: map[string]interface {}{"a":[]interface {}{interface {}(nil)}, "b":1}: d'],
  ];
  for (const [error, want] of cases) {
    it(want, () => {
      assert.equal(fieldErrorText(error), want);
      assert.equal(fieldErrorDetail(error), want.slice(error.field.length + 2));
    });
  }
});

describe('fieldErrorsText (Go ToAggregate().Error())', () => {
  const a = required('a', '');
  const b = forbidden('b', 'no');
  const cases: Array<[FieldError[], string]> = [
    [[], ''],
    [[a], 'a: Required value'],
    [[a, a], 'a: Required value'],
    [[a, b], '[a: Required value, b: Forbidden: no]'],
    [[a, b, a], '[a: Required value, b: Forbidden: no]'],
  ];
  for (const [errs, want] of cases) {
    it(want || '(empty)', () => assert.equal(fieldErrorsText(errs), want));
  }
});

describe('path helpers', () => {
  const cases: Array<[string, string]> = [
    [child('metadata', 'name'), 'metadata.name'],
    [child('', 'spec'), 'spec'],
    [child('spec', 'retry', 'limit'), 'spec.retry.limit'],
    [child(index(child('spec', 'steps'), 0), 'name'), 'spec.steps[0].name'],
    [key(child('metadata', 'labels'), 'app'), 'metadata.labels[app]'],
  ];
  for (const [got, want] of cases) it(want, () => assert.equal(got, want));
});

describe('isDNS1123Subdomain', () => {
  const good = ['a', 'ab', 'a-b', 'a.b', '0', 'a.b.c', 'build-x7k2p', `${'a'.repeat(253)}`];
  for (const v of good) it(`accepts ${v.slice(0, 20)}`, () => assert.deepEqual(isDNS1123Subdomain(v), []));
  const bad: Array<[string, string[]]> = [
    ['', [SUBDOMAIN_MSG]],
    ['Bad_Name', [SUBDOMAIN_MSG]],
    ['a-', [SUBDOMAIN_MSG]],
    ['-a', [SUBDOMAIN_MSG]],
    ['a..b', [SUBDOMAIN_MSG]],
    ['a'.repeat(254), ['must be no more than 253 characters']],
    [`${'A'.repeat(254)}`, ['must be no more than 253 characters', SUBDOMAIN_MSG]],
  ];
  for (const [v, want] of bad) it(`rejects ${JSON.stringify(v.slice(0, 20))}`, () => assert.deepEqual(isDNS1123Subdomain(v), want));
});

describe('isDNS1123Label', () => {
  const cases: Array<[string, string[]]> = [
    ['test', []],
    ['a'.repeat(63), []],
    ['a'.repeat(64), ['must be no more than 63 characters']],
    ['a.b', ['must not contain dots']],
    ['Test', [LABEL_MSG]],
    ['a_b', [LABEL_MSG]],
    ['', [LABEL_MSG]],
  ];
  for (const [v, want] of cases) it(JSON.stringify(v.slice(0, 20)), () => assert.deepEqual(isDNS1123Label(v), want));
});

describe('isQualifiedName', () => {
  const good = ['simple', 'now-with-dashes', '1-starts-with-num', '1234', 'simple/simple', 'now-with-dashes/simple',
    'example.com/Upper_Case', 'app.kubernetes.io/name', `${'a'.repeat(63)}`, `${'a'.repeat(253)}/${'b'.repeat(63)}`];
  for (const v of good) it(`accepts ${v.slice(0, 30)}`, () => assert.deepEqual(isQualifiedName(v), []));
  const bad: Array<[string, string[]]> = [
    ['', ['name part must be non-empty', `name part ${QNAME_MSG}`]],
    ['nospecialchars%^=@', [`name part ${QNAME_MSG}`]],
    ['-dash', [`name part ${QNAME_MSG}`]],
    ['/simple', ['prefix part must be non-empty']],
    ['simple/', ['name part must be non-empty', `name part ${QNAME_MSG}`]],
    ['Example.com/x', [`prefix part ${SUBDOMAIN_MSG}`]],
    ['a'.repeat(64), ['name part must be no more than 63 characters']],
    [`${'a'.repeat(254)}/x`, ['prefix part must be no more than 253 characters']],
    [
      'a/b/c',
      [`a qualified name ${QNAME_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`],
    ],
  ];
  for (const [v, want] of bad) it(`rejects ${JSON.stringify(v.slice(0, 30))}`, () => assert.deepEqual(isQualifiedName(v), want));
});

describe('isValidLabelValue', () => {
  const cases: Array<[string, string[]]> = [
    ['', []],
    ['simple', []],
    ['now-with-dashes', []],
    ['1234', []],
    ['Upper_Case.dots', []],
    ['a'.repeat(63), []],
    ['a'.repeat(64), ['must be no more than 63 characters']],
    ['nospecial%', [LABEL_VALUE_MSG]],
    ['-start', [LABEL_VALUE_MSG]],
    ['end.', [LABEL_VALUE_MSG]],
    ['a b', [LABEL_VALUE_MSG]],
  ];
  for (const [v, want] of cases) it(JSON.stringify(v.slice(0, 20)), () => assert.deepEqual(isValidLabelValue(v), want));
});

describe('nameIsDNSSubdomain / nameIsDNSLabel (generateName masking)', () => {
  const cases: Array<[string, boolean, boolean]> = [
    ['build-', true, true],
    ['build-', false, false],
    ['a-', true, true],
    ['-', true, true],
    ['Build-', true, false],
    ['build', true, true],
    ['b.-', true, true],
  ];
  for (const [name, prefix, valid] of cases) {
    it(`${name} prefix=${prefix}`, () => assert.equal(nameIsDNSSubdomain(name, prefix).length === 0, valid));
  }
  it('label variant rejects dots', () => {
    assert.deepEqual(nameIsDNSLabel('ci-', true), []);
    assert.deepEqual(nameIsDNSLabel('a.b-', true), ['must not contain dots']);
  });
});

describe('validateLabels', () => {
  it('accepts valid labels and undefined', () => {
    assert.deepEqual(validateLabels({ app: 'web', 'app.kubernetes.io/name': 'x', empty: '' }, 'metadata.labels'), []);
    assert.deepEqual(validateLabels(undefined, 'metadata.labels'), []);
  });
  it('reports keys and values at the labels path', () => {
    const errs = validateLabels({ 'bad key': 'ok', good: 'bad value' }, 'metadata.labels').map(fieldErrorText);
    assert.deepEqual(errs, [
      `metadata.labels: Invalid value: "bad key": name part ${QNAME_MSG}`,
      `metadata.labels: Invalid value: "bad value": ${LABEL_VALUE_MSG}`,
    ]);
  });
});

describe('validateAnnotations', () => {
  it('compares keys lower-cased', () => {
    assert.deepEqual(validateAnnotations({ 'Example.COM/Key': 'any value at all' }, 'metadata.annotations'), []);
  });
  it('reports a bad key', () => {
    assert.deepEqual(validateAnnotations({ 'a/b/c': 'x' }, 'metadata.annotations').map(fieldErrorText), [
      `metadata.annotations: Invalid value: "a/b/c": a qualified name ${QNAME_MSG} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ]);
  });
  it('limits the total size to 256 KiB of keys and values (bytes)', () => {
    assert.deepEqual(validateAnnotations({ a: 'x'.repeat(256 * 1024 - 1) }, 'metadata.annotations'), []);
    assert.deepEqual(validateAnnotations({ a: 'x'.repeat(256 * 1024) }, 'metadata.annotations').map(fieldErrorText), [
      'metadata.annotations: Too long: may not be more than 262144 bytes',
    ]);
    assert.equal(validateAnnotations({ a: 'é'.repeat(128 * 1024) }, 'metadata.annotations').length, 1);
  });
});

describe('go-format', () => {
  const quotes: Array<[string, string]> = [
    ['plain', '"plain"'],
    ['a"b\\c', '"a\\"b\\\\c"'],
    ['\n\t\r\u0007\u0008\u000b\u000c', '"\\n\\t\\r\\a\\b\\v\\f"'],
    ['\u0000\u001f\u007f', '"\\x00\\x1f\\x7f"'],
    ['\u0085', '"\\u0085"'],
    ['ñ → 😀', '"ñ → 😀"'],
    ['\u00a0', '"\\u00a0"'],
    ['\u200b', '"\\u200b"'],
    ['\u{e0001}', '"\\U000e0001"'],
    ['\ud800', '"\\ufffd"'],
  ];
  for (const [input, want] of quotes) it(`goQuote ${want}`, () => assert.equal(goQuote(input), want));

  const floats: Array<[number, string]> = [
    [1.5, '1.5'],
    [0.1, '0.1'],
    [1e6, '1e+06'],
    [123456, '123456'],
    [1234567.5, '1.2345675e+06'],
    [0.0001, '0.0001'],
    [0.00001, '1e-05'],
    [-2.5e-7, '-2.5e-07'],
    [1e21, '1e+21'],
    [Infinity, '+Inf'],
    [NaN, 'NaN'],
  ];
  for (const [input, want] of floats) it(`goFloat ${want}`, () => assert.equal(goFloat(input), want));

  const syntax: Array<[unknown, string]> = [
    [['All', 'x'], '[]string{"All", "x"}'],
    [[], '[]string{}'],
    [[true, 2.5, null], '[]interface {}{true, 2.5, interface {}(nil)}'],
    [{ z: 'a', a: { b: [] } }, 'map[string]interface {}{"a":map[string]interface {}{"b":[]string{}}, "z":"a"}'],
    [7, '7'],
  ];
  for (const [input, want] of syntax) it(`goSyntax ${want}`, () => assert.equal(goSyntax(input), want));
});
