// The shadow tables for one guest address space: with `kernelShadows:
// separate` one for pretend-kernel mode and one for pretend-user mode (where
// kernel-only guest pages are simply absent); with `flush-on-switch` a single
// table that is emptied whenever the pretend mode changes.

import { PhysicalMemory } from '../../machine/memory';
import { Pte } from '../../machine/isa';
import { GuestWalk } from '../guestMemory';
import { FramePool } from './framePool';
import { KernelShadows } from './shadowPaging';
import { ShadowPageTable, ShadowTableState } from './shadowPageTable';

export interface ShadowSetState {
  kernel: ShadowTableState;
  user: ShadowTableState | undefined;
}

export class ShadowSet {
  readonly kernel: ShadowPageTable;
  readonly user: ShadowPageTable | undefined;

  private constructor(kernel: ShadowPageTable, user: ShadowPageTable | undefined) {
    this.kernel = kernel;
    this.user = user;
  }

  static create(memory: PhysicalMemory, pool: FramePool, kernelShadows: KernelShadows): ShadowSet | undefined {
    const kernel = ShadowPageTable.create(memory, pool);
    if (!kernel) return undefined;
    if (kernelShadows === 'flush-on-switch') return new ShadowSet(kernel, undefined);
    const user = ShadowPageTable.create(memory, pool);
    if (!user) {
      kernel.destroy();
      return undefined;
    }
    return new ShadowSet(kernel, user);
  }

  saveState(): ShadowSetState {
    return { kernel: this.kernel.saveState(), user: this.user?.saveState() };
  }

  static fromState(memory: PhysicalMemory, pool: FramePool, state: ShadowSetState): ShadowSet {
    return new ShadowSet(ShadowPageTable.fromState(memory, pool, state.kernel), state.user && ShadowPageTable.fromState(memory, pool, state.user));
  }

  table(isPretendUser: boolean): ShadowPageTable {
    return isPretendUser && this.user ? this.user : this.kernel;
  }

  tables(): ShadowPageTable[] {
    return this.user ? [this.kernel, this.user] : [this.kernel];
  }

  get nEntries(): number {
    return this.tables().reduce((n, t) => n + t.nEntries, 0);
  }

  clear(): void {
    for (const table of this.tables()) table.clear();
  }

  destroy(): void {
    for (const table of this.tables()) table.destroy();
  }

  /**
   * The shadow rights for a successful guest walk. Writes are allowed only once
   * the guest's D is set, so the first write traps and D is set as hardware would.
   */
  static rights(walk: GuestWalk, isPagingOff: boolean, isWriteProtected: boolean): { isUserOk: boolean; isWritable: boolean } {
    if (isPagingOff) return { isUserOk: true, isWritable: !isWriteProtected };
    const both = walk.pde & walk.pte;
    return {
      isUserOk: (both & Pte.U) !== 0,
      isWritable: (both & Pte.W) !== 0 && (walk.pte & Pte.D) !== 0 && !isWriteProtected,
    };
  }
}
