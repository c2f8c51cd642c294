// Control flow (g32-isa.md §3): every conditional jump both ways on signed and
// unsigned edge values, unconditional jumps to labels and registers, call and
// ret (which push and pop the address of the next instruction), nop.

import { check, CF, OF, SF, ZF } from './check';

const hex = (value: number): string => `0x${(value >>> 0).toString(16)}`;

/** Pairs compared with `cmp a, b`, chosen at the signed and unsigned edges. */
const PAIRS: Array<[number, number]> = [
  [1, 2],
  [2, 1],
  [2, 2],
  [0, 0],
  [0x80000000, 1],
  [1, 0x80000000],
  [0xffffffff, 0],
  [0, 0xffffffff],
  [0x7fffffff, 0x80000000],
  [0x80000000, 0x7fffffff],
  [0x80000000, 0x80000000],
  [0xffffffff, 0xffffffff],
  [0xffffffff, 1],
];

/** The x86 meaning of each condition after `cmp a, b`. */
const CONDITIONS: Record<string, (a: number, b: number) => boolean> = {
  jz: (a, b) => a === b,
  je: (a, b) => a === b,
  jnz: (a, b) => a !== b,
  jne: (a, b) => a !== b,
  jl: (a, b) => (a | 0) < (b | 0),
  jge: (a, b) => (a | 0) >= (b | 0),
  jle: (a, b) => (a | 0) <= (b | 0),
  jg: (a, b) => (a | 0) > (b | 0),
  jb: (a, b) => a >>> 0 < b >>> 0,
  jae: (a, b) => a >>> 0 >= b >>> 0,
  jbe: (a, b) => a >>> 0 <= b >>> 0,
  ja: (a, b) => a >>> 0 > b >>> 0,
  js: (a, b) => ((a - b) | 0) < 0,
  jns: (a, b) => ((a - b) | 0) >= 0,
};

/** The flags `cmp a, b` leaves, computed independently of the simulator. */
function cmpFlags(a: number, b: number): number {
  const result = (a - b) | 0;
  const overflow = ((a ^ b) & (a ^ result)) < 0;
  return (a >>> 0 < b >>> 0 ? CF : 0) | (result === 0 ? ZF : 0) | (result < 0 ? SF : 0) | (overflow ? OF : 0);
}

describe('machine: control', () => {
  describe('conditional jumps after cmp', () => {
    for (const [mnemonic, condition] of Object.entries(CONDITIONS)) {
      for (const [a, b] of PAIRS) {
        const isTaken = condition(a, b);
        it(`cmp ${hex(a)}, ${hex(b)}; ${mnemonic} is ${isTaken ? 'taken' : 'not taken'}`, () => {
          check(
            `
_start: mov r1, ${hex(a)}
        cmp r1, ${hex(b)}
        ${mnemonic} yes
        mov r2, 1
        hlt
yes:    mov r2, 2
        hlt`,
            { stop: 'halted', regs: { r2: isTaken ? 2 : 1 }, flags: cmpFlags(a, b), retired: 5 },
          );
        });
      }
    }
  });

  describe('signed jumps read SF, OF and ZF; unsigned ones CF and ZF (flags set directly with popf)', () => {
    // Every combination of the four flags, so a jump that reads the wrong flag is caught.
    for (let flags = 0; flags < 16; flags++) {
      const cf = (flags & CF) !== 0,
        zf = (flags & ZF) !== 0,
        sf = (flags & SF) !== 0,
        of = (flags & OF) !== 0;
      const expect: Record<string, boolean> = {
        jz: zf,
        jnz: !zf,
        jl: sf !== of,
        jge: sf === of,
        jle: zf || sf !== of,
        jg: !zf && sf === of,
        jb: cf,
        jae: !cf,
        jbe: cf || zf,
        ja: !cf && !zf,
        js: sf,
        jns: !sf,
      };
      for (const [mnemonic, isTaken] of Object.entries(expect)) {
        it(`flags ${hex(flags)}: ${mnemonic} ${isTaken ? 'taken' : 'not taken'}`, () => {
          check(
            `
_start: mov sp, 0x4000
        push ${flags}
        popf
        ${mnemonic} yes
        mov r2, 1
        hlt
yes:    mov r2, 2
        hlt`,
            { regs: { r2: isTaken ? 2 : 1 }, flags },
          );
        });
      }
    }
  });

  it('jump targets are absolute addresses; jmp imm may go anywhere', () => {
    check(
      `
_start: jmp 0x100
        .org 0x100
        mov r1, 1
        hlt`,
      { stop: 'halted', regs: { r1: 1 }, pc: 0x10c, retired: 3 },
    );
  });

  it('jmp rs jumps to the address in a register', () => {
    check(
      `
_start: mov r3, there
        jmp r3
        mov r1, 1
        hlt
there:  mov r1, 2
        hlt`,
      { regs: { r1: 2 }, retired: 4 },
    );
  });

  it('jmp sp and jmp r0 read the register', () => {
    check(
      `
_start: mov sp, there
        jmp sp
        hlt
there:  mov r0, fin
        jmp r0
        hlt
fin:    mov r4, 4
        hlt`,
      { regs: { r4: 4 }, retired: 6 },
    );
  });

  it('call pushes the address of the next instruction (8-byte form) and ret pops it', () => {
    const result = check(
      `
_start: mov sp, 0x4000
        call subr
after:  mov r2, r1
        hlt
subr:    ld r1, [sp]
        mov r3, sp
        ret`,
      { stop: 'halted', regs: { sp: 0x4000, r3: 0x3ffc }, words: { 0x3ffc: 8 + 8 }, retired: 7 },
    );
    check(
      `
_start: mov sp, 0x4000
        call subr
after:  mov r2, r1
        hlt
subr:    ld r1, [sp]
        ret`,
      { regs: { r1: result.label('after'), r2: result.label('after') } },
    );
  });

  it('call rs pushes the address of the next instruction (4-byte form)', () => {
    check(
      `
_start: mov sp, 0x4000
        mov r5, subr
        call r5
        hlt
subr:    ld r1, [sp]
        ret`,
      { stop: 'halted', regs: { r1: 20, sp: 0x4000 }, pc: 24, retired: 6 },
    );
  });

  it('nested calls and a recursive sum', () => {
    check(
      `
_start: mov sp, 0x8000
        mov r1, 10
        call sum
        hlt
; r0 = r1 + (r1-1) + ... + 1
sum:    cmp r1, 0
        jne .rec
        mov r0, 0
        ret
.rec:   push r1
        sub r1, 1
        call sum
        pop r1
        add r0, r1
        ret`,
      { stop: 'halted', regs: { r0: 55, r1: 10, sp: 0x8000 } },
    );
  });

  it('ret pops into pc whatever value is on the stack', () => {
    check(
      `
_start: mov sp, 0x4000
        push there
        ret
        hlt
there:  mov r1, 3
        hlt`,
      { regs: { r1: 3, sp: 0x4000 }, retired: 5 },
    );
  });

  it('call and ret leave flags alone', () => {
    check(
      `
_start: mov sp, 0x4000
        mov r1, 0
        cmp r1, 1
        call subr
        hlt
subr:    ret`,
      { flags: CF | SF },
    );
  });

  it('nop does nothing but retire', () => {
    check(
      `
_start: nop
        nop
        nop
        hlt`,
      { stop: 'halted', retired: 4, ticks: 4, pc: 16, flags: 0 },
    );
  });

  it('a jump to the instruction itself loops until the instruction limit', () => {
    check(
      `
_start: jmp _start`,
      { stop: 'instruction-limit', retired: 1000, pc: 0 },
      { maxInstructions: 1000 },
    );
  });
});
