// The stack (g32-isa.md §3, §8): push subtracts 4 then stores, pop loads then
// adds 4, `push sp` pushes the old sp, `pop sp` loads sp with the popped value,
// and pushf/popf move the real flags.

import { check, CF, IF, OF, SF, ZF } from './check';

describe('machine: stack', () => {
  it('push rs subtracts 4 from sp, then stores', () => {
    check(
      `
_start: mov sp, 0x4000
        mov r1, 0x11111111
        mov r2, 0x22222222
        push r1
        push r2
        hlt`,
      { regs: { sp: 0x3ff8 }, words: { 0x3ffc: 0x11111111, 0x3ff8: 0x22222222, 0x4000: 0 } },
    );
  });

  it('push imm pushes the 32-bit value', () => {
    check(
      `
_start: mov sp, 0x4000
        push 0xFFFFFFFE
        push 7
        hlt`,
      { regs: { sp: 0x3ff8 }, words: { 0x3ffc: 0xfffffffe, 0x3ff8: 7 } },
    );
  });

  it('pop loads, then adds 4 (last in, first out)', () => {
    check(
      `
_start: mov sp, 0x4000
        push 1
        push 2
        pop r3
        pop r4
        hlt`,
      { regs: { r3: 2, r4: 1, sp: 0x4000 } },
    );
  });

  it('push sp pushes the old sp', () => {
    check(
      `
_start: mov sp, 0x4000
        push sp
        ld r1, [sp]
        hlt`,
      { regs: { r1: 0x4000, sp: 0x3ffc }, words: { 0x3ffc: 0x4000 } },
    );
  });

  it('pop sp loads sp with the popped value (the increment is lost)', () => {
    check(
      `
_start: mov sp, 0x4000
        push 0x2468
        pop sp
        hlt`,
      { regs: { sp: 0x2468 } },
    );
    check(
      `
_start: mov sp, 0x4000
        push sp
        pop sp
        hlt`,
      { regs: { sp: 0x4000 } },
    );
  });

  it('sp wraps around modulo 2^32 (push at sp = 4 goes to 0)', () => {
    check(
      `
_start: mov sp, 4
        push 0x99
        hlt`,
      { stop: 'halted', regs: { sp: 0 }, words: { 0: 0x99 } },
    );
  });

  it('unaligned stack pointers work', () => {
    check(
      `
_start: mov sp, 0x4003
        push 0x44332211
        pop r1
        hlt`,
      { regs: { r1: 0x44332211, sp: 0x4003 }, bytes: { 0x3fff: 0x11, 0x4000: 0x22, 0x4001: 0x33, 0x4002: 0x44 } },
    );
  });

  it('pushf pushes the real flags, IF included; popf restores them in kernel mode', () => {
    check(
      `
_start: mov sp, 0x4000
        sti
        mov r1, 0
        cmp r1, 1
        pushf
        pop r2
        push 0
        popf
        pushf
        pop r3
        hlt`,
      { stop: 'halted', regs: { r2: IF | CF | SF, r3: 0 }, flags: 0 },
    );
  });

  it('popf masks the popped value to 0x20F (bits that do not exist read as 0)', () => {
    check(
      `
_start: mov sp, 0x4000
        push 0xFFFFFFFF
        popf
        pushf
        pop r1
        cli
        hlt`,
      { stop: 'halted', regs: { r1: 0x20f }, flags: CF | ZF | SF | OF },
    );
  });

  it('popf in kernel mode can set IF', () => {
    check(
      `
_start: mov sp, 0x4000
        push 0x200
        popf
        hlt`,
      { stop: 'halted', flags: IF, regs: { sp: 0x4000 } },
    );
  });
});
