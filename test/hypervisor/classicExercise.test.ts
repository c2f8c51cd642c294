// The classic exercise (docs/page-table-switches.md): a user program makes a
// `read` system call, the guest kernel switches to another program, a keyboard
// interrupt arrives, the kernel switches back and returns from the call. How
// many guest page-table switches, and how many real ones, under each
// kernelShadows setting? Measured on examples/os between the `read` trap and
// the return to user1.

import * as assert from 'assert';
import { CostCounters } from '../../src/hypervisor/costs';
import { createSystem } from '../../src/hypervisor/system';
import { imageOfFile, input, Setting, settingLabel, VIRTUAL_SETTINGS } from './setup';

const SYS_READ = 3;
const USER1_DIRECTORY = 0xb000;

interface Window { counters: CostCounters; modeSwitches: number; description: string[] }

export function measureReadWindow(setting: Setting): Window {
  const system = createSystem({ ...setting, guests: [{ name: 'os', image: imageOfFile('examples/os/kernel.g32'), inputs: [input(2000, 'k')] }] });
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
    if (guest.isPretendUser !== wasUser) { modeSwitches++; wasUser = guest.isPretendUser; }
    if (event.kind === 'syscall' || event.kind === 'cr3-load' || (event.kind === 'reflected' && event.vector !== undefined && event.vector >= 32 && event.vector < 48)
      || (event.kind === 'privileged-emulated' && event.instruction === 'iret')) {
      description.push(`${event.kind}${event.vector !== undefined ? ` ${event.vector}` : ''}${event.kind === 'cr3-load' ? ` 0x${event.address!.toString(16)}` : ''}`);
    }
    if (event.kind === 'privileged-emulated' && event.instruction === 'iret' && guest.isPretendUser && guest.cr3 === USER1_DIRECTORY && modeSwitches > 1) {
      end = system.counters()!;
    }
  });
  system.run();
  assert.ok(start && end, `${settingLabel(setting)}: the read/switch/interrupt/switch-back scenario did not happen`);
  const diff = {} as CostCounters;
  for (const key of Object.keys(end) as Array<keyof CostCounters>) diff[key] = end[key] - start[key];
  return { counters: diff, modeSwitches, description };
}

describe('hypervisor: the classic page-table-switch exercise', () => {
  const results = new Map<string, Window>();
  // The exercise is about software shadow paging; hardware assist runs the guest's mov cr3 and iret natively.
  for (const setting of VIRTUAL_SETTINGS.filter((s) => s.virtualization !== 'hardware-assist')) {
    it(`guest and real page-table switches under ${settingLabel(setting)}`, () => {
      const window = measureReadWindow(setting);
      results.set(settingLabel(setting), window);
      // The guest switches page tables twice: to user2 when user1 blocks, back to user1 on the key.
      assert.strictEqual(window.counters.guestCr3Loads, 2, window.description.join(', '));
      // syscall in, iret to user2, keyboard interrupt in, iret to user1.
      assert.strictEqual(window.modeSwitches, 4, window.description.join(', '));
      if (setting.kernelShadows === 'separate') {
        // Each guest cr3 load and each pretend-mode change loads the real cr3 with another shadow.
        assert.strictEqual(window.counters.realCr3Loads, 6);
      } else {
        // One shadow serves both modes: only guest cr3 loads load the real cr3; mode changes flush it instead.
        assert.strictEqual(window.counters.realCr3Loads, 2);
        assert.ok(window.counters.realTlbFlushes >= 4, `real TLB flushes ${window.counters.realTlbFlushes}`);
      }
    });
  }
});
