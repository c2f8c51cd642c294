// Counting (g32-isa.md §4, §8): a tick per retired instruction, none for a
// faulting instruction or a delivery, one for syscall, brk and hlt (which
// retire before their effect), and the --max-instructions limit on retired
// instructions.

import { check, vectorTable } from './check';

describe('machine: limits and counting', () => {
  it('--max-instructions N stops after exactly N retired instructions, before the next one', () => {
    check(
      `
_start: add r1, 1
        jmp _start`,
      { stop: 'instruction-limit', retired: 7, ticks: 7, regs: { r1: 4 }, pc: 8 },
      { maxInstructions: 7 },
    );
  });

  it('the default limit is 10,000,000', () => {
    check(
      `
_start: jmp _start`,
      { stop: 'instruction-limit', retired: 10_000_000 },
    );
  });

  it('a program that halts before the limit is not affected by it', () => {
    check(
      `
_start: nop
        nop
        hlt`,
      { stop: 'halted', retired: 3 },
      { maxInstructions: 4 },
    );
  });

  it('hlt as the last allowed instruction still halts cleanly (it retires, then halts)', () => {
    check(
      `
_start: nop
        nop
        hlt
        nop`,
      { stop: 'halted', retired: 3, pc: 12 },
      { maxInstructions: 3 },
    );
    check(
      `
_start: sti
        hlt`,
      { stop: 'halted', retired: 2 },
      { maxInstructions: 2 },
    );
  });

  it("hlt that waits counts one tick; the limit stops the run before the handler's first instruction", () => {
    check(
      `
_start: mov sp, 0x8000
        mov r1, vectors
        mov evt, r1
        mov r1, 10
        out 0x40, r1             ; tick 5: fires at 15
        sti
        hlt                      ; retired 7
on_timer: mov r10, 32
        hlt
${vectorTable({ 32: 'on_timer' }, '0')}`,
      { stop: 'instruction-limit', retired: 7, ticks: 15, idleTicks: 8, pc: 'on_timer', regs: { r10: 0, sp: 0x8000 - 24 } },
      { maxInstructions: 7 },
    );
  });

  it('a faulting instruction does not retire; its delivery takes no tick', () => {
    // 3 + mov + mov = 5 retired; the divu faults; the handler skips it (5 instructions); hlt.
    check(
      `
_start: mov sp, 0x8000
        mov r1, vectors
        mov evt, r1
        mov r1, 7
        mov r2, 0
        divu r1, r2
        hlt
on_de:  add sp, 8
        ld r3, [sp]
        add r3, 4
        st [sp], r3
        iret
${vectorTable({ 0: 'on_de' }, '0')}`,
      { stop: 'halted', retired: 5 + 5 + 1, ticks: 11, regs: { r1: 7 } },
    );
  });

  it("a faulting instruction does not count toward the limit: its handler's first instruction is the 4th", () => {
    check(
      `
_start: mov sp, 0x8000
        mov r1, vectors
        mov evt, r1
bad:    .word 0
handler: nop
${vectorTable({}, 'handler')}`,
      { stop: 'instruction-limit', retired: 4, pc: 'handler+4', regs: { sp: 0x8000 - 24 }, words: { [0x8000 - 16]: 'bad' } },
      { maxInstructions: 4 },
    );
  });

  it('syscall and brk retire (one tick each) before their trap is delivered', () => {
    check(
      `
_start: mov sp, 0x8000
        mov r1, vectors
        mov evt, r1
        syscall
next:   nop
handler: nop
${vectorTable({}, 'handler')}`,
      { stop: 'instruction-limit', retired: 4, ticks: 4, pc: 'handler', words: { [0x8000 - 16]: 'next' } },
      { maxInstructions: 4 },
    );
    check(
      `
_start: mov sp, 0x8000
        mov r1, vectors
        mov evt, r1
        brk
next:   nop
handler: add sp, 8
        iret
${vectorTable({}, 'handler')}`,
      { stop: 'instruction-limit', retired: 7, ticks: 7, pc: 'next+4' },
      { maxInstructions: 7 },
    );
  });

  it('a #GP in user mode does not retire the privileged instruction', () => {
    check(
      `
_start: mov sp, 0x8000
        mov r1, vectors
        mov evt, r1
        mov r1, 0x9000
        mov ksp, r1
        push 0x6000
        push 1
        push 0
        push user
        iret
user:   cli
handler: hlt
${vectorTable({}, 'handler')}`,
      { stop: 'halted', retired: 10 + 1, ticks: 11 },
    );
  });

  it('instruction limit 1: the first instruction runs', () => {
    check(
      `
_start: mov r1, 1
        mov r2, 2`,
      { stop: 'instruction-limit', retired: 1, regs: { r1: 1, r2: 0 }, pc: 8 },
      { maxInstructions: 1 },
    );
  });
});
