import * as assert from 'node:assert';
import { codeEnd, cursorSlot, statementShape, wordAt } from '../../src/lsp/features/lineText';

describe('lineText', () => {
  it('finds the word under and just after the cursor', () => {
    assert.deepStrictEqual(wordAt('  jnz .loop', 8), { text: '.loop', start: 6, end: 11 });
    assert.deepStrictEqual(wordAt('  jnz .loop', 11), { text: '.loop', start: 6, end: 11 });
    assert.strictEqual(wordAt('  jnz .loop', 0), undefined);
  });

  it('ignores comment characters inside literals', () => {
    assert.strictEqual(codeEnd("mov r0, ';' ; comment"), 12);
    assert.strictEqual(codeEnd('.ascii "a#b" # c'), 13);
    assert.strictEqual(codeEnd('nop'), 3);
  });

  it('splits a statement into labels, head and operands', () => {
    const shape = statementShape('a: .b: st [r1 + 4], r2 ; x, y');
    assert.deepStrictEqual(
      shape.labels.map((label) => label.text),
      ['a', '.b'],
    );
    assert.strictEqual(shape.head?.text, 'st');
    assert.deepStrictEqual(
      shape.operands.map((operand) => operand.text),
      ['[r1 + 4]', 'r2'],
    );
    assert.deepStrictEqual(
      statementShape("mov r0, ','").operands.map((operand) => operand.text),
      ['r0', "','"],
    );
    assert.deepStrictEqual(statementShape('ret').operands, []);
  });

  it('tells which slot the cursor is in', () => {
    assert.strictEqual(cursorSlot('  mo', 4), 'head');
    assert.strictEqual(cursorSlot('', 0), 'head');
    assert.strictEqual(cursorSlot('main: ', 6), 'head');
    assert.strictEqual(cursorSlot('main: ', 2), 'label');
    assert.strictEqual(cursorSlot('  mov r1, ', 10), 'operand');
    assert.strictEqual(cursorSlot('  mov r1, r2 ; c', 16), 'comment');
    assert.strictEqual(cursorSlot('  .ascii "ab"', 11), 'literal');
  });
});
