// The divergence finder: the first instruction where guest-visible state
// under a setting differs from bare hardware, or that none did.

import * as assert from 'assert';
import { assembleText } from '../../src/asm';
import { findDivergence, formatDivergence } from '../../src/hypervisor/compare';
import { createSystem } from '../../src/hypervisor/system';
import { imageOfFile, imageOfText, input } from './setup';
import { Image } from '../../src/asm';
import { TimedInput } from '../../src/machine/devices/keyboard';
import { FIRST_FLAGS_ELIDED, LOOP_EXIT_IGNORES_NEXT_ITERATION, plant, PlantedBug } from './plantedBugs';

function compare(image: Image, inputs: TimedInput[] = []) {
  const make = (virtualization: 'none' | 'trap-and-emulate') => () => createSystem({ virtualization, guests: [{ name: 'g', image, inputs }] });
  return findDivergence(make('none'), make('trap-and-emulate'), { chunk: 500 });
}

describe('hypervisor: divergence finder', () => {
  it('finds and explains the popf divergence of examples/popf.g32', () => {
    const result = compare(imageOfFile('examples/popf.g32'));
    const d = result.divergence!;
    assert.ok(d, 'a divergence');
    assert.strictEqual(d.instruction, 'popf');
    assert.ok(
      d.differences.some((line) => /^flags: bare .*IF=1.*trap-and-emulate .*IF=0/.test(line)),
      d.differences.join('\n'),
    );
    assert.match(d.explanation, /sensitive but not privileged/);
    assert.match(formatDivergence(result), /at pc 0x[0-9a-f]{8}: popf/);
  });

  it('finds a guest that detects the hypervisor with mov rd, evt', () => {
    const result = compare(
      imageOfText(`
_start: mov r1, table
        mov evt, r1
        mov r2, evt
        cmp r1, r2
        jnz .vm
        mov r3, 'B'
        jmp .out
.vm:    mov r3, 'V'
.out:   stb [0xFFFF0000], r3
        cli
        hlt
table:  .space 1024
`),
    );
    assert.strictEqual(result.divergence?.instruction, 'mov r2, evt');
    assert.ok(result.divergence.differences.some((line) => line.startsWith('r2: bare')));
    assert.match(result.divergence.explanation, /detect that it runs in a VM/);
  });

  it('binary translation and hardware assist run popf.g32 and a VM-detecting guest like bare hardware', () => {
    const vmDetect = imageOfText('_start: mov r1, 0x800\n        mov evt, r1\n        mov r2, evt\n        cli\n        hlt\n');
    for (const image of [imageOfFile('examples/popf.g32'), vmDetect]) {
      for (const setting of [
        { virtualization: 'binary-translation' as const },
        { virtualization: 'hardware-assist' as const, paging: 'nested' as const },
        { virtualization: 'hardware-assist' as const, paging: 'shadow-on-demand' as const },
      ]) {
        const result = findDivergence(
          () => createSystem({ virtualization: 'none', guests: [{ name: 'g', image }] }),
          () => createSystem({ ...setting, guests: [{ name: 'g', image }] }),
          { chunk: 500 },
        );
        assert.strictEqual(result.divergence, undefined, `${setting.virtualization}: ${result.divergence?.differences.join('; ')}`);
      }
    }
  });

  it('reports no divergence for the example OS, which uses no sensitive instruction', () => {
    const result = compare(imageOfFile('examples/os/kernel.g32'), [input(2000, 'k')]);
    assert.strictEqual(result.divergence, undefined);
    assert.strictEqual(result.reference.reason, 'halted');
    assert.ok(result.ticksCompared > 20000);
    assert.match(formatDivergence(result), /^no divergence/);
  });

  it('finds a divergence late in a long run (after several chunks)', () => {
    const result = compare(
      imageOfText(`
_start: mov sp, 0x8000
        mov r1, 0
.loop:  add r1, 1
        cmp r1, 3000
        jb .loop
        cli
        pushf
        pop r2
        cli
        hlt
`),
    );
    assert.strictEqual(result.divergence?.instruction, 'pushf');
    assert.ok(result.divergence.retired > 9000);
    assert.ok(
      result.divergence.differences.some((line) => line.startsWith('memory at physical')),
      result.divergence.differences.join('\n'),
    );
  });
});

describe('hypervisor: divergence finder and translated blocks', () => {
  // A timer every 500 ticks; the kernel counts in a loop that binary translation runs inside one block.
  const TIMED_LOOP = `
_start: mov sp, 0x8000
        mov r1, table
        mov evt, r1
        mov r1, 500
        out 0x40, r1
        sti
        mov r2, 0
        jmp count
count:  add r2, 1
        cmp r2, 20000
        jb count
        cli
        ld r4, [ticks]
        hlt
timer:  ld r3, [ticks]
        add r3, 1
        st [ticks], r3
        add sp, 8
        iret
ticks:  .word 0
table:  .space 32*4
        .word timer
        .space 31*4
`;

  it('finds a divergence that only translated blocks show (a planted loop-exit bug), in the block where it happens', () => {
    const image = imageOfText(TIMED_LOOP);
    const bare = createSystem({ virtualization: 'none', guests: [{ name: 'g', image }] });
    assert.strictEqual(bare.run().reason, 'halted');
    assert.ok(bare.guest(0).regs[4] > 100, `timer interrupts ${bare.guest(0).regs[4]}`);
    const make = (virtualization: 'none' | 'binary-translation', bug?: PlantedBug) => () => {
      const system = createSystem({ virtualization, guests: [{ name: 'g', image }] });
      if (bug) plant(system, bug);
      return system;
    };
    assert.strictEqual(findDivergence(make('none'), make('binary-translation'), { chunk: 2000 }).divergence, undefined);
    const result = findDivergence(make('none'), make('binary-translation', LOOP_EXIT_IGNORES_NEXT_ITERATION), { chunk: 2000 });
    const d = result.divergence;
    assert.ok(d, formatDivergence(result));
    assert.match(d.instruction, /^(add r2, 0x1|cmp r2, 0x4e20|jb )/);
    assert.match(d.explanation, /ran \d+ instructions from here in one translated block/);
    // The timer's first interrupt is due at tick 500: bare hardware has taken it, the planted loop ran on past it.
    assert.ok(d.retired < 500, `retired ${d.retired}`);
    assert.ok(result.ticksCompared < 500, `compared ${result.ticksCompared}`);
    assert.ok(
      d.differences.some((line) => line.startsWith('pc: bare')),
      d.differences.join('\n'),
    );
    assert.match(formatDivergence(result), /^divergence under binary-translation/);
  });

  it('finds a planted flag-elision bug in the translated loop where the flags go wrong', () => {
    const image = imageOfText(TIMED_LOOP);
    const make = (virtualization: 'none' | 'binary-translation', bug?: PlantedBug) => () => {
      // Translated on first sight, so that the first block with the planted bug is the loop's.
      const system = createSystem({ virtualization, guests: [{ name: 'g', image }], translationThreshold: 1 });
      if (bug) plant(system, bug);
      return system;
    };
    const result = findDivergence(make('none'), make('binary-translation', FIRST_FLAGS_ELIDED), { chunk: 2000 });
    const d = result.divergence;
    assert.ok(d, formatDivergence(result));
    assert.strictEqual(d.pc, assembleText(TIMED_LOOP).symbols.find((s) => s.name === 'count')!.value, 'the loop');
    assert.ok(
      d.differences.some((line) => line.startsWith('flags: bare')),
      d.differences.join('\n'),
    );
  });
});
