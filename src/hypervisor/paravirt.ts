// Paravirtualization (g32-isa.md §7): a guest kernel that knows it runs in a VM
// calls the hypervisor with `vmcall N` instead of running privileged or
// sensitive instructions (arguments r1, r2; result r0). On the real CPU vmcall
// raises #UD; under `paravirtual` the hypervisor takes that #UD as the call.
// Hypercall 10 also has a batched form, this build's addition: with bit 0 of
// r1 set, `r1 & ~1` is the guest-physical address of r2 (PTE address, value)
// pairs, applied in one call.

import { DecodedInstr } from '../machine/decode';
import { hexLiteral } from '../machine/format';
import { CONSOLE_BASE, Vector } from '../machine/isa';
import type { Guest } from './guest';
import type { TrapContext } from './trapContext';
import { reflect } from './reflect';
import { returnFromException } from './trapEmulate';

export const HYPERCALL_VERSION = 1;

export const HYPERCALL_NAMES: Readonly<Record<number, string>> = {
  0: 'version',
  1: 'set IF',
  2: 'read flags',
  3: 'set cr3',
  4: 'invlpg',
  5: 'set evt',
  6: 'set ksp',
  7: 'return from exception',
  8: 'console write',
  9: 'idle',
  10: 'write PTE',
};

/** The most PTE writes one batched hypercall takes (a guard against runaway counts). */
export const MAX_BATCH = 1024;

export function hypercall(hv: TrapContext, guest: Guest, instr: DecodedInstr): void {
  const cpu = hv.cpu;
  const regs = cpu.regs;
  const number = instr.imm >>> 0;
  const next = (cpu.pc + 8) | 0;
  // Only the guest kernel may call the hypervisor; from user mode vmcall stays an invalid opcode.
  if (guest.isPretendUser) return reflect(hv, guest, Vector.UD, 0, 0);
  guest.counters.hypercalls++;
  if (hv.hvEvents.isActive) {
    hv.emit(hv.event('hypercall', guest, cpu.pc, `vmcall ${number}`, `hypercall ${number} (${HYPERCALL_NAMES[number] ?? 'unknown'}) r1=${hexLiteral(regs[1])} r2=${hexLiteral(regs[2])}`, {}));
  }
  switch (number) {
    case 0:
      regs[0] = HYPERCALL_VERSION;
      break;
    case 1:
      guest.virtualIF = regs[1] !== 0;
      break;
    case 2:
      regs[0] = guest.guestFlags(cpu.flags);
      break;
    case 3:
      guest.cr3 = regs[1];
      guest.counters.guestCr3Loads++;
      guest.shadow.onGuestCr3Load(guest.cr3);
      hv.loadRealCr3();
      break;
    case 4:
      guest.shadow.onGuestInvlpg(regs[1]);
      break;
    case 5:
      guest.evt = regs[1];
      break;
    case 6:
      guest.ksp = regs[1];
      break;
    case 7:
      // Counted as a hypercall, not as an emulated privileged instruction.
      guest.counters.privilegedEmulated--;
      returnFromException(hv, guest);
      return;
    case 8:
      guest.devices.consoleStore(CONSOLE_BASE, regs[1], cpu.ticks + 1);
      break;
    case 9:
      // Idle: enable interrupts and wait, as `sti; hlt` would, in one call.
      guest.virtualIF = true;
      hv.retireEmulated(next);
      cpu.isHalted = true;
      return;
    case 10: {
      const isBatch = (regs[1] & 1) !== 0;
      const count = isBatch ? Math.min(regs[2] >>> 0, MAX_BATCH) : 1;
      for (let i = 0; i < count; i++) {
        const pteAddress = isBatch ? guest.memory.read(((regs[1] & ~1) + 8 * i) >>> 0, 4) : regs[1];
        const value = isBatch ? guest.memory.read(((regs[1] & ~1) + 8 * i + 4) >>> 0, 4) : regs[2];
        if (!guest.memory.isRam(pteAddress >>> 0, 4)) {
          regs[0] = -1;
          break;
        }
        guest.memory.write(pteAddress >>> 0, value, 4, cpu.ticks);
        // With nested paging the TLB caches the guest's own translations: drop those built from this PTE.
        if (hv.isNested) for (const gva of guest.memory.virtualPagesThroughPte(guest.cr3, pteAddress >>> 0)) hv.flushRealTlb(gva);
        else guest.shadow.onPteWritten(pteAddress >>> 0, guest.cr3);
        regs[0] = i + 1;
      }
      break;
    }
    default:
      regs[0] = -1;
  }
  hv.retireEmulated(next);
}
