import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { lineSplitter, MAX_LINE_BYTES } from '../../src/worker/line-splitter.js';

type Piece = [text: string, partial: boolean];

function split(chunks: (string | Buffer)[], maxLineBytes?: number): Piece[] {
  const pieces: Piece[] = [];
  const splitter = lineSplitter((line, partial) => pieces.push([line.toString('latin1'), partial]), maxLineBytes);
  for (const chunk of chunks) splitter.push(typeof chunk === 'string' ? Buffer.from(chunk, 'latin1') : chunk);
  splitter.end();
  return pieces;
}

/** Rebuilds the original bytes: '\n' after every full piece. */
const rejoin = (pieces: Piece[]): string => pieces.map(([text, partial]) => (partial ? text : `${text}\n`)).join('');

describe('lineSplitter', () => {
  test('splits a chunk into full lines, keeping empty lines and \\r', () => {
    assert.deepEqual(split(['a\n\nb\r\n']), [
      ['a', false],
      ['', false],
      ['b\r', false],
    ]);
  });

  test('joins a line spread over chunks', () => {
    assert.deepEqual(split(['he', 'llo\nwor', 'ld', '\n']), [
      ['hello', false],
      ['world', false],
    ]);
  });

  test('flushes a last line without newline as partial at end, once', () => {
    const pieces: Piece[] = [];
    const splitter = lineSplitter((line, partial) => pieces.push([line.toString(), partial]));
    splitter.push(Buffer.from('x\ny'));
    assert.deepEqual(pieces, [['x', false]]);
    splitter.end();
    splitter.end();
    assert.deepEqual(pieces, [
      ['x', false],
      ['y', true],
    ]);
  });

  test('emits nothing at end when the input ended with a newline', () => {
    assert.deepEqual(split(['a\n']), [['a', false]]);
    assert.deepEqual(split([]), []);
  });

  test('a line of exactly 64 KiB stays whole', () => {
    assert.equal(MAX_LINE_BYTES, 65_536);
    const pieces = split([`${'a'.repeat(MAX_LINE_BYTES)}\n`]);
    assert.deepEqual(pieces, [['a'.repeat(MAX_LINE_BYTES), false]]);
  });

  test('longer lines are cut into pieces of at most 64 KiB', () => {
    const long = `${'b'.repeat(MAX_LINE_BYTES)}c`;
    assert.deepEqual(split([`${long}\n`]), [
      ['b'.repeat(MAX_LINE_BYTES), true],
      ['c', false],
    ]);
    const huge = 'z'.repeat(3 * MAX_LINE_BYTES + 5);
    const pieces = split([huge.slice(0, 1000), huge.slice(1000)]);
    assert.deepEqual(
      pieces.map(([text, partial]) => [text.length, partial]),
      [
        [MAX_LINE_BYTES, true],
        [MAX_LINE_BYTES, true],
        [MAX_LINE_BYTES, true],
        [5, true],
      ],
    );
  });

  test('any chunking gives pieces within the limit that rebuild the input exactly', () => {
    let seed = 42;
    const random = (n: number): number => {
      seed = (seed * 1_103_515_245 + 12_345) % 2 ** 31;
      return seed % n;
    };
    const alphabet = 'ab\n\r\n';
    const input = Array.from({ length: 5000 }, () => alphabet[random(alphabet.length)]).join('');
    for (const max of [1, 3, 7, 64]) {
      const chunks: string[] = [];
      for (let at = 0; at < input.length; ) {
        const size = 1 + random(20);
        chunks.push(input.slice(at, at + size));
        at += size;
      }
      const pieces = split(chunks, max);
      assert.equal(rejoin(pieces), input);
      assert.ok(pieces.every(([text]) => text.length <= max));
      assert.ok(pieces.every(([text, partial]) => !partial || text.length > 0));
    }
  });

  test('rejects a limit below one byte', () => {
    assert.throws(() => lineSplitter(() => undefined, 0), RangeError);
  });
});
