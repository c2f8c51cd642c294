// The disassembler: undefined encodings as `.word`, unreadable memory,
// symbol comments, ranges, and the listing printed by `hyperstep asm --listing`.

import * as assert from 'node:assert/strict';
import { assembleText, disassembleAt, disassembleRange, formatInstr, listing } from '../../src/asm';
import { decode } from '../../src/machine/decode';
import { words } from './harness';

function reader(bytes: number[]): (address: number) => number | undefined {
  return (address) => bytes[address];
}

describe('asm: disassembler', () => {
  it('shows an undefined opcode as .word', () => {
    assert.deepEqual(disassembleAt(0, reader(words(0x000000ff))), { address: 0, length: 4, text: '.word 0x000000ff', isValid: false, bytes: [0xff, 0, 0, 0] });
    assert.equal(disassembleAt(0, reader(words(0))).text, '.word 0x00000000');
  });

  it('shows a defined opcode with non-zero unused fields or reserved bits as .word', () => {
    assert.equal(disassembleAt(0, reader(words(0x50 | (1 << 8)))).text, '.word 0x00000150');
    assert.equal(disassembleAt(0, reader(words(0x51 | (1 << 16)))).text, '.word 0x00010051');
  });

  it('shows an 8-byte instruction whose second word is unreadable as .word', () => {
    const result = disassembleAt(0, reader(words(0x40)));
    assert.equal(result.text, '.word 0x00000040');
    assert.equal(result.length, 4);
    assert.equal(result.isValid, false);
  });

  it('marks unreadable memory', () => {
    assert.deepEqual(
      disassembleAt(0x10, () => undefined),
      { address: 0x10, length: 4, text: '??', isValid: false, bytes: [] },
    );
  });

  it('prints immediates in hex and r15 as sp', () => {
    assert.equal(disassembleAt(0, reader(words(0x02 | (15 << 8), 0xffffffff))).text, 'mov sp, 0xffffffff');
    assert.equal(disassembleAt(0, reader(words(0x04 | (1 << 8) | (2 << 12), 0x80000000))).text, 'ld r1, [r2 - 0x80000000]');
    assert.equal(disassembleAt(0, reader(words(0x04 | (1 << 8) | (2 << 12), 0x7fffffff))).text, 'ld r1, [r2 + 0x7fffffff]');
  });

  it('names jump targets in a comment when asked', () => {
    const bytes = words(0x4e, 0x40);
    assert.equal(disassembleAt(0, reader(bytes), { symbolAt: (address) => (address === 0x40 ? 'print' : undefined) }).text, 'call 0x40 ; print');
    assert.equal(disassembleAt(0, reader(bytes), { symbolAt: () => undefined }).text, 'call 0x40');
    assert.equal(formatInstr(decode(0x02 | (1 << 8), 0x40)!, { symbolAt: () => 'x' }), 'mov r1, 0x40');
  });

  it('disassembles a range instruction by instruction, wrapping at 2^32', () => {
    const bytes = [...words(0x51), ...words(0x02 | (1 << 8), 5), ...words(0x99)];
    assert.deepEqual(
      disassembleRange(0, 3, reader(bytes)).map((d) => [d.address, d.text]),
      [
        [0, 'nop'],
        [4, 'mov r1, 0x5'],
        [12, '.word 0x00000099'],
      ],
    );
    const high = disassembleRange(0xfffffffc, 2, (address) => (address === 0xfffffffc ? 0x51 : address > 0xfffffffc || address < 4 ? 0 : undefined));
    assert.deepEqual(
      high.map((d) => [d.address, d.text]),
      [
        [0xfffffffc, 'nop'],
        [0, '.word 0x00000000'],
      ],
    );
  });

  it('lists line, address, bytes and source, with includes and long data', () => {
    const source = '_start: mov r1, 5 ; five\n\n.asciz "0123456789abcdefghijklmnopqrstuvwxyz"\n.org 0x100\n';
    const result = assembleText(source);
    assert.equal(
      listing(result, new Map([['input.g32', source]])),
      [
        '; input.g32',
        '    1  00000000  02 01 00 00 05 00 00 00  _start: mov r1, 5 ; five',
        '    2  00000008',
        '    3  00000008  30 31 32 33 34 35 36 37  .asciz "0123456789abcdefghijklmnopqrstuvwxyz"',
        '       00000010  38 39 61 62 63 64 65 66',
        '       00000018  67 68 69 6a 6b 6c 6d 6e',
        '       00000020  ... 13 more bytes',
        '    4  00000100                           .org 0x100',
        '    5  00000100',
        '',
      ].join('\n'),
    );
  });
});
