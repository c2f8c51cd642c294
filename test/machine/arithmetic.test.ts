// Arithmetic and logic (g32-isa.md §3, §8): every ALU operation in its register
// and immediate forms, with the flag rules spelled out case by case. `add`,
// `sub`, `cmp` and `neg` set CF/OF/ZF/SF as x86 does; every other operation sets
// ZF/SF from its result and clears CF and OF (even shifts by 0).

import { check, CF, IF, OF, SF, ZF } from './check';

type Case = [a: number, b: number, result: number, flags: number];

const hex = (value: number): string => `0x${(value >>> 0).toString(16)}`;

/**
 * Runs `op r1, r2` and `op r1, imm` with r1 = a and r2 = b, after an `add` that
 * sets CF, OF and ZF so that "clears CF and OF" is observable, and compares r1
 * and flags. `isCompare`: r1 must keep a.
 */
function binary(op: string, cases: Case[], isCompare = false): void {
  for (const [a, b, result, flags] of cases) {
    for (const form of ['register', 'immediate'] as const) {
      it(`${op} ${hex(a)}, ${hex(b)} (${form}) = ${hex(result)}, flags ${hex(flags)}`, () => {
        const source = `
_start: mov r9, 0x80000000
        add r9, r9              ; CF, OF and ZF set beforehand
        mov r1, ${hex(a)}
        mov r2, ${hex(b)}
        ${op} r1, ${form === 'register' ? 'r2' : hex(b)}
        hlt`;
        check(source, { stop: 'halted', regs: { r1: isCompare ? a : result, r2: b }, flags, retired: 6 });
      });
    }
  }
}

function unary(op: string, cases: Array<[a: number, result: number, flags: number]>): void {
  for (const [a, result, flags] of cases) {
    it(`${op} ${hex(a)} = ${hex(result)}, flags ${hex(flags)}`, () => {
      check(
        `
_start: mov r9, 0x80000000
        add r9, r9
        mov r3, ${hex(a)}
        ${op} r3
        hlt`,
        { stop: 'halted', regs: { r3: result }, flags, retired: 5 },
      );
    });
  }
}

describe('machine: arithmetic', () => {
  describe('add: CF is the carry out, OF the signed overflow', () => {
    binary('add', [
      [1, 2, 3, 0],
      [0, 0, 0, ZF],
      [0xffffffff, 1, 0, CF | ZF],
      [0x7fffffff, 1, 0x80000000, SF | OF],
      [0x80000000, 0x80000000, 0, CF | ZF | OF],
      [0xffffffff, 0xffffffff, 0xfffffffe, CF | SF],
      [0x80000000, 0xffffffff, 0x7fffffff, CF | OF],
      [0x7fffffff, 0x7fffffff, 0xfffffffe, SF | OF],
      [0xfffffffe, 1, 0xffffffff, SF],
    ]);
  });

  describe('sub: CF is the borrow (a < b unsigned), OF the signed overflow', () => {
    binary('sub', [
      [5, 3, 2, 0],
      [3, 5, 0xfffffffe, CF | SF],
      [5, 5, 0, ZF],
      [0, 1, 0xffffffff, CF | SF],
      [0x80000000, 1, 0x7fffffff, OF],
      [0x7fffffff, 0xffffffff, 0x80000000, CF | SF | OF],
      [0, 0x80000000, 0x80000000, CF | SF | OF],
      [0xffffffff, 0x7fffffff, 0x80000000, SF],
      [0xffffffff, 0xffffffff, 0, ZF],
      [0x80000000, 0x80000000, 0, ZF],
      [1, 0x80000000, 0x80000001, CF | SF | OF],
    ]);
  });

  describe('cmp: the flags of sub, ra unchanged', () => {
    binary(
      'cmp',
      [
        [5, 3, 2, 0],
        [3, 5, 0xfffffffe, CF | SF],
        [5, 5, 0, ZF],
        [0x80000000, 1, 0x7fffffff, OF],
        [0x7fffffff, 0xffffffff, 0x80000000, CF | SF | OF],
        [0xffffffff, 0x7fffffff, 0x80000000, SF],
      ],
      true,
    );
  });

  describe('neg: CF unless the operand was 0, OF only for 0x80000000', () => {
    unary('neg', [
      [0, 0, ZF],
      [1, 0xffffffff, CF | SF],
      [0xffffffff, 1, CF],
      [0x80000000, 0x80000000, CF | SF | OF],
      [0x7fffffff, 0x80000001, CF | SF],
      [0x80000001, 0x7fffffff, CF],
    ]);
  });

  describe('and, or, xor: ZF and SF from the result, CF and OF cleared', () => {
    binary('and', [
      [0xf0f0f0f0, 0x0ff00ff0, 0x00f000f0, 0],
      [0xf0000000, 0x80000001, 0x80000000, SF],
      [0x0f, 0xf0, 0, ZF],
      [0xffffffff, 0xffffffff, 0xffffffff, SF],
    ]);
    binary('or', [
      [0, 0, 0, ZF],
      [0x80000000, 1, 0x80000001, SF],
      [0x0f00, 0x00f0, 0x0ff0, 0],
    ]);
    binary('xor', [
      [0x12345678, 0x12345678, 0, ZF],
      [0xffffffff, 0x0f0f0f0f, 0xf0f0f0f0, SF],
      [0x00ff, 0x0ff0, 0x0f0f, 0],
    ]);
  });

  describe('test: the flags of and, ra unchanged', () => {
    binary(
      'test',
      [
        [0x80000000, 0xffffffff, 0x80000000, SF],
        [1, 2, 0, ZF],
        [3, 2, 2, 0],
      ],
      true,
    );
  });

  describe('not: ZF and SF from the result, CF and OF cleared', () => {
    unary('not', [
      [0, 0xffffffff, SF],
      [0xffffffff, 0, ZF],
      [0x80000000, 0x7fffffff, 0],
      [0x0f0f0f0f, 0xf0f0f0f0, SF],
    ]);
  });

  describe('shl, shr, sar: counts use their low 5 bits; CF and OF always cleared; a shift by 0 still sets ZF/SF', () => {
    binary('shl', [
      [1, 31, 0x80000000, SF],
      [0x80000000, 1, 0, ZF],
      [0xc0000001, 1, 0x80000002, SF],
      [3, 32, 3, 0],
      [3, 33, 6, 0],
      [1, 0xffffffff, 0x80000000, SF],
      [0, 0, 0, ZF],
      [0x80000000, 0, 0x80000000, SF],
      [5, 0, 5, 0],
      [0x12345678, 4, 0x23456780, 0],
    ]);
    binary('shr', [
      [0x80000000, 31, 1, 0],
      [0x80000000, 32, 0x80000000, SF],
      [0xf0000000, 4, 0x0f000000, 0],
      [1, 1, 0, ZF],
      [0xffffffff, 0x3f, 1, 0],
      [0, 0, 0, ZF],
      [0x80000000, 0, 0x80000000, SF],
    ]);
    binary('sar', [
      [0x80000000, 31, 0xffffffff, SF],
      [0x80000000, 1, 0xc0000000, SF],
      [0x40000000, 30, 1, 0],
      [0x80000000, 0x20, 0x80000000, SF],
      [0xfffffff0, 0x3f, 0xffffffff, SF],
      [0x7fffffff, 31, 0, ZF],
      [0xf0, 4, 0x0f, 0],
      [0, 0, 0, ZF],
    ]);
  });

  describe('mul keeps the low 32 bits; CF and OF cleared even when the product overflows', () => {
    binary('mul', [
      [7, 6, 42, 0],
      [0x10000, 0x10000, 0, ZF],
      [0xffffffff, 0xffffffff, 1, 0],
      [0x12345678, 0x9abcdef0, 0x242d2080, 0],
      [0xdeadbeef, 0x1234, 0x72b7968c, 0],
      [0x40000000, 2, 0x80000000, SF],
      [0xffffffff, 2, 0xfffffffe, SF],
      [5, 0, 0, ZF],
    ]);
  });

  describe('divu and remu are unsigned', () => {
    binary('divu', [
      [100, 7, 14, 0],
      [0xffffffff, 2, 0x7fffffff, 0],
      [0xffffffff, 0xffffffff, 1, 0],
      [5, 10, 0, ZF],
      [0x80000000, 1, 0x80000000, SF],
      [0xfffffffe, 0xffffffff, 0, ZF],
      [0xdeadbeef, 0x1234, 0xc3ba5, 0],
    ]);
    binary('remu', [
      [100, 7, 2, 0],
      [0xffffffff, 0x10, 15, 0],
      [7, 7, 0, ZF],
      [0x80000000, 0xffffffff, 0x80000000, SF],
      [0xdeadbeef, 0x1234, 0x76b, 0],
      [3, 0x80000000, 3, 0],
    ]);
  });

  describe('same register as both operands', () => {
    it('sub r1, r1 is 0 with ZF; add r1, r1 doubles; xor r1, r1 clears', () => {
      check(
        `
_start: mov r1, 0x80000000
        sub r1, r1
        hlt`,
        { regs: { r1: 0 }, flags: ZF },
      );
      check(
        `
_start: mov r1, 0xC0000000
        add r1, r1
        hlt`,
        { regs: { r1: 0x80000000 }, flags: CF | SF },
      );
      check(
        `
_start: mov r1, 0xC0000000
        cmp r1, r1
        hlt`,
        { regs: { r1: 0xc0000000 }, flags: ZF },
      );
    });
  });

  describe('IF is kept by every flag-setting instruction', () => {
    for (const op of [
      'add r1, 1',
      'sub r1, 2',
      'cmp r1, 3',
      'and r1, 0',
      'or r1, 1',
      'xor r1, r1',
      'test r1, r1',
      'shl r1, 1',
      'shr r1, 0',
      'sar r1, 31',
      'mul r1, 0',
      'divu r1, 1',
      'remu r1, 1',
      'not r1',
      'neg r1',
    ]) {
      it(`${op} keeps IF = 1`, () => {
        check(
          `
_start: mov sp, 0x4000
        sti
        mov r1, 0x80000000
        ${op}
        pushf
        pop r2
        and r2, 0x200
        cli
        hlt`,
          { stop: 'halted', regs: { r2: IF } },
        );
      });
    }
    it('add with IF = 1 gives flags IF | CF | ZF | OF', () => {
      check(
        `
_start: mov sp, 0x4000
        sti
        mov r1, 0x80000000
        add r1, r1
        pushf
        pop r2
        cli
        hlt`,
        { regs: { r1: 0, r2: IF | CF | ZF | OF } },
      );
    });
    it('logic and shift with IF = 1 keep IF in what pushf pushes', () => {
      check(
        `
_start: sti
        mov sp, 0x4000
        mov r1, 0x80000000
        add r1, r1
        shl r1, 0
        pushf
        pop r2
        neg r1
        pushf
        pop r3
        mov r4, 0x80000000
        neg r4
        pushf
        pop r5
        cli
        hlt`,
        { regs: { r2: IF | ZF, r3: IF | ZF, r4: 0x80000000, r5: IF | CF | SF | OF } },
      );
    });
  });

  describe('division by zero raises #DE: a fault, nothing changes, it does not retire', () => {
    const handler = (op: string): string => `
_start: mov sp, 0x4000
        mov r1, vectors
        mov evt, r1
        mov r1, 0x1234
        mov r2, 0
        mov r9, 0x80000000
        add r9, r9
faulty: ${op}
        hlt
on_de:  ld r5, [sp + 8]         ; saved pc
        ld r6, [sp + 4]         ; error code
        ld r7, [sp]             ; fault address
        ld r8, [sp + 12]        ; saved flags
        hlt
other:  mov r5, 0xBAD
        hlt
        .align 4
vectors: .word on_de, other, other, other, other, other, other, other`;
    for (const op of ['divu r1, r2', 'divu r1, 0', 'remu r1, r2', 'remu r1, 0']) {
      it(op, () => {
        const result = check(handler(op), { stop: 'halted', regs: { r1: 0x1234, r6: 0, r7: 0, r8: CF | ZF | OF, sp: 0x4000 - 24 }, retired: 7 + 5 });
        check(handler(op), { regs: { r5: result.label('faulty') } });
      });
    }
  });
});
