import assert from 'node:assert/strict';
import { describe, it } from 'node:test';

import { isStatusError } from '../../src/apiserver/errors.js';
import { lexLabelSelector, Token } from '../../src/apiserver/label-lexer.js';
import { parseLabelSelector } from '../../src/apiserver/labels.js';

const QNAME_SHAPE =
  "must consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyName',  or 'my.name',  or '123-abc', regex used for validation is '([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9]')";
const LABEL_VALUE_SHAPE =
  "a valid label must be an empty string or consist of alphanumeric characters, '-', '_' or '.', and must start and end with an alphanumeric character (e.g. 'MyValue',  or 'my_value',  or '12345', regex used for validation is '(([A-Za-z0-9][-A-Za-z0-9_.]*)?[A-Za-z0-9])?')";

// selector_test.go TestLexerSequence / TestParserLookahead.
describe('lexLabelSelector', () => {
  const T = Token;
  const cases: Array<[string, number[]]> = [
    ['', [T.EndOfString]],
    [',', [T.Comma, T.EndOfString]],
    ['notin', [T.NotIn, T.EndOfString]],
    ['in', [T.In, T.EndOfString]],
    ['==', [T.DoubleEquals, T.EndOfString]],
    ['!', [T.DoesNotExist, T.EndOfString]],
    ['!=', [T.NotEquals, T.EndOfString]],
    ['~', [T.Identifier, T.EndOfString]],
    ['||', [T.Identifier, T.EndOfString]],
    ['key in ( value )', [T.Identifier, T.In, T.OpenPar, T.Identifier, T.ClosedPar, T.EndOfString]],
    ['key notin ( value1, value2 )', [T.Identifier, T.NotIn, T.OpenPar, T.Identifier, T.Comma, T.Identifier, T.ClosedPar, T.EndOfString]],
    ['!key', [T.DoesNotExist, T.Identifier, T.EndOfString]],
    ['x in (),y', [T.Identifier, T.In, T.OpenPar, T.ClosedPar, T.Comma, T.Identifier, T.EndOfString]],
    ['== != (), = notin', [T.DoubleEquals, T.NotEquals, T.OpenPar, T.ClosedPar, T.Comma, T.Equals, T.NotIn, T.EndOfString]],
    ['key>2', [T.Identifier, T.GreaterThan, T.Identifier, T.EndOfString]],
    ['key<1', [T.Identifier, T.LessThan, T.Identifier, T.EndOfString]],
    // Go reads a NUL as "end": it ends an identifier (and is consumed), and ends the scan when lexed first.
    ['a\u0000b', [T.Identifier, T.Identifier, T.EndOfString]],
    ['\u0000b', [T.EndOfString]],
  ];
  for (const [input, tokens] of cases) {
    it(JSON.stringify(input), () => assert.deepEqual(lexLabelSelector(input).map((i) => i.tok), tokens));
  }
});

describe('parseLabelSelector: valid selectors and their String()', () => {
  const cases: Array<[string, string]> = [
    ['', ''],
    ['x=a,y=b,z=c', 'x=a,y=b,z=c'],
    ['x!=a,y=b', 'x!=a,y=b'],
    ['x=', 'x='],
    ['x= ', 'x='],
    ['x=,z= ', 'x=,z='],
    ['!x', '!x'],
    ['x>1', 'x>1'],
    ['x>1,z<5', 'x>1,z<5'],
    ['x=a,a=x', 'a=x,x=a'],
    ['a==b', 'a==b'],
    ['\rx', 'x'],
    ['a ', 'a'],
    ['this-is-a-dns.domain.com/key-with-dash', 'this-is-a-dns.domain.com/key-with-dash'],
    ['0.1.2.domain/99 notin (10.10.100.1, tick.tack.clock)', '0.1.2.domain/99 notin (10.10.100.1,tick.tack.clock)'],
    ['foo  in\t (abc)', 'foo in (abc)'],
    ['x notin\n (abc)', 'x notin (abc)'],
    ['x in (def,abc)', 'x in (abc,def)'],
    ['x in (abc,)', 'x in (,abc)'],
    ['x in ()', 'x in ()'],
    ['x notin ( )', 'x notin ()'],
    ['x notin (, a)', 'x notin (,a)'],
    ['x in (foo,,baz),y,z notin ()', 'x in (,baz,foo),y,z notin ()'],
    ['x notin (abc,def),bar,z in (),w', 'bar,w,x notin (abc,def),z in ()'],
    ['a in (x,y,notin, z,in)', 'a in (in,notin,x,y,z)'],
    ['notin=in', 'notin=in'],
    ['x,y', 'x,y'],
  ];
  for (const [input, want] of cases) {
    it(JSON.stringify(input), () => {
      const selector = parseLabelSelector(input);
      assert.equal(selector.toString(), want);
      assert.equal(selector.empty, input === '');
    });
  }

  it('exposes sorted requirements with sorted, unique values', () => {
    assert.deepEqual(parseLabelSelector('z in (b,a,b),!y,app').requirements, [
      { key: 'app', operator: 'exists', values: [] },
      { key: 'y', operator: '!', values: [] },
      { key: 'z', operator: 'in', values: ['a', 'b'] },
    ]);
  });
});

describe('parseLabelSelector: errors are 400 BadRequest with Go\'s text', () => {
  const cases: Array<[string, string]> = [
    ['a b', "unable to parse requirement: found 'b', expected: in, notin, =, ==, !=, gt, lt"],
    ['x nott in (y)', "unable to parse requirement: found 'nott', expected: in, notin, =, ==, !=, gt, lt"],
    ['x==a==b', "found '==', expected: ',' or 'end of string'"],
    ['!x=a', "found '=', expected: ',' or 'end of string'"],
    ['a in (xyz)b notin ()', "found 'b', expected: ',' or 'end of string'"],
    ['a in (xyz),', "found '', expected: identifier after ','"],
    [',x,y', "found ',', expected: !, identifier, or 'end of string'"],
    ['(', "found '(', expected: !, identifier, or 'end of string'"],
    ['a (', "unable to parse requirement: found '(', expected: in, notin, =, ==, !=, gt, lt"],
    ['a notin(', "unable to parse requirement: found '', expected: ',', ')' or identifier"],
    ['a in (xyz abc)', "unable to parse requirement: found 'abc', expected: ',' or ')'"],
    ['a in x', "unable to parse requirement: found 'x' expected: '('"],
    ['a in (x=)', "unable to parse requirement: found '=', expected: ',' or ')'"],
    ['a in (=)', "unable to parse requirement: found '=', expected: ',', ')' or identifier"],
    ['a=(', "unable to parse requirement: found '(', expected: identifier"],
    ['!', "unable to parse requirement: found '', expected: identifier"],
    ['x<a', "unable to parse requirement: values[0]: Invalid value: \"a\": for 'Gt', 'Lt' operators, the value must be an integer"],
    ['x=a||y=b', `unable to parse requirement: values[0][x]: Invalid value: "a||y": ${LABEL_VALUE_SHAPE}`],
    ['k=a$', `unable to parse requirement: values[0][k]: Invalid value: "a$": ${LABEL_VALUE_SHAPE}`],
    [
      'x>a$',
      `unable to parse requirement: [values[0]: Invalid value: "a$": for 'Gt', 'Lt' operators, the value must be an integer, values[0][x]: Invalid value: "a$": ${LABEL_VALUE_SHAPE}]`,
    ],
    [
      'a/b/c',
      `unable to parse requirement: <nil>: Invalid value: "a/b/c": a qualified name ${QNAME_SHAPE} with an optional DNS subdomain prefix and '/' (e.g. 'example.com/MyName')`,
    ],
    ['-x', `unable to parse requirement: <nil>: Invalid value: "-x": name part ${QNAME_SHAPE}`],
    ['/x', 'unable to parse requirement: <nil>: Invalid value: "/x": prefix part must be non-empty'],
    [
      `${'a'.repeat(64)}=b`,
      `unable to parse requirement: <nil>: Invalid value: "${'a'.repeat(64)}": name part must be no more than 63 characters`,
    ],
    ['=x', "found '=', expected: !, identifier, or 'end of string'"],
  ];
  for (const [input, message] of cases) {
    it(JSON.stringify(input), () => {
      assert.throws(
        () => parseLabelSelector(input),
        (e: unknown) => isStatusError(e) && e.status.code === 400 && e.status.reason === 'BadRequest' && e.message === message,
      );
    });
  }
});

// selector_test.go TestSelectorMatches / TestRequirementSelectorMatching.
describe('LabelSelector.matches', () => {
  const cases: Array<[string, Record<string, string> | undefined, boolean]> = [
    ['', { x: 'y' }, true],
    ['', undefined, true],
    ['x=y', { x: 'y' }, true],
    ['x=y,z=w', { x: 'y', z: 'w' }, true],
    ['x!=y,z!=w', { x: 'z', z: 'a' }, true],
    ['notin=in', { notin: 'in' }, true],
    ['x', { x: 'z' }, true],
    ['!x', { y: 'z' }, true],
    ['x>1', { x: '2' }, true],
    ['x<1', { x: '0' }, true],
    ['x<1', { x: '-5' }, true],
    ['x=z', {}, false],
    ['x=z', undefined, false],
    ['x=y', { x: 'z' }, false],
    ['x=y,z=w', { x: 'w', z: 'w' }, false],
    ['x!=y,z!=w', { x: 'z', z: 'w' }, false],
    ['x', { y: 'z' }, false],
    ['!x', { x: 'z' }, false],
    ['x>1', { x: '0' }, false],
    ['x<1', { x: '2' }, false],
    ['x>1', { x: 'v2' }, false],
    ['x>1', {}, false],
    ['x in (foo),y notin (alpha)', { x: 'foo', y: 'baz' }, true],
    ['x in (foo),y in (alpha)', { x: 'foo', y: 'baz' }, false],
    ['x notin (),y', { y: '' }, true],
    ['!x,y', { y: '' }, true],
    ['x notin (),!y', { y: '' }, false],
    ['x in ()', { y: 'baz' }, false],
    ['x in ()', { x: '' }, true],
    ['x!=a', {}, true],
    ['x=', { x: '' }, true],
    ['constructor', {}, false],
    ['foo=bar,foobar=bar,baz=blah', { foo: 'bar', baz: 'blah' }, false],
  ];
  for (const [selector, labels, want] of cases) {
    it(`${JSON.stringify(selector)} on ${JSON.stringify(labels)}`, () => {
      assert.equal(parseLabelSelector(selector).matches(labels), want);
    });
  }
});
