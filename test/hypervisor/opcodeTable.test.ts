// Every instruction of the opcode table, with random operands (fast-check),
// under the interpreter (bare hardware) and under binary translation: the same
// registers, flags, memory, console, exceptions and stop. The instruction runs
// inside a translated block (register loads before it, stores after it), so its
// translation, the flags it leaves and how it leaves the block are all seen.
// Each case checks that its opcode really ran in translated code (not only in
// the interpreter): the block holding the instruction under test was translated.

import * as assert from 'assert';
import { createHash } from 'crypto';
import fc from 'fast-check';
import { encodeWord0 } from '../../src/machine/decode';
import { CONSOLE_BASE, INSTRUCTIONS, Op, OpInfo } from '../../src/machine/isa';
import { LoadableImage } from '../../src/machine/machine';
import { createSystem, SETTING_CHOICES, SettingChoice } from '../../src/hypervisor/system';

const CODE = 0x0000;
/** A second copy of the dump, where jumps, calls and computed targets may land. */
const LANDING = 0x1000;
const TABLE = 0x2000;
const HANDLER = 0x3000;
const DATA = 0x4000;
const DUMP = 0x5000;
const HANDLER_DUMP = 0x5100;
const MEMORY = 0x10000;
/** Where the instruction under test lies: after the prologue (sp, evt, flags: 32 bytes) and the 16 register loads. */
const UNDER_TEST = CODE + 32 + 16 * 8;

/** Little machine-code assembler: words in order. */
class Words {
  readonly words: number[] = [];
  put(op: number, a = 0, b = 0, imm?: number): this {
    this.words.push(encodeWord0(op, a, b));
    if (imm !== undefined) this.words.push(imm >>> 0);
    return this;
  }
  get length(): number {
    return this.words.length * 4;
  }
  bytes(): Uint8Array {
    const out = new Uint8Array(this.words.length * 4);
    const view = new DataView(out.buffer);
    this.words.forEach((w, i) => view.setUint32(i * 4, w, true));
    return out;
  }
}

/** Stores every register and the flags at `at`, then stops. */
function dump(code: Words, at: number): Words {
  for (let r = 0; r < 16; r++) code.put(Op.ST_A, r, 0, at + 4 * r);
  return code
    .put(Op.PUSHF)
    .put(Op.POP, 1)
    .put(Op.ST_A, 1, 0, at + 64)
    .put(Op.CLI)
    .put(Op.HLT);
}

interface Case {
  info: OpInfo;
  a: number;
  b: number;
  imm: number;
  regs: number[];
  flags: number;
  data: number[];
}

/** Register values: anything, the corner values, small ones, the data area, the landing pad, or `b` = -`a` (a zero sum). */
const plainValue = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.constantFrom(0, 1, 2, 31, 32, 0x7fffffff, 0x80000000, 0xffffffff, 0xfffffffe),
  fc.integer({ min: 0, max: 40 }),
  fc.integer({ min: 0, max: 0xff }).map((n) => DATA + n * 4),
  fc.integer({ min: 0, max: 0xfff }).map((n) => DATA + n),
  fc.constant(LANDING),
);

/**
 * Also the console's data and status words, where a data access is emulated by the
 * hypervisor from the table's `access` (not as jump targets: code is not fetched there).
 */
function valueFor(info: OpInfo): fc.Arbitrary<number> {
  return info.roles.includes('target') ? plainValue : fc.oneof({ arbitrary: plainValue, weight: 6 }, { arbitrary: fc.constantFrom(CONSOLE_BASE, CONSOLE_BASE + 4), weight: 1 });
}

function arbitraryCase(info: OpInfo): fc.Arbitrary<Case> {
  const value = valueFor(info);
  return fc
    .record({
      a: info.usesA ? fc.integer({ min: 0, max: 15 }) : fc.constant(0),
      b: info.usesB ? fc.integer({ min: 0, max: 15 }) : fc.constant(0),
      imm: fc.oneof(
        value,
        fc.integer({ min: -64, max: 64 }).map((n) => n * 4),
        fc.constantFrom(0x40, 0x60, 0x41),
      ),
      regs: fc.array(value, { minLength: 16, maxLength: 16 }),
      negate: fc.boolean(),
      flags: fc.integer({ min: 0, max: 0xf }).chain((low) => fc.constantFrom(low, low | 0x200)),
      sp: fc.constantFrom(0x8000, 0x7ff0, 0x7ff2, DATA + 0x800),
      data: fc.array(fc.integer({ min: 0, max: 0xffffffff }), { minLength: 16, maxLength: 16 }),
    })
    .map(({ a, b, imm, regs, negate, flags, sp, data }) => {
      const values = [...regs];
      // Often make the operands cancel, so sums, differences and comparisons reach zero.
      if (negate && a !== b) values[b] = -values[a] | 0;
      if (negate && info.operands.includes('imm')) imm = -values[a] >>> 0;
      values[15] = sp;
      return { info, a, b, imm: imm >>> 0, regs: values, flags, data };
    });
}

function imageOf(c: Case): LoadableImage {
  const code = new Words().put(Op.MOV_RI, 15, 0, 0x8000).put(Op.MOV_RI, 1, 0, TABLE).put(Op.MOV_EVT_R, 1).put(Op.PUSH_I, 0, 0, c.flags).put(Op.POPF);
  // One block: the register loads, the instruction under test, the dump's stores.
  for (let r = 0; r < 16; r++) code.put(Op.MOV_RI, r, 0, c.regs[r]);
  if (CODE + code.length !== UNDER_TEST) throw new Error('the instruction under test moved');
  code.put(c.info.op, c.a, c.b, c.info.length === 8 ? c.imm : undefined);
  dump(code, DUMP);
  const handler = dump(new Words(), HANDLER_DUMP);
  const table = new Words();
  for (let v = 0; v < 64; v++) table.words.push(HANDLER);
  const data = new Uint8Array(0x1000);
  const view = new DataView(data.buffer);
  c.data.forEach((w, i) => view.setUint32(i * 4, w, true));
  return {
    chunks: [
      { address: CODE, bytes: code.bytes() },
      { address: LANDING, bytes: dump(new Words(), DUMP + 0x80).bytes() },
      { address: TABLE, bytes: table.bytes() },
      { address: HANDLER, bytes: handler.bytes() },
      { address: DATA, bytes: data },
    ],
    entry: CODE,
  };
}

function outcome(image: LoadableImage, setting: SettingChoice & { translationThreshold?: number }) {
  const system = createSystem({ ...setting, guests: [{ name: 'op', image, memory: MEMORY }], maxInstructions: 500 });
  const result = system.run();
  const view = system.guest(0);
  return {
    reason: result.reason,
    regs: [...view.regs],
    pc: view.pc,
    flags: view.flags,
    isUser: view.isUser,
    ticks: view.ticks,
    console: Buffer.from(view.console).toString('hex'),
    memory: createHash('sha1').update(view.memory()).digest('hex'),
    translator: system.hypervisor?.guests[0].translator,
  };
}

const BINARY_TRANSLATION = SETTING_CHOICES.filter((s) => s.virtualization === 'binary-translation');

describe('hypervisor: every instruction of the opcode table under binary translation (fast-check)', () => {
  for (const info of INSTRUCTIONS) {
    it(`${info.mnemonic} (opcode 0x${info.op.toString(16)}${info.mem !== 'none' ? `, ${info.mem} operand` : ''}): same state as the interpreter`, () => {
      let inBlocks = 0;
      let translated = 0;
      fc.assert(
        fc.property(arbitraryCase(info), fc.constantFrom(...BINARY_TRANSLATION), (c, setting) => {
          const image = imageOf(c);
          const { translator: _bare, ...bare } = outcome(image, { virtualization: 'none' });
          // Tiered, the block runs once, cold, on the CPU; on first sight it is translated.
          const { translator: _tiered, ...tiered } = outcome(image, setting);
          assert.deepStrictEqual(tiered, bare, `${info.mnemonic} under ${setting.virtualization} / ${setting.paging}, tiered`);
          const { translator, ...firstSight } = outcome(image, { ...setting, translationThreshold: 1 });
          assert.deepStrictEqual(firstSight, bare, `${info.mnemonic} under ${setting.virtualization} / ${setting.paging}, translated on first sight`);
          const blocks = translator!.cache.blocks().filter((block) => block.instrs.some((i) => i.pc === UNDER_TEST && i.instr.info.op === info.op));
          if (blocks.length > 0) translated++;
          // The instruction ran inside a block of several instructions (unless the block had to be cut short by a call-out).
          if (blocks.some((block) => block.instrs.length > 1)) inBlocks++;
        }),
        { numRuns: 10 },
      );
      assert.ok(translated > 0, `${info.mnemonic} (opcode 0x${info.op.toString(16)}) was never translated: the test did not reach it`);
      if (info.cls === 'ordinary' && !info.endsBlock && info.op !== Op.SYSCALL && info.op !== Op.BRK && info.op !== Op.VMCALL) {
        assert.ok(inBlocks > 0, `${info.mnemonic} never ran inside a multi-instruction block`);
      }
    });
  }
});
