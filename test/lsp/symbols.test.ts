import * as assert from 'node:assert';
import { DocumentSymbol, SymbolInformation, SymbolKind } from 'vscode-languageserver';
import { documentSymbols } from '../../src/lsp/features/symbols';
import { fixture, single } from './fixture';

const TEXT = '.equ N, 3\n_start:\n  mov r1, N\n.loop:\n  sub r1, 1\n  jnz .loop\n  hlt\nputs:\n.done:\n  ret\n';

describe('document symbols', () => {
  it('nests local labels under their global label and lists .equ names as constants', () => {
    const symbols = documentSymbols(single(TEXT).document) as DocumentSymbol[];
    assert.deepStrictEqual(
      symbols.map((symbol) => [symbol.name, symbol.kind, (symbol.children ?? []).map((child) => child.name)]),
      [
        ['N', SymbolKind.Constant, []],
        ['_start', SymbolKind.Function, ['.loop']],
        ['puts', SymbolKind.Function, ['.done']],
      ],
    );
    const start = symbols[1];
    assert.deepStrictEqual(start.selectionRange, { start: { line: 1, character: 0 }, end: { line: 1, character: 6 } });
    assert.strictEqual(start.range.end.line, 6, 'runs to the line before the next global label');
    assert.strictEqual(start.children![0].detail, '0x00000008');
    assert.strictEqual(symbols[0].detail, '= 0x00000003');
  });

  it('lists only the symbols of the file asked for', () => {
    const { document } = fixture(
      {
        '/p/main.g32': '_start: call puts\n.include "lib.g32"\n',
        '/p/lib.g32': 'puts: ret\n',
      },
      { main: '/p/main.g32' },
    );
    const names = (documentSymbols({ ...document, file: '/p/lib.g32', text: 'puts: ret\n' }) as DocumentSymbol[]).map((symbol) => symbol.name);
    assert.deepStrictEqual(names, ['puts']);
  });

  it('gives a flat list with containers to clients without hierarchy', () => {
    const flat = documentSymbols(single(TEXT).document, { isHierarchical: false }) as SymbolInformation[];
    assert.deepStrictEqual(
      flat.map((symbol) => [symbol.name, symbol.containerName]),
      [
        ['N', undefined],
        ['_start', undefined],
        ['.loop', '_start'],
        ['puts', undefined],
        ['.done', 'puts'],
      ],
    );
    assert.strictEqual(flat[0].location.uri, 'file:///p/main.g32');
  });
});
