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
 * The two paging guests' start: a page table at 0x11000 mapping the first 32
 * pages one to one (P and W, A clear), the console at virtual 0x000ff000, and
 * the directory at 0x10000 pointing at the table; paging is not on yet.
 */
const IDENTITY_MAP_32 = `
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
`;

/**
 * Directory entry 1 points at the kernel's code page, so the immediate of
 * \`mov r1, 0x3003\` is also the entry for one virtual page. Touching that page
 * sets its A bit (0x20), which patches the instruction: the second call returns
 * 0x3023. Prints bits 4-7 of both results: 02 (the stale block gives 00).
 */
export const WALKER_PATCHES_CODE = `${IDENTITY_MAP_32}        mov r1, value
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

/**
 * Two loops whose blocks go on onto the next page (binary translation lets a
 * block span two pages when the second is already accessed): one across a page
 * boundary between two instructions, one with an instruction that crosses it.
 * Each round clears the A bits of the second pages and flushes them (`invlpg`),
 * then prints them after the loops: the fetch from each page sets its bit again,
 * translated or not (111). Then virtual page 1 is mapped to another frame, whose
 * code adds 100 on each turn: the loop must run it (the last line, 3 8 from r7; the old code gives 2 8).
 */
export const TWO_PAGE_BLOCKS = `${IDENTITY_MAP_32}        mov r1, 0x10000
        mov cr3, r1
        call touch1               ; run code on pages 1 and 2 first: translated on first sight, the loops can span them
        call touch2
        mov r3, 0
round:  mov r2, 40
        call straddle
        mov r2, 40
        call crossing
        ld r4, [0x11004]          ; A of page 1, then of page 2
        shr r4, 5
        and r4, 1
        ld r1, [0x11008]
        shr r1, 5
        and r1, 1
        and r4, r1
        add r4, '0'
        stb [0x000ff000], r4
        ld r4, [0x11004]
        and r4, 0xFFFFFFDF
        st [0x11004], r4
        ld r4, [0x11008]
        and r4, 0xFFFFFFDF
        st [0x11008], r4
        mov r5, 0x1000
        invlpg r5
        mov r5, 0x2000
        invlpg r5
        add r3, 1
        cmp r3, 3
        jb round
        mov r1, 10
        stb [0x000ff000], r1
        mov r1, 0x3003            ; virtual page 1 -> the frame at 0x3000
        st [0x11004], r1
        mov r5, 0x1000
        invlpg r5
        mov r7, 0
        mov r2, 40
        call straddle
        mov r1, r7
        shr r1, 12
        and r1, 15
        add r1, '0'
        stb [0x000ff000], r1
        mov r1, ' '
        stb [0x000ff000], r1
        mov r1, r7
        shr r1, 8
        and r1, 15
        add r1, '0'
        stb [0x000ff000], r1
        mov r1, 10
        stb [0x000ff000], r1
        cli
        hlt
        .org 0xff8
straddle: add r6, 1               ; ends at the page boundary
        add r7, r6
        sub r2, 1
        jnz straddle
        ret
touch1: ret
        .org 0x1ff4
crossing: add r6, 1
        sub r2, 1                 ; crosses into page 2
        jnz crossing
        ret
touch2: ret
        .org 0x3000               ; another frame for virtual page 1
        add r7, r6
        add r7, 100
        sub r2, 1
        jnz straddle
        ret
`;

const GUESTS: Array<[string, string, string]> = [
  ['a block looping to itself patches its own later instruction on a hot frame', HOT_SELF_LOOP, 'B\n'],
  ['a block patches two of its own later instructions on a hot frame', HOT_STRAIGHT, 'TV\n'],
  ['a page walk sets the A bit of a page-table entry that is also code', WALKER_PATCHES_CODE, '02\n'],
  ['code fetched from the console page is an invalid opcode', FETCH_FROM_CONSOLE, 'U\n'],
  ['blocks that go on onto a second page: its A bit, and a new mapping of it', TWO_PAGE_BLOCKS, '111\n3 8\n'],
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

  it('the two-page guest translates blocks that span two pages, tiered and on first sight, and retranslates them when the second page changes', () => {
    for (const setting of VIRTUAL_SETTINGS.filter((s) => s.virtualization === 'binary-translation')) {
      const system = createSystem({ ...setting, guests: [{ name: 'g', image: imageOfText(TWO_PAGE_BLOCKS) }] });
      const translator = system.hypervisor!.guests[0].translator!;
      // Blocks translated so far that span two pages, looked at after each translation (a later round replaces them).
      const twoPage = new Set<number>();
      system.hvEvents!.on((event) => {
        if (event.kind !== 'bt-translate') return;
        for (const b of translator.cache.blocks()) if (b.ranges.length === 2 && b.instrs.length > 1 && b.isTranslated) twoPage.add(b.gva);
      });
      assert.strictEqual(system.run().reason, 'halted');
      // Both loops: 0xff8 across the boundary, and 0x1ff4, whose second instruction crosses it.
      assert.deepStrictEqual(
        [...twoPage].sort((x, y) => x - y),
        [0xff8, 0x1ff4],
        settingLabel(setting),
      );
      // After the new mapping of page 1, its code is translated from the new frame.
      assert.ok(
        translator.cache.blocks().some((b) => b.gva === 0x1000 && b.ranges[0][0] === 0x3000),
        `${settingLabel(setting)}: page 1's code translated from the frame at 0x3000`,
      );
    }
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
