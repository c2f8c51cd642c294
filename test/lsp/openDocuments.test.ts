import * as assert from 'node:assert';
import fc from 'fast-check';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { assemble } from '../../src/asm';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { DefinitionIndex, NamedSymbol } from '../../src/lsp/features/definitionIndex';
import { OpenDocument } from '../../src/lsp/openDocuments';

const FILE = '/p/main.g32';

function definitions(index: DefinitionIndex): NamedSymbol[] {
  const found: NamedSymbol[] = [];
  index.forEach((symbol) => void found.push(symbol));
  return found;
}

// Pieces that make labels, local labels, .equ lines and every kind of line break, lone '\r' included.
const piece = fc.constantFrom('a', 'main', '.loop', ':', ' ', '.equ K, 1', '\n', '\r', '\r\n', 'nop', ';c', 'x:');
const text = fc.array(piece, { maxLength: 30 }).map((pieces) => pieces.join(''));

describe('open documents', () => {
  it('follow random incremental edits exactly, lone \\r and \\r\\n included, and keep the definition index equal to a fresh one', () => {
    let sawJoinedBreak = false;
    fc.assert(
      fc.property(text, fc.array(fc.tuple(fc.nat(), fc.nat(), fc.nat(), fc.nat(), text), { minLength: 1, maxLength: 20 }), (initial, edits) => {
        const reference = TextDocument.create('file:///p/main.g32', 'g32', 1, initial);
        const document = new OpenDocument({ uri: 'file:///p/main.g32', languageId: 'g32', version: 1, text: initial }, FILE);
        let version = 1;
        for (const [a, b, c, d, inserted] of edits) {
          // Positions anywhere, past line ends and past the last line too (clients clamp, and so must we).
          const lines = reference.lineCount;
          const start = { line: a % (lines + 1), character: b % 12 };
          const end = { line: Math.max(start.line, c % (lines + 1)), character: d % 12 };
          if (end.line === start.line && end.character < start.character) end.character = start.character;
          const before = reference.getText();
          version++;
          TextDocument.update(reference, [{ range: { start, end }, text: inserted }], version);
          document.applyChanges([{ range: { start, end }, text: inserted }], version);
          if (/\r$/.test(before.slice(0, reference.offsetAt(start))) && inserted.startsWith('\n')) sawJoinedBreak = true;
          assert.strictEqual(document.getText(), reference.getText());
          assert.strictEqual(document.lineCount, reference.lineCount);
          assert.strictEqual(document.version, version);
        }
        for (let line = 0; line < reference.lineCount; line++) {
          const full = reference.getText({ start: { line, character: 0 }, end: { line: line + 1, character: 0 } });
          assert.strictEqual(document.lineAt(line), full.replace(/(\r\n|\n|\r)$/, ''));
        }
        const fresh = new DefinitionIndex(FILE, reference.getText().split(/\r\n|\n|\r/));
        assert.deepStrictEqual(definitions(document.index), definitions(fresh));
      }),
      { numRuns: 400 },
    );
    assert.ok(sawJoinedBreak, 'some edit put a \\n right after a lone \\r');
  });

  it('replaces the whole text on a change without a range', () => {
    const document = new OpenDocument({ uri: 'file:///p/main.g32', languageId: 'g32', version: 1, text: 'a:\nb:\n' }, FILE);
    document.applyChanges([{ text: 'c: nop\r\n.equ K, 2' }], 2);
    assert.strictEqual(document.getText(), 'c: nop\r\n.equ K, 2');
    assert.deepStrictEqual(
      definitions(document.index).map((symbol) => [symbol.name, symbol.kind, symbol.line]),
      [
        ['c', 'label', 1],
        ['K', 'equ', 2],
      ],
    );
  });
});

describe('definition index', () => {
  it('reads labels, local labels under their global label and .equ names as the assembler does', () => {
    const index = new DefinitionIndex(FILE, ['.equ BASE, 1', 'main: .loop: nop', '  jmp .loop', 'mov: hlt', 'other:', '.loop:', '  ; x: not a label', '"s": nop']);
    assert.deepStrictEqual(
      definitions(index).map((symbol) => [symbol.name, symbol.displayName, symbol.kind, symbol.line, symbol.column, symbol.endColumn]),
      [
        ['BASE', 'BASE', 'equ', 1, 6, 10],
        ['main', 'main', 'label', 2, 1, 5],
        ['main.loop', '.loop', 'local-label', 2, 7, 12],
        ['other', 'other', 'label', 5, 1, 6],
        ['other.loop', '.loop', 'local-label', 6, 1, 6],
      ],
    );
    assert.strictEqual(index.find('other.loop')?.line, 6);
    assert.strictEqual(index.find('main.loop')?.line, 2);
    assert.strictEqual(index.find('.loop'), undefined, 'a local name exists only under its global label');
    assert.strictEqual(index.parentAt(3), 'main');
    assert.strictEqual(index.parentAt(1), undefined);
  });

  it('lists the local labels in scope: after the global label above the line, up to the next one', () => {
    const index = new DefinitionIndex(FILE, ['.top:', 'main: .a: nop', '.b:', '  ret', 'x: y: .c:', '.d:', 'z:', '.e:']);
    const localsAt = (line: number): string[] => index.localsAt(line).map((symbol) => symbol.name);
    assert.deepStrictEqual(localsAt(1), [], 'no global label above');
    assert.deepStrictEqual(localsAt(4), ['main.a', 'main.b']);
    assert.deepStrictEqual(localsAt(5), ['y.c', 'y.d'], 'the last global label of a line owns what follows it');
    assert.deepStrictEqual(localsAt(8), ['z.e']);
  });
});

describe('definition index against the assembler', () => {
  it('lists the same names at the same places as the assembler, for every file of the example OS', () => {
    const folder = path.resolve(__dirname, '../../../examples/os');
    const texts = new Map(
      fs
        .readdirSync(folder)
        .filter((name) => name.endsWith('.g32'))
        .map((name) => [path.join(folder, name), fs.readFileSync(path.join(folder, name), 'utf8')]),
    );
    const result = assemble(path.join(folder, 'kernel.g32'), { readFile: (file) => texts.get(path.normalize(file)) });
    assert.deepStrictEqual(result.diagnostics, []);
    let compared = 0;
    for (const [file, text] of texts) {
      const index = new DefinitionIndex(file, text.split(/\r\n|\n|\r/));
      const expected = result.symbols.filter((symbol) => path.normalize(symbol.file) === file).map((symbol) => [symbol.name, symbol.kind, symbol.line, symbol.column, symbol.endColumn]);
      // A file whose local labels come first takes its parent from its includer, which one file alone cannot see.
      const got = definitions(index).filter((symbol) => symbol.kind !== 'local-label' || index.parentAt(symbol.line) !== undefined);
      assert.deepStrictEqual(
        got.map((symbol) => [symbol.name, symbol.kind, symbol.line, symbol.column, symbol.endColumn]),
        expected,
        file,
      );
      compared += expected.length;
    }
    assert.ok(compared > 50, `compared ${compared} names`);
  });
});
