// Instruction text from a decoded instruction. It lives with the machine so that
// the hypervisor can describe what it traps on; the assembler's disassembler and
// listings build on it. Every text it makes assembles back to the same bytes.

import { DecodedInstr } from './decode';
import { INSTRUCTIONS, OperandKind } from './isa';

export interface DisassembleOptions {
  /** A name for an address, shown as a comment after jump and call targets. */
  symbolAt?: (address: number) => string | undefined;
}

const TARGET_MNEMONICS = new Set(INSTRUCTIONS.filter((info) => info.endsBlock && info.operands.length === 1 && info.operands[0] === 'imm' && info.mnemonic !== 'vmcall').map((info) => info.mnemonic));

export function formatInstr(decoded: DecodedInstr, options: DisassembleOptions = {}): string {
  const { info } = decoded;
  const operands = info.operands.map((kind) => formatOperand(kind, decoded));
  let text = operands.length ? `${info.mnemonic} ${operands.join(', ')}` : info.mnemonic;
  if (TARGET_MNEMONICS.has(info.mnemonic) && info.operands[0] === 'imm') {
    // A comment keeps the text re-assemblable while still naming the target.
    const name = options.symbolAt?.(decoded.imm);
    if (name) text += ` ; ${name}`;
  }
  return text;
}

function formatOperand(kind: OperandKind, decoded: DecodedInstr): string {
  switch (kind) {
    case 'ra':
      return registerName(decoded.a);
    case 'rb':
      return registerName(decoded.b);
    case 'imm':
      return hexLiteral(decoded.imm);
    case 'mem':
      switch (decoded.info.mem) {
        case 'reg':
          return `[${registerName(decoded.b)}]`;
        case 'disp':
          // A displacement of 0x80000000 or more reads better as a subtraction and wraps to the same word.
          return decoded.imm >= 0x80000000 ? `[${registerName(decoded.b)} - ${hexLiteral(0x1_0000_0000 - decoded.imm)}]` : `[${registerName(decoded.b)} + ${hexLiteral(decoded.imm)}]`;
        case 'abs':
          return `[${hexLiteral(decoded.imm)}]`;
        case 'none':
          return '?';
      }
      break;
    case 'cr3':
    case 'evt':
    case 'ksp':
      return kind;
  }
  return '?';
}

function registerName(register: number): string {
  return register === 15 ? 'sp' : `r${register}`;
}

export function hexLiteral(value: number): string {
  return `0x${(value >>> 0).toString(16)}`;
}

/** An address or word as `0x` and eight hex digits, as every message of the simulator shows it. */
export function hexWord(value: number): string {
  return `0x${(value >>> 0).toString(16).padStart(8, '0')}`;
}
