// Property tests: whatever bytes a guest runs, the simulator never throws a JS
// exception and always ends with one of the documented stop reasons; a run is
// a pure function of image and configuration (the style guide's invariants).

import * as assert from 'node:assert/strict';
import fc from 'fast-check';
import { StopReason } from '../../src/machine/cpu';
import { encodeWord0 } from '../../src/machine/decode';
import { FLAGS_MASK, INSTRUCTIONS } from '../../src/machine/isa';
import { Machine } from '../../src/machine/machine';

const DOCUMENTED: readonly StopReason[] = ['halted', 'triple-fault', 'bus-error', 'instruction-limit', 'exception-loop'];
const MEMORY = 0x10000;

interface Outcome {
  reason: StopReason;
  regs: number[];
  pc: number;
  flags: number;
  mode: number;
  cr3: number;
  ticks: number;
  retired: number;
  console: string;
  memoryHash: number;
}

function runBytes(bytes: Uint8Array, tlbEntries: number, maxInstructions: number, input: string): Outcome {
  const machine = new Machine({ memory: MEMORY, tlbEntries, maxInstructions, inputs: input ? [{ tick: 3, bytes: Buffer.from(input, 'latin1') }] : [] });
  machine.load({ chunks: [{ address: 0, bytes }], entry: 0 });
  const result = machine.run();
  const cpu = machine.cpu;
  let hash = 0;
  for (let i = 0; i < machine.memory.words.length; i++) hash = (Math.imul(hash, 31) + machine.memory.words[i]) | 0;
  return {
    reason: result.reason,
    regs: [...cpu.regs].map((r) => r >>> 0),
    pc: cpu.pc >>> 0,
    flags: cpu.flags,
    mode: cpu.mode,
    cr3: cpu.cr3 >>> 0,
    ticks: cpu.ticks,
    retired: cpu.retired,
    console: machine.devices.console.outputText,
    memoryHash: hash,
  };
}

function checkOutcome(outcome: Outcome, maxInstructions: number): void {
  assert.ok(DOCUMENTED.includes(outcome.reason), `undocumented stop reason ${outcome.reason}`);
  assert.ok(outcome.retired <= maxInstructions, `retired ${outcome.retired} > limit ${maxInstructions}`);
  assert.equal(outcome.flags & ~FLAGS_MASK, 0, `flags 0x${outcome.flags.toString(16)} has bits that do not exist`);
  assert.ok(outcome.mode === 0 || outcome.mode === 1);
  if (outcome.reason === 'instruction-limit') assert.equal(outcome.retired, maxInstructions);
}

/** Interesting 32-bit values: small numbers, addresses in and around RAM, the console, edges. */
const value32 = fc.oneof(
  fc.integer({ min: 0, max: 0xffffffff }),
  fc.integer({ min: 0, max: 64 }),
  fc.integer({ min: 0, max: MEMORY + 0x100 }),
  fc.constantFrom(0, 1, 0x40, 0x60, 0x64, 0x7fffffff, 0x80000000, 0xffffffff, 0xffff0000, 0xffff0004, 0xffc, 0xffe, 0x1000, 0x2000),
);

/** One valid instruction: a defined form with random registers in the fields it uses and a random immediate. */
const instruction = fc
  .record({
    index: fc.integer({ min: 0, max: INSTRUCTIONS.length - 1 }),
    a: fc.integer({ min: 0, max: 15 }),
    b: fc.integer({ min: 0, max: 15 }),
    imm: value32,
  })
  .map(({ index, a, b, imm }) => {
    const info = INSTRUCTIONS[index];
    const word0 = encodeWord0(info.op, info.usesA ? a : 0, info.usesB ? b : 0);
    return info.length === 8 ? [word0, imm] : [word0];
  });

function wordsToBytes(words: number[]): Uint8Array {
  const bytes = new Uint8Array(words.length * 4);
  const view = new DataView(bytes.buffer);
  words.forEach((word, i) => view.setUint32(4 * i, word >>> 0, true));
  return bytes;
}

/**
 * A prelude that gives random programs something to work with: a stack, a
 * vector table whose every entry points into the program, a ksp, and (when
 * `isPaging`) an identity-mapped page table with random rights for the pages.
 */
function prelude(isPaging: boolean, pteFlags: number[], handler: number): number[] {
  const MOV_RI = INSTRUCTIONS.find((i) => i.mnemonic === 'mov' && i.operands.join() === 'ra,imm')!.op;
  const ST_A = INSTRUCTIONS.find((i) => i.mnemonic === 'st' && i.mem === 'abs')!.op;
  const MOV_EVT = INSTRUCTIONS.find((i) => i.operands.join() === 'evt,ra')!.op;
  const MOV_KSP = INSTRUCTIONS.find((i) => i.operands.join() === 'ksp,ra')!.op;
  const MOV_CR3 = INSTRUCTIONS.find((i) => i.operands.join() === 'cr3,ra')!.op;
  const code: number[] = [];
  const mov = (reg: number, value: number) => code.push(encodeWord0(MOV_RI, reg, 0), value >>> 0);
  const store = (address: number, reg: number) => code.push(encodeWord0(ST_A, reg, 0), address >>> 0);
  mov(15, 0xe000);
  mov(1, 0xc000);
  code.push(encodeWord0(MOV_EVT, 1, 0));
  mov(1, 0xd000);
  code.push(encodeWord0(MOV_KSP, 1, 0));
  mov(2, handler);
  for (let v = 0; v < 64; v++) store(0xc000 + 4 * v, 2);
  if (isPaging) {
    mov(1, 0xa003 | 4);
    store(0x9000, 1);
    for (let page = 0; page < 16; page++) {
      mov(1, (page << 12) | (pteFlags[page] ?? 7));
      store(0xa000 + 4 * page, 1);
    }
    mov(1, 0x9000);
    code.push(encodeWord0(MOV_CR3, 1, 0));
  }
  return code;
}

describe('machine: fuzz', function () {
  this.timeout(120000);

  it('random bytes run as code at address 0 never throw and end with a documented stop reason', () => {
    fc.assert(
      fc.property(
        fc.uint8Array({ minLength: 0, maxLength: 600 }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 1, max: 3000 }),
        fc.string({ maxLength: 4 }),
        (bytes, tlbEntries, maxInstructions, input) => {
          checkOutcome(runBytes(bytes, tlbEntries, maxInstructions, input), maxInstructions);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('random valid instruction sequences never throw and end with a documented stop reason', () => {
    fc.assert(
      fc.property(
        fc.array(instruction, { minLength: 1, maxLength: 200 }),
        fc.integer({ min: 0, max: 8 }),
        fc.integer({ min: 1, max: 5000 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 0, max: 0x7f }), { minLength: 16, maxLength: 16 }),
        fc.string({ maxLength: 4 }),
        (instructions, tlbEntries, maxInstructions, isPaging, pteFlags, input) => {
          // Every vector's handler is the middle of the random code.
          const handlerOffset = 4 * prelude(isPaging, pteFlags, 0).length + 4 * Math.floor(instructions.length / 2);
          const body = instructions.flat();
          const code = [...prelude(isPaging, pteFlags, handlerOffset), ...body];
          const bytes = wordsToBytes(code);
          if (bytes.length > 0x9000) return;
          checkOutcome(runBytes(bytes, tlbEntries, maxInstructions, input), maxInstructions);
        },
      ),
      { numRuns: 300 },
    );
  });

  it('a run is a pure function of image and configuration', () => {
    fc.assert(
      fc.property(
        fc.array(instruction, { minLength: 1, maxLength: 100 }),
        fc.integer({ min: 0, max: 4 }),
        fc.boolean(),
        fc.array(fc.integer({ min: 0, max: 0x7f }), { minLength: 16, maxLength: 16 }),
        (instructions, tlbEntries, isPaging, pteFlags) => {
          const handler = 4 * prelude(isPaging, pteFlags, 0).length;
          const bytes = wordsToBytes([...prelude(isPaging, pteFlags, handler), ...instructions.flat()]);
          const first = runBytes(bytes, tlbEntries, 2000, 'ab');
          const second = runBytes(bytes, tlbEntries, 2000, 'ab');
          assert.deepEqual(second, first);
        },
      ),
      { numRuns: 100 },
    );
  });

  it('with paging off the TLB size changes nothing a program can see', () => {
    fc.assert(
      fc.property(
        fc.array(
          instruction.filter((words) => {
            const op = words[0] & 0xff;
            const info = INSTRUCTIONS.find((i) => i.op === op)!;
            return info.operands.join() !== 'cr3,ra';
          }),
          { minLength: 1, maxLength: 100 },
        ),
        (instructions) => {
          const handler = 4 * prelude(false, [], 0).length;
          const bytes = wordsToBytes([...prelude(false, [], handler), ...instructions.flat()]);
          const none = runBytes(bytes, 0, 2000, 'x');
          const some = runBytes(bytes, 16, 2000, 'x');
          // A program that wrote a mov cr3 into memory and ran it may turn paging on; then the TLB may matter.
          if (none.cr3 === 0 && some.cr3 === 0) assert.deepEqual(some, none);
        },
      ),
      { numRuns: 100 },
    );
  });
});
