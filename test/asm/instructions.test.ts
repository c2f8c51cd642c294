// Every instruction form of isa.ts assembles to the bytes the table implies
// and disassembles back to the same text; operand syntax alone picks the form.

import * as assert from 'node:assert/strict';
import { INSTRUCTIONS, MNEMONIC_ALIASES, OpInfo, OperandKind } from '../../src/machine/isa';
import { assembleText, disassembleAt } from '../../src/asm';
import { bytesOf, imageReader, words, ENTRY } from './harness';

const REG_A = 3;
const REG_B = 7;
const VALUE = 0x12345678;

function sampleOperand(kind: OperandKind, info: OpInfo): string {
  switch (kind) {
    case 'ra':
      return `r${REG_A}`;
    case 'rb':
      return `r${REG_B}`;
    case 'imm':
      return `0x${VALUE.toString(16)}`;
    case 'mem':
      if (info.mem === 'reg') return `[r${REG_B}]`;
      if (info.mem === 'disp') return `[r${REG_B} + 0x${VALUE.toString(16)}]`;
      return `[0x${VALUE.toString(16)}]`;
    default:
      return kind;
  }
}

function sampleText(info: OpInfo): string {
  const operands = info.operands.map((kind) => sampleOperand(kind, info));
  return operands.length ? `${info.mnemonic} ${operands.join(', ')}` : info.mnemonic;
}

function expectedBytes(info: OpInfo): number[] {
  const word0 = info.op | (info.usesA ? REG_A << 8 : 0) | (info.usesB ? REG_B << 12 : 0);
  return info.length === 8 ? words(word0, VALUE) : words(word0);
}

describe('asm: instruction forms', () => {
  for (const info of INSTRUCTIONS) {
    const text = sampleText(info);
    it(`${text} (opcode 0x${info.op.toString(16)})`, () => {
      assert.deepEqual(bytesOf(`  ${text}\n`), expectedBytes(info));
      const result = assembleText(`${ENTRY}  ${text}\n`);
      const back = disassembleAt(0, imageReader(result));
      assert.equal(back.text, text);
      assert.equal(back.length, info.length);
      assert.equal(back.isValid, true);
      assert.deepEqual(back.bytes, expectedBytes(info));
    });
  }

  it('accepts every mnemonic alias', () => {
    for (const [alias, canonical] of Object.entries(MNEMONIC_ALIASES)) {
      assert.deepEqual(bytesOf(`${alias} 0x40\n`), bytesOf(`${canonical} 0x40\n`));
    }
  });

  it('reads mnemonics and registers in any case', () => {
    assert.deepEqual(bytesOf('MOV R1, R2\nAdd Sp, 4\nMOV CR3, r1\nmov r2, EVT\nJE 0\n'), bytesOf('mov r1, r2\nadd r15, 4\nmov cr3, r1\nmov r2, evt\njz 0\n'));
  });

  it('sp is r15', () => {
    assert.deepEqual(bytesOf('push sp\n'), bytesOf('push r15\n'));
  });

  it('sizes follow syntax: [r1] is 4 bytes, [r1+0] and [r1-0] are 8, [expr] is 8', () => {
    assert.equal(bytesOf('ld r1, [r2]\n').length, 4);
    assert.equal(bytesOf('ld r1, [r2+0]\n').length, 8);
    assert.equal(bytesOf('ld r1, [r2-0]\n').length, 8);
    assert.equal(bytesOf('ld r1, [0]\n').length, 8);
    assert.equal(bytesOf('mov r1, 0\n').length, 8);
    assert.equal(bytesOf('mov r1, r2\n').length, 4);
    assert.equal(bytesOf('mov cr3, r1\nmov r1, ksp\n').length, 8);
  });

  it('negative displacements wrap and disassemble as subtraction', () => {
    const bytes = bytesOf('ld r1, [r2 - 4]\n');
    assert.deepEqual(bytes, words(0x04 | (1 << 8) | (2 << 12), 0xfffffffc));
    const result = assembleText(`${ENTRY}ld r1, [r2 - 4]\n`);
    assert.equal(disassembleAt(0, imageReader(result)).text, 'ld r1, [r2 - 0x4]');
  });

  it('a displacement continues with C precedence after the sign', () => {
    assert.deepEqual(bytesOf('ld r1, [r2 - 4 + 2]\n').slice(4), words(0xfffffffe));
    assert.deepEqual(bytesOf('ld r1, [r2 + 2 * 3]\n').slice(4), words(6));
    assert.deepEqual(bytesOf('ld r1, [r2 + (1 << 4)]\n').slice(4), words(16));
  });

  it('store puts the data register in field a and the base in field b', () => {
    assert.deepEqual(bytesOf('st [r2 + 8], r1\n'), words(0x0a | (1 << 8) | (2 << 12), 8));
  });

  it('jump and call targets are absolute addresses', () => {
    assert.deepEqual(bytesOf('nop\nhere: jmp here\ncall here\n').slice(4), [...words(0x40, 4), ...words(0x4e, 4)]);
  });

  it('imposes no alignment on instructions', () => {
    assert.deepEqual(bytesOf('.byte 1\nnop\n'), [1, ...words(0x51)]);
  });
});
