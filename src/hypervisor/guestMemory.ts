// A guest's physical memory as the hypervisor sees it: guest-physical frames
// mapped onto machine frames (not the identity), the guest's virtual console
// page, and software walks of the guest's own page table that set A and D as
// the guest's hardware would (g32-isa.md §5, §8). This is how the hypervisor
// reads instructions, builds trap frames and fills shadows.

import { PhysicalMemory } from '../machine/memory';
import { DeviceSet } from '../machine/devices/bus';
import { CONSOLE_BASE, PfError, Pte, PAGE_SIZE } from '../machine/isa';

export const enum GuestAccess {
  READ = 0,
  WRITE = 1,
  FETCH = 2,
}

/** Result of a guest walk; `gpa` is -1 when the walk faulted and -2 on a bus error. */
export interface GuestWalk {
  gpa: number;
  errorCode: number;
  pde: number;
  pte: number;
}

export class GuestMemory {
  /** Guest frame number -> machine address of that frame. */
  readonly frames: Int32Array;
  /** Set when an access touched neither guest RAM nor the console page. */
  busErrorAddress = -1;
  /** Called after the hypervisor writes guest RAM, so write-protected page tables can be tracked. */
  onWrite: ((gpa: number, size: number) => void) | undefined;

  constructor(
    readonly machine: PhysicalMemory,
    frames: Int32Array,
    readonly size: number,
    readonly devices: DeviceSet,
  ) {
    this.frames = frames;
  }

  isRam(gpa: number, length = 1): boolean {
    return gpa >= 0 && gpa + length <= this.size;
  }

  static isConsole(gpa: number): boolean {
    return gpa >>> 12 === CONSOLE_BASE >>> 12;
  }

  /** Machine address of a guest-physical RAM address, or -1. */
  toMachine(gpa: number): number {
    if (!this.isRam(gpa)) return -1;
    return this.frames[gpa >>> 12] + (gpa & 0xfff);
  }

  readByte(gpa: number): number {
    gpa >>>= 0;
    if (this.isRam(gpa)) return this.machine.bytes[this.toMachine(gpa)];
    if (GuestMemory.isConsole(gpa)) return this.devices.consoleReadByte(gpa);
    this.busErrorAddress = gpa;
    return 0;
  }

  /** Little-endian read of `size` bytes, page by page (frames are not contiguous in machine memory). */
  read(gpa: number, size: 1 | 4): number {
    gpa >>>= 0;
    if (size === 4 && (gpa & 0xfff) <= 0xffc && this.isRam(gpa, 4)) return this.machine.read32(this.toMachine(gpa));
    let value = 0;
    for (let i = 0; i < size; i++) value |= this.readByte(gpa + i) << (8 * i);
    return value;
  }

  /** Every byte is checked before any is written, as on hardware. */
  write(gpa: number, value: number, size: 1 | 4, ticks: number): boolean {
    gpa >>>= 0;
    for (let i = 0; i < size; i++) {
      const byteAddr = gpa + i;
      if (!this.isRam(byteAddr) && !GuestMemory.isConsole(byteAddr)) {
        this.busErrorAddress = byteAddr;
        return false;
      }
    }
    if (GuestMemory.isConsole(gpa)) this.devices.consoleStore(gpa, value, ticks);
    // One machine write for a word within a frame, so the write is seen (and counted) as one.
    if (size === 4 && (gpa & 0xfff) <= 0xffc && this.isRam(gpa, 4)) this.machine.write32(this.toMachine(gpa), value);
    else
      for (let i = 0; i < size; i++) {
        const byteAddr = gpa + i;
        if (this.isRam(byteAddr)) this.machine.write8(this.toMachine(byteAddr), (value >>> (8 * i)) & 0xff);
      }
    this.onWrite?.(gpa, size);
    return true;
  }

  /** Reads guest physical memory into a new array (for comparisons and the debugger). */
  snapshot(gpa = 0, length = this.size): Uint8Array {
    const out = new Uint8Array(length);
    for (let offset = 0; offset < length;) {
      const a = gpa + offset;
      const n = Math.min(length - offset, PAGE_SIZE - (a & 0xfff));
      if (this.isRam(a, n)) out.set(this.machine.bytes.subarray(this.toMachine(a), this.toMachine(a) + n), offset);
      offset += n;
    }
    return out;
  }

  /**
   * Virtual pages whose translation goes through the PTE at `pteGpa` in the
   * address space of `cr3`: one per directory entry that points at that page table.
   */
  virtualPagesThroughPte(cr3: number, pteGpa: number): number[] {
    if (cr3 === 0) return [];
    const tableIndex = (pteGpa & 0xfff) >>> 2;
    const pages: number[] = [];
    for (let dirIndex = 0; dirIndex < 1024; dirIndex++) {
      const pde = this.read(((cr3 & ~0xfff) + dirIndex * 4) >>> 0, 4);
      if ((pde & Pte.P) !== 0 && pde >>> 12 === pteGpa >>> 12) pages.push(((dirIndex << 22) | (tableIndex << 12)) >>> 0);
    }
    return pages;
  }

  /**
   * The guest's two-level walk for one access, exactly as the CPU's walker
   * (PDE P, PTE P, then U and W in both; A, and D on a write, only on success).
   * With `setBits` false it only looks (for the debugger and the panels).
   */
  walk(cr3: number, gva: number, access: GuestAccess, isUser: boolean, setBits = true): GuestWalk {
    gva >>>= 0;
    if (cr3 === 0) return { gpa: gva, errorCode: 0, pde: 0, pte: 0 };
    const isWrite = access === GuestAccess.WRITE;
    const kind = (isWrite ? PfError.WRITE : 0) | (isUser ? PfError.USER : 0) | (access === GuestAccess.FETCH ? PfError.FETCH : 0);
    const pdeAddr = ((cr3 & ~0xfff) + ((gva >>> 22) << 2)) >>> 0;
    if (!this.isRam(pdeAddr, 4)) {
      this.busErrorAddress = pdeAddr;
      return { gpa: -2, errorCode: 0, pde: 0, pte: 0 };
    }
    const pde = this.read(pdeAddr, 4);
    if ((pde & Pte.P) === 0) return { gpa: -1, errorCode: kind, pde, pte: 0 };
    const pteAddr = ((pde & ~0xfff) + (((gva >>> 12) & 0x3ff) << 2)) >>> 0;
    if (!this.isRam(pteAddr, 4)) {
      this.busErrorAddress = pteAddr;
      return { gpa: -2, errorCode: 0, pde, pte: 0 };
    }
    const pte = this.read(pteAddr, 4);
    if ((pte & Pte.P) === 0) return { gpa: -1, errorCode: kind, pde, pte };
    if ((isUser && (pde & pte & Pte.U) === 0) || (isWrite && (pde & pte & Pte.W) === 0)) {
      return { gpa: -1, errorCode: PfError.PROTECTION | kind, pde, pte };
    }
    let newPde = pde;
    let newPte = pte;
    if (setBits) {
      newPde = pde | Pte.A;
      newPte = pte | Pte.A | (isWrite ? Pte.D : 0);
      // The hypervisor's own A/D updates are the guest hardware's, not guest writes: no onWrite.
      // Machine memory's write path still reports them, so translated code they overlap is dropped.
      if (newPde !== pde) this.machine.write32(this.toMachine(pdeAddr), newPde);
      if (newPte !== pte) this.machine.write32(this.toMachine(pteAddr), newPte);
    }
    return { gpa: ((pte & ~0xfff) | (gva & 0xfff)) >>> 0, errorCode: 0, pde: newPde, pte: newPte };
  }
}
