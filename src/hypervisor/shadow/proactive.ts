// shadow-proactive (g32-isa.md §7): one shadow set per guest page directory,
// kept across cr3 loads. Guest pages that hold a shadowed page directory or
// page table are write-protected in every shadow; the guest's writes to them
// trap, are emulated, and update every shadow that depends on the entry.
// Page-table pages that are freed and reused as data stop being tracked when
// nothing references them any more, or when writes to them flood (as KVM does).

import { Pte, PAGE_SIZE } from '../../machine/isa';
import { GuestWalk } from '../guestMemory';
import { FramePool } from './framePool';
import { ShadowSet, ShadowSetState } from './shadowSet';
import { ShadowDeps, ShadowPaging, ShadowView } from './shadowPaging';
import { ShadowPageTable } from './shadowPageTable';

/** Cached shadows per guest; the least recently used is evicted beyond this. */
export const MAX_CACHED_SHADOWS = 8;
/** Emulated writes to one tracked page, without a cr3 load that uses it, before it is unshadowed. */
export const WRITE_FLOOD_LIMIT = 64;

interface CachedShadow {
  /** Guest-physical address of the page directory; -1 for paging off. */
  directory: number;
  set: ShadowSet;
  /** Directory index -> guest frame number of the page table the shadow used. */
  tableFrames: Map<number, number>;
  lastUse: number;
}

interface TrackedPage {
  asDirectory: Set<CachedShadow>;
  /** (shadow, directory index) pairs that use this page as a page table. */
  asTable: Set<string>;
  writes: number;
}

export class ProactiveShadow implements ShadowPaging {
  readonly setting = 'shadow-proactive';
  private readonly cache = new Map<number, CachedShadow>();
  private readonly tracked = new Map<number, TrackedPage>();
  private readonly byId = new Map<string, CachedShadow>();
  private current: CachedShadow;
  private clock = 0;

  constructor(
    private readonly deps: ShadowDeps,
    private readonly pool: FramePool,
  ) {
    this.current = this.obtain(-1)!;
    if (!this.current) throw new Error('hypervisor frame pool too small for one shadow page table');
  }

  active(): ShadowPageTable {
    return this.current.set.table(this.deps.isPretendUser());
  }

  private idOf(shadow: CachedShadow, dirIndex: number): string {
    return `${shadow.directory}:${dirIndex}`;
  }

  private obtain(directory: number): CachedShadow | undefined {
    let shadow = this.cache.get(directory);
    if (shadow) return shadow;
    if (this.cache.size >= MAX_CACHED_SHADOWS) this.evictLeastRecent();
    let set = ShadowSet.create(this.deps.memory.machine, this.pool, this.deps.kernelShadows);
    if (!set) {
      this.deps.host.reclaimFrames();
      set = ShadowSet.create(this.deps.memory.machine, this.pool, this.deps.kernelShadows);
      if (!set) return undefined;
    }
    shadow = { directory, set, tableFrames: new Map(), lastUse: ++this.clock };
    this.cache.set(directory, shadow);
    this.byId.set(String(directory), shadow);
    if (directory >= 0) this.track(directory >>> 12).asDirectory.add(shadow);
    return shadow;
  }

  private evictLeastRecent(): void {
    let oldest: CachedShadow | undefined;
    for (const shadow of this.cache.values()) {
      if (shadow !== this.current && (!oldest || shadow.lastUse < oldest.lastUse)) oldest = shadow;
    }
    if (oldest) this.evict(oldest);
  }

  private evict(shadow: CachedShadow): void {
    for (const [dirIndex, frame] of shadow.tableFrames) this.untrackTable(frame, shadow, dirIndex);
    if (shadow.directory >= 0) this.untrack(shadow.directory >>> 12, (t) => t.asDirectory.delete(shadow));
    shadow.set.destroy();
    this.cache.delete(shadow.directory);
    this.byId.delete(String(shadow.directory));
    this.deps.counters.shadowDrops++;
  }

  private track(frame: number): TrackedPage {
    let page = this.tracked.get(frame);
    if (!page) {
      page = { asDirectory: new Set(), asTable: new Set(), writes: 0 };
      this.tracked.set(frame, page);
      // From now on no shadow may map this page writable.
      const ma = this.deps.memory.toMachine(frame << 12);
      let isChanged = false;
      for (const shadow of this.cache.values()) {
        for (const table of shadow.set.tables()) if (table.writeProtect(ma).length > 0) isChanged = true;
      }
      if (isChanged) this.deps.host.flushRealTlb(undefined);
    }
    return page;
  }

  private untrack(frame: number, remove: (page: TrackedPage) => void): void {
    const page = this.tracked.get(frame);
    if (!page) return;
    remove(page);
    if (page.asDirectory.size === 0 && page.asTable.size === 0) this.tracked.delete(frame);
  }

  private untrackTable(frame: number, shadow: CachedShadow, dirIndex: number): void {
    this.untrack(frame, (t) => t.asTable.delete(this.idOf(shadow, dirIndex)));
  }

  onGuestCr3Load(guestCr3: number): void {
    const directory = guestCr3 === 0 ? -1 : (guestCr3 & ~0xfff) >>> 0;
    let shadow = this.obtain(directory);
    if (!shadow) {
      this.dropAll();
      shadow = this.obtain(directory)!;
    }
    shadow.lastUse = ++this.clock;
    if (directory >= 0) {
      const page = this.tracked.get(directory >>> 12);
      if (page) page.writes = 0;
    }
    if (this.deps.kernelShadows === 'flush-on-switch' && !this.deps.isHardwareMode && shadow.set.nEntries > 0) {
      // One table serves both modes, so it holds only the mode it was filled in.
      shadow.set.clear();
      this.deps.counters.shadowDrops++;
    }
    this.current = shadow;
    // The real TLB is flushed by the real cr3 load the hypervisor makes next.
  }

  onGuestInvlpg(gva: number): string {
    // Shadows are kept coherent by write protection; only the real TLB may hold the old entry.
    this.deps.host.flushRealTlb(gva);
    return 'the shadow is already current (write-protected page tables); only the real TLB entry flushed';
  }

  onPretendModeSwitch(_isPretendUser: boolean): void {
    if (this.deps.kernelShadows === 'flush-on-switch' && !this.deps.isHardwareMode && this.current.set.nEntries > 0) {
      this.current.set.clear();
      this.deps.counters.shadowDrops++;
      this.deps.host.flushRealTlb(undefined);
    }
  }

  fill(gva: number, walk: GuestWalk, guestCr3: number): boolean {
    const shadow = this.current;
    if (guestCr3 !== 0) {
      const dirIndex = gva >>> 22;
      const tableFrame = walk.pde >>> 12;
      const previous = shadow.tableFrames.get(dirIndex);
      if (previous !== tableFrame) {
        if (previous !== undefined) this.untrackTable(previous, shadow, dirIndex);
        shadow.tableFrames.set(dirIndex, tableFrame);
        this.track(tableFrame).asTable.add(this.idOf(shadow, dirIndex));
      }
    }
    const { isWritable, isUserOk } = ShadowSet.rights(walk, guestCr3 === 0, this.isWriteProtected(walk.gpa) || this.deps.isCodePage(walk.gpa));
    const ma = this.deps.memory.toMachine(walk.gpa & ~0xfff);
    return shadow.set.table(this.deps.isPretendUser()).map(gva, ma, isWritable, !this.deps.isHardwareMode || isUserOk);
  }

  onPteWritten(_pteGpa: number, _guestCr3: number): void {
    // The write went through GuestMemory, whose hook already updated every shadow built from a tracked page.
  }

  writeProtectFrame(ma: number): void {
    for (const shadow of this.cache.values()) for (const table of shadow.set.tables()) table.writeProtect(ma);
  }

  isWriteProtected(gpa: number): boolean {
    return this.tracked.has(gpa >>> 12);
  }

  /** Brings every shadow that depends on the written words up to date. */
  onProtectedWrite(gpa: number, size: number): void {
    const frame = gpa >>> 12;
    const page = this.tracked.get(frame);
    if (!page) return;
    const firstWord = (gpa & 0xfff) >>> 2;
    const lastWord = Math.min(1023, ((gpa & 0xfff) + size - 1) >>> 2);
    let isActiveChanged = false;
    for (const shadow of [...page.asDirectory]) {
      for (let dirIndex = firstWord; dirIndex <= lastWord; dirIndex++) {
        // A directory entry changed: the whole 4 MiB region is refilled on demand.
        const tableFrame = shadow.tableFrames.get(dirIndex);
        if (tableFrame !== undefined) {
          this.untrackTable(tableFrame, shadow, dirIndex);
          shadow.tableFrames.delete(dirIndex);
        }
        for (const table of shadow.set.tables()) table.unmapRegion(dirIndex);
        if (shadow === this.current) isActiveChanged = true;
      }
    }
    for (const id of [...page.asTable]) {
      const [directoryText, dirText] = id.split(':');
      const shadow = this.byId.get(directoryText);
      if (!shadow) continue;
      const dirIndex = Number(dirText);
      for (let tableIndex = firstWord; tableIndex <= lastWord; tableIndex++) {
        this.updateEntry(shadow, dirIndex, tableIndex, (frame << 12) + tableIndex * 4);
        if (shadow === this.current) isActiveChanged = true;
      }
    }
    if (isActiveChanged) this.deps.host.flushRealTlb(undefined);
    page.writes++;
    if (page.writes > WRITE_FLOOD_LIMIT) this.unshadow(frame, page);
  }

  /** Recomputes one shadow entry from the guest's new PTE: mapped only if the guest's A (and D for W) say so. */
  private updateEntry(shadow: CachedShadow, dirIndex: number, tableIndex: number, pteGpa: number): void {
    const memory = this.deps.memory;
    const gva = ((dirIndex << 22) | (tableIndex << 12)) >>> 0;
    const pde = shadow.directory >= 0 ? memory.read(shadow.directory + dirIndex * 4, 4) : 0;
    const pte = memory.read(pteGpa, 4);
    const isPresent = (pde & pte & Pte.P) !== 0 && (pde & pte & Pte.A) !== 0 && memory.isRam(pte & ~0xfff, PAGE_SIZE);
    for (const table of shadow.set.tables()) table.unmap(gva);
    if (!isPresent || (this.deps.kernelShadows === 'flush-on-switch' && !this.deps.isHardwareMode)) return;
    const walk: GuestWalk = { gpa: (pte & ~0xfff) >>> 0, errorCode: 0, pde, pte };
    const { isUserOk, isWritable } = ShadowSet.rights(walk, false, this.isWriteProtected(walk.gpa) || this.deps.isCodePage(walk.gpa));
    const ma = memory.toMachine(walk.gpa);
    shadow.set.kernel.map(gva, ma, isWritable, !this.deps.isHardwareMode || isUserOk);
    if (shadow.set.user && isUserOk) shadow.set.user.map(gva, ma, isWritable);
  }

  /** A page written to too often is probably no longer a page table: stop shadowing through it. */
  private unshadow(frame: number, page: TrackedPage): void {
    for (const shadow of [...page.asDirectory]) if (shadow !== this.current) this.evict(shadow);
    for (const id of [...page.asTable]) {
      const [directoryText, dirText] = id.split(':');
      const shadow = this.byId.get(directoryText);
      if (!shadow) continue;
      const dirIndex = Number(dirText);
      shadow.tableFrames.delete(dirIndex);
      for (const table of shadow.set.tables()) table.unmapRegion(dirIndex);
      page.asTable.delete(id);
    }
    page.writes = 0;
    if (page.asDirectory.size === 0 && page.asTable.size === 0) this.tracked.delete(frame);
    this.deps.host.flushRealTlb(undefined);
  }

  dropAll(): void {
    for (const shadow of [...this.cache.values()]) if (shadow !== this.current) this.evict(shadow);
    for (const [dirIndex, frame] of this.current.tableFrames) this.untrackTable(frame, this.current, dirIndex);
    this.current.tableFrames.clear();
    this.current.set.clear();
    this.deps.counters.shadowDrops++;
    this.deps.host.flushRealTlb(undefined);
  }

  views(): ShadowView[] {
    const isUser = this.deps.isPretendUser();
    const views: ShadowView[] = [];
    for (const shadow of this.cache.values()) {
      const isCurrent = shadow === this.current;
      if (!shadow.set.user) views.push({ guestDirectory: shadow.directory, variant: 'both', isActive: isCurrent, entries: shadow.set.kernel.entries() });
      else {
        views.push({ guestDirectory: shadow.directory, variant: 'kernel', isActive: isCurrent && !isUser, entries: shadow.set.kernel.entries() });
        views.push({ guestDirectory: shadow.directory, variant: 'user', isActive: isCurrent && isUser, entries: shadow.set.user.entries() });
      }
    }
    return views;
  }

  saveState(): unknown {
    return {
      shadows: [...this.cache.values()].map((c) => ({ directory: c.directory, set: c.set.saveState(), tableFrames: [...c.tableFrames], lastUse: c.lastUse })),
      tracked: [...this.tracked].map(([frame, page]) => ({ frame, asDirectory: [...page.asDirectory].map((c) => c.directory), asTable: [...page.asTable], writes: page.writes })),
      current: this.current.directory,
      clock: this.clock,
    };
  }

  loadState(state: unknown): void {
    const saved = state as {
      shadows: Array<{ directory: number; set: ShadowSetState; tableFrames: Array<[number, number]>; lastUse: number }>;
      tracked: Array<{ frame: number; asDirectory: number[]; asTable: string[]; writes: number }>;
      current: number;
      clock: number;
    };
    this.cache.clear();
    this.byId.clear();
    this.tracked.clear();
    for (const s of saved.shadows) {
      const shadow: CachedShadow = { directory: s.directory, set: ShadowSet.fromState(this.deps.memory.machine, this.pool, s.set), tableFrames: new Map(s.tableFrames), lastUse: s.lastUse };
      this.cache.set(s.directory, shadow);
      this.byId.set(String(s.directory), shadow);
    }
    for (const t of saved.tracked) {
      this.tracked.set(t.frame, { asDirectory: new Set(t.asDirectory.map((d) => this.cache.get(d)!)), asTable: new Set(t.asTable), writes: t.writes });
    }
    this.current = this.cache.get(saved.current)!;
    this.clock = saved.clock;
  }
}
