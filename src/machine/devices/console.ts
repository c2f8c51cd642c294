// The memory-mapped console (docs/machine.md, Devices and the console): the low byte of a store to
// 0xFFFF0000 is printed, the word at 0xFFFF0004 reads 1 (ready), the rest of the
// page reads 0 and ignores stores. Output is kept and also handed to a sink.

import { CONSOLE_BASE } from '../isa';

export class Console {
  private chunks: number[] = [];
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
    this.chunks.push(byte);
    this.onByte?.(byte);
  }

  get output(): Uint8Array {
    return Uint8Array.from(this.chunks);
  }

  get outputText(): string {
    return Buffer.from(this.chunks).toString('latin1');
  }

  get length(): number {
    return this.chunks.length;
  }

  saveState(): number {
    return this.chunks.length;
  }

  /** Output is append-only, so restoring a snapshot only truncates it. */
  loadState(length: number): void {
    this.chunks.length = Math.min(this.chunks.length, length);
  }
}
