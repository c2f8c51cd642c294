// The classic exercise of docs/page-table-switches.md, measured on
// examples/os: a user program makes a `read` system call, the guest kernel
// switches to another program, a keyboard interrupt arrives, the kernel
// switches back and returns from the call. The counters are taken between the
// `read` trap and the `iret` that returns to user1. The test
// (test/hypervisor/classicExercise.test.ts) asserts the answer; the document's
// table is generated from the same measurement (scripts/docFigures.ts).

import { CostCounters } from '../src/hypervisor/costs';
import { createSystem, SettingChoice } from '../src/hypervisor/system';
import { DEMO_INPUT, demoImage } from './demoTable';

const SYS_READ = 3;
const USER1_DIRECTORY = 0xb000;

export interface ReadWindow {
  counters: CostCounters;
  modeSwitches: number;
  description: string[];
}

export function measureReadWindow(setting: SettingChoice): ReadWindow {
  const system = createSystem({ ...setting, guests: [{ name: 'os', image: demoImage('os'), inputs: [DEMO_INPUT] }] });
  const hv = system.hypervisor!;
  let start: CostCounters | undefined;
  let end: CostCounters | undefined;
  let modeSwitches = 0;
  let wasUser = false;
  const description: string[] = [];
  hv.hvEvents.on((event) => {
    if (end) return;
    const guest = hv.guests[0];
    if (!start && event.kind === 'syscall' && hv.cpu.regs[0] === SYS_READ && guest.cr3 === USER1_DIRECTORY) {
      start = system.counters()!;
      wasUser = true;
    }
    if (!start) return;
    if (guest.isPretendUser !== wasUser) {
      modeSwitches++;
      wasUser = guest.isPretendUser;
    }
    if (
      event.kind === 'syscall' ||
      event.kind === 'cr3-load' ||
      (event.kind === 'reflected' && event.vector !== undefined && event.vector >= 32 && event.vector < 48) ||
      (event.kind === 'privileged-emulated' && event.instruction === 'iret')
    ) {
      description.push(`${event.kind}${event.vector !== undefined ? ` ${event.vector}` : ''}${event.kind === 'cr3-load' ? ` 0x${event.address!.toString(16)}` : ''}`);
    }
    if (event.kind === 'privileged-emulated' && event.instruction === 'iret' && guest.isPretendUser && guest.cr3 === USER1_DIRECTORY && modeSwitches > 1) {
      end = system.counters()!;
    }
  });
  system.run();
  if (!start || !end) throw new Error(`${system.settingName}: the read/switch/interrupt/switch-back scenario did not happen`);
  const diff = {} as CostCounters;
  for (const key of Object.keys(end) as Array<keyof CostCounters>) diff[key] = end[key] - start[key];
  return { counters: diff, modeSwitches, description };
}
