// What will happen to a trap, decided once: the handler dispatches on
// `classifyTrap` (and, at its page walk, `classifyPageFault`), and the
// debugger's "what will happen" description (`describeTrap`, the event a
// stop-before-handling shows) is made from the same classification, so the
// two cannot tell different stories.

import { VM_EXIT } from '../machine/cpu';
import { DecodedInstr } from '../machine/decode';
import { Op, PfError, Vector } from '../machine/isa';
import { hexWord } from '../machine/format';
import { formatPageFaultError } from '../machine/pageFaultError';
import { HypervisorEvent, HypervisorEventKind } from './events';
import type { Guest } from './guest';
import { GuestAccess, GuestMemory, GuestWalk } from './guestMemory';
import type { TrapContext } from './trapContext';
import { isTranslatedCodePage } from './binaryTranslation';
import { formatGuestInstr } from './trapEmulate';

export type TrapClass =
  /** Software virtualization: #GP in pretend kernel mode, a privileged instruction to emulate (trapEmulate.ts). */
  | { kind: 'emulate-privileged' }
  /** Software virtualization: #GP in pretend user mode, the guest's own fault: reflected. */
  | { kind: 'reflect-protection-fault' }
  /** Software virtualization: a page fault, told apart at the guest walk (`classifyPageFault`). */
  | { kind: 'page-fault' }
  /** Paravirtual: `vmcall` raised #UD; the hypercall (paravirt.ts; from pretend user mode it stays #UD). */
  | { kind: 'hypercall'; instr: DecodedInstr }
  /** Software virtualization: a system call, reflected. */
  | { kind: 'syscall' }
  /** Software virtualization: any other exception, reflected. */
  | { kind: 'reflect' }
  /** A virtual interrupt held for a debugger and delivered now (reflected, or injected under hardware assist). */
  | { kind: 'interrupt' }
  /** Hardware assist: a VM exit for an instruction the exit controls name (`opcode`). */
  | { kind: 'exit'; opcode: number }
  /** Hardware assist with shadow paging: a page fault exits, told apart as under software (`classifyPageFault`). */
  | { kind: 'exit-page-fault' }
  /** Hardware assist: the guest's own exception, delivered to its handler in guest mode with no exit. */
  | { kind: 'guest-mode-delivery' };

/** What a page fault under shadow paging is, from the guest's own walk. */
export type PageFaultClass =
  /** The walk reached neither RAM nor a device (the guest's page table points outside its memory). */
  | { kind: 'bus-error'; walk: GuestWalk; address: number }
  /** The guest's table does not allow it: a guest-visible page fault, reflected. */
  | { kind: 'guest'; walk: GuestWalk }
  /** An instruction fetched from the console page, which reads zeros: #UD, reflected. */
  | { kind: 'console-fetch'; walk: GuestWalk }
  /** A load or store on the console page: the instruction is emulated (memory-mapped I/O). */
  | { kind: 'mmio'; walk: GuestWalk }
  /** A write to a page holding a shadowed page table or translated code: the write is emulated. */
  | { kind: 'protected-write'; walk: GuestWalk }
  /** Mapped by the guest, missing from the shadow: a hidden page fault, filled and retried. */
  | { kind: 'fill'; walk: GuestWalk };

// The classes without data are shared: classifying a trap allocates nothing for them.
const INTERRUPT: TrapClass = { kind: 'interrupt' };
const EXIT_PAGE_FAULT: TrapClass = { kind: 'exit-page-fault' };
const GUEST_MODE_DELIVERY: TrapClass = { kind: 'guest-mode-delivery' };
const REFLECT_PROTECTION_FAULT: TrapClass = { kind: 'reflect-protection-fault' };
const EMULATE_PRIVILEGED: TrapClass = { kind: 'emulate-privileged' };
const PAGE_FAULT: TrapClass = { kind: 'page-fault' };
const SYSCALL: TrapClass = { kind: 'syscall' };
const REFLECT: TrapClass = { kind: 'reflect' };

/** The trap `vector` (with the real error code, or the exit's opcode) of the current guest, as the handler will take it. */
export function classifyTrap(hv: TrapContext, guest: Guest, vector: number, errorCode: number): TrapClass {
  if (vector === Vector.TIMER || vector === Vector.KEYBOARD) return INTERRUPT;
  if (hv.isHardwareAssist) {
    if (vector === VM_EXIT) return { kind: 'exit', opcode: errorCode };
    // With nested paging the hardware walks the guest's table: its page faults are the guest's own.
    if (vector === Vector.PF && !hv.isNested) return EXIT_PAGE_FAULT;
    return GUEST_MODE_DELIVERY;
  }
  if (vector === Vector.GP) return guest.isPretendUser ? REFLECT_PROTECTION_FAULT : EMULATE_PRIVILEGED;
  if (vector === Vector.PF) return PAGE_FAULT;
  if (vector === Vector.UD && hv.config.virtualization === 'paravirtual') {
    const instr = hv.peekInstruction(guest, hv.cpu.pc);
    if (instr?.info.op === Op.VMCALL) return { kind: 'hypercall', instr };
  }
  return vector === Vector.SYSCALL ? SYSCALL : REFLECT;
}

export function accessOf(realErrorCode: number): GuestAccess {
  return realErrorCode & PfError.FETCH ? GuestAccess.FETCH : realErrorCode & PfError.WRITE ? GuestAccess.WRITE : GuestAccess.READ;
}

/**
 * Walks the guest's table for a real page fault and says which of its kinds it is.
 * The handler's walk sets the guest's A/D bits (`isPeek` false), a description's does not.
 */
export function classifyPageFault(guest: Guest, realErrorCode: number, faultAddress: number, isPeek: boolean): PageFaultClass {
  const access = accessOf(realErrorCode);
  const walk = guest.memory.walk(guest.cr3, faultAddress, access, guest.isPretendUser, !isPeek);
  if (walk.gpa === -2) return { kind: 'bus-error', walk, address: guest.memory.busErrorAddress };
  if (walk.gpa === -1) return { kind: 'guest', walk };
  const isDevice = GuestMemory.isConsole(walk.gpa);
  if (isDevice) return access === GuestAccess.FETCH ? { kind: 'console-fetch', walk } : { kind: 'mmio', walk };
  if (access === GuestAccess.WRITE && (isTranslatedCodePage(guest, walk.gpa) || guest.shadow.isWriteProtected(walk.gpa))) return { kind: 'protected-write', walk };
  if (!guest.memory.isRam(walk.gpa)) return { kind: 'bus-error', walk, address: walk.gpa };
  return { kind: 'fill', walk };
}

/**
 * The event a trap will produce, made from its classification: what a debugger
 * shows when it stops before the trap is handled, and (for #GP) the event the
 * handler emits. Undefined for a trap a debugger cannot stop before.
 */
export function describeTrap(hv: TrapContext, guest: Guest, trap: TrapClass, vector: number, errorCode: number, faultAddress: number): HypervisorEvent | undefined {
  const pc = hv.cpu.pc >>> 0;
  const isFetch = vector === Vector.PF && (errorCode & PfError.FETCH) !== 0;
  switch (trap.kind) {
    case 'interrupt':
      return hv.event(
        'reflected',
        guest,
        pc,
        '',
        `${vector === Vector.TIMER ? 'timer' : 'keyboard'} interrupt: ${hv.isNested ? "will be injected on VM entry, through the guest's evt" : 'will be reflected to the guest'}`,
        { vector },
      );
    case 'guest-mode-delivery': {
      // A debugger may hold the guest's own fault at the faulting instruction, as on bare hardware.
      if (vector !== Vector.GP && vector !== Vector.PF && vector !== Vector.SYSCALL) return undefined;
      const kind: HypervisorEventKind = vector === Vector.GP ? 'protection-fault' : vector === Vector.PF ? 'guest-page-fault' : 'syscall';
      const where = guest.isPretendUser ? 'guest user mode' : 'guest kernel mode';
      const text = isFetch ? '' : hv.peekText(guest, pc);
      const what =
        vector === Vector.GP
          ? `protection fault at ${hexWord(pc)}: \`${text}\` in ${where}`
          : vector === Vector.PF
            ? `page fault at ${hexWord(faultAddress)} (pc ${hexWord(pc)}), ${formatPageFaultError(errorCode)}, in ${where}`
            : `system call from ${where}`;
      return hv.event(kind, guest, pc, text, `${what}: will be delivered to the guest's handler in guest mode, with no exit`, {
        vector,
        errorCode,
        address: faultAddress >>> 0,
        isGuestModeDelivery: true,
      });
    }
    case 'exit': {
      const text = hv.peekText(guest, pc);
      const what = trap.opcode === Op.VMCALL ? 'will be taken as a hypercall' : 'will be emulated';
      return hv.event('hw-exit', guest, pc, text, `hardware-assist exit: \`${text}\` in ${guest.isPretendUser ? 'guest user mode' : 'guest kernel mode'}, ${what}`, { vector });
    }
    default:
      break;
  }
  const instr = isFetch ? undefined : hv.peekInstruction(guest, pc);
  const text = instr ? formatGuestInstr(instr) : '';
  const where = guest.isPretendUser ? 'pretend user mode' : 'pretend kernel mode';
  switch (trap.kind) {
    case 'emulate-privileged':
    case 'reflect-protection-fault': {
      const what = trap.kind === 'reflect-protection-fault' ? 'will be reflected to the guest as #GP' : 'will be emulated';
      return hv.event('protection-fault', guest, pc, text, `protection fault at ${hexWord(pc)}: \`${text}\` in ${where}, ${what}`, { vector });
    }
    case 'page-fault':
    case 'exit-page-fault': {
      const fault = classifyPageFault(guest, errorCode, faultAddress, true);
      const walk = fault.walk;
      const kind: HypervisorEventKind = fault.kind === 'guest' ? 'guest-page-fault' : fault.kind === 'mmio' ? 'io-emulated' : fault.kind === 'console-fetch' ? 'reflected' : 'hidden-page-fault';
      const title = fault.kind === 'guest' ? 'guest page fault' : fault.kind === 'mmio' || fault.kind === 'console-fetch' ? 'memory-mapped I/O' : 'hidden page fault';
      const what =
        fault.kind === 'guest'
          ? `${walk.errorCode & PfError.PROTECTION ? "not allowed by the guest's page table" : 'not mapped for the guest'} (${formatPageFaultError(walk.errorCode)}): will be reflected to its #PF handler`
          : fault.kind === 'mmio'
            ? 'a device page: will be emulated (no shadow ever maps it)'
            : fault.kind === 'console-fetch'
              ? 'code fetched from the device page reads zeros: will be reflected to the guest as #UD'
              : fault.kind === 'protected-write'
                ? `the guest maps it to physical ${hexWord(walk.gpa)}, which holds ${isTranslatedCodePage(guest, walk.gpa) ? 'translated code' : 'a shadowed page table'}: the write will be emulated`
                : fault.kind === 'bus-error'
                  ? `the guest's page table leads to physical ${hexWord(fault.address)}, which is neither its RAM nor a device: the run will stop with a bus error`
                  : `the guest maps it to physical ${hexWord(walk.gpa)}, missing only from the shadow: will be filled and the access retried`;
      const access = errorCode & PfError.FETCH ? 'instruction fetch' : errorCode & PfError.WRITE ? `write by \`${text}\`` : `read by \`${text}\``;
      return hv.event(kind, guest, pc, text, `${title} at ${hexWord(faultAddress)} (${access} at pc ${hexWord(pc)}, ${where}): ${what}`, { vector, errorCode, address: faultAddress >>> 0 });
    }
    case 'syscall':
      return hv.event('syscall', guest, pc, 'syscall', `system call from ${where}: will be reflected to the guest's handler`, { vector });
    case 'hypercall':
      if (guest.isPretendUser)
        return hv.event('reflected', guest, pc, text, `\`vmcall\` from ${where}: only the guest kernel may call the hypervisor, will be reflected to the guest as #UD`, { vector });
      return hv.event('hypercall', guest, pc, text, `hypercall ${trap.instr.imm} from ${where}`, { vector });
    default:
      return hv.event('reflected', guest, pc, text, `exception ${vector} in ${where}: will be reflected to the guest`, { vector });
  }
}
