// Runs one guest under one lab run's settings and measures it: its console
// output, how the run ended, and every number a lab can check, by name:
//
//   - every hypervisor cost counter, by its key in CostCounters (`hiddenPageFaults`,
//     `realCr3Loads`, `privilegedEmulated`, ...);
//   - `retired`, `tlbHits`, `tlbMisses`;
//   - `exceptions.N`: real CPU exceptions of vector N; `machineCr3Loads` and
//     `machineTlbFlushes`: real cr3 loads and TLB flushes as the CPU saw them;
//   - `events.KIND`: hypervisor events of a kind (the exception filter ids);
//   - `modeSwitches`: the guest's pretend-mode changes seen at hypervisor events.
//
// With a window, the numbers are the differences between the event that opens
// it and the event that closes it.

import { MachineCounters } from '../machine/counters';
import { hexWord } from '../machine/format';
import { VECTOR_NAMES } from '../machine/isa';
import { COUNTER_LABELS, CostCounters } from '../hypervisor/costs';
import { createSystem, settingName, SystemGuest } from '../hypervisor/system';
import { HypervisorEvent } from '../hypervisor/events';
import { EventMatch, LabRun } from './labDefinition';

export interface Measurement {
  /** The setting as the CLI names it: "trap-and-emulate / shadow-on-demand / separate". */
  setting: string;
  console: string;
  stop: string;
  stopDetail: string;
  /** Undefined when the run has a window that never opened or never closed. */
  numbers: Map<string, number> | undefined;
  /** Why `numbers` is missing. */
  windowProblem?: string;
}

const MEASURE_LABELS: Record<string, string> = {
  retired: 'instructions retired',
  tlbHits: 'TLB hits',
  tlbMisses: 'TLB misses',
  machineCr3Loads: 'cr3 loads seen by the real CPU',
  machineTlbFlushes: 'TLB flushes seen by the real CPU',
  modeSwitches: 'pretend-mode changes',
};

/** A measure's name in words, as `--stats` names the counter when it has one. */
export function measureLabel(name: string): string {
  const vector = /^exceptions\.(\d+)$/.exec(name);
  if (vector) return `exceptions: ${VECTOR_NAMES[Number(vector[1])] ?? `vector ${vector[1]}`}`;
  if (name.startsWith('events.')) return `hypervisor events: ${name.slice('events.'.length)}`;
  return COUNTER_LABELS[name as keyof CostCounters] ?? MEASURE_LABELS[name] ?? name;
}

export function measureRun(guest: Omit<SystemGuest, 'inputs'>, run: LabRun): Measurement {
  const system = createSystem({
    ...run.settings,
    maxInstructions: run.maxInstructions,
    guests: [{ ...guest, inputs: run.inputs.map((i) => ({ tick: i.tick, bytes: Buffer.from(i.text, 'latin1') })) }],
  });
  const machine = new MachineCounters(system.events);
  const hv = system.hypervisor;
  const eventCounts = new Map<string, number>();
  let modeSwitches = 0;
  let wasPretendUser = false;
  const snapshot = (): Map<string, number> => {
    const numbers = new Map<string, number>();
    const counters = system.counters();
    if (counters) for (const [key, value] of Object.entries(counters)) numbers.set(key, value as number);
    const cpu = system.cpu;
    numbers.set('retired', system.guest(0).retired);
    numbers.set('tlbHits', cpu.tlb.hits);
    if (!counters) numbers.set('tlbMisses', cpu.tlb.misses);
    numbers.set('machineCr3Loads', machine.cr3Loads);
    numbers.set('machineTlbFlushes', machine.tlbFlushes);
    for (const [vector, n] of machine.exceptionsByVector) numbers.set(`exceptions.${vector}`, n);
    for (const [kind, n] of eventCounts) numbers.set(`events.${kind}`, n);
    numbers.set('modeSwitches', modeSwitches);
    return numbers;
  };
  const window = run.window;
  let start: Map<string, number> | undefined = window && !window.from ? new Map() : undefined;
  let end: Map<string, number> | undefined;
  let startCr3 = 0;
  let switchesAtStart = 0;
  let opened = 0;
  if (hv) {
    hv.hvEvents.on((event) => {
      const guestState = hv.guests[0];
      if (guestState.isPretendUser !== wasPretendUser) {
        modeSwitches++;
        wasPretendUser = guestState.isPretendUser;
      }
      eventCounts.set(event.kind, (eventCounts.get(event.kind) ?? 0) + 1);
      if (!window || end) return;
      const isMatch = (match: EventMatch) => matches(match, event, hv.cpu.regs, guestState.isPretendUser);
      if (!start) {
        if (window.from && isMatch(window.from) && ++opened >= (window.from.occurrence ?? 1)) {
          start = snapshot();
          startCr3 = guestState.cr3;
          switchesAtStart = modeSwitches;
        }
        return;
      }
      const to = window.to;
      if (to && isMatch(to) && (!to.isSameAddressSpace || guestState.cr3 === startCr3) && modeSwitches - switchesAtStart >= (to.minModeSwitches ?? 0)) end = snapshot();
    });
  }
  const result = system.run();
  if (window && start && !window.to) end = snapshot();
  const view = system.guest(0);
  const measurement: Measurement = {
    setting: settingName(run.settings),
    console: Buffer.from(view.console).toString('latin1'),
    stop: result.reason,
    stopDetail: result.reason === 'halted' ? 'machine halted' : `${result.detail} (pc ${hexWord(view.pc)}, after ${view.retired} instructions)`,
    numbers: undefined,
  };
  if (!window) {
    measurement.numbers = snapshot();
  } else if (!hv && window.from) {
    measurement.windowProblem = 'a measuring window needs a virtualization setting other than none';
  } else if (!start || !end) {
    measurement.windowProblem = `the window "${window.label}" never ${start ? 'closed' : 'opened'}`;
  } else {
    const numbers = new Map<string, number>();
    for (const [key, value] of end) numbers.set(key, value - (start.get(key) ?? 0));
    measurement.numbers = numbers;
  }
  return measurement;
}

function matches(match: EventMatch, event: HypervisorEvent, regs: Int32Array, isPretendUser: boolean): boolean {
  if (event.kind !== match.kind) return false;
  if (match.address !== undefined && event.address !== match.address) return false;
  if (match.instruction !== undefined && event.instruction !== match.instruction) return false;
  if (match.isPretendUser !== undefined && match.isPretendUser !== isPretendUser) return false;
  for (const [name, value] of Object.entries(match.registers ?? {})) if (regs[Number(name.slice(1))] !== (value | 0)) return false;
  return true;
}
