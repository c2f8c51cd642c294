// Guest-virtual memory accesses made by the hypervisor on the guest's behalf
// (trap frames, emulated instructions): translated through the guest's own page
// table page by page, every page checked before any byte is written, with
// guest-visible faults reported as the guest's hardware would report them.

import { GuestAccess, GuestMemory } from './guestMemory';
import { PAGE_SIZE } from '../machine/isa';

export interface GuestFault {
  /** Page-fault error code as the guest would see it. */
  errorCode: number;
  address: number;
}

export class GuestVirtual {
  /** Set when the last access page-faulted in the guest's table. */
  fault: GuestFault | undefined;
  /** Set when the last access hit neither guest RAM nor a device. */
  isBusError = false;

  constructor(
    private readonly memory: GuestMemory,
    private readonly cr3: () => number,
  ) {}

  private translate(gva: number, access: GuestAccess, isUser: boolean): number {
    const walk = this.memory.walk(this.cr3(), gva, access, isUser);
    if (walk.gpa === -1) this.fault = { errorCode: walk.errorCode, address: gva >>> 0 };
    if (walk.gpa === -2) this.isBusError = true;
    return walk.gpa;
  }

  /** Reads 1 or 4 bytes; 0 with `fault` or `isBusError` set on failure. */
  read(gva: number, size: 1 | 4, access: GuestAccess, isUser: boolean): number {
    this.fault = undefined;
    this.isBusError = false;
    const pa0 = this.translate(gva, access, isUser);
    if (pa0 < 0) return 0;
    const n0 = Math.min(size, PAGE_SIZE - (gva & 0xfff));
    let pa1 = 0;
    if (n0 < size) {
      pa1 = this.translate(((gva | 0xfff) + 1) | 0, access, isUser);
      if (pa1 < 0) return 0;
    }
    let value = 0;
    for (let i = 0; i < size; i++) {
      this.memory.busErrorAddress = -1;
      value |= this.memory.readByte(i < n0 ? pa0 + i : pa1 + (i - n0)) << (8 * i);
      if (this.memory.busErrorAddress >= 0) {
        this.isBusError = true;
        return 0;
      }
    }
    return value | 0;
  }

  write(gva: number, value: number, size: 1 | 4, isUser: boolean, ticks: number): boolean {
    this.fault = undefined;
    this.isBusError = false;
    const pa0 = this.translate(gva, GuestAccess.WRITE, isUser);
    if (pa0 < 0) return false;
    const n0 = Math.min(size, PAGE_SIZE - (gva & 0xfff));
    if (n0 === size) {
      if (!this.memory.write(pa0, value, size, ticks)) {
        this.isBusError = true;
        return false;
      }
      return true;
    }
    const pa1 = this.translate(((gva | 0xfff) + 1) | 0, GuestAccess.WRITE, isUser);
    if (pa1 < 0) return false;
    for (let i = 0; i < size; i++) {
      const pa = i < n0 ? pa0 + i : pa1 + (i - n0);
      if (!this.memory.isRam(pa) && !GuestMemory.isConsole(pa)) {
        this.isBusError = true;
        return false;
      }
    }
    for (let i = 0; i < size; i++) this.memory.write(i < n0 ? pa0 + i : pa1 + (i - n0), (value >>> (8 * i)) & 0xff, 1, ticks);
    return true;
  }
}
