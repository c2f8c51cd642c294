// Moves, loads, stores and lea (g32-isa.md §3 "move"): values, widths,
// addressing forms, little-endian layout, and that none of them touch flags.
// Also "code is data": instructions can be read, rewritten and jumped into.

import { check, CF, SF, ZF } from './check';

describe('machine: moves', () => {
  it('mov rd, imm and mov rd, rs copy 32-bit values', () => {
    check(
      `
_start: mov r1, 0xFFFFFFFF
        mov r2, r1
        mov r15, 0x12345678
        mov r0, sp
        mov r14, 7
        hlt`,
      { stop: 'halted', regs: { r1: 0xffffffff, r2: 0xffffffff, sp: 0x12345678, r0: 0x12345678, r14: 7 } },
    );
  });

  it('every register is 0 at reset and pc starts at _start, which need not be address 0', () => {
    check(
      `
        nop
        hlt
_start: hlt`,
      {
        stop: 'halted',
        pc: 12,
        ticks: 1,
        flags: 0,
        mode: 'kernel',
        cr3: 0,
        evt: 0,
        ksp: 0,
        regs: { r0: 0, r1: 0, r2: 0, r3: 0, r4: 0, r5: 0, r6: 0, r7: 0, r8: 0, r9: 0, r10: 0, r11: 0, r12: 0, r13: 0, r14: 0, sp: 0 },
      },
    );
  });

  it('.entry names the entry point', () => {
    check(
      `
        .entry main
        mov r1, 1
main:   mov r2, 2
        hlt`,
      { regs: { r1: 0, r2: 2 }, retired: 2 },
    );
  });

  it('ld and st move little-endian 32-bit words through every addressing form', () => {
    check(
      `
_start: mov r2, data
        ld r1, [r2]
        ld r3, [r2 + 4]
        mov r4, data + 8
        ld r5, [r4 - 4]
        ld r6, [data]
        mov r7, 0xA1B2C3D4
        st [r2 + 8], r7
        st [r4 + 4], r7
        st [r2], r7
        st [data + 16], r7
        hlt
        .align 4
data:   .word 0x11223344
data1:  .word 0x55667788
data2:  .word 0
data3:  .word 0
data4:  .word 0`,
      {
        regs: { r1: 0x11223344, r3: 0x55667788, r5: 0x55667788, r6: 0x11223344 },
        words: { data: 0xa1b2c3d4, data1: 0x55667788, data2: 0xa1b2c3d4, data3: 0xa1b2c3d4, data4: 0xa1b2c3d4 },
      },
    );
  });

  it('st stores little-endian bytes; ld reads unaligned words', () => {
    check(
      `
_start: mov r1, 0x44332211
        st [0x2001], r1
        ld r2, [0x2002]
        ldb r3, [0x2001]
        ldb r4, [0x2004]
        ldb r5, [0x2005]
        hlt`,
      {
        regs: { r2: 0x00443322, r3: 0x11, r4: 0x44, r5: 0 },
        bytes: { 0x2000: 0, 0x2001: 0x11, 0x2002: 0x22, 0x2003: 0x33, 0x2004: 0x44, 0x2005: 0 },
      },
    );
  });

  it('ldb zero-extends; stb writes only the low byte', () => {
    check(
      `
_start: mov r1, 0xFFFFFFF0
        st [0x2000], r1
        ldb r2, [0x2000]
        ldb r3, [0x2001]
        mov r4, 0x123456AB
        stb [0x2004], r4
        mov r5, 0x2000
        stb [r5 + 6], r4
        stb [r5 - 0], r4
        mov r6, 0x2008
        stb [r6], r4
        hlt`,
      {
        regs: { r2: 0xf0, r3: 0xff },
        words: { 0x2000: 0xffffffab, 0x2004: 0x00ab00ab, 0x2008: 0x000000ab },
      },
    );
  });

  it('displacements wrap modulo 2^32: [r1 - 4] with a large base and [r1 + 0xFFFFFFFC]', () => {
    check(
      `
_start: mov r1, 0x2008
        mov r2, 77
        st [r1 + 0xFFFFFFFC], r2
        ld r3, [r1 - 4]
        mov r4, 0x1000
        ld r5, [r4 + 0x1004]
        hlt`,
      { regs: { r3: 77, r5: 77 }, words: { 0x2004: 77 } },
    );
  });

  it('lea computes the address without touching memory (even an address that is not RAM)', () => {
    check(
      `
_start: mov r1, 0x10
        lea r2, [r1]
        lea r3, [r1 + 0x20]
        lea r4, [r1 - 0x20]
        lea r5, [0xF0000000]
        lea r6, [r1 + 0xFFFFFFF0]
        hlt`,
      { stop: 'halted', regs: { r2: 0x10, r3: 0x30, r4: 0xfffffff0, r5: 0xf0000000, r6: 0 } },
    );
  });

  it('moves, loads, stores, lea, push and pop leave flags alone', () => {
    check(
      `
_start: mov sp, 0x3000
        mov r1, 0
        cmp r1, 1
        mov r2, 0
        mov r3, r2
        ld r4, [0x2000]
        ldb r4, [0x2000]
        st [0x2000], r2
        stb [0x2000], r2
        lea r5, [r1 + 0]
        push r2
        pop r6
        push 0
        pop r6
        hlt`,
      { flags: CF | SF },
    );
    check(
      `
_start: mov sp, 0x3000
        mov r1, 5
        cmp r1, 5
        mov r2, 1
        ld r2, [0x2000]
        push 1
        pop r2
        hlt`,
      { flags: ZF },
    );
  });

  it('code is data: a program reads its own instruction words', () => {
    // The opcode bytes are this build's own; only the value of an immediate is portable.
    check(
      `
_start: ld r1, [here + 4]
here:   mov r2, 0xCAFEBABE
        hlt`,
      { regs: { r1: 0xcafebabe, r2: 0xcafebabe } },
    );
  });

  it('self-modifying code: rewriting the immediate of an instruction already run changes what runs next', () => {
    check(
      `
_start: mov r3, 0
again:  
target: mov r1, 5
        add r3, r1
        mov r2, 9
        st [target + 4], r2
        cmp r3, 5
        je again
        hlt`,
      { regs: { r1: 9, r3: 14 } },
    );
  });

  it('self-modifying code: copying an instruction over one already run (word by word)', () => {
    check(
      `
_start: mov r4, 0
loop:
patch:  mov r1, 1
        add r4, 1
        ld r2, [model]
        st [patch], r2
        ld r2, [model + 4]
        st [patch + 4], r2
        cmp r4, 2
        jne loop
        hlt
model:  mov r1, 0x77`,
      { regs: { r1: 0x77, r4: 2 } },
    );
  });

  it('self-modifying code with a byte store into the opcode word', () => {
    // The 8-byte 'add r5, 1' has run (and is decoded); its bytes are then replaced
    // one store at a time by those of 'mov r5, 40'.
    check(
      `
_start: mov r5, 0
loop:
slot:   add r5, 1
        ldb r2, [model]
        stb [slot], r2
        ldb r2, [model + 1]
        stb [slot + 1], r2
        ldb r2, [model + 2]
        stb [slot + 2], r2
        ldb r2, [model + 3]
        stb [slot + 3], r2
        ld r2, [model + 4]
        st [slot + 4], r2
        cmp r5, 1
        je loop
        hlt
model:  mov r5, 40`,
      { regs: { r5: 40 } },
    );
  });

  it('self-modifying code: a store to the very next instruction takes effect at once', () => {
    check(
      `
_start: ld r1, [model]
        ld r2, [model + 4]
        st [next], r1
        st [next + 4], r2
next:   mov r5, 1
        hlt
model:  mov r6, 6`,
      { stop: 'halted', regs: { r5: 0, r6: 6 } },
    );
  });

  it('no alignment is imposed on instructions: code at an odd address runs', () => {
    check(
      `
_start: jmp odd
        .byte 0
odd:    mov r1, 0x01020304
        add r1, 1
        jmp back
        .byte 0, 0
back:   hlt`,
      { stop: 'halted', regs: { r1: 0x01020305 }, retired: 5 },
    );
  });

  it('running into zeroed memory raises #UD (here its delivery with sp = 0 pushes at 0xFFFFFFFC: a bus error)', () => {
    check(
      `
_start: nop`,
      { stop: 'bus-error', pc: 4, retired: 1 },
    );
  });
});
