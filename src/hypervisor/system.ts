// One face for every way a program can run: bare hardware (`virtualization:
// none`) or under the hypervisor. The command line, the divergence finder and
// the debugger drive a VirtualSystem and read guest views from it, so they need
// not know which setting is in force.

import { Cpu, Mode } from '../machine/cpu';
import { PAGE_SIZE } from '../machine/isa';
import { TimedInput } from '../machine/devices/keyboard';
import { ConsoleDigest } from '../machine/devices/console';
import { EventHub, MachineEvent } from '../machine/events';
import { DEFAULT_MEMORY, LoadableImage, Machine, MachineState, RunResult } from '../machine/machine';
import { MAX_MEMORY_BYTES } from '../machine/memory';
import { COUNTER_LABELS, CostCounters, CostModel, DEFAULT_COST_MODEL, estimateCycles } from './costs';
import { HypervisorEvent } from './events';
import { DEFAULT_HYPERVISOR_FRAMES, Hypervisor, HypervisorState, HypervisorVirtualization } from './hypervisor';
import { GuestAccess, GuestMemory } from './guestMemory';
import { decode, DecodedInstr } from '../machine/decode';
import { formatInstr, hexLiteral } from '../machine/format';
import { DEFAULT_KERNEL_SHADOWS, defaultPaging, KERNEL_SHADOWS, KernelShadows, PAGING_SETTINGS, PagingSetting, Setting, settingName, Virtualization, VIRTUALIZATIONS } from './settings';

export { defaultPaging, KERNEL_SHADOWS, PAGING_SETTINGS, settingName, VIRTUALIZATIONS };
export type { Virtualization };

export type SettingChoice = Setting;

/**
 * The combinations worth comparing, in the order tables show them: every shadow
 * strategy under trap-and-emulate, then the ways out of it. The demo, the bench
 * and the equivalence tests all run this list.
 */
export const SETTING_CHOICES: readonly SettingChoice[] = [
  { virtualization: 'trap-and-emulate', paging: 'shadow-on-demand', kernelShadows: 'separate' },
  { virtualization: 'trap-and-emulate', paging: 'shadow-on-demand', kernelShadows: 'flush-on-switch' },
  { virtualization: 'trap-and-emulate', paging: 'shadow-proactive', kernelShadows: 'separate' },
  { virtualization: 'trap-and-emulate', paging: 'shadow-proactive', kernelShadows: 'flush-on-switch' },
  { virtualization: 'paravirtual', paging: 'shadow-on-demand', kernelShadows: 'separate' },
  { virtualization: 'paravirtual', paging: 'shadow-proactive', kernelShadows: 'separate' },
  { virtualization: 'binary-translation', paging: 'shadow-on-demand', kernelShadows: 'separate' },
  { virtualization: 'binary-translation', paging: 'shadow-proactive', kernelShadows: 'flush-on-switch' },
  { virtualization: 'hardware-assist', paging: 'nested' },
  { virtualization: 'hardware-assist', paging: 'shadow-on-demand' },
  { virtualization: 'hardware-assist', paging: 'shadow-proactive' },
];

export interface SystemGuest {
  name: string;
  image: LoadableImage;
  memory?: number;
  inputs?: readonly TimedInput[];
}

export interface SystemOptions {
  virtualization: Virtualization;
  paging?: PagingSetting;
  kernelShadows?: KernelShadows;
  guests: SystemGuest[];
  tlbEntries?: number;
  maxInstructions?: number;
  isInteractive?: boolean;
  costModel?: CostModel;
  /** Binary translation: runs of a block before it is translated (default TRANSLATION_THRESHOLD; 0 or 1: on first sight). */
  translationThreshold?: number;
  /** Binary translation: retranslate instructions that keep trapping to call their emulation directly (default true). */
  isAdaptiveTranslation?: boolean;
}

/** What a guest can see of itself: the state the equivalence tests compare. */
export interface GuestView {
  name: string;
  regs: Int32Array;
  pc: number;
  flags: number;
  isUser: boolean;
  cr3: number;
  evt: number;
  ksp: number;
  ticks: number;
  retired: number;
  /** The last CONSOLE_TAIL_BYTES bytes printed (all of a small guest's output). */
  console: Uint8Array;
  /** Length and hash of all output: what two runs compare, without copying it. */
  consoleDigest: ConsoleDigest;
  /** Guest-physical RAM. */
  memory(): Uint8Array;
}

export class ConfigError extends Error {}

/** Checks a combination of settings, with the message a user should see. */
export function validateSettings(options: Pick<SystemOptions, 'virtualization' | 'paging' | 'kernelShadows'>): void {
  if (!VIRTUALIZATIONS.includes(options.virtualization)) throw new ConfigError(`unknown virtualization '${options.virtualization}'; expected one of ${VIRTUALIZATIONS.join(', ')}`);
  if (options.paging !== undefined && !PAGING_SETTINGS.includes(options.paging)) throw new ConfigError(`unknown paging '${options.paging}'; expected one of ${PAGING_SETTINGS.join(', ')}`);
  if (options.kernelShadows !== undefined && !KERNEL_SHADOWS.includes(options.kernelShadows))
    throw new ConfigError(`unknown kernelShadows '${options.kernelShadows}'; expected one of ${KERNEL_SHADOWS.join(', ')}`);
  if (options.paging === 'nested' && options.virtualization !== 'hardware-assist') {
    throw new ConfigError(`paging 'nested' needs virtualization 'hardware-assist' (the hardware walks the guest table); '${options.virtualization}' uses shadow paging`);
  }
}

/**
 * Checks that the guests' memory fits the simulated machine (MAX_MEMORY_BYTES,
 * shared with the hypervisor's own frames) and that each image fits its guest,
 * before anything is allocated; the message names the guests.
 */
export function validateMemory(options: Pick<SystemOptions, 'virtualization' | 'guests'>): void {
  const sizes = options.guests.map((g) => g.memory ?? DEFAULT_MEMORY);
  options.guests.forEach((guest, i) => {
    const size = sizes[i];
    if (size <= 0 || size % PAGE_SIZE !== 0 || size > MAX_MEMORY_BYTES) {
      throw new ConfigError(`guest "${guest.name}": memory must be a multiple of ${PAGE_SIZE} from ${PAGE_SIZE} to ${MAX_MEMORY_BYTES} (${formatBytes(MAX_MEMORY_BYTES)}), got ${size}`);
    }
  });
  const hypervisorBytes = options.virtualization === 'none' ? 0 : (DEFAULT_HYPERVISOR_FRAMES + 1) * PAGE_SIZE;
  const total = sizes.reduce((a, b) => a + b, 0) + hypervisorBytes;
  if (total > MAX_MEMORY_BYTES) {
    const each = options.guests.map((g, i) => `"${g.name}" ${formatBytes(sizes[i])}`).join(', ');
    const hypervisor = hypervisorBytes ? ` plus ${formatBytes(hypervisorBytes)} for the hypervisor` : '';
    throw new ConfigError(
      `the guests' memory (${each})${hypervisor} adds up to ${formatBytes(total)}, more than the simulated machine's ${formatBytes(MAX_MEMORY_BYTES)}: give the guests less memory`,
    );
  }
}

/** A guest whose image does not fit its memory, with the message to show; undefined when every image fits. */
export function imageOutsideMemory(guests: readonly SystemGuest[]): string | undefined {
  for (const guest of guests) {
    const size = guest.memory ?? DEFAULT_MEMORY;
    for (const chunk of guest.image.chunks) {
      if (chunk.address < 0 || chunk.address + chunk.bytes.length > size) {
        return `guest "${guest.name}": the image (${chunk.bytes.length} bytes at ${hexLiteral(chunk.address)}) does not fit in guest memory of ${size} bytes`;
      }
    }
  }
  return undefined;
}

function formatBytes(bytes: number): string {
  if (bytes % (1024 * 1024 * 1024) === 0) return `${bytes / (1024 * 1024 * 1024)} GiB`;
  if (bytes % (1024 * 1024) === 0) return `${bytes / (1024 * 1024)} MiB`;
  if (bytes % 1024 === 0) return `${bytes / 1024} KiB`;
  return `${bytes} bytes`;
}

export interface VirtualSystem {
  /** The settings in force, for code that asks which technique runs. */
  readonly setting: Setting;
  /** The same, as every message shows it (`settingName`). */
  readonly settingName: string;
  readonly cpu: Cpu;
  readonly events: EventHub<MachineEvent>;
  readonly hvEvents: EventHub<HypervisorEvent> | undefined;
  readonly hypervisor: Hypervisor | undefined;
  readonly guestCount: number;
  run(): RunResult;
  guest(index: number): GuestView;
  counters(): CostCounters | undefined;
  /** Rows for `--stats` and the costs panel. */
  costRows(): Array<[string, number]>;
  /** Estimated cycles of the run so far, with the run's cost model or the one given. */
  estimatedCycles(model?: CostModel): number;
  typeInput(guest: number, bytes: Uint8Array): void;
  /** The instruction at a guest's pc, read through its page table without side effects. */
  instructionAt(guest: number): { text: string; op: number | undefined };
  /** Guest-physical address of a guest virtual address through its page table, without side effects; undefined if not mapped. */
  physicalOf(guest: number, va: number): number | undefined;
  /** A guest's physical memory (on bare hardware: the machine's, mapped one to one). */
  guestMemory(guest: number): GuestMemory;
  /** A snapshot of the whole system (memory included) for step back; opaque to callers. */
  saveState(): unknown;
  loadState(state: unknown): void;
}

function describeInstruction(instr: DecodedInstr | undefined): { text: string; op: number | undefined } {
  return instr ? { text: formatInstr(instr), op: instr.info.op } : { text: '??', op: undefined };
}

export function createSystem(options: SystemOptions): VirtualSystem {
  validateSettings(options);
  validateMemory(options);
  const outside = imageOutsideMemory(options.guests);
  if (outside) throw new ConfigError(outside);
  if (options.virtualization === 'none') {
    if (options.guests.length !== 1) throw new ConfigError('bare hardware (virtualization none) runs exactly one guest');
    return new BareSystem(options);
  }
  return new HypervisorSystem(options);
}

class BareSystem implements VirtualSystem {
  readonly setting: Setting = { virtualization: 'none' };
  readonly settingName = 'none';
  readonly machine: Machine;
  readonly hvEvents = undefined;
  readonly hypervisor = undefined;
  readonly guestCount = 1;
  private readonly name: string;
  private readonly costModel: CostModel;

  constructor(options: SystemOptions) {
    const guest = options.guests[0];
    this.name = guest.name;
    this.costModel = options.costModel ?? DEFAULT_COST_MODEL;
    this.machine = new Machine({ memory: guest.memory, tlbEntries: options.tlbEntries, inputs: guest.inputs, maxInstructions: options.maxInstructions, isInteractive: options.isInteractive });
    this.machine.load(guest.image);
  }

  get cpu(): Cpu {
    return this.machine.cpu;
  }
  get events(): EventHub<MachineEvent> {
    return this.machine.events;
  }

  run(): RunResult {
    return this.machine.run();
  }

  guest(): GuestView {
    const cpu = this.machine.cpu;
    const memory = this.machine.memory;
    const consoleDevice = this.machine.devices.console;
    return {
      name: this.name,
      regs: cpu.regs,
      pc: cpu.pc >>> 0,
      flags: cpu.flags,
      isUser: cpu.mode === Mode.USER,
      cr3: cpu.cr3 >>> 0,
      evt: cpu.evt >>> 0,
      ksp: cpu.ksp >>> 0,
      ticks: cpu.ticks,
      retired: cpu.retired,
      get console() {
        return consoleDevice.output;
      },
      consoleDigest: consoleDevice.digest,
      memory: () => memory.bytes,
    };
  }

  counters(): undefined {
    return undefined;
  }

  costRows(): Array<[string, number]> {
    const cpu = this.machine.cpu;
    return [
      ['instructions retired', cpu.retired],
      [COUNTER_LABELS.guestCr3Loads, cpu.cr3Loads],
      [COUNTER_LABELS.sensitiveInstructions, cpu.sensitiveRetired],
      ['TLB hits', cpu.tlb.hits],
      ['TLB misses', cpu.tlb.misses],
      [COUNTER_LABELS.walkReferences, cpu.tlb.walkReferences],
      ['estimated cycles', this.estimatedCycles()],
    ];
  }

  estimatedCycles(model: CostModel = this.costModel): number {
    const cpu = this.machine.cpu;
    return cpu.retired * model.instruction + cpu.tlb.misses * model.tlbMiss + cpu.tlb.walkReferences * model.walkReference;
  }

  typeInput(_guest: number, bytes: Uint8Array): void {
    this.machine.typeInput(bytes);
  }

  saveState(): unknown {
    return this.machine.saveState();
  }
  loadState(state: unknown): void {
    this.machine.loadState(state as MachineState);
  }

  guestMemory(): GuestMemory {
    return this.physicalView();
  }

  private physicalView(): GuestMemory {
    const memory = this.machine.memory;
    const frames = new Int32Array(memory.size >>> 12).map((_, i) => i * PAGE_SIZE);
    return new GuestMemory(memory, frames, memory.size, this.machine.devices);
  }

  physicalOf(_guest: number, va: number): number | undefined {
    const cpu = this.machine.cpu;
    const gpa = this.physicalView().walk(cpu.cr3, va, GuestAccess.FETCH, cpu.mode === Mode.USER, false).gpa;
    return gpa < 0 ? undefined : gpa;
  }

  instructionAt(): { text: string; op: number | undefined } {
    const view = this.physicalView();
    const cpu = this.machine.cpu;
    const read = (va: number): number | undefined => {
      const walk = view.walk(cpu.cr3, va, GuestAccess.FETCH, cpu.mode === Mode.USER, false);
      return walk.gpa < 0 || !view.isRam(walk.gpa, 4) ? undefined : view.read(walk.gpa, 4);
    };
    const word0 = read(cpu.pc);
    return describeInstruction(word0 === undefined ? undefined : decode(word0, read((cpu.pc + 4) | 0) ?? 0));
  }
}

class HypervisorSystem implements VirtualSystem {
  readonly setting: Setting;
  readonly settingName: string;
  readonly hypervisor: Hypervisor;

  constructor(private readonly options: SystemOptions) {
    this.setting = { virtualization: options.virtualization, paging: defaultPaging(options), kernelShadows: options.kernelShadows };
    this.settingName = settingName(options);
    this.hypervisor = new Hypervisor({
      guests: options.guests.map((g) => ({ name: g.name, image: g.image, memory: g.memory, inputs: g.inputs })),
      virtualization: options.virtualization as HypervisorVirtualization,
      paging: defaultPaging(options),
      kernelShadows: options.kernelShadows ?? DEFAULT_KERNEL_SHADOWS,
      tlbEntries: options.tlbEntries,
      maxInstructions: options.maxInstructions,
      isInteractive: options.isInteractive,
      costModel: options.costModel,
      binaryTranslation: { translationThreshold: options.translationThreshold, isAdaptive: options.isAdaptiveTranslation },
    });
  }

  get cpu(): Cpu {
    return this.hypervisor.cpu;
  }
  get events(): EventHub<MachineEvent> {
    return this.hypervisor.events;
  }
  get hvEvents(): EventHub<HypervisorEvent> {
    return this.hypervisor.hvEvents;
  }
  get guestCount(): number {
    return this.hypervisor.guests.length;
  }

  run(): RunResult {
    return this.hypervisor.run();
  }

  guest(index: number): GuestView {
    const hv = this.hypervisor;
    const guest = hv.guests[index];
    const isCurrent = guest === hv.current;
    const cpu = hv.cpu;
    // Under hardware assist the running guest's own state lives in the real CPU.
    if (isCurrent) hv.syncFromCpu(guest);
    const retired = isCurrent ? cpu.retired : guest.saved.ticks - guest.saved.idleTicks;
    return {
      name: guest.name,
      regs: isCurrent ? cpu.regs : guest.saved.regs,
      pc: (isCurrent ? cpu.pc : guest.saved.pc) >>> 0,
      flags: hv.guestFlags(guest),
      isUser: guest.isPretendUser,
      cr3: guest.cr3 >>> 0,
      evt: guest.evt >>> 0,
      ksp: guest.ksp >>> 0,
      ticks: isCurrent ? cpu.ticks : guest.saved.ticks,
      retired,
      // A getter: the tail is copied only by those who read it.
      get console() {
        return guest.devices.console.output;
      },
      consoleDigest: guest.devices.console.digest,
      memory: () => guest.memory.snapshot(),
    };
  }

  counters(): CostCounters {
    const hv = this.hypervisor;
    const cpu = hv.cpu;
    const counters = { ...hv.counters };
    if (hv.isHardwareAssist && hv.guests.length === 1) {
      // In guest mode the mode changes natively, unseen by the hypervisor: the CPU counts by mode itself.
      [counters.instructionsPretendKernel, counters.instructionsPretendUser] = cpu.retiredByMode();
    } else {
      // Instructions since the last pretend-mode change have not been attributed yet.
      const current = hv.current;
      const pending = current.isRunnable ? cpu.retired - current.retiredAtModeChange : 0;
      if (current.isPretendUser) counters.instructionsPretendUser += pending;
      else counters.instructionsPretendKernel += pending;
    }
    if (hv.isNested) {
      // The guest's own mov cr3 runs natively in guest mode: every CPU cr3 load not made by the hypervisor is the guest's.
      counters.guestCr3Loads = cpu.cr3Loads - counters.realCr3Loads;
      counters.realCr3Loads = cpu.cr3Loads;
    }
    counters.tlbMisses = cpu.tlb.misses;
    counters.walkReferences = cpu.tlb.walkReferences;
    // Translated code counts its own (binary translation); everything the real CPU ran, it counted.
    counters.sensitiveInstructions += cpu.sensitiveRetired;
    counters.nestedWalkReferences = hv.guests.reduce((sum, g) => sum + (g.nested?.references ?? 0), 0);
    return counters;
  }

  costRows(): Array<[string, number]> {
    const counters = this.counters();
    const rows: Array<[string, number]> = (Object.keys(COUNTER_LABELS) as Array<keyof CostCounters>).map((key) => [COUNTER_LABELS[key], counters[key]]);
    rows.push(['TLB hits', this.hypervisor.cpu.tlb.hits], ['estimated cycles', this.estimatedCycles()]);
    return rows;
  }

  estimatedCycles(model: CostModel = this.options.costModel ?? DEFAULT_COST_MODEL): number {
    return estimateCycles(this.counters(), model);
  }

  typeInput(guest: number, bytes: Uint8Array): void {
    this.hypervisor.typeInput(guest, bytes);
  }

  saveState(): unknown {
    return this.hypervisor.saveState();
  }
  loadState(state: unknown): void {
    this.hypervisor.loadState(state as HypervisorState);
  }

  guestMemory(index: number): GuestMemory {
    return this.hypervisor.guests[index].memory;
  }

  physicalOf(index: number, va: number): number | undefined {
    const guest = this.hypervisor.guests[index];
    const gpa = guest.memory.walk(guest.cr3, va, GuestAccess.FETCH, guest.isPretendUser, false).gpa;
    return gpa < 0 ? undefined : gpa;
  }

  instructionAt(index: number): { text: string; op: number | undefined } {
    const hv = this.hypervisor;
    const guest = hv.guests[index];
    return describeInstruction(hv.peekInstruction(guest, guest === hv.current ? hv.cpu.pc : guest.saved.pc));
  }
}
