// The TLB: fully associative, least-recently-used replacement (docs/machine.md, The TLB).
// It is deliberately not kept in sync with page-table memory: only `mov cr3`,
// `invlpg` and page faults remove entries, so stale translations stay observable.
// A page-number index makes lookups O(1); the LRU order is kept with a use clock.

/** Most entries a TLB may have (`tlbEntries`, `--tlb-entries`). */
export const MAX_TLB_ENTRIES = 4096;

/** Bits cached per entry: the AND of both levels for W and U, and the PTE's D. */
export const enum TlbBits {
  W = 2,
  U = 4,
  D = 64,
}

export class Tlb {
  readonly nEntries: number;
  /** Virtual page number per entry; -1 marks an empty entry. */
  readonly vpn: Int32Array;
  /** Physical (machine) page base per entry. */
  readonly frame: Int32Array;
  readonly bits: Uint8Array;
  /** Last-use clock per entry; the smallest is the least recently used. */
  readonly lastUse: Float64Array;
  /** vpn -> entry index + 1 (0: not cached); 16 bits hold MAX_TLB_ENTRIES + 1, and halve the 4 MiB a 32-bit index took per machine. */
  readonly index: Uint16Array;
  clock = 0;
  hits = 0;
  misses = 0;
  /** Page-table entries read by one-dimensional walks (bare hardware or a shadow; nested walks count their own). */
  walkReferences = 0;
  /** Bumped on every removal so that callers caching an entry index can tell it may be gone. */
  generation = 0;

  constructor(nEntries: number) {
    if (!Number.isInteger(nEntries) || nEntries < 0 || nEntries > MAX_TLB_ENTRIES) {
      throw new RangeError(`tlbEntries must be an integer from 0 to ${MAX_TLB_ENTRIES}, got ${nEntries}`);
    }
    this.nEntries = nEntries;
    this.vpn = new Int32Array(nEntries).fill(-1);
    this.frame = new Int32Array(nEntries);
    this.bits = new Uint8Array(nEntries);
    this.lastUse = new Float64Array(nEntries);
    this.index = new Uint16Array(nEntries > 0 ? 1 << 20 : 0);
  }

  /** Entry index caching `vpn`, or -1. Does not count as a use. */
  find(vpn: number): number {
    return this.nEntries === 0 ? -1 : this.index[vpn] - 1;
  }

  /** Caches a translation, replacing an existing entry for the page or the least recently used one. */
  insert(vpn: number, frame: number, bits: number): number {
    if (this.nEntries === 0) return -1;
    let entry = this.index[vpn] - 1;
    if (entry < 0) {
      entry = 0;
      let oldest = Infinity;
      for (let i = 0; i < this.nEntries; i++) {
        if (this.vpn[i] === -1) {
          entry = i;
          break;
        }
        if (this.lastUse[i] < oldest) {
          oldest = this.lastUse[i];
          entry = i;
        }
      }
      if (this.vpn[entry] !== -1) {
        this.index[this.vpn[entry]] = 0;
        this.generation++;
      }
      this.vpn[entry] = vpn;
      this.index[vpn] = entry + 1;
    } else {
      // A walk that refreshes an existing entry (a write through a D-clear entry)
      // may change its frame or rights: callers caching the entry must look again.
      this.generation++;
    }
    this.frame[entry] = frame;
    this.bits[entry] = bits;
    this.lastUse[entry] = ++this.clock;
    return entry;
  }

  flushPage(vpn: number): boolean {
    if (this.nEntries === 0) return false;
    const entry = this.index[vpn] - 1;
    if (entry < 0) return false;
    this.index[vpn] = 0;
    this.vpn[entry] = -1;
    this.generation++;
    return true;
  }

  flushAll(): number {
    let removed = 0;
    for (let i = 0; i < this.nEntries; i++) {
      if (this.vpn[i] !== -1) {
        this.index[this.vpn[i]] = 0;
        this.vpn[i] = -1;
        removed++;
      }
    }
    this.generation++;
    return removed;
  }

  saveState(): TlbState {
    return {
      vpn: this.vpn.slice(),
      frame: this.frame.slice(),
      bits: this.bits.slice(),
      lastUse: this.lastUse.slice(),
      clock: this.clock,
      hits: this.hits,
      misses: this.misses,
      walkReferences: this.walkReferences,
    };
  }

  loadState(state: TlbState): void {
    for (let i = 0; i < this.nEntries; i++) if (this.vpn[i] !== -1) this.index[this.vpn[i]] = 0;
    this.vpn.set(state.vpn);
    this.frame.set(state.frame);
    this.bits.set(state.bits);
    this.lastUse.set(state.lastUse);
    this.clock = state.clock;
    this.hits = state.hits;
    this.misses = state.misses;
    this.walkReferences = state.walkReferences;
    for (let i = 0; i < this.nEntries; i++) if (this.vpn[i] !== -1) this.index[this.vpn[i]] = i + 1;
    this.generation++;
  }
}

export interface TlbState {
  vpn: Int32Array;
  frame: Int32Array;
  bits: Uint8Array;
  lastUse: Float64Array;
  clock: number;
  hits: number;
  misses: number;
  walkReferences: number;
}
