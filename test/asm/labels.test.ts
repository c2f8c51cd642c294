// Labels: global and local scope, case sensitivity, reserved names,
// duplicates, and the symbol and reference lists the language server reads.

import * as assert from 'node:assert/strict';
import { assembleText } from '../../src/asm';
import { assertClean, bytesOf, errorsOf, words } from './harness';

describe('asm: labels', () => {
  it('local labels belong to the last global label', () => {
    const source = 'first: nop\n.loop: jmp .loop\nsecond: nop\n.loop: jmp .loop\njmp first.loop\n';
    assert.deepEqual(bytesOf(source), [...words(0x51), ...words(0x40, 4), ...words(0x51), ...words(0x40, 0x10), ...words(0x40, 4)]);
  });

  it('a local label on the same line as a global label belongs to it', () => {
    const result = assembleText('_start: nop\nmain: jmp .x\n.x: nop\n');
    assertClean(result);
    assert.deepEqual(
      result.symbols.map((s) => [s.name, s.displayName, s.kind, s.value]),
      [
        ['_start', '_start', 'label', 0],
        ['main', 'main', 'label', 4],
        ['main.x', '.x', 'local-label', 12],
      ],
    );
  });

  it('labels are case-sensitive', () => {
    assert.deepEqual(bytesOf('Loop: nop\nloop: nop\njmp Loop\njmp loop\n').slice(8), [...words(0x40, 0), ...words(0x40, 4)]);
  });

  it('several labels may share an address and a line', () => {
    assert.deepEqual(bytesOf('nop\na: b: nop\njmp b\n').slice(8), words(0x40, 4));
  });

  it('labels may contain dots, digits and underscores', () => {
    assert.deepEqual(bytesOf('nop\nx_1.y: nop\njmp x_1.y\n').slice(8), words(0x40, 4));
  });

  it('duplicate labels are errors naming the first definition', () => {
    assert.deepEqual(errorsOf('a: nop\na: nop\n.x: nop\n.x: nop\n'), [
      "input.g32:3:1: error: expected a new name, found 'a' (already defined at input.g32:2:1)",
      "input.g32:5:1: error: expected a new name, found '.x' (already defined at input.g32:4:1)",
    ]);
    assert.deepEqual(errorsOf('N: nop\n.equ N, 1\n'), ["input.g32:3:6: error: expected a new name, found 'N' (already defined at input.g32:2:1)"]);
  });

  it('register names and mnemonics are reserved, in any case', () => {
    assert.deepEqual(errorsOf('r1: nop\nSP: nop\npc: nop\nflags: nop\ncr3: nop\nevt: nop\nksp: nop\nMov: nop\nje: nop\n.equ add, 1\n.word: nop\n'), [
      "input.g32:2:1: error: expected a label name, found register 'r1' (reserved)",
      "input.g32:3:1: error: expected a label name, found register 'SP' (reserved)",
      "input.g32:4:1: error: expected a label name, found register 'pc' (reserved)",
      "input.g32:5:1: error: expected a label name, found register 'flags' (reserved)",
      "input.g32:6:1: error: expected a label name, found register 'cr3' (reserved)",
      "input.g32:7:1: error: expected a label name, found register 'evt' (reserved)",
      "input.g32:8:1: error: expected a label name, found register 'ksp' (reserved)",
      "input.g32:9:1: error: expected a label name, found mnemonic 'Mov' (reserved)",
      "input.g32:10:1: error: expected a label name, found mnemonic 'je' (reserved)",
      "input.g32:11:6: error: expected a name (mnemonic names are reserved), found 'add'",
      "input.g32:12:1: error: expected a label name, found directive '.word' (reserved)",
    ]);
  });

  it('r16 and other near-register names are ordinary labels', () => {
    assert.deepEqual(bytesOf('r16: nop\nspx: jmp r16\n').slice(4), words(0x40, 0));
  });

  it('an undefined local label is reported as written', () => {
    assert.deepEqual(errorsOf('jmp .nowhere\n'), ["input.g32:2:5: error: expected a defined label or .equ name, found '.nowhere'"]);
  });

  it('references list every use and definition with full names', () => {
    const result = assembleText('_start: jmp .l\n.l: mov r1, K\n.equ K, _start\n');
    assertClean(result);
    assert.deepEqual(
      result.references.map((r) => [r.symbol, r.line, r.column, r.endColumn, r.isDefinition]),
      [
        ['_start', 1, 1, 7, true],
        ['_start.l', 1, 13, 15, false],
        ['_start.l', 2, 1, 3, true],
        ['K', 2, 13, 14, false],
        ['K', 3, 6, 7, true],
        ['_start', 3, 9, 15, false],
      ],
    );
  });

  it('symbols and references survive errors elsewhere', () => {
    const result = assembleText('_start: bogus\nok: jmp ok\n');
    assert.equal(result.image, undefined);
    assert.deepEqual(
      result.symbols.map((s) => s.name),
      ['_start', 'ok'],
    );
    assert.equal(result.references.length, 3);
  });
});
