// Adaptive binary translation, as VMware's software VMM did it: an instruction
// of translated kernel code that keeps trapping into the hypervisor (a store to
// the memory-mapped console, a write to a write-protected page table or code
// page) is, after ADAPTIVE_TRAP_LIMIT traps, retranslated so that its block
// calls the emulation directly. The access is checked first: if it still goes
// to a device or protected page it is emulated exactly as the trap handler
// would (same emulation, same counters but the trap); otherwise it runs as an
// ordinary access, and a fault takes the ordinary way.

import { hexWord } from '../../machine/format';
import { DecodedInstr, operandAddress } from '../../machine/decode';
import { GuestAccess, GuestMemory } from '../guestMemory';
import type { Guest } from '../guest';
import type { Hypervisor } from '../hypervisor';
import { emulateMemoryInstruction, formatGuestInstr } from '../trapEmulate';
import type { TranslationCache } from './cache';
import { AdaptiveReason, writesMemory } from './translate';

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

/** Where an adaptable instruction's data access goes with the registers as they are now (its kind and size: OpInfo.access). */
function addressOf(instr: DecodedInstr, regs: Int32Array): number {
  const kind = instr.info.access.kind;
  return kind === 'push' ? (regs[15] - 4) | 0 : kind === 'pop' ? regs[15] : operandAddress(instr, regs);
}

/**
 * Runs an adaptive instruction (cpu.pc, ticks and flags exact at it): emulated
 * without a trap when its access goes to the console or a protected page (true),
 * else as the ordinary instruction (false; a fault is left set for the engine to raise).
 */
export function runAdaptive(hv: Hypervisor, guest: Guest, cache: TranslationCache, instr: DecodedInstr): boolean {
  const cpu = hv.cpu;
  const address = addressOf(instr, cpu.regs);
  const size = instr.info.access.kind === 'none' ? 0 : instr.info.access.size;
  const isWrite = writesMemory(instr);
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
  const access = instr.info.access;
  switch (access.kind) {
    case 'load':
    case 'pop': {
      const value = access.size === 1 ? cpu.load8(address) : cpu.load32(address);
      if (cpu.fault !== 0) return;
      if (access.kind === 'pop') regs[15] = (regs[15] + 4) | 0;
      regs[instr.a] = value;
      break;
    }
    case 'store':
      if (access.size === 1) cpu.store8(address, regs[instr.a]);
      else cpu.store32(address, regs[instr.a]);
      break;
    case 'push':
      cpu.store32(address, access.value === 'ra' ? regs[instr.a] : instr.imm | 0);
      if (cpu.fault !== 0) return;
      regs[15] = address;
      break;
    default:
      // isAdaptable admits only loads, stores, pushes and pops.
      throw new Error(`adaptive translation cannot run ${instr.info.mnemonic}`);
  }
  if (cpu.fault !== 0) return;
  cpu.ticks++;
  cpu.pc = (cpu.pc + instr.length) | 0;
}
