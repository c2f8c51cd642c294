// Hostile sources: include bombs, deep nesting, long chains and huge texts get
// a diagnostic at the spot (or simply work), never an exception, and the
// assembler reads each file once however often it is included.

import * as assert from 'node:assert/strict';
import { assemble, assembleText, formatDiagnostic, MAX_EXPRESSION_NESTING, MAX_TOKENS_PER_LINE, SOURCE_LIMITS } from '../../src/asm';
import { assembleFiles, bytesOf, ENTRY, words } from './harness';

/** Assembles without letting an exception pass as a result: a throw fails the test with its message. */
function assembleSafely(run: () => ReturnType<typeof assembleText>): ReturnType<typeof assembleText> {
  try {
    return run();
  } catch (error) {
    assert.fail(`the assembler threw: ${(error as Error).message}`);
  }
}

describe('asm: hostile input gets a diagnostic, not an exception', () => {
  it('an include bomb (31 files, each including the previous twice) stops at the include limit, reading each file once', () => {
    const files: Record<string, string> = { 'main.g32': '_start: hlt\n.include "f30.g32"\n', 'f0.g32': 'nop\n' };
    for (let i = 1; i <= 30; i++) files[`f${i}.g32`] = `.include "f${i - 1}.g32"\n.include "f${i - 1}.g32"\n`;
    const reads = new Map<string, number>();
    const result = assembleSafely(() =>
      assemble('main.g32', {
        readFile: (file) => {
          reads.set(file, (reads.get(file) ?? 0) + 1);
          return files[file];
        },
      }),
    );
    assert.equal(result.image, undefined);
    const messages = result.diagnostics.map(formatDiagnostic);
    assert.ok(messages.length > 0 && messages.length <= 2 * 31, `${messages.length} diagnostics`);
    assert.match(messages[0], new RegExp(`^f\\d+\\.g32:\\d:10: error: expected at most ${SOURCE_LIMITS.includes} \\.include expansions in all, found another: "f\\d+\\.g32"`));
    assert.ok(result.statements.length <= 3 * SOURCE_LIMITS.includes, `${result.statements.length} lines laid out`);
    assert.ok(
      [...reads.values()].every((count) => count === 1),
      'every file is read once',
    );
  });

  it('nesting deeper than the limit is reported at the .include that goes too deep', () => {
    const files: Record<string, string> = { 'main.g32': '_start: hlt\n.include "d1.g32"\n' };
    for (let i = 1; i <= 40; i++) files[`d${i}.g32`] = `.include "d${i + 1}.g32"\n`;
    files['d41.g32'] = 'nop\n';
    const result = assembleSafely(() => assembleFiles(files));
    const depth = SOURCE_LIMITS.includeDepth;
    assert.deepEqual(result.diagnostics.map(formatDiagnostic), [
      `d${depth - 1}.g32:1:10: error: expected .include nesting at most ${depth} files deep, found "d${depth}.g32" one deeper (main.g32 -> … -> d${depth - 1}.g32)`,
    ]);
  });

  it('a source over the line limit is refused at line 1 before any line is laid out', () => {
    const text = '_start: hlt\n' + '\n'.repeat(SOURCE_LIMITS.lines);
    const result = assembleSafely(() => assembleText(text, 'blank.g32'));
    assert.deepEqual(result.diagnostics.map(formatDiagnostic), [
      `blank.g32:1:1: error: expected at most ${SOURCE_LIMITS.lines} lines in all (includes expanded), found ${SOURCE_LIMITS.lines + 2} lines in 'blank.g32'`,
    ]);
    assert.equal(result.statements.length, 0);
  });

  it('an included file that would pass the character limit is refused at its .include', () => {
    const big = ';'.repeat(SOURCE_LIMITS.characters);
    const result = assembleSafely(() => assembleFiles({ 'main.g32': '_start: hlt\n.include "big.g32"\n', 'big.g32': big }));
    assert.equal(result.diagnostics.length, 1);
    assert.match(
      formatDiagnostic(result.diagnostics[0]),
      new RegExp(
        `^main\\.g32:2:10: error: expected at most ${SOURCE_LIMITS.characters / (1024 * 1024)} Mi characters in all \\(includes expanded\\), found "big\\.g32" with ${SOURCE_LIMITS.characters} more characters after \\d+$`,
      ),
    );
  });

  it('a line of more than MAX_TOKENS_PER_LINE tokens gets one error at the first token past the limit and emits nothing', () => {
    const values = Array(MAX_TOKENS_PER_LINE).fill('1').join(',');
    const result = assembleSafely(() => assembleText(`${ENTRY}.word ${values}\n.byte 9\n`));
    // `.word` is token 1 and the values and commas follow one column each: token MAX + 1 is a comma.
    const column = '.word '.length + 1 + (MAX_TOKENS_PER_LINE - 1);
    assert.deepEqual(result.diagnostics.map(formatDiagnostic), [`input.g32:2:${column}: error: expected at most ${MAX_TOKENS_PER_LINE} tokens on one line, found more (split the line)`]);
    assert.equal(result.statements[1].bytes.length, 0);
    const fits = assembleSafely(() => assembleText(`${ENTRY}.word ${Array(1000).fill('1').join(',')}\n`));
    assert.deepEqual(fits.diagnostics, []);
  });

  it("the reader's reason for refusing a file is shown at the .include", () => {
    const result = assemble('main.g32', {
      readSourceFile: (file) => (file === 'main.g32' ? { text: '_start: hlt\n.include "/dev/zero"\n' } : { error: 'not a regular file (a character device)' }),
    });
    assert.deepEqual(result.diagnostics.map(formatDiagnostic), ['main.g32:2:10: error: expected a readable file, found "/dev/zero" (looked for /dev/zero): not a regular file (a character device)']);
  });

  it('3,000 nested parentheses: a diagnostic at the first parenthesis past the limit', () => {
    const result = assembleSafely(() => assembleText(`${ENTRY}.word ${'('.repeat(3000)}1${')'.repeat(3000)}\n`));
    assert.deepEqual(result.diagnostics.map(formatDiagnostic), [
      `input.g32:2:${7 + MAX_EXPRESSION_NESTING}: error: expected parentheses and unary operators nested at most ${MAX_EXPRESSION_NESTING} deep, found '('`,
    ]);
  });

  it('10,000 unary operators: a diagnostic at the first operator past the nesting limit; 100,000: at the token limit', () => {
    const result = assembleSafely(() => assembleText(`${ENTRY}.word ${'-'.repeat(10_000)}1\n`));
    assert.deepEqual(result.diagnostics.map(formatDiagnostic), [
      `input.g32:2:${7 + MAX_EXPRESSION_NESTING}: error: expected parentheses and unary operators nested at most ${MAX_EXPRESSION_NESTING} deep, found '-'`,
    ]);
    const more = assembleSafely(() => assembleText(`${ENTRY}.word ${'-'.repeat(100_000)}1\n`));
    assert.deepEqual(more.diagnostics.map(formatDiagnostic), [
      `input.g32:2:${7 + MAX_TOKENS_PER_LINE - 1}: error: expected at most ${MAX_TOKENS_PER_LINE} tokens on one line, found more (split the line)`,
    ]);
  });

  it('nesting up to the limit is fine', () => {
    const depth = MAX_EXPRESSION_NESTING;
    assert.deepEqual(bytesOf(`.word ${'('.repeat(depth)}7${')'.repeat(depth)}\n.word ${'~'.repeat(depth)}0\n`), [...words(7), ...words(depth % 2 === 0 ? 0 : 0xffffffff)]);
  });

  it('a 10,000-term sum has no limit: it is evaluated', () => {
    assert.deepEqual(bytesOf(`.word ${Array(10_000).fill('1').join('+')}\n.word ${Array(10_000).fill('2').join('*')} - 1\n`), [...words(10_000), ...words(0xffffffff)]);
  });

  it('a 100,000-long .equ chain used by .org, defined in either order, is evaluated', () => {
    const n = 100_000;
    const forward = ['.equ e0, 1', ...Array.from({ length: n - 1 }, (_, i) => `.equ e${i + 1}, e${i} + 1`), `.org e${n - 1}`, '_start: hlt', ''].join('\n');
    const forwardResult = assembleSafely(() => assembleText(forward));
    assert.deepEqual(forwardResult.diagnostics.map(formatDiagnostic), []);
    assert.equal(forwardResult.image!.chunks[0].address, n);
    const backward = [...Array.from({ length: n - 1 }, (_, i) => `.equ e${i}, e${i + 1} + 1`), `.equ e${n - 1}, 1`, '.org e0', '_start: hlt', ''].join('\n');
    const backwardResult = assembleSafely(() => assembleText(backward));
    assert.deepEqual(backwardResult.diagnostics.map(formatDiagnostic), []);
    assert.equal(backwardResult.image!.chunks[0].address, n);
  });

  it('a 100,000-long .equ chain used before it is defined, and one that loops, are evaluated and reported', () => {
    const n = 100_000;
    const chain = Array.from({ length: n - 1 }, (_, i) => `.equ e${i}, e${i + 1} + 1`);
    const used = assembleSafely(() => assembleText(['_start: .word e0', ...chain, `.equ e${n - 1}, 1`, ''].join('\n')));
    assert.deepEqual(used.diagnostics.map(formatDiagnostic), []);
    assert.deepEqual([...used.image!.chunks[0].bytes], words(n));
    const loop = assembleSafely(() => assembleText(['_start: .word e0', ...chain, `.equ e${n - 1}, e0`, ''].join('\n')));
    assert.deepEqual(loop.diagnostics.map(formatDiagnostic), [`input.g32:${n + 1}:14: error: expected a value that does not depend on itself, found 'e0' (circular .equ)`]);
  });

  it('.org reports a name defined later through a long chain, at the name it uses', () => {
    const chain = Array.from({ length: 50_000 }, (_, i) => `.equ e${i}, e${i + 1}`);
    const result = assembleSafely(() => assembleText([...chain, '.org e0', '.equ e50000, 4', '_start: hlt', ''].join('\n')));
    assert.deepEqual(result.diagnostics.map(formatDiagnostic), [
      "input.g32:50001:6: error: expected a name defined on an earlier line (.org, .align and .space need their values at once), found 'e0' (it uses 'e50000', defined later)",
    ]);
  });
});
