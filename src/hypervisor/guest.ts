// One guest: its share of machine memory, its virtual devices, its shadow
// paging, and the guest's view of the CPU that the hypervisor keeps apart from
// the real one (pretend mode, virtual IF, the guest's cr3, evt and ksp).

import { NestedPaging, StopReason } from '../machine/cpu';
import { DeviceSet } from '../machine/devices/bus';
import { Flag } from '../machine/isa';
import { CostCounters, emptyCounters } from './costs';
import { GuestMemory } from './guestMemory';
import { GuestVirtual } from './guestVirtual';
import { ShadowPaging } from './shadow/shadowPaging';
import type { BinaryTranslator } from './binaryTranslate/engine';

/** The real CPU's context of a guest while another guest runs. */
export interface SavedContext {
  regs: Int32Array;
  pc: number;
  realFlags: number;
  ticks: number;
  idleTicks: number;
  isHalted: boolean;
}

export class Guest {
  // The guest's view of the CPU (g32-isa.md §7: pretend mode).
  isPretendUser = false;
  virtualIF = false;
  cr3 = 0;
  evt = 0;
  ksp = 0;

  readonly virtual: GuestVirtual;
  readonly counters: CostCounters = emptyCounters();
  saved: SavedContext;
  stopReason: StopReason | undefined;
  stopDetail = '';
  /** Retired-instruction count at the last pretend-mode change, to split instructions by mode. */
  retiredAtModeChange = 0;
  /** Tick at which this guest's time slice ends (several guests only). */
  sliceEnd = Infinity;
  shadow!: ShadowPaging;

  /** Under binary translation: the translator running this guest's pretend-kernel code. */
  translator: BinaryTranslator | undefined;
  /** Under hardware assist with nested paging: the map the CPU walks, with its reference count. */
  nested: NestedPaging | undefined;

  constructor(
    readonly id: number,
    readonly name: string,
    readonly memory: GuestMemory,
    readonly devices: DeviceSet,
    entry: number,
    readonly maxInstructions: number,
    isHardwareMode: boolean,
  ) {
    this.virtual = new GuestVirtual(memory, () => this.cr3);
    // Under software virtualization the real IF stays set while a guest runs, as real hypervisors keep it;
    // in hardware guest mode the real flags are the guest's own (IF clear at reset).
    this.saved = { regs: new Int32Array(16), pc: entry | 0, realFlags: isHardwareMode ? 0 : Flag.IF, ticks: 0, idleTicks: 0, isHalted: false };
  }

  get isRunnable(): boolean {
    return this.stopReason === undefined;
  }

  /** The flags the guest believes it has: the real arithmetic flags with the virtual IF. */
  guestFlags(realFlags: number): number {
    return (realFlags & ~Flag.IF) | (this.virtualIF ? Flag.IF : 0);
  }
}
