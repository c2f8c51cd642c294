// Page faults under shadow paging (software virtualization, and hardware assist
// with shadow paging, where they exit): the guest's own walk tells the three
// kinds apart (classifyPageFault). The guest's fault is reflected, a device or
// protected page gets the instruction emulated, a hidden fault fills the shadow
// and the access is retried.

import { Vector } from '../machine/isa';
import { hexWord } from '../machine/format';
import { formatPageFaultError } from '../machine/pageFaultError';
import { classifyPageFault } from './classifyTrap';
import type { Guest } from './guest';
import { reflect } from './reflect';
import type { TrapContext } from './trapContext';
import { emulateMemoryInstruction, formatGuestInstr } from './trapEmulate';

/** Hidden page faults in a row at one pc before the hypervisor gives up (a hypervisor bug, never a guest's). */
const MAX_HIDDEN_FAULTS_IN_A_ROW = 64;

export class PageFaults {
  private hiddenFaultPc = -1;
  private hiddenFaultsInARow = 0;
  private hiddenFaultRetired = -1;

  constructor(private readonly hv: TrapContext) {}

  handle(guest: Guest, realErrorCode: number, faultAddress: number): void {
    const hv = this.hv;
    const cpu = hv.cpu;
    hv.mark('walk');
    const fault = classifyPageFault(guest, realErrorCode, faultAddress, false);
    const walk = fault.walk;
    switch (fault.kind) {
      case 'bus-error':
        return hv.busError(guest, fault.address);
      case 'guest':
        hv.mark('pf-reflect');
        guest.counters.guestPageFaults++;
        if (hv.hvEvents.isActive) {
          hv.emit(
            hv.event(
              'guest-page-fault',
              guest,
              cpu.pc,
              hv.peekText(guest, cpu.pc),
              `guest page fault at ${hexWord(faultAddress)}, ${formatPageFaultError(walk.errorCode)}: reflected to the guest's #PF handler`,
              { vector: Vector.PF, errorCode: walk.errorCode, address: faultAddress >>> 0 },
            ),
          );
        }
        reflect(hv, guest, Vector.PF, walk.errorCode, faultAddress);
        return;
      case 'console-fetch':
        hv.mark('pf-mmio');
        // Code fetched from the console page reads zeros there: an undefined instruction.
        reflect(hv, guest, Vector.UD, 0, 0);
        return;
      case 'mmio':
      case 'protected-write': {
        const isDevice = fault.kind === 'mmio';
        hv.mark(isDevice ? 'pf-mmio' : 'pf-protected');
        const instr = hv.fetchInstruction(guest);
        if (!instr) return;
        if (isDevice) guest.counters.ioEmulated++;
        else guest.counters.writeProtectEmulations++;
        if (isDevice && hv.hvEvents.isActive) {
          hv.emit(
            hv.event('io-emulated', guest, cpu.pc, formatGuestInstr(instr), `memory-mapped I/O at ${hexWord(faultAddress)} emulated: \`${formatGuestInstr(instr)}\``, { address: faultAddress >>> 0 }),
          );
        }
        emulateMemoryInstruction(hv, guest, instr);
        return;
      }
      case 'fill':
        break;
    }
    hv.mark('pf-fill');
    // Only faults at one pc with no instruction retired in between count as "in a row".
    if (cpu.pc === this.hiddenFaultPc && cpu.retired === this.hiddenFaultRetired) {
      if (++this.hiddenFaultsInARow > MAX_HIDDEN_FAULTS_IN_A_ROW) {
        cpu.stopDetail = `hypervisor error: hidden page faults at ${hexWord(faultAddress)} do not resolve (pc ${hexWord(cpu.pc)})`;
        cpu.stopReason = 'exception-loop';
        return;
      }
    } else {
      this.hiddenFaultPc = cpu.pc;
      this.hiddenFaultRetired = cpu.retired;
      this.hiddenFaultsInARow = 1;
    }
    guest.counters.hiddenPageFaults++;
    if (!guest.shadow.fill(faultAddress, walk, guest.cr3)) {
      hv.reclaimFrames();
      guest.shadow.fill(faultAddress, walk, guest.cr3);
    }
    guest.counters.shadowFills++;
    // The faulting access removed the real TLB entry; the retried access walks the new shadow entry.
    hv.mark('pf-return');
    if (hv.hvEvents.isActive) {
      hv.emit(
        hv.event(
          'hidden-page-fault',
          guest,
          cpu.pc,
          hv.peekText(guest, cpu.pc),
          `hidden page fault at ${hexWord(faultAddress)}: shadow filled with machine frame ${hexWord(guest.memory.toMachine(walk.gpa & ~0xfff))}`,
          { address: faultAddress >>> 0 },
        ),
      );
    }
  }
}
