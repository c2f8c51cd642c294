// Reflecting an exception into the guest (g32-isa.md §4, §7): the hypervisor
// builds exactly the trap frame the guest's hardware would have built, on the
// guest's kernel stack, through the guest's own page table, and enters the
// guest's handler from its `evt` in pretend kernel mode with the virtual IF clear.
// A guest page fault on the way becomes #DF, and a fault during #DF a triple fault.

import { MAX_DELIVERIES_IN_A_ROW } from '../machine/cpu';
import { PfError, Vector, VECTOR_NAMES } from '../machine/isa';
import { hexWord } from '../machine/format';
import { formatPageFaultError } from '../machine/pageFaultError';
import { explainDeliveryFailure } from '../machine/deliveryFailure';
import { GuestAccess } from './guestMemory';
import type { Guest } from './guest';
import type { TrapContext } from './trapContext';

export function reflect(hv: TrapContext, guest: Guest, vector: number, errorCode: number, faultAddress: number): void {
  const cpu = hv.cpu;
  hv.mark('reflect-start');
  // Under hardware assist the guest's own exceptions need no hypervisor: this software delivery
  // only stands in for the hardware's (its pushes may miss in a shadow), so it is not a cost.
  if (vector !== Vector.TIMER && vector !== Vector.KEYBOARD && !hv.isHardwareAssist) guest.counters.reflections++;
  if (cpu.countDelivery()) {
    cpu.stopDetail = `exception loop: ${MAX_DELIVERIES_IN_A_ROW} deliveries in a row without a retired instruction (last vector ${vector})`;
    cpu.stopReason = 'exception-loop';
    return;
  }
  if (hv.hvEvents.isActive) {
    const cause = reflectionCause(hv, guest, vector, errorCode, faultAddress);
    hv.emit(hv.event('reflected', guest, cpu.pc, cause.instruction, `${cause.text} reflected to the guest's handler evt[${vector}]`, { vector, errorCode, address: faultAddress >>> 0 }));
  }
  if (tryReflect(hv, guest, vector, errorCode, faultAddress)) return;
  const cause = cpu.deliveryFailure!;
  if (guest.virtual.isBusError) {
    hv.busError(guest, guest.memory.busErrorAddress);
    cpu.stopDetail += ` (${explainDeliveryFailure(cause)})`;
    return;
  }
  if (vector !== Vector.DF) {
    const isDelivered = tryReflect(hv, guest, Vector.DF, 0, 0);
    cpu.deliveryFailure = cause;
    if (isDelivered) return;
    if (guest.virtual.isBusError) {
      hv.busError(guest, guest.memory.busErrorAddress);
      cpu.stopDetail += ` (delivering #DF after ${explainDeliveryFailure(cause)})`;
      return;
    }
  }
  cpu.stopDetail = `triple fault while delivering #DF: ${explainDeliveryFailure(cause)}`;
  cpu.stopReason = 'triple-fault';
}

/** What caused a reflection, in words: the instruction at pc for faults and traps, the device for interrupts. */
function reflectionCause(hv: TrapContext, guest: Guest, vector: number, errorCode: number, faultAddress: number): { instruction: string; text: string } {
  const name = VECTOR_NAMES[vector] ?? `vector ${vector}`;
  if (vector === Vector.TIMER || vector === Vector.KEYBOARD) return { instruction: '', text: name };
  const pc = hv.cpu.pc;
  const where = guest.isPretendUser ? 'pretend user mode' : 'pretend kernel mode';
  if (vector === Vector.PF && (errorCode & PfError.FETCH) !== 0) {
    return { instruction: '', text: `${name} at ${hexWord(faultAddress)}, ${formatPageFaultError(errorCode)}, fetching the instruction at pc ${hexWord(pc)} in ${where}` };
  }
  // System calls and breakpoints retire before they trap: pc is already the next instruction.
  if (vector === Vector.SYSCALL || vector === Vector.BP) return { instruction: vector === Vector.SYSCALL ? 'syscall' : 'brk', text: `${name} from ${where} (return pc ${hexWord(pc)})` };
  const instruction = hv.peekText(guest, pc);
  const detail = vector === Vector.PF ? ` at ${hexWord(faultAddress)}, ${formatPageFaultError(errorCode)},` : '';
  return { instruction, text: `${name}${detail} caused by \`${instruction || '??'}\` at pc ${hexWord(pc)} in ${where}` };
}

function tryReflect(hv: TrapContext, guest: Guest, vector: number, errorCode: number, faultAddress: number): boolean {
  const cpu = hv.cpu;
  const wasUser = guest.isPretendUser;
  const oldSp = cpu.regs[15];
  hv.mark('reflect-stack');
  const stack = wasUser ? guest.ksp : oldSp;
  const frame = [oldSp, wasUser ? 1 : 0, guest.guestFlags(cpu.flags), cpu.pc, errorCode, faultAddress];
  hv.mark('reflect-push');
  // Pushes, then the vector-table read, all as kernel accesses (g32-isa.md §8).
  const fail = (step: 'push' | 'vector-table', address: number): false => {
    cpu.deliveryFailure = {
      vector,
      pc: cpu.pc >>> 0,
      step,
      address: address >>> 0,
      isFromUser: wasUser,
      stack: stack >>> 0,
      evt: guest.evt >>> 0,
      isBusError: guest.virtual.isBusError,
    };
    return false;
  };
  for (let i = 0; i < frame.length; i++) {
    const address = (stack - 4 * (i + 1)) | 0;
    if (!guest.virtual.write(address, frame[i], 4, false, cpu.ticks)) return fail('push', address);
  }
  const entry = (guest.evt + 4 * vector) | 0;
  const handler = guest.virtual.read(entry, 4, GuestAccess.READ, false);
  if (guest.virtual.fault || guest.virtual.isBusError) return fail('vector-table', entry);
  hv.mark('reflect-enter');
  guest.virtualIF = false;
  cpu.regs[15] = (stack - 24) | 0;
  cpu.pc = handler;
  cpu.isHalted = false;
  hv.setPretendMode(guest, false);
  hv.mark('reflect-jump');
  hv.mark('reflect-return');
  cpu.requestService();
  return true;
}
