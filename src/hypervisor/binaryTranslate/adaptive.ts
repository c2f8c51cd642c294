// Adaptive binary translation, as VMware's software VMM did it: an instruction
// of translated kernel code that keeps trapping into the hypervisor (a store to
// the memory-mapped console, a write to a write-protected page table or code
// page) is, after ADAPTIVE_TRAP_LIMIT traps, retranslated so that its block
// calls the emulation directly. The access is checked first: if it still goes
// to a device or protected page it is emulated exactly as the trap handler
// would (same emulation, same counters but the trap); otherwise it runs as an
// ordinary access, and a fault takes the ordinary way.

import { hexWord } from '../../machine/format';
import { Op } from '../../machine/isa';
import { DecodedInstr } from '../../machine/decode';
import { GuestAccess, GuestMemory } from '../guestMemory';
import type { Guest } from '../guest';
import type { Hypervisor } from '../hypervisor';
import { emulateMemoryInstruction, formatGuestInstr } from '../trapEmulate';
import type { TranslationCache } from './cache';
import { AdaptiveReason } from './translate';

/** Traps into emulation at one instruction before its block is retranslated to call the emulation directly. */
export const ADAPTIVE_TRAP_LIMIT = 4;

/** What an adaptive instruction's access touches now: a device, a protected page, or ordinary memory (undefined). */
function classify(guest: Guest, cache: TranslationCache, va: number, isWrite: boolean): AdaptiveReason['kind'] | undefined {
  // A look without side effects: the emulation (or the ordinary access) does the real walk.
  const walk = guest.memory.walk(guest.cr3, va, isWrite ? GuestAccess.WRITE : GuestAccess.READ, false, false);
  if (walk.gpa < 0) return undefined;
  if (GuestMemory.isConsole(walk.gpa)) return 'console';
  if (!isWrite) return undefined;
  if (cache.isProtected(walk.gpa >>> 12)) return 'code-page';
  if (guest.shadow.isWriteProtected(walk.gpa)) return 'page-table';
  return undefined;
}

/**
 * The data access of an adaptable instruction (see isAdaptable) with the registers
 * as they are now, left in `access` (one object reused: this runs at every console store).
 */
const access = { address: 0, size: 4, isWrite: false };
function accessOf(instr: DecodedInstr, regs: Int32Array): void {
  const op = instr.info.op;
  if (op === Op.PUSH_R || op === Op.PUSH_I || op === Op.POP) {
    access.address = op === Op.POP ? regs[15] : (regs[15] - 4) | 0;
    access.size = 4;
    access.isWrite = op !== Op.POP;
    return;
  }
  access.address = instr.info.mem === 'reg' ? regs[instr.b] : instr.info.mem === 'disp' ? (regs[instr.b] + instr.imm) | 0 : instr.imm | 0;
  access.size = op === Op.STB_R || op === Op.STB_RD || op === Op.STB_A || op === Op.LDB_R || op === Op.LDB_RD || op === Op.LDB_A ? 1 : 4;
  access.isWrite = op === Op.ST_R || op === Op.ST_RD || op === Op.ST_A || op === Op.STB_R || op === Op.STB_RD || op === Op.STB_A;
}

/**
 * Runs an adaptive instruction (cpu.pc, ticks and flags exact at it): emulated
 * without a trap when its access goes to the console or a protected page (true),
 * else as the ordinary instruction (false; a fault is left set for the engine to raise).
 */
export function runAdaptive(hv: Hypervisor, guest: Guest, cache: TranslationCache, instr: DecodedInstr): boolean {
  const cpu = hv.cpu;
  accessOf(instr, cpu.regs);
  const { address, size, isWrite } = access;
  const kind = classify(guest, cache, address, isWrite) ?? (size > 1 ? classify(guest, cache, (address + size - 1) | 0, isWrite) : undefined);
  if (kind !== undefined) {
    const counters = guest.counters;
    counters.trapsAvoidedByAdaptiveTranslation++;
    if (kind === 'console') {
      counters.ioEmulated++;
      if (hv.hvEvents.isActive) {
        const text = formatGuestInstr(instr);
        hv.emit(hv.event('io-emulated', guest, cpu.pc, text, `memory-mapped I/O at ${hexWord(address)} emulated without a trap (adaptive translation): \`${text}\``, { address: address >>> 0 }));
      }
    } else counters.writeProtectEmulations++;
    emulateMemoryInstruction(hv, guest, instr);
    return true;
  }
  runOrdinary(hv, instr, address);
  return false;
}

/** The instruction's own effect on the real CPU, as its translation would have it. */
function runOrdinary(hv: Hypervisor, instr: DecodedInstr, address: number): void {
  const cpu = hv.cpu;
  const regs = cpu.regs;
  const op = instr.info.op;
  const a = instr.a;
  switch (op) {
    case Op.LD_R:
    case Op.LD_RD:
    case Op.LD_A:
    case Op.LDB_R:
    case Op.LDB_RD:
    case Op.LDB_A:
    case Op.POP: {
      const value = op === Op.LDB_R || op === Op.LDB_RD || op === Op.LDB_A ? cpu.load8(address) : cpu.load32(address);
      if (cpu.fault !== 0) return;
      if (op === Op.POP) regs[15] = (regs[15] + 4) | 0;
      regs[a] = value;
      break;
    }
    case Op.ST_R:
    case Op.ST_RD:
    case Op.ST_A:
      cpu.store32(address, regs[a]);
      break;
    case Op.STB_R:
    case Op.STB_RD:
    case Op.STB_A:
      cpu.store8(address, regs[a]);
      break;
    case Op.PUSH_R:
    case Op.PUSH_I: {
      cpu.store32(address, op === Op.PUSH_R ? regs[a] : instr.imm | 0);
      if (cpu.fault !== 0) return;
      regs[15] = address;
      break;
    }
    default:
      // isAdaptable admits only the loads, stores, pushes and pops above.
      throw new Error(`adaptive translation cannot run ${instr.info.mnemonic}`);
  }
  if (cpu.fault !== 0) return;
  cpu.ticks++;
  cpu.pc = (cpu.pc + instr.length) | 0;
}
