// Random machine code (fast-check), sensitive instructions included, under the
// settings that must run ANY guest like bare hardware: binary translation and
// hardware assist. Also: no setting ever throws a JS exception on random code.

import * as assert from 'assert';
import { createHash } from 'crypto';
import fc from 'fast-check';
import { LoadableImage } from '../../src/machine/machine';
import { Op } from '../../src/machine/isa';
import { createSystem, SETTING_CHOICES, SettingChoice } from '../../src/hypervisor/system';
import { TRANSLATION_VARIANTS } from './setup';

/** Opcodes the generator favours: moves, memory, stack, arithmetic, control, traps, privileged, sensitive. */
const OPCODES = [
  Op.MOV_RR,
  Op.MOV_RI,
  Op.LD_R,
  Op.LD_RD,
  Op.LD_A,
  Op.ST_R,
  Op.ST_RD,
  Op.ST_A,
  Op.PUSH_R,
  Op.PUSH_I,
  Op.POP,
  Op.ADD_RR,
  Op.ADD_RI,
  Op.SUB_RR,
  Op.DIVU_RR,
  Op.JMP_I,
  Op.JMP_R,
  Op.JZ,
  Op.CALL_I,
  Op.CALL_R,
  Op.RET,
  Op.SYSCALL,
  Op.BRK,
  Op.HLT,
  Op.CLI,
  Op.STI,
  Op.IN,
  Op.OUT,
  Op.IRET,
  Op.MOV_CR3_R,
  Op.MOV_R_CR3,
  Op.INVLPG,
  Op.MOV_EVT_R,
  Op.MOV_KSP_R,
  Op.MOV_R_KSP,
  Op.PUSHF,
  Op.POPF,
  Op.MOV_R_EVT,
];

/** A prologue (sp, a vector table whose handlers point back into the random code) and 64 random words. */
function randomImage(): fc.Arbitrary<LoadableImage> {
  // Immediates: small addresses in the code, or flag words with IF set (for push/popf).
  const immediate = fc.oneof(
    fc.integer({ min: 0, max: 0x3ff }).map((n) => n & ~3),
    fc.constantFrom(0x200, 0x203, 0x40),
  );
  const word = fc
    .tuple(fc.oneof(fc.constantFrom(...OPCODES), fc.integer({ min: 0, max: 255 })), fc.integer({ min: 0, max: 0x77 }), immediate, fc.boolean())
    .map(([op, regs, imm, isImm]) => (isImm ? imm : (op | (regs << 8)) >>> 0));
  // The timer: close (blocks of one instruction near each interrupt) or far apart (whole translated blocks).
  const period = fc.constantFrom(7, 7, 100, 1000);
  return fc.tuple(fc.array(word, { minLength: 64, maxLength: 64 }), fc.array(fc.integer({ min: 0, max: 59 }), { minLength: 256, maxLength: 256 }), period).map(([words, targets, ticks]) => {
    const code = new Uint8Array(256);
    const view = new DataView(code.buffer);
    words.forEach((w, i) => view.setUint32(i * 4, w, true));
    // mov sp, 0x8000; mov r1, 0x2000; mov evt, r1; mov r2, ticks; out 0x40, r2 (a timer every `ticks` ticks)
    const prologue = new Uint8Array(40);
    prologue.set([
      Op.MOV_RI,
      0x0f,
      0,
      0,
      0x00,
      0x80,
      0,
      0,
      Op.MOV_RI,
      0x01,
      0,
      0,
      0x00,
      0x20,
      0,
      0,
      Op.MOV_EVT_R,
      0x01,
      0,
      0,
      Op.MOV_RI,
      0x02,
      0,
      0,
      ticks & 0xff,
      ticks >> 8,
      0,
      0,
      Op.OUT,
      0x02,
      0,
      0,
      0x40,
      0,
      0,
      0,
      Op.NOP,
      0,
      0,
      0,
    ]);
    const table = new Uint8Array(1024);
    const tableView = new DataView(table.buffer);
    targets.forEach((t, v) => tableView.setUint32(v * 4, 40 + t * 4, true));
    return {
      chunks: [
        { address: 0, bytes: prologue },
        { address: 40, bytes: code },
        { address: 0x2000, bytes: table },
      ],
      entry: 0,
    };
  });
}

function runOn(image: LoadableImage, setting: SettingChoice & Partial<(typeof TRANSLATION_VARIANTS)[number]>) {
  const system = createSystem({ ...setting, guests: [{ name: 'random', image, inputs: [{ tick: 5, bytes: Buffer.from('ab') }] }], maxInstructions: 3000 });
  const result = system.run();
  const view = system.guest(0);
  return {
    reason: result.reason,
    regs: [...view.regs].join(','),
    pc: view.pc,
    flags: view.flags,
    isUser: view.isUser,
    ticks: view.ticks,
    console: Buffer.from(view.console).toString('hex'),
    memory: createHash('sha1').update(view.memory()).digest('hex'),
  };
}

describe('hypervisor: random machine code', () => {
  it('binary translation and hardware assist run any guest like bare hardware, sensitive instructions included', () => {
    // Binary translation tiered and on first sight, adaptive and not.
    const settings = SETTING_CHOICES.filter((s) => s.virtualization === 'binary-translation' || s.virtualization === 'hardware-assist').flatMap((s) =>
      s.virtualization === 'binary-translation' ? TRANSLATION_VARIANTS.map((v) => ({ ...s, ...v })) : [s],
    );
    fc.assert(
      fc.property(randomImage(), (image) => {
        // vmcall is a hypercall under hardware assist, an invalid opcode on bare hardware: leave it out.
        for (const chunk of image.chunks.slice(1)) for (let i = 0; i < chunk.bytes.length; i++) if (chunk.bytes[i] === Op.VMCALL) chunk.bytes[i] = Op.NOP;
        const bare = runOn(image, { virtualization: 'none' });
        for (const setting of settings) assert.deepStrictEqual(runOn(image, setting), bare, JSON.stringify(setting));
      }),
      { numRuns: 60 },
    );
  }).timeout(120000); // binary translation in four variants: more runs per guest than the default timeout allows on a busy machine

  it('trap-and-emulate and paravirtual run random code without sensitive instructions like bare hardware', () => {
    // Without pushf/popf/mov rd, evt (sensitive), vmcall, and cr3 loads (which would turn on paging
    // with garbage tables, where shadow paging may legitimately keep stale translations longer).
    const excluded = new Set<number>([Op.PUSHF, Op.POPF, Op.MOV_R_EVT, Op.VMCALL, Op.MOV_CR3_R, Op.INVLPG]);
    const settings = SETTING_CHOICES.filter((s) => s.virtualization === 'trap-and-emulate' || s.virtualization === 'paravirtual');
    fc.assert(
      fc.property(randomImage(), (image) => {
        // Every byte, not only opcode positions: a computed jump may land anywhere, even in the vector table.
        for (const chunk of image.chunks.slice(1)) for (let i = 0; i < chunk.bytes.length; i++) if (excluded.has(chunk.bytes[i])) chunk.bytes[i] = Op.NOP;
        const bare = runOn(image, { virtualization: 'none' });
        for (const setting of settings) assert.deepStrictEqual(runOn(image, setting), bare, JSON.stringify(setting));
      }),
      { numRuns: 40 },
    );
  });

  it('no setting throws on random code; every run ends with a documented stop', () => {
    const documented = new Set(['halted', 'triple-fault', 'bus-error', 'instruction-limit', 'exception-loop']);
    fc.assert(
      fc.property(randomImage(), (image) => {
        for (const setting of [{ virtualization: 'none' as const }, ...SETTING_CHOICES]) assert.ok(documented.has(runOn(image, setting).reason));
      }),
      { numRuns: 25 },
    );
  });
});
