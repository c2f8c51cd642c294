// The CPU keeps the translations of the last page loaded from and the last
// page stored to beside the TLB (a data micro-TLB). Each scenario here warms
// that cache on a page, then does one thing that must make it stale (invlpg,
// a cr3 load, a mode change, an LRU eviction, a step back, a shadow change by
// the hypervisor), then touches the same page again: a stale cache would give
// a value, a missing fault or a missing A/D bit that a user would notice. The
// scenarios that rely only on the machine contract run on bare hardware with
// exact expectations and under every setting, which must agree.

import * as assert from 'assert';
import { check, Expected, load } from '../machine/check';
import { A, D, P, tlbSnippet, U, W } from '../machine/tlbSnippet';
import { memoryLoopNative, memoryLoopSource } from '../../scripts/guests';
import { imageOfText, run, settingLabel, VIRTUAL_SETTINGS } from './setup';

interface Scenario {
  name: string;
  source: string;
  regs?: Record<string, number>;
  /** Guest-physical words after the run. */
  words?: Record<number, number>;
  console?: string;
}

const SCENARIOS: Scenario[] = [
  {
    name: 'after invlpg a load from the cached page reads the new frame',
    source: tlbSnippet(`
        ld r2, [0x4000]
        ld r3, [0x4000]          ; through the cached page
        mov r1, 0xB007
        st [0x10], r1            ; PTE 4 -> frame 0xB000
        mov r1, 0x4000
        invlpg r1
        ld r4, [0x4000]
`),
    regs: { r2: 0x8888, r3: 0x8888, r4: 0xbbbb, r10: 0 },
  },
  // In the store scenarios virtual page 4 maps the page table itself, so that the store
  // changing PTE 4 is the one that leaves page 4 cached for stores.
  {
    name: 'after invlpg a store to the cached page goes to the new frame',
    source: tlbSnippet(
      `
        mov r1, 0xB007
        st [0x4010], r1          ; PTE 4 -> frame 0xB000, through page 4: cached for stores
        mov r1, 0x4000
        invlpg r1
        mov r2, 0x1234
        st [0x4004], r2          ; frame 0xB000 (the stale frame would be the page table: PTE 1)
`,
      { ptes: { 4: 0x0000 | P | W | U } },
    ),
    regs: { r10: 0 },
    words: { 0x4: 0, 0xb004: 0x1234 },
  },
  {
    name: 'after a cr3 load to another directory a load reads the other address space',
    source: tlbSnippet(
      `
        ld r2, [0x4000]
        ld r3, [0x4000]
        mov r1, 0x2000
        mov cr3, r1
        ld r4, [0x4000]
`,
      { extra: { 0x2000: '.word 0x3007', 0x3000: '.word 0x0007, 0, 0, 0, 0xC007' } },
    ),
    regs: { r2: 0x8888, r3: 0x8888, r4: 0xcccc, r10: 0 },
  },
  {
    name: 'a store to a page made read-only (then invlpg) faults with protection | write',
    source: tlbSnippet(
      `
        mov r1, 0x0000 | ${P | U}
        st [0x4010], r1          ; PTE 4 read-only, through page 4: cached for stores
        mov r1, 0x4000
        invlpg r1
        mov r2, 0x1234
        st [0x4004], r2
`,
      { ptes: { 4: 0x0000 | P | W | U } },
    ),
    regs: { r10: 14, r11: 3, r12: 0x4004 },
    words: { 0x4: 0 },
  },
  {
    name: 'after invlpg a load walks again and sets A that the guest cleared',
    source: tlbSnippet(`
        ld r2, [0x4000]
        mov r1, 0x8007
        st [0x10], r1            ; A cleared
        mov r1, 0x4000
        invlpg r1
        ld r3, [0x4000]
`),
    regs: { r2: 0x8888, r3: 0x8888, r10: 0 },
    words: { 0x10: 0x8007 | A },
  },
  {
    name: 'a store to a page cached by a load walks and sets D',
    source: tlbSnippet(`
        ld r2, [0x4000]          ; cached for loads, D clear
        ld r2, [0x4000]
        st [0x4004], r2
`),
    regs: { r2: 0x8888, r10: 0 },
    words: { 0x10: 0x8007 | A | D, 0x8004: 0x8888 },
  },
  {
    name: 'back in user mode, a load from a kernel-only page the kernel cached faults (protection | user)',
    source: tlbSnippet(
      `
        ld r2, [0x4000]          ; kernel caches page 4 (no U)
        mov sp, 0x4100           ; the iret frame on page 4 too: the last loads before user mode are there
        mov r1, 0x300
        mov ksp, r1
        push 0x3F0
        push 1
        push 0
        push user
        iret
user:   ld r3, [0x4000]
`,
      { ptes: { 4: 0x8000 | P | W } },
    ),
    regs: { r2: 0x8888, r3: 0, r10: 14, r11: 5, r12: 0x4000 },
  },
  {
    name: 'back in user mode, a store to a kernel-only page the kernel stored to faults (protection | write | user)',
    source: tlbSnippet(
      `
        st [0x40F0], r0          ; kernel caches page 4 for stores (no U)
        mov sp, 0x4100           ; the iret frame is pushed to page 4 too
        mov r1, 0x300
        mov ksp, r1
        push 0x3F0
        push 1
        push 0
        push user
        iret
user:   mov r3, 0x1234
        st [0x4000], r3
`,
      { ptes: { 4: 0x8000 | P | W } },
    ),
    regs: { r3: 0x1234, r10: 14, r11: 7, r12: 0x4000 },
    words: { 0x8000: 0x8888 },
  },
  {
    name: 'console stores and loads through a cached device page reach the device every time',
    source: `
_start: mov r1, 0xFFFF0000
        mov r2, 0x61
        st [r1], r2
        add r2, 1
        st [r1], r2
        add r2, 1
        st [r1], r2
        ld r3, [r1 + 4]
        ld r4, [r1 + 4]
        cli
        hlt
`,
    regs: { r3: 1, r4: 1 },
    console: 'abc',
  },
];

function expectedOf(scenario: Scenario): Expected {
  const expected: Expected = {};
  if (scenario.regs) expected.regs = scenario.regs;
  if (scenario.words) expected.words = Object.fromEntries(Object.entries(scenario.words).map(([k, v]) => [String(k), v]));
  if (scenario.console !== undefined) expected.console = scenario.console;
  return expected;
}

function wordAt(memory: Uint8Array, address: number): number {
  return (memory[address] | (memory[address + 1] << 8) | (memory[address + 2] << 16) | (memory[address + 3] << 24)) >>> 0;
}

describe('CPU: the cached data-page translation is invalidated with the TLB', () => {
  for (const scenario of SCENARIOS) {
    it(`${scenario.name} (bare hardware)`, () => {
      check(scenario.source, { stop: 'halted', ...expectedOf(scenario) });
    });

    it(`${scenario.name} (every setting)`, () => {
      const image = imageOfText(scenario.source);
      for (const setting of VIRTUAL_SETTINGS) {
        const label = settingLabel(setting);
        const { result, view, output } = run(image, setting);
        assert.strictEqual(result.reason, 'halted', `${label}: ${result.detail}`);
        for (const [name, value] of Object.entries(scenario.regs ?? {})) {
          assert.strictEqual(view.regs[Number(name.slice(1))] >>> 0, value, `${label}: ${name}`);
        }
        const memory = view.memory();
        for (const [address, value] of Object.entries(scenario.words ?? {})) {
          assert.strictEqual(wordAt(memory, Number(address)), value, `${label}: word at 0x${Number(address).toString(16)}`);
        }
        if (scenario.console !== undefined) assert.strictEqual(output, scenario.console, `${label}: console`);
      }
    });
  }

  it('an LRU eviction of the cached page (tlbEntries 2) makes the next load walk: it sees the new PTE', () => {
    check(
      tlbSnippet(`
        ld r2, [0x4000]          ; cached for loads
        mov r1, 0xB007
        st [0x10], r1            ; PTE 4 -> frame 0xB000, no invlpg
        st [0x5000], r0          ; page 5 evicts page 4 (the code page was used more recently)
        ld r3, [0x4000]
`),
      { stop: 'halted', regs: { r2: 0x8888, r3: 0xbbbb } },
      { tlbEntries: 2 },
    );
  });

  it('LRU (tlbEntries 3): a load through the cached page is a use, so the other data page is the one evicted', () => {
    check(
      tlbSnippet(`
        ld r2, [0x4000]          ; page 4
        st [0x5000], r0          ; page 5
        ld r3, [0x4000]          ; page 4 again, through the cached page: page 5 is now the least recently used
        mov r1, 0xB007
        st [0x10], r1
        st [0x14], r1            ; PTEs 4 and 5 -> frame 0xB000, no invlpg
        ld r4, [0x6000]          ; page 6 evicts page 5
        ld r5, [0x4000]          ; page 4 survived: stale
        ld r6, [0x5000]          ; page 5 walks again
`),
      { stop: 'halted', regs: { r2: 0x8888, r3: 0x8888, r4: 0xaaaa, r5: 0x8888, r6: 0xbbbb } },
      { tlbEntries: 3 },
    );
  });

  it('without invlpg the cached page stays stale, exactly as its TLB entry does', () => {
    check(
      tlbSnippet(`
        st [0x4000], r0          ; cached for stores, D set
        mov r1, 0xB000 | ${P | W | U}
        st [0x10], r1
        mov r2, 0x1234
        st [0x4000], r2          ; stale entry: frame 0x8000
        ld r3, [0x4000]
`),
      { stop: 'halted', regs: { r3: 0x1234 }, words: { 0x8000: 0x1234, 0xb000: 0xbbbb, 0x10: 0xb007 } },
    );
  });

  it('a step back (state reload) drops the cached page: the replayed load reads the frame of that time', () => {
    const loaded = load(
      tlbSnippet(`
        ld r2, [0x4000]
first:  ld r3, [0x4000]
        mov r1, 0xB007
        st [0x10], r1
        mov r1, 0x4000
        invlpg r1
        ld r4, [0x4000]
`),
    );
    const machine = loaded.machine;
    const cpu = machine.cpu;
    // Run up to `first`, keep that state, run to the end (the cache then holds frame 0xB000), and go back.
    while (cpu.pc >>> 0 !== loaded.label('first')) {
      cpu.runUntilTick = cpu.ticks + 1;
      machine.run();
    }
    const saved = machine.saveState();
    cpu.runUntilTick = Infinity;
    assert.strictEqual(machine.run().reason, 'halted');
    assert.strictEqual(cpu.regs[4] >>> 0, 0xbbbb);
    machine.loadState(saved);
    assert.strictEqual(machine.run().reason, 'halted');
    assert.deepStrictEqual([cpu.regs[3] >>> 0, cpu.regs[4] >>> 0], [0x8888, 0xbbbb]);
  });

  it('binary translation: a store to a page that became a code page traps, so the patched code runs', () => {
    // The stack is on page 3, so the call's push caches page 3 for stores; translating
    // `patch` then write-protects that page in the shadow (a shadow change, with a real
    // TLB flush); the store that patches `mov r5, 1` into `mov r5, 2` must trap so that
    // the stale translation is dropped.
    const image = imageOfText(`
_start: mov sp, 0x3800
        call patch
        mov r6, r5
        ld r1, [alt + 4]
        st [patch + 4], r1
        call patch
        cli
        hlt
alt:    mov r5, 2
        .org 0x3000
patch:  mov r5, 1
        ret
`);
    for (const setting of VIRTUAL_SETTINGS) {
      const { result, view } = run(image, setting);
      assert.strictEqual(result.reason, 'halted', `${settingLabel(setting)}: ${result.detail}`);
      assert.deepStrictEqual([view.regs[6], view.regs[5]], [1, 2], settingLabel(setting));
    }
  });

  it('the memory-heavy bench loop computes what JavaScript computes under every setting', () => {
    const iterations = 3000;
    const image = imageOfText(memoryLoopSource(iterations));
    for (const setting of [{ virtualization: 'none' as const }, ...VIRTUAL_SETTINGS]) {
      const { result, view } = run(image, setting);
      assert.strictEqual(result.reason, 'halted', settingLabel(setting));
      assert.strictEqual(view.regs[2] | 0, memoryLoopNative(iterations), settingLabel(setting));
      assert.strictEqual(view.retired, 3 + 10 * iterations + 2, settingLabel(setting));
    }
  });
});
