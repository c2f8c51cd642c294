// Trap-and-emulate (g32-isa.md §7): the software hypervisor's trap(tf), which
// trap-and-emulate, paravirtual and binary translation share (handleTrap). A
// privileged instruction that the guest
// ran in pretend kernel mode trapped as #GP in real user mode; here it gets the
// effect bare hardware would have given it, on the guest's view of the CPU.
// Also the emulation of instructions that touched a device page or a
// write-protected page table: decoded from guest memory, memory accesses done
// through the guest's page table, destination written, pc advanced.

import { assertNever } from '../machine/assertNever';
import { DecodedInstr, operandAddress } from '../machine/decode';
import { Flag, FLAGS_MASK, isPrivilegedOp, Op, Vector } from '../machine/isa';
import { formatInstr, hexWord } from '../machine/format';
import { GuestAccess } from './guestMemory';
import type { Guest } from './guest';
import type { TrapContext } from './trapContext';
import { reflect } from './reflect';
import { describeTrap, TrapClass } from './classifyTrap';
import { hypercall } from './paravirt';

export function formatGuestInstr(instr: DecodedInstr): string {
  return formatInstr(instr);
}

/**
 * trap(tf) under software virtualization: every exception from a running guest
 * arrives here, classified (classifyTrap): privileged instructions emulated in
 * pretend kernel mode, the three kinds of page fault told apart, hypercalls
 * (paravirtual), the rest reflected into the guest.
 */
export function handleTrap(hv: TrapContext, guest: Guest, trap: TrapClass, vector: number, errorCode: number, faultAddress: number): void {
  const counters = guest.counters;
  hv.beginTrace();
  hv.mark('entry');
  hv.mark('check-gp');
  if (vector === Vector.GP && hv.hvEvents.isActive) hv.emit(describeTrap(hv, guest, trap, vector, errorCode, faultAddress)!);
  if (trap.kind === 'emulate-privileged') {
    counters.trapsProtectionFault++;
    hv.mark('decode');
    const instr = hv.fetchInstruction(guest);
    if (!instr) return;
    emulatePrivileged(hv, guest, instr);
    return;
  }
  if (vector === Vector.GP) counters.trapsProtectionFault++;
  hv.mark('check-pf');
  if (trap.kind === 'page-fault') {
    counters.trapsPageFault++;
    hv.pageFaults.handle(guest, errorCode, faultAddress);
    return;
  }
  hv.mark('check-vmcall');
  if (trap.kind === 'hypercall') {
    // A hypercall is its own, cheaper kind of entry (costs.ts: hypercall), not a trap plus a decode.
    hv.mark('hypercall');
    hypercall(hv, guest, trap.instr);
    return;
  }
  if (vector === Vector.SYSCALL) counters.trapsSyscall++;
  else if (vector !== Vector.GP) counters.trapsOther++;
  if (hv.hvEvents.isActive && vector === Vector.SYSCALL) {
    hv.emit(hv.event('syscall', guest, hv.cpu.pc, 'syscall', 'system call reflected to the guest', { vector }));
  }
  reflect(hv, guest, vector, errorCode, faultAddress);
}

/** A fault during emulation is the guest's, as it would have been on hardware. */
function reflectAccessFault(hv: TrapContext, guest: Guest): void {
  const v = guest.virtual;
  if (v.isBusError) hv.busError(guest, guest.memory.busErrorAddress);
  else if (v.fault) reflect(hv, guest, Vector.PF, v.fault.errorCode, v.fault.address);
}

export function emulatePrivileged(hv: TrapContext, guest: Guest, instr: DecodedInstr): void {
  const cpu = hv.cpu;
  const regs = cpu.regs;
  const next = (cpu.pc + instr.length) | 0;
  const counters = guest.counters;
  const text = hv.hvEvents.isActive ? formatGuestInstr(instr) : '';
  let isIo = false;
  const op = instr.info.op;
  if (!isPrivilegedOp(op)) {
    // Only privileged instructions raise #GP in user mode; anything else is a hypervisor bug.
    reflect(hv, guest, Vector.GP, 0, 0);
    return;
  }
  switch (op) {
    case Op.CLI:
      hv.mark('emulate-if');
      guest.virtualIF = false;
      break;
    case Op.STI:
      hv.mark('emulate-if');
      guest.virtualIF = true;
      break;
    case Op.IN:
      hv.mark('emulate-io');
      isIo = true;
      regs[instr.a] = guest.devices.portIn(instr.imm, cpu.ticks);
      break;
    case Op.OUT:
      hv.mark('emulate-io');
      hv.mark('advance');
      // Port I/O is counted (and costed) once, as I/O, not also as a privileged instruction.
      counters.ioEmulated++;
      hv.retireEmulated(next);
      // The timer counts from the tick at which the out retired.
      guest.devices.portOut(instr.imm, regs[instr.a], cpu.ticks);
      emitEmulated(hv, guest, 'io-emulated', text, `port I/O emulated: \`${text}\``, cpu.pc);
      hv.mark('return');
      return;
    case Op.MOV_CR3_R:
      hv.mark('emulate-cr3');
      guest.cr3 = regs[instr.a];
      counters.guestCr3Loads++;
      guest.shadow.onGuestCr3Load(guest.cr3);
      guest.translator?.onMappingsChanged();
      hv.loadRealCr3();
      if (hv.hvEvents.isActive) hv.emit(hv.event('cr3-load', guest, cpu.pc, text, `guest cr3 load of ${hexWord(guest.cr3)}: switching to its shadow page table`, { address: guest.cr3 >>> 0 }));
      break;
    case Op.MOV_R_CR3:
      hv.mark('emulate-special');
      regs[instr.a] = guest.cr3;
      break;
    case Op.INVLPG: {
      hv.mark('emulate-invlpg');
      const done = guest.shadow.onGuestInvlpg(regs[instr.a]);
      guest.translator?.onMappingsChanged();
      if (hv.hvEvents.isActive) hv.emit(hv.event('tlb-flush', guest, cpu.pc, text, `guest invlpg ${hexWord(regs[instr.a])}: ${done}`, { address: regs[instr.a] >>> 0 }));
      break;
    }
    case Op.MOV_EVT_R:
      hv.mark('emulate-special');
      guest.evt = regs[instr.a];
      break;
    case Op.MOV_KSP_R:
      hv.mark('emulate-special');
      guest.ksp = regs[instr.a];
      break;
    case Op.MOV_R_KSP:
      hv.mark('emulate-special');
      regs[instr.a] = guest.ksp;
      break;
    case Op.IRET:
      hv.mark('emulate-iret');
      returnFromException(hv, guest);
      if (hv.hvEvents.isActive && hv.cpu.stopReason === undefined && !guest.virtual.fault) {
        emitEmulated(
          hv,
          guest,
          'privileged-emulated',
          text,
          `\`iret\` emulated: back to pretend ${guest.isPretendUser ? 'user' : 'kernel'} mode at ${hexWord(cpu.pc)}${guest.isPretendUser && !hv.isHardwareAssist ? `; real cr3 → the ${hv.config.kernelShadows === 'separate' ? 'user shadow' : 'shadow (one for both modes, flushed)'}` : ''}`,
          cpu.pc,
        );
      }
      hv.mark('return');
      return;
    case Op.HLT:
      hv.mark('emulate-hlt');
      counters.privilegedEmulated++;
      hv.retireEmulated(next);
      cpu.isHalted = true;
      emitEmulated(hv, guest, 'privileged-emulated', text, '`hlt` emulated: the guest waits for a virtual interrupt', cpu.pc);
      hv.mark('return');
      return;
    default:
      assertNever(op, 'privileged opcode');
  }
  if (isIo) counters.ioEmulated++;
  else counters.privilegedEmulated++;
  const pc = cpu.pc;
  hv.mark('advance');
  hv.retireEmulated(next);
  emitEmulated(hv, guest, isIo ? 'io-emulated' : 'privileged-emulated', text, `\`${text}\` emulated in pretend kernel mode`, pc);
  hv.mark('return');
}

/**
 * `iret` on the guest's behalf (also hypercall 7): pops pc, flags, mode and sp
 * as kernel reads; a fault reflects to the guest, as on hardware.
 */
export function returnFromException(hv: TrapContext, guest: Guest): void {
  const cpu = hv.cpu;
  const regs = cpu.regs;
  const v = guest.virtual;
  const sp = regs[15];
  const values: number[] = [];
  for (const offset of [0, 4, 8, 12]) {
    values.push(v.read((sp + offset) | 0, 4, GuestAccess.READ, false));
    if (v.fault || v.isBusError) return reflectAccessFault(hv, guest);
  }
  const [newPc, newFlags, newMode, newSp] = values;
  guest.counters.privilegedEmulated++;
  guest.virtualIF = (newFlags & Flag.IF) !== 0;
  cpu.flags = (newFlags & FLAGS_MASK & ~Flag.IF) | Flag.IF;
  regs[15] = newSp;
  hv.setPretendMode(guest, newMode !== 0);
  hv.mark('advance');
  hv.retireEmulated(newPc);
}

function emitEmulated(hv: TrapContext, guest: Guest, kind: 'privileged-emulated' | 'io-emulated', text: string, description: string, pc: number): void {
  if (hv.hvEvents.isActive) hv.emit(hv.event(kind, guest, pc, text, description, {}));
}

/**
 * Emulates an instruction whose memory access trapped on a device page or a
 * write-protected page table, as the real CPU would have run it. What it
 * accesses comes from the opcode table (`OpInfo.access`), so a new memory
 * instruction needs no case here.
 */
export function emulateMemoryInstruction(hv: TrapContext, guest: Guest, instr: DecodedInstr): void {
  const cpu = hv.cpu;
  const regs = cpu.regs;
  const v = guest.virtual;
  const isUser = guest.isPretendUser;
  const isTranslatedKernel = guest.translator !== undefined && !isUser;
  const next = (cpu.pc + instr.length) | 0;
  const access = instr.info.access;
  const ticks = cpu.ticks + 1;
  let newPc = next;
  switch (access.kind) {
    case 'load': {
      const value = v.read(operandAddress(instr, regs), access.size, GuestAccess.READ, isUser);
      if (v.fault || v.isBusError) return reflectAccessFault(hv, guest);
      regs[instr.a] = value;
      break;
    }
    case 'store':
      if (!v.write(operandAddress(instr, regs), regs[instr.a], access.size, isUser, ticks)) return reflectAccessFault(hv, guest);
      break;
    case 'push': {
      const value = pushedValue(access.value, hv, guest, instr, next, isTranslatedKernel);
      const target = jumpTarget(instr, regs);
      const sp = (regs[15] - 4) | 0;
      if (!v.write(sp, value, 4, isUser, ticks)) return reflectAccessFault(hv, guest);
      regs[15] = sp;
      if (target !== undefined) newPc = target;
      break;
    }
    case 'pop': {
      if (access.into === 'frame') return cannotEmulate(hv, instr);
      const value = v.read(regs[15], 4, GuestAccess.READ, isUser);
      if (v.fault || v.isBusError) return reflectAccessFault(hv, guest);
      regs[15] = (regs[15] + 4) | 0;
      switch (access.into) {
        case 'ra':
          regs[instr.a] = value;
          break;
        case 'pc':
          newPc = value;
          break;
        case 'flags':
          if (isTranslatedKernel) {
            // As the translation's own popf: the guest's virtual IF, the real IF kept set.
            guest.virtualIF = (value & Flag.IF) !== 0;
            cpu.flags = (value & FLAGS_MASK & ~Flag.IF) | Flag.IF;
            // popf runs in real user mode: IF keeps its real value, as the hardware would have it.
          } else cpu.flags = (value & FLAGS_MASK & ~Flag.IF) | (cpu.flags & Flag.IF);
          break;
        default:
          assertNever(access.into, 'pop destination');
      }
      break;
    }
    case 'none':
      return cannotEmulate(hv, instr);
    default:
      assertNever(access, 'memory access');
  }
  hv.mark('advance');
  // A store (to RAM or the console) changes nothing the platform's service looks at, so, as a bare store, it asks for none:
  // the console loops' stores are most of what trap-and-emulate and binary translation emulate.
  hv.retireEmulated(newPc, access.kind !== 'store');
  hv.mark('pf-return');
}

/** What a push stores. Translated kernel code gets pushf's bare-hardware effect (the virtual IF) even when its store traps. */
function pushedValue(value: 'ra' | 'imm' | 'flags' | 'next', hv: TrapContext, guest: Guest, instr: DecodedInstr, next: number, isTranslatedKernel: boolean): number {
  switch (value) {
    case 'ra':
      return hv.cpu.regs[instr.a];
    case 'imm':
      return instr.imm;
    case 'flags':
      return isTranslatedKernel ? guest.guestFlags(hv.cpu.flags) : hv.cpu.flags;
    case 'next':
      return next;
    default:
      return assertNever(value, 'pushed value');
  }
}

/** Where a call goes: its `target` operand; undefined for an instruction that does not jump. */
function jumpTarget(instr: DecodedInstr, regs: Int32Array): number | undefined {
  const index = instr.info.roles.indexOf('target');
  if (index < 0) return undefined;
  return instr.info.operands[index] === 'ra' ? regs[instr.a] : instr.imm;
}

/**
 * No data access to redo (the fault was not this instruction's), or iret's
 * frame, which only a guest running its own iret natively (hardware assist)
 * could pop from a device page: the run stops and says so.
 */
function cannotEmulate(hv: TrapContext, instr: DecodedInstr): void {
  const cpu = hv.cpu;
  cpu.stopDetail = `hypervisor cannot emulate \`${formatGuestInstr(instr)}\` at ${hexWord(cpu.pc)} touching a device page or page table`;
  cpu.stopReason = 'bus-error';
}
