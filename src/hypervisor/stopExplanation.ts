// Why a run ended badly, in words a student can act on. A run that reaches the
// instruction limit without printing anything is re-run deterministically
// (ground state is image, settings and input) with listeners on, to see what
// the guest did in its last instructions: the pcs it spun over, the exceptions
// it took, whether it polled the keyboard. Nothing here costs anything unless
// a run has already failed.

import { CONSOLE_BASE, Op, PORT_KEYBOARD_STATUS, Vector, VECTOR_NAMES } from '../machine/isa';
import { hexWord } from '../machine/format';
import { RunResult } from '../machine/machine';
import { formatPageFaultError } from '../machine/pageFaultError';
import { VirtualSystem } from './system';

/** Source location of a guest-physical address ("kernel.g32:12"), when the line map knows it. */
export type SourceOf = (gpa: number) => string | undefined;

const WINDOW = 256;
const LIKELY_CAUSES = [
  'the console page 0xFFFF0000 is not mapped in the page table (stores to it fault, and the handler cannot help)',
  '`evt` was never set (`mov evt, …`), so every exception jumps through a vector table of zeros or code',
  'a loop waits for keyboard input that never came (give some with --input TEXT or --input-at TICK:TEXT)',
];

interface Delivery {
  vector: number;
  pc: number;
  instruction: string;
  address: number;
  errorCode: number;
}

function where(system: VirtualSystem, pc: number, sourceOf: SourceOf | undefined): string {
  const gpa = system.physicalOf(0, pc);
  const source = gpa === undefined ? undefined : sourceOf?.(gpa);
  return `${hexWord(pc)}${source ? ` (${source})` : ''}`;
}

function vectorName(vector: number): string {
  return VECTOR_NAMES[vector] ?? `vector ${vector}`;
}

/** Extra lines for a run's end; empty when there is nothing to add. */
export function explainStop(system: VirtualSystem, result: RunResult, sourceOf?: SourceOf): string[] {
  if (system.guestCount !== 1) return [];
  const view = system.guest(0);
  const lines: string[] = [];
  const instruction = system.instructionAt(0);
  if ((result.reason === 'bus-error' || result.reason === 'triple-fault' || result.reason === 'exception-loop') && instruction.op === Op.VMCALL) {
    lines.push(vmcallExplanation(system, instruction.text, where(system, view.pc, sourceOf)));
  }
  if (result.reason === 'instruction-limit' && view.console.length === 0) {
    lines.push(`the guest wrote nothing to its console in ${view.retired} instructions; it was running at pc ${where(system, view.pc, sourceOf)} when the limit came.`);
    lines.push('Likely causes:', ...LIKELY_CAUSES.map((cause) => `  - ${cause}`));
  }
  return lines;
}

function vmcallExplanation(system: VirtualSystem, text: string, at: string): string {
  const setting = system.setting.virtualization;
  const why = setting === 'none' ? 'on bare hardware there is no hypervisor to take hypercalls' : `under ${setting} the hypervisor takes no hypercalls (only paravirtual and hardware-assist do)`;
  return `\`${text}\` at ${at} raised #UD (invalid opcode, vector 6): ${why}, so the CPU delivered it to the guest's own #UD handler through evt — run it with --virtualization paravirtual, or give the kernel a #UD handler`;
}

/**
 * Re-runs a single-guest system that hit the instruction limit and says where
 * and how it spun. `finalTicks` is where the first run stopped.
 */
export function probeSpin(makeSystem: () => VirtualSystem, finalTicks: number, sourceOf?: SourceOf): string[] {
  const system = makeSystem();
  if (system.guestCount !== 1) return [];
  const isBare = system.hypervisor === undefined;
  let firstVmcall: Delivery | undefined;
  const recent: Delivery[] = [];
  let keyboardPolls = 0;
  let isInWindow = false;
  const note = (d: Delivery) => {
    if (d.vector === Vector.UD && d.instruction.startsWith('vmcall') && !firstVmcall) firstVmcall = d;
    if (isInWindow) recent.push(d);
  };
  system.events.on((event) => {
    if (event.kind === 'exception' && isBare) {
      note({ vector: event.vector, pc: event.pc, instruction: system.instructionAt(0).text, address: event.faultAddress, errorCode: event.errorCode });
    } else if (event.kind === 'device' && isInWindow && event.device === 'keyboard' && !event.isWrite && event.port === PORT_KEYBOARD_STATUS) {
      keyboardPolls++;
    }
  });
  system.hvEvents?.on((event) => {
    if (event.kind === 'reflected' && event.vector !== undefined && event.vector !== Vector.TIMER && event.vector !== Vector.KEYBOARD) {
      note({ vector: event.vector, pc: event.pc, instruction: event.instruction, address: event.address ?? 0, errorCode: event.errorCode ?? 0 });
    }
  });
  const start = Math.max(0, finalTicks - WINDOW);
  system.cpu.runUntilTick = start;
  system.cpu.requestService();
  let result = system.run();
  isInWindow = true;
  let low = Infinity;
  let high = -Infinity;
  for (let tick = start + 1; result.reason === 'budget' && tick <= finalTicks + 1; tick++) {
    const pc = system.guest(0).pc;
    low = Math.min(low, pc);
    high = Math.max(high, pc);
    system.cpu.runUntilTick = tick;
    system.cpu.requestService();
    result = system.run();
  }
  const lines: string[] = [];
  if (low <= high) {
    const span = low === high ? `at pc ${where(system, low, sourceOf)}` : `over pc ${where(system, low, sourceOf)} to ${where(system, high, sourceOf)}`;
    lines.push(`In its last ${WINDOW} instructions the guest spun ${span}.`);
  }
  if (firstVmcall) lines.push(vmcallExplanation(system, firstVmcall.instruction, where(system, firstVmcall.pc, sourceOf)));
  const last = recent[recent.length - 1];
  if (last) {
    const same = recent.filter((d) => d.vector === last.vector).length;
    const isConsole = last.vector === Vector.PF && (last.address & ~0xfff) >>> 0 === CONSOLE_BASE;
    const fault = last.vector === Vector.PF ? ` at ${hexWord(last.address)}, ${formatPageFaultError(last.errorCode)},` : '';
    lines.push(
      `It took ${vectorName(last.vector)}${fault} ${same} time${same === 1 ? '' : 's'} in that window, the last caused by ${last.instruction ? `\`${last.instruction}\`` : 'an undefined instruction word'} at pc ${where(system, last.pc, sourceOf)}.`,
    );
    if (isConsole) lines.push("The console page 0xFFFF0000 is not mapped in the guest's page table: map it (P, W) before writing to the console.");
    const evt = system.guest(0).evt;
    if (evt === 0) lines.push('evt is 0: the kernel never set its vector table with `mov evt, …`, so exceptions jump to whatever address is stored at 0 + 4 × vector.');
  }
  if (keyboardPolls > 0) {
    lines.push(`It read the keyboard status port 0x64 ${keyboardPolls} times in that window: a loop waiting for input that never came (give some with --input TEXT or --input-at TICK:TEXT).`);
  }
  return lines;
}
