// The classic comparison's conclusions (Adams & Agesen, ASPLOS 2006), asserted
// on the micro-benchmark guests of scripts/microGuests.ts in estimated cycles
// per operation under the first-gen cost profile; and what the modern profile
// changes, as far as the sources of docs/hypervisor.md ("Costs") support it.

import * as assert from 'assert';
import { assembleText } from '../../src/asm';
import { COST_PROFILES, CostModel, CostProfileName, DEFAULT_COST_MODEL, parseCostModel } from '../../src/hypervisor/costs';
import { createSystem, SystemOptions } from '../../src/hypervisor/system';
import { contextSwitchMicroSource, pageFaultSource, portIoSource, pteWriteSource, syscallSource, tlbMissSource } from '../../scripts/microGuests';

type Setting = Pick<SystemOptions, 'virtualization' | 'paging' | 'kernelShadows'>;

const BT: Setting = { virtualization: 'binary-translation', paging: 'shadow-on-demand', kernelShadows: 'separate' };
const HW_SHADOW: Setting = { virtualization: 'hardware-assist', paging: 'shadow-on-demand' };
const HW_NESTED: Setting = { virtualization: 'hardware-assist', paging: 'nested' };
const N = 150;

const cache = new Map<string, { withOps: ReturnType<typeof createSystem>; without: ReturnType<typeof createSystem> }>();

/** Runs the guest with N operations and with none (once per guest and setting). */
function runs(source: (n: number) => string, setting: Setting) {
  const key = `${source.name} ${JSON.stringify(setting)}`;
  let pair = cache.get(key);
  if (!pair) {
    const run = (n: number) => {
      const assembled = assembleText(source(n));
      assert.ok(assembled.image, assembled.diagnostics.map((d) => d.message).join('; '));
      const system = createSystem({ ...setting, guests: [{ name: 'micro', image: assembled.image, inputs: [] }], maxInstructions: 10_000_000 });
      const result = system.run();
      assert.strictEqual(result.reason, 'halted', `${source.name} under ${system.settingName}: ${result.detail}`);
      return system;
    };
    pair = { withOps: run(N), without: run(0) };
    cache.set(key, pair);
  }
  return pair;
}

/** Estimated cycles of one operation: (run with N) - (run with none), over N. */
function perOp(source: (n: number) => string, setting: Setting, profile: CostProfileName = 'first-gen'): number {
  const { withOps, without } = runs(source, setting);
  const model: CostModel = COST_PROFILES[profile];
  return (withOps.estimatedCycles(model) - without.estimatedCycles(model)) / N;
}

function assertCheaper(cheap: number, dear: number, what: string): void {
  assert.ok(cheap < dear, `${what}: expected ${cheap.toFixed(0)} < ${dear.toFixed(0)} cycles per operation`);
}

describe('cost model: the classic comparison on micro-guests', () => {
  describe('first-gen profile (the default)', () => {
    it('is the default cost model', () => {
      assert.deepStrictEqual(DEFAULT_COST_MODEL, COST_PROFILES['first-gen']);
      assert.deepStrictEqual(parseCostModel({}), COST_PROFILES['first-gen']);
    });

    it('prices a hardware-assist exit above a software trap, emulation included', () => {
      const m = COST_PROFILES['first-gen'];
      assert.ok(m.hwExit > m.trap + m.emulate, `exit ${m.hwExit}, trap ${m.trap} + emulate ${m.emulate}`);
    });

    it('binary translation is cheaper than hardware assist with shadow paging on guest page faults', () => {
      assertCheaper(perOp(pageFaultSource, BT), perOp(pageFaultSource, HW_SHADOW), 'guest page fault');
    });

    it('binary translation is cheaper than hardware assist with shadow paging on page-table writes', () => {
      assertCheaper(perOp(pteWriteSource, BT), perOp(pteWriteSource, HW_SHADOW), 'page-table write');
    });

    it('binary translation is cheaper than hardware assist on port I/O', () => {
      assertCheaper(perOp(portIoSource, BT), perOp(portIoSource, HW_SHADOW), 'port I/O');
      assertCheaper(perOp(portIoSource, BT), perOp(portIoSource, HW_NESTED), 'port I/O (nested)');
    });

    it('hardware assist is cheaper than binary translation on system calls', () => {
      assertCheaper(perOp(syscallSource, HW_SHADOW), perOp(syscallSource, BT), 'system call');
      assertCheaper(perOp(syscallSource, HW_NESTED), perOp(syscallSource, BT), 'system call (nested)');
    });

    it('nested paging is cheaper than shadow paging on a guest that switches address spaces and writes its page tables', () => {
      assertCheaper(perOp(contextSwitchMicroSource, HW_NESTED), perOp(contextSwitchMicroSource, HW_SHADOW), 'context switch');
      assertCheaper(perOp(pteWriteSource, HW_NESTED), perOp(pteWriteSource, HW_SHADOW), 'page-table write');
    });

    it('nested paging is dearer than shadow paging on a guest whose working set misses the TLB every time', () => {
      const shadow = runs(tlbMissSource, HW_SHADOW);
      const nested = runs(tlbMissSource, HW_NESTED);
      // The guest's point: every load misses, under both.
      for (const system of [shadow.withOps, nested.withOps]) {
        assert.ok(system.cpu.tlb.misses - (system === shadow.withOps ? shadow : nested).without.cpu.tlb.misses >= N);
      }
      assertCheaper(perOp(tlbMissSource, HW_SHADOW), perOp(tlbMissSource, HW_NESTED), 'TLB-missing load');
      // Each miss is a two-dimensional walk: with two levels in each dimension (2+1)·(2+1)−1 = 8 references, against 2.
      const walk1D = (shadow.withOps.cpu.tlb.walkReferences - shadow.without.cpu.tlb.walkReferences) / N;
      const walk2D = (nested.withOps.counters()!.nestedWalkReferences - nested.without.counters()!.nestedWalkReferences) / N;
      assert.strictEqual(walk1D, 2);
      assert.strictEqual(walk2D, 8);
    });
  });

  describe('modern profile', () => {
    it("cheaper exits shrink hardware assist's cost on guest page faults and its gap to binary translation", () => {
      const firstGen = perOp(pageFaultSource, HW_SHADOW, 'first-gen');
      const modern = perOp(pageFaultSource, HW_SHADOW, 'modern');
      assertCheaper(modern, firstGen, 'hardware assist / shadow, guest page fault');
      const gapFirstGen = firstGen / perOp(pageFaultSource, BT, 'first-gen');
      const gapModern = modern / perOp(pageFaultSource, BT, 'modern');
      assert.ok(gapModern < gapFirstGen / 2, `hardware/software ratio ${gapFirstGen.toFixed(2)} → ${gapModern.toFixed(2)}`);
    });

    it("cheaper exits shrink hardware assist's cost on port I/O, though an exit still costs more than emulation in translated code", () => {
      assertCheaper(perOp(portIoSource, HW_SHADOW, 'modern'), perOp(portIoSource, HW_SHADOW, 'first-gen'), 'port I/O exit');
      assertCheaper(perOp(portIoSource, BT, 'modern'), perOp(portIoSource, HW_SHADOW, 'modern'), 'port I/O, modern');
    });

    it('page-walk caches shrink what a TLB miss costs nested paging, though a 2-D walk still costs more than a 1-D one', () => {
      const surcharge = (profile: CostProfileName) => perOp(tlbMissSource, HW_NESTED, profile) - perOp(tlbMissSource, HW_SHADOW, profile);
      assert.ok(surcharge('modern') < surcharge('first-gen') / 2, `nested surcharge per miss ${surcharge('first-gen')} → ${surcharge('modern')}`);
      assert.ok(surcharge('modern') > 0);
    });

    it('hardware assist keeps its lead on system calls (no exit either way)', () => {
      assertCheaper(perOp(syscallSource, HW_NESTED, 'modern'), perOp(syscallSource, BT, 'modern'), 'system call');
    });
  });

  describe('--cost-model files', () => {
    it('take a profile as their base and override single costs', () => {
      const model = parseCostModel({ profile: 'modern', hwExit: 999 });
      assert.deepStrictEqual(model, { ...COST_PROFILES.modern, hwExit: 999 });
      assert.throws(() => parseCostModel({ profile: 'pentium' }), /'profile' must be one of 'first-gen', 'modern'/);
      assert.throws(() => parseCostModel({ hwexit: 1 }), /unknown cost model key 'hwexit'/);
    });
  });
});
