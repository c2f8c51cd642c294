// The one instruction table of G32 (g32-isa.md §3). The decoder, the interpreter,
// the assembler, the disassembler, the grammar test and binary translation all
// read this table, so an opcode is defined in exactly one place.
//
// Encoding (docs/isa.md): word 0 is `opcode | a << 8 | b << 12`, bits 16–31 zero;
// forms that carry an expression add a second word holding the 32-bit value.
// Register fields an instruction does not use must be zero, so every defined
// word has exactly one spelling and disassembly round-trips.

/** Opcode numbers. 0x00 is undefined on purpose: running into zeroed memory raises #UD. */
export const enum Op {
  // moves
  MOV_RR = 0x01,
  MOV_RI = 0x02,
  LD_R = 0x03,
  LD_RD = 0x04,
  LD_A = 0x05,
  LDB_R = 0x06,
  LDB_RD = 0x07,
  LDB_A = 0x08,
  ST_R = 0x09,
  ST_RD = 0x0a,
  ST_A = 0x0b,
  STB_R = 0x0c,
  STB_RD = 0x0d,
  STB_A = 0x0e,
  LEA_R = 0x0f,
  LEA_RD = 0x10,
  LEA_A = 0x11,
  PUSH_R = 0x12,
  PUSH_I = 0x13,
  POP = 0x14,
  // arithmetic and logic, register then immediate form
  ADD_RR = 0x20,
  ADD_RI = 0x21,
  SUB_RR = 0x22,
  SUB_RI = 0x23,
  AND_RR = 0x24,
  AND_RI = 0x25,
  OR_RR = 0x26,
  OR_RI = 0x27,
  XOR_RR = 0x28,
  XOR_RI = 0x29,
  SHL_RR = 0x2a,
  SHL_RI = 0x2b,
  SHR_RR = 0x2c,
  SHR_RI = 0x2d,
  SAR_RR = 0x2e,
  SAR_RI = 0x2f,
  MUL_RR = 0x30,
  MUL_RI = 0x31,
  DIVU_RR = 0x32,
  DIVU_RI = 0x33,
  REMU_RR = 0x34,
  REMU_RI = 0x35,
  CMP_RR = 0x36,
  CMP_RI = 0x37,
  TEST_RR = 0x38,
  TEST_RI = 0x39,
  NOT = 0x3a,
  NEG = 0x3b,
  // control
  JMP_I = 0x40,
  JMP_R = 0x41,
  JZ = 0x42,
  JNZ = 0x43,
  JL = 0x44,
  JGE = 0x45,
  JLE = 0x46,
  JG = 0x47,
  JB = 0x48,
  JAE = 0x49,
  JBE = 0x4a,
  JA = 0x4b,
  JS = 0x4c,
  JNS = 0x4d,
  CALL_I = 0x4e,
  CALL_R = 0x4f,
  RET = 0x50,
  NOP = 0x51,
  // traps
  SYSCALL = 0x58,
  BRK = 0x59,
  VMCALL = 0x5a,
  // privileged
  HLT = 0x60,
  CLI = 0x61,
  STI = 0x62,
  IN = 0x63,
  OUT = 0x64,
  IRET = 0x65,
  MOV_CR3_R = 0x66,
  MOV_R_CR3 = 0x67,
  INVLPG = 0x68,
  MOV_EVT_R = 0x69,
  MOV_KSP_R = 0x6a,
  MOV_R_KSP = 0x6b,
  // sensitive but not privileged
  PUSHF = 0x70,
  POPF = 0x71,
  MOV_R_EVT = 0x72,
}

/**
 * How the source operands map onto the encoding.
 * `ra`/`rb`: a register in field a/b. `imm`: an expression in word 1.
 * `mem`: `[rb]`, `[rb ± imm]` or `[imm]` (which of the three is fixed by the opcode).
 * `cr3`, `evt`, `ksp`: that special register, written literally.
 */
export type OperandKind = 'ra' | 'rb' | 'imm' | 'mem' | 'cr3' | 'evt' | 'ksp';

/** The memory form an opcode carries; `none` for non-memory instructions. */
export type MemForm = 'none' | 'reg' | 'disp' | 'abs';

export type InstrClass = 'ordinary' | 'privileged' | 'sensitive';

/**
 * What an operand is to the instruction, one per entry of `operands`.
 * `read`/`write`/`readWrite`: a register (or special register) read, written, or both
 * (an ALU destination); an immediate value is `read`. `target`: where a jump or
 * call goes (an immediate or a register). `port`: an I/O port number. `hypercall`:
 * `vmcall`'s number. `address`: the memory operand, whose access is `access`.
 */
export type OperandRole = 'read' | 'write' | 'readWrite' | 'target' | 'port' | 'hypercall' | 'address';

/**
 * The data memory an instruction reads or writes (never its own fetch), so the
 * memory emulation, data breakpoints and translation need no list of their own.
 * `load`/`store`: at the memory operand, into or from register a.
 * `push`: 4 bytes at sp - 4, then sp -= 4; `value` is what is pushed (`next`: the
 * return address). `pop`: `size` bytes at sp, then sp += size; `into` is where
 * the word goes (`frame`: iret's pc, flags, mode and sp).
 */
export type MemoryAccess =
  | { readonly kind: 'none' }
  | { readonly kind: 'load'; readonly size: 1 | 4 }
  | { readonly kind: 'store'; readonly size: 1 | 4 }
  | { readonly kind: 'push'; readonly size: 4; readonly value: 'ra' | 'imm' | 'flags' | 'next' }
  | { readonly kind: 'pop'; readonly size: 4 | 16; readonly into: 'ra' | 'pc' | 'flags' | 'frame' };

/** What an instruction does with CF ZF SF OF: the translator computes flags only where one reads them. */
export type FlagUse = 'none' | 'read' | 'write';

export interface OpInfo {
  readonly op: Op;
  readonly mnemonic: string;
  readonly operands: readonly OperandKind[];
  /** Parallel to `operands`. */
  readonly roles: readonly OperandRole[];
  readonly mem: MemForm;
  readonly access: MemoryAccess;
  readonly flags: FlagUse;
  /**
   * Raises an exception of its own in kernel mode, besides a fault on its data
   * access: #DE (divu, remu), a trap (syscall, brk), #UD (vmcall on bare hardware).
   */
  readonly raises: boolean;
  /** 4 or 8 bytes. */
  readonly length: 4 | 8;
  readonly usesA: boolean;
  readonly usesB: boolean;
  readonly cls: InstrClass;
  /** Ends a basic block for binary translation (jump, call, return, trap). */
  readonly endsBlock: boolean;
  readonly summary: string;
}

/** The optional facts of a form; each defaults to "none". */
interface Traits {
  readonly access?: MemoryAccess;
  readonly flags?: FlagUse;
  readonly raises?: boolean;
  readonly endsBlock?: boolean;
}

const NO_ACCESS: MemoryAccess = { kind: 'none' };

function def(op: Op, mnemonic: string, operands: OperandKind[], roles: OperandRole[], mem: MemForm, cls: InstrClass, summary: string, traits: Traits = {}): OpInfo {
  if (roles.length !== operands.length) throw new Error(`opcode ${op}: ${operands.length} operands but ${roles.length} roles`);
  const hasImm = operands.includes('imm') || mem === 'disp' || mem === 'abs';
  const usesB = operands.includes('rb') || mem === 'reg' || mem === 'disp';
  return {
    op,
    mnemonic,
    operands,
    roles,
    mem,
    access: traits.access ?? NO_ACCESS,
    flags: traits.flags ?? 'none',
    raises: traits.raises ?? false,
    length: hasImm ? 8 : 4,
    usesA: operands.includes('ra'),
    usesB,
    cls,
    endsBlock: traits.endsBlock ?? false,
    summary,
  };
}

/** [mnemonic, register form, immediate form, destination role, raises #DE, summary] */
const alu: Array<[string, Op, Op, 'readWrite' | 'read', boolean, string]> = [
  ['add', Op.ADD_RR, Op.ADD_RI, 'readWrite', false, 'rd = rd + src; sets ZF SF CF OF'],
  ['sub', Op.SUB_RR, Op.SUB_RI, 'readWrite', false, 'rd = rd - src; sets ZF SF CF (borrow) OF'],
  ['and', Op.AND_RR, Op.AND_RI, 'readWrite', false, 'rd = rd & src; sets ZF SF, clears CF OF'],
  ['or', Op.OR_RR, Op.OR_RI, 'readWrite', false, 'rd = rd | src; sets ZF SF, clears CF OF'],
  ['xor', Op.XOR_RR, Op.XOR_RI, 'readWrite', false, 'rd = rd ^ src; sets ZF SF, clears CF OF'],
  ['shl', Op.SHL_RR, Op.SHL_RI, 'readWrite', false, 'rd = rd << (src & 31); sets ZF SF, clears CF OF'],
  ['shr', Op.SHR_RR, Op.SHR_RI, 'readWrite', false, 'rd = rd >>> (src & 31) (logical); sets ZF SF, clears CF OF'],
  ['sar', Op.SAR_RR, Op.SAR_RI, 'readWrite', false, 'rd = rd >> (src & 31) (arithmetic); sets ZF SF, clears CF OF'],
  ['mul', Op.MUL_RR, Op.MUL_RI, 'readWrite', false, 'rd = low 32 bits of rd * src; sets ZF SF, clears CF OF'],
  ['divu', Op.DIVU_RR, Op.DIVU_RI, 'readWrite', true, 'rd = rd / src (unsigned); #DE if src is 0; sets ZF SF, clears CF OF'],
  ['remu', Op.REMU_RR, Op.REMU_RI, 'readWrite', true, 'rd = rd % src (unsigned); #DE if src is 0; sets ZF SF, clears CF OF'],
  ['cmp', Op.CMP_RR, Op.CMP_RI, 'read', false, 'computes ra - src and sets ZF SF CF OF as sub does; ra is unchanged'],
  ['test', Op.TEST_RR, Op.TEST_RI, 'read', false, 'computes ra & src and sets ZF SF, clears CF OF; ra is unchanged'],
];

const jcc: Array<[string, ConditionalJump, string]> = [
  ['jz', Op.JZ, 'jump if ZF'],
  ['jnz', Op.JNZ, 'jump if not ZF'],
  ['jl', Op.JL, 'jump if less (signed): SF != OF'],
  ['jge', Op.JGE, 'jump if greater or equal (signed): SF == OF'],
  ['jle', Op.JLE, 'jump if less or equal (signed): ZF or SF != OF'],
  ['jg', Op.JG, 'jump if greater (signed): not ZF and SF == OF'],
  ['jb', Op.JB, 'jump if below (unsigned): CF'],
  ['jae', Op.JAE, 'jump if above or equal (unsigned): not CF'],
  ['jbe', Op.JBE, 'jump if below or equal (unsigned): CF or ZF'],
  ['ja', Op.JA, 'jump if above (unsigned): not CF and not ZF'],
  ['js', Op.JS, 'jump if SF'],
  ['jns', Op.JNS, 'jump if not SF'],
];

/** The conditional jumps: the one group of opcodes whose outcome depends on the flags. */
export type ConditionalJump = Op.JZ | Op.JNZ | Op.JL | Op.JGE | Op.JLE | Op.JG | Op.JB | Op.JAE | Op.JBE | Op.JA | Op.JS | Op.JNS;

/** The privileged opcodes: #GP in user mode. */
export type PrivilegedOp = Op.HLT | Op.CLI | Op.STI | Op.IN | Op.OUT | Op.IRET | Op.MOV_CR3_R | Op.MOV_R_CR3 | Op.INVLPG | Op.MOV_EVT_R | Op.MOV_KSP_R | Op.MOV_R_KSP;

function memGroup(mnemonic: string, ops: [Op, Op, Op], operands: (m: 'mem') => OperandKind[], roles: OperandRole[], access: MemoryAccess, summary: string): OpInfo[] {
  return [
    def(ops[0], mnemonic, operands('mem'), roles, 'reg', 'ordinary', summary, { access }),
    def(ops[1], mnemonic, operands('mem'), roles, 'disp', 'ordinary', summary, { access }),
    def(ops[2], mnemonic, operands('mem'), roles, 'abs', 'ordinary', summary, { access }),
  ];
}

const ENDS = { endsBlock: true } as const;

/** Every defined instruction form, in opcode order within groups. */
export const INSTRUCTIONS: readonly OpInfo[] = [
  def(Op.MOV_RR, 'mov', ['ra', 'rb'], ['write', 'read'], 'none', 'ordinary', 'rd = rs'),
  def(Op.MOV_RI, 'mov', ['ra', 'imm'], ['write', 'read'], 'none', 'ordinary', 'rd = imm'),
  ...memGroup('ld', [Op.LD_R, Op.LD_RD, Op.LD_A], (m) => ['ra', m], ['write', 'address'], { kind: 'load', size: 4 }, 'load the 32-bit word at the address into rd'),
  ...memGroup('ldb', [Op.LDB_R, Op.LDB_RD, Op.LDB_A], (m) => ['ra', m], ['write', 'address'], { kind: 'load', size: 1 }, 'load the byte at the address into rd, zero-extended'),
  ...memGroup('st', [Op.ST_R, Op.ST_RD, Op.ST_A], (m) => [m, 'ra'], ['address', 'read'], { kind: 'store', size: 4 }, 'store the 32-bit word rs at the address'),
  ...memGroup('stb', [Op.STB_R, Op.STB_RD, Op.STB_A], (m) => [m, 'ra'], ['address', 'read'], { kind: 'store', size: 1 }, 'store the low byte of rs at the address'),
  ...memGroup('lea', [Op.LEA_R, Op.LEA_RD, Op.LEA_A], (m) => ['ra', m], ['write', 'address'], NO_ACCESS, 'rd = the address itself (no memory access)'),
  def(Op.PUSH_R, 'push', ['ra'], ['read'], 'none', 'ordinary', 'sp -= 4, then store rs at [sp]', { access: { kind: 'push', size: 4, value: 'ra' } }),
  def(Op.PUSH_I, 'push', ['imm'], ['read'], 'none', 'ordinary', 'sp -= 4, then store imm at [sp]', { access: { kind: 'push', size: 4, value: 'imm' } }),
  def(Op.POP, 'pop', ['ra'], ['write'], 'none', 'ordinary', 'load rd from [sp], then sp += 4', { access: { kind: 'pop', size: 4, into: 'ra' } }),
  ...alu.flatMap(([m, rr, ri, role, raises, s]) => [
    def(rr, m, ['ra', 'rb'], [role, 'read'], 'none', 'ordinary', s, { flags: 'write', raises }),
    def(ri, m, ['ra', 'imm'], [role, 'read'], 'none', 'ordinary', s, { flags: 'write', raises }),
  ]),
  def(Op.NOT, 'not', ['ra'], ['readWrite'], 'none', 'ordinary', 'rd = ~rd; sets ZF SF, clears CF OF', { flags: 'write' }),
  def(Op.NEG, 'neg', ['ra'], ['readWrite'], 'none', 'ordinary', 'rd = -rd; sets ZF SF OF, CF unless rd was 0', { flags: 'write' }),
  def(Op.JMP_I, 'jmp', ['imm'], ['target'], 'none', 'ordinary', 'jump to target', ENDS),
  def(Op.JMP_R, 'jmp', ['ra'], ['target'], 'none', 'ordinary', 'jump to the address in rs', ENDS),
  ...jcc.map(([m, op, s]) => def(op, m, ['imm'], ['target'], 'none', 'ordinary', s, { flags: 'read', endsBlock: true })),
  def(Op.CALL_I, 'call', ['imm'], ['target'], 'none', 'ordinary', 'push the address of the next instruction, jump to target', { access: { kind: 'push', size: 4, value: 'next' }, endsBlock: true }),
  def(Op.CALL_R, 'call', ['ra'], ['target'], 'none', 'ordinary', 'push the address of the next instruction, jump to rs', { access: { kind: 'push', size: 4, value: 'next' }, endsBlock: true }),
  def(Op.RET, 'ret', [], [], 'none', 'ordinary', 'pop pc', { access: { kind: 'pop', size: 4, into: 'pc' }, endsBlock: true }),
  def(Op.NOP, 'nop', [], [], 'none', 'ordinary', 'do nothing'),
  def(Op.SYSCALL, 'syscall', [], [], 'none', 'ordinary', 'system call: trap to vector 48 (saved pc is the next instruction)', { raises: true, endsBlock: true }),
  def(Op.BRK, 'brk', [], [], 'none', 'ordinary', 'breakpoint trap: vector 3 (saved pc is the next instruction)', { raises: true, endsBlock: true }),
  def(Op.VMCALL, 'vmcall', ['imm'], ['hypercall'], 'none', 'ordinary', 'hypercall N (args r1, r2; result r0); #UD on bare hardware', { raises: true, endsBlock: true }),
  def(Op.HLT, 'hlt', [], [], 'none', 'privileged', 'wait for an interrupt; halts the machine if none can come', ENDS),
  def(Op.CLI, 'cli', [], [], 'none', 'privileged', 'clear IF (disable interrupts)'),
  def(Op.STI, 'sti', [], [], 'none', 'privileged', 'set IF (enable interrupts)'),
  def(Op.IN, 'in', ['ra', 'imm'], ['write', 'port'], 'none', 'privileged', 'rd = 32-bit read of I/O port'),
  def(Op.OUT, 'out', ['imm', 'ra'], ['port', 'read'], 'none', 'privileged', '32-bit write of rs to I/O port'),
  def(Op.IRET, 'iret', [], [], 'none', 'privileged', 'return from exception: pop pc, flags, mode, sp', { access: { kind: 'pop', size: 16, into: 'frame' }, flags: 'write', endsBlock: true }),
  def(Op.MOV_CR3_R, 'mov', ['cr3', 'ra'], ['write', 'read'], 'none', 'privileged', 'load the page directory base; flushes the whole TLB'),
  def(Op.MOV_R_CR3, 'mov', ['ra', 'cr3'], ['write', 'read'], 'none', 'privileged', 'rd = cr3'),
  def(Op.INVLPG, 'invlpg', ['ra'], ['read'], 'none', 'privileged', 'flush the TLB entry of the page holding the address in rs'),
  def(Op.MOV_EVT_R, 'mov', ['evt', 'ra'], ['write', 'read'], 'none', 'privileged', 'set the exception vector table base'),
  def(Op.MOV_KSP_R, 'mov', ['ksp', 'ra'], ['write', 'read'], 'none', 'privileged', 'set the kernel stack pointer used on entry from user mode'),
  def(Op.MOV_R_KSP, 'mov', ['ra', 'ksp'], ['write', 'read'], 'none', 'privileged', 'rd = ksp'),
  def(Op.PUSHF, 'pushf', [], [], 'none', 'sensitive', 'push the real flags, IF included', { access: { kind: 'push', size: 4, value: 'flags' }, flags: 'read' }),
  def(Op.POPF, 'popf', [], [], 'none', 'sensitive', 'pop flags; in user mode IF is silently left unchanged', { access: { kind: 'pop', size: 4, into: 'flags' }, flags: 'write' }),
  def(Op.MOV_R_EVT, 'mov', ['ra', 'evt'], ['write', 'read'], 'none', 'sensitive', 'rd = evt, in any mode'),
];

const CONDITIONAL_JUMPS: ReadonlySet<Op> = new Set(jcc.map(([, op]) => op));

export function isConditionalJump(op: Op): op is ConditionalJump {
  return CONDITIONAL_JUMPS.has(op);
}

export function isPrivilegedOp(op: Op): op is PrivilegedOp {
  return OP_TABLE[op]?.cls === 'privileged';
}

/** Opcode byte to form; undefined entries raise #UD. */
export const OP_TABLE: ReadonlyArray<OpInfo | undefined> = (() => {
  const table: Array<OpInfo | undefined> = new Array<OpInfo | undefined>(256).fill(undefined);
  for (const info of INSTRUCTIONS) {
    if (table[info.op]) throw new Error(`duplicate opcode ${info.op}`);
    table[info.op] = info;
  }
  return table;
})();

/**
 * For each opcode byte, the bits of word 0 that must be zero (reserved bits and
 * unused register fields); 0xFFFFFFFF for an undefined opcode is not needed
 * because `OP_LENGTH` is 0 there.
 */
export const OP_ZERO_MASK: Int32Array = (() => {
  const masks = new Int32Array(256);
  for (const info of INSTRUCTIONS) {
    let mask = 0xffff0000 | 0;
    if (!info.usesA) mask |= 0x0f00;
    if (!info.usesB) mask |= 0xf000;
    masks[info.op] = mask;
  }
  return masks;
})();

/** Length in bytes per opcode byte; 0 marks an undefined opcode. */
export const OP_LENGTH: Uint8Array = (() => {
  const lengths = new Uint8Array(256);
  for (const info of INSTRUCTIONS) lengths[info.op] = info.length;
  return lengths;
})();

/** Mnemonic aliases accepted by the assembler (the disassembler prints the canonical name). */
export const MNEMONIC_ALIASES: Readonly<Record<string, string>> = { je: 'jz', jne: 'jnz' };

export const MNEMONICS: readonly string[] = [...new Set(INSTRUCTIONS.map((i) => i.mnemonic)), ...Object.keys(MNEMONIC_ALIASES)];

export const REGISTER_NAMES: readonly string[] = [...Array.from({ length: 16 }, (_, i) => `r${i}`), 'sp', 'pc', 'flags', 'cr3', 'evt', 'ksp'];

export const DIRECTIVES: readonly string[] = ['.org', '.align', '.word', '.byte', '.ascii', '.asciz', '.space', '.equ', '.entry', '.include'];

/** Flag bits (g32-isa.md §1). */
export const enum Flag {
  CF = 1 << 0,
  ZF = 1 << 1,
  SF = 1 << 2,
  OF = 1 << 3,
  IF = 1 << 9,
}
/** Bits of `flags` that exist; `iret` and `popf` mask to these. */
export const FLAGS_MASK = 0x20f;

/** Exception vectors (g32-isa.md §4). */
export const enum Vector {
  DE = 0,
  BP = 3,
  UD = 6,
  DF = 8,
  GP = 13,
  PF = 14,
  TIMER = 32,
  KEYBOARD = 33,
  SYSCALL = 48,
}

export const VECTOR_NAMES: Readonly<Record<number, string>> = {
  0: '#DE divide by zero',
  3: '#BP breakpoint',
  6: '#UD invalid opcode',
  8: '#DF double fault',
  13: '#GP protection fault',
  14: '#PF page fault',
  32: 'timer interrupt',
  33: 'keyboard interrupt',
  48: 'system call',
  256: 'VM exit (hardware assist)',
};

/** Page-fault error code bits (g32-isa.md §4). */
export const enum PfError {
  PROTECTION = 1,
  WRITE = 2,
  USER = 4,
  FETCH = 16,
}

/** Page-table entry bits (g32-isa.md §5). */
export const enum Pte {
  P = 1,
  W = 2,
  U = 4,
  A = 32,
  D = 64,
}

export const PAGE_SIZE = 4096;
export const CONSOLE_BASE = 0xffff0000;
export const PORT_KEYBOARD_DATA = 0x60;
export const PORT_KEYBOARD_STATUS = 0x64;
export const PORT_TIMER = 0x40;
