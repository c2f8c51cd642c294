// Physical RAM of one machine, with the decoded-instruction cache that shadows it.
// Writes that do not come from the CPU's own store path (loader, hypervisor,
// debugger) go through `write8`/`write32` here so cached decodings never go stale.

import { PAGE_SIZE } from './isa';

/**
 * RAM of the simulated machine, 1 GiB: the one limit on memory. A guest's
 * memory (`--memory`, launch `memory`, a description's `memory`) may not pass
 * it, and under the hypervisor all guests plus its own frames share it.
 */
export const MAX_MEMORY_BYTES = 0x40000000;

export class PhysicalMemory {
  readonly size: number;
  readonly bytes: Uint8Array;
  /** Aligned 32-bit view of `bytes` (little-endian hosts only, which is every host Node runs on). */
  readonly words: Int32Array;
  readonly view: DataView;
  /**
   * Decoded-instruction cache, one slot per aligned word: bit 16 set means decoded,
   * bits 20–23 the length, low bits `op | a << 8 | b << 12` (op 0xFF with length 0
   * stands for any undefined encoding).
   * `decodedImm` holds word 1 of 8-byte forms.
   */
  readonly decodedInfo: Int32Array;
  readonly decodedImm: Int32Array;
  /**
   * Machine frames whose writes through `write8`/`write32`/`writeBytes` are
   * reported to `onWatchedWrite` (a hypervisor watches the frames it translated
   * code from, so no writer — page walker, hypervisor, debugger — leaves a stale translation).
   */
  readonly watchedFrames: Uint8Array;
  onWatchedWrite: ((pa: number, length: number) => void) | undefined;

  constructor(size: number) {
    if (size <= 0 || size % PAGE_SIZE !== 0 || size > MAX_MEMORY_BYTES) {
      throw new RangeError(`memory size must be a positive multiple of ${PAGE_SIZE} up to ${MAX_MEMORY_BYTES}, got ${size}`);
    }
    this.size = size;
    const buffer = new ArrayBuffer(size);
    this.bytes = new Uint8Array(buffer);
    this.words = new Int32Array(buffer);
    this.view = new DataView(buffer);
    this.decodedInfo = new Int32Array(size >> 2);
    this.decodedImm = new Int32Array(size >> 2);
    this.watchedFrames = new Uint8Array(size >>> 12);
  }

  /** True when every byte of [pa, pa+length) is RAM. */
  contains(pa: number, length = 1): boolean {
    return pa >= 0 && pa + length <= this.size;
  }

  read8(pa: number): number {
    return this.bytes[pa];
  }

  read32(pa: number): number {
    return (pa & 3) === 0 ? this.words[pa >> 2] : this.view.getInt32(pa, true);
  }

  write8(pa: number, value: number): void {
    this.bytes[pa] = value;
    this.invalidateDecoded(pa, 1);
    if (this.watchedFrames[pa >>> 12] !== 0) this.onWatchedWrite?.(pa, 1);
  }

  write32(pa: number, value: number): void {
    if ((pa & 3) === 0) this.words[pa >> 2] = value;
    else this.view.setInt32(pa, value, true);
    this.invalidateDecoded(pa, 4);
    if ((this.watchedFrames[pa >>> 12] | this.watchedFrames[(pa + 3) >>> 12]) !== 0) this.onWatchedWrite?.(pa, 4);
  }

  writeBytes(pa: number, data: Uint8Array): void {
    this.bytes.set(data, pa);
    this.invalidateDecoded(pa, data.length);
    if (data.length === 0) return;
    for (let frame = pa >>> 12; frame <= (pa + data.length - 1) >>> 12; frame++) {
      if (this.watchedFrames[frame] !== 0) {
        this.onWatchedWrite?.(pa, data.length);
        return;
      }
    }
  }

  /** Drops cached decodings of every instruction that may overlap [pa, pa+length). */
  invalidateDecoded(pa: number, length: number): void {
    // An 8-byte instruction starting one word earlier overlaps the first word.
    const first = Math.max(0, (pa >> 2) - 1);
    const last = Math.min(this.decodedInfo.length - 1, (pa + length - 1) >> 2);
    for (let w = first; w <= last; w++) this.decodedInfo[w] = 0;
  }

  invalidateAllDecoded(): void {
    this.decodedInfo.fill(0);
  }
}
