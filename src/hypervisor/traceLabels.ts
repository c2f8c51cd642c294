// What `--trace` writes: every machine and hypervisor event as one JSON record,
// with the labels a reader needs to tell them apart. A real cr3 load says which
// table it loaded (the kernel or user shadow of which guest page directory);
// page-fault error codes come with their meaning in words; shadow drops,
// which the hypervisor only counts, become records of their own.

import { MachineEvent } from '../machine/events';
import { hexWord } from '../machine/format';
import { Vector } from '../machine/isa';
import { describePageFaultError } from '../machine/pageFaultError';
import { explainDeliveryFailure } from '../machine/deliveryFailure';
import { HypervisorEvent } from './events';
import { VirtualSystem } from './system';

/** Which table a real cr3 load put in force, in words and as fields. */
function realCr3Label(system: VirtualSystem, value: number): Record<string, unknown> {
  const hv = system.hypervisor;
  if (!hv) return { loaded: "the program's own page table (bare hardware)" };
  const guest = hv.current;
  const guestCr3 = guest.cr3 >>> 0;
  if (hv.isNested) return { real: true, guest: guest.id, guestCr3, loaded: `guest ${guest.name}'s own page directory ${hexWord(value)} (nested paging: the hardware walks it)` };
  const of = guestCr3 === 0 ? 'paging off' : `guest PD ${hexWord(guestCr3)}`;
  const isSeparate = hv.config.kernelShadows === 'separate' && !hv.isHardwareAssist;
  const shadow = isSeparate ? (guest.isPretendUser ? 'user' : 'kernel') : 'both-modes';
  return { real: true, guest: guest.id, guestCr3, shadow, loaded: `${shadow === 'both-modes' ? 'the shadow (one for both modes)' : `the ${shadow} shadow`} of ${of} for guest ${guest.name}` };
}

function machineRecord(system: VirtualSystem, event: MachineEvent): Record<string, unknown> {
  switch (event.kind) {
    case 'cr3-load':
      return { ...event, ...realCr3Label(system, event.value >>> 0) };
    case 'exception':
      if (event.vector === Vector.PF) return { ...event, error: describePageFaultError(event.errorCode) };
      // #DF is raised after the original delivery failed: say why it failed.
      if (event.vector === Vector.DF && system.cpu.deliveryFailure) return { ...event, cause: explainDeliveryFailure(system.cpu.deliveryFailure) };
      return event;
    case 'page-walk':
      return event.isOk ? event : { ...event, error: describePageFaultError(event.errorCode) };
    default:
      return event;
  }
}

function hypervisorRecord(event: HypervisorEvent): Record<string, unknown> {
  const record: Record<string, unknown> = { ...event, kind: `hv:${event.kind}` };
  if (event.vector === Vector.PF && event.errorCode !== undefined) record.error = describePageFaultError(event.errorCode);
  return record;
}

/** Sends every event of `system` to `write` as a labelled record, in the order they happen. */
export function traceEvents(system: VirtualSystem, write: (record: Record<string, unknown>) => void): void {
  const hv = system.hypervisor;
  let dropsSeen = hv ? hv.counters.shadowDrops : 0;
  const noteDrops = (guest: number, pc: number, ticks: number) => {
    if (!hv) return;
    const drops = hv.counters.shadowDrops;
    if (drops === dropsSeen) return;
    const count = drops - dropsSeen;
    dropsSeen = drops;
    write({ kind: 'hv:shadow-dropped', guest, pc: pc >>> 0, count, description: `${count} shadow page table${count === 1 ? '' : 's'} dropped`, ticks });
  };
  system.events.on((event) => {
    write(machineRecord(system, event));
    if (hv) noteDrops(hv.current.id, system.cpu.pc, event.ticks);
  });
  system.hvEvents?.on((event) => {
    noteDrops(event.guest, event.pc, event.ticks);
    write(hypervisorRecord(event));
  });
}
