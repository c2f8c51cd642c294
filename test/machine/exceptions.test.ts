// Exceptions and interrupts on bare hardware (g32-isa.md §4, §8): the frame of
// every vector, which stack it goes on, fault vs trap saved pc, #GP and #UD,
// iret, the sensitive instructions, #DF, triple fault, the exception loop and
// bus errors.

import * as assert from 'node:assert/strict';
import { check, CF, IF, OF, SF, vectorTable, Where, ZF } from './check';
import { INSTRUCTIONS, Op, OP_TABLE } from '../../src/machine/isa';

const KERNEL_SP = 0x8000;
/** For loops over hundreds of machines: less RAM, no TLB (paging stays off). */
const SMALL = { memory: 0x10000, tlbEntries: 0 };
const KSP = 0x9000;
const USER_SP = 0x6000;

/** One handler per vector of interest: `hN` sets r10 = N and halts (IF is 0 in a handler). */
const HANDLED = [0, 3, 6, 8, 13, 14, 32, 33, 48];
const HANDLERS = `
${HANDLED.map((v) => `h${v}:    mov r10, ${v}\n        hlt`).join('\n')}
other:  mov r10, 0xBAD
        hlt
${vectorTable(Object.fromEntries(HANDLED.map((v) => [v, `h${v}`])), 'other')}`;

/** Kernel setup: stack, vector table, ksp. */
const SETUP = `
        mov sp, ${KERNEL_SP}
        mov r1, vectors
        mov evt, r1
        mov r1, ${KSP}
        mov ksp, r1`;

/** Enters user mode at `entry` with `sp` = USER_SP through an iret frame. */
function toUser(entry: string, flags = 0): string {
  return `
        push ${USER_SP}
        push 1
        push ${flags}
        push ${entry}
        iret`;
}

/** The six words of a frame pushed below `stack`, keyed by address. */
function frame(stack: number, f: { sp: number; mode: number; flags: number; pc: Where; e: number; a: number }): Record<string, Where> {
  return {
    [stack - 4]: f.sp,
    [stack - 8]: f.mode,
    [stack - 12]: f.flags,
    [stack - 16]: f.pc,
    [stack - 20]: f.e,
    [stack - 24]: f.a,
  };
}

describe('machine: exceptions', () => {
  describe('frames: old sp, old mode, old flags, saved pc, e, a; kernel to kernel on the current sp', () => {
    it('#DE (vector 0) is a fault: the saved pc is the divu, which does not retire', () => {
      check(
        `
_start: ${SETUP}
        mov r2, 0
        cmp r2, 1
bad:    divu r2, r2
        hlt
${HANDLERS}`,
        {
          stop: 'halted',
          regs: { r10: 0, sp: KERNEL_SP - 24 },
          mode: 'kernel',
          flags: CF | SF,
          retired: 7 + 2,
          pc: 'h0+12',
          words: frame(KERNEL_SP, { sp: KERNEL_SP, mode: 0, flags: CF | SF, pc: 'bad', e: 0, a: 0 }),
        },
      );
    });

    it('#BP (vector 3, brk) is a trap: it retires and the saved pc is the next instruction', () => {
      const source = `
_start: ${SETUP}
        brk
next:   hlt
${HANDLERS}`;
      check(source, { stop: 'halted', regs: { r10: 3, sp: KERNEL_SP - 24 }, retired: 6 + 2, ticks: 8 });
      check(source, { words: frame(KERNEL_SP, { sp: KERNEL_SP, mode: 0, flags: 0, pc: 'next', e: 0, a: 0 }) });
    });

    it('syscall (vector 48) is a trap: it retires and the saved pc is the next instruction', () => {
      const source = `
_start: ${SETUP}
        mov r1, 0
        add r1, 0
        syscall
next:   hlt
${HANDLERS}`;
      check(source, { stop: 'halted', regs: { r10: 48, sp: KERNEL_SP - 24 }, retired: 8 + 2, flags: ZF });
      check(source, { words: frame(KERNEL_SP, { sp: KERNEL_SP, mode: 0, flags: ZF, pc: 'next', e: 0, a: 0 }) });
    });

    it('#UD (vector 6) is a fault: the saved pc is the undefined word', () => {
      const source = `
_start: ${SETUP}
bad:    .word 0
        hlt
${HANDLERS}`;
      check(source, { stop: 'halted', regs: { r10: 6, sp: KERNEL_SP - 24 }, retired: 5 + 2 });
      check(source, { words: frame(KERNEL_SP, { sp: KERNEL_SP, mode: 0, flags: 0, pc: 'bad', e: 0, a: 0 }) });
    });

    it('#GP (vector 13) from user mode: on ksp, old mode 1, the saved pc is the privileged instruction', () => {
      const source = `
_start: ${SETUP}
        ${toUser('user', CF | ZF)}
user:   mov r3, 3
bad:    cli
        hlt
${HANDLERS}`;
      check(source, { stop: 'halted', regs: { r10: 13, r3: 3, sp: KSP - 24 }, mode: 'kernel', flags: CF | ZF, retired: 11 + 2 });
      check(source, { words: frame(KSP, { sp: USER_SP, mode: 1, flags: CF | ZF, pc: 'bad', e: 0, a: 0 }) });
    });

    it('a syscall from user mode: on ksp, old mode 1, old flags with IF, saved pc next', () => {
      const source = `
_start: ${SETUP}
        ${toUser('user', IF | SF)}
user:   syscall
next:   hlt
${HANDLERS}`;
      check(source, { stop: 'halted', regs: { r10: 48, sp: KSP - 24 }, mode: 'kernel', flags: SF, retired: 11 + 2 });
      check(source, { words: { ...frame(KSP, { sp: USER_SP, mode: 1, flags: IF | SF, pc: 'next', e: 0, a: 0 }), [KERNEL_SP - 16]: 'user' } });
    });

    it('an exception in kernel mode does not use ksp even when ksp is set', () => {
      check(
        `
_start: ${SETUP}
        mov sp, 0x7000
        brk
        hlt
${HANDLERS}`,
        { regs: { r10: 3, sp: 0x7000 - 24 }, ksp: KSP, words: { [KSP - 4]: 0, 0x6ffc: 0x7000 } },
      );
    });

    it('the timer interrupt (vector 32): saved pc is the next instruction, saved flags have IF', () => {
      const source = `
_start: ${SETUP}
        mov r2, 1
        out 0x40, r2
        sti
i1:     nop
i2:     nop
        hlt
${HANDLERS}`;
      // out retires at tick T; the interrupt is pending at T + 1, after sti: taken before i1.
      check(source, { stop: 'halted', regs: { r10: 32, sp: KERNEL_SP - 24 }, flags: 0, retired: 8 + 2 });
      check(source, { words: frame(KERNEL_SP, { sp: KERNEL_SP, mode: 0, flags: IF, pc: 'i1', e: 0, a: 0 }) });
    });

    it('the keyboard interrupt (vector 33): saved pc is the next instruction', () => {
      const source = `
_start: ${SETUP}
        sti
i1:     nop
        hlt
${HANDLERS}`;
      check(source, { stop: 'halted', regs: { r10: 33, sp: KERNEL_SP - 24 }, retired: 6 + 2 }, { input: 'x' });
      check(source, { words: frame(KERNEL_SP, { sp: KERNEL_SP, mode: 0, flags: IF, pc: 'i1', e: 0, a: 0 }) }, { input: 'x' });
    });

    it('an interrupt in user mode goes on ksp with old mode 1', () => {
      const source = `
_start: ${SETUP}
        ${toUser('user', IF)}
user:   nop
        jmp user
${HANDLERS}`;
      const r = check(source, { stop: 'halted', regs: { r10: 33, sp: KSP - 24 }, mode: 'kernel', flags: 0 }, { inputAt: [[20, 'k']] });
      // 11 instructions reach user mode; the loop runs until tick 20, where the interrupt is taken.
      assert.equal(r.machine.cpu.ticks, 20 + 2);
      const savedPc = r.machine.memory.view.getUint32(KSP - 16, true);
      check(source, { words: frame(KSP, { sp: USER_SP, mode: 1, flags: IF, pc: savedPc, e: 0, a: 0 }) }, { inputAt: [[20, 'k']] });
      assert.ok(savedPc === r.label('user') || savedPc === r.label('user') + 8, `saved pc 0x${savedPc.toString(16)}`);
    });

    it('delivery clears IF, enters kernel mode, and leaves the other flags alone', () => {
      check(
        `
_start: ${SETUP}
        push 0x20F
        popf
        syscall
        hlt
${HANDLERS}`,
        { regs: { r10: 48 }, flags: CF | ZF | SF | OF, words: { [KERNEL_SP - 12]: 0x20f } },
      );
    });

    it('pc = the word at evt + 4·v, for any evt (vector table not at 0, unaligned)', () => {
      check(
        `
_start: mov sp, 0x8000
        mov r1, table - 4 * 3 + 1
        mov evt, r1
        mov r2, handler
        st [table + 1], r2
        brk
        hlt
handler: mov r10, 99
        hlt
table:  .space 16`,
        { regs: { r10: 99, sp: 0x8000 - 24 } },
      );
    });
  });

  describe('#GP for every privileged instruction in user mode (nothing changes, the instruction does not retire)', () => {
    const privileged: Array<[string, string]> = [
      ['hlt', ''],
      ['cli', ''],
      ['sti', ''],
      ['in r1, 0x64', ''],
      ['out 0x40, r1', ''],
      ['iret', ''],
      ['mov cr3, r1', ''],
      ['mov r1, cr3', ''],
      ['invlpg r1', ''],
      ['mov evt, r1', ''],
      ['mov ksp, r1', ''],
      ['mov r1, ksp', ''],
    ];
    for (const [instruction] of privileged) {
      it(instruction, () => {
        const source = `
_start: ${SETUP}
        ${toUser('user', CF)}
user:   mov r1, 0x5555
bad:    ${instruction}
        hlt
${HANDLERS}`;
        const r = check(
          source,
          {
            stop: 'halted',
            regs: { r10: 13, r1: 0x5555, sp: KSP - 24 },
            retired: 11 + 2,
            cr3: 0,
            ksp: KSP,
            flags: CF,
            words: frame(KSP, { sp: USER_SP, mode: 1, flags: CF, pc: 'bad', e: 0, a: 0 }),
          },
          { input: 'z' },
        );
        assert.equal(r.machine.cpu.evt >>> 0, r.label('vectors'));
      });
    }
  });

  describe('#UD for undefined encodings', () => {
    const undefinedOps = Array.from({ length: 256 }, (_, op) => op).filter((op) => OP_TABLE[op] === undefined);

    it(`every undefined opcode byte (${undefinedOps.length} of them) raises #UD, in kernel and in user mode`, () => {
      assert.ok(undefinedOps.includes(0));
      for (const op of undefinedOps) {
        for (const isUser of [false, true]) {
          const source = `
_start: ${SETUP}
        ${isUser ? toUser('user') : 'jmp user'}
user:   nop
bad:    .word ${op}, 0
        hlt
${HANDLERS}`;
          check(source, { stop: 'halted', regs: { r10: 6, sp: (isUser ? KSP : KERNEL_SP) - 24 } }, SMALL);
        }
      }
    });

    it('a defined opcode with a register field it does not use, or a reserved bit set, raises #UD', () => {
      let count = 0;
      for (const info of INSTRUCTIONS) {
        const badWords: number[] = [info.op | 0x10000, info.op | 0x80000000];
        if (!info.usesA) badWords.push(info.op | 0x100);
        if (!info.usesB) badWords.push(info.op | 0x1000);
        for (const word of badWords) {
          const source = `
_start: ${SETUP}
        mov r5, 0x7777
bad:    .word 0x${(word >>> 0).toString(16)}, 0
        hlt
${HANDLERS}`;
          check(source, { stop: 'halted', regs: { r10: 6, sp: KERNEL_SP - 24, r5: 0x7777 }, words: { [KERNEL_SP - 16]: 'bad' } }, SMALL);
          count++;
        }
      }
      assert.ok(count > 100);
    });

    it('vmcall raises #UD on bare hardware (saved pc is the vmcall), in kernel and user mode', () => {
      for (const isUser of [false, true]) {
        const source = `
_start: ${SETUP}
        ${isUser ? toUser('user') : 'jmp user'}
user:   mov r0, 5
bad:    vmcall 0
        hlt
${HANDLERS}`;
        check(source, { stop: 'halted', regs: { r10: 6, r0: 5, sp: (isUser ? KSP : KERNEL_SP) - 24 }, words: { [(isUser ? KSP : KERNEL_SP) - 16]: 'bad' } });
      }
    });
  });

  describe('iret', () => {
    it('pops pc, flags, mode and sp (in that order from sp) and returns to kernel mode', () => {
      check(
        `
_start: mov sp, 0x4000
        push 0x1234      ; sp
        push 0           ; mode
        push 0x20A       ; flags
        push there       ; pc
        iret
        hlt
there:  mov r1, sp
        cli
        hlt`,
        { stop: 'halted', regs: { r1: 0x1234 }, mode: 'kernel', flags: ZF | OF },
      );
    });

    it('masks the popped flags to 0x20F', () => {
      check(
        `
_start: mov sp, 0x4000
        push 0x4000
        push 0
        push 0xFFFFFDF0
        push there
        iret
there:  hlt`,
        { stop: 'halted', flags: 0, pc: 'there+4' },
      );
    });

    it('a popped mode other than 0 means user (1, 2 and 0xFFFFFFFF)', () => {
      for (const mode of [1, 2, 0xffffffff]) {
        check(
          `
_start: ${SETUP}
        push ${USER_SP}
        push ${mode}
        push 0x20F
        push user
        iret
user:   mov r2, sp
        pushf
        pop r3
        mov r4, evt
        hlt
${HANDLERS}`,
          { stop: 'halted', mode: 'kernel', regs: { r10: 13, r2: USER_SP, r3: 0x20f, sp: KSP - 24 }, words: { [KSP - 8]: 1 } },
        );
      }
    });

    it('the handler drops e and a with add sp, 8 and iret returns to the interrupted user code', () => {
      check(
        `
_start: ${SETUP}
        ${toUser('user', CF)}
user:   mov r1, 1
        syscall
        mov r2, sp
        pushf
        pop r3
        mov r4, 0x1111
        st [0x5000], r4         ; user code may store: paging is off
        brk
        hlt
h48_:   add sp, 8
        mov r5, 0x48
        iret
${HANDLERS.replace('h48,', 'h48_,')}`,
        {
          stop: 'halted',
          regs: { r1: 1, r2: USER_SP, r3: CF, r5: 0x48, r10: 3, sp: KSP - 24 },
          words: { 0x5000: 0x1111 },
        },
      );
    });

    it('iret with IF in the popped flags takes a pending interrupt before the next instruction', () => {
      check(
        `
_start: ${SETUP}
        mov r1, 1
        out 0x40, r1
        nop
        nop                     ; the timer is pending, IF = 0
        ${toUser('user', IF)}
user:   mov r6, 6               ; never runs: the interrupt comes first
        hlt
${HANDLERS}`,
        { regs: { r10: 32, r6: 0, sp: KSP - 24 }, words: { [KSP - 8]: 1 } },
      );
    });
  });

  describe('sensitive instructions never fault', () => {
    it('popf in user mode silently keeps IF = 1 (and sets the other flags)', () => {
      check(
        `
_start: ${SETUP}
        ${toUser('user', IF)}
user:   push 0x00F
        popf
        pushf
        pop r2
        push 0
        popf
        pushf
        pop r3
        syscall
${HANDLERS}`,
        { regs: { r10: 48, r2: IF | 0xf, r3: IF }, words: { [KSP - 12]: IF } },
      );
    });

    it('popf in user mode silently keeps IF = 0', () => {
      check(
        `
_start: ${SETUP}
        ${toUser('user', 0)}
user:   push 0x20F
        popf
        pushf
        pop r2
        syscall
${HANDLERS}`,
        { regs: { r10: 48, r2: 0xf }, words: { [KSP - 12]: 0xf } },
        { input: 'k' },
      );
    });

    it('pushf pushes the real flags in user mode, IF included', () => {
      check(
        `
_start: ${SETUP}
        ${toUser('user', IF | SF)}
user:   pushf
        pop r2
        syscall
${HANDLERS}`,
        { regs: { r10: 48, r2: IF | SF } },
      );
    });

    it('mov rd, evt reads the vector table base in user mode', () => {
      const r = check(
        `
_start: ${SETUP}
        ${toUser('user')}
user:   mov r7, evt
        syscall
${HANDLERS}`,
        { regs: { r10: 48 }, mode: 'kernel' },
      );
      assert.equal(r.machine.cpu.regs[7] >>> 0, r.label('vectors'));
    });

    it('mov rd, evt in kernel mode too', () => {
      check(
        `
_start: mov r1, 0xABCD0000
        mov evt, r1
        mov r2, evt
        mov r3, 0x1000
        mov ksp, r3
        mov r4, ksp
        mov cr3, r0
        mov r5, cr3
        hlt`,
        { stop: 'halted', regs: { r2: 0xabcd0000, r4: 0x1000, r5: 0 }, evt: 0xabcd0000, ksp: 0x1000, cr3: 0 },
      );
    });
  });

  describe('#DF, triple fault', () => {
    // Paging maps virtual pages 0–3 and 5–7 to the same physical pages; page 4 is
    // missing. With evt = 0x5000 − 28, the entry of vector 6 (evt + 24) lies on the
    // missing page and the entry of vector 8 (evt + 32) on page 5.
    const PAGED = (body: string, evt = '0x5000 - 28') => `
        .org 0
_start: mov sp, 0x3000
        mov r1, 0x1000
        mov cr3, r1
        mov r1, ${evt}
        mov evt, r1
        mov r1, 0x7000
        mov ksp, r1
${body}
on_df:  mov r10, 8
        hlt
        .org 0x1000
pd:     .word 0x2007
        .org 0x2000
pt:     .word 0x0007, 0x1007, 0x2007, 0x3007, 0, 0x5007, 0x6007, 0x7007
        .org 0x5004
        .word on_df`;

    it('a page fault while delivering becomes #DF, delivered from the original state (saved pc of the original event, e = a = 0)', () => {
      check(
        PAGED(`
        mov r2, 0
        cmp r2, 1
bad:    .word 0`),
        { stop: 'halted', regs: { r10: 8, sp: 0x3000 - 24 }, mode: 'kernel', flags: CF | SF },
      );
      check(
        PAGED(`
        mov r2, 0
        cmp r2, 1
bad:    .word 0`),
        { words: frame(0x3000, { sp: 0x3000, mode: 0, flags: CF | SF, pc: 'bad', e: 0, a: 0 }) },
      );
    });

    it('#DF of a trap saves the pc of the next instruction; from user mode it goes on ksp with mode 1', () => {
      // evt = 0x3FDC: vector 8's entry (evt + 32) is at 0x3FFC on page 3, vector 48's
      // (evt + 192 = 0x409C) on the missing page 4.
      check(
        `
_start: mov sp, 0x3000
        mov r1, 0x1000
        mov cr3, r1
        mov r1, 0x3FDC
        mov evt, r1
        mov r1, 0x7000
        mov ksp, r1
        ${toUser('user', IF | ZF)}
user:   syscall
after:  hlt
on_df:  mov r10, 8
        hlt
        .org 0x1000
        .word 0x2007
        .org 0x2000
        .word 0x0007, 0x1007, 0x2007, 0x3007, 0, 0x5007, 0x6007, 0x7007
        .org 0x3FFC
        .word on_df`,
        {
          stop: 'halted',
          regs: { r10: 8, sp: 0x7000 - 24 },
          mode: 'kernel',
          flags: ZF,
          words: frame(0x7000, { sp: USER_SP, mode: 1, flags: IF | ZF, pc: 'after', e: 0, a: 0 }),
        },
      );
    });

    it('a fault while delivering #DF is a triple fault: the machine stops, state as before the event', () => {
      check(
        `
_start: mov sp, 0x8000
        mov r1, 0x1000
        mov cr3, r1
        mov r1, 0x4000          ; the whole vector table is on the missing page
        mov evt, r1
        mov r2, 0
        cmp r2, 1
bad:    .word 0
        .org 0x1000
        .word 0x2007
        .org 0x2000
        .word 0x0007, 0x1007, 0x2007, 0x3007, 0, 0x5007, 0x6007, 0x7007`,
        {
          stop: 'triple-fault',
          pc: 'bad',
          regs: { sp: 0x8000 },
          mode: 'kernel',
          flags: CF | SF,
          retired: 7,
          ticks: 7,
        },
      );
    });

    it('a triple fault from user mode with a ksp stack that is not mapped', () => {
      check(
        `
_start: mov sp, 0x3000
        mov r1, 0x1000
        mov cr3, r1
        mov r1, 0x4800
        mov ksp, r1             ; ksp on the missing page 4
        ${toUser('user', IF)}
user:   syscall
after:  hlt
        .org 0x1000
        .word 0x2007
        .org 0x2000
        .word 0x0007, 0x1007, 0x2007, 0x3007, 0, 0x5007, 0x6007, 0x7007`,
        {
          stop: 'triple-fault',
          pc: 'after',
          mode: 'user',
          regs: { sp: USER_SP },
          flags: IF,
          retired: 11,
        },
      );
    });
  });

  describe('exception loop', () => {
    it('100,000 deliveries in a row without a retired instruction stop the machine (here: a #UD handler that is itself undefined)', () => {
      // Each #UD is delivered kernel to kernel, 24 bytes lower: after exactly
      // 100,000 deliveries sp = 0x400000 − 2,400,000 and pc is the handler.
      check(
        `
_start: mov sp, 0x400000
        mov r1, vectors
        mov evt, r1
bad:    .word 0
${vectorTable({}, '0x300000')}`,
        {
          stop: 'exception-loop',
          pc: 0x300000,
          regs: { sp: 0x400000 - 24 * 100000 },
          retired: 3,
          ticks: 3,
          mode: 'kernel',
          words: { [0x400000 - 16]: 'bad', [0x400000 - 24 * 2 + 8]: 0x300000, [0x400000 - 24 * 100000 + 8]: 0x300000, [0x400000 - 24 * 100000 - 16]: 0 },
        },
        { memory: 0x400000 },
      );
    });

    it('a handler that retires one instruction before faulting again never counts as a loop', () => {
      check(
        `
_start: mov sp, 0x400000
        mov r1, vectors
        mov evt, r1
        .word 0
handler: nop
        .word 0
${vectorTable({}, 'handler')}`,
        { stop: 'instruction-limit', retired: 50000, pc: 'handler+4' },
        { memory: 0x400000, maxInstructions: 50000 },
      );
    });

    it('exactly 100,000 deliveries are allowed, and a retired instruction restarts the count', () => {
      // The #UD handler is at H = NOP (this build's opcode byte of nop, as an
      // address), which holds 0 (undefined). Delivery j writes its saved pc (H)
      // at S − 24(j−1) − 16; S is chosen so that delivery 100,000 writes it at
      // H itself, which turns the word there into a nop. The handler then
      // retires (the loop is broken), falls into H + 4 (a pushed 0: #UD again)
      // and from then on every delivery is followed by a retired nop.
      const H = Op.NOP;
      const S = H + 16 + 24 * 99999;
      check(
        `
_start: mov sp, ${S}
        mov r1, vectors
        mov evt, r1
        .word 0
        .org 0x3F0000
${vectorTable({}, String(H))}`,
        { stop: 'instruction-limit', retired: 3 + 2, pc: H + 4, words: { [H]: H } },
        { memory: 0x400000, maxInstructions: 3 + 2 },
      );
    });
  });

  describe('#PF frame (vector 14): e is the error code, a the fault address', () => {
    it('a user write to a read-only page', () => {
      check(
        `
_start: mov sp, 0x3000
        mov r1, 0x1000
        mov cr3, r1
        mov r1, vectors
        mov evt, r1
        mov r1, 0x7000
        mov ksp, r1
        ${toUser('user', CF)}
user:   mov r2, 0x4321
bad:    st [r2 + 0x1000], r2
        hlt
${HANDLERS}
        .org 0x1000
        .word 0x2007
        .org 0x2000
        .word 0x0007, 0x1007, 0x2007, 0x3007, 0x4007, 0x5005, 0x6007, 0x7007`,
        {
          stop: 'halted',
          regs: { r10: 14, sp: 0x7000 - 24 },
          words: frame(0x7000, { sp: USER_SP, mode: 1, flags: CF, pc: 'bad', e: 0x7, a: 0x5321 }),
        },
      );
    });
  });

  describe('bus error: a physical address that is neither RAM nor a device stops the machine at once', () => {
    it('in a fetch', () => {
      check(
        `
_start: jmp 0x100000`,
        { stop: 'bus-error', pc: 0x100000, retired: 1 },
      );
    });
    it('in a fetch of the second word of an 8-byte instruction at the end of RAM', () => {
      check(
        `
_start: mov r1, 0x12345678
        st [0xFFFFC], r1
        mov r1, 0x0102            ; any 8-byte form: copy the first word of 'mov r1, imm'
        ld r1, [_start]
        st [0xFFFFC], r1
        jmp 0xFFFFC`,
        { stop: 'bus-error', pc: 0xffffc, retired: 6 },
      );
    });
    it('in a load (also one that starts in RAM and ends outside)', () => {
      check(
        `
_start: mov r1, 7
bad:    ld r1, [0x100000]
        hlt`,
        { stop: 'bus-error', pc: 'bad', regs: { r1: 7 }, retired: 1 },
      );
      check(
        `
_start: mov r1, 7
bad:    ld r1, [0xFFFFE]
        hlt`,
        { stop: 'bus-error', pc: 'bad', regs: { r1: 7 }, retired: 1 },
      );
      check(
        `
_start: mov r1, 7
bad:    ldb r1, [0x80000000]
        hlt`,
        { stop: 'bus-error', pc: 'bad', regs: { r1: 7 }, retired: 1 },
      );
    });
    it('in a store: nothing is written, even the bytes that are RAM', () => {
      check(
        `
_start: mov r1, 0xFFFFFFFF
bad:    st [0xFFFFE], r1
        hlt`,
        { stop: 'bus-error', pc: 'bad', bytes: { 0xffffe: 0, 0xfffff: 0 }, retired: 1 },
      );
      check(
        `
_start: mov r1, 0xFFFFFFFF
bad:    stb [0x100000], r1
        hlt`,
        { stop: 'bus-error', pc: 'bad', retired: 1 },
      );
      check(
        `
_start: mov r1, 0xFFFFFFFF
        mov sp, 0x100004
bad:    push r1
        hlt`,
        { stop: 'bus-error', pc: 'bad', regs: { sp: 0x100004 }, retired: 2 },
      );
    });
    it('with a smaller RAM (memory: 8192)', () => {
      check(
        `
_start: mov r1, 5
        st [0x1FFC], r1
bad:    st [0x2000], r1
        hlt`,
        { stop: 'bus-error', pc: 'bad', words: { 0x1ffc: 5 }, retired: 2 },
        { memory: 8192 },
      );
    });
    it('in a page walk: the page directory outside RAM', () => {
      check(
        `
_start: mov r1, 0x200000
        mov cr3, r1
next:   hlt`,
        { stop: 'bus-error', pc: 'next', cr3: 0x200000, retired: 2 },
      );
    });
    it('in a page walk: a page table outside RAM', () => {
      check(
        `
_start: mov r1, 0x1000
        mov cr3, r1
next:   hlt
        .org 0x1000
        .word 0x80000007`,
        { stop: 'bus-error', pc: 'next', retired: 2 },
      );
    });
    it('in a delivery: the vector table outside RAM (no #DF)', () => {
      check(
        `
_start: mov sp, 0x4000
        mov r1, 0x100000
        mov evt, r1
bad:    brk
        hlt`,
        { stop: 'bus-error', pc: 'bad+4', regs: { sp: 0x4000 }, retired: 4, words: { 0x3ffc: 0x4000 } },
      );
    });
    it('in a delivery: the stack outside RAM (no #DF)', () => {
      check(
        `
_start: mov sp, 0x200000
bad:    .word 0`,
        { stop: 'bus-error', pc: 'bad', regs: { sp: 0x200000 }, mode: 'kernel', retired: 1 },
      );
    });
  });

  describe('precedence', () => {
    it('#GP comes before any effect: a user-mode in does not read the port', () => {
      check(
        `
_start: ${SETUP}
        ${toUser('user')}
user:   in r1, 0x60
        hlt
${HANDLERS.replace('h13:    mov r10, 13', 'h13:    in r2, 0x60\n        mov r10, 13')}`,
        { regs: { r10: 13, r1: KSP, r2: 0x61 } },
        { input: 'ab' },
      );
    });

    it('an undefined encoding in the privileged range raises #UD, not #GP, in user mode', () => {
      check(
        `
_start: ${SETUP}
        ${toUser('user')}
user:   .word ${Op.HLT | 0x100}
        hlt
${HANDLERS}`,
        { regs: { r10: 6 } },
      );
    });
  });
});
