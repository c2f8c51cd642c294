// The blocking-read scenario of examples/os and examples/os-pv, measured for
// the documents that tell it (scripts/docFigures.ts): user1 calls `read`
// before the key exists, the kernel switches to user2, the key arrives and
// wakes user1. When each step happens, which input ticks give the README's
// output, and what os-pv's boot costs in a VM. Ticks count guest
// instructions, so every figure here is deterministic.

import * as fs from 'fs';
import * as path from 'path';
import { assemble, AssembleResult } from '../src/asm';
import { HypervisorEvent } from '../src/hypervisor/events';
import { createSystem, SettingChoice, VirtualSystem } from '../src/hypervisor/system';
import { MachineEvent } from '../src/machine/events';
import { Vector } from '../src/machine/isa';
import { DEMO_INPUT, DemoGuest, ROOT } from './demoTable';

/** examples/os/layout.g32's system-call number of `read`. */
const SYS_READ = 3;

const assembled = new Map<DemoGuest, AssembleResult>();

function assembledOs(guest: DemoGuest): AssembleResult {
  let result = assembled.get(guest);
  if (!result) {
    const file = path.join(ROOT, 'examples', guest, 'kernel.g32');
    result = assemble(file, { readFile: (f) => (fs.existsSync(f) ? fs.readFileSync(f, 'utf8') : undefined) });
    if (!result.image) throw new Error(`${file}: ${result.diagnostics.map((d) => `${d.line}:${d.column} ${d.message}`).join('; ')}`);
    assembled.set(guest, result);
  }
  return result;
}

function symbol(guest: DemoGuest, name: string): number {
  const found = assembledOs(guest).symbols.find((s) => s.name === name);
  if (!found) throw new Error(`examples/${guest} has no symbol ${name}`);
  return found.value >>> 0;
}

/** The docs' setting for a virtualization: on-demand shadows, separate kernel shadows. */
function settingOf(virtualization: string): SettingChoice {
  return (virtualization === 'none' ? { virtualization } : { virtualization, paging: 'shadow-on-demand', kernelShadows: 'separate' }) as SettingChoice;
}

/** examples/GUEST with the key 'k' at `inputTick` (none: no input at all). */
function systemFor(guest: DemoGuest, virtualization: string, inputTick: number | undefined): VirtualSystem {
  const inputs = inputTick === undefined ? [] : [{ tick: inputTick, bytes: DEMO_INPUT.bytes }];
  return createSystem({ ...settingOf(virtualization), guests: [{ name: guest, image: assembledOs(guest).image!, inputs }] });
}

export interface Timeline {
  /** How the run ended, and everything it printed. */
  ending: string;
  output: string;
  retired: number;
  /** The tick of user1's `read` system call. */
  readTick: number;
  /** Console bytes printed before that `read`: the boot line and user1's greetings. */
  bytesBeforeRead: number;
  /** The tick of the last system call before that `read` (user1's third greeting). */
  syscallBeforeRead: number;
  /** The tick of the guest kernel's first load of user2's page directory. */
  switchTick: number | undefined;
}

const timelines = new Map<string, Timeline>();

/** One run of the scenario, with the key at `inputTick` ('none': without input). */
export function timeline(guest: DemoGuest, virtualization: string, inputTick: number | 'none' = DEMO_INPUT.tick): Timeline {
  const key = `${guest} ${virtualization} ${inputTick}`;
  const cached = timelines.get(key);
  if (cached) return cached;
  const system = systemFor(guest, virtualization, inputTick === 'none' ? undefined : inputTick);
  const user2Directory = (symbol(guest, 'PD_BASE') + 0x2000) >>> 0;
  let readTick = -1;
  let bytesBeforeRead = 0;
  let syscallBeforeRead = -1;
  let switchTick: number | undefined;
  system.events.on((event: MachineEvent) => {
    if (readTick < 0 && event.kind === 'exception' && event.vector === Vector.SYSCALL) {
      if (system.cpu.regs[0] !== SYS_READ) syscallBeforeRead = event.ticks;
      else {
        readTick = event.ticks;
        bytesBeforeRead = system.guest(0).console.length;
      }
    }
    // On bare hardware the guest's mov cr3 is the real CPU's; under a hypervisor it is an event of the hypervisor.
    if (switchTick === undefined && !system.hvEvents && event.kind === 'cr3-load' && event.value >>> 0 === user2Directory) switchTick = event.ticks;
  });
  system.hvEvents?.on((event: HypervisorEvent) => {
    if (switchTick !== undefined) return;
    const isGuestLoad =
      (event.kind === 'cr3-load' && event.address === user2Directory) || (event.kind === 'hypercall' && event.instruction === 'vmcall 3' && system.cpu.regs[1] >>> 0 === user2Directory);
    if (isGuestLoad) switchTick = event.ticks;
  });
  const result = system.run();
  if (readTick < 0) throw new Error(`${key}: user1 never called read`);
  const view = system.guest(0);
  const found = { ending: result.reason, output: Buffer.from(view.console).toString('latin1'), retired: view.retired, readTick, bytesBeforeRead, syscallBeforeRead, switchTick };
  timelines.set(key, found);
  return found;
}

const windows = new Map<string, { first: number; last: number }>();

/**
 * The input ticks around the README's (2000) whose run prints exactly what the
 * README's run prints and ends the same way: every tick of the window is run,
 * so "any input tick from first to last" is checked, not extrapolated.
 */
export function inputWindow(guest: DemoGuest, virtualization: string): { first: number; last: number } {
  const key = `${guest} ${virtualization}`;
  let window = windows.get(key);
  if (window) return window;
  const wanted = timeline(guest, virtualization);
  const same = (tick: number) => {
    const system = systemFor(guest, virtualization, tick);
    const result = system.run();
    return result.reason === wanted.ending && Buffer.from(system.guest(0).console).toString('latin1') === wanted.output;
  };
  let first = DEMO_INPUT.tick;
  while (first > 0 && same(first - 1)) first--;
  let last = DEMO_INPUT.tick;
  while (same(last + 1)) {
    last++;
    // Past the end of the run a key changes nothing: the window would never close.
    if (last > wanted.retired) throw new Error(`${key}: every input tick after ${DEMO_INPUT.tick} gives the same output`);
  }
  window = { first, last };
  windows.set(key, window);
  return window;
}

export interface PvBoot {
  /** Hypercalls 10 (write PTEs) before the first guest cr3 load. */
  hypercalls: number;
  /** Page-table entries they write. */
  writes: number;
  /** Of those, the entries of the kernel's identity map (its page table, KPT). */
  kernelMapWrites: number;
  /** Guest instructions run in the queue's routines (pv_set_pte_vm, pv_flush_ptes_vm) before that cr3 load. */
  queueingInstructions: number;
}

let pvBootFound: PvBoot | undefined;

/** os-pv's boot under `paravirtual`: its page-table writes, batched. */
export function pvBoot(): PvBoot {
  if (pvBootFound) return pvBootFound;
  const system = systemFor('os-pv', 'paravirtual', DEMO_INPUT.tick);
  const kpt = symbol('os-pv', 'KPT');
  const found: PvBoot = { hypercalls: 0, writes: 0, kernelMapWrites: 0, queueingInstructions: 0 };
  let isBoot = true;
  system.hvEvents!.on((event) => {
    if (event.kind !== 'hypercall' || !isBoot) return;
    if (event.instruction === 'vmcall 3') isBoot = false;
    if (event.instruction !== 'vmcall 10') return;
    // The event comes before the call runs: r1 | 1 is the batch, r2 its pairs.
    const regs = system.cpu.regs;
    const pairs = (regs[1] & 1) !== 0 ? regs[2] >>> 0 : 1;
    found.hypercalls++;
    found.writes += pairs;
    for (let i = 0; i < pairs; i++) {
      const entry = (regs[1] & 1) !== 0 ? system.guestMemory(0).read(((regs[1] & ~1) + 8 * i) >>> 0, 4) >>> 0 : regs[1] >>> 0;
      if (entry >= kpt && entry < kpt + 0x1000) found.kernelMapWrites++;
    }
  });
  // A breakpoint on every word of the queue's routines: each stop is one instruction run there.
  const breakpoints: number[] = [];
  for (let pc = symbol('os-pv', 'pv_set_pte_vm'); pc < symbol('os-pv', 'pv_pte_invlpg_vm'); pc += 4) breakpoints.push(pc);
  system.cpu.setBreakpoints(breakpoints);
  for (;;) {
    system.cpu.skipBreakpointAt = system.cpu.pc;
    const result = system.run();
    if (result.reason !== 'breakpoint') break;
    if (isBoot) found.queueingInstructions++;
  }
  pvBootFound = found;
  return found;
}
