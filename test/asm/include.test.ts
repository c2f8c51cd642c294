// `.include` through an in-memory reader: relative paths, diagnostics per
// file, cycles, missing files, and the files list.

import * as assert from 'node:assert/strict';
import { assembleText, formatDiagnostic } from '../../src/asm';
import { assembleFiles, assertClean, flatten, words } from './harness';

describe('asm: .include', () => {
  it('includes text in place, relative to the including file', () => {
    const result = assembleFiles({
      'src/main.g32': '_start: call helper\n.include "lib/helper.g32"\nnop\n',
      'src/lib/helper.g32': 'helper: .include "more.g32"\n  ret\n',
      'src/lib/more.g32': 'nop\n',
    });
    assertClean(result);
    assert.deepEqual(result.files, ['src/main.g32', 'src/lib/helper.g32', 'src/lib/more.g32']);
    assert.deepEqual(flatten(result), [...words(0x4e, 8), ...words(0x51), ...words(0x50), ...words(0x51)]);
    assert.deepEqual(result.lineMap.lookup(8), { file: 'src/lib/more.g32', line: 1 });
    assert.deepEqual(result.symbols.find((s) => s.name === 'helper')!.file, 'src/lib/helper.g32');
  });

  it('local labels continue across an include as in one text', () => {
    const result = assembleFiles({ 'm.g32': '_start: .include "l.g32"\njmp .x\n', 'l.g32': '.x: nop\n' });
    assertClean(result);
    assert.deepEqual(
      result.symbols.map((s) => s.name),
      ['_start', '_start.x'],
    );
  });

  it('reports errors in every file, main file first', () => {
    const result = assembleFiles({ 'm.g32': '_start: .include "l.g32"\nbad1\n', 'l.g32': 'bad2\n' });
    assert.equal(result.image, undefined);
    assert.deepEqual(result.diagnostics.map(formatDiagnostic), [
      "m.g32:2:1: error: expected an instruction, a directive or a label followed by ':', found 'bad1'",
      "l.g32:1:1: error: expected an instruction, a directive or a label followed by ':', found 'bad2'",
    ]);
  });

  it('detects include cycles', () => {
    const result = assembleFiles({ 'a.g32': '_start: .include "b.g32"\n', 'b.g32': '.include "./a.g32"\n' });
    assert.deepEqual(result.diagnostics.map(formatDiagnostic), ['b.g32:1:10: error: expected a file that is not already being included, found "./a.g32" (include cycle: a.g32 -> b.g32 -> a.g32)']);
    const self = assembleFiles({ 'a.g32': '_start: .include "a.g32"\n' });
    assert.equal(self.diagnostics.length, 1);
  });

  it('a file may be included twice when it is not a cycle', () => {
    const result = assembleFiles({ 'm.g32': '_start: .include "d.g32"\n.include "d.g32"\n', 'd.g32': '.byte 7\n' });
    assertClean(result);
    assert.deepEqual(flatten(result), [7, 7]);
    assert.deepEqual(result.files, ['m.g32', 'd.g32']);
  });

  it('a missing file is an error at the path', () => {
    assert.deepEqual(assembleText('_start: .include "nope.g32"\n').diagnostics.map(formatDiagnostic), ['input.g32:1:18: error: expected a readable file, found "nope.g32" (looked for nope.g32)']);
  });

  it('an unreadable main file is an error, not an exception', () => {
    const result = assembleFiles({ 'x.g32': undefined as unknown as string });
    assert.deepEqual(result.diagnostics.map(formatDiagnostic), ["x.g32:1:1: error: expected a readable file, found 'x.g32'"]);
    assert.deepEqual(result.files, ['x.g32']);
  });

  it('.include needs a string', () => {
    assert.deepEqual(assembleText('_start: .include lib\n').diagnostics.map(formatDiagnostic), ["input.g32:1:18: error: expected a string in double quotes, found 'lib'"]);
  });
});
