// Hardware assist (g32-isa.md §7, `virtualization: hardware-assist`): the guest
// runs in the CPU's guest mode with its own mode, IF, evt and ksp, and the CPU
// exits to the hypervisor only for what the exit controls name (hlt, port I/O,
// vmcall; cr3 and invlpg with shadow paging), for memory-mapped I/O, for page
// faults with shadow paging, and to inject a virtual interrupt. The guest's own
// exceptions go to its handler in guest mode, with no exit.

import { Cpu, ExitOn, Mode } from '../machine/cpu';
import { Flag, Op, PfError, Vector, VECTOR_NAMES } from '../machine/isa';
import { hexWord } from '../machine/format';
import { formatPageFaultError } from '../machine/pageFaultError';
import type { Guest } from './guest';
import { hypercall } from './paravirt';
import { reflect } from './reflect';
import type { TrapContext } from './trapContext';
import { emulatePrivileged, formatGuestInstr } from './trapEmulate';
import type { TrapClass } from './classifyTrap';

/** VM entry: the guest's own mode, evt and ksp are the real CPU's in guest mode. */
export function enterGuestMode(hv: TrapContext, guest: Guest): void {
  const cpu = hv.cpu;
  cpu.setNested(guest.nested ?? null);
  cpu.exitControls = ExitOn.HLT | ExitOn.IO | ExitOn.VMCALL | (hv.isNested ? 0 : ExitOn.CR3 | ExitOn.INVLPG);
  copyToCpu(cpu, guest);
}

/** The guest's view of the CPU is the real CPU's state in guest mode; copy it out (VM exit). */
export function copyFromCpu(cpu: Cpu, guest: Guest, isNested: boolean): void {
  guest.isPretendUser = cpu.mode === Mode.USER;
  guest.virtualIF = (cpu.flags & Flag.IF) !== 0;
  guest.evt = cpu.evt;
  guest.ksp = cpu.ksp;
  if (isNested) guest.cr3 = cpu.cr3;
}

/** ... and back in (VM entry). */
export function copyToCpu(cpu: Cpu, guest: Guest): void {
  cpu.setMode(guest.isPretendUser ? Mode.USER : Mode.KERNEL);
  cpu.flags = (cpu.flags & ~Flag.IF) | (guest.virtualIF ? Flag.IF : 0);
  cpu.evt = guest.evt;
  cpu.ksp = guest.ksp;
}

/** The guest's own exception goes straight to its handler, no exit. */
export function deliverInGuestMode(hv: TrapContext, vector: number, errorCode: number, faultAddress: number): void {
  const cpu = hv.cpu;
  // With shadow paging the delivery is done in software, since its pushes may miss in the shadow.
  if (hv.hvEvents.isActive) {
    const guest = hv.current;
    hv.syncFromCpu(guest);
    const text = vector === Vector.PF && (errorCode & PfError.FETCH) !== 0 ? '' : hv.peekText(guest, cpu.pc);
    const cause = text ? ` caused by \`${text}\` at pc ${hexWord(cpu.pc)}` : ` at pc ${hexWord(cpu.pc)}`;
    const detail = vector === Vector.PF ? ` at ${hexWord(faultAddress)}, ${formatPageFaultError(errorCode)},` : '';
    hv.emit(
      hv.event('reflected', guest, cpu.pc, text, `${VECTOR_NAMES[vector] ?? `exception ${vector}`}${detail}${cause} delivered to the guest's handler in guest mode, with no exit`, {
        vector,
        errorCode,
        address: faultAddress >>> 0,
      }),
    );
  }
  if (hv.isNested) cpu.deliverHardware(vector, errorCode, faultAddress);
  else {
    const guest = hv.current;
    hv.syncFromCpu(guest);
    reflect(hv, guest, vector, errorCode, faultAddress);
    hv.syncToCpu(guest);
  }
}

/** An exit, for an instruction the controls name or (with shadow paging) a page fault. */
export function handleExit(hv: TrapContext, guest: Guest, trap: Extract<TrapClass, { kind: 'exit' | 'exit-page-fault' }>, opcode: number, faultAddress: number): void {
  const counters = guest.counters;
  const cpu = hv.cpu;
  counters.hwExits++;
  hv.beginTrace();
  hv.mark('entry');
  if (trap.kind === 'exit-page-fault') {
    counters.hwExitsPageFault++;
    emitExit(hv, guest, 'page fault', faultAddress);
    hv.pageFaults.handle(guest, opcode, faultAddress);
    return;
  }
  const instr = hv.fetchInstruction(guest);
  if (!instr) return;
  switch (opcode) {
    case Op.HLT:
      counters.hwExitsHlt++;
      break;
    case Op.IN:
    case Op.OUT:
      counters.hwExitsIo++;
      break;
    case Op.MOV_CR3_R:
    case Op.MOV_R_CR3:
      counters.hwExitsCr3++;
      break;
    case Op.INVLPG:
      counters.hwExitsInvlpg++;
      break;
    case Op.VMCALL:
      counters.hwExitsVmcall++;
      break;
  }
  emitExit(hv, guest, formatGuestInstr(instr), cpu.pc);
  if (opcode === Op.VMCALL) hypercall(hv, guest, instr);
  else emulatePrivileged(hv, guest, instr);
}

function emitExit(hv: TrapContext, guest: Guest, what: string, address: number): void {
  if (hv.hvEvents.isActive) hv.emit(hv.event('hw-exit', guest, hv.cpu.pc, what, `hardware-assist exit: ${what}`, { address: address >>> 0 }));
}

/** A virtual interrupt: an exit, then the interrupt injected on VM entry. */
export function injectInterrupt(hv: TrapContext, guest: Guest, vector: number): void {
  const cpu = hv.cpu;
  guest.counters.hwExits++;
  guest.counters.hwExitsInterrupt++;
  if (hv.isNested) {
    // Event injection on VM entry: the hardware delivers it through the guest's evt.
    hv.syncToCpu(guest);
    cpu.deliverHardware(vector, 0, 0);
    hv.syncFromCpu(guest);
  } else reflect(hv, guest, vector, 0, 0);
}

/**
 * Under nested paging the guest's console page reaches the real CPU's device
 * accesses: an EPT-style exit, emulated on the guest's own console.
 */
export function consoleReadExit(hv: TrapContext, pa: number): number {
  countMmioExit(hv.current);
  return hv.current.devices.consoleReadByte(pa);
}

export function consoleStoreExit(hv: TrapContext, pa: number, value: number): void {
  countMmioExit(hv.current);
  emitExit(hv, hv.current, 'memory-mapped I/O', pa);
  hv.current.devices.consoleStore(pa, value, hv.cpu.ticks + 1);
}

function countMmioExit(guest: Guest): void {
  const counters = guest.counters;
  counters.hwExits++;
  counters.hwExitsMmio++;
  counters.ioEmulated++;
}
