import { createSystem } from '../../src/hypervisor/system';
// The micro-benchmark guests of `npm run bench` (scripts/microGuests.ts): each
// halts cleanly and ends with the same registers under every setting of the
// table as on bare hardware, the paravirtualized variants do the same work
// under `paravirtual`, and the costs point the way the classic comparison says.

import * as assert from 'assert';
import { CostCounters } from '../../src/hypervisor/costs';
import { measureCell } from '../../scripts/benchTable';
import {
  contextSwitchMicroSource,
  MICRO_COLUMNS,
  MICRO_OPERATIONS,
  MicroOperation,
  MicroSetting,
  pageFaultPvSource,
  portIoSource,
  pteWritePvSource,
  pteWriteSource,
  syscallSource,
} from '../../scripts/microGuests';
import { BARE, imageOfText, run, Run, Setting } from './setup';

/** Above 65, the count at which the hypervisor's hidden-fault loop detector used to misfire on these loops. */
const N = 150;
const SETTINGS = MICRO_COLUMNS.filter((c) => c.setting.virtualization !== 'none');
const PARAVIRTUAL = MICRO_COLUMNS.find((c) => c.isParavirtual)!.setting;
const HW_NESTED: Setting = { virtualization: 'hardware-assist', paging: 'nested' };
const HW_SHADOW: Setting = { virtualization: 'hardware-assist', paging: 'shadow-on-demand' };
const TRAP_AND_EMULATE = MICRO_COLUMNS.find((c) => c.setting.virtualization === 'trap-and-emulate')!.setting;

function runSource(source: string, setting: MicroSetting): Run {
  return run(imageOfText(source), setting, { maxInstructions: 10_000_000 });
}

function assertHalted(r: Run, label: string): void {
  assert.strictEqual(r.result.reason, 'halted', `${label}: ${r.result.detail}`);
}

/** Counter increments of the run with n operations over the run with none. */
function counterDelta(source: (n: number) => string, setting: Setting, n: number): CostCounters {
  const a = runSource(source(n), setting);
  const b = runSource(source(0), setting);
  assertHalted(a, `${setting.virtualization} with ${n}`);
  assertHalted(b, `${setting.virtualization} with 0`);
  const ca = a.system.counters()!;
  const cb = b.system.counters()!;
  const delta = {} as CostCounters;
  for (const key of Object.keys(ca) as Array<keyof CostCounters>) delta[key] = ca[key] - cb[key];
  return delta;
}

function cyclesPerOp(source: (n: number) => string, setting: Setting, n: number): number {
  const a = runSource(source(n), setting);
  const b = runSource(source(0), setting);
  assertHalted(a, `${setting.virtualization} with ${n}`);
  return (a.system.estimatedCycles() - b.system.estimatedCycles()) / n;
}

function countOf(op: MicroOperation): number {
  return op.baseline + N;
}

describe('micro-benchmark guests (scripts/microGuests.ts)', () => {
  for (const op of MICRO_OPERATIONS) {
    describe(op.name, () => {
      let bare: Run;
      before(() => {
        bare = runSource(op.source(countOf(op)), BARE);
      });

      it('halts on bare hardware after doing the work', () => {
        assertHalted(bare, 'none');
        // Every guest counts its rounds in r10, except the compute loop, which counts in r1.
        const counter = op.name.startsWith('compute') ? 1 : 10;
        assert.strictEqual(bare.view.regs[counter], countOf(op));
      });

      for (const column of SETTINGS) {
        it(`gives the bare-hardware registers and memory under ${column.title}`, () => {
          const other = runSource(op.source(countOf(op)), column.setting);
          assertHalted(other, column.title);
          assert.deepStrictEqual([...other.view.regs], [...bare.view.regs], `${column.title}: registers`);
          assert.strictEqual(other.view.pc, bare.view.pc, `${column.title}: pc`);
          assert.strictEqual(other.view.ticks, bare.view.ticks, `${column.title}: ticks`);
          assert.strictEqual(other.view.flags, bare.view.flags, `${column.title}: flags`);
          assert.ok(Buffer.compare(other.view.memory(), bare.view.memory()) === 0, `${column.title}: guest memory (A and D bits included)`);
        });
      }

      if (op.pvSource) {
        it('paravirtualized variant: halts under paravirtual and does the same work', () => {
          const pv = runSource(op.pvSource!(N), PARAVIRTUAL);
          assertHalted(pv, 'paravirtual (vmcall variant)');
          // r10 rounds, r12 page faults or PTE writes, r5 what the test page read, r9 the last directory.
          for (const reg of [5, 9, 10, 12]) assert.strictEqual(pv.view.regs[reg], bare.view.regs[reg], `r${reg}`);
          assert.strictEqual(pv.view.regs[10], N);
        });
      }
    });
  }

  describe('costs', () => {
    it('a system call and a port read cost more cycles under trap-and-emulate than on bare hardware', () => {
      const syscallBare = cyclesPerOp(syscallSource, BARE, N);
      const syscallTrap = cyclesPerOp(syscallSource, TRAP_AND_EMULATE, N);
      assert.ok(syscallTrap > syscallBare, `system call: ${syscallTrap} vs ${syscallBare}`);
      const ioBare = cyclesPerOp(portIoSource, BARE, N);
      const ioTrap = cyclesPerOp(portIoSource, TRAP_AND_EMULATE, N);
      assert.ok(ioTrap > ioBare, `port I/O: ${ioTrap} vs ${ioBare}`);
    });

    it('context switch: no cr3 exit with nested paging, one per switch with shadow paging', () => {
      const nested = runSource(contextSwitchMicroSource(N), HW_NESTED);
      assertHalted(nested, 'hardware-assist / nested');
      assert.strictEqual(nested.system.counters()!.hwExitsCr3, 0);
      // The prologue's own `mov cr3` is the run with 0 switches; the loop adds exactly N.
      assert.strictEqual(counterDelta(contextSwitchMicroSource, HW_SHADOW, N).hwExitsCr3, N);
    });

    it('paravirtual page-table write: N hypercalls and no protection-fault traps', () => {
      const pv = counterDelta(pteWritePvSource, PARAVIRTUAL, N);
      assert.strictEqual(pv.hypercalls, N);
      assert.strictEqual(pv.trapsProtectionFault, 0);
      // The unmodified guest under the same setting traps on every invlpg.
      assert.strictEqual(counterDelta(pteWriteSource, PARAVIRTUAL, N).trapsProtectionFault, N);
    });

    it('guest invlpg under shadow-on-demand clears one shadow entry, not the whole shadow', () => {
      const onDemand: Setting = { virtualization: 'trap-and-emulate', paging: 'shadow-on-demand' };
      const delta = counterDelta(pteWriteSource, onDemand, N);
      assert.strictEqual(delta.trapsProtectionFault, N, 'each invlpg traps');
      assert.strictEqual(delta.shadowDrops, 0, 'no invlpg drops the shadow');
      // Only the invalidated page is refilled: at most one hidden fault per round, where a dropped shadow refaults code and data.
      assert.ok(delta.hiddenPageFaults <= N, `hidden page faults: ${delta.hiddenPageFaults} for ${N} rounds`);
      const system = createSystem({ ...onDemand, guests: [{ name: 'guest', image: imageOfText(pteWriteSource(2)) }], maxInstructions: 10_000_000 });
      const invlpgs: string[] = [];
      system.hvEvents!.on((event) => {
        if (event.kind === 'tlb-flush' && /invlpg/.test(event.description)) invlpgs.push(event.description);
      });
      assert.strictEqual(system.run().reason, 'halted');
      assert.strictEqual(invlpgs.length, 2, 'the trace has each invlpg');
      for (const description of invlpgs) assert.match(description, /^guest invlpg 0x[0-9a-f]{8}: (its shadow entry cleared|no shadow entry to clear)/);
    });

    it('the table measures a cell (cycles per operation, deterministic)', () => {
      const op = MICRO_OPERATIONS.find((o) => o.name.startsWith('port'))!;
      const bare = measureCell(op, MICRO_COLUMNS[0], 40, 1);
      const trap = measureCell(
        op,
        MICRO_COLUMNS.find((c) => c.setting.virtualization === 'trap-and-emulate')!,
        40,
        1,
      );
      assert.strictEqual(bare.cyclesPerOp, cyclesPerOp(portIoSource, BARE, 40));
      assert.ok(trap.cyclesPerOp > bare.cyclesPerOp);
      assert.ok(Number.isFinite(trap.usPerOp));
      assert.strictEqual(trap.perOp?.trapsProtectionFault, 1);
    });
  });

  // Hypervisor bugs these guests ran into; pending until src/hypervisor is fixed, then enable.
  describe('known hypervisor bugs', () => {
    it('a guest instruction that takes a hidden page fault in every round of a loop does not stop the run', () => {
      // Each `mov cr3` drops the on-demand shadow, so the `ld` after it takes a hidden page fault for its
      // fetch and one for its load, at one pc, every round. The hypervisor's "hidden page faults do not
      // resolve" detector counts faults at one pc without resetting when instructions retire in between,
      // and stops the run with "exception-loop" after 65 of them (round 32 here; bare hardware: 100 rounds).
      const source = `
        .org 0x1000
_start: mov r1, 0x11000 | 3
        st [0x10000], r1
        mov r1, 0x1000 | 3
        st [0x11004], r1
        mov r1, 0x20000 | 3
        st [0x11080], r1
        mov r9, 0x10000
        mov r10, 0
.loop:  mov cr3, r9
        ld r2, [0x20000]
        add r10, 1
        cmp r10, 100
        jb .loop
        cli
        hlt
`;
      for (const setting of [TRAP_AND_EMULATE, HW_SHADOW]) {
        const r = runSource(source, setting);
        assertHalted(r, setting.virtualization);
        assert.strictEqual(r.view.regs[10], 100);
      }
    });

    it('hypercall 10 under hardware-assist / nested flushes the TLB entry of the PTE it writes', () => {
      // Under nested paging the written PTE has no shadow to unmap, so the real TLB keeps the old
      // translation: the page-fault guest takes its #PF once instead of N times.
      const r = runSource(pageFaultPvSource(N), HW_NESTED);
      assertHalted(r, 'hardware-assist / nested');
      assert.strictEqual(r.view.regs[12], N);
    });
  });
});
