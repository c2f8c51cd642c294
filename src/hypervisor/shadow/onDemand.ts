// shadow-on-demand (g32-isa.md §7): one shadow set, filled entry by entry on
// hidden page faults and dropped whole whenever the guest loads cr3; a guest
// invlpg clears just that page's entry, as it clears one TLB entry on bare
// hardware. Simple and always coherent; every context switch starts cold.

import { FramePool } from './framePool';
import { ShadowSet, ShadowSetState } from './shadowSet';
import { ShadowDeps, ShadowPaging, ShadowView } from './shadowPaging';
import { ShadowPageTable } from './shadowPageTable';
import { GuestWalk } from '../guestMemory';

export class OnDemandShadow implements ShadowPaging {
  readonly setting = 'shadow-on-demand';
  private set: ShadowSet;
  private guestDirectory = -1;

  constructor(
    private readonly deps: ShadowDeps,
    private readonly pool: FramePool,
  ) {
    const set = ShadowSet.create(deps.memory.machine, pool, deps.kernelShadows);
    if (!set) throw new Error('hypervisor frame pool too small for one shadow page table');
    this.set = set;
  }

  active(): ShadowPageTable {
    return this.set.table(this.deps.isPretendUser());
  }

  private drop(): void {
    if (this.set.nEntries > 0) this.deps.counters.shadowDrops++;
    this.set.clear();
    this.deps.host.flushRealTlb(undefined);
  }

  onGuestCr3Load(guestCr3: number): void {
    this.guestDirectory = guestCr3 === 0 ? -1 : (guestCr3 & ~0xfff) >>> 0;
    this.drop();
  }

  onGuestInvlpg(gva: number): string {
    let isRemoved = false;
    for (const table of this.set.tables()) isRemoved = table.unmap(gva) || isRemoved;
    this.deps.host.flushRealTlb(gva);
    return isRemoved ? 'its shadow entry cleared, to be refilled by the next hidden page fault' : 'no shadow entry to clear';
  }

  onPretendModeSwitch(_isPretendUser: boolean): void {
    if (this.deps.kernelShadows === 'flush-on-switch' && !this.deps.isHardwareMode) this.drop();
  }

  fill(gva: number, walk: GuestWalk, guestCr3: number): boolean {
    const { isWritable, isUserOk } = ShadowSet.rights(walk, guestCr3 === 0, this.deps.isCodePage(walk.gpa));
    const ma = this.deps.memory.toMachine(walk.gpa & ~0xfff);
    return this.active().map(gva, ma, isWritable, !this.deps.isHardwareMode || isUserOk);
  }

  onPteWritten(pteGpa: number, guestCr3: number): void {
    // The shadow was built from the current directory: every page translated through this PTE.
    for (const gva of this.deps.memory.virtualPagesThroughPte(guestCr3, pteGpa)) {
      let isRemoved = false;
      for (const table of this.set.tables()) isRemoved = table.unmap(gva) || isRemoved;
      if (isRemoved) this.deps.host.flushRealTlb(gva);
    }
  }

  writeProtectFrame(ma: number): void {
    for (const table of this.set.tables()) table.writeProtect(ma);
  }

  isWriteProtected(_gpa: number): boolean {
    return false;
  }

  onProtectedWrite(_gpa: number, _size: number): void {
    // On-demand shadows protect nothing: guest page-table writes are caught by invlpg/cr3 drops.
  }

  dropAll(): void {
    this.drop();
  }

  views(): ShadowView[] {
    const isUser = this.deps.isPretendUser();
    if (!this.set.user) return [{ guestDirectory: this.guestDirectory, variant: 'both', isActive: true, entries: this.set.kernel.entries() }];
    return [
      { guestDirectory: this.guestDirectory, variant: 'kernel', isActive: !isUser, entries: this.set.kernel.entries() },
      { guestDirectory: this.guestDirectory, variant: 'user', isActive: isUser, entries: this.set.user.entries() },
    ];
  }

  saveState(): unknown {
    return { set: this.set.saveState(), guestDirectory: this.guestDirectory };
  }

  loadState(state: unknown): void {
    const saved = state as { set: ShadowSetState; guestDirectory: number };
    this.set = ShadowSet.fromState(this.deps.memory.machine, this.pool, saved.set);
    this.guestDirectory = saved.guestDirectory;
  }
}
