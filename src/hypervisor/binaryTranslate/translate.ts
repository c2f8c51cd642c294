// Binary translation of one guest basic block into a JavaScript function
// (g32-isa.md §7). Ordinary instructions become straight-line JavaScript on the
// real CPU's registers; memory accesses go through the real CPU's MMU (the
// shadow), and a fault leaves the block with pc, ticks and flags exact at the
// faulting instruction. Privileged and sensitive instructions become calls into
// the hypervisor, so popf, pushf and `mov rd, evt` see the guest's virtual state.
// Flags are computed only where something can observe them.

import { DecodedInstr } from '../../machine/decode';
import { Flag, Op, Vector } from '../../machine/isa';
import { formatInstr } from '../../machine/format';

export interface BlockInstr {
  /** Guest-virtual address. */
  pc: number;
  instr: DecodedInstr;
}

/** What a block does at its end, for chaining. */
export interface TranslatedBlock {
  gva: number;
  gpa: number;
  instrs: BlockInstr[];
  /** The instructions flat, for the block interpreter (decodeForInterpreter). */
  decoded: number[];
  /** Generated JavaScript source of the block's body; empty while the block is interpreted (not yet hot). */
  source: string;
  /** The compiled block, or the interpreter (interpretBlock) until the block is translated. */
  fn: BlockFunction;
  /** Translated to JavaScript (it became hot), or still interpreted under the same rules. */
  isTranslated: boolean;
  /**
   * Adaptive translation: the block's last instruction trapped again and again
   * (a console store, a write to a write-protected page), so the block ends at it
   * and calls its emulation directly, without the trap. Undefined for other blocks.
   */
  adaptive: AdaptiveReason | undefined;
  /** Static successors (jump target, fall-through) for chaining; -1 when dynamic. */
  targetPc: number;
  nextPc: number;
  chainTarget: TranslatedBlock | undefined;
  chainNext: TranslatedBlock | undefined;
  chainGeneration: number;
  executions: number;
  /** Guest frames the block's bytes lie on (one, or two for an instruction that crosses a page). */
  frames: number[];
  /** Guest-physical byte ranges [start, end) of the block's code. */
  ranges: Array<[number, number]>;
  /** The code bytes as translated, and the machine address of each range, to check blocks on hot frames. */
  code: Uint8Array;
  codeMachine: number[];
}

/** Why an instruction's block was retranslated to emulate it without a trap. */
export interface AdaptiveReason {
  /** What the instruction kept touching. */
  kind: 'console' | 'page-table' | 'code-page';
  /** Traps it took before the retranslation. */
  traps: number;
}

/** Engine callbacks a block may call. */
export interface BlockEnv {
  /** Runs instruction `index` of `block` in the hypervisor (privileged, sensitive, trap). */
  callOut(block: TranslatedBlock, index: number): void;
}

export type BlockFunction = (cpu: unknown, r: Int32Array, env: BlockEnv, block: TranslatedBlock) => void;

/** Longest block, in instructions. */
export const MAX_BLOCK_INSTRUCTIONS = 64;

const FLAG_WRITERS = new Set<number>([
  Op.ADD_RR, Op.ADD_RI, Op.SUB_RR, Op.SUB_RI, Op.AND_RR, Op.AND_RI, Op.OR_RR, Op.OR_RI, Op.XOR_RR, Op.XOR_RI,
  Op.SHL_RR, Op.SHL_RI, Op.SHR_RR, Op.SHR_RI, Op.SAR_RR, Op.SAR_RI, Op.MUL_RR, Op.MUL_RI,
  Op.DIVU_RR, Op.DIVU_RI, Op.REMU_RR, Op.REMU_RI, Op.CMP_RR, Op.CMP_RI, Op.TEST_RR, Op.TEST_RI, Op.NOT, Op.NEG,
]);
const FLAG_READERS = new Set<number>([Op.JZ, Op.JNZ, Op.JL, Op.JGE, Op.JLE, Op.JG, Op.JB, Op.JAE, Op.JBE, Op.JA, Op.JS, Op.JNS]);

/** Instructions that leave the block early or hand control to the hypervisor. */
function mayExit(op: number): boolean {
  return !(FLAG_WRITERS.has(op) && op !== Op.DIVU_RR && op !== Op.DIVU_RI && op !== Op.REMU_RR && op !== Op.REMU_RI)
    && op !== Op.MOV_RR && op !== Op.MOV_RI && op !== Op.LEA_R && op !== Op.LEA_RD && op !== Op.LEA_A && op !== Op.NOP
    && !FLAG_READERS.has(op) && op !== Op.JMP_I && op !== Op.JMP_R;
}

/** Instructions the hypervisor runs for the block (and which end it). */
export function isCallOut(instr: DecodedInstr): boolean {
  const op = instr.info.op;
  return instr.info.cls !== 'ordinary' || op === Op.SYSCALL || op === Op.BRK || op === Op.VMCALL;
}

/**
 * Ordinary instructions with one data access that adaptive translation can turn
 * into a direct call of the emulation (call and ret end their blocks anyway).
 */
export function isAdaptable(instr: DecodedInstr): boolean {
  const op = instr.info.op;
  return writesMemory(instr) || op === Op.LD_R || op === Op.LD_RD || op === Op.LD_A || op === Op.LDB_R || op === Op.LDB_RD || op === Op.LDB_A || op === Op.POP;
}

/** Ordinary instructions that store to memory (call also does, but it ends every block). */
export function writesMemory(instr: DecodedInstr): boolean {
  const op = instr.info.op;
  return op === Op.ST_R || op === Op.ST_RD || op === Op.ST_A || op === Op.STB_R || op === Op.STB_RD || op === Op.STB_A || op === Op.PUSH_R || op === Op.PUSH_I;
}

/** Does the block end after this instruction? */
export function endsBlock(instr: DecodedInstr): boolean {
  return instr.info.endsBlock || isCallOut(instr);
}

const hex = (v: number) => `0x${(v >>> 0).toString(16)}`;

/**
 * Generates the body of `function (cpu, r, env, block)`. With `isLastCalledOut`
 * (adaptive translation) the last instruction, a memory access, becomes a call
 * into the hypervisor like a privileged one.
 */
export function generateSource(instrs: BlockInstr[], isLastCalledOut = false): string {
  const needFlags: boolean[] = new Array<boolean>(instrs.length).fill(false);
  let isLive = true;
  for (let i = instrs.length - 1; i >= 0; i--) {
    const op = instrs[i].instr.info.op;
    if (FLAG_WRITERS.has(op)) { needFlags[i] = isLive; isLive = false; }
    if (FLAG_READERS.has(op) || mayExit(op)) isLive = true;
  }
  // A block that jumps back to its own start loops inside the function for as many
  // iterations as fit before the next event tick (t counts the ticks of finished iterations).
  const last = instrs[instrs.length - 1];
  const isSelfLoop = !isLastCalledOut && instrs.length > 1 && (FLAG_READERS.has(last.instr.info.op) || last.instr.info.op === Op.JMP_I) && (last.instr.imm | 0) === instrs[0].pc;
  const lines: string[] = isSelfLoop
    ? ['let f = cpu.flags; let t = 0; const budget = cpu.eventTick - cpu.ticks;', 'for (;;) {']
    : ['let f = cpu.flags; const t = 0;'];
  const exit = (k: number, pc: string) => `{ cpu.flags = f; cpu.ticks += t + ${k}; cpu.pc = ${pc}; return; }`;
  for (let i = 0; i < instrs.length; i++) {
    const { pc, instr } = instrs[i];
    const { a, b } = instr;
    const imm = instr.imm | 0;
    const op = instr.info.op;
    const next = (pc + instr.length) | 0;
    const faultExit = `if (cpu.fault !== 0) ${exit(i, String(pc))}`;
    const addr = instr.info.mem === 'reg' ? `r[${b}]` : instr.info.mem === 'disp' ? `((r[${b}] + ${imm}) | 0)` : String(imm);
    const src = (rr: Op) => (op === rr ? `r[${b}]` : String(imm));
    const logic = (expr: string, store: boolean) => needFlags[i]
      ? `{ const res = ${expr}; ${store ? `r[${a}] = res; ` : ''}f = (f & ${Flag.IF}) | (res === 0 ? ${Flag.ZF} : 0) | (res < 0 ? ${Flag.SF} : 0); }`
      : (store ? `r[${a}] = ${expr};` : '');
    lines.push(`// ${hex(pc)}: ${formatInstr(instr)}${isLastCalledOut && i === instrs.length - 1 ? ' (adaptive: emulated without a trap)' : ''}`);
    switch (isLastCalledOut && i === instrs.length - 1 ? -1 : op) {
      case Op.MOV_RR: lines.push(`r[${a}] = r[${b}];`); break;
      case Op.MOV_RI: lines.push(`r[${a}] = ${imm};`); break;
      case Op.LD_R: case Op.LD_RD: case Op.LD_A:
        lines.push(`{ const v = cpu.load32(${addr}); ${faultExit} r[${a}] = v; }`); break;
      case Op.LDB_R: case Op.LDB_RD: case Op.LDB_A:
        lines.push(`{ const v = cpu.load8(${addr}); ${faultExit} r[${a}] = v; }`); break;
      case Op.ST_R: case Op.ST_RD: case Op.ST_A:
        lines.push(`cpu.store32(${addr}, r[${a}]); ${faultExit}`); break;
      case Op.STB_R: case Op.STB_RD: case Op.STB_A:
        lines.push(`cpu.store8(${addr}, r[${a}]); ${faultExit}`); break;
      case Op.LEA_R: case Op.LEA_RD: case Op.LEA_A: lines.push(`r[${a}] = ${addr};`); break;
      case Op.PUSH_R: case Op.PUSH_I:
        lines.push(`{ const v = ${op === Op.PUSH_R ? `r[${a}]` : imm}; const sp = (r[15] - 4) | 0; cpu.store32(sp, v); ${faultExit} r[15] = sp; }`); break;
      case Op.POP:
        lines.push(`{ const v = cpu.load32(r[15]); ${faultExit} r[15] = (r[15] + 4) | 0; r[${a}] = v; }`); break;
      case Op.ADD_RR: case Op.ADD_RI:
        lines.push(needFlags[i]
          ? `{ const x = r[${a}], y = ${src(Op.ADD_RR)}, res = (x + y) | 0; r[${a}] = res; f = (f & ${Flag.IF}) | ((res >>> 0) < (x >>> 0) ? 1 : 0) | (res === 0 ? 2 : 0) | (res < 0 ? 4 : 0) | ((((x ^ res) & (y ^ res)) >>> 31) << 3); }`
          : `r[${a}] = (r[${a}] + ${src(Op.ADD_RR)}) | 0;`);
        break;
      case Op.SUB_RR: case Op.SUB_RI: case Op.CMP_RR: case Op.CMP_RI: {
        const y = op === Op.SUB_RR || op === Op.CMP_RR ? `r[${b}]` : String(imm);
        const isStore = op === Op.SUB_RR || op === Op.SUB_RI;
        if (needFlags[i]) {
          lines.push(`{ const x = r[${a}], y = ${y}, res = (x - y) | 0; ${isStore ? `r[${a}] = res; ` : ''}f = (f & ${Flag.IF}) | ((x >>> 0) < (y >>> 0) ? 1 : 0) | (res === 0 ? 2 : 0) | (res < 0 ? 4 : 0) | ((((x ^ y) & (x ^ res)) >>> 31) << 3); }`);
        } else if (isStore) lines.push(`r[${a}] = (r[${a}] - ${y}) | 0;`);
        break;
      }
      case Op.AND_RR: case Op.AND_RI: lines.push(logic(`r[${a}] & ${src(Op.AND_RR)}`, true)); break;
      case Op.OR_RR: case Op.OR_RI: lines.push(logic(`r[${a}] | ${src(Op.OR_RR)}`, true)); break;
      case Op.XOR_RR: case Op.XOR_RI: lines.push(logic(`r[${a}] ^ ${src(Op.XOR_RR)}`, true)); break;
      case Op.TEST_RR: case Op.TEST_RI: lines.push(logic(`r[${a}] & ${src(Op.TEST_RR)}`, false)); break;
      case Op.SHL_RR: case Op.SHL_RI: lines.push(logic(`r[${a}] << (${src(Op.SHL_RR)} & 31)`, true)); break;
      case Op.SHR_RR: case Op.SHR_RI: lines.push(logic(`(r[${a}] >>> (${src(Op.SHR_RR)} & 31)) | 0`, true)); break;
      case Op.SAR_RR: case Op.SAR_RI: lines.push(logic(`r[${a}] >> (${src(Op.SAR_RR)} & 31)`, true)); break;
      case Op.MUL_RR: case Op.MUL_RI: lines.push(logic(`Math.imul(r[${a}], ${src(Op.MUL_RR)})`, true)); break;
      case Op.DIVU_RR: case Op.DIVU_RI: case Op.REMU_RR: case Op.REMU_RI: {
        const y = op === Op.DIVU_RR || op === Op.REMU_RR ? `r[${b}]` : String(imm);
        const isDiv = op === Op.DIVU_RR || op === Op.DIVU_RI;
        lines.push(`{ const y = ${y} >>> 0; if (y === 0) { cpu.setFault(${Vector.DE}, 0, 0); ${exit(i, String(pc))} }`);
        lines.push(`  ${logic(isDiv ? '(Math.floor((r[' + a + '] >>> 0) / y)) | 0' : '((r[' + a + '] >>> 0) % y) | 0', true)} }`);
        break;
      }
      case Op.NOT: lines.push(logic(`~r[${a}]`, true)); break;
      case Op.NEG:
        lines.push(needFlags[i]
          ? `{ const x = r[${a}], res = (-x) | 0; r[${a}] = res; f = (f & ${Flag.IF}) | (x !== 0 ? 1 : 0) | (res === 0 ? 2 : 0) | (res < 0 ? 4 : 0) | (x === -2147483648 ? 8 : 0); }`
          : `r[${a}] = (-r[${a}]) | 0;`);
        break;
      case Op.NOP: break;
      case Op.JMP_I:
        if (isSelfLoop && i === instrs.length - 1) lines.push(`t += ${instrs.length}; if (t + ${instrs.length} <= budget) continue; ${exit(0, String(imm))}`);
        else lines.push(exit(i + 1, String(imm)));
        break;
      case Op.JMP_R: lines.push(exit(i + 1, `r[${a}]`)); break;
      case Op.JZ: case Op.JNZ: case Op.JL: case Op.JGE: case Op.JLE: case Op.JG:
      case Op.JB: case Op.JAE: case Op.JBE: case Op.JA: case Op.JS: case Op.JNS:
        if (isSelfLoop && i === instrs.length - 1) {
          lines.push(`if (${condition(op)}) { t += ${instrs.length}; if (t + ${instrs.length} <= budget) continue; ${exit(0, String(imm))} }`);
          lines.push(exit(i + 1, String(next)));
        } else lines.push(exit(i + 1, `(${condition(op)}) ? ${imm} : ${next}`));
        break;
      case Op.CALL_I: case Op.CALL_R:
        lines.push(`{ const target = ${op === Op.CALL_I ? imm : `r[${a}]`}; const sp = (r[15] - 4) | 0; cpu.store32(sp, ${next}); ${faultExit} r[15] = sp; ${exit(i + 1, 'target')} }`); break;
      case Op.RET:
        lines.push(`{ const v = cpu.load32(r[15]); ${faultExit} r[15] = (r[15] + 4) | 0; ${exit(i + 1, 'v')} }`); break;
      default:
        // Privileged, sensitive, trap or undefined: the hypervisor runs it with exact state.
        lines.push(`cpu.flags = f; cpu.ticks += ${i}; cpu.pc = ${pc}; env.callOut(block, ${i}); return;`);
        break;
    }
  }
  if (!endsBlock(last.instr) && !isLastCalledOut) lines.push(exit(instrs.length, String((last.pc + last.instr.length) | 0)));
  if (isSelfLoop) lines.push('}');
  return lines.join('\n');
}

/** Does conditional jump `op` jump with flags `f`? (The interpreter's form of `condition`.) */
export function conditionHolds(op: number, f: number): boolean {
  const lt = (((f >> 2) ^ (f >> 3)) & 1) !== 0;
  switch (op) {
    case Op.JZ: return (f & 2) !== 0;
    case Op.JNZ: return (f & 2) === 0;
    case Op.JL: return lt;
    case Op.JGE: return !lt;
    case Op.JLE: return (f & 2) !== 0 || lt;
    case Op.JG: return (f & 2) === 0 && !lt;
    case Op.JB: return (f & 1) !== 0;
    case Op.JAE: return (f & 1) === 0;
    case Op.JBE: return (f & 3) !== 0;
    case Op.JA: return (f & 3) === 0;
    case Op.JS: return (f & 4) !== 0;
    default: return (f & 4) === 0;
  }
}

/** Is `op` a conditional jump? */
export function isConditionalJump(op: number): boolean {
  return FLAG_READERS.has(op);
}

function condition(op: number): string {
  const lt = '(((f >> 2) ^ (f >> 3)) & 1) !== 0';
  switch (op) {
    case Op.JZ: return '(f & 2) !== 0';
    case Op.JNZ: return '(f & 2) === 0';
    case Op.JL: return lt;
    case Op.JGE: return `!(${lt})`;
    case Op.JLE: return `(f & 2) !== 0 || ${lt}`;
    case Op.JG: return `(f & 2) === 0 && !(${lt})`;
    case Op.JB: return '(f & 1) !== 0';
    case Op.JAE: return '(f & 1) === 0';
    case Op.JBE: return '(f & 3) !== 0';
    case Op.JA: return '(f & 3) === 0';
    case Op.JS: return '(f & 4) !== 0';
    default: return '(f & 4) === 0';
  }
}

/**
 * Compiled blocks by source, and sources by instructions, shared by every
 * system in the process: a block's function depends on nothing but its
 * instructions and its arguments, and generating and compiling one costs tens
 * of microseconds (more than most blocks ever save), so a restarted session,
 * the demo's and bench's repeated runs and the divergence finder's twin run
 * reuse the translations of the runs before them.
 */
const compiled = new Map<string, BlockFunction>();
const sources = new Map<string, string>();
/** Bounds the shared caches (a guest that keeps generating code must not grow them without end). */
const MAX_COMPILED = 4096;

/** A block's source, generated once per process for the same instructions (see `compiled`). */
export function sourceOf(instrs: readonly BlockInstr[], isLastCalledOut: boolean): string {
  let key = isLastCalledOut ? 'a' : 'b';
  for (const { pc, instr } of instrs) key += `${pc},${instr.info.op},${instr.a},${instr.b},${instr.imm | 0},${instr.length};`;
  let source = sources.get(key);
  if (source === undefined) {
    source = generateSource(instrs as BlockInstr[], isLastCalledOut);
    if (sources.size >= MAX_COMPILED) sources.clear();
    sources.set(key, source);
  }
  return source;
}

export function compile(source: string): BlockFunction {
  let fn = compiled.get(source);
  if (fn !== undefined) return fn;
  // Generated from decoded guest instructions only (numbers and fixed templates), never from guest text.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- compiling generated code is what binary translation is
  fn = new Function('cpu', 'r', 'env', 'block', source) as BlockFunction;
  if (compiled.size >= MAX_COMPILED) compiled.clear();
  compiled.set(source, fn);
  return fn;
}

/** Static successors of a block's last instruction, for chaining. */
export function staticSuccessors(last: BlockInstr, isLastCalledOut = false): { targetPc: number; nextPc: number } {
  const op = last.instr.info.op;
  const next = (last.pc + last.instr.length) | 0;
  if (isLastCalledOut) return { targetPc: -1, nextPc: -1 };
  if (op === Op.JMP_I || op === Op.CALL_I) return { targetPc: last.instr.imm | 0, nextPc: -1 };
  if (FLAG_READERS.has(op)) return { targetPc: last.instr.imm | 0, nextPc: next };
  if (!endsBlock(last.instr)) return { targetPc: -1, nextPc: next };
  return { targetPc: -1, nextPc: -1 };
}
