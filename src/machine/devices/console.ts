// The memory-mapped console (docs/machine.md, Devices and the console): the low byte of a store to
// 0xFFFF0000 is printed, the word at 0xFFFF0004 reads 1 (ready), the rest of the
// page reads 0 and ignores stores. Each byte goes to a sink (`onByte`) as it is
// printed; the console itself keeps only what a bounded memory allows: the count
// of bytes, a digest of all of them (to compare two runs) and the last
// CONSOLE_TAIL_BYTES bytes (for messages, panels and tests). A guest that prints
// in a loop for hours therefore costs no memory here.

import { CONSOLE_BASE } from '../isa';
import { latin1Text } from '../bytes';

/** Bytes of recent output kept: the tail shown when runs differ, and all the output of any small guest. */
export const CONSOLE_TAIL_BYTES = 64 * 1024;

/** What two runs compare instead of copying their whole output: equal digests mean equal output (but for a 2^-64 chance). */
export interface ConsoleDigest {
  /** Every byte ever printed. */
  length: number;
  /** Two independent 32-bit hashes of all of them. */
  hashA: number;
  hashB: number;
}

export interface ConsoleState extends ConsoleDigest {
  /** The kept tail, oldest byte first. */
  tail: Uint8Array;
}

const FNV_OFFSET = 0x811c9dc5;
const FNV_PRIME = 0x01000193;
const SECOND_OFFSET = 0x9747b28c;
const SECOND_PRIME = 0x5bd1e995;

export class Console {
  private readonly ring = new Uint8Array(CONSOLE_TAIL_BYTES);
  private count = 0;
  private hashA = FNV_OFFSET;
  private hashB = SECOND_OFFSET;
  /** Called with each printed byte; set by whoever shows the output. */
  onByte: ((byte: number) => void) | undefined;

  /** Byte read at a physical address within the console page. */
  readByte(pa: number): number {
    return pa === CONSOLE_BASE + 4 ? 1 : 0;
  }

  /** A store of any size that starts at `pa`. */
  store(pa: number, value: number): void {
    if (pa !== CONSOLE_BASE) return;
    const byte = value & 0xff;
    this.ring[this.count % CONSOLE_TAIL_BYTES] = byte;
    this.count++;
    this.hashA = Math.imul(this.hashA ^ byte, FNV_PRIME);
    const mixed = Math.imul(this.hashB ^ byte, SECOND_PRIME);
    this.hashB = mixed ^ (mixed >>> 15);
    this.onByte?.(byte);
  }

  /** The last bytes printed: all of them when fewer than CONSOLE_TAIL_BYTES were. */
  get output(): Uint8Array {
    const kept = Math.min(this.count, CONSOLE_TAIL_BYTES);
    const start = (this.count - kept) % CONSOLE_TAIL_BYTES;
    const out = new Uint8Array(kept);
    const firstPart = Math.min(kept, CONSOLE_TAIL_BYTES - start);
    out.set(this.ring.subarray(start, start + firstPart), 0);
    out.set(this.ring.subarray(0, kept - firstPart), firstPart);
    return out;
  }

  get outputText(): string {
    return latin1Text(this.output);
  }

  /** Every byte ever printed, kept or not. */
  get length(): number {
    return this.count;
  }

  get digest(): ConsoleDigest {
    return { length: this.count, hashA: this.hashA >>> 0, hashB: this.hashB >>> 0 };
  }

  saveState(): ConsoleState {
    return { ...this.digest, tail: this.output };
  }

  loadState(state: ConsoleState): void {
    this.count = state.length;
    this.hashA = state.hashA;
    this.hashB = state.hashB;
    const start = (state.length - state.tail.length) % CONSOLE_TAIL_BYTES;
    for (let i = 0; i < state.tail.length; i++) this.ring[(start + i) % CONSOLE_TAIL_BYTES] = state.tail[i];
  }
}
