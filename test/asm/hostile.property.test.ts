// Property: the assembler never throws, whatever the nesting and length of
// expressions and .equ chains; past the nesting limit it says so at the spot,
// and below it the value is the one the expression means.

import * as assert from 'node:assert/strict';
import * as fc from 'fast-check';
import { assembleText, formatDiagnostic, MAX_EXPRESSION_NESTING } from '../../src/asm';

interface Shape {
  /** Unary operators, then parentheses, around the innermost term. */
  unary: Array<'-' | '~' | '+'>;
  parens: number;
  /** Terms added to the nested part, a flat chain. */
  terms: number;
  /** An .equ chain the innermost term goes through, defined forwards or backwards. */
  chain: number;
  isChainBackwards: boolean;
}

const shape: fc.Arbitrary<Shape> = fc.record({
  unary: fc.array(fc.constantFrom<'-' | '~' | '+'>('-', '~', '+'), { maxLength: 600 }),
  parens: fc.oneof(fc.integer({ min: 0, max: 40 }), fc.integer({ min: 200, max: 3000 })),
  terms: fc.oneof(fc.integer({ min: 0, max: 10 }), fc.integer({ min: 1000, max: 10_000 })),
  chain: fc.oneof(fc.integer({ min: 0, max: 5 }), fc.integer({ min: 1000, max: 20_000 })),
  isChainBackwards: fc.boolean(),
});

function source(s: Shape): string {
  const equs = Array.from({ length: s.chain }, (_, i) => `.equ c${i}, ${i + 1 < s.chain ? `c${i + 1} + 1` : '1'}`);
  const innermost = s.chain > 0 ? 'c0' : '1';
  const nested = `${s.unary.join('')}${'('.repeat(s.parens)}${innermost}${')'.repeat(s.parens)}`;
  const expression = [nested, ...Array(s.terms).fill('1')].join('+');
  return ['_start: hlt', ...(s.isChainBackwards ? [] : equs), `.word ${expression}`, ...(s.isChainBackwards ? equs : []), ''].join('\n');
}

/** The value the expression means, in wrapped 32-bit arithmetic. */
function expected(s: Shape): number {
  let value = s.chain > 0 ? s.chain : 1;
  for (const op of [...s.unary].reverse()) value = op === '-' ? (0 - value) >>> 0 : op === '~' ? ~value >>> 0 : value;
  return (value + s.terms) >>> 0;
}

describe('asm: property: deep and long expressions never throw', () => {
  it('reports nesting past the limit at the spot, and evaluates everything else', () => {
    let overLimit = 0;
    let underLimit = 0;
    fc.assert(
      fc.property(shape, (s) => {
        const result = assembleText(source(s));
        const nesting = s.unary.length + s.parens;
        if (nesting > MAX_EXPRESSION_NESTING) {
          overLimit++;
          const messages = result.diagnostics.map(formatDiagnostic);
          assert.equal(messages.length, 1, messages.join('\n'));
          assert.match(
            messages[0],
            new RegExp(
              `^input\\.g32:${s.isChainBackwards ? 2 : s.chain + 2}:${7 + MAX_EXPRESSION_NESTING}: error: expected parentheses and unary operators nested at most ${MAX_EXPRESSION_NESTING} deep`,
            ),
          );
        } else {
          underLimit++;
          assert.deepEqual(result.diagnostics.map(formatDiagnostic), []);
          const word = result.image!.chunks[0].bytes;
          assert.equal(new DataView(word.buffer, word.byteOffset).getUint32(4, true), expected(s));
        }
      }),
      { numRuns: 40, seed: 11 },
    );
    assert.ok(overLimit > 5 && underLimit > 5, `${overLimit} over the limit, ${underLimit} under`);
  });
});
