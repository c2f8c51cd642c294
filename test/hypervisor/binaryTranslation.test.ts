// Binary translation: pretend-kernel code runs as translated JavaScript blocks,
// cached and chained; writes to translated code drop exactly what they overlap;
// sensitive instructions see the guest's virtual state.

import * as assert from 'assert';
import { createSystem } from '../../src/hypervisor/system';
import { findDivergence } from '../../src/hypervisor/compare';
import { ADAPTIVE_TRAP_LIMIT } from '../../src/hypervisor/binaryTranslate/adaptive';
import { TRANSLATION_THRESHOLD } from '../../src/hypervisor/binaryTranslate/engine';
import { BARE, imageOfText, run, Setting } from './setup';

// Translated on first sight: these tests are about the translated code itself.
const BT = { virtualization: 'binary-translation' as const, paging: 'shadow-on-demand' as const, kernelShadows: 'separate' as const, translationThreshold: 1 };

// The kernel rewrites the immediate of an instruction it has already run (and
// that is therefore translated), then runs it again: the new value must be used.
const SELF_MODIFYING = `
_start: mov sp, 0x8000
        mov r5, 0
.again: call patchme
        add r5, r1
        cmp r5, 100
        jae .done
        mov r2, 41
        st [patchme + 4], r2       ; rewrite the immediate of 'mov r1, 1' below
        jmp .again
.done:  mov r3, '0'
        add r3, r5
        stb [0xFFFF0000], r3
        cli
        hlt
patchme:
        mov r1, 1
        ret
`;

describe('hypervisor: binary translation', () => {
  it('self-modifying kernel code: a write to translated code drops the translation and the new code runs', () => {
    const image = imageOfText(SELF_MODIFYING);
    const bare = run(image, BARE);
    const bt = run(image, BT);
    // 1 on the first call, 41 on every later one: 1 + 41 + 41 + 41 = 124 >= 100.
    assert.strictEqual(bare.view.regs[5], 124);
    assert.strictEqual(bt.view.regs[5], 124);
    assert.strictEqual(bt.output, bare.output);
    const counters = bt.system.counters()!;
    assert.ok(counters.translationInvalidations >= 1, `invalidations ${counters.translationInvalidations}`);
    assert.ok(counters.translations >= 3);
  });

  it('caches and chains blocks; a block that jumps to itself loops inside its translation', () => {
    const image = imageOfText(`
_start: mov r1, 0
.loop:  add r1, 1
        cmp r1, 5000
        jb .loop
        cli
        hlt
`);
    const { system, view } = run(image, BT);
    assert.strictEqual(view.regs[1], 5000);
    const counters = system.counters()!;
    assert.ok(counters.translations <= 6, `translations ${counters.translations}`);
    const blocks = system.hypervisor!.guests[0].translator!.cache.blocks();
    const loop = blocks.find((b) => b.instrs.length === 3)!;
    assert.deepStrictEqual(
      loop.instrs.map((i) => i.instr.info.mnemonic),
      ['add', 'cmp', 'jb'],
    );
    // 5000 iterations in a handful of calls, not 5000 block dispatches.
    assert.ok(loop.executions < 10, `executions ${loop.executions}`);
    assert.match(loop.source, /for \(;;\) \{/);
    assert.match(loop.source, /if \(\(f & 1\) !== 0\) \{ t \+= 3; if \(t \+ 3 <= budget\) continue;/);
    // Flags of the add are dead (the cmp overwrites them): only the cmp computes flags.
    assert.strictEqual((loop.source.match(/f = \/\* \w+Flags \*\//g) ?? []).length, 1);
  });

  it('popf and pushf see the virtual IF, mov rd, evt the guest evt: no divergence from bare hardware', () => {
    const image = imageOfText(`
_start: mov sp, 0x8000
        mov r1, table
        mov evt, r1
        mov r2, evt
        sti
        pushf
        cli
        pushf
        pop r3
        pop r4
        push r4
        popf
        pushf
        pop r6
        cli
        hlt
table:  .space 1024
`);
    const make = (virtualization: 'none' | 'binary-translation') => () => createSystem({ virtualization, guests: [{ name: 'g', image }] });
    const result = findDivergence(make('none'), make('binary-translation'), { chunk: 4 });
    assert.strictEqual(result.divergence, undefined, result.divergence && result.divergence.differences.join('\n'));
    const { view, system } = run(image, BT);
    assert.strictEqual(view.regs[3] & 0x200, 0);
    assert.strictEqual(view.regs[4] & 0x200, 0x200);
    assert.strictEqual(view.regs[6] & 0x200, 0x200);
    assert.ok(system.counters()!.sensitiveInstructions >= 5);
  });

  it('chains a block to its successor: a loop of two blocks jumps block to block', () => {
    const image = imageOfText(`
_start: mov r1, 0
.top:   add r1, 1
        jmp .mid
.mid:   cmp r1, 3000
        jb .top
        cli
        hlt
`);
    const { system, view } = run(image, BT);
    assert.strictEqual(view.regs[1], 3000);
    // .top's jmp is chained to .mid; .mid is a superblock (cmp, jb, cli) whose taken jb is a side exit, found in the cache.
    const counters = system.counters()!;
    assert.ok(counters.chainedJumps > 2950, `chained ${counters.chainedJumps}`);
    assert.ok(counters.translationCacheHits > 2950, `cache hits ${counters.translationCacheHits}`);
  });

  it('a breakpoint at the head of a loop that is one block stops at every iteration, as on bare hardware', () => {
    const image = imageOfText(`
_start: mov r1, 0
        jmp loop
loop:   add r1, 1
        cmp r1, 100
        jb loop
        cli
        hlt
`);
    const loop = 16; // after `mov r1, 0` and `jmp loop`, 8 bytes each
    // Resumed the way the debugger resumes: past the breakpoint it stopped at.
    const hits = (setting: Setting): number[] => {
      const system = createSystem({ ...setting, guests: [{ name: 'g', image }] });
      system.cpu.setBreakpoints([loop]);
      const seen: number[] = [];
      for (let k = 0; k < 150; k++) {
        if (k > 0) system.cpu.skipBreakpointAt = system.guest(0).pc;
        if (system.run().reason !== 'breakpoint') break;
        assert.strictEqual(system.guest(0).pc, loop);
        seen.push(system.guest(0).regs[1]);
      }
      return seen;
    };
    const bare = hits(BARE);
    assert.deepStrictEqual(
      bare,
      Array.from({ length: 100 }, (_, i) => i),
    );
    // On first sight the loop is one translated block at once; tiered, it becomes one after a few iterations.
    assert.deepStrictEqual(hits(BT), bare, 'translated on first sight');
    assert.deepStrictEqual(hits({ ...BT, translationThreshold: 4 }), bare, 'tiered');
  });

  it('the translation cache can be inspected: guest address, instructions and generated code', () => {
    const { system } = run(imageOfText('_start: mov r1, 7\n        add r1, r1\n        cli\n        hlt\n'), BT);
    const blocks = system.hypervisor!.guests[0].translator!.cache.blocks();
    assert.ok(blocks.length >= 1);
    assert.strictEqual(blocks[0].gva, 0);
    assert.match(blocks[0].source, /\/\/ 0x0: mov r1, 0x7/);
    assert.match(blocks[0].source, /env\.callOut\(block, 2\)/);
  });
});

describe('hypervisor: tiered and adaptive binary translation', () => {
  const TIERED = { virtualization: 'binary-translation' as const, paging: 'shadow-on-demand' as const, kernelShadows: 'separate' as const };

  it('a block run fewer times than the threshold is interpreted, not translated; its privileged and sensitive instructions still reach the hypervisor', () => {
    // Each block runs once or twice: below the threshold.
    const image = imageOfText(`
_start: mov sp, 0x8000
        mov r1, 5
        sti
        pushf
        pop r2
        cli
        pushf
        pop r3
        add r1, r1
        cli
        hlt
`);
    const system = createSystem({ ...TIERED, guests: [{ name: 'g', image }], translationThreshold: TRANSLATION_THRESHOLD });
    const emulated: string[] = [];
    system.hvEvents!.on((event) => {
      if (event.kind === 'privileged-emulated' || event.kind === 'bt-translate') emulated.push(`${event.kind}: ${event.instruction}`);
    });
    assert.strictEqual(system.run().reason, 'halted');
    const counters = system.counters()!;
    assert.strictEqual(counters.translations, 0, 'nothing translated');
    // Cold code is not even decoded: it runs on the CPU in block mode, and every instruction counts as interpreted.
    // Only the instructions it hands to the hypervisor are, as one-instruction blocks, never translated.
    const blocks = system.hypervisor!.guests[0].translator!.cache.blocks();
    assert.deepStrictEqual(
      blocks.map((b) => [b.instrs.map((i) => i.instr.info.mnemonic).join(' '), b.isTranslated]),
      [
        ['sti', false],
        ['pushf', false],
        ['cli', false],
        ['pushf', false],
        ['cli', false],
        ['hlt', false],
      ],
    );
    assert.strictEqual(counters.instructionsInterpreted, system.guest(0).retired, 'every instruction interpreted');
    // sti and cli went to the hypervisor as they do from translated code: the guest's virtual IF, never the real one.
    assert.deepStrictEqual(emulated, ['privileged-emulated: sti', 'privileged-emulated: cli', 'privileged-emulated: cli', 'privileged-emulated: hlt']);
    assert.strictEqual(counters.privilegedEmulated, 4, 'sti, cli, cli, hlt');
    assert.strictEqual(counters.sensitiveInstructions, 2, 'both pushf');
    const view = system.guest(0);
    assert.strictEqual(view.regs[2] & 0x200, 0x200, 'pushf after sti sees IF set');
    assert.strictEqual(view.regs[3] & 0x200, 0, 'pushf after cli sees IF clear');
    assert.strictEqual(view.regs[1], 10);
  });

  it('translates a block once it has run TRANSLATION_THRESHOLD times', () => {
    const image = imageOfText(`
_start: mov r1, 0
.loop:  add r1, 1
        cmp r1, 100
        jb .loop
        cli
        hlt
`);
    const system = createSystem({ ...TIERED, guests: [{ name: 'g', image }], translationThreshold: 5 });
    assert.strictEqual(system.run().reason, 'halted');
    const loop = system.hypervisor!.guests[0].translator!.cache.blocks().find((b) => b.instrs.length === 3)!;
    assert.ok(loop.isTranslated);
    assert.match(loop.source, /for \(;;\)/);
    // Four runs interpreted (one iteration each), the fifth translated: it loops inside the translation.
    assert.strictEqual(loop.executions, 5);
    assert.strictEqual(system.guest(0).regs[1], 100);
  });

  const CONSOLE_LOOP = `
_start: mov r1, 0
        mov r2, 0xFFFF0000
.loop:  mov r3, r1
        add r3, 'a'
        stb [r2], r3
        add r1, 1
        cmp r1, 20
        jb .loop
        cli
        hlt
`;

  it('a console store that keeps trapping is retranslated after ADAPTIVE_TRAP_LIMIT traps to call the emulation without a trap', () => {
    const image = imageOfText(CONSOLE_LOOP);
    const bare = run(image, BARE);
    // A low threshold, so that the retranslated block also becomes hot in 20 iterations and is translated.
    const system = createSystem({ ...TIERED, guests: [{ name: 'g', image }], translationThreshold: 4 });
    const retranslations: string[] = [];
    system.hvEvents!.on((event) => {
      if (event.kind === 'bt-translate' && /retranslated/.test(event.description)) retranslations.push(event.description);
    });
    assert.strictEqual(system.run().reason, 'halted');
    assert.strictEqual(Buffer.from(system.guest(0).console).toString('latin1'), bare.output);
    assert.strictEqual(bare.output, 'abcdefghijklmnopqrst');
    const counters = system.counters()!;
    assert.strictEqual(counters.ioEmulated, 20, 'every store emulated');
    // (The other page-fault traps are hidden ones: cold code runs on the CPU, which fetches through the shadow.)
    assert.strictEqual(counters.trapsPageFault - counters.hiddenPageFaults, ADAPTIVE_TRAP_LIMIT, 'only the first stores trapped');
    assert.strictEqual(counters.trapsAvoidedByAdaptiveTranslation, 20 - ADAPTIVE_TRAP_LIMIT);
    const blocks = system.hypervisor!.guests[0].translator!.cache.blocks();
    const adaptive = blocks.find((b) => b.adaptive !== undefined)!;
    assert.deepStrictEqual(adaptive.adaptive, { kind: 'console', traps: ADAPTIVE_TRAP_LIMIT });
    // The block goes on after the emulated store: the whole loop is one block that jumps back to its start.
    assert.deepStrictEqual(adaptive.adaptiveAt, [2]);
    assert.strictEqual(adaptive.instrs[2].instr.info.mnemonic, 'stb');
    assert.strictEqual(adaptive.instrs[adaptive.instrs.length - 1].instr.info.mnemonic, 'jb');
    assert.match(adaptive.source, /adaptive: emulated without a trap[^]*if \(!env\.callOut\(block, 2\)\) return;/);
    assert.deepStrictEqual(retranslations, [
      `retranslated the block at 0x00000010 to call the emulation of \`stb [r2], r3\`, which trapped ${ADAPTIVE_TRAP_LIMIT} times (stores to the memory-mapped console): no trap from now on`,
    ]);
  });

  it('without adaptive translation every console store traps', () => {
    const system = createSystem({ ...TIERED, guests: [{ name: 'g', image: imageOfText(CONSOLE_LOOP) }], isAdaptiveTranslation: false });
    assert.strictEqual(system.run().reason, 'halted');
    const counters = system.counters()!;
    assert.strictEqual(counters.trapsPageFault - counters.hiddenPageFaults, 20);
    assert.strictEqual(counters.trapsAvoidedByAdaptiveTranslation, 0);
  });

  it('a push that keeps trapping on a code page (the stack beside the code) is retranslated, then runs as an ordinary push once the page is hot', () => {
    const image = imageOfText(`
_start: mov sp, stacktop          ; the stack shares the page with the code
        mov r1, 0
        mov r5, 0
.loop:  push r1
        pop r2
        add r5, r2
        add r1, 1
        cmp r1, 50
        jb .loop
        cli
        hlt
        .space 64
stacktop:
`);
    const bare = run(image, BARE);
    const bt = run(image, TIERED);
    assert.strictEqual(bt.result.reason, 'halted');
    assert.strictEqual(bare.view.regs[5], 1225);
    assert.deepStrictEqual([...bt.view.regs], [...bare.view.regs], 'registers as on bare hardware (the stack pointer included)');
    const blocks = bt.system.hypervisor!.guests[0].translator!.cache.blocks();
    const adaptive = blocks.find((b) => b.adaptive !== undefined)!;
    assert.deepStrictEqual(adaptive.adaptive, { kind: 'code-page', traps: ADAPTIVE_TRAP_LIMIT });
    assert.strictEqual(adaptive.instrs[adaptive.adaptiveAt[0]].instr.info.mnemonic, 'push');
    assert.ok(bt.system.counters()!.trapsAvoidedByAdaptiveTranslation >= 1);
  });
});
