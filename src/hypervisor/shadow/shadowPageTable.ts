// One shadow page table: a real two-level G32 table in hypervisor frames that
// maps guest-virtual pages straight to machine frames. The real CPU's walker
// uses it as it would any page table; rights live in the PTE (the PDE grants
// all), since the hypervisor combines both guest levels into one entry.

import { PhysicalMemory } from '../../machine/memory';
import { Pte } from '../../machine/isa';
import { FramePool } from './framePool';

export interface ShadowTableState {
  directory: number;
  tables: Array<[number, number]>;
  nEntries: number;
  regionCounts: Array<[number, number]>;
}

export interface ShadowEntry {
  gva: number;
  ma: number;
  isWritable: boolean;
}

export class ShadowPageTable {
  /** Machine address of the shadow page directory. */
  readonly directory: number;
  /** Directory index -> machine address of its shadow page table. */
  private readonly tables = new Map<number, number>();
  /** Present entries per directory index, so dropping a region needs no scan. */
  private readonly regionCounts = new Map<number, number>();
  nEntries = 0;

  constructor(
    private readonly memory: PhysicalMemory,
    private readonly pool: FramePool,
    directory: number,
  ) {
    this.directory = directory;
  }

  saveState(): ShadowTableState {
    return { directory: this.directory, tables: [...this.tables], nEntries: this.nEntries, regionCounts: [...this.regionCounts] };
  }

  /** Rebuilds the bookkeeping of a table whose frames were restored with machine memory. */
  static fromState(memory: PhysicalMemory, pool: FramePool, state: ShadowTableState): ShadowPageTable {
    const table = new ShadowPageTable(memory, pool, state.directory);
    for (const [dirIndex, frame] of state.tables) table.tables.set(dirIndex, frame);
    for (const [dirIndex, count] of state.regionCounts) table.regionCounts.set(dirIndex, count);
    table.nEntries = state.nEntries;
    return table;
  }

  static create(memory: PhysicalMemory, pool: FramePool): ShadowPageTable | undefined {
    const directory = pool.allocate();
    return directory === undefined ? undefined : new ShadowPageTable(memory, pool, directory);
  }

  /** Maps one page; false when no frame was left for a new table. */
  /** `isUser` false only under hardware assist, where the real CPU runs the guest in its own mode. */
  map(gva: number, ma: number, isWritable: boolean, isUser = true): boolean {
    const dirIndex = gva >>> 22;
    let table = this.tables.get(dirIndex);
    if (table === undefined) {
      table = this.pool.allocate();
      if (table === undefined) return false;
      this.tables.set(dirIndex, table);
      this.memory.write32(this.directory + dirIndex * 4, table | Pte.P | Pte.W | Pte.U);
    }
    const slot = table + ((gva >>> 12) & 0x3ff) * 4;
    if ((this.memory.read32(slot) & Pte.P) === 0) {
      this.nEntries++;
      this.regionCounts.set(dirIndex, (this.regionCounts.get(dirIndex) ?? 0) + 1);
    }
    this.memory.write32(slot, (ma & ~0xfff) | Pte.P | (isUser ? Pte.U : 0) | (isWritable ? Pte.W : 0));
    return true;
  }

  unmap(gva: number): boolean {
    const table = this.tables.get(gva >>> 22);
    if (table === undefined) return false;
    const slot = table + ((gva >>> 12) & 0x3ff) * 4;
    if ((this.memory.read32(slot) & Pte.P) === 0) return false;
    this.memory.write32(slot, 0);
    this.nEntries--;
    const dirIndex = gva >>> 22;
    this.regionCounts.set(dirIndex, (this.regionCounts.get(dirIndex) ?? 1) - 1);
    return true;
  }

  /** Drops the whole 4 MiB region of one directory entry. */
  unmapRegion(dirIndex: number): void {
    const table = this.tables.get(dirIndex);
    if (table === undefined) return;
    this.nEntries -= this.regionCounts.get(dirIndex) ?? 0;
    this.regionCounts.delete(dirIndex);
    this.memory.write32(this.directory + dirIndex * 4, 0);
    this.tables.delete(dirIndex);
    // No need to clear the table's entries: nothing points at the frame any more, and the pool zeroes it when handing it out again.
    this.pool.release(table);
  }

  /** Removes write permission from every entry mapping machine frame `ma`; returns the pages changed. */
  writeProtect(ma: number): number[] {
    const changed: number[] = [];
    // Tables are page-aligned: read their entries as words (binary translation protects each new code frame in every table).
    const words = this.memory.words;
    for (const [dirIndex, table] of this.tables) {
      for (let i = 0; i < 1024; i++) {
        const entry = words[(table >> 2) + i];
        if ((entry & Pte.P) !== 0 && (entry & Pte.W) !== 0 && (entry & ~0xfff) === (ma & ~0xfff)) {
          this.memory.write32(table + i * 4, entry & ~Pte.W);
          changed.push(((dirIndex << 22) | (i << 12)) >>> 0);
        }
      }
    }
    return changed;
  }

  lookup(gva: number): ShadowEntry | undefined {
    const table = this.tables.get(gva >>> 22);
    if (table === undefined) return undefined;
    const entry = this.memory.read32(table + ((gva >>> 12) & 0x3ff) * 4);
    if ((entry & Pte.P) === 0) return undefined;
    return { gva: (gva & ~0xfff) >>> 0, ma: (entry & ~0xfff) >>> 0, isWritable: (entry & Pte.W) !== 0 };
  }

  entries(): ShadowEntry[] {
    const out: ShadowEntry[] = [];
    for (const [dirIndex, table] of [...this.tables].sort((x, y) => x[0] - y[0])) {
      for (let i = 0; i < 1024; i++) {
        const entry = this.memory.read32(table + i * 4);
        if ((entry & Pte.P) !== 0) out.push({ gva: ((dirIndex << 22) | (i << 12)) >>> 0, ma: (entry & ~0xfff) >>> 0, isWritable: (entry & Pte.W) !== 0 });
      }
    }
    return out;
  }

  /** Empties the table, keeping the directory frame. */
  clear(): void {
    for (const dirIndex of [...this.tables.keys()]) this.unmapRegion(dirIndex);
    this.nEntries = 0;
  }

  /** Returns every frame to the pool; the table must not be used afterwards. */
  destroy(): void {
    this.clear();
    this.pool.release(this.directory);
  }
}
