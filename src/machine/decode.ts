// Decoding one instruction from its two words. The CPU keeps its own packed
// cache of decoded words (cpu.ts); this module is the readable form used by the
// disassembler, the hypervisor's instruction emulation and binary translation.

import { OP_LENGTH, OP_TABLE, OP_ZERO_MASK, OpInfo } from './isa';

export interface DecodedInstr {
  readonly info: OpInfo;
  /** Register field a (destination, or data register of a store). */
  readonly a: number;
  /** Register field b (source, or base register of a memory operand). */
  readonly b: number;
  /** Word 1 as an unsigned 32-bit number; 0 for 4-byte forms. */
  readonly imm: number;
  readonly length: 4 | 8;
}

/** True when word 0 is a defined encoding (opcode known, reserved bits and unused fields zero). */
export function isValidWord0(word0: number): boolean {
  const op = word0 & 0xff;
  return OP_LENGTH[op] !== 0 && (word0 & OP_ZERO_MASK[op]) === 0;
}

/** Decodes word 0 (and word 1 for 8-byte forms); undefined for an undefined encoding. */
export function decode(word0: number, word1: number): DecodedInstr | undefined {
  if (!isValidWord0(word0)) return undefined;
  const info = OP_TABLE[word0 & 0xff]!;
  return {
    info,
    a: (word0 >>> 8) & 0xf,
    b: (word0 >>> 12) & 0xf,
    imm: info.length === 8 ? word1 >>> 0 : 0,
    length: info.length,
  };
}

/** Builds word 0 of an instruction. */
export function encodeWord0(op: number, a: number, b: number): number {
  return (op & 0xff) | ((a & 0xf) << 8) | ((b & 0xf) << 12);
}

/** The address of a memory operand (`[rb]`, `[rb ± imm]` or `[imm]`) with these registers, as a signed 32-bit number. */
export function operandAddress(instr: DecodedInstr, regs: ArrayLike<number>): number {
  switch (instr.info.mem) {
    case 'reg':
      return regs[instr.b] | 0;
    case 'disp':
      return (regs[instr.b] + instr.imm) | 0;
    case 'abs':
      return instr.imm | 0;
    case 'none':
      return 0;
  }
}
