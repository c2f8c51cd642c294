// The hypervisor (g32-isa.md §7): host code that owns the real CPU, the real
// cr3, the TLB and machine memory, and runs one or more unmodified G32 guests
// deprivileged. It is a Platform of the CPU, as the bare machine is, and the
// coordinator of the techniques: every exception the real CPU raises arrives in
// `onException` and then `handleTrap`, which classifies it once (classifyTrap.ts)
// and hands it to the technique's module: trapEmulate.ts (the software trap(tf)
// of trap-and-emulate, paravirtual and binary translation), hardwareAssist.ts
// (exits and guest-mode delivery), pageFault.ts, paravirt.ts, binaryTranslation.ts.
// The guest layout, scheduling, virtual devices and snapshots have modules of
// their own.

import { Cpu, Mode, Platform, StopReason } from '../machine/cpu';
import { decode, DecodedInstr } from '../machine/decode';
import { EventHub, MachineEvent } from '../machine/events';
import { Vector, PAGE_SIZE } from '../machine/isa';
import { DEFAULT_MAX_INSTRUCTIONS, DEFAULT_MEMORY, DEFAULT_TLB_ENTRIES, LoadableImage, RunResult } from '../machine/machine';
import { PhysicalMemory } from '../machine/memory';
import { hexWord } from '../machine/format';
import { TimedInput } from '../machine/devices/keyboard';
import { CostCounters, CostModel, DEFAULT_COST_MODEL } from './costs';
import { HypervisorEvent, HypervisorEventKind } from './events';
import { Guest } from './guest';
import { GuestAccess } from './guestMemory';
import { PseudocodeLine } from './pseudocode';
import { reflect } from './reflect';
import type { BinaryTranslationOptions } from './binaryTranslate/engine';
import { onPretendModeSwitch, runCurrentGuest } from './binaryTranslation';
import { classifyTrap, describeTrap } from './classifyTrap';
import { layOutGuests } from './guestLayout';
import { consoleReadExit, consoleStoreExit, copyFromCpu, copyToCpu, deliverInGuestMode, enterGuestMode, handleExit } from './hardwareAssist';
import { PageFaults } from './pageFault';
import { isGuestStop, nextGuest, runResult } from './scheduling';
import { HypervisorState, loadState, saveState } from './snapshots';
import { FramePool } from './shadow/framePool';
import { KernelShadows, PagingSetting } from './shadow/shadowPaging';
import type { Virtualization } from './settings';
import { TrapContext } from './trapContext';
import { formatGuestInstr, handleTrap as handleSoftwareTrap } from './trapEmulate';
import { deliverInterrupt, DeviceHost, nextEventTick, serviceGuest } from './virtualDevices';

export type { HypervisorState } from './snapshots';

export type HypervisorVirtualization = Exclude<Virtualization, 'none'>;

export interface GuestConfig {
  name: string;
  image: LoadableImage;
  /** Guest RAM in bytes (default 1 MiB). */
  memory?: number;
  inputs?: readonly TimedInput[];
}

export interface HypervisorConfig {
  guests: GuestConfig[];
  virtualization: HypervisorVirtualization;
  paging: PagingSetting;
  kernelShadows: KernelShadows;
  /** Entries of the real TLB. */
  tlbEntries?: number;
  /** Per guest, in retired instructions. */
  maxInstructions?: number;
  isInteractive?: boolean;
  costModel?: CostModel;
  /** Frames reserved for shadow page tables. */
  hypervisorFrames?: number;
  /** Ticks a guest runs before the next one gets the CPU. */
  quantum?: number;
  /** Tiered and adaptive translation (binary-translation only). */
  binaryTranslation?: BinaryTranslationOptions;
}

/** The real `evt` while guests run: the hypervisor's own table, which `mov rd, evt` reveals. */
export const HYPERVISOR_EVT = 0xffc00000;
export const DEFAULT_HYPERVISOR_FRAMES = 256;
export const DEFAULT_QUANTUM = 20000;

/** A trap held back because a debugger wanted to stop before the hypervisor handles it. */
export interface PendingTrap {
  vector: number;
  errorCode: number;
  faultAddress: number;
}

export class Hypervisor implements Platform, TrapContext, DeviceHost {
  readonly events = new EventHub<MachineEvent>();
  readonly hvEvents = new EventHub<HypervisorEvent>();
  readonly memory: PhysicalMemory;
  readonly cpu: Cpu;
  readonly pool: FramePool;
  readonly guests: Guest[] = [];
  readonly config: Required<Omit<HypervisorConfig, 'guests' | 'costModel' | 'binaryTranslation'>> & { costModel: CostModel; binaryTranslation?: BinaryTranslationOptions };
  current: Guest;
  /** Sum over guests, plus what belongs to no guest. */
  readonly counters: CostCounters;
  readonly pageFaults: PageFaults = new PageFaults(this);

  /** When set, `trap` consults it first; returning true holds the trap back and stops the run. */
  shouldStopAtTrap: ((event: HypervisorEvent) => boolean) | undefined;
  pendingTrap: PendingTrap | undefined;
  /**
   * Under hardware assist, an exception held before the hardware delivers it to
   * the guest's handler in guest mode (`shouldStopAtTrap` asked for it, with an
   * event marked `isGuestModeDelivery`); the next `run` delivers it first.
   */
  pendingGuestDelivery: PendingTrap | undefined;
  /** Lines of the pseudocode the last handled trap went through, when tracing. */
  isTracing = false;
  trace: PseudocodeLine[] = [];

  constructor(config: HypervisorConfig) {
    if (config.guests.length === 0) throw new Error('a machine needs at least one guest');
    this.config = {
      virtualization: config.virtualization,
      paging: config.paging,
      kernelShadows: config.kernelShadows,
      tlbEntries: config.tlbEntries ?? DEFAULT_TLB_ENTRIES,
      maxInstructions: config.maxInstructions ?? DEFAULT_MAX_INSTRUCTIONS,
      isInteractive: config.isInteractive ?? false,
      costModel: config.costModel ?? DEFAULT_COST_MODEL,
      hypervisorFrames: config.hypervisorFrames ?? DEFAULT_HYPERVISOR_FRAMES,
      quantum: config.quantum ?? DEFAULT_QUANTUM,
      binaryTranslation: config.binaryTranslation,
    };
    const guestSizes = config.guests.map((g) => g.memory ?? DEFAULT_MEMORY);
    for (const [i, size] of guestSizes.entries()) {
      if (size <= 0 || size % PAGE_SIZE !== 0) throw new RangeError(`guest ${config.guests[i].name}: memory must be a positive multiple of ${PAGE_SIZE}, got ${size}`);
    }
    // Machine frame 0 stays unused: a real cr3 of 0 would mean paging off.
    const poolBytes = (this.config.hypervisorFrames + 1) * PAGE_SIZE;
    this.memory = new PhysicalMemory(poolBytes + guestSizes.reduce((a, b) => a + b, 0));
    this.cpu = new Cpu(this.memory, this.config.tlbEntries, this.events);
    this.cpu.platform = this;
    this.cpu.evt = HYPERVISOR_EVT;
    this.pool = new FramePool(this.memory, PAGE_SIZE, this.config.hypervisorFrames);
    layOutGuests(this, config.guests, guestSizes, poolBytes);
    this.memory.invalidateAllDecoded();
    this.counters = aggregateCounters(this.guests);
    this.current = this.guests[0];
    this.enter(this.current);
  }

  get isHardwareAssist(): boolean {
    return this.config.virtualization === 'hardware-assist';
  }

  get isNested(): boolean {
    return this.config.paging === 'nested';
  }

  // ------------------------------------------------------------ running and scheduling

  /** Runs until every guest has stopped, or until a stop the caller asked for (breakpoint, budget, pause). */
  run(): RunResult {
    for (;;) {
      if (this.pendingGuestDelivery) {
        const held = this.pendingGuestDelivery;
        this.pendingGuestDelivery = undefined;
        this.cpu.stopReason = undefined;
        deliverInGuestMode(this, held.vector, held.errorCode, held.faultAddress);
        const stop = this.cpu.stopReason;
        if (stop !== undefined && isGuestStop(stop)) {
          if (this.finishGuest(stop)) continue;
          return this.result(stop);
        }
      }
      if (this.pendingTrap) {
        const trap = this.pendingTrap;
        this.pendingTrap = undefined;
        this.handleTrap(trap.vector, trap.errorCode, trap.faultAddress);
        const stop = this.cpu.stopReason;
        if (stop !== undefined && isGuestStop(stop)) {
          if (this.finishGuest(stop)) continue;
          return this.result(stop);
        }
      }
      const reason = runCurrentGuest(this);
      if (reason === 'switch-engine') continue;
      if (!isGuestStop(reason)) return this.result(reason);
      if (!this.finishGuest(reason)) return this.result(reason);
    }
  }

  /** Records the current guest's end; switches to another runnable guest if there is one. */
  private finishGuest(reason: StopReason): boolean {
    const guest = this.current;
    guest.stopReason = reason;
    guest.stopDetail = this.cpu.stopDetail;
    this.leave(guest);
    const next = this.guests.find((g) => g.isRunnable);
    // After the last guest stops, the CPU keeps showing it (for the debugger and final registers).
    if (!next) {
      this.current = guest;
      return false;
    }
    this.cpu.stopReason = undefined;
    this.enter(next);
    return true;
  }

  private result(reason: StopReason): RunResult {
    return runResult(this.guests, reason, this.cpu.stopDetail);
  }

  /** Called after the hypervisor switched the real CPU to another guest (for debuggers). */
  onGuestSwitch: ((guest: Guest) => void) | undefined;

  /** Loads a guest's context into the real CPU. */
  enter(guest: Guest): void {
    const cpu = this.cpu;
    const isSwitch = this.current !== guest;
    this.current = guest;
    cpu.regs.set(guest.saved.regs);
    cpu.pc = guest.saved.pc;
    cpu.flags = guest.saved.realFlags;
    cpu.ticks = guest.saved.ticks;
    cpu.idleTicks = guest.saved.idleTicks;
    cpu.isHalted = guest.saved.isHalted;
    cpu.maxInstructions = guest.maxInstructions;
    guest.sliceEnd = this.guests.length > 1 ? cpu.ticks + this.config.quantum : Infinity;
    if (this.isHardwareAssist) enterGuestMode(this, guest);
    else {
      // Software virtualization: the guest always runs in real user mode, under the hypervisor's evt.
      cpu.setMode(Mode.USER);
      cpu.evt = HYPERVISOR_EVT;
    }
    this.loadRealCr3();
    cpu.requestService();
    if (isSwitch) this.onGuestSwitch?.(guest);
  }

  /** Saves the real CPU's context into the guest. */
  leave(guest: Guest): void {
    const cpu = this.cpu;
    this.syncFromCpu(guest);
    this.accountInstructions(guest);
    guest.saved = { regs: cpu.regs.slice(), pc: cpu.pc, realFlags: cpu.flags, ticks: cpu.ticks, idleTicks: cpu.idleTicks, isHalted: cpu.isHalted };
  }

  switchGuest(): void {
    const next = nextGuest(this.guests, this.current);
    if (next) {
      this.leave(this.current);
      this.enter(next);
      return;
    }
    this.current.sliceEnd = this.cpu.ticks + this.config.quantum;
  }

  // ------------------------------------------------------------ real CPU state

  /** Hardware assist: the guest's view of the CPU is the real CPU's state in guest mode; copy it out (VM exit). */
  syncFromCpu(guest: Guest): void {
    if (this.isHardwareAssist) copyFromCpu(this.cpu, guest, this.isNested);
  }

  /** ... and back in (VM entry). */
  syncToCpu(guest: Guest): void {
    if (this.isHardwareAssist) copyToCpu(this.cpu, guest);
  }

  /** Points the real cr3 at the shadow the guest needs now; a real page-table switch. */
  loadRealCr3(): void {
    // With nested paging the real cr3 is the guest's own: the hardware walks its table.
    const directory = this.isNested ? this.current.cr3 : this.current.shadow.active().directory;
    this.cpu.loadCr3(directory);
    this.current.counters.realCr3Loads++;
  }

  /** Reloads the real cr3 only if the active shadow changed (pretend-mode switch with separate shadows). */
  syncRealCr3(): void {
    if (!this.isNested && this.cpu.cr3 !== this.current.shadow.active().directory) this.loadRealCr3();
  }

  flushRealTlb(gva: number | undefined): void {
    this.cpu.flushTlb(gva);
    this.current.counters.realTlbFlushes++;
  }

  reclaimFrames(): void {
    for (const guest of this.guests) guest.shadow.dropAll();
    this.syncRealCr3();
  }

  setPretendMode(guest: Guest, isUser: boolean): void {
    if (guest.isPretendUser === isUser) return;
    this.accountInstructions(guest);
    guest.isPretendUser = isUser;
    onPretendModeSwitch(this, guest, isUser);
    if (!this.isNested) guest.shadow.onPretendModeSwitch(isUser);
    if (this.isHardwareAssist) this.cpu.setMode(isUser ? Mode.USER : Mode.KERNEL);
    this.syncRealCr3();
  }

  private accountInstructions(guest: Guest): void {
    const retired = this.cpu.retired;
    const delta = retired - guest.retiredAtModeChange;
    if (guest.isPretendUser) guest.counters.instructionsPretendUser += delta;
    else guest.counters.instructionsPretendKernel += delta;
    guest.retiredAtModeChange = retired;
  }

  /** An emulated instruction retires: one guest tick (g32-isa.md §4). */
  retireEmulated(nextPc: number, needsService = true): void {
    this.cpu.ticks++;
    this.cpu.pc = nextPc | 0;
    if (needsService) this.cpu.requestService();
  }

  // ------------------------------------------------------------ the trap handler

  /** Every exception the real CPU raises while a guest runs: held for a debugger that asks, else handled. */
  onException(cpu: Cpu, vector: number, errorCode: number, faultAddress: number): void {
    if (this.shouldStopAtTrap) {
      const guest = this.current;
      this.syncFromCpu(guest);
      const trap = classifyTrap(this, guest, vector, errorCode);
      const event = describeTrap(this, guest, trap, vector, errorCode, faultAddress);
      if (event && this.shouldStopAtTrap(event)) {
        const held = { vector, errorCode, faultAddress };
        if (trap.kind === 'guest-mode-delivery') this.pendingGuestDelivery = held;
        else this.pendingTrap = held;
        cpu.stopRequest = 'requested';
        cpu.requestService();
        return;
      }
    }
    this.handleTrap(vector, errorCode, faultAddress);
  }

  mark(line: PseudocodeLine): void {
    if (this.isTracing) this.trace.push(line);
  }

  beginTrace(): void {
    this.trace = [];
  }

  /** trap(tf): every exception from a running guest (and a held interrupt) arrives here, and goes to its technique. */
  handleTrap(vector: number, errorCode: number, faultAddress: number): void {
    const guest = this.current;
    this.syncFromCpu(guest);
    const trap = classifyTrap(this, guest, vector, errorCode);
    switch (trap.kind) {
      case 'guest-mode-delivery':
        deliverInGuestMode(this, vector, errorCode, faultAddress);
        return;
      case 'interrupt':
        this.beginTrace();
        this.mark('entry');
        deliverInterrupt(this, guest, vector);
        break;
      case 'exit':
      case 'exit-page-fault':
        handleExit(this, guest, trap, errorCode, faultAddress);
        break;
      default:
        handleSoftwareTrap(this, guest, trap, vector, errorCode, faultAddress);
    }
    this.syncToCpu(guest);
  }

  busError(guest: Guest, address: number): void {
    this.cpu.stopDetail = `bus error: guest ${guest.name} accessed physical address ${hexWord(address)}, which is neither its RAM nor a device`;
    this.cpu.stopReason = 'bus-error';
  }

  /** Fetches and decodes the instruction at the guest's pc, reflecting a fault if the fetch fails. */
  fetchInstruction(guest: Guest): DecodedInstr | undefined {
    const pc = this.cpu.pc;
    const v = guest.virtual;
    const word0 = v.read(pc, 4, GuestAccess.FETCH, guest.isPretendUser);
    let word1 = 0;
    if (!v.fault && !v.isBusError) {
      const length = decode(word0, 0)?.length ?? 4;
      if (length === 8) word1 = v.read((pc + 4) | 0, 4, GuestAccess.FETCH, guest.isPretendUser);
    }
    if (v.isBusError) {
      this.busError(guest, guest.memory.busErrorAddress);
      return undefined;
    }
    if (v.fault) {
      reflect(this, guest, Vector.PF, v.fault.errorCode, v.fault.address);
      return undefined;
    }
    const instr = decode(word0, word1);
    if (!instr) {
      reflect(this, guest, Vector.UD, 0, 0);
      return undefined;
    }
    return instr;
  }

  /** Decodes without side effects (no A bits, no faults), for descriptions. */
  peekInstruction(guest: Guest, pc: number): DecodedInstr | undefined {
    const read = (va: number): number | undefined => {
      const walk = guest.memory.walk(guest.cr3, va, GuestAccess.FETCH, guest.isPretendUser, false);
      if (walk.gpa < 0 || !guest.memory.isRam(walk.gpa, 4)) return undefined;
      return guest.memory.read(walk.gpa, 4);
    };
    const word0 = read(pc);
    if (word0 === undefined) return undefined;
    return decode(word0, read((pc + 4) | 0) ?? 0);
  }

  peekText(guest: Guest, pc: number): string {
    const instr = this.peekInstruction(guest, pc);
    return instr ? formatGuestInstr(instr) : '';
  }

  event(kind: HypervisorEventKind, guest: Guest, pc: number, instruction: string, description: string, extra: Partial<HypervisorEvent>): HypervisorEvent {
    return { kind, guest: guest.id, pc: pc >>> 0, instruction, isPretendUser: guest.isPretendUser, description, ticks: this.cpu.ticks, ...extra };
  }

  emit(event: HypervisorEvent): void {
    this.hvEvents.emit(event);
  }

  // ------------------------------------------------------------ virtual devices and interrupts

  service(cpu: Cpu): StopReason | undefined {
    const guest = this.current;
    this.syncFromCpu(guest);
    const stop = serviceGuest(this, cpu, guest);
    if (this.current === guest) this.syncToCpu(guest);
    return stop;
  }

  nextEventTick(cpu: Cpu): number {
    return nextEventTick(this.current, cpu);
  }

  // The guest never runs in real kernel mode and no shadow maps a device page,
  // so the real CPU never reaches these: port and console accesses all trap.
  // Under nested paging the guest's console page reaches these: an EPT-style exit,
  // emulated on the guest's own console.
  portIn(): number {
    return 0;
  }
  portOut(): void {
    /* unreachable, see above */
  }

  consoleReadByte(cpu: Cpu, pa: number): number {
    return consoleReadExit(this, pa);
  }

  consoleStore(cpu: Cpu, pa: number, value: number): void {
    consoleStoreExit(this, pa, value);
  }

  // ------------------------------------------------------------ the guest's view

  guestFlags(guest: Guest = this.current): number {
    return guest === this.current ? guest.guestFlags(this.cpu.flags) : guest.guestFlags(guest.saved.realFlags);
  }

  typeInput(guestId: number, bytes: Uint8Array): void {
    const guest = this.guests[guestId] ?? this.current;
    guest.devices.keyboard.enqueue(bytes);
    if (guest === this.current) this.cpu.requestService();
  }

  /** Everything a later `loadState` needs to put the whole system back (for step back). */
  saveState(): HypervisorState {
    return saveState(this);
  }

  loadState(state: HypervisorState): void {
    loadState(this, state);
  }
}

/** A live view that sums every guest's counters. */
function aggregateCounters(guests: Guest[]): CostCounters {
  const keys = Object.keys(guests[0].counters) as Array<keyof CostCounters>;
  const view = {} as CostCounters;
  for (const key of keys) {
    Object.defineProperty(view, key, { enumerable: true, get: () => guests.reduce((sum, g) => sum + g.counters[key], 0) });
  }
  return view;
}
