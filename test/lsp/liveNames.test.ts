// Hover, go-to-definition, completion and the outline as the server answers
// them between assemblies: places from the open documents' text as typed,
// values from the program's last assembly.

import * as assert from 'node:assert';
import { DocumentSymbol, Hover, MarkupContent } from 'vscode-languageserver';
import { assemble } from '../../src/asm';
import { AnalyzedDocument } from '../../src/lsp/features/analysis';
import { completion } from '../../src/lsp/features/completion';
import { definition } from '../../src/lsp/features/definition';
import { hover } from '../../src/lsp/features/hover';
import { liveNames } from '../../src/lsp/features/nameTable';
import { documentSymbols } from '../../src/lsp/features/symbols';
import { OpenDocument } from '../../src/lsp/openDocuments';

const MAIN = '/p/main.g32';
const LIB = '/p/lib.g32';
const MAIN_TEXT = '_start:\n  call puts\n.loop:\n  jmp .loop\n.include "lib.g32"\n';
const LIB_TEXT = '.equ WIDTH, 80\nputs:\n  ret\n';

function open(file: string, text: string): OpenDocument {
  return new OpenDocument({ uri: `file://${file}`, languageId: 'g32', version: 1, text }, file);
}

function valueOf(answer: Hover | null): string {
  return (answer!.contents as MarkupContent).value;
}

describe('live names (between assemblies)', () => {
  // The last assembly saw the original text; the main file has been edited since.
  const assembly = assemble(MAIN, { readFile: (file) => (file === MAIN ? MAIN_TEXT : file === LIB ? LIB_TEXT : undefined) });
  const main = open(MAIN, MAIN_TEXT);
  main.applyChanges([{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '  nop\nfresh:\n' }], 2);
  const document = (others: OpenDocument[] = []): AnalyzedDocument => ({
    file: MAIN,
    text: main.getText(),
    lineAt: (line) => main.lineAt(line),
    lineCount: main.lineCount,
    result: undefined,
    names: liveNames([main.index, ...others.map((other) => other.index)], assembly),
    uriOf: (file) => `file://${file}`,
  });

  it('places a name where it is now and gives the value of the last assembly', () => {
    // `_start` moved from line 1 to line 3; its value is the last assembly's.
    const text = valueOf(hover(document(), { line: 3, character: 9 }));
    assert.match(text, /\*\*`puts`\*\* — label at `0x/);
    assert.deepStrictEqual(definition(document(), { line: 3, character: 9 }), [{ uri: `file://${LIB}`, range: { start: { line: 1, character: 0 }, end: { line: 1, character: 4 } } }]);
    assert.deepStrictEqual(definition(document(), { line: 5, character: 8 })[0].range.start, { line: 4, character: 0 }, 'the local label .loop, two lines lower than assembled');
  });

  it('knows a name typed since the last assembly, without a value yet', () => {
    const text = valueOf(hover(document(), { line: 1, character: 2 }));
    assert.match(text, /\*\*`fresh`\*\* — label \(value after the next assembly\)/);
    assert.match(text, /main\.g32:2\]/);
    const items = completion(document(), { line: 5, character: 6 });
    assert.ok(items.some((item) => item.label === 'fresh' && item.detail === 'label'));
    assert.ok(
      items.some((item) => item.label === 'WIDTH' && /^\.equ = 0x00000050/.test(item.detail!)),
      'a constant of the included file, from the assembly',
    );
  });

  it('reads an open included file from its own text', () => {
    const lib = open(LIB, LIB_TEXT);
    lib.applyChanges([{ range: { start: { line: 0, character: 0 }, end: { line: 0, character: 0 } }, text: '\n\n' }], 2);
    assert.deepStrictEqual(definition(document([lib]), { line: 3, character: 9 })[0].range.start, { line: 3, character: 0 });
  });

  it('gives the outline of the text as it is', () => {
    const outline = documentSymbols(document()) as DocumentSymbol[];
    assert.deepStrictEqual(
      outline.map((symbol) => [symbol.name, symbol.range.start.line, symbol.children?.map((child) => child.name)]),
      [
        ['fresh', 1, []],
        ['_start', 2, ['.loop']],
      ],
    );
    assert.strictEqual(outline[0].detail, '?', 'no value yet');
  });
});
