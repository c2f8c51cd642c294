// Property tests: assembling the disassembly of any image gives the same
// bytes, for random valid instructions and for random words (which come back
// as `.word` when undefined).

import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { INSTRUCTIONS, OpInfo } from '../../src/machine/isa';
import { encodeWord0 } from '../../src/machine/decode';
import { AssembleResult, assembleText, disassembleRange, formatDiagnostic } from '../../src/asm';
import { words } from './harness';

interface RandomInstr {
  info: OpInfo;
  a: number;
  b: number;
  imm: number;
  /** Picks among equivalent spellings (decimal, hex, negative, sp). */
  style: number;
}

const instrArbitrary: fc.Arbitrary<RandomInstr> = fc.record({
  info: fc.constantFrom(...INSTRUCTIONS),
  a: fc.integer({ min: 0, max: 15 }),
  b: fc.integer({ min: 0, max: 15 }),
  imm: fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.integer({ min: 0, max: 16 }), fc.integer({ min: 0xfffffff0, max: 0xffffffff })),
  style: fc.integer({ min: 0, max: 3 }),
});

function spellRegister(register: number, style: number): string {
  if (register === 15 && style & 1) return 'SP';
  return style & 2 ? `R${register}` : `r${register}`;
}

function spellValue(value: number, style: number): string {
  if (style === 1) return String(value);
  if (style === 2 && value >= 0x80000000) return `-${0x1_0000_0000 - value}`;
  if (style === 3) return `0X${value.toString(16).toUpperCase()}`;
  return `0x${value.toString(16)}`;
}

function spell(instr: RandomInstr): string {
  const { info, a, b, imm, style } = instr;
  const operands = info.operands.map((kind) => {
    switch (kind) {
      case 'ra':
        return spellRegister(a, style);
      case 'rb':
        return spellRegister(b, style);
      case 'imm':
        return spellValue(imm, style);
      case 'mem':
        if (info.mem === 'reg') return `[${spellRegister(b, style)}]`;
        if (info.mem === 'abs') return `[${spellValue(imm, style)}]`;
        return imm >= 0x80000000 && style === 2 ? `[${spellRegister(b, style)} - ${0x1_0000_0000 - imm}]` : `[${spellRegister(b, style)} + ${spellValue(imm, style)}]`;
      default:
        return style & 1 ? kind.toUpperCase() : kind;
    }
  });
  const mnemonic = style === 3 ? info.mnemonic.toUpperCase() : info.mnemonic;
  return operands.length ? `${mnemonic} ${operands.join(', ')}` : mnemonic;
}

function expected(instr: RandomInstr): number[] {
  const { info } = instr;
  const word0 = encodeWord0(info.op, info.usesA ? instr.a : 0, info.usesB ? instr.b : 0);
  return info.length === 8 ? words(word0, instr.imm) : words(word0);
}

function assembleLines(lines: string[]): AssembleResult {
  const result = assembleText(['_start:', ...lines].join('\n'));
  assert.deepEqual(result.diagnostics.map(formatDiagnostic), []);
  return result;
}

function bytesOf(result: AssembleResult): number[] {
  return result.image!.chunks.flatMap((chunk) => [...chunk.bytes]);
}

function disassembleAll(bytes: number[]): string[] {
  const texts: string[] = [];
  let address = 0;
  while (address < bytes.length) {
    const [instr] = disassembleRange(address, 1, (at) => bytes[at]);
    texts.push(instr.text);
    address += instr.length;
  }
  return texts;
}

describe('asm: round trip (property)', () => {
  it('random valid instructions assemble as the table says and survive disassembly', () => {
    fc.assert(
      fc.property(fc.array(instrArbitrary, { minLength: 1, maxLength: 40 }), (instrs) => {
        const bytes = bytesOf(assembleLines(instrs.map(spell)));
        assert.deepEqual(bytes, instrs.flatMap(expected));
        const texts = disassembleAll(bytes);
        assert.equal(texts.length, instrs.length);
        assert.ok(texts.every((text) => !text.startsWith('.word')));
        assert.deepEqual(bytesOf(assembleLines(texts)), bytes);
      }),
      { numRuns: 300 },
    );
  });

  const definedWord = fc
    .record({ info: fc.constantFrom(...INSTRUCTIONS), a: fc.integer({ min: 0, max: 15 }), b: fc.integer({ min: 0, max: 15 }), junk: fc.integer({ min: 0, max: 0xffff }), isClean: fc.boolean() })
    .map(({ info, a, b, junk, isClean }) => (isClean ? encodeWord0(info.op, info.usesA ? a : 0, info.usesB ? b : 0) : (encodeWord0(info.op, a, b) | (junk << 16)) >>> 0));
  const anyWord = fc.oneof(definedWord, fc.integer({ min: 0, max: 0xffffffff }));

  it('random words disassemble to text that assembles to the same bytes', () => {
    fc.assert(
      fc.property(fc.array(anyWord, { minLength: 1, maxLength: 40 }), (values) => {
        const bytes = words(...values);
        const texts = disassembleAll(bytes);
        assert.deepEqual(bytesOf(assembleLines(texts)), bytes);
      }),
      { numRuns: 500 },
    );
  });

  it('random bytes disassemble to text that assembles to the same bytes', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 1, maxLength: 25 }).map((array) => [...array].slice(0, array.length - (array.length % 4))),
        (bytes) => {
          if (bytes.length === 0) return;
          assert.deepEqual(bytesOf(assembleLines(disassembleAll(bytes))), bytes);
        },
      ),
      { numRuns: 300 },
    );
  });
});

describe('asm: robustness (property)', () => {
  const pieces = [
    'mov',
    'r1',
    ',',
    '[',
    ']',
    '+',
    '-',
    '0x',
    '1',
    "'",
    '"',
    '\\',
    ';',
    '#',
    ':',
    '.org',
    '.equ',
    '.space',
    '.align',
    'x',
    '.x',
    '(',
    ')',
    '<<',
    '~',
    ' ',
    '\n',
    '.include',
    '/',
    '%',
    '_start',
    '\t',
    'é',
  ];
  it('assemble never throws, and an image comes only without errors', () => {
    fc.assert(
      fc.property(fc.array(fc.constantFrom(...pieces), { maxLength: 60 }), (parts) => {
        const result = assembleText(parts.join(''));
        if (result.diagnostics.length > 0) assert.equal(result.image, undefined);
        for (const d of result.diagnostics) assert.match(formatDiagnostic(d), /^input\.g32:\d+:\d+: error: expected .+, found .+$/s);
      }),
      { numRuns: 1000 },
    );
  });

  it('assembles a long file quickly', () => {
    const lines = ['_start:'];
    for (let n = 0; n < 20000; n++) lines.push(`l${n}: add r1, l${n} + ${n}`, '.bad');
    const started = Date.now();
    const result = assembleText(lines.join('\n'));
    assert.equal(result.diagnostics.length, 20000);
    assert.ok(Date.now() - started < 5000, `took ${Date.now() - started} ms`);
  });
});
