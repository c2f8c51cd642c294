// Reflecting an exception into the guest (g32-isa.md §4, §7): the hypervisor
// builds exactly the trap frame the guest's hardware would have built, on the
// guest's kernel stack, through the guest's own page table, and enters the
// guest's handler from its `evt` in pretend kernel mode with the virtual IF clear.
// A guest page fault on the way becomes #DF, and a fault during #DF a triple fault.

import { MAX_DELIVERIES_IN_A_ROW } from '../machine/cpu';
import { Vector } from '../machine/isa';
import { hexWord } from '../machine/format';
import { GuestAccess } from './guestMemory';
import type { Guest } from './guest';
import type { Hypervisor } from './hypervisor';

export function reflect(hv: Hypervisor, guest: Guest, vector: number, errorCode: number, faultAddress: number): void {
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
    hv.emit(hv.event('reflected', guest, cpu.pc, '', `vector ${vector} reflected to the guest's handler`, { vector, errorCode, address: faultAddress >>> 0 }));
  }
  if (tryReflect(hv, guest, vector, errorCode, faultAddress)) return;
  if (guest.virtual.isBusError) return hv.busError(guest, guest.memory.busErrorAddress);
  if (vector !== Vector.DF && tryReflect(hv, guest, Vector.DF, 0, 0)) return;
  if (guest.virtual.isBusError) return hv.busError(guest, guest.memory.busErrorAddress);
  cpu.stopDetail = `triple fault: a fault while delivering #DF (the original exception was vector ${vector} at pc ${hexWord(cpu.pc)})`;
  cpu.stopReason = 'triple-fault';
}

function tryReflect(hv: Hypervisor, guest: Guest, vector: number, errorCode: number, faultAddress: number): boolean {
  const cpu = hv.cpu;
  const wasUser = guest.isPretendUser;
  const oldSp = cpu.regs[15];
  hv.mark('reflect-stack');
  const stack = wasUser ? guest.ksp : oldSp;
  const frame = [oldSp, wasUser ? 1 : 0, guest.guestFlags(cpu.flags), cpu.pc, errorCode, faultAddress];
  hv.mark('reflect-push');
  // Pushes, then the vector-table read, all as kernel accesses (g32-isa.md §8).
  for (let i = 0; i < frame.length; i++) {
    if (!guest.virtual.write((stack - 4 * (i + 1)) | 0, frame[i], 4, false, cpu.ticks)) return false;
  }
  const handler = guest.virtual.read((guest.evt + 4 * vector) | 0, 4, GuestAccess.READ, false);
  if (guest.virtual.fault || guest.virtual.isBusError) return false;
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
