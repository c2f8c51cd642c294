// Binary translation of one guest basic block into a JavaScript function
// (g32-isa.md §7). Ordinary instructions become straight-line JavaScript on the
// real CPU's registers; memory accesses go through the real CPU's MMU (the
// shadow), and a fault leaves the block with pc, ticks and flags exact at the
// faulting instruction. Privileged and sensitive instructions become calls into
// the hypervisor, so popf, pushf and `mov rd, evt` see the guest's virtual state.
// Flags are computed only where something can observe them, by the text of the
// interpreter's own flag functions (machine/aluFlags.ts). The switch over
// opcodes is exhaustive: a new opcode does not compile until it has a case here.

import { addFlags, logicFlags, negFlags, signedLess, subFlags } from '../../machine/aluFlags';
import { assertNever } from '../../machine/assertNever';
import { DecodedInstr } from '../../machine/decode';
import { ConditionalJump, isConditionalJump, Op, OpInfo, Vector } from '../../machine/isa';
import { formatInstr, hexLiteral } from '../../machine/format';

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
   * Adaptive translation: an instruction of the block trapped again and again (a
   * console store, a write to a write-protected page), so the block calls its
   * emulation directly, without the trap, and goes on after it. Why (for the first
   * such instruction); undefined for other blocks.
   */
  adaptive: AdaptiveReason | undefined;
  /** Indexes of the instructions the block hands to the emulation (adaptive translation); empty for other blocks. */
  adaptiveAt: readonly number[];
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
  /** Checks its code before each run (a block on a hot frame, or a one-instruction call-out): see BinaryTranslator.isUnchanged. */
  isChecked: boolean;
  /** The code as translated, to check: as words when it is one word-aligned range (codeWords), else as bytes (code). */
  code: Uint8Array;
  codeWords: number[] | undefined;
  /** The machine address of each range. */
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
  /**
   * Runs instruction `index` of `block` in the hypervisor (privileged, sensitive,
   * trap, adaptive). True when the block may go on with the next instruction:
   * the instruction retired without a fault, nothing is due before the next one
   * and the block's code is still valid (only ever for an adaptive instruction).
   */
  callOut(block: TranslatedBlock, index: number): boolean;
}

export type BlockFunction = (cpu: unknown, r: Int32Array, env: BlockEnv, block: TranslatedBlock) => void;

/** Longest block, in instructions. */
export const MAX_BLOCK_INSTRUCTIONS = 64;

/** Translated instructions that set the flags (popf and iret do too, but the hypervisor runs them). */
function writesFlags(info: OpInfo): boolean {
  return info.flags === 'write' && info.cls === 'ordinary';
}

/** Instructions that leave the block early (a fault on their access, an exception) or hand control to the hypervisor. */
function mayExit(info: OpInfo): boolean {
  return info.access.kind !== 'none' || info.raises || info.cls !== 'ordinary';
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
  const { access, cls, endsBlock } = instr.info;
  return cls === 'ordinary' && !endsBlock && access.kind !== 'none';
}

/** Instructions that store to memory (call and pushf do too, but they end every block). */
export function writesMemory(instr: DecodedInstr): boolean {
  const kind = instr.info.access.kind;
  return kind === 'store' || kind === 'push';
}

/** Does the block end after this instruction? */
export function endsBlock(instr: DecodedInstr): boolean {
  return instr.info.endsBlock || isCallOut(instr);
}

/**
 * Does a block that starts at `start` end after this instruction? A conditional
 * jump forward or elsewhere does not: the block goes on along the fall-through
 * path and leaves by a side exit when the jump is taken (a superblock), so a loop
 * with an early exit is one block. A conditional jump back to the start ends it,
 * so that the block loops inside its function.
 */
export function endsBlockAt(instr: DecodedInstr, start: number): boolean {
  if (isConditionalJump(instr.info.op)) return (instr.imm | 0) === start;
  return endsBlock(instr);
}

/**
 * A flag rule of machine/aluFlags.ts as an expression over the block's locals:
 * the text of the interpreter's own function with its parameters replaced by
 * `args`. Blocks compute flags exactly as the interpreter does, without a call
 * (a call through the block's closure measurably slowed translated loops).
 */
function ruleText(name: string, rule: (...values: number[]) => number | boolean, args: readonly string[]): string {
  const text = rule.toString().replace(/\/\*[\s\S]*?\*\//g, '');
  const match = /^function\s*[\w$]*\s*\(([^)]*)\)\s*\{\s*return\b\s*([\s\S]*?);?\s*\}$/.exec(text);
  const params = match ? match[1].split(',').map((param) => param.trim()) : [];
  if (!match || params.length !== args.length) throw new Error(`flag rule ${name} is not one return statement over ${args.length} parameters`);
  const argOf = new Map(params.map((param, i) => [param, args[i]]));
  const body = match[2]
    .replace(/\b[A-Za-z_$][\w$]*\b/g, (word) => argOf.get(word) ?? word)
    .replace(/\s+/g, ' ')
    .replace(/ \)/g, ')');
  return `/* ${name} */ (${body})`;
}

const ADD_FLAGS = ruleText('addFlags', addFlags, ['f', 'x', 'y', 'res']);
const SUB_FLAGS = ruleText('subFlags', subFlags, ['f', 'x', 'y', 'res']);
const LOGIC_FLAGS = ruleText('logicFlags', logicFlags, ['f', 'res']);
const NEG_FLAGS = ruleText('negFlags', negFlags, ['f', 'x', 'res']);
const SIGNED_LESS = ruleText('signedLess', signedLess, ['f']);

/**
 * Generates the body of `function (cpu, r, env, block)`. The instructions at
 * `adaptiveAt` (adaptive translation: memory accesses) become calls into the
 * hypervisor like a privileged one, after which the block goes on.
 */
export function generateSource(instrs: BlockInstr[], adaptiveAt: readonly number[] = []): string {
  const isLastCalledOut = adaptiveAt.includes(instrs.length - 1);
  const needFlags: boolean[] = new Array<boolean>(instrs.length).fill(false);
  let isLive = true;
  for (let i = instrs.length - 1; i >= 0; i--) {
    const info = instrs[i].instr.info;
    if (writesFlags(info)) {
      needFlags[i] = isLive;
      isLive = false;
    }
    if (isConditionalJump(info.op) || mayExit(info)) isLive = true;
  }
  // A block that jumps back to its own start loops inside the function for as many
  // iterations as fit before the next event tick (t counts the ticks of finished iterations).
  const last = instrs[instrs.length - 1];
  const isSelfLoop = !isLastCalledOut && instrs.length > 1 && (isConditionalJump(last.instr.info.op) || last.instr.info.op === Op.JMP_I) && (last.instr.imm | 0) === instrs[0].pc;
  const lines: string[] = isSelfLoop ? ['let f = cpu.flags; let t = 0; let budget = cpu.eventTick - cpu.ticks;', 'for (;;) {'] : ['let f = cpu.flags; const t = 0;'];
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
    const logic = (expr: string, store: boolean) => (needFlags[i] ? `{ const res = ${expr}; ${store ? `r[${a}] = res; ` : ''}f = ${LOGIC_FLAGS}; }` : store ? `r[${a}] = ${expr};` : '');
    if (adaptiveAt.includes(i)) {
      // Adaptive translation: the hypervisor emulates this access, as it would after a trap, without the trap;
      // then the block goes on, with cpu.ticks back at the block's start as the rest of it expects.
      lines.push(`// ${hexLiteral(pc)}: ${formatInstr(instr)} (adaptive: emulated without a trap)`);
      lines.push(
        `cpu.flags = f; cpu.ticks += t + ${i}; cpu.pc = ${pc}; if (!env.callOut(block, ${i})) return; cpu.ticks -= t + ${i + 1}; f = cpu.flags;${isSelfLoop ? ' budget = cpu.eventTick - cpu.ticks;' : ''}`,
      );
      continue;
    }
    lines.push(`// ${hexLiteral(pc)}: ${formatInstr(instr)}`);
    switch (op) {
      case Op.MOV_RR:
        lines.push(`r[${a}] = r[${b}];`);
        break;
      case Op.MOV_RI:
        lines.push(`r[${a}] = ${imm};`);
        break;
      case Op.LD_R:
      case Op.LD_RD:
      case Op.LD_A:
        lines.push(`{ const v = cpu.load32(${addr}); ${faultExit} r[${a}] = v; }`);
        break;
      case Op.LDB_R:
      case Op.LDB_RD:
      case Op.LDB_A:
        lines.push(`{ const v = cpu.load8(${addr}); ${faultExit} r[${a}] = v; }`);
        break;
      case Op.ST_R:
      case Op.ST_RD:
      case Op.ST_A:
        lines.push(`cpu.store32(${addr}, r[${a}]); ${faultExit}`);
        break;
      case Op.STB_R:
      case Op.STB_RD:
      case Op.STB_A:
        lines.push(`cpu.store8(${addr}, r[${a}]); ${faultExit}`);
        break;
      case Op.LEA_R:
      case Op.LEA_RD:
      case Op.LEA_A:
        lines.push(`r[${a}] = ${addr};`);
        break;
      case Op.PUSH_R:
      case Op.PUSH_I:
        lines.push(`{ const v = ${op === Op.PUSH_R ? `r[${a}]` : imm}; const sp = (r[15] - 4) | 0; cpu.store32(sp, v); ${faultExit} r[15] = sp; }`);
        break;
      case Op.POP:
        lines.push(`{ const v = cpu.load32(r[15]); ${faultExit} r[15] = (r[15] + 4) | 0; r[${a}] = v; }`);
        break;
      case Op.ADD_RR:
      case Op.ADD_RI:
        lines.push(needFlags[i] ? `{ const x = r[${a}], y = ${src(Op.ADD_RR)}, res = (x + y) | 0; r[${a}] = res; f = ${ADD_FLAGS}; }` : `r[${a}] = (r[${a}] + ${src(Op.ADD_RR)}) | 0;`);
        break;
      case Op.SUB_RR:
      case Op.SUB_RI:
      case Op.CMP_RR:
      case Op.CMP_RI: {
        const y = op === Op.SUB_RR || op === Op.CMP_RR ? `r[${b}]` : String(imm);
        const isStore = op === Op.SUB_RR || op === Op.SUB_RI;
        if (needFlags[i]) {
          lines.push(`{ const x = r[${a}], y = ${y}, res = (x - y) | 0; ${isStore ? `r[${a}] = res; ` : ''}f = ${SUB_FLAGS}; }`);
        } else if (isStore) lines.push(`r[${a}] = (r[${a}] - ${y}) | 0;`);
        break;
      }
      case Op.AND_RR:
      case Op.AND_RI:
        lines.push(logic(`r[${a}] & ${src(Op.AND_RR)}`, true));
        break;
      case Op.OR_RR:
      case Op.OR_RI:
        lines.push(logic(`r[${a}] | ${src(Op.OR_RR)}`, true));
        break;
      case Op.XOR_RR:
      case Op.XOR_RI:
        lines.push(logic(`r[${a}] ^ ${src(Op.XOR_RR)}`, true));
        break;
      case Op.TEST_RR:
      case Op.TEST_RI:
        lines.push(logic(`r[${a}] & ${src(Op.TEST_RR)}`, false));
        break;
      case Op.SHL_RR:
      case Op.SHL_RI:
        lines.push(logic(`r[${a}] << (${src(Op.SHL_RR)} & 31)`, true));
        break;
      case Op.SHR_RR:
      case Op.SHR_RI:
        lines.push(logic(`(r[${a}] >>> (${src(Op.SHR_RR)} & 31)) | 0`, true));
        break;
      case Op.SAR_RR:
      case Op.SAR_RI:
        lines.push(logic(`r[${a}] >> (${src(Op.SAR_RR)} & 31)`, true));
        break;
      case Op.MUL_RR:
      case Op.MUL_RI:
        lines.push(logic(`Math.imul(r[${a}], ${src(Op.MUL_RR)})`, true));
        break;
      case Op.DIVU_RR:
      case Op.DIVU_RI:
      case Op.REMU_RR:
      case Op.REMU_RI: {
        const y = op === Op.DIVU_RR || op === Op.REMU_RR ? `r[${b}]` : String(imm);
        const isDiv = op === Op.DIVU_RR || op === Op.DIVU_RI;
        lines.push(`{ const y = ${y} >>> 0; if (y === 0) { cpu.setFault(${Vector.DE}, 0, 0); ${exit(i, String(pc))} }`);
        lines.push(`  ${logic(isDiv ? '(Math.floor((r[' + a + '] >>> 0) / y)) | 0' : '((r[' + a + '] >>> 0) % y) | 0', true)} }`);
        break;
      }
      case Op.NOT:
        lines.push(logic(`~r[${a}]`, true));
        break;
      case Op.NEG:
        lines.push(needFlags[i] ? `{ const x = r[${a}], res = (-x) | 0; r[${a}] = res; f = ${NEG_FLAGS}; }` : `r[${a}] = (-r[${a}]) | 0;`);
        break;
      case Op.NOP:
        break;
      case Op.JMP_I:
        if (isSelfLoop && i === instrs.length - 1) lines.push(`t += ${instrs.length}; if (t + ${instrs.length} <= budget) continue; ${exit(0, String(imm))}`);
        else lines.push(exit(i + 1, String(imm)));
        break;
      case Op.JMP_R:
        lines.push(exit(i + 1, `r[${a}]`));
        break;
      case Op.JZ:
      case Op.JNZ:
      case Op.JL:
      case Op.JGE:
      case Op.JLE:
      case Op.JG:
      case Op.JB:
      case Op.JAE:
      case Op.JBE:
      case Op.JA:
      case Op.JS:
      case Op.JNS:
        if (isSelfLoop && i === instrs.length - 1) {
          lines.push(`if (${condition(op)}) { t += ${instrs.length}; if (t + ${instrs.length} <= budget) continue; ${exit(0, String(imm))} }`);
          lines.push(exit(i + 1, String(next)));
        } else if (i === instrs.length - 1) lines.push(exit(i + 1, `(${condition(op)}) ? ${imm} : ${next}`));
        // A superblock's side exit: taken, the jump leaves the block; not taken, the block goes on.
        else lines.push(`if (${condition(op)}) ${exit(i + 1, String(imm))}`);
        break;
      case Op.CALL_I:
      case Op.CALL_R:
        lines.push(`{ const target = ${op === Op.CALL_I ? imm : `r[${a}]`}; const sp = (r[15] - 4) | 0; cpu.store32(sp, ${next}); ${faultExit} r[15] = sp; ${exit(i + 1, 'target')} }`);
        break;
      case Op.RET:
        lines.push(`{ const v = cpu.load32(r[15]); ${faultExit} r[15] = (r[15] + 4) | 0; ${exit(i + 1, 'v')} }`);
        break;
      case Op.SYSCALL:
      case Op.BRK:
      case Op.VMCALL:
      case Op.HLT:
      case Op.CLI:
      case Op.STI:
      case Op.IN:
      case Op.OUT:
      case Op.IRET:
      case Op.MOV_CR3_R:
      case Op.MOV_R_CR3:
      case Op.INVLPG:
      case Op.MOV_EVT_R:
      case Op.MOV_KSP_R:
      case Op.MOV_R_KSP:
      case Op.PUSHF:
      case Op.POPF:
      case Op.MOV_R_EVT:
        // Privileged, sensitive or a trap: the hypervisor runs it with exact state.
        lines.push(`cpu.flags = f; cpu.ticks += ${i}; cpu.pc = ${pc}; env.callOut(block, ${i}); return;`);
        break;
      default:
        assertNever(op, 'opcode');
    }
  }
  if (!endsBlock(last.instr) || isLastCalledOut) lines.push(exit(instrs.length, String((last.pc + last.instr.length) | 0)));
  if (isSelfLoop) lines.push('}');
  return lines.join('\n');
}

const conditionTests = new Map<ConditionalJump, (f: number) => boolean>();

/** Does conditional jump `op` jump with flags `f`? The translation's own test (`condition`), compiled once per opcode, for the block interpreter. */
export function conditionHolds(op: ConditionalJump, f: number): boolean {
  let test = conditionTests.get(op);
  if (test === undefined) {
    // eslint-disable-next-line @typescript-eslint/no-implied-eval -- the same generated code translated blocks run
    test = new Function('f', `return ${condition(op)};`) as (f: number) => boolean;
    conditionTests.set(op, test);
  }
  return test(f);
}

function condition(op: ConditionalJump): string {
  const lt = SIGNED_LESS;
  switch (op) {
    case Op.JZ:
      return '(f & 2) !== 0';
    case Op.JNZ:
      return '(f & 2) === 0';
    case Op.JL:
      return lt;
    case Op.JGE:
      return `!(${lt})`;
    case Op.JLE:
      return `(f & 2) !== 0 || ${lt}`;
    case Op.JG:
      return `(f & 2) === 0 && !(${lt})`;
    case Op.JB:
      return '(f & 1) !== 0';
    case Op.JAE:
      return '(f & 1) === 0';
    case Op.JBE:
      return '(f & 3) !== 0';
    case Op.JA:
      return '(f & 3) === 0';
    case Op.JS:
      return '(f & 4) !== 0';
    case Op.JNS:
      return '(f & 4) === 0';
    default:
      return assertNever(op, 'conditional jump');
  }
}

/**
 * Translations (source and compiled function) by their instructions, shared by
 * every system in the process: a block's function depends on nothing but its
 * instructions and its arguments, and generating and compiling one costs tens
 * of microseconds (more than most blocks ever save), so a restarted session,
 * the demo's and bench's repeated runs and the divergence finder's twin run
 * reuse the translations of the runs before them. Found by the block's first
 * address, then by comparing its decoded form (numbers, cheaper than any text key).
 */
const translations = new Map<number, Array<{ key: readonly number[]; source: string; fn: BlockFunction }>>();
/** Bounds the shared cache (a guest that keeps generating code must not grow it without end). */
const MAX_TRANSLATIONS = 4096;
let translationCount = 0;

/**
 * The translation of a block's instructions (its `adaptiveAt` ones handed to the
 * emulation), made once per process; found by its decoded form, which determines both.
 */
export function translationOf(block: Pick<TranslatedBlock, 'instrs' | 'adaptiveAt' | 'decoded'>): { source: string; fn: BlockFunction } {
  const { instrs, adaptiveAt, decoded: key } = block;
  const pc = instrs[0].pc;
  let same = translations.get(pc);
  if (same !== undefined) for (let i = 0; i < same.length; i++) if (isSameKey(same[i].key, key)) return same[i];
  // (Counted per translation: code rewritten again and again at one address fills one list.)
  if (translationCount >= MAX_TRANSLATIONS) {
    translations.clear();
    translationCount = 0;
    same = undefined;
  }
  if (same === undefined) {
    same = [];
    translations.set(pc, same);
  }
  const source = generateSource(instrs, adaptiveAt);
  const translation = { key, source, fn: compile(source) };
  same.push(translation);
  translationCount++;
  return translation;
}

function isSameKey(a: readonly number[], b: readonly number[]): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}

/** Compiles a block's source (translationOf caches the result). */
export function compile(source: string): BlockFunction {
  // Generated from decoded guest instructions only (numbers and fixed templates), never from guest text.
  // eslint-disable-next-line @typescript-eslint/no-implied-eval -- compiling generated code is what binary translation is
  return new Function('cpu', 'r', 'env', 'block', source) as BlockFunction;
}

/** Static successors of a block's last instruction, for chaining. */
export function staticSuccessors(last: BlockInstr): { targetPc: number; nextPc: number } {
  const op = last.instr.info.op;
  const next = (last.pc + last.instr.length) | 0;
  if (op === Op.JMP_I || op === Op.CALL_I) return { targetPc: last.instr.imm | 0, nextPc: -1 };
  if (isConditionalJump(op)) return { targetPc: last.instr.imm | 0, nextPc: next };
  if (!endsBlock(last.instr)) return { targetPc: -1, nextPc: next };
  return { targetPc: -1, nextPc: -1 };
}
