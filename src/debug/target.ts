// One face for the debugger over a VirtualSystem, whichever setting runs it:
// each guest's registers, its view of the CPU, side-effect-free reads and
// writes in the three address spaces (guest virtual, guest physical,
// machine), page-table walks and instruction peeks. It knows nothing of DAP.
// On bare hardware guest-physical and machine addresses are the same and the
// "guest's view" is the real CPU.

import { Mode } from '../machine/cpu';
import { decode, DecodedInstr } from '../machine/decode';
import { Console } from '../machine/devices/console';
import { DeviceSet } from '../machine/devices/bus';
import { Flag, PAGE_SIZE } from '../machine/isa';
import { Machine } from '../machine/machine';
import { PhysicalMemory } from '../machine/memory';
import { Guest } from '../hypervisor/guest';
import { GuestAccess, GuestMemory, GuestWalk } from '../hypervisor/guestMemory';
import { Hypervisor } from '../hypervisor/hypervisor';
import { VirtualSystem } from '../hypervisor/system';

export type AddressSpace = 'gva' | 'gpa' | 'ma';

export class Target {
  readonly hv: Hypervisor | undefined;
  readonly machine: Machine | undefined;
  /** Guest-physical memory per guest; on bare hardware an identity view of RAM. */
  private readonly memories: GuestMemory[] = [];

  constructor(readonly system: VirtualSystem) {
    this.hv = system.hypervisor;
    if (this.hv) {
      for (const guest of this.hv.guests) this.memories.push(guest.memory);
    } else {
      // BareSystem keeps its Machine public but outside the VirtualSystem interface.
      this.machine = (system as unknown as { machine: Machine }).machine;
      const memory = this.machine.memory;
      const frames = new Int32Array(memory.size >>> 12);
      for (let i = 0; i < frames.length; i++) frames[i] = i * PAGE_SIZE;
      this.memories.push(new GuestMemory(memory, frames, memory.size, this.machine.devices));
    }
  }

  get cpu() {
    return this.system.cpu;
  }
  get guestCount(): number {
    return this.system.guestCount;
  }
  get machineMemory(): PhysicalMemory {
    return this.hv ? this.hv.memory : this.machine!.memory;
  }

  /** The guest whose context is in the real CPU. */
  currentGuest(): number {
    return this.hv ? this.hv.current.id : 0;
  }

  guestObject(g: number): Guest | undefined {
    return this.hv?.guests[g];
  }

  /** Under hardware assist the running guest's own mode, IF, evt, ksp (and cr3 with nested paging) live in the real CPU. */
  private guestState(g: number): Guest {
    const guest = this.hv!.guests[g];
    if (guest === this.hv!.current) this.hv!.syncFromCpu(guest);
    return guest;
  }

  private isLive(g: number): boolean {
    return !this.hv || this.hv.current.id === g;
  }

  memory(g: number): GuestMemory {
    return this.memories[g] ?? this.memories[0];
  }

  devices(g: number): DeviceSet {
    return this.hv ? this.hv.guests[g].devices : this.machine!.devices;
  }

  console(g: number): Console {
    return this.devices(g).console;
  }

  name(g: number): string {
    return this.system.guest(g).name;
  }

  // ------------------------------------------------------------ registers

  regs(g: number): Int32Array {
    return this.isLive(g) ? this.cpu.regs : this.hv!.guests[g].saved.regs;
  }

  pc(g: number): number {
    return (this.isLive(g) ? this.cpu.pc : this.hv!.guests[g].saved.pc) >>> 0;
  }

  setPc(g: number, value: number): void {
    if (this.isLive(g)) {
      this.cpu.pc = value | 0;
      this.cpu.requestService();
    } else this.hv!.guests[g].saved.pc = value | 0;
  }

  /** The flags the guest believes it has (virtual IF under the hypervisor). */
  flags(g: number): number {
    return this.hv ? this.hv.guestFlags(this.guestState(g)) : this.cpu.flags;
  }

  setFlags(g: number, value: number): void {
    if (!this.hv) {
      this.cpu.flags = value & 0x20f;
      this.cpu.requestService();
      return;
    }
    const guest = this.guestState(g);
    guest.virtualIF = (value & Flag.IF) !== 0;
    if (this.hv.isHardwareAssist && this.isLive(g)) {
      // In guest mode the real IF is the guest's own.
      this.cpu.flags = value & 0x20f;
      this.cpu.requestService();
      return;
    }
    // The hypervisor keeps the real IF set while a guest runs.
    const real = (value & 0x20f & ~Flag.IF) | Flag.IF;
    if (this.isLive(g)) {
      this.cpu.flags = real;
      this.cpu.requestService();
    } else guest.saved.realFlags = real;
  }

  /** Pretend mode under the hypervisor, the real mode on bare hardware. */
  isUser(g: number): boolean {
    return this.hv ? this.guestState(g).isPretendUser : this.cpu.mode === Mode.USER;
  }

  virtualIF(g: number): boolean {
    return (this.flags(g) & Flag.IF) !== 0;
  }

  /** The guest's cr3 (guest-physical). */
  cr3(g: number): number {
    return (this.hv ? this.guestState(g).cr3 : this.cpu.cr3) >>> 0;
  }
  evt(g: number): number {
    return (this.hv ? this.guestState(g).evt : this.cpu.evt) >>> 0;
  }
  ksp(g: number): number {
    return (this.hv ? this.guestState(g).ksp : this.cpu.ksp) >>> 0;
  }

  ticks(g: number): number {
    return this.system.guest(g).ticks;
  }

  retired(g: number): number {
    return this.isLive(g) ? this.cpu.retired : this.system.guest(g).retired;
  }

  isHalted(g: number): boolean {
    return this.isLive(g) ? this.cpu.isHalted : this.hv!.guests[g].saved.isHalted;
  }

  /** Sum of every guest's ticks: the time component of a run position. */
  totalTicks(): number {
    if (!this.hv) return this.cpu.ticks;
    let sum = 0;
    for (const guest of this.hv.guests) sum += guest === this.hv.current ? this.cpu.ticks : guest.saved.ticks;
    return sum;
  }

  // ------------------------------------------------------------ memory

  /** The guest's own walk, without setting A/D bits. */
  walk(g: number, va: number, access: GuestAccess = GuestAccess.READ, isUser = false): GuestWalk {
    return this.memory(g).walk(this.cr3(g), va >>> 0, access, isUser, false);
  }

  /** Guest-physical address of a guest-virtual one (kernel rights), or undefined. */
  toPhysical(g: number, va: number): number | undefined {
    const walk = this.walk(g, va);
    return walk.gpa < 0 ? undefined : walk.gpa;
  }

  /** Reads one byte in an address space; undefined when it is not mapped or not RAM. */
  readByte(space: AddressSpace, g: number, address: number): number | undefined {
    address >>>= 0;
    if (space === 'ma') {
      const memory = this.machineMemory;
      return memory.contains(address) ? memory.bytes[address] : undefined;
    }
    let gpa = address;
    if (space === 'gva') {
      const walk = this.walk(g, address);
      if (walk.gpa < 0) return undefined;
      gpa = walk.gpa;
    }
    const memory = this.memory(g);
    if (memory.isRam(gpa)) return memory.machine.bytes[memory.toMachine(gpa)];
    if (GuestMemory.isConsole(gpa)) return this.devices(g).consoleReadByte(gpa);
    return undefined;
  }

  readWord(space: AddressSpace, g: number, address: number, size: 1 | 4 = 4): number | undefined {
    let value = 0;
    for (let i = 0; i < size; i++) {
      const byte = this.readByte(space, g, (address + i) >>> 0);
      if (byte === undefined) return undefined;
      value |= byte << (8 * i);
    }
    return value >>> 0;
  }

  /** How many bytes from `address` on `writeBytes` could write: up to the first that is not RAM (or not mapped). */
  writableLength(space: AddressSpace, g: number, address: number, length: number): number {
    for (let i = 0; i < length; i++) {
      const at = (address + i) >>> 0;
      if (space === 'ma') {
        if (!this.machineMemory.contains(at)) return i;
        continue;
      }
      const gpa = space === 'gva' ? this.walk(g, at).gpa : at;
      if (gpa < 0 || !this.memory(g).isRam(gpa)) return i;
    }
    return length;
  }

  /** Writes RAM bytes (devices are left alone); returns how many bytes were written. */
  writeBytes(space: AddressSpace, g: number, address: number, data: Uint8Array): number {
    let written = 0;
    for (let i = 0; i < data.length; i++) {
      const at = (address + i) >>> 0;
      let ma: number;
      if (space === 'ma') {
        if (!this.machineMemory.contains(at)) break;
        ma = at;
      } else {
        const gpa = space === 'gva' ? this.walk(g, at).gpa : at;
        const memory = this.memory(g);
        if (gpa < 0 || !memory.isRam(gpa)) break;
        ma = memory.toMachine(gpa);
        this.machineMemory.write8(ma, data[i]);
        // Lets shadow paging notice a debugger write into a page table it protects.
        memory.onWrite?.(gpa, 1);
        written++;
        continue;
      }
      this.machineMemory.write8(ma, data[i]);
      written++;
    }
    return written;
  }

  /** The instruction at a guest-virtual address, decoded without side effects. */
  peek(g: number, va: number): DecodedInstr | undefined {
    const word0 = this.readWord('gva', g, va);
    if (word0 === undefined) return undefined;
    return decode(word0 | 0, (this.readWord('gva', g, (va + 4) >>> 0) ?? 0) | 0);
  }
}
