// The classic exercise (docs/page-table-switches.md): a user program makes a
// `read` system call, the guest kernel switches to another program, a keyboard
// interrupt arrives, the kernel switches back and returns from the call. How
// many guest page-table switches, and how many real ones, under each
// kernelShadows setting? Measured on examples/os between the `read` trap and
// the return to user1.

import * as assert from 'assert';
import { measureReadWindow, ReadWindow as Window } from '../../scripts/classicExercise';
import { settingLabel, VIRTUAL_SETTINGS } from './setup';

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
