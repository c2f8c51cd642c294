import * as assert from 'node:assert';
import { DiagnosticSeverity } from 'vscode-languageserver';
import { diagnosticsByFile, diagnosticsForFile } from '../../src/lsp/features/diagnostics';
import { fixture, single } from './fixture';

describe('diagnostics', () => {
  it('gives every error a 0-based range', () => {
    const { document } = single('_start:\n  mov r1, nowhere\n  frob r2\n');
    const diagnostics = diagnosticsForFile(document.result!, document.file);
    assert.strictEqual(diagnostics.length, 2);
    const undefinedName = diagnostics.find((diagnostic) => String(diagnostic.message).includes('nowhere'))!;
    assert.deepStrictEqual(undefinedName.range, { start: { line: 1, character: 10 }, end: { line: 1, character: 17 } });
    assert.strictEqual(undefinedName.severity, DiagnosticSeverity.Error);
    assert.strictEqual(undefinedName.source, 'g32');
    assert.ok(diagnostics.some((diagnostic) => diagnostic.range.start.line === 2));
  });

  it('is empty for a correct file', () => {
    const { document } = single('_start:\n  hlt\n');
    assert.deepStrictEqual(diagnosticsForFile(document.result!, document.file), []);
  });

  it('puts an error of an included file in that file, and lists clean files empty', () => {
    const { document } = fixture({
      '/p/main.g32': '_start:\n  call puts\n.include "lib.g32"\n.include "ok.g32"\n',
      '/p/lib.g32': 'puts:\n  mov r1, [r2 +]\n  ret\n',
      '/p/ok.g32': 'nothing: nop\n',
    });
    const byFile = diagnosticsByFile(document.result!);
    assert.deepStrictEqual([...byFile.keys()], ['/p/main.g32', '/p/lib.g32', '/p/ok.g32']);
    assert.strictEqual(byFile.get('/p/main.g32')!.length, 0);
    assert.strictEqual(byFile.get('/p/lib.g32')!.length, 1);
    assert.strictEqual(byFile.get('/p/lib.g32')![0].range.start.line, 1);
    assert.deepStrictEqual(byFile.get('/p/ok.g32'), []);
  });
});
