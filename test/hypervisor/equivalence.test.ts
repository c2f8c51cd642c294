// Equivalence (g32-isa.md §7): for a guest that uses no sensitive instruction,
// every setting gives the same console output, final registers and guest
// memory (A and D bits included) as bare hardware, only at different costs.

import * as assert from 'assert';
import fc from 'fast-check';
import { BARE, imageOfFile, imageOfText, input, run, Run, Setting, settingLabel, VIRTUAL_SETTINGS } from './setup';
import { Image } from '../../src/asm';
import { TimedInput } from '../../src/machine/devices/keyboard';

function assertEquivalent(image: Image, setting: Setting, options: { inputs?: TimedInput[]; tlbEntries?: number; maxInstructions?: number } = {}, bare = run(image, BARE, options)): Run {
  const other = run(image, setting, options);
  const label = settingLabel(setting);
  assert.strictEqual(other.result.reason, bare.result.reason, `${label}: stop reason (${other.result.detail})`);
  assert.strictEqual(other.output, bare.output, `${label}: console output`);
  assert.deepStrictEqual([...other.view.regs], [...bare.view.regs], `${label}: registers`);
  assert.strictEqual(other.view.pc, bare.view.pc, `${label}: pc`);
  assert.strictEqual(other.view.flags, bare.view.flags, `${label}: flags`);
  assert.strictEqual(other.view.isUser, bare.view.isUser, `${label}: mode`);
  assert.strictEqual(other.view.ticks, bare.view.ticks, `${label}: ticks`);
  const a = bare.view.memory();
  const b = other.view.memory();
  if (Buffer.compare(a, b) !== 0) {
    let i = 0;
    while (a[i] === b[i]) i++;
    assert.fail(`${label}: guest memory differs first at physical 0x${i.toString(16)}: bare ${a[i]}, ${label} ${b[i]}`);
  }
  return other;
}

describe('hypervisor: equivalence with bare hardware', () => {
  const examples: Array<[string, TimedInput[]]> = [
    ['examples/hello.g32', []],
    ['examples/os/kernel.g32', [input(2000, 'k')]],
    ['examples/os/kernel.g32', []],
    ['examples/os/kernel.g32', [input(0, 'xyz')]],
  ];
  for (const [file, inputs] of examples) {
    for (const setting of VIRTUAL_SETTINGS) {
      it(`${file}${inputs.length ? ` with input at ${inputs[0].tick}` : ''} under ${settingLabel(setting)}`, () => {
        assertEquivalent(imageOfFile(file), setting, { inputs });
      });
    }
  }

  it('the OS with a 2-entry TLB and with no TLB under every setting', () => {
    for (const tlbEntries of [0, 2]) {
      for (const setting of VIRTUAL_SETTINGS) assertEquivalent(imageOfFile('examples/os/kernel.g32'), setting, { inputs: [input(2000, 'k')], tlbEntries });
    }
  });

  for (const setting of VIRTUAL_SETTINGS.filter((s) => s.virtualization === 'hardware-assist' || s.virtualization === 'binary-translation')) {
    it(`popf.g32 (sensitive instructions) is equivalent under ${settingLabel(setting)}`, () => {
      assertEquivalent(imageOfFile('examples/popf.g32'), setting);
    });
  }

  it('popf.g32 is NOT equivalent under trap-and-emulate (the lesson)', () => {
    const image = imageOfFile('examples/popf.g32');
    const bare = run(image, BARE);
    const other = run(image, VIRTUAL_SETTINGS[0]);
    assert.notStrictEqual(other.output, bare.output);
    assert.match(other.output, /interrupts lost/);
  });

  describe('random guest programs (fast-check)', () => {
    it('kernel and user code with paging, system calls, faults and timer interrupts agree under every setting', () => {
      // Each guest under all the settings (the failure names the setting; fast-check prints the seed to replay it).
      // What binary translation's tiers reached: blocks interpreted until hot, then translated; console stores emulated without a trap.
      let hotBlocks = 0;
      let trapsAvoided = 0;
      fc.assert(
        fc.property(randomProgram(), fc.constantFrom(0, 2, 16), (program, tlbEntries) => {
          const image = imageOfText(program);
          const options = { tlbEntries, maxInstructions: 20000, inputs: [input(37, 'ab')] };
          const bare = run(image, BARE, options);
          for (const setting of VIRTUAL_SETTINGS) {
            const other = assertEquivalent(image, setting, options, bare);
            const translator = other.system.hypervisor?.guests[0].translator;
            if (translator && translator.translationThreshold > 1) hotBlocks += translator.cache.blocks().filter((b) => b.isTranslated && b.adaptive === undefined).length;
            trapsAvoided += other.system.counters()?.trapsAvoidedByAdaptiveTranslation ?? 0;
          }
        }),
        { numRuns: 30 },
      );
      assert.ok(hotBlocks > 20, `blocks translated once hot ${hotBlocks}`);
      assert.ok(trapsAvoided > 20, `console stores emulated without a trap ${trapsAvoided}`);
    });
  });
});

const REGS = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'];

/**
 * A random guest: a kernel that builds a page table (kernel page, user pages,
 * one read-only page, a data page it remaps), enables the timer and enters a
 * random user body through iret; user code does arithmetic, loads and stores
 * (some faulting), system calls and console output. Handlers count events and
 * print, so every difference shows in memory, registers or output.
 */
function randomProgram(): fc.Arbitrary<string> {
  const reg = fc.constantFrom(...REGS);
  const imm = fc.oneof(fc.integer({ min: 0, max: 0xffffffff }), fc.constantFrom(0, 1, 0x7fffffff, 0x80000000, 0xffffffff));
  const alu = fc.constantFrom('add', 'sub', 'and', 'or', 'xor', 'shl', 'shr', 'sar', 'mul', 'cmp', 'test');
  const offset = fc.integer({ min: 0, max: 1020 }).map((n) => n & ~3);
  const userInstr = fc.oneof(
    fc.tuple(alu, reg, reg).map(([op, a, b]) => `${op} ${a}, ${b}`),
    fc.tuple(alu, reg, imm).map(([op, a, v]) => `${op} ${a}, ${v}`),
    fc.tuple(reg, imm).map(([a, v]) => `mov ${a}, ${v}`),
    fc.tuple(reg, offset).map(([a, o]) => `st [0x00402000 + ${o}], ${a}`),
    fc.tuple(reg, offset).map(([a, o]) => `ld ${a}, [0x00402000 + ${o}]`),
    fc.tuple(reg, offset).map(([a, o]) => `stb [0x00403000 + ${o}], ${a}`),
    fc.tuple(reg, offset).map(([a, o]) => `ld ${a}, [0x00403000 + ${o}]`),
    fc.tuple(reg).map(([a]) => `push ${a}\n        pop ${a}`),
    fc.constant('mov r0, 1\n        syscall'),
    fc.tuple(reg).map(([a]) => `mov r0, 2\n        mov r1, ${a}\n        syscall`),
    // A burst of output: the kernel's console store traps often enough for adaptive translation.
    fc.tuple(reg, fc.integer({ min: 4, max: 8 })).map(([a, n]) => Array.from({ length: n }, () => `mov r0, 2\n        mov r1, ${a}\n        syscall`).join('\n        ')),
    fc.constant('st [0x00404000], r1'), // read-only page: a guest-visible protection fault, skipped by the handler
    fc.constant('ld r1, [0x00800000]'), // not present: a guest-visible page fault
    fc.constant('nop'),
    fc.tuple(reg, reg).map(([a, b]) => `cmp ${a}, ${b}\n        jb %SKIP%\n        add ${a}, 1\n%SKIP_LABEL%:`),
  );
  // User code is linked at physical 0x20000 but runs at virtual 0x00400000, so jump targets are rebased.
  return fc
    .tuple(fc.array(userInstr, { minLength: 5, maxLength: 40 }), fc.constantFrom(13, 13, 97, 1000))
    .map(([body, period]) =>
      PROGRAM_TEMPLATE.replace('%PERIOD%', String(period)).replace(
        '%BODY%',
        body.map((text, i) => `        ${text.replace('%SKIP%', `user_skip_${i} - 0x20000 + 0x00400000`).replace('%SKIP_LABEL%', `user_skip_${i}`)}`).join('\n'),
      ),
    );
}

const PROGRAM_TEMPLATE = `
; kernel at 0x1000, page directory at 0x10000, page table at 0x11000
; user code at physical 0x20000 (virtual 0x00400000), stack 0x21000 (0x00401000),
; data 0x22000 (0x00402000), bytes 0x23000 (0x00403000), read-only 0x24000 (0x00404000)
        .org 0x1000
_start:
        mov r1, vectors
        mov evt, r1
        mov r1, 0x8000
        mov ksp, r1
        mov sp, 0x8000
        ; identity-map the first 4 MiB for the kernel (no U), then the user window
        mov r1, 0x10000
        mov r2, 0x11000
        or r2, 3
        st [r1], r2
        mov r3, 0
.map:   mov r4, r3
        shl r4, 12
        or r4, 3
        mov r5, r3
        shl r5, 2
        add r5, 0x11000
        st [r5], r4
        add r3, 1
        cmp r3, 64
        jb .map
        mov r1, 0x10000 + 4
        mov r2, 0x12000 | 7
        st [r1], r2
        mov r1, 0x20000 | 7
        st [0x12000], r1
        mov r1, 0x21000 | 7
        st [0x12004], r1
        mov r1, 0x22000 | 7
        st [0x12008], r1
        mov r1, 0x23000 | 7
        st [0x1200c], r1
        mov r1, 0x24000 | 5
        st [0x12010], r1
        mov r1, 0xFFFF0000 | 3
        st [0x113fc], r1      ; the console at virtual 0x000ff000, kernel only
        mov r1, 0x10000
        mov cr3, r1
        mov r1, %PERIOD%
        out 0x40, r1
        ; enter user mode: frame sp, mode, flags, pc
        push 0x00402000
        push 1
        push 0x200
        push 0x00400000
        iret

vectors:
        .word 0, 0, 0, 0, 0, 0, fault, 0, 0, 0, 0, 0, 0, fault, fault
        .space 17*4
        .word timer, keyboard
        .space 14*4
        .word sys

fault:  ; count, then skip the faulting instruction (all faulting ones are 8 bytes)
        ld r9, [0x9000]
        add r9, 1
        st [0x9000], r9
        add sp, 8
        ld r9, [sp]
        add r9, 8
        st [sp], r9
        iret
timer:  ld r9, [0x9004]
        add r9, 1
        st [0x9004], r9
        add sp, 8
        iret
keyboard:
        in r9, 0x60
        st [0x9008], r9
        add sp, 8
        iret
sys:    cmp r0, 1
        jnz .put
        ld r9, [0x900c]
        add r9, 1
        st [0x900c], r9
        add sp, 8
        iret
.put:   cmp r0, 2
        jnz .exit
        and r1, 63
        add r1, 48
        mov r9, 0x000ff000
        stb [r9], r1
        add sp, 8
        iret
.exit:  mov r9, 0x000ff000
        mov r1, 10
        stb [r9], r1
        cli
        hlt

        .org 0x20000
        .entry _start
user:
%BODY%
        mov r0, 3
        syscall
`;
