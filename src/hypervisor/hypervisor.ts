// The hypervisor (g32-isa.md §7): host code that owns the real CPU, the real
// cr3, the TLB and machine memory, and runs one or more unmodified G32 guests
// deprivileged. Every exception the real CPU raises arrives in `trap`, which
// reads like the course's trap(tf) pseudocode: emulate privileged instructions
// in pretend kernel mode, tell the three kinds of page fault apart, reflect the
// rest into the guest. It is a Platform of the CPU, as the bare machine is.

import { Cpu, CpuState, ExitOn, Mode, Platform, StopReason, VM_EXIT } from '../machine/cpu';
import { decode, DecodedInstr } from '../machine/decode';
import { DeviceSet, DeviceState } from '../machine/devices/bus';
import { TimedInput } from '../machine/devices/keyboard';
import { EventHub, MachineEvent } from '../machine/events';
import { Flag, Op, PfError, Vector, VECTOR_NAMES } from '../machine/isa';
import { DEFAULT_MAX_INSTRUCTIONS, DEFAULT_MEMORY, DEFAULT_TLB_ENTRIES, describeStop, LoadableImage, RunResult } from '../machine/machine';
import { PhysicalMemory } from '../machine/memory';
import { hexWord } from '../machine/format';
import { formatPageFaultError } from '../machine/pageFaultError';
import { CostCounters, CostModel, DEFAULT_COST_MODEL } from './costs';
import { HypervisorEvent, HypervisorEventKind } from './events';
import { Guest } from './guest';
import { GuestAccess, GuestMemory } from './guestMemory';
import { PseudocodeLine } from './pseudocode';
import { reflect } from './reflect';
import { hypercall } from './paravirt';
import { BinaryTranslationOptions, BinaryTranslator } from './binaryTranslate/engine';
import type { TranslationCacheState } from './binaryTranslate/cache';
import { FramePool } from './shadow/framePool';
import { OnDemandShadow } from './shadow/onDemand';
import { ProactiveShadow } from './shadow/proactive';
import { KernelShadows, PagingSetting, ShadowHost } from './shadow/shadowPaging';
import { emulateMemoryInstruction, emulatePrivileged, formatGuestInstr } from './trapEmulate';

export type HypervisorVirtualization = 'trap-and-emulate' | 'paravirtual' | 'hardware-assist' | 'binary-translation';

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
/** Hidden page faults in a row at one pc before the hypervisor gives up (a hypervisor bug, never a guest's). */
const MAX_HIDDEN_FAULTS_IN_A_ROW = 64;

/** A trap held back because a debugger wanted to stop before the hypervisor handles it. */
export interface PendingTrap { vector: number; errorCode: number; faultAddress: number }

export class Hypervisor implements Platform, ShadowHost {
  readonly events = new EventHub<MachineEvent>();
  readonly hvEvents = new EventHub<HypervisorEvent>();
  readonly memory: PhysicalMemory;
  readonly cpu: Cpu;
  readonly pool: FramePool;
  readonly guests: Guest[] = [];
  readonly config: Required<Omit<HypervisorConfig, 'guests' | 'costModel' | 'binaryTranslation'>> & { costModel: CostModel };
  current: Guest;
  /** Sum over guests, plus what belongs to no guest. */
  readonly counters: CostCounters;

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

  private hiddenFaultPc = -1;
  private hiddenFaultsInARow = 0;
  private hiddenFaultRetired = -1;

  constructor(config: HypervisorConfig) {
    if (config.guests.length === 0) throw new Error('a machine needs at least one guest');
    this.config = {
      virtualization: config.virtualization, paging: config.paging, kernelShadows: config.kernelShadows,
      tlbEntries: config.tlbEntries ?? DEFAULT_TLB_ENTRIES, maxInstructions: config.maxInstructions ?? DEFAULT_MAX_INSTRUCTIONS,
      isInteractive: config.isInteractive ?? false, costModel: config.costModel ?? DEFAULT_COST_MODEL,
      hypervisorFrames: config.hypervisorFrames ?? DEFAULT_HYPERVISOR_FRAMES, quantum: config.quantum ?? DEFAULT_QUANTUM,
    };
    const guestSizes = config.guests.map((g) => g.memory ?? DEFAULT_MEMORY);
    for (const [i, size] of guestSizes.entries()) {
      if (size <= 0 || size % 4096 !== 0) throw new RangeError(`guest ${config.guests[i].name}: memory must be a positive multiple of 4096, got ${size}`);
    }
    // Machine frame 0 stays unused: a real cr3 of 0 would mean paging off.
    const poolBytes = (this.config.hypervisorFrames + 1) * 4096;
    this.memory = new PhysicalMemory(poolBytes + guestSizes.reduce((a, b) => a + b, 0));
    this.cpu = new Cpu(this.memory, this.config.tlbEntries, this.events);
    this.cpu.platform = this;
    this.cpu.evt = HYPERVISOR_EVT;
    this.pool = new FramePool(this.memory, 4096, this.config.hypervisorFrames);

    let base = poolBytes;
    this.guestOfMachineFrame = new Int32Array(this.memory.size >>> 12).fill(-1);
    this.gfnOfMachineFrame = new Int32Array(this.memory.size >>> 12);
    config.guests.forEach((guestConfig, id) => {
      const size = guestSizes[id];
      const nFrames = size / 4096;
      // The hypervisor's map is deliberately not the identity: guest frames are laid out in reverse.
      const frames = new Int32Array(nFrames);
      for (let gfn = 0; gfn < nFrames; gfn++) {
        frames[gfn] = base + (nFrames - 1 - gfn) * 4096;
        this.guestOfMachineFrame[frames[gfn] >>> 12] = id;
        this.gfnOfMachineFrame[frames[gfn] >>> 12] = gfn;
      }
      const devices = new DeviceSet(guestConfig.inputs ?? [], this.events);
      const guestMemory = new GuestMemory(this.memory, frames, size, devices);
      const guest = new Guest(id, guestConfig.name, guestMemory, devices, guestConfig.image.entry, this.config.maxInstructions, this.isHardwareAssist);
      if (this.isNested) guest.nested = { frames, size, references: 0 };
      for (const chunk of guestConfig.image.chunks) {
        if (chunk.address < 0 || chunk.address + chunk.bytes.length > size) {
          throw new RangeError(`guest ${guestConfig.name}: image chunk at 0x${chunk.address.toString(16)} does not fit in ${size} bytes of guest RAM`);
        }
        for (let i = 0; i < chunk.bytes.length; i++) this.memory.bytes[guestMemory.toMachine(chunk.address + i)] = chunk.bytes[i];
      }
      // In hardware guest mode the real CPU checks U itself, so one shadow with the guest's U bits serves both modes.
      const kernelShadows = this.isHardwareAssist ? 'flush-on-switch' : this.config.kernelShadows;
      if (this.config.virtualization === 'binary-translation') guest.translator = new BinaryTranslator(this, guest, config.binaryTranslation);
      const isCodePage = (gpa: number) => guest.translator?.cache.isProtected(gpa >>> 12) ?? false;
      const deps = { memory: guestMemory, host: this as ShadowHost, counters: guest.counters, kernelShadows, isPretendUser: () => guest.isPretendUser, isHardwareMode: this.isHardwareAssist, isCodePage };
      guest.shadow = this.config.paging === 'shadow-proactive' ? new ProactiveShadow(deps, this.pool) : new OnDemandShadow(deps, this.pool);
      guestMemory.onWrite = (gpa, length) => {
        if (guest.shadow.isWriteProtected(gpa)) guest.shadow.onProtectedWrite(gpa, length);
      };
      if (guest.translator) this.memory.onWatchedWrite = (pa, length) => this.onTranslatedCodeWrite(pa, length);
      this.guests.push(guest);
      base += size;
    });
    this.memory.invalidateAllDecoded();
    this.counters = aggregateCounters(this.guests);
    this.current = this.guests[0];
    this.enter(this.current);
  }

  /** Machine frame -> owning guest's index (-1 for the hypervisor's own), and the guest frame number it backs. */
  private guestOfMachineFrame = new Int32Array(0);
  private gfnOfMachineFrame = new Int32Array(0);

  /**
   * Every write through machine memory's write path (page walks, the hypervisor's
   * emulated stores and frame pushes, the debugger) to a frame holding translated
   * code: the guest that owns the frame drops the translations it overlaps.
   */
  private onTranslatedCodeWrite(pa: number, length: number): void {
    const end = pa + length;
    for (let at = pa; at < end;) {
      const frame = at >>> 12;
      const pieceEnd = Math.min(end, (frame + 1) * 4096);
      const owner = this.guestOfMachineFrame[frame];
      if (owner >= 0) this.guests[owner].translator?.onCodeWrite(this.gfnOfMachineFrame[frame] * 4096 + (at & 0xfff), pieceEnd - at);
      at = pieceEnd;
    }
  }

  // ------------------------------------------------------------ running

  /** Runs until every guest has stopped, or until a stop the caller asked for (breakpoint, budget, pause). */
  run(): RunResult {
    for (;;) {
      if (this.pendingGuestDelivery) {
        const held = this.pendingGuestDelivery;
        this.pendingGuestDelivery = undefined;
        this.cpu.stopReason = undefined;
        this.deliverInGuestMode(held.vector, held.errorCode, held.faultAddress);
        const stop = this.cpu.stopReason;
        if (stop !== undefined && this.isGuestStop(stop)) {
          if (this.finishGuest(stop)) continue;
          return this.result(stop);
        }
      }
      if (this.pendingTrap) {
        const trap = this.pendingTrap;
        this.pendingTrap = undefined;
        this.handleTrap(trap.vector, trap.errorCode, trap.faultAddress);
        const stop = this.cpu.stopReason;
        if (stop !== undefined && this.isGuestStop(stop)) {
          if (this.finishGuest(stop)) continue;
          return this.result(stop);
        }
      }
      const translator = this.current.translator;
      const reason = translator && !this.current.isPretendUser ? translator.run() : this.cpu.run();
      if (reason === 'switch-engine') continue;
      if (!this.isGuestStop(reason)) return this.result(reason);
      if (!this.finishGuest(reason)) return this.result(reason);
    }
  }

  private isGuestStop(reason: StopReason): boolean {
    return reason === 'halted' || reason === 'triple-fault' || reason === 'bus-error' || reason === 'instruction-limit' || reason === 'exception-loop';
  }

  /** Records the current guest's end; switches to another runnable guest if there is one. */
  private finishGuest(reason: StopReason): boolean {
    const guest = this.current;
    guest.stopReason = reason;
    guest.stopDetail = this.cpu.stopDetail;
    this.leave(guest);
    const next = this.guests.find((g) => g.isRunnable);
    if (!next) { this.restoreView(guest); return false; }
    this.cpu.stopReason = undefined;
    this.enter(next);
    return true;
  }

  private result(reason: StopReason): RunResult {
    if (this.guests.length > 1 && this.isGuestStop(reason)) {
      const details = this.guests.map((g) => `${g.name}: ${describeStop(g.stopReason ?? reason, g.stopDetail)}`);
      const worst = this.guests.find((g) => g.stopReason !== 'halted');
      return { reason: worst?.stopReason ?? reason, detail: details.join('; ') };
    }
    return { reason, detail: describeStop(reason, this.cpu.stopDetail) };
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
    if (this.isHardwareAssist) {
      // VM entry: the guest's own mode, evt and ksp are the real CPU's in guest mode.
      cpu.setNested(guest.nested ?? null);
      cpu.exitControls = ExitOn.HLT | ExitOn.IO | ExitOn.VMCALL | (this.isNested ? 0 : ExitOn.CR3 | ExitOn.INVLPG);
      this.syncToCpu(guest);
    } else {
      cpu.setMode(Mode.USER);
      cpu.evt = HYPERVISOR_EVT;
    }
    this.loadRealCr3();
    cpu.requestService();
    if (isSwitch) this.onGuestSwitch?.(guest);
  }

  get isHardwareAssist(): boolean {
    return this.config.virtualization === 'hardware-assist';
  }

  get isNested(): boolean {
    return this.config.paging === 'nested';
  }

  /** Hardware assist: the guest's view of the CPU is the real CPU's state in guest mode; copy it out (VM exit). */
  syncFromCpu(guest: Guest): void {
    if (!this.isHardwareAssist) return;
    const cpu = this.cpu;
    guest.isPretendUser = cpu.mode === Mode.USER;
    guest.virtualIF = (cpu.flags & Flag.IF) !== 0;
    guest.evt = cpu.evt;
    guest.ksp = cpu.ksp;
    if (this.isNested) guest.cr3 = cpu.cr3;
  }

  /** ... and back in (VM entry). */
  syncToCpu(guest: Guest): void {
    if (!this.isHardwareAssist) return;
    const cpu = this.cpu;
    cpu.setMode(guest.isPretendUser ? Mode.USER : Mode.KERNEL);
    cpu.flags = (cpu.flags & ~Flag.IF) | (guest.virtualIF ? Flag.IF : 0);
    cpu.evt = guest.evt;
    cpu.ksp = guest.ksp;
  }

  /** Saves the real CPU's context into the guest. */
  leave(guest: Guest): void {
    const cpu = this.cpu;
    this.syncFromCpu(guest);
    this.accountInstructions(guest);
    guest.saved = { regs: cpu.regs.slice(), pc: cpu.pc, realFlags: cpu.flags, ticks: cpu.ticks, idleTicks: cpu.idleTicks, isHalted: cpu.isHalted };
  }

  /** After the last guest stops, the CPU keeps showing it (for the debugger and final registers). */
  private restoreView(guest: Guest): void {
    this.current = guest;
  }

  private switchGuest(): void {
    const index = this.guests.indexOf(this.current);
    for (let step = 1; step <= this.guests.length; step++) {
      const next = this.guests[(index + step) % this.guests.length];
      if (next.isRunnable && next !== this.current) {
        this.leave(this.current);
        this.enter(next);
        return;
      }
    }
    this.current.sliceEnd = this.cpu.ticks + this.config.quantum;
  }

  // ------------------------------------------------------------ real CPU state

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
    // Under binary translation pretend-kernel code runs translated: the interpreter hands over.
    if (guest.translator && !isUser) { this.cpu.stopRequest = 'switch-engine'; this.cpu.requestService(); }
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
  retireEmulated(nextPc: number): void {
    this.cpu.ticks++;
    this.cpu.pc = nextPc | 0;
    this.cpu.requestService();
  }

  // ------------------------------------------------------------ the trap handler

  onException(cpu: Cpu, vector: number, errorCode: number, faultAddress: number): void {
    if (this.isHardwareAssist && vector !== VM_EXIT && !(vector === Vector.PF && !this.isNested)) {
      // A debugger may hold the guest's own fault at the faulting instruction, as on bare hardware.
      if (this.shouldStopAtTrap && (vector === Vector.GP || vector === Vector.PF || vector === Vector.SYSCALL)) {
        const guest = this.current;
        this.syncFromCpu(guest);
        const kind: HypervisorEventKind = vector === Vector.GP ? 'protection-fault' : vector === Vector.PF ? 'guest-page-fault' : 'syscall';
        const where = guest.isPretendUser ? 'guest user mode' : 'guest kernel mode';
        const text = vector === Vector.PF && (errorCode & PfError.FETCH) !== 0 ? '' : this.peekText(guest, cpu.pc);
        const what = vector === Vector.GP ? `protection fault at ${hexWord(cpu.pc)}: \`${text}\` in ${where}`
          : vector === Vector.PF ? `page fault at ${hexWord(faultAddress)} (pc ${hexWord(cpu.pc)}), ${formatPageFaultError(errorCode)}, in ${where}` : `system call from ${where}`;
        const event = this.event(kind, guest, cpu.pc, text, `${what}: will be delivered to the guest's handler in guest mode, with no exit`, { vector, errorCode, address: faultAddress >>> 0, isGuestModeDelivery: true });
        if (this.shouldStopAtTrap(event)) {
          this.pendingGuestDelivery = { vector, errorCode, faultAddress };
          cpu.stopRequest = 'requested';
          cpu.requestService();
          return;
        }
      }
      this.deliverInGuestMode(vector, errorCode, faultAddress);
      return;
    }
    if (this.shouldStopAtTrap) {
      const event = this.describeTrap(vector, errorCode, faultAddress);
      if (event && this.shouldStopAtTrap(event)) {
        this.pendingTrap = { vector, errorCode, faultAddress };
        cpu.stopRequest = 'requested';
        cpu.requestService();
        return;
      }
    }
    this.handleTrap(vector, errorCode, faultAddress);
  }

  /** Hardware assist: the guest's own exception goes straight to its handler, no exit. */
  private deliverInGuestMode(vector: number, errorCode: number, faultAddress: number): void {
    const cpu = this.cpu;
    // With shadow paging the delivery is done in software, since its pushes may miss in the shadow.
    if (this.hvEvents.isActive) {
      const guest = this.current;
      this.syncFromCpu(guest);
      const text = vector === Vector.PF && (errorCode & PfError.FETCH) !== 0 ? '' : this.peekText(guest, cpu.pc);
      const cause = text ? ` caused by \`${text}\` at pc ${hexWord(cpu.pc)}` : ` at pc ${hexWord(cpu.pc)}`;
      const detail = vector === Vector.PF ? ` at ${hexWord(faultAddress)}, ${formatPageFaultError(errorCode)},` : '';
      this.emit(this.event('reflected', guest, cpu.pc, text, `${VECTOR_NAMES[vector] ?? `exception ${vector}`}${detail}${cause} delivered to the guest's handler in guest mode, with no exit`, { vector, errorCode, address: faultAddress >>> 0 }));
    }
    if (this.isNested) cpu.deliverHardware(vector, errorCode, faultAddress);
    else {
      const guest = this.current;
      this.syncFromCpu(guest);
      reflect(this, guest, vector, errorCode, faultAddress);
      this.syncToCpu(guest);
    }
  }

  /** The event that a trap will produce, for stopping before it is handled. */
  describeTrap(vector: number, errorCode: number, faultAddress: number): HypervisorEvent | undefined {
    const guest = this.current;
    const pc = this.cpu.pc >>> 0;
    const instr = vector === Vector.PF && (errorCode & PfError.FETCH) !== 0 ? undefined : this.peekInstruction(guest, pc);
    const text = instr ? formatGuestInstr(instr) : '';
    const where = guest.isPretendUser ? 'pretend user mode' : 'pretend kernel mode';
    if (vector === Vector.GP) {
      const what = guest.isPretendUser ? 'will be reflected to the guest as #GP' : 'will be emulated';
      return this.event('protection-fault', guest, pc, text, `protection fault at ${hexWord(pc)}: \`${text}\` in ${where}, ${what}`, { vector });
    }
    if (vector === Vector.PF) {
      const walk = guest.memory.walk(guest.cr3, faultAddress, (errorCode & PfError.FETCH) ? GuestAccess.FETCH : (errorCode & PfError.WRITE) ? GuestAccess.WRITE : GuestAccess.READ, guest.isPretendUser, false);
      const kind: HypervisorEventKind = walk.gpa === -1 ? 'guest-page-fault' : GuestMemory.isConsole(walk.gpa) ? 'io-emulated' : 'hidden-page-fault';
      const title = kind === 'guest-page-fault' ? 'guest page fault' : kind === 'io-emulated' ? 'memory-mapped I/O' : 'hidden page fault';
      const what = kind === 'guest-page-fault' ? `${(walk.errorCode & PfError.PROTECTION) ? 'not allowed by the guest\'s page table' : 'not mapped for the guest'} (${formatPageFaultError(walk.errorCode)}): will be reflected to its #PF handler`
        : kind === 'io-emulated' ? 'a device page: will be emulated (no shadow ever maps it)'
        : `the guest maps it to physical ${hexWord(walk.gpa)}, missing only from the shadow: will be filled and the access retried`;
      const access = (errorCode & PfError.FETCH) ? 'instruction fetch' : (errorCode & PfError.WRITE) ? `write by \`${text}\`` : `read by \`${text}\``;
      return this.event(kind, guest, pc, text, `${title} at ${hexWord(faultAddress)} (${access} at pc ${hexWord(pc)}, ${where}): ${what}`, { vector, errorCode, address: faultAddress >>> 0 });
    }
    if (vector === Vector.SYSCALL) return this.event('syscall', guest, pc, 'syscall', `system call from ${where}: will be reflected to the guest's handler`, { vector });
    if (vector === Vector.UD && instr?.info.op === Op.VMCALL && this.config.virtualization === 'paravirtual') {
      return this.event('hypercall', guest, pc, text, `hypercall ${instr.imm} from ${where}`, { vector });
    }
    return this.event('reflected', guest, pc, text, `exception ${vector} in ${where}: will be reflected to the guest`, { vector });
  }

  mark(line: PseudocodeLine): void {
    if (this.isTracing) this.trace.push(line);
  }

  /** trap(tf): every exception from a running guest arrives here. */
  handleTrap(vector: number, errorCode: number, faultAddress: number): void {
    if (this.isHardwareAssist) {
      const guest = this.current;
      this.syncFromCpu(guest);
      this.handleExit(guest, vector, errorCode, faultAddress);
      this.syncToCpu(guest);
      return;
    }
    const guest = this.current;
    const counters = guest.counters;
    this.trace = [];
    this.mark('entry');
    this.mark('check-gp');
    if (vector === Vector.GP && this.hvEvents.isActive) this.emit(this.describeTrap(vector, errorCode, faultAddress)!);
    if (vector === Vector.GP && !guest.isPretendUser) {
      counters.trapsProtectionFault++;
      this.mark('decode');
      const instr = this.fetchInstruction(guest);
      if (!instr) return;
      emulatePrivileged(this, guest, instr);
      return;
    }
    if (vector === Vector.GP) counters.trapsProtectionFault++;
    this.mark('check-pf');
    if (vector === Vector.PF) {
      counters.trapsPageFault++;
      this.handlePageFault(guest, errorCode, faultAddress);
      return;
    }
    this.mark('check-vmcall');
    if (vector === Vector.UD && this.config.virtualization === 'paravirtual') {
      const instr = this.peekInstruction(guest, this.cpu.pc);
      if (instr?.info.op === Op.VMCALL) {
        // A hypercall is its own, cheaper kind of entry (costs.ts: hypercall), not a trap plus a decode.
        this.mark('hypercall');
        hypercall(this, guest, instr);
        return;
      }
    }
    if (vector === Vector.SYSCALL) counters.trapsSyscall++;
    else if (vector !== Vector.GP) counters.trapsOther++;
    if (this.hvEvents.isActive && vector === Vector.SYSCALL) {
      this.emit(this.event('syscall', guest, this.cpu.pc, 'syscall', 'system call reflected to the guest', { vector }));
    }
    reflect(this, guest, vector, errorCode, faultAddress);
  }

  /** Hardware assist: an exit, for an instruction the controls name or (with shadow paging) a page fault. */
  private handleExit(guest: Guest, vector: number, opcode: number, faultAddress: number): void {
    const counters = guest.counters;
    const cpu = this.cpu;
    counters.hwExits++;
    this.trace = [];
    this.mark('entry');
    if (vector === Vector.PF) {
      counters.hwExitsPageFault++;
      this.emitExit(guest, 'page fault', faultAddress);
      this.handlePageFault(guest, opcode, faultAddress);
      return;
    }
    const instr = this.fetchInstruction(guest);
    if (!instr) return;
    switch (opcode) {
      case Op.HLT: counters.hwExitsHlt++; break;
      case Op.IN: case Op.OUT: counters.hwExitsIo++; break;
      case Op.MOV_CR3_R: case Op.MOV_R_CR3: counters.hwExitsCr3++; break;
      case Op.INVLPG: counters.hwExitsInvlpg++; break;
      case Op.VMCALL: counters.hwExitsVmcall++; break;
    }
    this.emitExit(guest, formatGuestInstr(instr), cpu.pc);
    if (opcode === Op.VMCALL) hypercall(this, guest, instr);
    else emulatePrivileged(this, guest, instr);
  }

  private emitExit(guest: Guest, what: string, address: number): void {
    if (this.hvEvents.isActive) this.emit(this.event('hw-exit', guest, this.cpu.pc, what, `hardware-assist exit: ${what}`, { address: address >>> 0 }));
  }

  private handlePageFault(guest: Guest, realErrorCode: number, faultAddress: number): void {
    const cpu = this.cpu;
    const access = (realErrorCode & PfError.FETCH) ? GuestAccess.FETCH : (realErrorCode & PfError.WRITE) ? GuestAccess.WRITE : GuestAccess.READ;
    this.mark('walk');
    const walk = guest.memory.walk(guest.cr3, faultAddress, access, guest.isPretendUser);
    if (walk.gpa === -2) return this.busError(guest, guest.memory.busErrorAddress);
    if (walk.gpa === -1) {
      this.mark('pf-reflect');
      guest.counters.guestPageFaults++;
      if (this.hvEvents.isActive) {
        this.emit(this.event('guest-page-fault', guest, cpu.pc, this.peekText(guest, cpu.pc), `guest page fault at ${hexWord(faultAddress)}, ${formatPageFaultError(walk.errorCode)}: reflected to the guest's #PF handler`, { vector: Vector.PF, errorCode: walk.errorCode, address: faultAddress >>> 0 }));
      }
      reflect(this, guest, Vector.PF, walk.errorCode, faultAddress);
      return;
    }
    const isCodeWrite = access === GuestAccess.WRITE && guest.translator !== undefined && guest.translator.cache.isProtected(walk.gpa >>> 12);
    if (GuestMemory.isConsole(walk.gpa) || isCodeWrite || (access === GuestAccess.WRITE && guest.shadow.isWriteProtected(walk.gpa))) {
      const isDevice = GuestMemory.isConsole(walk.gpa);
      this.mark(isDevice ? 'pf-mmio' : 'pf-protected');
      if (isDevice && access === GuestAccess.FETCH) {
        // Code fetched from the console page reads zeros there: an undefined instruction.
        reflect(this, guest, Vector.UD, 0, 0);
        return;
      }
      const instr = this.fetchInstruction(guest);
      if (!instr) return;
      if (isDevice) guest.counters.ioEmulated++;
      else guest.counters.writeProtectEmulations++;
      if (isDevice && this.hvEvents.isActive) {
        this.emit(this.event('io-emulated', guest, cpu.pc, formatGuestInstr(instr), `memory-mapped I/O at ${hexWord(faultAddress)} emulated: \`${formatGuestInstr(instr)}\``, { address: faultAddress >>> 0 }));
      }
      emulateMemoryInstruction(this, guest, instr);
      return;
    }
    if (!guest.memory.isRam(walk.gpa)) return this.busError(guest, walk.gpa);
    this.mark('pf-fill');
    // Only faults at one pc with no instruction retired in between count as "in a row".
    if (cpu.pc === this.hiddenFaultPc && cpu.retired === this.hiddenFaultRetired) {
      if (++this.hiddenFaultsInARow > MAX_HIDDEN_FAULTS_IN_A_ROW) {
        cpu.stopDetail = `hypervisor error: hidden page faults at ${hexWord(faultAddress)} do not resolve (pc ${hexWord(cpu.pc)})`;
        cpu.stopReason = 'exception-loop';
        return;
      }
    } else { this.hiddenFaultPc = cpu.pc; this.hiddenFaultRetired = cpu.retired; this.hiddenFaultsInARow = 1; }
    guest.counters.hiddenPageFaults++;
    if (!guest.shadow.fill(faultAddress, walk, guest.cr3)) {
      this.reclaimFrames();
      guest.shadow.fill(faultAddress, walk, guest.cr3);
    }
    guest.counters.shadowFills++;
    // The faulting access removed the real TLB entry; the retried access walks the new shadow entry.
    this.mark('pf-return');
    if (this.hvEvents.isActive) {
      this.emit(this.event('hidden-page-fault', guest, cpu.pc, this.peekText(guest, cpu.pc), `hidden page fault at ${hexWord(faultAddress)}: shadow filled with machine frame ${hexWord(guest.memory.toMachine(walk.gpa & ~0xfff))}`, { address: faultAddress >>> 0 }));
    }
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
    if (v.isBusError) { this.busError(guest, guest.memory.busErrorAddress); return undefined; }
    if (v.fault) { reflect(this, guest, Vector.PF, v.fault.errorCode, v.fault.address); return undefined; }
    const instr = decode(word0, word1);
    if (!instr) { reflect(this, guest, Vector.UD, 0, 0); return undefined; }
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
    const stop = this.serviceGuest(cpu, guest);
    if (this.current === guest) this.syncToCpu(guest);
    return stop;
  }

  private serviceGuest(cpu: Cpu, guest: Guest): StopReason | undefined {
    const devices = guest.devices;
    devices.advance(cpu.ticks);
    if (cpu.isHalted) {
      if (!guest.virtualIF) return 'halted';
      if (devices.pendingIrqs() === 0) {
        const arrival = devices.nextEventTick();
        if (arrival === Infinity && this.guests.filter((g) => g.isRunnable).length <= 1) {
          return this.config.isInteractive ? 'waiting-for-input' : 'halted';
        }
        const until = Math.min(arrival, cpu.runUntilTick, guest.sliceEnd);
        if (until !== Infinity && until > cpu.ticks) {
          cpu.idleTicks += until - cpu.ticks;
          cpu.ticks = until;
          devices.advance(until);
        }
        if (devices.pendingIrqs() === 0) {
          if (cpu.ticks >= guest.sliceEnd || arrival === Infinity) this.switchGuest();
          return undefined;
        }
      }
    }
    if (guest.virtualIF && devices.pendingIrqs() !== 0) {
      cpu.isHalted = false;
      const vector = devices.takeInterrupt();
      guest.counters.virtualInterrupts++;
      if (this.shouldStopAtTrap) {
        const event = this.event('reflected', guest, cpu.pc, '', `${vector === 32 ? 'timer' : 'keyboard'} interrupt: will be reflected to the guest`, { vector });
        if (this.shouldStopAtTrap(event)) {
          this.pendingTrap = { vector, errorCode: 0, faultAddress: 0 };
          return 'requested';
        }
      }
      if (this.isHardwareAssist) {
        guest.counters.hwExits++;
        guest.counters.hwExitsInterrupt++;
      }
      if (this.isNested) {
        // Event injection on VM entry: the hardware delivers it through the guest's evt.
        this.syncToCpu(guest);
        cpu.deliverHardware(vector, 0, 0);
        this.syncFromCpu(guest);
      } else reflect(this, guest, vector, 0, 0);
      return cpu.stopReason;
    }
    if (cpu.ticks >= guest.sliceEnd) this.switchGuest();
    return undefined;
  }

  nextEventTick(cpu: Cpu): number {
    const guest = this.current;
    if (guest.virtualIF && guest.devices.pendingIrqs() !== 0) return cpu.ticks;
    return Math.min(guest.devices.nextEventTick(), guest.sliceEnd);
  }

  // The guest never runs in real kernel mode and no shadow maps a device page,
  // so the real CPU never reaches these: port and console accesses all trap.
  // Under nested paging the guest's console page reaches these: an EPT-style exit,
  // emulated on the guest's own console.
  portIn(): number { return 0; }
  portOut(): void { /* unreachable, see above */ }

  consoleReadByte(cpu: Cpu, pa: number): number {
    this.countMmioExit();
    return this.current.devices.consoleReadByte(pa);
  }

  consoleStore(cpu: Cpu, pa: number, value: number): void {
    this.countMmioExit();
    if (this.hvEvents.isActive) this.emitExit(this.current, 'memory-mapped I/O', pa);
    this.current.devices.consoleStore(pa, value, cpu.ticks + 1);
  }

  private countMmioExit(): void {
    const counters = this.current.counters;
    counters.hwExits++;
    counters.hwExitsMmio++;
    counters.ioEmulated++;
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
    this.leave(this.current);
    return {
      memory: this.memory.bytes.slice(),
      cpu: this.cpu.saveState(),
      pool: this.pool.saveState(),
      current: this.current.id,
      pendingTrap: this.pendingTrap && { ...this.pendingTrap },
      guests: this.guests.map((g) => ({
        isPretendUser: g.isPretendUser, virtualIF: g.virtualIF, cr3: g.cr3, evt: g.evt, ksp: g.ksp,
        saved: { ...g.saved, regs: g.saved.regs.slice() }, stopReason: g.stopReason, stopDetail: g.stopDetail,
        retiredAtModeChange: g.retiredAtModeChange, sliceEnd: g.sliceEnd, counters: { ...g.counters },
        devices: g.devices.saveState(), shadow: g.shadow.saveState(), translations: g.translator?.cache.save(),
      })),
    };
  }

  loadState(state: HypervisorState): void {
    this.memory.bytes.set(state.memory);
    this.memory.invalidateAllDecoded();
    this.pool.loadState(state.pool);
    state.guests.forEach((s, i) => {
      const g = this.guests[i];
      g.isPretendUser = s.isPretendUser; g.virtualIF = s.virtualIF; g.cr3 = s.cr3; g.evt = s.evt; g.ksp = s.ksp;
      g.saved = { ...s.saved, regs: s.saved.regs.slice() }; g.stopReason = s.stopReason; g.stopDetail = s.stopDetail;
      g.retiredAtModeChange = s.retiredAtModeChange; g.sliceEnd = s.sliceEnd;
      Object.assign(g.counters, s.counters);
      g.devices.loadState(s.devices);
      g.shadow.loadState(s.shadow);
      // Translations are derived from memory and the shadows' write protection: they go back with them.
      if (g.translator && s.translations) g.translator.cache.restore(s.translations);
    });
    this.cpu.loadState(state.cpu);
    this.current = this.guests[state.current];
    this.pendingTrap = state.pendingTrap && { ...state.pendingTrap };
    this.pendingGuestDelivery = undefined;
  }

  get isTrapAndEmulate(): boolean {
    return this.config.virtualization === 'trap-and-emulate';
  }
}

export interface HypervisorState {
  memory: Uint8Array;
  cpu: CpuState;
  pool: number[];
  current: number;
  pendingTrap: PendingTrap | undefined;
  guests: Array<{
    isPretendUser: boolean; virtualIF: boolean; cr3: number; evt: number; ksp: number;
    saved: Guest['saved']; stopReason: StopReason | undefined; stopDetail: string;
    retiredAtModeChange: number; sliceEnd: number; counters: CostCounters;
    devices: DeviceState; shadow: unknown;
    /** Under binary translation: the translation cache. */
    translations?: TranslationCacheState;
  }>;
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


