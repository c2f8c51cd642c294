// Every kind of assembly error: its position, its "expected …, found …"
// message, that all of a file's errors are reported, and that no image is built.

import * as assert from 'node:assert/strict';
import { assembleText, formatDiagnostic } from '../../src/asm';
import { errorsOf } from './harness';

describe('asm: errors', () => {
  it('operand shapes that match no form', () => {
    assert.deepEqual(errorsOf('mov [r1], r2\nmov r1, [r2]\nmov cr3, 5\nmov r1, pc\nld r1, r2\nst r1, [r2]\nin r1, r2\nout r1, 0x60\npush [r1]\njmp [r1]\ninvlpg 5\nmov evt, evt\n'), [
      "input.g32:2:5: error: expected a register, 'cr3', 'evt' or 'ksp', found memory operand '[r1]'",
      "input.g32:3:9: error: expected a register, an immediate, 'cr3', 'evt' or 'ksp', found memory operand '[r2]'",
      "input.g32:4:10: error: expected a register, found immediate '5'",
      "input.g32:5:9: error: expected a register, an immediate, 'cr3', 'evt' or 'ksp', found 'pc'",
      "input.g32:6:8: error: expected a memory operand, found register 'r2'",
      "input.g32:7:4: error: expected a memory operand, found register 'r1'",
      "input.g32:8:8: error: expected an immediate, found register 'r2'",
      "input.g32:9:5: error: expected an immediate, found register 'r1'",
      "input.g32:10:6: error: expected a register or an immediate, found memory operand '[r1]'",
      "input.g32:11:5: error: expected a register or an immediate, found memory operand '[r1]'",
      "input.g32:12:8: error: expected a register, found immediate '5'",
      "input.g32:13:10: error: expected a register, found 'evt'",
    ]);
  });

  it('wrong operand counts', () => {
    assert.deepEqual(errorsOf('add r1\nret r1\nnot r1, r2, r3\npush\n'), [
      "input.g32:2:7: error: expected 2 operands for 'add', found 1",
      "input.g32:3:5: error: expected no operands for 'ret', found 1",
      "input.g32:4:9: error: expected 1 operand for 'not', found 3",
      "input.g32:5:5: error: expected 1 operand for 'push', found 0",
    ]);
  });

  it('syntax errors', () => {
    assert.deepEqual(errorsOf('frob r1\nmov r1 r2\nmov r1,\nld r1, [r2 * 4]\nld r1, [r2 + 4\nld r1, [pc]\n, nop\nmov r1, 1 2\n.word "s"\n.ascii 5\nloop\n'), [
      "input.g32:2:1: error: expected an instruction, a directive or a label followed by ':', found 'frob'",
      "input.g32:3:8: error: expected ',' or end of line, found 'r2'",
      'input.g32:4:8: error: expected an expression, found end of line',
      "input.g32:5:12: error: expected '+', '-' or ']', found '*'",
      "input.g32:6:15: error: expected ']', found end of line",
      "input.g32:7:9: error: expected a general register (r0-r15, sp) or an address expression, found 'pc'",
      "input.g32:8:1: error: expected a label, instruction or directive, found ','",
      "input.g32:9:11: error: expected ',' or end of line, found '2'",
      'input.g32:10:7: error: expected an expression, found "s"',
      "input.g32:11:8: error: expected a string in double quotes, found '5'",
      "input.g32:12:1: error: expected an instruction, a directive or a label followed by ':', found 'loop'",
    ]);
  });

  it('unterminated strings and characters', () => {
    assert.deepEqual(errorsOf('.ascii "abc\n.byte \'a\n'), ['input.g32:2:8: error: expected closing ", found end of line', "input.g32:3:7: error: expected closing ', found end of line"]);
  });

  it('reports every error of a file, and builds no image', () => {
    const result = assembleText('_start: mov r1, nowhere\nbad\n.byte 300\n  add r1\n.align 3\n');
    assert.equal(result.image, undefined);
    assert.equal(result.diagnostics.length, 5);
    assert.deepEqual(
      result.diagnostics.map((d) => d.line),
      [1, 2, 3, 4, 5],
    );
  });

  it('diagnostics carry a 1-based range with an exclusive end', () => {
    const [diagnostic] = assembleText('_start:  jmp  far_away\n').diagnostics;
    assert.deepEqual(diagnostic, {
      file: 'input.g32',
      line: 1,
      column: 15,
      endLine: 1,
      endColumn: 23,
      severity: 'error',
      message: "expected a defined label or .equ name, found 'far_away'",
    });
    assert.equal(formatDiagnostic(diagnostic), "input.g32:1:15: error: expected a defined label or .equ name, found 'far_away'");
  });

  it('every message reads "expected …, found …"', () => {
    const source = 'x: x: nop\nmov r1\nfoo\n.org 0\n.org missing\n.word 1/0\n.byte -200\n.align 5\n.space 1, 999\n.equ r2, 1\n.entry x\n.entry x\n.include "none"\n.word 0x1ffffffff\n';
    for (const diagnostic of assembleText(source).diagnostics) assert.match(diagnostic.message, /^expected .+, found .+/);
  });

  it('an instruction with a bad operand keeps its size so later addresses stay right', () => {
    const result = assembleText('_start: mov [r1], 5\nafter: nop\nbogus r1\nlast: nop\n');
    assert.deepEqual(
      result.symbols.map((s) => [s.name, s.value]),
      [
        ['_start', 0],
        ['after', 8],
        ['last', 12],
      ],
    );
  });

  it('tabs count as one column', () => {
    assert.deepEqual(errorsOf('\tjmp\tnowhere\n'), ["input.g32:2:6: error: expected a defined label or .equ name, found 'nowhere'"]);
  });

  it('handles CRLF line endings', () => {
    assert.deepEqual(errorsOf('nop\r\n  jmp nowhere\r\n'), ["input.g32:3:7: error: expected a defined label or .equ name, found 'nowhere'"]);
  });

  it('never throws on odd input', () => {
    for (const source of ['', '\0', '[[[', '.equ', ': : :', '"', "'", '.org -1', '~~~~~', 'mov ,,,', '\u00e9t\u00e9: nop', '.ascii "\u00e9"']) {
      assert.doesNotThrow(() => assembleText(source));
    }
  });
});
