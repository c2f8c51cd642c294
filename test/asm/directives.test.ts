// Every directive of g32-isa.md §2 and the rules §8 adds to them.

import * as assert from 'node:assert/strict';
import { assembleText } from '../../src/asm';
import { assertClean, bytesOf, errorsOf, flatten, words } from './harness';

describe('asm: directives', () => {
  it('.word emits little-endian words', () => {
    assert.deepEqual(bytesOf('.word 0x11223344, -1\n'), [0x44, 0x33, 0x22, 0x11, 0xff, 0xff, 0xff, 0xff]);
  });

  it('.byte accepts 0..255 and -128..-1', () => {
    assert.deepEqual(bytesOf(".byte 0, 255, -1, -128, 'A'\n"), [0, 255, 255, 0x80, 65]);
    assert.deepEqual(bytesOf('.byte 0xFFFFFF80\n'), [0x80]);
  });

  it('.byte rejects other values, at each bad value', () => {
    assert.deepEqual(errorsOf('.byte 1, 256, -129, 0xFFFFFF7F\n'), [
      'input.g32:2:10: error: expected a byte value (0 to 255, or -128 to -1), found 256',
      'input.g32:2:15: error: expected a byte value (0 to 255, or -128 to -1), found -129',
      'input.g32:2:21: error: expected a byte value (0 to 255, or -128 to -1), found -129',
    ]);
  });

  it('.ascii and .asciz with escapes; comment characters inside strings are text', () => {
    assert.deepEqual(bytesOf('.ascii "a;b#c"\n'), [...Buffer.from('a;b#c')]);
    assert.deepEqual(bytesOf('.asciz "hi\\n\\t\\\\\\"\\\'\\0"   ; done\n'), [104, 105, 10, 9, 92, 34, 39, 0, 0]);
    assert.deepEqual(bytesOf('.asciz "a", "b"\n'), [97, 0, 98, 0]);
    assert.deepEqual(bytesOf('.ascii ""\nnop\n'), words(0x51));
  });

  it('.space reserves bytes with an optional fill', () => {
    assert.deepEqual(bytesOf('.space 3\n.space 2, 0xAB\n.space 1, -1\n.space 0\n'), [0, 0, 0, 0xab, 0xab, 0xff]);
  });

  it('.space rejects a fill outside a byte', () => {
    assert.deepEqual(errorsOf('.space 2, 300\n'), ['input.g32:2:11: error: expected a byte value (0 to 255, or -128 to -1), found 300']);
  });

  it('.align pads with zeros to a power of two', () => {
    assert.deepEqual(bytesOf('.byte 1\n.align 4\n.byte 2\n.align 1\n.byte 3\n.align 8\n.byte 4\n'), [1, 0, 0, 0, 2, 3, 0, 0, 4]);
    assert.deepEqual(bytesOf('.align 16\n.byte 5\n'), [5]);
  });

  it('.align rejects zero and non-powers of two', () => {
    assert.deepEqual(errorsOf('.align 3\n.align 0\n'), ['input.g32:2:8: error: expected a power of two, found 3', 'input.g32:3:8: error: expected a power of two, found 0']);
  });

  it('.org moves forward and leaves a gap between chunks', () => {
    const result = assembleText('_start: nop\n.org 0x100\n.word 7\n.org 0x104\n.byte 1\n');
    assertClean(result);
    assert.deepEqual(
      result.image!.chunks.map((c) => [c.address, [...c.bytes]]),
      [
        [0, words(0x51)],
        [0x100, [...words(7), 1]],
      ],
    );
    assert.equal(result.image!.end, 0x105);
    assert.equal(flatten(result).length, 0x105);
  });

  it('.org places code at its address, and code may start above 0', () => {
    const result = assembleText('.org 0x1000\n_start: jmp _start\n');
    assertClean(result);
    assert.deepEqual(
      result.image!.chunks.map((c) => [c.address, [...c.bytes]]),
      [[0x1000, words(0x40, 0x1000)]],
    );
    assert.equal(result.image!.entry, 0x1000);
  });

  it('.org may not move backward', () => {
    assert.deepEqual(errorsOf('.word 1, 2\n.org 4\n'), ['input.g32:3:6: error: expected an address at or after 0x8 (.org only moves forward), found 0x4']);
  });

  it('.org, .align and .space need names defined on earlier lines', () => {
    assert.deepEqual(bytesOf('.equ BASE, 0x10\n.equ SIZE, BASE / 8\n.org BASE\n.space SIZE, SIZE\n.align SIZE * 2\n.byte 9\n').slice(0x10), [2, 2, 0, 0, 9]);
    assert.deepEqual(errorsOf('.org later\n.space N\n.equ A, later\n.align A\nlater: .equ N, 4\n'), [
      "input.g32:2:6: error: expected a name defined on an earlier line (.org, .align and .space need their values at once), found 'later'",
      "input.g32:3:8: error: expected a name defined on an earlier line (.org, .align and .space need their values at once), found 'N'",
      "input.g32:5:8: error: expected a name defined on an earlier line (.org, .align and .space need their values at once), found 'A' (it uses 'later', defined later)",
    ]);
  });

  it('.org of an undefined name says it is undefined', () => {
    assert.deepEqual(errorsOf('.org nowhere\n'), ["input.g32:2:6: error: expected a defined label or .equ name, found 'nowhere'"]);
  });

  it('.equ defines a name usable before and after it', () => {
    const result = assembleText('_start: mov r1, COUNT\n.equ COUNT, 3 + 4\nmov r2, COUNT\n');
    assertClean(result);
    assert.deepEqual(flatten(result), [...words(0x102, 7), ...words(0x202, 7)]);
    assert.deepEqual(
      result.symbols.find((s) => s.name === 'COUNT'),
      { name: 'COUNT', displayName: 'COUNT', kind: 'equ', value: 7, file: 'input.g32', line: 2, column: 6, endColumn: 11 },
    );
  });

  it('.equ cycles are errors', () => {
    assert.deepEqual(errorsOf('.equ A, B + 1\n.equ B, A\n'), ["input.g32:3:9: error: expected a value that does not depend on itself, found 'A' (circular .equ)"]);
  });

  it('.entry names the entry point, otherwise _start', () => {
    assert.equal(assembleText('nop\nmain: nop\n.entry main\n').image!.entry, 4);
    assert.equal(assembleText('nop\n_start: nop\n').image!.entry, 4);
    assert.equal(assembleText('_start: nop\nmain: nop\n.entry main\n').image!.entry, 4);
  });

  it('no entry is an error at the end of the main file', () => {
    const result = assembleText('main: nop\n  ret');
    assert.equal(result.image, undefined);
    assert.deepEqual(result.diagnostics, [
      { file: 'input.g32', line: 2, column: 6, endLine: 2, endColumn: 6, message: "expected a '_start' label or '.entry LABEL', found end of file", severity: 'error' },
    ]);
  });

  it('.entry twice, or of an undefined name, is an error', () => {
    assert.deepEqual(errorsOf('a: .entry a\n.entry a\n.entry missing\n', { withEntry: false }), [
      'input.g32:2:1: error: expected one .entry, found another (the first is at input.g32:1)',
      'input.g32:3:1: error: expected one .entry, found another (the first is at input.g32:1)',
    ]);
    assert.deepEqual(errorsOf('.entry missing\n', { withEntry: false }), ["input.g32:1:8: error: expected a defined label or .equ name, found 'missing'"]);
  });

  it('directives are case-insensitive', () => {
    assert.deepEqual(bytesOf('.WORD 1\n.Byte 2\n'), [1, 0, 0, 0, 2]);
  });

  it('unknown directives are errors', () => {
    assert.deepEqual(errorsOf('.data 4\n'), [
      "input.g32:2:1: error: expected a directive (.org .align .word .byte .ascii .asciz .space .equ .entry .include) or a label followed by ':', found '.data'",
    ]);
  });

  it('output may not pass 0xFFFFFFFF', () => {
    assert.deepEqual(errorsOf('.org 0xFFFFFFFC\n.word 1\n.byte 1\n.byte 2\n'), ['input.g32:4:1: error: expected output to end at or below address 0xffffffff, found 1 bytes at 0x100000000']);
    const result = assembleText('_start:\n.org 0xFFFFFFFC\n.word 1\n');
    assertClean(result);
    assert.equal(result.image!.end, 0x1_0000_0000);
  });

  it('a huge .space is an error, not an allocation', () => {
    assert.match(errorsOf('.space 0xFFFFFFF0\n')[0], /^input\.g32:2:1: error: expected at most 16777216 bytes of output in total/);
  });
});
