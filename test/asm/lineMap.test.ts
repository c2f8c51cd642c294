// The line map the debugger uses for breakpoints, stepping and disassembly.

import * as assert from 'node:assert/strict';
import { LineMap } from '../../src/asm';
import { assembleFiles, assertClean } from './harness';

describe('asm: line map', () => {
  const result = assembleFiles({
    'm.g32': '_start: mov r1, 1\n\n; comment\n  nop\ndata: .word 1, 2\n.include "f.g32"\n.org 0x40\n  ret\n.include "f.g32"\n',
    'f.g32': 'push 7\n',
  });

  it('builds', () => assertClean(result));

  it('looks up every byte of instructions and data', () => {
    const map = result.lineMap;
    assert.deepEqual(map.lookup(0), { file: 'm.g32', line: 1 });
    assert.deepEqual(map.lookup(7), { file: 'm.g32', line: 1 });
    assert.deepEqual(map.lookup(8), { file: 'm.g32', line: 4 });
    assert.deepEqual(map.lookup(0x13), { file: 'm.g32', line: 5 });
    assert.deepEqual(map.lookup(0x14), { file: 'f.g32', line: 1 });
    assert.equal(map.lookup(0x1c), undefined);
    assert.deepEqual(map.lookup(0x40), { file: 'm.g32', line: 8 });
    assert.equal(map.lookup(0xffffffff), undefined);
  });

  it('finds instruction starts, not data', () => {
    assert.equal(result.lineMap.instructionStart(5), 0);
    assert.equal(result.lineMap.instructionStart(0x10), undefined);
    assert.equal(result.lineMap.instructionStart(0x1b), 0x14);
    assert.equal(result.lineMap.instructionStart(0x30), undefined);
  });

  it('gives addresses per line, several for a file included twice', () => {
    assert.deepEqual(result.lineMap.addressesForLine('m.g32', 4), [8]);
    assert.deepEqual(result.lineMap.addressesForLine('m.g32', 5), []);
    assert.deepEqual(result.lineMap.addressesForLine('f.g32', 1), [0x14, 0x44]);
  });

  it('moves breakpoints to the next instruction line', () => {
    assert.equal(result.lineMap.nearestInstructionLine('m.g32', 1), 1);
    assert.equal(result.lineMap.nearestInstructionLine('m.g32', 2), 4);
    assert.equal(result.lineMap.nearestInstructionLine('m.g32', 5), 8);
    assert.equal(result.lineMap.nearestInstructionLine('m.g32', 9), undefined);
    assert.equal(result.lineMap.nearestInstructionLine('other.g32', 1), undefined);
  });

  it('lists instructions in address order', () => {
    assert.deepEqual(result.lineMap.instructions(), [
      { address: 0, length: 8, file: 'm.g32', line: 1 },
      { address: 8, length: 4, file: 'm.g32', line: 4 },
      { address: 0x14, length: 8, file: 'f.g32', line: 1 },
      { address: 0x40, length: 4, file: 'm.g32', line: 8 },
      { address: 0x44, length: 8, file: 'f.g32', line: 1 },
    ]);
  });

  it('is also built when there are errors, and can be empty', () => {
    assert.equal(new LineMap().lookup(0), undefined);
    const broken = assembleFiles({ 'b.g32': '_start: nop\nbad\n' });
    assert.equal(broken.image, undefined);
    assert.deepEqual(broken.lineMap.lookup(0), { file: 'b.g32', line: 1 });
  });
});
