// The bare-hardware machine: one CPU, RAM, and the keyboard, timer and console,
// with interrupts and `hlt` as g32-isa.md §4 and §6 describe. This is
// `virtualization: none`, the reference every other setting is compared with.
// It does no IO: input arrives as timed bytes, output leaves through the console.

import { Cpu, CpuState, Platform, StopReason } from './cpu';
import { DeviceSet, DeviceState } from './devices/bus';
import { TimedInput } from './devices/keyboard';
import { EventHub, MachineEvent } from './events';
import { hexLiteral } from './format';
import { Flag } from './isa';
import { PhysicalMemory } from './memory';

/** What the loader needs of an assembled program (asm's `Image` has this shape). */
export interface LoadableImage {
  chunks: ReadonlyArray<{ address: number; bytes: Uint8Array }>;
  entry: number;
}

export interface MachineConfig {
  /** RAM in bytes (default 1 MiB). */
  memory?: number;
  /** TLB entries (default 16; 0 = no TLB). */
  tlbEntries?: number;
  inputs?: readonly TimedInput[];
  /** Retired-instruction limit (default 10,000,000). */
  maxInstructions?: number;
  /** In the debugger a `hlt` with nothing to come waits for typed input instead of ending the run. */
  isInteractive?: boolean;
}

export const DEFAULT_MEMORY = 1 << 20;
export const DEFAULT_TLB_ENTRIES = 16;
export const DEFAULT_MAX_INSTRUCTIONS = 10_000_000;

export interface RunResult {
  reason: StopReason;
  /** A sentence for the user when the reason is an error. */
  detail: string;
}

export interface MachineState {
  cpu: CpuState;
  memory: Uint8Array;
  devices: DeviceState;
}

export class Machine implements Platform {
  readonly events = new EventHub<MachineEvent>();
  readonly memory: PhysicalMemory;
  readonly cpu: Cpu;
  readonly devices: DeviceSet;
  readonly isInteractive: boolean;
  /**
   * Set by a debugger while the exception being raised is handed over: the
   * machine keeps it undelivered and stops, so a debugger can show the faulting
   * instruction; the next `run` delivers it first. One-shot.
   */
  isHoldRequested = false;
  /** An exception raised but not yet delivered (held at the debugger's request). */
  pendingException: { vector: number; errorCode: number; faultAddress: number } | undefined;

  constructor(config: MachineConfig = {}) {
    this.memory = new PhysicalMemory(config.memory ?? DEFAULT_MEMORY);
    this.cpu = new Cpu(this.memory, config.tlbEntries ?? DEFAULT_TLB_ENTRIES, this.events);
    this.cpu.platform = this;
    this.cpu.maxInstructions = config.maxInstructions ?? DEFAULT_MAX_INSTRUCTIONS;
    this.devices = new DeviceSet(config.inputs ?? [], this.events);
    this.isInteractive = config.isInteractive ?? false;
  }

  /** Copies the image into RAM and resets the CPU to its entry (g32-isa.md §1). */
  load(image: LoadableImage): void {
    for (const chunk of image.chunks) {
      if (chunk.address < 0 || chunk.address + chunk.bytes.length > this.memory.size) {
        throw new RangeError(`image chunk at ${hexLiteral(chunk.address)} (${chunk.bytes.length} bytes) does not fit in ${this.memory.size} bytes of RAM`);
      }
      this.memory.writeBytes(chunk.address, chunk.bytes);
    }
    this.cpu.pc = image.entry | 0;
  }

  run(): RunResult {
    const held = this.pendingException;
    if (held) {
      this.pendingException = undefined;
      this.cpu.stopReason = undefined;
      this.cpu.deliverHardware(held.vector, held.errorCode, held.faultAddress);
      const stop = this.cpu.stopReason;
      if (stop !== undefined) return { reason: stop, detail: describeStop(stop, this.cpu.stopDetail) };
    }
    const reason = this.cpu.run();
    return { reason, detail: describeStop(reason, this.cpu.stopDetail) };
  }

  // ------------------------------------------------------------ Platform

  onException(cpu: Cpu, vector: number, errorCode: number, faultAddress: number): void {
    if (this.isHoldRequested) {
      this.isHoldRequested = false;
      this.pendingException = { vector, errorCode, faultAddress };
      cpu.stopRequest = 'requested';
      cpu.requestService();
      return;
    }
    cpu.deliverHardware(vector, errorCode, faultAddress);
  }

  service(cpu: Cpu): StopReason | undefined {
    const devices = this.devices;
    devices.advance(cpu.ticks);
    if (cpu.isHalted) {
      // hlt with IF = 0, or with nothing left that could interrupt, ends the run cleanly.
      if ((cpu.flags & Flag.IF) === 0) return 'halted';
      if (devices.pendingIrqs() === 0) {
        const arrival = devices.nextEventTick();
        if (arrival === Infinity) return this.isInteractive ? 'waiting-for-input' : 'halted';
        const until = Math.min(arrival, cpu.runUntilTick);
        cpu.idleTicks += until - cpu.ticks;
        cpu.ticks = until;
        devices.advance(until);
        if (devices.pendingIrqs() === 0) return undefined;
      }
    }
    if ((cpu.flags & Flag.IF) !== 0 && devices.pendingIrqs() !== 0) {
      cpu.isHalted = false;
      cpu.raise(devices.takeInterrupt(), 0, 0);
      return cpu.stopReason;
    }
    return undefined;
  }

  nextEventTick(cpu: Cpu): number {
    if ((cpu.flags & Flag.IF) !== 0 && this.devices.pendingIrqs() !== 0) return cpu.ticks;
    return this.devices.nextEventTick();
  }

  portIn(cpu: Cpu, port: number): number {
    return this.devices.portIn(port, cpu.ticks);
  }

  portOut(cpu: Cpu, port: number, value: number): void {
    this.devices.portOut(port, value, cpu.ticks);
  }

  consoleReadByte(_cpu: Cpu, pa: number): number {
    return this.devices.consoleReadByte(pa);
  }

  consoleStore(cpu: Cpu, pa: number, value: number): void {
    this.devices.consoleStore(pa, value, cpu.ticks);
  }

  /** Text typed in the debugger joins the keyboard queue at once. */
  typeInput(bytes: Uint8Array): void {
    this.devices.keyboard.enqueue(bytes);
    this.cpu.requestService();
  }

  saveState(): MachineState {
    return { cpu: this.cpu.saveState(), memory: this.memory.bytes.slice(), devices: this.devices.saveState() };
  }

  loadState(state: MachineState): void {
    this.pendingException = undefined;
    this.isHoldRequested = false;
    this.memory.bytes.set(state.memory);
    this.memory.invalidateAllDecoded();
    this.cpu.loadState(state.cpu);
    this.devices.loadState(state.devices);
  }
}

export function describeStop(reason: StopReason, detail: string): string {
  switch (reason) {
    case 'halted':
      return 'machine halted';
    case 'triple-fault':
      return detail || 'triple fault';
    case 'bus-error':
      return detail || 'bus error';
    case 'instruction-limit':
      return detail || 'instruction limit reached';
    case 'exception-loop':
      return detail || 'exception loop';
    case 'budget':
      return 'paused after the requested number of ticks';
    case 'breakpoint':
      return 'breakpoint';
    case 'waiting-for-input':
      return 'waiting in hlt for keyboard input';
    case 'requested':
      return 'stopped on request';
    case 'switch-engine':
      return 'switching execution engine';
  }
}
