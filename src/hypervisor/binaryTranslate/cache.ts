// The translation cache: translated blocks keyed by the guest-physical address
// they start at (pretend-kernel code only, so the mode is implied), a fast index
// by guest-virtual address for the current address space, and the guest frames
// that hold translated code, whose writes must drop those translations.

import { blockEntrySlot } from '../../machine/cpu';
import { AdaptiveReason, BlockFunction, TranslatedBlock } from './translate';

/** Slots of the entry counter: a power of two; 4,096 cover 16 KiB of kernel code without two entries sharing one. */
const ENTRY_SLOTS = 4096;
/** The count saturates here, below the MUST_STOP bit: translation thresholds are at most this. */
export const MAX_ENTRY_COUNT = 0x7fff;
const MUST_STOP = 0x8000;

export class TranslationCache {
  /** gpa of a block's first instruction -> block. */
  private readonly byPhysical = new Map<number, TranslatedBlock>();
  /** gva -> block, valid while the guest's mappings are unchanged (cleared on cr3 load and invlpg). */
  private byVirtual = new Map<number, TranslatedBlock>();
  /**
   * One-instruction blocks, for the instructions cold code hands to the hypervisor:
   * by gva (like byVirtual), and by the machine address of their code, where the
   * CPU found the instruction (its fetch went through the guest's mappings).
   */
  private singles = new Map<number, TranslatedBlock>();
  private readonly singlesByMachine = new Map<number, TranslatedBlock>();
  /**
   * Tiering: runs of cold code (not yet decoded), by a hash of the guest-virtual
   * address it was entered at; shared with the CPU (Cpu.blockEntryCounts), which
   * counts the entries it runs through and stops at those that turn hot. Bit 15
   * marks an entry the CPU must always stop at (see makeAdaptiveAt). Two entries
   * that share a slot share a count: the second turns hot early, which is safe.
   */
  readonly entryCounts = new Uint16Array(ENTRY_SLOTS);
  /** Entry points (gva) of cold code to decode at their next run although not hot: their block ends in an adaptive instruction. */
  readonly mustDecode = new Set<number>();
  /** Guest frame -> blocks whose bytes lie on it. */
  private readonly byFrame = new Map<number, Set<TranslatedBlock>>();
  /** Bumped whenever a block is dropped, so chained links to it are no longer followed. */
  generation = 0;
  hits = 0;
  misses = 0;
  invalidations = 0;

  lookupVirtual(gva: number): TranslatedBlock | undefined {
    return this.byVirtual.get(gva);
  }

  lookupSingle(gva: number): TranslatedBlock | undefined {
    return this.singles.get(gva);
  }

  /** A block found by physical address is reused only if it was made for the same virtual address. */
  lookupPhysical(gpa: number, gva: number): TranslatedBlock | undefined {
    const block = this.byPhysical.get(gpa);
    return block && block.gva === gva ? block : undefined;
  }

  lookupSingleAt(machineAddress: number, gva: number): TranslatedBlock | undefined {
    const block = this.singlesByMachine.get(machineAddress);
    return block && block.gva === gva ? block : undefined;
  }

  rememberVirtual(block: TranslatedBlock, isSingle = false): void {
    (isSingle ? this.singles : this.byVirtual).set(block.gva, block);
  }

  /** Counts a run of cold code entered at `gva`; returns how many so far (at most MAX_ENTRY_COUNT). */
  noteColdRun(gva: number): number {
    const slot = blockEntrySlot(gva, ENTRY_SLOTS);
    const value = this.entryCounts[slot];
    const runs = Math.min((value & MAX_ENTRY_COUNT) + 1, MAX_ENTRY_COUNT);
    this.entryCounts[slot] = (value & MUST_STOP) | runs;
    return runs;
  }

  insert(block: TranslatedBlock, isSingle: boolean): void {
    if (isSingle) {
      const old = this.singlesByMachine.get(block.codeMachine[0]);
      if (old) this.remove(old);
      this.singles.set(block.gva, block);
      this.singlesByMachine.set(block.codeMachine[0], block);
      // Not on their frames: they protect nothing, and check their bytes before each run instead.
      return;
    }
    const old = this.byPhysical.get(block.gpa);
    if (old) this.remove(old);
    this.byPhysical.set(block.gpa, block);
    this.byVirtual.set(block.gva, block);
    for (const frame of block.frames) {
      let set = this.byFrame.get(frame);
      if (!set) {
        set = new Set();
        this.byFrame.set(frame, set);
      }
      set.add(block);
    }
  }

  private remove(block: TranslatedBlock): void {
    if (this.byPhysical.get(block.gpa) === block) this.byPhysical.delete(block.gpa);
    if (this.byVirtual.get(block.gva) === block) this.byVirtual.delete(block.gva);
    if (this.singles.get(block.gva) === block) this.singles.delete(block.gva);
    if (this.singlesByMachine.get(block.codeMachine[0]) === block) this.singlesByMachine.delete(block.codeMachine[0]);
    for (const frame of block.frames) this.byFrame.get(frame)?.delete(block);
    this.generation++;
  }

  hasCode(frame: number): boolean {
    return (this.byFrame.get(frame)?.size ?? 0) > 0;
  }

  /**
   * Frames where code and often-written data share a page: no longer write-protected
   * (a trap per data write costs more), their blocks check their bytes before running instead.
   */
  readonly hotFrames = new Set<number>();
  private readonly dataWrites = new Map<number, number>();

  /** Writes to this frame must trap: it holds translated code and is not hot. */
  isProtected(frame: number): boolean {
    return this.hasCode(frame) && !this.hotFrames.has(frame);
  }

  /** Counts a write to a code frame that overlapped no translation; true when the frame just became hot. */
  noteDataWrite(frame: number, limit: number): boolean {
    if (this.hotFrames.has(frame)) return false;
    const writes = (this.dataWrites.get(frame) ?? 0) + 1;
    this.dataWrites.set(frame, writes);
    if (writes <= limit) return false;
    this.hotFrames.add(frame);
    return true;
  }

  /** Adaptive translation: traps taken so far, by the guest-physical address of the trapping instruction. */
  private readonly trapCounts = new Map<number, number>();
  /** Instructions (by guest-physical address) that blocks now emulate directly, and why. */
  readonly adaptive = new Map<number, AdaptiveReason>();

  /** Counts a trap into emulation at the instruction at `gpa`; returns how many it has taken. */
  noteTrap(gpa: number): number {
    const traps = (this.trapCounts.get(gpa) ?? 0) + 1;
    this.trapCounts.set(gpa, traps);
    return traps;
  }

  /** From now on blocks end at the instruction at `gpa` and emulate it directly; `block` is dropped, to be decoded again so. */
  makeAdaptive(block: TranslatedBlock, gpa: number, reason: AdaptiveReason): void {
    this.adaptive.set(gpa, reason);
    this.remove(block);
  }

  /**
   * The same for an instruction met in cold code: blocks over it are dropped, and
   * the cold code entered at `entry` is decoded at its next run (to end at it).
   */
  makeAdaptiveAt(gpa: number, reason: AdaptiveReason, entry: number): void {
    this.adaptive.set(gpa, reason);
    const blocks = this.byFrame.get(gpa >>> 12);
    if (blocks) for (const block of [...blocks]) if (block.ranges.some(([start, stop]) => start <= gpa && gpa < stop)) this.remove(block);
    this.mustDecode.add(entry);
    this.entryCounts[blockEntrySlot(entry, ENTRY_SLOTS)] |= MUST_STOP;
  }

  /** Drops one block (its code changed under it). */
  drop(block: TranslatedBlock): void {
    this.remove(block);
    this.invalidations++;
  }

  /** Drops every translation of code on `frame` (the guest wrote to it); returns how many. */
  invalidateFrame(frame: number): number {
    const blocks = this.byFrame.get(frame);
    if (!blocks || blocks.size === 0) return 0;
    const dropped = [...blocks];
    for (const block of dropped) this.remove(block);
    this.byFrame.delete(frame);
    this.invalidations += dropped.length;
    return dropped.length;
  }

  /** Drops the translations whose code bytes overlap [gpa, gpa + size); returns how many. */
  invalidateOverlapping(gpa: number, size: number): number {
    const blocks = this.byFrame.get(gpa >>> 12);
    if (!blocks) return 0;
    const end = gpa + size;
    const dropped = [...blocks].filter((block) => block.ranges.some(([start, stop]) => gpa < stop && start < end));
    for (const block of dropped) this.remove(block);
    this.invalidations += dropped.length;
    return dropped.length;
  }

  /** The guest changed its mappings: virtual lookups must go through its page table again. */
  forgetVirtual(): void {
    this.byVirtual = new Map();
    this.singles = new Map();
    this.generation++;
  }

  /** Every cached block: those decoded to be translated (or adaptive), then the one-instruction call-outs of cold code. */
  blocks(): TranslatedBlock[] {
    return [...this.byPhysical.values(), ...this.singlesByMachine.values()];
  }

  get size(): number {
    return this.byPhysical.size;
  }

  /**
   * The cache as it is now, for a snapshot of the whole system: step back
   * puts it back with guest memory and the shadows, so a replay never runs a
   * block translated in a future it left, and the panel shows what is cached.
   * Blocks are shared with the live cache; their mutable fields are copied.
   */
  save(): TranslationCacheState {
    const blocks = new Set<TranslatedBlock>([...this.byPhysical.values(), ...this.byVirtual.values(), ...this.singles.values(), ...this.singlesByMachine.values()]);
    return {
      byPhysical: [...this.byPhysical],
      byVirtual: [...this.byVirtual],
      singles: [...this.singles],
      singlesByMachine: [...this.singlesByMachine],
      entryCounts: this.entryCounts.slice(),
      mustDecode: [...this.mustDecode],
      byFrame: [...this.byFrame].map(([frame, set]) => [frame, [...set]]),
      blocks: [...blocks].map((block) => ({
        block,
        executions: block.executions,
        chainTarget: block.chainTarget,
        chainNext: block.chainNext,
        chainGeneration: block.chainGeneration,
        isTranslated: block.isTranslated,
        source: block.source,
        fn: block.fn,
      })),
      generation: this.generation,
      hits: this.hits,
      misses: this.misses,
      invalidations: this.invalidations,
      hotFrames: [...this.hotFrames],
      dataWrites: [...this.dataWrites],
      trapCounts: [...this.trapCounts],
      adaptive: [...this.adaptive],
    };
  }

  restore(state: TranslationCacheState): void {
    this.byPhysical.clear();
    for (const [gpa, block] of state.byPhysical) this.byPhysical.set(gpa, block);
    this.byVirtual = new Map(state.byVirtual);
    this.singles = new Map(state.singles);
    this.singlesByMachine.clear();
    for (const [address, block] of state.singlesByMachine) this.singlesByMachine.set(address, block);
    this.entryCounts.set(state.entryCounts);
    this.mustDecode.clear();
    for (const gva of state.mustDecode) this.mustDecode.add(gva);
    this.byFrame.clear();
    for (const [frame, blocks] of state.byFrame) this.byFrame.set(frame, new Set(blocks));
    for (const saved of state.blocks) {
      const block = saved.block;
      block.executions = saved.executions;
      block.chainTarget = saved.chainTarget;
      block.chainNext = saved.chainNext;
      block.chainGeneration = saved.chainGeneration;
      block.isTranslated = saved.isTranslated;
      block.source = saved.source;
      block.fn = saved.fn;
    }
    this.trapCounts.clear();
    for (const [gpa, traps] of state.trapCounts) this.trapCounts.set(gpa, traps);
    this.adaptive.clear();
    for (const [gpa, reason] of state.adaptive) this.adaptive.set(gpa, reason);
    this.generation = state.generation;
    this.hits = state.hits;
    this.misses = state.misses;
    this.invalidations = state.invalidations;
    this.hotFrames.clear();
    for (const frame of state.hotFrames) this.hotFrames.add(frame);
    this.dataWrites.clear();
    for (const [frame, writes] of state.dataWrites) this.dataWrites.set(frame, writes);
  }
}

/** A saved translation cache (TranslationCache.save). */
export interface TranslationCacheState {
  byPhysical: Array<[number, TranslatedBlock]>;
  byVirtual: Array<[number, TranslatedBlock]>;
  singles: Array<[number, TranslatedBlock]>;
  singlesByMachine: Array<[number, TranslatedBlock]>;
  entryCounts: Uint16Array;
  mustDecode: number[];
  byFrame: Array<[number, TranslatedBlock[]]>;
  blocks: Array<{
    block: TranslatedBlock;
    executions: number;
    chainTarget: TranslatedBlock | undefined;
    chainNext: TranslatedBlock | undefined;
    chainGeneration: number;
    isTranslated: boolean;
    source: string;
    fn: BlockFunction;
  }>;
  generation: number;
  hits: number;
  misses: number;
  invalidations: number;
  hotFrames: number[];
  dataWrites: Array<[number, number]>;
  trapCounts: Array<[number, number]>;
  adaptive: Array<[number, AdaptiveReason]>;
}
