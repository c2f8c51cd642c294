// Tiered binary translation: a block decoded before it is hot (an adaptive one,
// or a one-instruction call-out of cold code; other cold code runs on the CPU in
// block mode) runs here, one decoded instruction after another, instead of as
// translated JavaScript. It keeps the
// translation's contract exactly (a BlockFunction): the same real-CPU memory
// accesses through the shadow, a fault leaves pc, ticks and flags exact at the
// faulting instruction, and privileged and sensitive instructions (and an
// adaptive instruction) go to the hypervisor through `env.callOut`, so the
// guest cannot tell an interpreted block from a translated one.

import { addFlags, logicFlags, negFlags, subFlags } from '../../machine/aluFlags';
import type { Cpu } from '../../machine/cpu';
import { Op, Vector } from '../../machine/isa';
import { isConditionalJump } from '../../machine/isa';
import { BlockEnv, BlockInstr, conditionHolds, isCallOut, TranslatedBlock } from './translate';

/** Int32 words per instruction in a block's `decoded` form. */
const WORDS = 4;
const MEM_REG = 1 << 16;
const MEM_DISP = 2 << 16;
const CALL_OUT = 1 << 20;

/**
 * A block's instructions as the interpreter reads them, flat (no object per
 * instruction on the way): op | a << 8 | b << 12 | memory form << 16 | call-out
 * << 20, the immediate, the pc, the next pc.
 */
export function decodeForInterpreter(instrs: readonly BlockInstr[], adaptiveAt: readonly number[]): number[] {
  // A plain array: allocating one typed array per block costs more than the interpreter saves on a cold block.
  const decoded: number[] = [];
  for (let i = 0; i < instrs.length; i++) {
    const { pc, instr } = instrs[i];
    const mem = instr.info.mem === 'reg' ? MEM_REG : instr.info.mem === 'disp' ? MEM_DISP : 0;
    const callOut = isCallOut(instr) || adaptiveAt.includes(i) ? CALL_OUT : 0;
    decoded.push(instr.info.op | (instr.a << 8) | (instr.b << 12) | mem | callOut, instr.imm | 0, pc, (pc + instr.length) | 0);
  }
  return decoded;
}

/** Leaves the block before an instruction (a fault) or after it (a jump), as the translation does. */
function leave(cpu: Cpu, f: number, retired: number, pc: number): void {
  cpu.flags = f;
  cpu.ticks += retired;
  cpu.pc = pc;
}

/**
 * At a block's last instruction, a jump to its own start: as in the translation, the
 * block loops without leaving while another iteration fits before the next event
 * (cpu.ticks then moves to the start of the next iteration, the block's start as
 * the rest of the block expects). Each turn counts as a run towards translation.
 */
function isLoopBack(cpu: Cpu, block: TranslatedBlock, i: number, count: number, target: number): boolean {
  if (i !== count - 1 || target !== block.gva || cpu.ticks + 2 * count > cpu.eventTick) return false;
  cpu.ticks += count;
  // Each turn counts towards the block's translation, as a run does (a loop is hot however it is entered).
  block.executions++;
  return true;
}

/** Runs `block` without translating it (looping while it jumps back to its start); same signature and effects as its translation. */
export function interpretBlock(cpuArg: unknown, r: Int32Array, env: BlockEnv, block: TranslatedBlock): void {
  const cpu = cpuArg as Cpu;
  const code = block.decoded;
  const count = code.length / WORDS;
  let f = cpu.flags;
  for (let i = 0; i < count; i++) {
    const word = code[i * WORDS];
    const imm = code[i * WORDS + 1];
    const pc = code[i * WORDS + 2];
    const next = code[i * WORDS + 3];
    const op = word & 0xff;
    if ((word & CALL_OUT) !== 0) {
      // Privileged, sensitive, trap, undefined or adaptive: the hypervisor runs it with exact state.
      cpu.flags = f;
      cpu.ticks += i;
      cpu.pc = pc;
      if (!env.callOut(block, i)) return;
      // An adaptive instruction retired: go on, with cpu.ticks back at the block's start as the rest expects.
      cpu.ticks -= i + 1;
      f = cpu.flags;
      continue;
    }
    const a = (word >> 8) & 0xf;
    const b = (word >> 12) & 0xf;
    const mem = word & (3 << 16);
    const addr = mem === MEM_REG ? r[b] : mem === MEM_DISP ? (r[b] + imm) | 0 : imm;
    let x: number, y: number, res: number;
    switch (op) {
      case Op.MOV_RR:
        r[a] = r[b];
        break;
      case Op.MOV_RI:
        r[a] = imm;
        break;
      case Op.LD_R:
      case Op.LD_RD:
      case Op.LD_A:
        x = cpu.load32(addr);
        if (cpu.fault !== 0) return leave(cpu, f, i, pc);
        r[a] = x;
        break;
      case Op.LDB_R:
      case Op.LDB_RD:
      case Op.LDB_A:
        x = cpu.load8(addr);
        if (cpu.fault !== 0) return leave(cpu, f, i, pc);
        r[a] = x;
        break;
      case Op.ST_R:
      case Op.ST_RD:
      case Op.ST_A:
        cpu.store32(addr, r[a]);
        if (cpu.fault !== 0) return leave(cpu, f, i, pc);
        break;
      case Op.STB_R:
      case Op.STB_RD:
      case Op.STB_A:
        cpu.store8(addr, r[a]);
        if (cpu.fault !== 0) return leave(cpu, f, i, pc);
        break;
      case Op.LEA_R:
      case Op.LEA_RD:
      case Op.LEA_A:
        r[a] = addr;
        break;
      case Op.PUSH_R:
      case Op.PUSH_I:
        x = op === Op.PUSH_R ? r[a] : imm;
        y = (r[15] - 4) | 0;
        cpu.store32(y, x);
        if (cpu.fault !== 0) return leave(cpu, f, i, pc);
        r[15] = y;
        break;
      case Op.POP:
        x = cpu.load32(r[15]);
        if (cpu.fault !== 0) return leave(cpu, f, i, pc);
        r[15] = (r[15] + 4) | 0;
        r[a] = x;
        break;
      case Op.ADD_RR:
      case Op.ADD_RI:
        x = r[a];
        y = op === Op.ADD_RR ? r[b] : imm;
        res = (x + y) | 0;
        f = addFlags(f, x, y, res);
        r[a] = res;
        break;
      case Op.SUB_RR:
      case Op.SUB_RI:
      case Op.CMP_RR:
      case Op.CMP_RI:
        x = r[a];
        y = op === Op.SUB_RR || op === Op.CMP_RR ? r[b] : imm;
        res = (x - y) | 0;
        f = subFlags(f, x, y, res);
        if (op === Op.SUB_RR || op === Op.SUB_RI) r[a] = res;
        break;
      case Op.AND_RR:
      case Op.AND_RI:
        res = r[a] & (op === Op.AND_RR ? r[b] : imm);
        r[a] = res;
        f = logicFlags(f, res);
        break;
      case Op.OR_RR:
      case Op.OR_RI:
        res = r[a] | (op === Op.OR_RR ? r[b] : imm);
        r[a] = res;
        f = logicFlags(f, res);
        break;
      case Op.XOR_RR:
      case Op.XOR_RI:
        res = r[a] ^ (op === Op.XOR_RR ? r[b] : imm);
        r[a] = res;
        f = logicFlags(f, res);
        break;
      case Op.TEST_RR:
      case Op.TEST_RI:
        f = logicFlags(f, r[a] & (op === Op.TEST_RR ? r[b] : imm));
        break;
      case Op.SHL_RR:
      case Op.SHL_RI:
        res = r[a] << ((op === Op.SHL_RR ? r[b] : imm) & 31);
        r[a] = res;
        f = logicFlags(f, res);
        break;
      case Op.SHR_RR:
      case Op.SHR_RI:
        res = (r[a] >>> ((op === Op.SHR_RR ? r[b] : imm) & 31)) | 0;
        r[a] = res;
        f = logicFlags(f, res);
        break;
      case Op.SAR_RR:
      case Op.SAR_RI:
        res = r[a] >> ((op === Op.SAR_RR ? r[b] : imm) & 31);
        r[a] = res;
        f = logicFlags(f, res);
        break;
      case Op.MUL_RR:
      case Op.MUL_RI:
        res = Math.imul(r[a], op === Op.MUL_RR ? r[b] : imm);
        r[a] = res;
        f = logicFlags(f, res);
        break;
      case Op.DIVU_RR:
      case Op.DIVU_RI:
      case Op.REMU_RR:
      case Op.REMU_RI:
        y = (op === Op.DIVU_RR || op === Op.REMU_RR ? r[b] : imm) >>> 0;
        if (y === 0) {
          cpu.setFault(Vector.DE, 0, 0);
          return leave(cpu, f, i, pc);
        }
        x = r[a] >>> 0;
        res = (op === Op.DIVU_RR || op === Op.DIVU_RI ? Math.floor(x / y) : x % y) | 0;
        r[a] = res;
        f = logicFlags(f, res);
        break;
      case Op.NOT:
        res = ~r[a];
        r[a] = res;
        f = logicFlags(f, res);
        break;
      case Op.NEG:
        x = r[a];
        res = -x | 0;
        f = negFlags(f, x, res);
        r[a] = res;
        break;
      case Op.NOP:
        break;
      case Op.JMP_I:
        if (isLoopBack(cpu, block, i, count, imm)) {
          i = -1;
          continue;
        }
        return leave(cpu, f, i + 1, imm);
      case Op.JMP_R:
        return leave(cpu, f, i + 1, r[a]);
      case Op.CALL_I:
      case Op.CALL_R:
        x = op === Op.CALL_I ? imm : r[a];
        y = (r[15] - 4) | 0;
        cpu.store32(y, next);
        if (cpu.fault !== 0) return leave(cpu, f, i, pc);
        r[15] = y;
        return leave(cpu, f, i + 1, x);
      case Op.RET:
        x = cpu.load32(r[15]);
        if (cpu.fault !== 0) return leave(cpu, f, i, pc);
        r[15] = (r[15] + 4) | 0;
        return leave(cpu, f, i + 1, x);
      default:
        if (isConditionalJump(op)) {
          // Taken, it leaves the block; not taken, a superblock goes on (and a block that ends at it leaves by the fall-through).
          if (!conditionHolds(op, f)) break;
          if (isLoopBack(cpu, block, i, count, imm)) {
            i = -1;
            continue;
          }
          return leave(cpu, f, i + 1, imm);
        }
        // As in the translation: anything else is the hypervisor's, with exact state.
        cpu.flags = f;
        cpu.ticks += i;
        cpu.pc = pc;
        env.callOut(block, i);
        return;
    }
  }
  cpu.flags = f;
  cpu.ticks += count;
  cpu.pc = code[count * WORDS - 1];
}
