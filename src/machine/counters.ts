// Counts machine events by kind, for `--stats`, the debugger and the cost panel.
// It listens on the event hub, so it costs nothing unless someone asks for counts.

import { EventHub, MachineEvent } from './events';
import { VECTOR_NAMES } from './isa';

export class MachineCounters {
  exceptionsByVector = new Map<number, number>();
  pageWalks = 0;
  pageWalkFaults = 0;
  tlbFlushes = 0;
  tlbEntriesFlushed = 0;
  cr3Loads = 0;
  deviceAccesses = 0;

  constructor(events: EventHub<MachineEvent>) {
    events.on((event) => this.count(event));
  }

  private count(event: MachineEvent): void {
    switch (event.kind) {
      case 'exception':
        this.exceptionsByVector.set(event.vector, (this.exceptionsByVector.get(event.vector) ?? 0) + 1);
        break;
      case 'page-walk':
        this.pageWalks++;
        if (!event.isOk) this.pageWalkFaults++;
        break;
      case 'tlb-flush':
        this.tlbFlushes++;
        this.tlbEntriesFlushed += event.nRemoved;
        break;
      case 'cr3-load':
        this.cr3Loads++;
        break;
      case 'device':
        this.deviceAccesses++;
        break;
      case 'sensitive':
        break; // no machine counter: compareAgreement's tally counts these per setting
    }
  }

  /** Rows of (name, value) in a stable order. */
  rows(): Array<[string, number]> {
    const rows: Array<[string, number]> = [];
    for (const vector of [...this.exceptionsByVector.keys()].sort((x, y) => x - y)) {
      rows.push([`exceptions: ${VECTOR_NAMES[vector] ?? `vector ${vector}`}`, this.exceptionsByVector.get(vector)!]);
    }
    // cr3 loads are left to the callers, which know whether they are the guest's or the hypervisor's.
    rows.push(
      ['page walks', this.pageWalks],
      ['page walks that faulted', this.pageWalkFaults],
      ['TLB flushes (all causes)', this.tlbFlushes],
      ['TLB entries flushed', this.tlbEntriesFlushed],
      ['device accesses', this.deviceAccesses],
    );
    return rows;
  }
}
