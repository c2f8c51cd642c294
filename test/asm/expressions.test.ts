// Expressions: C precedence, unsigned 32-bit wrap after every operation,
// literals of every base, characters with escapes (g32-isa.md §8).

import * as assert from 'node:assert/strict';
import { bytesOf, errorsOf, words } from './harness';

/** The value of one expression, through `.word`. */
function valueOf(expression: string): number {
  const bytes = bytesOf(`.word ${expression}\n`);
  return (bytes[0] | (bytes[1] << 8) | (bytes[2] << 16) | (bytes[3] << 24)) >>> 0;
}

describe('asm: expressions', () => {
  const cases: Array<[string, number]> = [
    ['1 + 2 * 3', 7],
    ['(1 + 2) * 3', 9],
    ['10 - 4 - 3', 3],
    ['100 / 10 / 5', 2],
    ['17 % 5', 2],
    ['1 << 2 + 1', 8],
    ['1 | 2 ^ 3 & 1', 1 | (2 ^ (3 & 1))],
    ['6 & 3 ^ 1', (6 & 3) ^ 1],
    ['1 | 6 & 3', 1 | (6 & 3)],
    ['0xF0 >> 4 << 1', 0x1e],
    ['-8/2', 0x7ffffffc],
    ['-1', 0xffffffff],
    ['~0', 0xffffffff],
    ['-~0', 1],
    ['~-1', 0],
    ['- -5', 5],
    ['+5', 5],
    ['0xFFFFFFFF + 2', 1],
    ['0 - 1', 0xffffffff],
    ['0x10000 * 0x10000', 0],
    ['0x80000000 >> 31', 1],
    ['-1 >> 28', 0xf],
    ['1 << 33', 2],
    ['1 << 32', 1],
    ['16 >> 36', 1],
    ['-7 / 2', 0x7ffffffc],
    ['-1 % 10', 5],
    ['0b1010', 10],
    ['0B11', 3],
    ['0x1f', 31],
    ['0XAB', 0xab],
    ['4294967295', 0xffffffff],
    ["'a'", 97],
    ["'a' + 1", 98],
    ["'\\n'", 10],
    ["'\\t'", 9],
    ["'\\\\'", 92],
    ["'\\''", 39],
    ["'\\\"'", 34],
    ["'\\0'", 0],
    ["';'", 59],
    ["'#'", 35],
    ["'\"'", 34],
  ];
  for (const [expression, expected] of cases) {
    it(`${expression} = 0x${expected.toString(16)}`, () => assert.equal(valueOf(expression), expected));
  }

  it('uses labels and .equ names, forward references included', () => {
    assert.deepEqual(bytesOf('.word later - 4, K * 2\n.equ K, later + 1\nlater:\n'), words(4, 18));
  });

  it('rejects a literal above 0xFFFFFFFF', () => {
    assert.deepEqual(errorsOf('.word 4294967296\n'), ["input.g32:2:7: error: expected a number at most 0xFFFFFFFF, found '4294967296'"]);
    assert.deepEqual(errorsOf('.word 0x100000000\n'), ["input.g32:2:7: error: expected a number at most 0xFFFFFFFF, found '0x100000000'"]);
  });

  it('rejects division and modulo by zero', () => {
    assert.deepEqual(errorsOf('.word 1 / 0\n.word 5 % (2 - 2)\n'), ['input.g32:2:11: error: expected a non-zero divisor, found 0', 'input.g32:3:12: error: expected a non-zero modulus, found 0']);
  });

  it('rejects division by zero hidden in an .equ once, on its line', () => {
    assert.deepEqual(errorsOf('.equ Z, 0\n.equ Q, 4 / Z\n.word Q, Q\n'), ['input.g32:3:13: error: expected a non-zero divisor, found 0']);
  });

  it('rejects malformed numbers and characters', () => {
    assert.deepEqual(errorsOf(".word 12ab\n.word 0x\n.word 0b12\n.word 'ab'\n.word ''\n.word '\\q'\n"), [
      "input.g32:2:7: error: expected a number, found '12ab'",
      "input.g32:3:7: error: expected hexadecimal digits after '0x', found '0x'",
      "input.g32:4:7: error: expected binary digits after '0b', found '0b12'",
      "input.g32:5:7: error: expected one ASCII character or escape between quotes, found 'ab'",
      "input.g32:6:7: error: expected one ASCII character or escape between quotes, found ''",
      "input.g32:7:8: error: expected an escape (\\n \\t \\\\ \\' \\\" \\0), found '\\q'",
    ]);
  });

  it('rejects registers and unbalanced parentheses', () => {
    assert.deepEqual(errorsOf('mov r1, r2 + 1\n.word (1 + 2\n.word 1 +\n.word pc\n'), [
      "input.g32:2:12: error: expected ',' or end of line, found '+'",
      "input.g32:3:13: error: expected ')', found end of line",
      'input.g32:4:10: error: expected an expression, found end of line',
      "input.g32:5:7: error: expected an expression (a register name is not a value), found 'pc'",
    ]);
  });
});
