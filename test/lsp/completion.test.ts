import * as assert from 'node:assert';
import { CompletionItem, CompletionItemKind } from 'vscode-languageserver';
import { completion } from '../../src/lsp/features/completion';
import { fixture, single } from './fixture';

const labels = (items: CompletionItem[]): string[] => items.map((item) => item.label);

describe('completion', () => {
  it('offers mnemonics with their summary, marking privileged and sensitive ones, and directives', () => {
    const { document, position } = single('_start:\n  <|>\n');
    const items = completion(document, position);
    const byLabel = new Map(items.map((item) => [item.label, item]));
    assert.match(byLabel.get('add')!.detail!, /^rd = rd \+ src/);
    assert.match(byLabel.get('cli')!.detail!, /\[privileged\]$/);
    assert.match(byLabel.get('pushf')!.detail!, /\[sensitive\]$/);
    assert.match(byLabel.get('mov')!.detail!, /\[privileged \/ sensitive forms\]$/);
    assert.ok(byLabel.has('je'));
    assert.strictEqual(byLabel.get('.include')!.kind, CompletionItemKind.Keyword);
    assert.ok(!byLabel.has('r1'), 'no registers in mnemonic position');
  });

  it('offers registers, global labels, local labels in scope and .equ names in operands', () => {
    const { document, position } = fixture({
      '/p/main.g32': '.equ LIMIT, 10\n_start:\n.top:\n  jmp <|>\nother:\n.top:\n  ret\n.include "lib.g32"\n',
      '/p/lib.g32': 'puts: ret\n',
    });
    const items = completion(document, position);
    const names = labels(items);
    for (const expected of ['r0', 'sp', 'cr3', 'LIMIT', '_start', 'other', 'puts', '.top']) assert.ok(names.includes(expected), expected);
    assert.strictEqual(names.filter((name) => name === '.top').length, 1, 'only the local label of _start');
    assert.match(items.find((item) => item.label === '.top')!.detail!, /local label of _start at 0x00000000/);
    assert.strictEqual(items.find((item) => item.label === 'LIMIT')!.kind, CompletionItemKind.Constant);
    assert.ok(!names.includes('mov'));
  });

  it('offers nothing in comments, strings and label definitions', () => {
    assert.deepStrictEqual(completion(single('_start: hlt ; <|>\n').document, { line: 0, character: 14 }), []);
    assert.deepStrictEqual(completion(single('s: .ascii "ab"\n').document, { line: 0, character: 12 }), []);
    assert.deepStrictEqual(completion(single('_sta: hlt\n').document, { line: 0, character: 2 }), []);
  });

  it('offers plain-text documentation to clients without markdown', () => {
    const items = completion(single('_start:\n  <|>\n').document, { line: 1, character: 2 }, { isMarkdown: false });
    assert.strictEqual(typeof items.find((item) => item.label === 'mov')!.documentation, 'string');
  });
});

describe('completion edits', () => {
  it('replaces the whole word, dot included', () => {
    const { document, position } = single('_start:\n.loop:\n  jnz .lo<|>\n');
    const loop = completion(document, position).find((item) => item.label === '.loop')!;
    assert.deepStrictEqual(loop.textEdit, { range: { start: { line: 2, character: 6 }, end: { line: 2, character: 9 } }, newText: '.loop' });
  });
});

describe('completion after .include', () => {
  it('offers no names where a file name goes', () => {
    assert.deepStrictEqual(completion(single('x: .include <|>\n').document, { line: 0, character: 12 }), []);
  });
});
