// Guests on which binary translation once gave wrong answers (issue 11): code
// patched on a "hot" frame (code and often-written data on one page) by a store
// in the very block that runs it, a code word that is also a page-table entry
// whose A bit the page walk sets, and code fetched from the console page. Each
// runs under every setting and must print what it prints on bare hardware. And
// a debugger's edit of code that has run is what runs next.

import * as assert from 'assert';
import { assembleText } from '../../src/asm';
import { Target } from '../../src/debug/target';
import { createSystem } from '../../src/hypervisor/system';
import { BARE, imageOfText, run, settingLabel, VIRTUAL_SETTINGS } from './setup';

/** 20 data writes to the kernel's own code page: the frame becomes hot (its stores no longer trap). */
const HEAT = `
_start: mov r1, 0
.heat:  st [scratch], r1
        add r1, 1
        cmp r1, 20
        jb .heat
`;
const PRINT_AND_HALT = `
        mov r1, 10
        stb [0xFFFF0000], r1
        cli
        hlt
scratch: .word 0
`;

/** A block that loops to itself patches a later instruction of its own: B, not A. */
export const HOT_SELF_LOOP = `${HEAT}
        mov r5, 'B'
        mov r3, 0
        jmp again                 ; the loop's block starts at its top, so it loops to itself
again:  st [patch + 4], r5
patch:  mov r4, 'A'
        add r3, 1
        cmp r3, 3
        jb again
        stb [0xFFFF0000], r4
${PRINT_AND_HALT}`;

/** Straight-line code whose stores patch two later instructions of the same block: TV, not Ac. */
export const HOT_STRAIGHT = `${HEAT}
        mov r5, 'T'
        mov r6, 'V'
        st [p1 + 4], r5
p1:     mov r1, 'A'
        st [p2 + 4], r6
p2:     mov r2, 'c'
        stb [0xFFFF0000], r1
        stb [0xFFFF0000], r2
${PRINT_AND_HALT}`;

/**
 * Directory entry 1 points at the kernel's code page, so the immediate of
 * \`mov r1, 0x3003\` is also the entry for one virtual page. Touching that page
 * sets its A bit (0x20), which patches the instruction: the second call returns
 * 0x3023. Prints bits 4-7 of both results: 02 (the stale block gives 00).
 */
export const WALKER_PATCHES_CODE = `
_start: mov sp, 0x8000
        mov r3, 0
.map:   mov r4, r3
        shl r4, 12
        or r4, 3
        mov r5, r3
        shl r5, 2
        add r5, 0x11000
        st [r5], r4
        add r3, 1
        cmp r3, 32
        jb .map
        mov r1, 0xFFFF0003
        st [0x113fc], r1          ; the console at virtual 0x000ff000
        mov r1, 0x11003
        st [0x10000], r1
        mov r1, value
        and r1, 0xfffff000
        or r1, 3
        st [0x10004], r1
        mov r1, 0x10000
        mov cr3, r1
        call value
        mov r6, r1
        mov r2, value + 4
        and r2, 0xfff
        shl r2, 10
        add r2, 0x400000
        ld r3, [r2]
        call value
        mov r7, r6
        shr r7, 4
        and r7, 15
        add r7, '0'
        stb [0x000ff000], r7
        shr r1, 4
        and r1, 15
        add r1, '0'
        stb [0x000ff000], r1
        mov r1, 10
        stb [0x000ff000], r1
        cli
        hlt
value:  mov r1, 0x3003
        ret
`;

/** A jump to the console page: the fetch reads zeros, an undefined instruction (#UD), whose handler prints U. */
export const FETCH_FROM_CONSOLE = `
_start: mov sp, 0x8000
        mov r1, vectors
        mov evt, r1
        jmp 0xFFFF0000
ud:     ld r2, [sp + 8]
        mov r1, 'U'
        stb [0xFFFF0000], r1
        mov r1, 10
        stb [0xFFFF0000], r1
        cli
        hlt
vectors: .word 0, 0, 0, 0, 0, 0, ud
        .space 57*4
`;

const GUESTS: Array<[string, string, string]> = [
  ['a block looping to itself patches its own later instruction on a hot frame', HOT_SELF_LOOP, 'B\n'],
  ['a block patches two of its own later instructions on a hot frame', HOT_STRAIGHT, 'TV\n'],
  ['a page walk sets the A bit of a page-table entry that is also code', WALKER_PATCHES_CODE, '02\n'],
  ['code fetched from the console page is an invalid opcode', FETCH_FROM_CONSOLE, 'U\n'],
];

describe('hypervisor: binary translation never runs stale code (guests of issue 11)', () => {
  for (const [name, source, expected] of GUESTS) {
    describe(name, () => {
      const image = imageOfText(source);
      const bare = run(image, BARE);
      it(`bare hardware prints ${JSON.stringify(expected)}`, () => {
        assert.strictEqual(bare.result.reason, 'halted', bare.result.detail);
        assert.strictEqual(bare.output, expected);
      });
      for (const setting of VIRTUAL_SETTINGS) {
        it(`the same under ${settingLabel(setting)}`, () => {
          const other = run(image, setting);
          assert.strictEqual(other.result.reason, bare.result.reason, `${settingLabel(setting)}: ${other.result.detail}`);
          assert.strictEqual(other.output, bare.output, `${settingLabel(setting)}: console`);
          assert.deepStrictEqual([...other.view.regs], [...bare.view.regs], `${settingLabel(setting)}: registers`);
        });
      }
    });
  }

  it('the hot-frame guests reach a hot frame, and the walker guest drops a translation, under binary translation on first sight', () => {
    // Tiered, these short guests' code runs cold on the CPU and is never decoded: nothing to protect or drop.
    const bt = VIRTUAL_SETTINGS.find((s) => s.virtualization === 'binary-translation' && s.translationThreshold === 1)!;
    for (const source of [HOT_SELF_LOOP, HOT_STRAIGHT]) {
      const { system } = run(imageOfText(source), bt);
      assert.ok(system.hypervisor!.guests[0].translator!.cache.hotFrames.size > 0, 'a hot frame');
    }
    const { system } = run(imageOfText(WALKER_PATCHES_CODE), bt);
    assert.ok(system.counters()!.translationInvalidations >= 1, `invalidations ${system.counters()!.translationInvalidations}`);
  });
});

describe('hypervisor: a debugger edit of translated code is seen at once, under every setting', () => {
  const source = `
_start: mov sp, 0x8000
        mov r2, 0
again:  call value
        add r2, 1
        cmp r2, 1000
        jb again
        cli
        hlt
value:  mov r1, 1
        ret
`;
  const assembled = assembleText(source);
  const value = assembled.symbols.find((s) => s.name === 'value')!.value;
  for (const space of ['gpa', 'ma'] as const) {
    for (const setting of [BARE, ...VIRTUAL_SETTINGS]) {
      if (space === 'ma' && setting.virtualization === 'none') continue;
      it(`an edit by ${space === 'gpa' ? 'guest-physical' : 'machine'} address under ${settingLabel(setting)}`, () => {
        const system = createSystem({ ...setting, guests: [{ name: 'g', image: assembled.image! }] });
        system.cpu.runUntilTick = 300;
        assert.strictEqual(system.run().reason, 'budget');
        assert.strictEqual(system.guest(0).regs[1], 1);
        const target = new Target(system);
        const at = space === 'gpa' ? value + 4 : system.hypervisor!.guests[0].memory.toMachine(value + 4);
        assert.strictEqual(target.writeBytes(space, 0, at, Uint8Array.of(7, 0, 0, 0)), 4);
        system.cpu.runUntilTick = Infinity;
        assert.strictEqual(system.run().reason, 'halted');
        assert.strictEqual(system.guest(0).regs[1], 7, 'the edited immediate');
        assert.strictEqual(system.guest(0).regs[2], 1000);
      });
    }
  }
});
