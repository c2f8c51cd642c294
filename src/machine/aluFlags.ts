// The ALU's flag rules (docs/machine.md, Arithmetic and logic), written once.
// Binary translation copies the text of each one into its blocks (translate.ts
// `ruleText`). The interpreter calls logicFlags and signedLess, and carries the
// text of addFlags, subFlags and negFlags in its loop, because calling them
// there measurably slowed it; test/machine/aluFlags.test.ts fails when that
// text differs from the functions here. Each keeps IF and replaces CF ZF SF OF,
// and must stay one `return` of an expression over its parameters (the
// translator checks that when it loads).

import { Flag } from './isa';

/** `res = (x + y) | 0`: CF is the unsigned carry, OF the signed overflow. */
export function addFlags(flags: number, x: number, y: number, res: number): number {
  return (flags & Flag.IF) | (res >>> 0 < x >>> 0 ? Flag.CF : 0) | (res === 0 ? Flag.ZF : 0) | (res < 0 ? Flag.SF : 0) | ((((x ^ res) & (y ^ res)) >>> 31) << 3);
}

/** `res = (x - y) | 0` (sub and cmp): CF is the borrow, OF the signed overflow. */
export function subFlags(flags: number, x: number, y: number, res: number): number {
  return (flags & Flag.IF) | (x >>> 0 < y >>> 0 ? Flag.CF : 0) | (res === 0 ? Flag.ZF : 0) | (res < 0 ? Flag.SF : 0) | ((((x ^ y) & (x ^ res)) >>> 31) << 3);
}

/** Logic, shifts, mul, divu, remu, not and test: ZF and SF from the result, CF and OF cleared. */
export function logicFlags(flags: number, res: number): number {
  return (flags & Flag.IF) | (res === 0 ? Flag.ZF : 0) | (res < 0 ? Flag.SF : 0);
}

/** `res = (-x) | 0`: CF unless x was 0, OF when x was the most negative number. */
export function negFlags(flags: number, x: number, res: number): number {
  return (flags & Flag.IF) | (x !== 0 ? Flag.CF : 0) | (res === 0 ? Flag.ZF : 0) | (res < 0 ? Flag.SF : 0) | (x === -0x80000000 ? Flag.OF : 0);
}

/** Signed less-than after a compare: SF != OF (jl, jge, jle, jg). */
export function signedLess(flags: number): boolean {
  return ((flags >> 2) & 1) !== ((flags >> 3) & 1);
}
