// Random guest kernels (fast-check) written to reach what binary translation
// does with long stretches of kernel code: long straight runs (blocks of many
// instructions, flag elision), loops that jump to their own start (loops inside
// one translated block), calls and conditional jumps (chaining), timer
// interrupts far apart and close together (landing inside translated loops),
// and code that shares its page with data it writes (hot frames) and patches
// its own instructions. Every guest must end exactly as on bare hardware.

import * as assert from 'assert';
import fc from 'fast-check';
import { assembleText } from '../../src/asm';
import { createSystem, SETTING_CHOICES } from '../../src/hypervisor/system';
import { Setting, settingLabel, TRANSLATION_VARIANTS } from './setup';
import { isConditionalJump, Vector } from '../../src/machine/isa';

const REGS = ['r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7'];
const reg = fc.constantFrom(...REGS);
const imm = fc.oneof(fc.integer({ min: -0x80000000, max: 0x7fffffff }), fc.constantFrom(0, 1, -1, 0x7fffffff, -0x80000000), fc.integer({ min: -8, max: 8 }));
const alu = fc.constantFrom('add', 'sub', 'and', 'or', 'xor', 'shl', 'shr', 'sar', 'mul', 'cmp', 'test');
const condition = fc.constantFrom('jz', 'jnz', 'jl', 'jge', 'jle', 'jg', 'jb', 'jae', 'jbe', 'ja', 'js', 'jns');
/** Word offsets into the data area (r0 points at it and is never written). */
const offset = fc.integer({ min: 0, max: 63 }).map((n) => n * 4);

/** One instruction (or a short idiom) of a straight run; `%N%` becomes a unique number. */
const straight: fc.Arbitrary<string> = fc.oneof(
  { weight: 6, arbitrary: fc.tuple(alu, reg, reg).map(([op, a, b]) => `${op} ${a}, ${b}`) },
  { weight: 6, arbitrary: fc.tuple(alu, reg, imm).map(([op, a, v]) => `${op} ${a}, ${v}`) },
  { weight: 2, arbitrary: fc.tuple(reg, imm).map(([a, v]) => `mov ${a}, ${v}`) },
  { weight: 1, arbitrary: fc.tuple(reg, reg).map(([a, b]) => `mov ${a}, ${b}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('not', 'neg'), reg).map(([op, a]) => `${op} ${a}`) },
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('divu', 'remu'), reg, fc.integer({ min: 1, max: 0xffff })).map(([op, a, v]) => `${op} ${a}, ${v}`) },
  { weight: 2, arbitrary: fc.tuple(reg, offset).map(([a, o]) => `st [r0 + ${o}], ${a}`) },
  { weight: 2, arbitrary: fc.tuple(reg, offset).map(([a, o]) => `ld ${a}, [r0 + ${o}]`) },
  { weight: 1, arbitrary: fc.tuple(reg, offset).map(([a, o]) => `stb [r0 + ${o + 1}], ${a}`) },
  { weight: 1, arbitrary: fc.tuple(reg, offset).map(([a, o]) => `ldb ${a}, [r0 + ${o + 3}]`) },
  { weight: 1, arbitrary: fc.tuple(reg, offset).map(([a, o]) => `lea ${a}, [r0 + ${o}]`) },
  { weight: 1, arbitrary: fc.tuple(reg, reg).map(([a, b]) => `push ${a}\n        pop ${b}`) },
  // A flag writer read by a conditional jump over one instruction.
  { weight: 2, arbitrary: fc.tuple(alu, reg, reg, condition, reg).map(([op, a, b, j, c]) => `${op} ${a}, ${b}\n        ${j} skip%N%\n        add ${c}, 1\nskip%N%:`) },
  // A store to the memory-mapped console: it traps, and in a loop often enough for adaptive translation.
  { weight: 1, arbitrary: reg.map((a) => `stb [0xFFFF0000], ${a}`) },
  // An instruction whose immediate a store may patch (self-modifying code).
  { weight: 1, arbitrary: fc.tuple(fc.constantFrom('mov', 'add', 'xor'), reg, imm).map(([op, a, v]) => `patch%N%: ${op} ${a}, ${v}`) },
);

interface Kernel {
  source: string;
  period: number;
  isMixed: boolean;
  loops: number;
}

/**
 * A kernel: a timer every `period` ticks (0: none), random registers, then segments
 * (straight runs; counted loops whose block jumps to its own start; calls), a dump of
 * every register and the flags, and hlt. The timer handler folds the interrupted pc,
 * flags and loop counter into a checksum, so an interrupt taken a tick late shows.
 * With `isMixed` the data lives on the code's own page, and stores patch immediates.
 */
function kernel(): fc.Arbitrary<Kernel> {
  const run = (min: number, max: number) => fc.array(straight, { minLength: min, maxLength: max });
  const segment = fc.oneof(
    { weight: 2, arbitrary: run(3, 40).map((body) => ({ kind: 'straight' as const, body, count: 0 })) },
    {
      weight: 3,
      arbitrary: fc
        .tuple(run(1, 8), fc.integer({ min: 1, max: 400 }), fc.boolean())
        .map(([body, count, isEntered]) => ({ kind: isEntered ? ('loop-entered' as const) : ('loop' as const), body, count })),
    },
    // Calls from a counted loop (r9), so that the call's block chains to the subroutine's once both are decoded.
    { weight: 1, arbitrary: fc.tuple(run(1, 12), fc.integer({ min: 1, max: 40 })).map(([body, count]) => ({ kind: 'call' as const, body, count })) },
  );
  return fc
    .record({
      segments: fc.array(segment, { minLength: 2, maxLength: 8 }),
      period: fc.constantFrom(0, 7, 13, 61, 200, 499, 1000, 3001),
      isMixed: fc.boolean(),
      patchSource: reg,
      init: fc.array(imm, { minLength: 7, maxLength: 7 }),
    })
    .map(({ segments, period, isMixed, patchSource, init }) => {
      let n = 0;
      let patches = 0;
      const lines: string[] = [];
      const subs: string[] = [];
      const expand = (body: string[]) =>
        body.map((text) => {
          n++;
          if (text.includes('patch%N%')) patches++;
          return `        ${text.replace(/%N%/g, String(n))}`;
        });
      let loops = 0;
      segments.forEach((segment, i) => {
        const body = expand(segment.body);
        if (segment.kind === 'straight') lines.push(...body);
        else if (segment.kind === 'call') {
          lines.push(`        mov r9, ${segment.count}`, `calls${i}: call sub${i}`, '        sub r9, 1', `        jnz calls${i}`);
          subs.push(`sub${i}:`, ...body, '        ret');
        } else {
          loops++;
          // Entered by a jump, the loop's first block starts at its head and jumps back to itself.
          lines.push(
            `        mov r8, ${segment.count}`,
            ...(segment.kind === 'loop-entered' ? [`        jmp loop${i}`] : []),
            `loop${i}:`,
            ...body,
            '        sub r8, 1',
            `        jnz loop${i}`,
            `loop${i}_end:`,
          );
        }
      });
      // Stores that patch the immediates of labelled instructions, earlier or later, in loops or not.
      const patchLines = Array.from({ length: patches }, (_, k) => k);
      const withPatches =
        isMixed && patches > 0
          ? lines.flatMap((line, index) => (index % 5 === 2 ? [line, `        st [${patchLabel(lines, patchLines[index % patchLines.length])} + 4], ${patchSource}`] : [line]))
          : lines;
      const source = `
_start: mov sp, 0x8000
        mov r1, table
        mov evt, r1
        mov r0, ${isMixed ? 'data' : '0x6000'}
${period > 0 ? `        mov r1, ${period}\n        out 0x40, r1\n        sti` : ''}
${init.map((v, i) => `        mov r${i + 1}, ${v}`).join('\n')}
        mov r8, 0
${withPatches.join('\n')}
done:   cli
${REGS.map((r, i) => `        st [0x7000 + ${4 * i}], ${r}`).join('\n')}
        pushf
        pop r1
        st [0x7040], r1
        hlt
${subs.join('\n')}
timer:  push r1
        push r2
        ld r1, [0x7080]
        add r1, 1
        st [0x7080], r1
        ld r1, [0x7084]
        mul r1, 31
        ld r2, [sp + 16]
        add r1, r2
        ld r2, [sp + 20]
        xor r1, r2
        add r1, r8
        st [0x7084], r1
        pop r2
        pop r1
        add sp, 8
        iret
        .align 4
data:   .space 256
        .align 4
table:  .space ${Vector.TIMER}*4
        .word timer
        .space 31*4
`;
      return { source, period, isMixed, loops };
    });
}

/** The label of the k-th patchable instruction in `lines` (wrapping), or the data area when there is none. */
function patchLabel(lines: string[], k: number): string {
  const labels = lines.map((line) => /^\s*(patch\d+):/.exec(line)?.[1]).filter((l): l is string => l !== undefined);
  return labels.length === 0 ? 'data' : labels[k % labels.length];
}

interface Outcome {
  reason: string;
  regs: number[];
  pc: number;
  flags: number;
  ticks: number;
  console: string;
  memory: string;
}

function outcome(system: ReturnType<typeof createSystem>): Outcome {
  const result = system.run();
  const view = system.guest(0);
  return {
    reason: result.reason,
    regs: [...view.regs],
    pc: view.pc,
    flags: view.flags,
    ticks: view.ticks,
    console: Buffer.from(view.console).toString('hex'),
    memory: Buffer.from(view.memory()).toString('base64'),
  };
}

/** Both binary-translation settings, each tiered and on first sight, with adaptive translation on and off. */
const BINARY_TRANSLATION = SETTING_CHOICES.filter((s) => s.virtualization === 'binary-translation').flatMap((s) => TRANSLATION_VARIANTS.map((v) => ({ ...s, ...v })));

/** What the translated runs reached, summed over a property's runs. */
interface Reached {
  multiBlocks: number;
  loopBlocks: number;
  chained: number;
  interruptsInLoops: number;
  hotFrames: number;
  patchedBlocks: number;
  hotBlocks: number;
  trapsAvoided: number;
  superBlocks: number;
}

const nothingReached = (): Reached => ({ multiBlocks: 0, loopBlocks: 0, chained: 0, interruptsInLoops: 0, hotFrames: 0, patchedBlocks: 0, hotBlocks: 0, trapsAvoided: 0, superBlocks: 0 });

/** Runs `k` on bare hardware and under both binary-translation settings; asserts they agree, counts what was reached. */
function checkKernel(k: Kernel, reached: Reached): void {
  const assembled = assembleText(k.source);
  if (!assembled.image) throw new Error(`does not assemble: ${assembled.diagnostics.map((d) => `${d.line}: ${d.message}`).join('; ')}\n${k.source}`);
  const image = assembled.image;
  const options = (setting: Setting) => ({ ...setting, guests: [{ name: 'kernel', image, memory: 0x10000 }], maxInstructions: 20000 });
  const bareSystem = createSystem(options({ virtualization: 'none' }));
  const loopRanges = assembled.symbols
    .filter((s) => /^loop\d+$/.test(s.name))
    .map((s) => {
      const end = assembled.symbols.find((e) => e.name === `${s.name}_end`)!;
      return [s.value, end.value] as const;
    });
  bareSystem.events.on((event) => {
    if (event.kind === 'exception' && event.vector === Vector.TIMER && loopRanges.some(([start, end]) => event.pc >= start && event.pc < end)) reached.interruptsInLoops++;
  });
  const bare = outcome(bareSystem);
  for (const setting of BINARY_TRANSLATION) {
    const system = createSystem(options(setting));
    const translated = outcome(system);
    const label = `${settingLabel(setting)}, timer every ${k.period || 'never'}${k.isMixed ? ', code and data mixed' : ''}`;
    if (JSON.stringify(translated) !== JSON.stringify(bare)) {
      const diff = (Object.keys(bare) as Array<keyof Outcome>).filter((key) => JSON.stringify(bare[key]) !== JSON.stringify(translated[key]));
      assert.fail(
        `${label}: ${diff.map((key) => (key === 'memory' ? 'memory differs' : `${key}: bare ${JSON.stringify(bare[key])}, translated ${JSON.stringify(translated[key])}`)).join('; ')}\n${k.source}`,
      );
    }
    const translator = system.hypervisor!.guests[0].translator!;
    const blocks = translator.cache.blocks();
    reached.multiBlocks += blocks.filter((b) => b.instrs.length > 1 && b.executions > 0).length;
    reached.loopBlocks += blocks.filter((b) => b.source.includes('for (;;)') && b.executions > 0).length;
    reached.chained += system.counters()!.chainedJumps;
    // Superblocks: a conditional jump before the last instruction, left by a side exit when taken.
    reached.superBlocks += blocks.filter((b) => b.executions > 0 && b.instrs.slice(0, -1).some(({ instr }) => isConditionalJump(instr.info.op))).length;
    reached.hotFrames += translator.cache.hotFrames.size;
    reached.patchedBlocks += system.counters()!.translationInvalidations;
    // Blocks that ran interpreted until they were hot, then translated.
    if (translator.translationThreshold > 1) reached.hotBlocks += blocks.filter((b) => b.isTranslated && b.adaptive === undefined && b.executions >= translator.translationThreshold).length;
    reached.trapsAvoided += system.counters()!.trapsAvoidedByAdaptiveTranslation;
  }
}

/**
 * A straight run cut by an access outside RAM (a bus error stops the machine at
 * that instruction): the flags, registers and memory at the stop must be exact
 * although the translation computes flags only where it thinks they are observed.
 */
function faultingKernel(): fc.Arbitrary<Kernel> {
  const access = fc.tuple(reg, fc.constantFrom('st [0x40000], %R%', 'ld %R%, [0x40000]', 'stb [r0 + 0x3a000], %R%', 'mov sp, 0x40000\n        push %R%')).map(([r, text]) => text.replace(/%R%/g, r));
  // Right around the access, flag writers only: flags set before it, overwritten after it, read by nothing in between.
  const arithmetic = fc.oneof(
    fc.tuple(alu, reg, reg).map(([op, a, b]) => `${op} ${a}, ${b}`),
    fc.tuple(alu, reg, imm).map(([op, a, v]) => `${op} ${a}, ${v}`),
  );
  const around = fc.array(arithmetic, { minLength: 1, maxLength: 4 });
  const run = fc.array(straight, { minLength: 0, maxLength: 20 });
  return fc.tuple(run, around, access, around, run, fc.array(imm, { minLength: 7, maxLength: 7 })).map(([before, setFlags, fault, overwriteFlags, after, init]) => {
    let n = 0;
    const lines = [...before, ...setFlags, fault, ...overwriteFlags, ...after].map((text) => `        ${text.replace(/%N%/g, String(++n))}`);
    const source = `
_start: mov sp, 0x8000
        mov r0, 0x6000
${init.map((v, i) => `        mov r${i + 1}, ${v}`).join('\n')}
${lines.join('\n')}
        cli
        hlt
`;
    return { source, period: 0, isMixed: false, loops: 0 };
  });
}

describe('hypervisor: random kernels under binary translation (fast-check)', () => {
  it('long straight runs, loops inside one block, calls and chained jumps, with events far apart and close, end as on bare hardware', () => {
    const reached = nothingReached();
    fc.assert(
      fc.property(
        kernel().filter((k) => !k.isMixed),
        (k) => checkKernel(k, reached),
      ),
      { numRuns: 40 },
    );
    assert.ok(reached.multiBlocks > 150, `multi-instruction blocks ${reached.multiBlocks}`);
    assert.ok(reached.loopBlocks > 25, `self-looping blocks ${reached.loopBlocks}`);
    // (Superblocks leave loops with early exits by side exits, which are looked up rather than chained.)
    assert.ok(reached.chained > 300, `chained jumps ${reached.chained}`);
    assert.ok(reached.superBlocks > 100, `superblocks (a conditional jump inside the block) ${reached.superBlocks}`);
    assert.ok(reached.interruptsInLoops > 50, `timer interrupts inside loops ${reached.interruptsInLoops}`);
    assert.ok(reached.hotBlocks > 100, `blocks translated once hot ${reached.hotBlocks}`);
    assert.ok(reached.trapsAvoided > 100, `console stores emulated without a trap ${reached.trapsAvoided}`);
  });

  it('interrupts that land inside a loop translated as one block are taken at the same instruction as on bare hardware', () => {
    const reached = nothingReached();
    // Long loops, entered at their head, and a timer far enough apart for whole blocks between interrupts.
    const loopy = kernel().filter((k) => !k.isMixed && k.loops > 0 && k.period >= 61);
    fc.assert(
      fc.property(loopy, (k) => checkKernel(k, reached)),
      { numRuns: 30 },
    );
    assert.ok(reached.interruptsInLoops > 60, `timer interrupts inside loops ${reached.interruptsInLoops}`);
    assert.ok(reached.loopBlocks > 25, `self-looping blocks ${reached.loopBlocks}`);
  });

  it('an access that stops the machine in the middle of a block leaves flags, registers and memory exact', () => {
    const reached = nothingReached();
    fc.assert(
      fc.property(faultingKernel(), (k) => checkKernel(k, reached)),
      { numRuns: 60 },
    );
    assert.ok(reached.multiBlocks > 30, `multi-instruction blocks ${reached.multiBlocks}`);
  });

  it('code and data on the same pages, hot frames and self-modifying code, with events far apart: as on bare hardware', () => {
    const reached = nothingReached();
    const mixed = kernel().filter((k) => k.isMixed && (k.period === 0 || k.period >= 499));
    fc.assert(
      fc.property(mixed, (k) => checkKernel(k, reached)),
      { numRuns: 30 },
    );
    assert.ok(reached.hotFrames > 10, `hot frames ${reached.hotFrames}`);
    assert.ok(reached.patchedBlocks > 20, `translations dropped by patches ${reached.patchedBlocks}`);
  });
});
